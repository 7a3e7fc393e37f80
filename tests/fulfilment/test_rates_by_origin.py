"""Rate tables for parcels leaving one warehouse: they price parcels from there, and only from there."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from stockyard.core.errors import NotFound
from stockyard.core.uow import perform, read
from stockyard.fulfilment import config
from stockyard.fulfilment.domain import Address, Band, ZoneRule
from stockyard.fulfilment.models import ShippingRate
from stockyard.fulfilment.quotes import origin_rates, quote
from stockyard.fulfilment.rating import MethodRule, NotOffered, Origin, Parcel, RatedOption, Zone, rate_method
from tests.conftest import TenantCtx
from tests.fulfilment.shipping_setup import bands, configure
from tests.fulfilment.test_quotes import MONDAY, guest, request
from tests.web.test_pages import Staff, new_client, sign_in  # noqa: F401  (fixtures)

ZONE = Zone(ZoneRule(1, frozenset({"DE"})), "Germany")
BERLIN = Address("DE", "10115")
BER, MUC = Origin(1, "Berlin", 1), Origin(2, "Munich", 2)


def test_an_origin_table_prices_parcels_from_that_warehouse_and_others_keep_the_general_one() -> None:
    method = MethodRule(1, "STD", "Standard", "EUR",
                        tables={(1, "weight"): (Band(Decimal(0), None, Decimal("6.90")),)},
                        origin_tables={(1, 1, "weight"): (Band(Decimal(0), None, Decimal("4.90")),)})
    parcel = Parcel(weight_g=500)
    from_berlin = rate_method(method, ZONE, BERLIN, parcel, BER, MONDAY)
    from_munich = rate_method(method, ZONE, BERLIN, parcel, MUC, MONDAY)
    assert isinstance(from_berlin, RatedOption) and isinstance(from_munich, RatedOption)
    assert (from_berlin.cost, from_munich.cost) == (Decimal("4.90"), Decimal("6.90"))
    assert "rates for parcels from Berlin" in from_berlin.explanation
    assert not any("rates for parcels from" in step for step in from_munich.explanation)


def test_a_method_priced_only_from_one_warehouse_is_not_offered_from_another() -> None:
    method = MethodRule(1, "STD", "Standard", "EUR",
                        origin_tables={(1, 1, "weight"): (Band(Decimal(0), None, Decimal("4.90")),)})
    refused = rate_method(method, ZONE, BERLIN, Parcel(weight_g=500), MUC, MONDAY)
    assert isinstance(refused, NotOffered)
    assert refused.reason == "STD has no rates for zone Germany from Munich"


def test_quoting_from_a_warehouse_with_its_own_rates_changes_the_price(tenant: TenantCtx) -> None:
    s = configure(tenant)
    perform(tenant.engine, tenant.actor, config.set_rate_table, s.standard, config.SetRateTable(
        zone_id=s.germany, basis="weight", origin_warehouse_id=s.world.north,
        bands=bands(("0", "2000", "3.50"), ("2000", None, "5.50"))))
    who = guest(tenant)
    north = read(tenant.engine, who, quote, request([("LIGHT", 1)], origin_warehouse_id=s.world.north), MONDAY)
    main = read(tenant.engine, who, quote, request([("LIGHT", 1)], origin_warehouse_id=s.world.main), MONDAY)
    default = read(tenant.engine, who, quote, request([("LIGHT", 1)]), MONDAY)
    assert [(o.code, o.cost) for o in north] == [("STD", Decimal("3.50")), ("EXP", Decimal("14.50"))]
    assert [(o.code, o.cost) for o in main] == [("STD", Decimal("4.90")), ("EXP", Decimal("14.50"))]
    assert [(o.code, o.cost) for o in default] == [(o.code, o.cost) for o in main]  # MAIN is first by priority
    assert "rates for parcels from North" in north[0].explanation
    # the islands have no table of NORTH's own: parcels from NORTH pay the general rate there (plus remote area)
    [island] = read(tenant.engine, who, quote, request([("LIGHT", 1)], postcode="25980",
                                                       origin_warehouse_id=s.world.north), MONDAY)
    assert island.cost == Decimal("8.90")


def test_origin_rates_price_a_parcel_from_each_warehouse(tenant: TenantCtx) -> None:
    s = configure(tenant)
    perform(tenant.engine, tenant.actor, config.set_rate_table, s.standard, config.SetRateTable(
        zone_id=s.germany, basis="weight", origin_warehouse_id=s.world.north, bands=bands(("0", None, "3.50"))))
    with tenant.uow(guest(tenant)) as uow:
        chosen = origin_rates(uow, {"country": "DE", "postcode": "10115"}, "EUR", s.standard, today=MONDAY)
        cheapest = origin_rates(uow, {"country": "de", "postcode": "10115"}, "EUR", None, today=MONDAY)
        nowhere = origin_rates(uow, {"country": "FR", "postcode": "75001"}, "EUR", None, today=MONDAY)
    assert chosen is not None and cheapest is not None and nowhere is None
    parcel = Parcel(weight_g=300, item_count=1, order_value=Decimal("20"))
    assert chosen.method_name == "Standard" and chosen.currency == "EUR"
    assert (chosen.cost(s.world.main, parcel), chosen.cost(s.world.north, parcel)) == (Decimal("4.90"),
                                                                                       Decimal("3.50"))
    assert chosen.cost(s.world.main, Parcel(weight_g=300, order_value=Decimal("100"))) == Decimal("0.00")  # free
    assert cheapest.method_name == "the cheapest method"
    assert cheapest.cost(s.world.north, parcel) == Decimal("3.50")
    assert chosen.cost(999_999, parcel) is None  # not one of the tenant's warehouses


def test_setting_an_origin_table_leaves_the_general_table_alone(tenant: TenantCtx) -> None:
    s = configure(tenant)
    e, a = tenant.engine, tenant.actor
    perform(e, a, config.set_rate_table, s.standard, config.SetRateTable(
        zone_id=s.germany, basis="weight", origin_warehouse_id=s.world.north, bands=bands(("0", None, "3.50"))))
    perform(e, a, config.set_rate_table, s.standard, config.SetRateTable(
        zone_id=s.germany, basis="weight", origin_warehouse_id=s.world.north, bands=bands(("0", None, "3.00"))))
    with pytest.raises(NotFound, match="unknown warehouse 999999"):
        perform(e, a, config.set_rate_table, s.standard, config.SetRateTable(
            zone_id=s.germany, basis="weight", origin_warehouse_id=999_999, bands=bands(("0", None, "1.00"))))
    with tenant.uow() as uow:
        rows = sorted((r.origin_warehouse_id or 0, r.price) for r in uow.execute(select(ShippingRate).where(
            ShippingRate.method_id == s.standard, ShippingRate.zone_id == s.germany)).scalars())
    assert rows == [(0, Decimal("4.90")), (0, Decimal("6.90")), (0, Decimal("12.90")),
                    (s.world.north, Decimal("3.00"))]


def test_the_method_page_sets_and_shows_a_table_for_one_warehouse(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    s = configure(tenant)
    owner: Staff = sign_in("owner")
    page = owner.get(f"/admin/shipping/methods/{s.standard}")
    assert 'name="origin_warehouse_id"' in page.text and "any warehouse" in page.text
    saved = owner.post(f"/admin/shipping/methods/{s.standard}/rates", {
        "zone_id": str(s.germany), "basis": "weight", "origin_warehouse_id": str(s.world.north),
        "bands.0.lower": "0", "bands.0.price": "3.50"})
    assert saved.status_code == 303, saved.text
    shown = owner.follow(saved).text
    assert "parcels from NORTH" in shown and "from any warehouse" in shown
    edit = owner.get(f"/admin/shipping/methods/{s.standard}?zone_id={s.germany}&basis=weight"
                     f"&origin={s.world.north}")
    assert 'value="3.5"' in edit.text
    with tenant.uow(guest(tenant)) as uow:
        engine = origin_rates(uow, {"country": "DE", "postcode": "10115"}, "EUR", s.standard, today=date.today())
    assert engine is not None and engine.cost(s.world.north, Parcel(weight_g=300)) == Decimal("3.50")

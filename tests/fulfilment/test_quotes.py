"""Shipping quotes through the service, on both backends, with a configuration made by the config services."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, event

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.fulfilment import config
from stockyard.fulfilment.quotes import QuoteRequest, forget_shipping_config, quote, quote_details
from stockyard.fulfilment.rating import add_working_days
from stockyard.inventory.models import Warehouse
from tests.conftest import TenantCtx, new_tenant
from tests.fulfilment.shipping_setup import bands, configure

MONDAY = date(2026, 11, 23)


def request(lines: list[tuple[str, int]], country: str = "DE", postcode: str = "10115", value: str = "50",
            currency: str = "EUR", **kw: object) -> QuoteRequest:
    return QuoteRequest(destination={"country": country, "postcode": postcode},
                        lines=[{"sku": code, "quantity": qty} for code, qty in lines],
                        order_value=Decimal(value), currency=currency, **kw)


def guest(ctx: TenantCtx) -> Actor:
    """A storefront visitor: the shop's tenant, no permissions at all."""
    return Actor(tenant_id=ctx.tenant_id, user_id=None, name="guest")


def test_every_option_with_cost_date_and_explanation(tenant: TenantCtx) -> None:
    s = configure(tenant)
    options = read(tenant.engine, guest(tenant), quote, request([("BULKY", 1)]), MONDAY)
    assert [(o.code, o.cost) for o in options] == [("STD", Decimal("6.90")), ("EXP", Decimal("14.50"))]
    standard = options[0]
    assert standard.method_id == s.standard and standard.carrier_code == "dhl" and standard.carrier_name == "DHL"
    assert standard.currency == "EUR"
    assert standard.promised_date == date(2026, 11, 26)  # 1 handling day (MAIN) + 2 transit days
    assert options[1].promised_date == date(2026, 11, 25)
    assert standard.explanation[:3] == ["zone Germany (postcode 10115)",
                                        "chargeable weight 2,400 g (dimensional 2,400 g > actual 1,800 g)",
                                        "band 2,000–5,000 g: 6.90"]


def test_surcharges_and_free_shipping(tenant: TenantCtx) -> None:
    configure(tenant)
    [std] = read(tenant.engine, guest(tenant), quote, request([("POLE", 1)], postcode="25980"), MONDAY)
    assert std.cost == Decimal("25.90")  # islands: 6.90 (2,000 g) + remote 4.00 + oversize 15.00 (1,500 mm)
    assert "remote area surcharge +4.00" in std.explanation
    free = read(tenant.engine, guest(tenant), quote, request([("LIGHT", 2)], value="120"), MONDAY)
    assert [(o.code, o.cost) for o in free] == [("STD", Decimal("0.00")), ("EXP", Decimal("14.50"))]
    assert "free shipping: order 120.00 ≥ 100.00 → 0.00" in free[0].explanation


def test_item_count_bands_and_methods_of_the_currency_only(tenant: TenantCtx) -> None:
    configure(tenant)
    options = read(tenant.engine, guest(tenant), quote, request([("LIGHT", 3), ("BULKY", 2)]), MONDAY)
    assert {o.code: o.cost for o in options}["EXP"] == Decimal("19.50")  # 5 items
    swiss = read(tenant.engine, guest(tenant), quote, request([("LIGHT", 1)], country="CH", postcode="8001",
                                                              currency="CHF"), MONDAY)
    assert [(o.code, o.cost, o.currency) for o in swiss] == [("CH", Decimal("9.00"), "CHF")]


def test_an_address_outside_every_zone_is_refused(tenant: TenantCtx) -> None:
    configure(tenant)
    with pytest.raises(ValidationFailed) as caught:
        read(tenant.engine, guest(tenant), quote, request([("LIGHT", 1)], country="FR", postcode="75001"))
    assert caught.value.field == "shipping_address"
    assert caught.value.message == "we do not ship to FR 75001"


def test_a_parcel_no_method_can_carry_gives_no_option_and_says_why(tenant: TenantCtx) -> None:
    configure(tenant)
    result = read(tenant.engine, guest(tenant), quote_details, request([("BULKY", 20)], postcode="25980"))
    assert result.zone_name == "German islands"
    assert result.options == []
    assert "STD: no weight band for 48,000 g in zone German islands" in result.not_offered
    assert "EXP has no rates for zone German islands" in result.not_offered


def test_unknown_skus_and_warehouses_are_named(tenant: TenantCtx) -> None:
    s = configure(tenant)
    with pytest.raises(NotFound) as caught:
        read(tenant.engine, guest(tenant), quote, request([("LIGHT", 1), ("NOPE", 1)]))
    assert caught.value.field == "lines[1].sku"
    with pytest.raises(NotFound):
        read(tenant.engine, guest(tenant), quote, QuoteRequest(
            destination={"country": "DE"}, lines=[(s.skus["LIGHT"] + 10_000, 1)], order_value=Decimal(1),
            currency="EUR"))
    with pytest.raises(NotFound) as caught:
        read(tenant.engine, guest(tenant), quote, request([("LIGHT", 1)], origin_warehouse_id=s.world.north + 999))
    assert caught.value.field == "origin_warehouse_id"


def test_lines_by_sku_id_and_the_origin_warehouse_handling_days(tenant: TenantCtx) -> None:
    s = configure(tenant)
    with tenant.uow() as uow:
        uow.session.get(Warehouse, s.world.north).handling_days = 3
    forget_shipping_config(tenant.engine, tenant.tenant_id)
    req = QuoteRequest(destination={"country": "DE", "postcode": "10115"}, lines=[(s.skus["LIGHT"], 1)],
                       order_value=Decimal(10), currency="EUR", origin_warehouse_id=s.world.north)
    options = read(tenant.engine, guest(tenant), quote, req, MONDAY)
    assert options[0].code == "STD" and options[0].promised_date == add_working_days(MONDAY, 5)
    assert "ships from North after 3 handling day(s), 2 transit day(s): arrives by 2026-11-30" in \
        options[0].explanation


def test_a_configuration_change_shows_in_the_next_quote(tenant: TenantCtx) -> None:
    s = configure(tenant)
    assert read(tenant.engine, guest(tenant), quote, request([("LIGHT", 1)]))[0].cost == Decimal("4.90")
    perform(tenant.engine, tenant.actor, config.set_rate_table, s.standard, config.SetRateTable(
        zone_id=s.germany, basis="weight", bands=bands(("0", None, "3.10"))))
    assert read(tenant.engine, guest(tenant), quote, request([("LIGHT", 1)]))[0].cost == Decimal("3.10")


def test_a_quote_with_a_warm_configuration_costs_one_statement(tenant: TenantCtx) -> None:
    configure(tenant)
    read(tenant.engine, guest(tenant), quote, request([("LIGHT", 1), ("BULKY", 1)]))  # loads the configuration
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "INSERT", "UPDATE", "DELETE")):
            statements.append(statement)

    engine: Engine = tenant.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        read(tenant.engine, guest(tenant), quote, request([("LIGHT", 1), ("BULKY", 1)]))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    forget_shipping_config(tenant.engine, tenant.tenant_id)
    event.listen(engine, "before_cursor_execute", count)
    try:
        statements.clear()
        read(tenant.engine, guest(tenant), quote, request([("LIGHT", 1), ("BULKY", 1)]))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 5  # zones, methods with carriers, bands with thresholds, warehouses, SKUs


def test_another_tenants_configuration_is_invisible(tenant: TenantCtx) -> None:
    configure(tenant)
    other = new_tenant(tenant.engine)
    theirs = configure(other)
    perform(other.engine, other.actor, config.set_rate_table, theirs.standard, config.SetRateTable(
        zone_id=theirs.germany, basis="weight", bands=bands(("0", None, "1.11"))))
    assert read(other.engine, guest(other), quote, request([("LIGHT", 1)]))[0].cost == Decimal("1.11")
    assert read(tenant.engine, guest(tenant), quote, request([("LIGHT", 1)]))[0].cost == Decimal("4.90")
    with pytest.raises(NotFound):  # the other tenant's SKU id is unknown here
        read(tenant.engine, guest(tenant), quote, QuoteRequest(
            destination={"country": "DE"}, lines=[(theirs.skus["LIGHT"], 1)], order_value=Decimal(1),
            currency="EUR"))
    bare = new_tenant(tenant.engine)
    with pytest.raises(Conflict):  # no warehouse, nothing to ship from
        read(tenant.engine, guest(bare), quote, request([("LIGHT", 1)]))


def test_config_accepts_item_count_tables_in_whole_items(tenant: TenantCtx) -> None:
    s = configure(tenant)
    with pytest.raises(ValidationFailed):
        perform(tenant.engine, tenant.actor, config.set_rate_table, s.express, config.SetRateTable(
            zone_id=s.germany, basis="item_count", bands=bands(("0.5", "2", "1"))))
    with pytest.raises(Exception):  # noqa: B017, PT011 - pydantic refuses a negative transit time
        config.MethodIn(carrier="dhl", code="X", name="X", currency="EUR", transit_days=-1)

"""Price lists through the services and the JSON API: tiers, validity, priority, lookup, bad input, permissions."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from stockyard.catalog import pricing
from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound, PermissionDenied
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import perform, read
from stockyard.identity.services import actor_for_user
from stockyard.sales import channels
from tests.conftest import Api, TenantCtx, new_tenant


def setup_catalog(ctx: TenantCtx) -> None:
    for code in ("BRK-1", "BRK-2"):
        perform(ctx.engine, ctx.actor, create_product, CreateProduct(name=code, skus=[{"code": code}]))
    for code, currency in (("WEB", "EUR"), ("B2B", "EUR")):
        perform(ctx.engine, ctx.actor, channels.create_channel,
                channels.ChannelIn(code=code, name=code, kind="storefront", currency=currency))


def new_list(ctx: TenantCtx, name: str, **kw: Any) -> int:
    return perform(ctx.engine, ctx.actor, pricing.create_price_list,
                   pricing.PriceListIn(name=name, channel=kw.pop("channel", "WEB"), **kw))


def set_tiers(ctx: TenantCtx, list_id: int, sku: str, tiers: dict[int, str]) -> None:
    perform(ctx.engine, ctx.actor, pricing.set_sku_prices, list_id, pricing.SetSkuPrices(
        sku=sku, tiers=[{"min_quantity": q, "unit_price": p} for q, p in tiers.items()]))


def events(ctx: TenantCtx, prefix: str) -> list[OutboxEvent]:
    with ctx.uow() as uow:
        return list(uow.session.execute(select(OutboxEvent).where(OutboxEvent.tenant_id == ctx.tenant_id,
                                                                  OutboxEvent.type.startswith(prefix))
                                        .order_by(OutboxEvent.id)).scalars())


@pytest.fixture
def shop(tenant: TenantCtx) -> TenantCtx:
    setup_catalog(tenant)
    return tenant


def price(ctx: TenantCtx, quantity: int, sku: str = "BRK-1", channel: str = "WEB", day: date | None = None) -> str:
    return read(ctx.engine, ctx.actor, pricing.lookup_price, sku, channel, quantity, None, day)["unit_price"]


def test_quantity_tiers_and_priority_decide_the_unit_price(shop: TenantCtx) -> None:
    retail = new_list(shop, "Retail", priority=0)
    set_tiers(shop, retail, "BRK-1", {1: "20.00", 10: "18.50", 50: "17"})
    assert [price(shop, q) for q in (1, 9, 10, 49, 50, 500)] == ["20.0000", "20.0000", "18.5000", "18.5000",
                                                                   "17.0000", "17.0000"]
    today = utcnow().date()
    promo = new_list(shop, "Spring promo", priority=10, valid_from=today - timedelta(days=1),
                     valid_to=today + timedelta(days=1))
    set_tiers(shop, promo, "BRK-1", {5: "15.00"})
    # The promotion outranks retail once its tier applies; below 5 units retail still prices the line.
    assert price(shop, 4) == "20.0000"
    assert price(shop, 5) == "15.0000"
    # Outside the promotion's dates retail applies again.
    assert price(shop, 5, day=today + timedelta(days=2)) == "20.0000"
    assert price(shop, 10, day=today + timedelta(days=2)) == "18.5000"
    found = read(shop.engine, shop.actor, pricing.lookup_price, "BRK-1", "WEB", 7)
    assert found["price_list"]["name"] == "Spring promo" and found["line_total"] == "105.00"
    assert found["currency"] == "EUR"


def test_no_applicable_price_is_a_clear_not_found(shop: TenantCtx) -> None:
    retail = new_list(shop, "Retail")
    set_tiers(shop, retail, "BRK-1", {1: "20"})
    for sku, channel in (("BRK-2", "WEB"), ("BRK-1", "B2B")):
        with pytest.raises(NotFound) as error:
            price(shop, 1, sku=sku, channel=channel)
        assert error.value.field == "sku"
    with pytest.raises(NotFound) as error:
        price(shop, 1, channel="NOPE")
    assert error.value.field == "channel"


def test_replacing_tiers_writes_an_event_with_before_and_after(shop: TenantCtx) -> None:
    retail = new_list(shop, "Retail")
    set_tiers(shop, retail, "BRK-1", {1: "20"})
    set_tiers(shop, retail, "BRK-1", {1: "19.99", 10: "18"})
    last = events(shop, "price_list.prices_set")[-1]
    assert last.payload["before"] == [{"min_quantity": 1, "unit_price": "20.0000"}]
    assert last.payload["after"] == [{"min_quantity": 1, "unit_price": "19.9900"},
                                     {"min_quantity": 10, "unit_price": "18.0000"}]
    perform(shop.engine, shop.actor, pricing.update_price_list, retail,
            pricing.PriceListIn(name="Retail 2027", channel="WEB", priority=3))
    updated = events(shop, "price_list.updated")[-1].payload
    assert updated["before"]["name"] == "Retail" and updated["after"]["name"] == "Retail 2027"
    assert updated["after"]["priority"] == 3


# ---- the JSON API -----------------------------------------------------------------------------------------------

def test_api_creates_lists_sets_prices_and_looks_them_up(shop: TenantCtx, api: Api) -> None:
    created = api.post("/api/v1/price-lists", {"name": "Trade", "channel": "B2B", "priority": 2})
    assert created.status_code == 201, created.text
    list_id = created.json()["id"]
    response = api.put(f"/api/v1/price-lists/{list_id}/prices",
                       {"sku": "BRK-2", "tiers": [{"min_quantity": 1, "unit_price": "9.99"},
                                                  {"min_quantity": 100, "unit_price": "8.10"}]})
    assert response.status_code == 200, response.text
    assert response.json()["tiers"][1] == {"min_quantity": 100, "unit_price": "8.1000"}
    found = api.get("/api/v1/prices", params={"sku": "BRK-2", "channel": "B2B", "quantity": "120"})
    assert found.status_code == 200, found.text
    assert found.json()["unit_price"] == "8.1000" and found.json()["line_total"] == "972.00"
    detail = api.get(f"/api/v1/price-lists/{list_id}").json()
    assert detail["channel"] == "B2B" and detail["prices"]["items"][0]["sku"] == "BRK-2"
    listed = api.get("/api/v1/price-lists", params={"q": "tra"}).json()
    assert [(i["name"], i["sku_count"]) for i in listed["items"]] == [("Trade", 1)]
    assert api.client.delete(f"/api/v1/price-lists/{list_id}", headers=api.headers).status_code == 204
    assert api.get("/api/v1/prices", params={"sku": "BRK-2", "channel": "B2B"}).status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "X", "channel": "WEB", "valid_from": "2026-05-02", "valid_to": "2026-05-01"}, "valid_to"),
    ({"name": "X", "channel": "WEB", "currency": "EUROS"}, "currency"),
    ({"name": "X", "channel": "WEB", "currency": "XYZ"}, "currency"),
    ({"name": "X", "channel": "MARS"}, "channel"),
    ({"name": "", "channel": "WEB"}, "name"),
])
def test_api_refuses_bad_price_lists_naming_the_field(shop: TenantCtx, api: Api, body: dict[str, Any],
                                                      field: str) -> None:
    response = api.post("/api/v1/price-lists", body)
    assert 400 <= response.status_code < 500
    assert field in response.text
    assert api.get("/api/v1/price-lists").json()["total"] == 0


@pytest.mark.parametrize(("tiers", "field"), [
    ([{"min_quantity": 1, "unit_price": "-1"}], "tiers[0].unit_price"),
    ([{"min_quantity": 1, "unit_price": "5"}, {"min_quantity": 1, "unit_price": "4"}], "tiers[1].min_quantity"),
    ([{"min_quantity": 0, "unit_price": "5"}], "min_quantity"),
    ([{"min_quantity": 1, "unit_price": "abc"}], "unit_price"),
])
def test_api_refuses_bad_tiers_and_keeps_the_old_ones(shop: TenantCtx, api: Api, tiers: list[dict[str, Any]],
                                                      field: str) -> None:
    list_id = new_list(shop, "Retail")
    set_tiers(shop, list_id, "BRK-1", {1: "20"})
    response = api.put(f"/api/v1/price-lists/{list_id}/prices", {"sku": "BRK-1", "tiers": tiers})
    assert response.status_code == 422, response.text
    assert field in response.text
    assert read(shop.engine, shop.actor, pricing.sku_tiers, list_id, "BRK-1") == [
        {"min_quantity": 1, "unit_price": "20.0000"}]


def test_roles_without_pricing_edit_are_refused_but_can_look_up(shop: TenantCtx, client: Any) -> None:
    list_id = new_list(shop, "Retail")
    set_tiers(shop, list_id, "BRK-1", {1: "20"})
    for role in ("read_only", "sales", "warehouse_operator"):
        _, key = shop.user(role)
        headers = {"Authorization": f"Bearer {key}"}
        assert client.post("/api/v1/price-lists", json={"name": "Mine", "channel": "WEB"},
                           headers=headers).status_code == 403
        assert client.put(f"/api/v1/price-lists/{list_id}/prices", json={"sku": "BRK-1", "tiers": []},
                          headers=headers).status_code == 403
        found = client.get("/api/v1/prices", params={"sku": "BRK-1", "channel": "WEB"}, headers=headers)
        assert found.status_code == 200 and found.json()["unit_price"] == "20.0000"
    assert price(shop, 1) == "20.0000"
    user_id, _ = shop.user("read_only")
    with pytest.raises(PermissionDenied):
        perform(shop.engine, actor_for_user(shop.engine, user_id), pricing.delete_price_list, list_id)
    assert price(shop, 1) == "20.0000"


def test_another_tenant_sees_no_price_list_and_no_price(shop: TenantCtx, client: Any) -> None:
    list_id = new_list(shop, "Retail")
    set_tiers(shop, list_id, "BRK-1", {1: "20"})
    other = new_tenant(shop.engine)
    setup_catalog(other)
    _, key = other.user("owner")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/price-lists", headers=headers).json()["total"] == 0
    assert client.get(f"/api/v1/price-lists/{list_id}", headers=headers).status_code == 404
    assert client.put(f"/api/v1/price-lists/{list_id}/prices", json={"sku": "BRK-1", "tiers": []},
                      headers=headers).status_code == 404
    assert client.get("/api/v1/prices", params={"sku": "BRK-1", "channel": "WEB"}, headers=headers).status_code == 404
    assert price(shop, 1) == "20.0000"


def test_price_amounts_keep_decimal_precision(shop: TenantCtx) -> None:
    list_id = new_list(shop, "Retail")
    set_tiers(shop, list_id, "BRK-1", {1: "0.3333"})
    found = read(shop.engine, shop.actor, pricing.lookup_price, "BRK-1", "WEB", 3)
    assert Decimal(found["unit_price"]) == Decimal("0.3333") and found["line_total"] == "1.00"

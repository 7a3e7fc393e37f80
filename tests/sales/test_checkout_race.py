"""Two customers race for the last unit through the headless storefront API, each with their own HTTP client, on
PostgreSQL: exactly one order is placed; the other buyer gets a clear "no longer available" and is offered the
in-stock equivalent. One cart placed twice at the same moment gives one order."""

import threading
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from stockyard.catalog.relations import add_equivalent
from stockyard.core.uow import perform
from stockyard.inventory.refs import resolve_sku
from stockyard.inventory.verify import verify_levels
from stockyard.sales.models import Order
from tests.conftest import TenantCtx
from tests.sales.shop_setup import Shop, build_shop

API = "/api/v1/storefront"


@pytest.fixture
def race_shop(engine: Engine, tenant: TenantCtx) -> Shop:
    if engine.dialect.name != "postgresql":
        pytest.skip("the race runs on PostgreSQL, with real concurrent connections")
    shop = build_shop(tenant, stock={"SKU-001": 5, "SKU-002": 1})
    sku_id = perform(tenant.engine, tenant.actor, lambda uow: resolve_sku(uow, "SKU-002").id)
    perform(tenant.engine, tenant.actor, add_equivalent, sku_id, "SKU-001")
    return shop


def buy(client: TestClient, shop: Shop, start: threading.Barrier) -> tuple[int, dict[str, Any]]:
    headers = {"Host": shop.domain}
    start.wait()
    added = client.post(f"{API}/carts", json={"sku": "SKU-002", "quantity": 1}, headers=headers)
    if added.status_code != 201:
        return added.status_code, added.json()
    token = added.json()["token"]
    address = shop.address().model_dump()
    options = client.post(f"{API}/carts/{token}/shipping-options", json=address, headers=headers).json()
    placed = client.post(f"{API}/carts/{token}/orders", headers=headers, json={
        "idempotency_key": uuid.uuid4().hex, "email": f"{uuid.uuid4().hex[:6]}@example.com",
        "shipping_address": address, "shipping_method_id": options[0]["method_id"],
        "payment_method_id": shop.card_method_id, "card": shop.card()})
    return placed.status_code, placed.json()


def test_two_buyers_one_unit_one_order_and_the_loser_is_offered_the_equivalent(race_shop: Shop,
                                                                               client: TestClient) -> None:
    results: list[tuple[int, dict[str, Any]]] = []
    start = threading.Barrier(2)
    clients = [TestClient(client.app), TestClient(client.app)]

    def run(c: TestClient) -> None:
        results.append(buy(c, race_shop, start))

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 409], results
    refusal = next(body for status, body in results if status == 409)["error"]
    assert "SKU-002 is no longer available" in refusal["message"]
    assert [e["sku"] for e in refusal["details"]["equivalents"]] == ["SKU-001"]
    won = next(body for status, body in results if status == 201)
    assert won["status"] == "allocated"
    assert orders_of(race_shop) == [won["number"]]
    assert verify_levels(race_shop.ctx.engine, race_shop.ctx.tenant_id) == []


def orders_of(shop: Shop) -> list[str]:
    with shop.ctx.uow() as uow:
        return list(uow.conn.execute(select(Order.number).where(Order.tenant_id == shop.ctx.tenant_id)).scalars())


def place_twice_at_once(client: TestClient, shop: Shop, keys: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """One cart, placed by two requests at the same moment (a double click, two tabs)."""
    headers = {"Host": shop.domain}
    token = client.post(f"{API}/carts", json={"sku": "SKU-001", "quantity": 2}, headers=headers).json()["token"]
    address = shop.address().model_dump()
    method = client.post(f"{API}/carts/{token}/shipping-options", json=address, headers=headers).json()[0]
    start = threading.Barrier(2)
    results: list[tuple[int, dict[str, Any]]] = []

    def run(c: TestClient, key: str) -> None:
        start.wait()
        r = c.post(f"{API}/carts/{token}/orders", headers=headers, json={
            "idempotency_key": key, "email": "twice@example.com", "shipping_address": address,
            "shipping_method_id": method["method_id"], "payment_method_id": shop.card_method_id,
            "card": shop.card()})
        results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=run, args=(TestClient(client.app), key)) for key in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_the_same_place_order_sent_twice_at_once_places_one_order(race_shop: Shop, client: TestClient) -> None:
    key = uuid.uuid4().hex
    results = place_twice_at_once(client, race_shop, [key, key])
    # The twin either gets the same order back, or, while the first still waits for the payment provider, is told
    # the order is being placed (as payment providers answer a concurrent request with the same idempotency key).
    placed = {body["number"] for status, body in results if status == 201}
    waiting = [body["error"]["message"] for status, body in results if status == 409]
    assert placed == set(orders_of(race_shop)) and len(placed) == 1, results
    assert all("is being placed" in message for message in waiting) and len(waiting) <= 1, results
    assert verify_levels(race_shop.ctx.engine, race_shop.ctx.tenant_id) == []


def test_one_cart_placed_twice_with_two_keys_gives_one_order(race_shop: Shop, client: TestClient) -> None:
    results = place_twice_at_once(client, race_shop, [uuid.uuid4().hex, uuid.uuid4().hex])
    assert sorted(status for status, _ in results) == [201, 409], results
    assert len(orders_of(race_shop)) == 1
    assert verify_levels(race_shop.ctx.engine, race_shop.ctx.tenant_id) == []

"""Regression guards on the storefront checkout: adding to a new cart through the headless API runs at most
ADD_TO_CART_BUDGET SQL statements (BEGIN/COMMIT excluded), counted on the engine as bench/checkout.py counts them;
a quote at most 3 and placing the order with its payment at most PLACE_ORDER_BUDGET. Counting statements is
deterministic, unlike timing. The cart it answers with must be the cart a re-read shows."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from tests.conftest import TenantCtx
from tests.sales.shop_setup import Shop, build_shop

API = "/api/v1/storefront"
# shop and item in one read, price tiers, cart, stock candidates, the conditional UPDATE, reservation, its line,
# outbox + audit in one statement, cart line; PostgreSQL adds SAVEPOINT and RELEASE around the UPDATE (the row lock
# of a lost race must be let go, see inventory/reservations._claim).
ADD_TO_CART_BUDGET = {"sqlite": 9, "postgresql": 11}


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


@pytest.fixture
def buyer(client: TestClient) -> TestClient:
    """A buyer of its own: no cookie of a staff session that another test left on the shared client."""
    return TestClient(client.app)


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def checkout(client: TestClient, shop: Shop, token: str) -> dict[str, Any]:
    headers = {"Host": shop.domain}
    address = shop.address().model_dump()
    options = client.post(f"{API}/carts/{token}/shipping-options", json=address, headers=headers)
    assert options.status_code == 200 and options.json()
    placed = client.post(f"{API}/carts/{token}/orders", headers=headers, json={
        "idempotency_key": uuid.uuid4().hex, "email": "budget@example.com", "shipping_address": address,
        "shipping_method_id": options.json()[0]["method_id"], "payment_method_id": shop.card_method_id,
        "card": shop.card()})
    assert placed.status_code == 201, placed.text
    return placed.json()


def test_adding_to_a_new_cart_stays_within_its_statement_budget(shop: Shop, buyer: TestClient) -> None:
    client = buyer
    headers = {"Host": shop.domain}
    # A first checkout fills the per-process caches (the shop resolved from the Host), as in a running server.
    warm = client.post(f"{API}/carts", json={"sku": "SKU-002", "quantity": 1}, headers=headers)
    assert warm.status_code == 201
    checkout(client, shop, warm.json()["token"])

    with counting(shop.ctx.engine) as statements:
        added = client.post(f"{API}/carts", json={"sku": "SKU-001", "quantity": 2}, headers=headers)
    assert added.status_code == 201, added.text
    assert len(statements) <= ADD_TO_CART_BUDGET[shop.ctx.engine.dialect.name], "\n".join(statements)

    cart = added.json()
    [line] = cart["lines"]
    assert (line["code"], line["quantity"], Decimal(line["unit_price"]), Decimal(line["line_total"]),
            line["held"]) == ("SKU-001", 2, Decimal("10.00"), Decimal("20.00"), True)
    assert Decimal(cart["subtotal"]) == Decimal("20.00") and (cart["state"], cart["currency"]) == ("open", "EUR")
    assert 0 < cart["hold_seconds_left"] <= 15 * 60

    # The answer built from what was written is what the cart shows when read back.
    again = client.get(f"{API}/carts/{cart['token']}", headers=headers).json()
    for body in (cart, again):
        body.pop("hold_seconds_left")
        for row in body["lines"]:
            row.pop("hold_seconds_left")
    assert again == cart
    # The hold is real: the other 3 units can be held by another buyer, a 4th cannot.
    assert client.post(f"{API}/carts", json={"sku": "SKU-001", "quantity": 3}, headers=headers).status_code == 201
    assert client.post(f"{API}/carts", json={"sku": "SKU-001", "quantity": 1}, headers=headers).status_code == 409
    assert checkout(client, shop, cart["token"])["status"] == "allocated"


# The cart and the channel with the payment method, the lines with their holds and sizes, the price tiers, the
# claim; the test gateway's own booking (the simulated provider's); closing the cart, the order number, the order,
# its lines, its payment and log, the holds' warehouses, holds → the order's, the lines' progress, allocations, the
# status, the timeline, the outbox. (The confirmation mail is no longer sent after the response: a consumer of
# order.placed.v1 sends it off the web process.)
PLACE_ORDER_BUDGET = 18


def test_placing_an_order_stays_within_its_statement_budget(shop: Shop, buyer: TestClient) -> None:
    client = buyer
    headers = {"Host": shop.domain}
    warm = client.post(f"{API}/carts", json={"sku": "SKU-002", "quantity": 1}, headers=headers)
    checkout(client, shop, warm.json()["token"])
    token = client.post(f"{API}/carts", json={"sku": "SKU-001", "quantity": 2}, headers=headers).json()["token"]
    address = shop.address().model_dump()
    with counting(shop.ctx.engine) as quoting:
        options = client.post(f"{API}/carts/{token}/shipping-options", json=address, headers=headers).json()
    assert len(quoting) <= 3, "\n".join(quoting)
    with counting(shop.ctx.engine) as placing:
        placed = client.post(f"{API}/carts/{token}/orders", headers=headers, json={
            "idempotency_key": uuid.uuid4().hex, "email": "budget@example.com", "shipping_address": address,
            "shipping_method_id": options[0]["method_id"], "payment_method_id": shop.card_method_id,
            "card": shop.card()})
    assert placed.status_code == 201 and placed.json()["status"] == "allocated", placed.text
    assert len(placing) <= PLACE_ORDER_BUDGET, "\n".join(placing)

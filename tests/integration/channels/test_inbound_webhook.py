"""The order webhook of a connected site, on both backends: the platform's signature is checked (a forged, missing
or stale one gets 401 and changes nothing), the order becomes one of ours (priced as the site charged, allocated,
its stock reserved), a replay creates nothing and names the order, bad lines are refused naming the line, and a
connection acts in its own tenant only."""

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from stockyard.core.crypto import encrypt_secret
from stockyard.core.errors import Conflict
from stockyard.core.uow import perform
from stockyard.integration.channels.adapters.orders import order_adapter
from stockyard.integration.channels.connections import deactivate_connection, rotate_webhook_secret
from stockyard.integration.channels.inbound import receive_channel_order
from stockyard.integration.channels.models import ChannelConnection
from stockyard.sales.models import Order
from tests.conftest import TenantCtx, new_tenant
from tests.integration.channels.support import Site, connect, count, counts, fixture
from tests.sales.order_fixtures import atp, detail
from tests.sales.shop_setup import build_shop

PAYLOADS = {"shopify": "shopify_order.json", "woocommerce": "woocommerce_order.json", "generic": "generic_order.json"}


@pytest.mark.parametrize("adapter", ["shopify", "woocommerce", "generic"])
def test_a_signed_order_is_allocated_and_reserves_stock(tenant: TenantCtx, client: TestClient, adapter: str) -> None:
    shop = build_shop(tenant)
    site = connect(shop, adapter)
    before = {sku: atp(shop, sku) for sku in ("SKU-001", "SKU-002")}
    payload = fixture(PAYLOADS[adapter])
    response = site.post(client, payload)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "allocated" and body["backordered"] == 0
    order = detail(shop, body["number"])
    assert order.source == "channel" and order.status == "allocated"
    ordered = {line.sku_code: line.quantity for line in order.lines}
    assert {sku: before[sku] - atp(shop, sku) for sku in before} == {
        sku: ordered.get(sku, 0) for sku in before}
    assert all(a.state == "allocated" for a in order.allocations)
    assert order.shipping_method == "DHL Standard"


def test_the_shopify_order_keeps_the_prices_the_site_charged(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "shopify")
    body = site.post(client, fixture("shopify_order.json")).json()
    order = detail(shop, body["number"])
    # 2 × 10.00 less a 2.00 discount on the site, not our list price of 10.00 each.
    assert [(line.sku_code, line.quantity, str(line.line_total)) for line in order.lines] == [
        ("SKU-001", 2, "18.0000"), ("SKU-002", 1, "25.0000")]
    assert (str(order.subtotal), str(order.shipping_total), str(order.grand_total)) == ("43.0000", "4.9000",
                                                                                         "47.9000")
    assert order.email == "ada.buyer@example.com"
    notes = [e.note for e in order.timeline]
    assert notes[0].startswith("order #1001 received from shopify store (webhook)")
    assert "note from the site: Please ring twice" in notes
    assert not any("differs" in n for n in notes)


def test_woocommerce_net_amounts_become_the_channels_gross_prices(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)  # the channel's prices include 19 % tax
    site = connect(shop, "woocommerce")
    order = detail(shop, site.post(client, fixture("woocommerce_order.json")).json()["number"])
    assert [(line.sku_code, str(line.unit_price)) for line in order.lines] == [("SKU-001", "10.0000"),
                                                                             ("SKU-002", "20.0000")]
    assert str(order.grand_total) == "34.9000"


def test_a_pending_payment_waits_with_its_stock_allocated(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "shopify")
    response = site.post(client, {**fixture("shopify_order.json"), "financial_status": "pending"})
    assert response.status_code == 201
    assert response.json()["status"] == "awaiting_payment"
    assert atp(shop, "SKU-001") == 3


@pytest.mark.parametrize("adapter", ["shopify", "woocommerce", "generic"])
def test_a_forged_signature_is_refused_and_changes_nothing(tenant: TenantCtx, client: TestClient,
                                                           adapter: str) -> None:
    shop = build_shop(tenant)
    site = connect(shop, adapter)
    before = counts(shop)
    response = site.post(client, fixture(PAYLOADS[adapter]), secret="not-the-secret")
    assert response.status_code == 401
    assert "signature" in response.json()["error"]["message"]
    assert counts(shop) == before and atp(shop, "SKU-001") == 5


@pytest.mark.parametrize("adapter", ["shopify", "woocommerce", "generic"])
def test_a_missing_signature_is_refused(tenant: TenantCtx, client: TestClient, adapter: str) -> None:
    shop = build_shop(tenant)
    site = connect(shop, adapter)
    response = client.post(f"/api/v1/channels/{site.connection_id}/orders", json=fixture(PAYLOADS[adapter]))
    assert response.status_code == 401 and "missing" in response.json()["error"]["message"]
    assert count(shop, Order) == 0


def test_a_tampered_body_fails_the_signature(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "shopify")
    body = json.dumps(fixture("shopify_order.json")).encode()
    headers = order_adapter("shopify").sign(body, site.secret)
    tampered = body.replace(b'"quantity": 2', b'"quantity": 1')
    response = client.post(f"/api/v1/channels/{site.connection_id}/orders", content=tampered, headers=headers)
    assert response.status_code == 401 and count(shop, Order) == 0


def test_a_generic_signature_older_than_five_minutes_is_refused(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    response = site.post(client, fixture("generic_order.json"), now=time.time() - 301)
    assert response.status_code == 401 and "5 minutes" in response.json()["error"]["message"]
    assert site.post(client, fixture("generic_order.json"), now=time.time() - 200).status_code == 201


def test_a_replayed_webhook_creates_nothing_and_names_the_order(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "shopify")
    first = site.post(client, fixture("shopify_order.json"))
    assert first.status_code == 201
    before, stock = counts(shop), atp(shop, "SKU-001")
    again = site.post(client, fixture("shopify_order.json"))
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["field"] == "external_id" and first.json()["number"] in error["message"]
    assert error["details"] == {"order_id": first.json()["order_id"], "number": first.json()["number"]}
    assert counts(shop) == before and atp(shop, "SKU-001") == stock


def test_a_deactivated_connection_is_refused(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    perform(shop.ctx.engine, shop.ctx.actor, deactivate_connection, site.connection_id)
    response = site.post(client, fixture("generic_order.json"))
    assert response.status_code == 403 and "deactivated" in response.json()["error"]["message"]
    assert count(shop, Order) == 0


def test_a_rotated_secret_replaces_the_old_one(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "woocommerce")
    new_secret = perform(shop.ctx.engine, shop.ctx.actor, rotate_webhook_secret, site.connection_id)
    assert site.post(client, fixture("woocommerce_order.json")).status_code == 401
    assert site.post(client, fixture("woocommerce_order.json"), secret=new_secret).status_code == 201


def test_an_unknown_sku_is_refused_naming_the_line_and_nothing_changes(tenant: TenantCtx,
                                                                      client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "shopify")
    payload = fixture("shopify_order.json")
    payload["line_items"][1]["sku"] = "NO-SUCH-SKU"
    before = counts(shop)
    response = site.post(client, payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "lines[1].sku" and "NO-SUCH-SKU" in error["message"]
    assert counts(shop) == before and atp(shop, "SKU-001") == 5


@pytest.mark.parametrize("quantity", [0, -2, "two", 10_000])
def test_a_bad_quantity_is_refused_naming_the_line(tenant: TenantCtx, client: TestClient,
                                                   quantity: object) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    payload = fixture("generic_order.json")
    payload["lines"].append({"sku": "SKU-002", "quantity": quantity, "unit_price": "20.00"})
    response = site.post(client, payload)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "lines[1].quantity"
    assert counts(shop) == (0, 0, 0, 0)


def test_a_refunded_order_is_not_taken_in(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "woocommerce")
    response = site.post(client, {**fixture("woocommerce_order.json"), "status": "refunded"})
    assert response.status_code == 422 and response.json()["error"]["field"] == "status"


def test_a_connection_creates_orders_in_its_own_tenant_only(engine: Engine, client: TestClient) -> None:
    shop_a, shop_b = build_shop(new_tenant(engine)), build_shop(new_tenant(engine))
    site_a, site_b = connect(shop_a, "generic"), connect(shop_b, "generic")
    # A's secret does not open B's connection.
    forged = Site(shop_a, site_b.connection_id, site_a.secret, "generic").post(client, fixture("generic_order.json"))
    assert forged.status_code == 401
    # A's order lands in A, whatever SKUs B has.
    assert site_a.post(client, fixture("generic_order.json")).status_code == 201
    assert (count(shop_a, Order), count(shop_b, Order)) == (1, 0)
    assert atp(shop_b, "SKU-001") == 5
    # The same external id on B's connection is B's own first order, not a replay of A's.
    assert site_b.post(client, fixture("generic_order.json")).status_code == 201
    assert (count(shop_a, Order), count(shop_b, Order)) == (1, 1)


def test_the_site_reporting_the_payment_moves_the_waiting_order_on(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "woocommerce")
    placed = site.post(client, {**fixture("woocommerce_order.json"), "status": "on-hold"}).json()
    assert placed["status"] == "awaiting_payment"
    paid = site.post(client, fixture("woocommerce_order.json"))  # order.updated: now processing
    assert paid.status_code == 200
    assert paid.json()["updated"] is True and paid.json()["status"] == "allocated"
    order = detail(shop, placed["number"])
    assert order.status == "allocated" and any("paid on the site" in e.note for e in order.timeline)
    assert count(shop, Order) == 1 and atp(shop, "SKU-001") == 4
    assert site.post(client, fixture("woocommerce_order.json")).status_code == 409


def test_two_deliveries_of_the_same_order_at_once_make_one_order(tenant: TenantCtx) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "shopify")
    body = json.dumps(fixture("shopify_order.json")).encode()
    headers = order_adapter("shopify").sign(body, site.secret)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def deliver() -> None:
        barrier.wait()
        try:
            receive_channel_order(shop.ctx.engine, site.connection_id, headers, body)
            outcomes.append("created")
        except Conflict as error:
            outcomes.append(f"conflict:{error.field}")

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict:external_id", "created"]
    assert count(shop, Order) == 1 and atp(shop, "SKU-001") == 3


def test_a_secret_stored_under_another_key_is_refused_not_crashed(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    table = ChannelConnection.__table__
    with shop.ctx.uow() as uow:
        uow.conn.execute(update(table).where(table.c.id == site.connection_id).values(
            webhook_secret=encrypt_secret(site.secret, secret_key="an-old-key")))
    response = site.post(client, fixture("generic_order.json"))
    assert response.status_code == 401 and "rotate" in response.json()["error"]["message"]
    assert count(shop, Order) == 0

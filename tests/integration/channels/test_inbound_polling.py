"""Polling connected sites for orders, on both backends, against a loopback HTTP server started by the test that
answers as the generic contract, Shopify's and WooCommerce's REST APIs describe: the orders become ours once, the
cursor moves on, an order already received (by webhook or an earlier poll) is a duplicate, a site that cannot be
reached changes nothing but the connection's last error, and the job polls only active connections with polling
on."""

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from stockyard.integration.channels.models import ChannelConnection
from stockyard.integration.channels.polling import poll_channel_orders_everywhere, poll_connection
from stockyard.sales.models import Order
from tests.conftest import TenantCtx
from tests.integration.channels.support import connect, count, fixture
from tests.sales.order_fixtures import atp
from tests.sales.shop_setup import Shop, build_shop

TOKEN = "site-token-123"


class FakeSite:
    """An external store's order API on 127.0.0.1: orders are added by the test, filtered by the cursor."""

    def __init__(self) -> None:
        self.orders: dict[str, list[dict[str, Any]]] = {"generic": [], "shopify": [], "woocommerce": []}
        self.requests: list[tuple[str, dict[str, list[str]], str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                query = parse_qs(url.query)
                auth = self.headers.get("Authorization") or self.headers.get("X-Shopify-Access-Token") or ""
                site.requests.append((url.path, query, auth))
                body = site.answer(url.path, query, auth)
                if body is None:
                    self.send_response(401)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, query: dict[str, list[str]], auth: str) -> Any:
        if path == "/orders" and auth == f"Bearer {TOKEN}":
            since = query.get("updated_since", [""])[0]
            return {"orders": [o for o in self.orders["generic"] if o["updated_at"] >= since], "has_more": False}
        if path == "/admin/api/2024-01/orders.json" and auth == TOKEN:
            since = query.get("updated_at_min", [""])[0]
            return {"orders": [o for o in self.orders["shopify"] if o["updated_at"] >= since]}
        basic = "Basic " + base64.b64encode(TOKEN.encode()).decode()
        if path == "/wp-json/wc/v3/orders" and auth == basic:
            since = query.get("modified_after", [""])[0]
            return [o for o in self.orders["woocommerce"] if o["date_modified_gmt"] > since]
        return None


@pytest.fixture
def fake_site() -> Iterator[FakeSite]:
    site = FakeSite()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


def _generic(order_id: str, updated_at: str, sku: str = "SKU-001") -> dict[str, Any]:
    payload = fixture("generic_order.json")
    payload.update(id=order_id, updated_at=updated_at)
    payload["lines"] = [{"sku": sku, "quantity": 1, "unit_price": "9.50"}]
    return payload


def _cursor(shop: Shop, connection_id: int) -> tuple[str | None, str]:
    table = ChannelConnection.__table__
    with shop.ctx.uow() as uow:
        return tuple(uow.conn.execute(select(table.c.poll_cursor, table.c.last_error).where(
            table.c.id == connection_id)).one())  # type: ignore[return-value]


def test_polling_the_generic_api_takes_each_order_once(tenant: TenantCtx, fake_site: FakeSite) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic", base_url=fake_site.url, poll=True, api_token=TOKEN)
    fake_site.orders["generic"] += [_generic("P-1", "2026-12-04T10:00:00Z"), _generic("P-2", "2026-12-04T10:05:00Z")]
    report = poll_connection(shop.ctx.engine, site.connection_id)
    assert (report.received, report.duplicates, report.error) == (2, 0, "")
    assert count(shop, Order) == 2 and atp(shop, "SKU-001") == 3
    assert _cursor(shop, site.connection_id) == ("2026-12-04T10:05:00Z", "")
    fake_site.orders["generic"].append(_generic("P-3", "2026-12-04T10:09:00Z", sku="SKU-002"))
    again = poll_connection(shop.ctx.engine, site.connection_id)
    # The server answers from the cursor on (inclusive): P-2 again, deduplicated, and the new P-3.
    assert (again.received, again.duplicates) == (1, 1)
    assert fake_site.requests[-1][1] == {"updated_since": ["2026-12-04T10:05:00Z"]}
    assert count(shop, Order) == 3 and atp(shop, "SKU-002") == 2


def test_polling_shopify_and_woocommerce_apis(tenant: TenantCtx, fake_site: FakeSite) -> None:
    shop = build_shop(tenant)
    shopify = connect(shop, "shopify", base_url=fake_site.url, poll=True, api_token=TOKEN)
    woo = connect(shop, "woocommerce", base_url=fake_site.url + "/", poll=True, api_token=TOKEN)
    fake_site.orders["shopify"].append(fixture("shopify_order.json"))
    fake_site.orders["woocommerce"].append(fixture("woocommerce_order.json"))
    assert poll_connection(shop.ctx.engine, shopify.connection_id).received == 1
    assert poll_connection(shop.ctx.engine, woo.connection_id).received == 1
    paths = [path for path, _, _ in fake_site.requests]
    assert paths == ["/admin/api/2024-01/orders.json", "/wp-json/wc/v3/orders"]
    assert fake_site.requests[0][1]["status"] == ["any"]
    assert _cursor(shop, woo.connection_id)[0] == "2026-12-04T10:00:10"
    assert poll_connection(shop.ctx.engine, woo.connection_id).received == 0
    assert fake_site.requests[-1][1]["modified_after"] == ["2026-12-04T10:00:10"]
    assert count(shop, Order) == 2


def test_an_order_received_by_webhook_is_a_duplicate_when_polled(tenant: TenantCtx, client: TestClient,
                                                                 fake_site: FakeSite) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "shopify", base_url=fake_site.url, poll=True, api_token=TOKEN)
    assert site.post(client, fixture("shopify_order.json")).status_code == 201
    fake_site.orders["shopify"].append(fixture("shopify_order.json"))
    report = poll_connection(shop.ctx.engine, site.connection_id)
    assert (report.received, report.duplicates) == (0, 1)
    assert count(shop, Order) == 1


def test_a_bad_order_is_reported_and_the_others_are_taken(tenant: TenantCtx, fake_site: FakeSite) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic", base_url=fake_site.url, poll=True, api_token=TOKEN)
    fake_site.orders["generic"] += [_generic("P-1", "2026-12-04T10:00:00Z", sku="GONE"),
                                    _generic("P-2", "2026-12-04T10:01:00Z")]
    report = poll_connection(shop.ctx.engine, site.connection_id)
    assert report.received == 1 and report.refused[0][0] == "P-1" and "unknown SKU GONE" in report.refused[0][1]
    assert "order P-1" in _cursor(shop, site.connection_id)[1]


def test_an_unreachable_site_keeps_the_cursor_and_records_the_error(tenant: TenantCtx, fake_site: FakeSite) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic", base_url=fake_site.url, poll=True, api_token="wrong-token")
    report = poll_connection(shop.ctx.engine, site.connection_id)
    assert report.received == 0 and "401" in report.error
    cursor, error = _cursor(shop, site.connection_id)
    assert cursor is None and "fetching orders failed" in error


def test_the_job_polls_active_connections_with_polling_on(tenant: TenantCtx, fake_site: FakeSite) -> None:
    shop = build_shop(tenant)
    polled = connect(shop, "generic", base_url=fake_site.url, poll=True, api_token=TOKEN)
    not_polled = connect(shop, "generic", base_url=fake_site.url + "/other", poll=False, api_token=TOKEN)
    fake_site.orders["generic"].append(_generic("J-1", "2026-12-04T11:00:00Z"))
    poll_channel_orders_everywhere(shop.ctx.engine)
    assert count(shop, Order) == 1
    assert _cursor(shop, polled.connection_id)[0] == "2026-12-04T11:00:00Z"
    assert _cursor(shop, not_polled.connection_id)[0] is None

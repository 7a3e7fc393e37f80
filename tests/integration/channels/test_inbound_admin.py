"""The admin pages of connected sites, signed in through the real login form (SQLite and PostgreSQL): a connection
is made from the form and its webhook secret shown once (and it works), the page shows the webhook URL, the secret
can be rotated and the connection deactivated, a CSV of orders is uploaded with a row report, and the staff order
page offers the marketplace channel a site feeds."""

import html
import re

from fastapi.testclient import TestClient

from stockyard.core.uow import perform
from stockyard.integration.channels.connections import list_connections
from stockyard.sales.channels import ChannelIn, create_channel
from stockyard.sales.models import Order
from tests.conftest import TenantCtx
from tests.integration.channels.support import Site, count, fixture
from tests.sales.shop_setup import build_shop
from tests.web.test_api_csrf import signed_in

SECRET = re.compile(r"shown only this once: ([A-Za-z0-9_\-]+)")


def _flash(browser: TestClient, url: str) -> str:
    return html.unescape(browser.get(url).text)


def test_a_connection_made_in_the_admin_takes_signed_orders(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    browser, csrf = signed_in(client, tenant)
    page = browser.get("/admin/channels/connections/new")
    assert page.status_code == 200 and "WEB · Web shop" in page.text
    response = browser.post("/admin/channels/connections/new", data={
        "csrf_token": csrf, "name": "Ada's Shopify", "channel_id": str(shop.channel_id), "adapter": "shopify",
        "base_url": "https://ada.example/", "api_token": "shpat_123", "active": "on"}, follow_redirects=False)
    assert response.status_code == 303
    text = _flash(browser, response.headers["location"])
    secret = SECRET.search(text)[1]
    [made] = perform(shop.ctx.engine, shop.ctx.actor, list_connections)
    assert made.base_url == "https://ada.example" and made.has_api_token
    assert f"/api/v1/channels/{made.id}/orders" in text and "Shopify-style" in text
    assert secret not in browser.get(response.headers["location"]).text  # shown once
    site = Site(shop, made.id, secret, "shopify")
    assert site.post(client, fixture("shopify_order.json")).status_code == 201
    assert "Ada&#39;s Shopify" in browser.get("/admin/channels/connections").text


def test_rotate_and_deactivate_from_the_page(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    browser, csrf = signed_in(client, tenant)
    created = browser.post("/admin/channels/connections/new", data={
        "csrf_token": csrf, "name": "Woo", "channel_id": str(shop.channel_id), "adapter": "woocommerce",
        "base_url": "https://woo.example", "active": "on"}, follow_redirects=False)
    url = created.headers["location"]
    old = SECRET.search(_flash(browser, url))[1]
    rotated = browser.post(f"{url}/rotate-secret", data={"csrf_token": csrf}, follow_redirects=False)
    new = SECRET.search(_flash(browser, rotated.headers["location"]))[1]
    connection_id = int(url.rsplit("/", 1)[1])
    assert Site(shop, connection_id, old, "woocommerce").post(client, fixture("woocommerce_order.json")).status_code \
        == 401
    browser.post(f"{url}/deactivate", data={"csrf_token": csrf}, follow_redirects=False)
    assert "Deactivated." in browser.get(url).text
    assert Site(shop, connection_id, new, "woocommerce").post(client, fixture("woocommerce_order.json")).status_code \
        == 403
    assert count(shop, Order) == 0


def test_a_bad_form_is_shown_again_with_the_field_named(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    browser, csrf = signed_in(client, tenant)
    response = browser.post("/admin/channels/connections/new", data={
        "csrf_token": csrf, "name": "X", "channel_id": str(shop.channel_id), "adapter": "magento",
        "base_url": "ftp://x"}, follow_redirects=False)
    assert response.status_code == 422
    assert "is not one of generic, shopify, woocommerce" in html.unescape(response.text)


def test_uploading_a_csv_shows_the_row_report(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    browser, csrf = signed_in(client, tenant)
    created = browser.post("/admin/channels/connections/new", data={
        "csrf_token": csrf, "name": "Generic", "channel_id": str(shop.channel_id), "adapter": "generic",
        "base_url": "https://g.example", "active": "on"}, follow_redirects=False)
    url = created.headers["location"]
    csv = ("order_id,email,sku,quantity,unit_price,ship_line1,ship_city,ship_country\n"
           "U-1,u@example.com,SKU-001,1,9.00,Weg 1,Hamburg,DE\n"
           "U-2,v@example.com,SKU-404,1,9.00,Weg 2,Hamburg,DE\n")
    response = browser.post(f"{url}/orders-csv", data={"csrf_token": csrf},
                            files={"file": ("orders.csv", csv.encode(), "text/csv")})
    assert response.status_code == 200
    text = html.unescape(response.text)
    assert "1 of 2 order(s) created; 1 refused" in text and "unknown SKU SKU-404" in text
    assert count(shop, Order) == 1


def test_the_staff_order_page_offers_a_marketplace_channel(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    perform(shop.ctx.engine, shop.ctx.actor, create_channel,
            ChannelIn(code="MKT", name="Marketplace", kind="marketplace", currency="EUR"))
    browser, _ = signed_in(client, tenant)
    assert "MKT · Marketplace" in browser.get("/admin/orders/new").text

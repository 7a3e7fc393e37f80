"""Customer linkage, on both backends: the site's customer id already linked → that customer; else the customer
with the order's e-mail; else a new customer; and the link is recorded, so the next order of the same site
customer finds the customer even under another e-mail."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from stockyard.core.uow import perform
from stockyard.integration.channels.models import ChannelCustomerLink
from stockyard.sales.customers import customer_for_email
from stockyard.sales.models import Customer, Order
from tests.conftest import TenantCtx
from tests.integration.channels.support import connect, count, fixture
from tests.sales.shop_setup import build_shop

_links = ChannelCustomerLink.__table__


def _order(customer_id: str | None, email: str, order_id: str) -> dict:
    payload = fixture("generic_order.json")
    payload["id"] = order_id
    payload["customer"] = {"id": customer_id, "email": email, "name": "Grace Generic"}
    return payload


def _links_of(shop, connection_id: int) -> dict[str, int]:  # noqa: ANN001
    with shop.ctx.uow() as uow:
        return {r.external_customer_id: r.customer_id for r in uow.conn.execute(select(_links).where(
            _links.c.tenant_id == uow.tenant_id, _links.c.connection_id == connection_id))}


def _order_customer(shop, order_id: int) -> int:  # noqa: ANN001
    orders = Order.__table__
    with shop.ctx.uow() as uow:
        return uow.conn.execute(select(orders.c.customer_id).where(orders.c.id == order_id)).scalar_one()


def test_a_new_buyer_becomes_a_customer_and_is_linked(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    body = site.post(client, _order("C-1", "New.Buyer@Example.com", "A-1")).json()
    assert body["customer"]["link"] == "created"
    assert _links_of(shop, site.connection_id) == {"C-1": body["customer"]["id"]}
    customers = Customer.__table__
    with shop.ctx.uow() as uow:
        row = uow.conn.execute(select(customers.c.email, customers.c.name, customers.c.password_hash).where(
            customers.c.id == body["customer"]["id"])).one()
    assert row == ("new.buyer@example.com", "Grace Generic", None)


def test_a_known_email_is_matched_and_linked(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    existing, _ = perform(shop.ctx.engine, shop.ctx.actor, customer_for_email, "known@example.com", "Known")
    site = connect(shop, "generic")
    body = site.post(client, _order("C-2", "KNOWN@example.com", "A-2")).json()
    assert body["customer"] == {"id": existing, "link": "matched"}
    assert _links_of(shop, site.connection_id) == {"C-2": existing}
    assert count(shop, Customer) == 1


def test_a_linked_site_customer_is_found_by_the_link_whatever_the_email(tenant: TenantCtx,
                                                                       client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    first = site.post(client, _order("C-3", "first@example.com", "A-3")).json()
    second = site.post(client, _order("C-3", "changed@example.com", "A-4")).json()
    assert second["customer"] == {"id": first["customer"]["id"], "link": "linked"}
    assert _order_customer(shop, second["order_id"]) == first["customer"]["id"]
    assert count(shop, Customer) == 1


def test_a_guest_checkout_is_matched_by_email_without_a_link(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    first = site.post(client, _order(None, "guest@example.com", "A-5")).json()
    second = site.post(client, _order(None, "guest@example.com", "A-6")).json()
    assert (first["customer"]["link"], second["customer"]["link"]) == ("created", "matched")
    assert first["customer"]["id"] == second["customer"]["id"]
    assert _links_of(shop, site.connection_id) == {}


def test_the_same_site_customer_id_on_two_connections_is_two_links(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    shopify, woo = connect(shop, "shopify"), connect(shop, "woocommerce")
    a = shopify.post(client, fixture("shopify_order.json")).json()
    payload = fixture("woocommerce_order.json")
    payload["customer_id"] = 207119551  # Shopify's customer id of Ada, a different person on the Woo site
    b = woo.post(client, payload).json()
    assert a["customer"]["id"] != b["customer"]["id"]
    assert _links_of(shop, woo.connection_id) == {"207119551": b["customer"]["id"]}

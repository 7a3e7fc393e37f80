"""Status back: shipped (carrier, tracking), invoiced (against the payment the site took) and cancelled reach the
site an order came from, in order, once each; a site that fails is retried after a backoff, and what came after the
failed update waits for it. Refunds are told from their events the same way (checked on the events' payloads)."""

import json
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select, update

from stockyard.core.uow import perform
from stockyard.integration.channels.adapters.generic import GenericAdapter
from stockyard.integration.channels.inbound import take_inbound_order_once
from stockyard.integration.channels.status_back import _claim, push_due_status, status_of
from stockyard.integration.channels.sync_models import ChannelStatusPush
from stockyard.integration.consumers import Event
from stockyard.integration.dispatch import drain
from stockyard.sales import orders
from tests.conftest import TenantCtx
from tests.integration.channels.store_server import Store as LiveStore
from tests.integration.channels.test_channel_end_to_end import connect_store, site_order
from tests.sales.order_fixtures import checkout_order, detail
from tests.sales.shop_setup import build_shop


class Site:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(502, text="bad gateway")
        self.calls.append((request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={})

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def _order_from_site(tenant: TenantCtx, connection_id: int, external_id: str) -> int:
    order = GenericAdapter().parse_order(site_order(external_id, 1))
    return take_inbound_order_once(tenant.engine, tenant.actor, connection_id, order).order_id


def _rows(tenant: TenantCtx) -> list[ChannelStatusPush]:
    with tenant.uow() as uow:
        return list(uow.execute(select(ChannelStatusPush).order_by(ChannelStatusPush.id)).scalars())


def test_shipped_invoiced_and_cancelled_reach_the_site_in_order(tenant: TenantCtx) -> None:
    shop = build_shop(tenant)
    connection_id, _ = connect_store(shop, LiveStore(url="http://store.test"))
    shipped = _order_from_site(tenant, connection_id, "A-1")
    cancelled = _order_from_site(tenant, connection_id, "A-2")
    checkout_order(shop, {"SKU-002": 1})  # a storefront order: nothing goes to the site about it
    e, a = tenant.engine, tenant.actor
    perform(e, a, orders.ship_order, shipped)
    invoice_id = perform(e, a, orders.invoice_order, shipped)  # against the payment the site took
    perform(e, a, orders.cancel_order, cancelled, "customer changed their mind")
    drain(e, tenant_id=tenant.tenant_id)
    drain(e, tenant_id=tenant.tenant_id)  # a redelivery finds every event handled: nothing is queued twice
    site = Site()
    assert push_due_status(e, client=site.client()) == len(_rows(tenant))
    shipment = detail(shop, shipped).shipments[0]
    by_order: dict[str, list[dict[str, Any]]] = {}
    for path, body in site.calls:
        by_order.setdefault(path, []).append(body)
    assert [b["status"] for b in by_order["/orders/A-1/status"]] == ["shipped", "invoiced"]
    assert invoice_id and by_order["/orders/A-1/status"][1]["amount"] == str(detail(shop, shipped).grand_total)
    assert by_order["/orders/A-1/status"][0]["tracking_number"] == shipment.tracking_number
    assert by_order["/orders/A-2/status"][-1] == {"status": "cancelled", "order_number": detail(shop, cancelled).number,
                                                  "reason": "customer changed their mind"}
    assert all(r.state == "sent" for r in _rows(tenant))
    assert push_due_status(e, client=site.client()) == 0


def test_a_failing_site_is_retried_after_a_backoff_and_later_updates_wait(tenant: TenantCtx) -> None:
    shop = build_shop(tenant)
    connection_id, _ = connect_store(shop, LiveStore(url="http://store.test"))
    order_id = _order_from_site(tenant, connection_id, "A-9")
    later = _order_from_site(tenant, connection_id, "A-10")
    e, a = tenant.engine, tenant.actor
    perform(e, a, orders.ship_order, order_id)
    drain(e, tenant_id=tenant.tenant_id)
    site = Site()
    site.down = True
    assert push_due_status(e, client=site.client()) == 0
    perform(e, a, orders.cancel_order, later, "out of stock")
    drain(e, tenant_id=tenant.tenant_id)
    site.down = False
    assert push_due_status(e, client=site.client()) == 0  # the shipment is backing off; what came after waits
    first, *rest = _rows(tenant)
    assert (first.kind, first.state, first.attempts) == ("shipped", "pending", 1) and "HTTP 502" in first.last_error
    assert [(r.kind, r.state) for r in rest][-1] == ("cancelled", "pending")
    with tenant.uow() as uow:
        uow.execute(update(ChannelStatusPush).where(ChannelStatusPush.id == first.id).values(due_at=first.created_at))
    assert push_due_status(e, client=site.client()) == 1 + len(rest)
    assert [body["status"] for _, body in site.calls][0] == "shipped"
    assert [body["status"] for _, body in site.calls][-1] == "cancelled"


def test_invoices_and_refunds_are_told_with_their_figures() -> None:
    now = datetime(2026, 12, 4, tzinfo=UTC)
    invoiced = status_of(Event("e1", 1, "invoice.issued.v1", {"order_id": 3, "number": "INV-7", "grand_total": "15.90",
                                                               "currency": "EUR"}, now))
    assert invoiced == ("invoiced", {"invoice_number": "INV-7", "amount": "15.90", "currency": "EUR"})
    refunded = status_of(Event("e2", 1, "payment.refunded.v1", {"order_id": 3, "amount": "5.00", "currency": "EUR",
                                                                 "reason": "damaged", "state": "partially_refunded"},
                               now))
    assert refunded == ("refunded", {"amount": "5.00", "currency": "EUR", "reason": "damaged",
                                     "fully_refunded": False})


def test_two_workers_never_send_the_same_update_twice(tenant: TenantCtx) -> None:
    shop = build_shop(tenant)
    connection_id, _ = connect_store(shop, LiveStore(url="http://store.test"))
    order_id = _order_from_site(tenant, connection_id, "A-5")
    perform(tenant.engine, tenant.actor, orders.ship_order, order_id)
    drain(tenant.engine, tenant_id=tenant.tenant_id)
    [row] = _rows(tenant)
    now = row.created_at
    assert perform(tenant.engine, tenant.actor, _claim, row.id, row.due_at, now) is True
    assert perform(tenant.engine, tenant.actor, _claim, row.id, row.due_at, now) is False  # the other worker
    site = Site()
    assert push_due_status(tenant.engine, client=site.client()) == 0  # leased: not due until the lease ends
    assert site.calls == []

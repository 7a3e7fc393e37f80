"""Anomaly alerts on both backends: stock written off through the inventory service and five weeks of orders make
the scan raise one alert of each kind, with its reason; scanning again raises nothing new; staff acknowledge or
dismiss an alert once; the page lists the alerts with their reasons and exports them as CSV."""

import csv
import io
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal as D

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from stockyard.analytics import anomalies
from stockyard.analytics import anomaly_domain as ad
from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, PermissionDenied, ValidationFailed
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.identity.domain import permissions_for
from stockyard.inventory import movements
from stockyard.sales.models import Channel, Order, OrderLine
from stockyard.web.jobs import JOBS
from tests.billing.support import ADDRESS
from tests.conftest import TenantCtx
from tests.factories import build_world, receive
from tests.test_permission_matrix import sign_in

UNIT_COST = D("4.00")


def _orders(ctx: TenantCtx, days_ago: int, count: int, cancelled: int, price: D = D("10.00")) -> None:
    """`count` orders of one SKU-001 at `price` placed `days_ago` days ago, the first `cancelled` of them cancelled
    (rows as the sales services would have left them)."""
    placed = datetime.combine(utcnow().date() - timedelta(days=days_ago), time(10, 0))
    with UnitOfWork(ctx.engine, ctx.actor) as uow:
        channel = uow.conn.execute(select(Channel.id).where(Channel.tenant_id == ctx.tenant_id)).scalar()
        if channel is None:
            channel = uow.conn.execute(insert(Channel).values(
                tenant_id=ctx.tenant_id, code="WEB", name="Web shop", kind="storefront", currency="EUR")
                .returning(Channel.id)).scalar_one()
        sku = uow.conn.execute(select(Sku.id).where(Sku.tenant_id == ctx.tenant_id,
                                                              Sku.code == "SKU-001")).scalar_one()
        for n in range(count):
            order = uow.conn.execute(insert(Order).values(
                tenant_id=ctx.tenant_id, number=f"SO-{uuid.uuid4().hex[:10]}", channel_id=channel,
                email="buyer@example.com", status="cancelled" if n < cancelled else "shipped", currency="EUR",
                subtotal=price, grand_total=price, shipping_address=ADDRESS, placed_at=placed,
                prices_include_tax=False).returning(Order.id)).scalar_one()
            uow.conn.execute(insert(OrderLine).values(
                tenant_id=ctx.tenant_id, order_id=order, sku_id=sku, sku_code="SKU-001", name="Part 1", quantity=1,
                unit_price=price, line_total=price))


@pytest.fixture
def shop(tenant: TenantCtx) -> TenantCtx:
    build_world(tenant, skus=1)
    receive(tenant, "SKU-001", "MAIN/A/01", 500, unit_cost=UNIT_COST)
    for quantity in (2, 3, 2, 1, 2, 40):  # the usual write-off is 2 units; then 40 go at once
        perform(tenant.engine, tenant.actor, movements.write_off_stock, movements.WriteOffStock(
            sku="SKU-001", location="MAIN/A/01", quantity=quantity, reason="damaged"))
    for days_ago in range(3, 36):  # five weeks of 10 orders a day at a 60% margin, one in 20 cancelled
        _orders(tenant, days_ago, 10, days_ago % 2)
    _orders(tenant, 2, 10, 0, price=D("5.00"))  # the day before yesterday sold at a 20% margin
    _orders(tenant, 1, 10, 6)  # yesterday 6 of 10 were cancelled
    return tenant


def test_the_scan_raises_one_alert_of_each_kind_once(shop: TenantCtx) -> None:
    assert perform(shop.engine, shop.actor, anomalies.scan_anomalies) == 3
    alerts = read(shop.engine, shop.actor, anomalies.list_alerts).rows
    by_kind = {a.kind: a for a in alerts}
    assert set(by_kind) == {ad.STOCK_MOVEMENT, ad.CANCELLATION_SPIKE, ad.MARGIN_DROP}
    today = utcnow().date()
    move = by_kind[ad.STOCK_MOVEMENT]
    # history 2 3 2 1 2: median 2, MAD 0 → one unit; (40 − 2) / 1 = 38
    assert move.reason == ("Write-off of 40 units of SKU-001 at MAIN is 38.0× the median absolute deviation above "
                           "its usual 2 units (median of the previous 5 write-offs).")
    assert (move.day, move.figures["quantity"], move.subject) == (today, 40, "SKU-001 at MAIN (write-off)")
    spike = by_kind[ad.CANCELLATION_SPIKE]
    # 28 days before yesterday: 280 orders, 14 cancelled = 5%; (0.6 − 0.05) / √(0.05·0.95/10) = 7.98
    assert (spike.day, spike.figures["rate_pct"], spike.figures["baseline_pct"], spike.figures["z"]) == (
        today - timedelta(days=1), 60.0, 5.0, 8.0)
    drop = by_kind[ad.MARGIN_DROP]
    # (5 − 4) / 5 = 20% against (10 − 4) / 10 = 60%
    assert (drop.day, drop.subject, drop.figures["margin_pct"], drop.figures["baseline_pct"]) == (
        today - timedelta(days=2), "channel Web shop", "20.0", "60.0")
    assert drop.reason.startswith("Gross margin on channel Web shop was 20.0% on ")

    assert perform(shop.engine, shop.actor, anomalies.scan_anomalies) == 0  # the same anomalies are not raised again
    assert len(read(shop.engine, shop.actor, anomalies.list_alerts, state=None).rows) == 3
    with UnitOfWork(shop.engine, readonly=True) as uow:
        raised = uow.conn.execute(select(OutboxEvent.payload).where(
            OutboxEvent.tenant_id == shop.tenant_id, OutboxEvent.type == "analytics.alert_raised.v1")).scalars().all()
    assert sorted(p["kind"] for p in raised) == sorted(ad.KINDS)
    assert any(job is anomalies.scan_anomalies_everywhere for job, _ in JOBS)


def test_an_alert_is_acknowledged_or_dismissed_once(shop: TenantCtx) -> None:
    perform(shop.engine, shop.actor, anomalies.scan_anomalies)
    first, second, _ = read(shop.engine, shop.actor, anomalies.list_alerts).rows
    manager = shop.actor.__class__(shop.tenant_id, None, "Jonas Weber", permissions_for("warehouse_manager"))
    perform(shop.engine, manager, anomalies.decide_alert, first.id, "acknowledge", "counted again, it was theft")
    perform(shop.engine, manager, anomalies.decide_alert, second.id, "dismiss")
    with pytest.raises(Conflict):
        perform(shop.engine, manager, anomalies.decide_alert, first.id, "dismiss")
    with pytest.raises(ValidationFailed):
        perform(shop.engine, manager, anomalies.decide_alert, first.id, "ignore")
    read_only = shop.actor.__class__(shop.tenant_id, None, "viewer", permissions_for("read_only"))
    with pytest.raises(PermissionDenied):
        perform(shop.engine, read_only, anomalies.decide_alert, second.id, "acknowledge")
    with pytest.raises(PermissionDenied):
        read(shop.engine, read_only, anomalies.list_alerts)
    everything = {a.id: a for a in read(shop.engine, shop.actor, anomalies.list_alerts, state=None).rows}
    assert (everything[first.id].state, everything[first.id].decided_by, everything[first.id].note) == (
        "acknowledged", "Jonas Weber", "counted again, it was theft")
    assert everything[second.id].state == "dismissed"
    assert len(read(shop.engine, shop.actor, anomalies.list_alerts).rows) == 1  # open ones


def test_the_alerts_page_acknowledges_and_exports(shop: TenantCtx, client: TestClient) -> None:
    perform(shop.engine, shop.actor, anomalies.scan_anomalies)
    browser = TestClient(client.app)
    csrf = sign_in(browser, shop, "warehouse_manager")
    page = browser.get("/erp/analytics/alerts")
    assert page.status_code == 200 and "38.0× the median absolute deviation" in page.text
    assert '<strong data-kind="margin_drop">1</strong>' in page.text
    alert = read(shop.engine, shop.actor, anomalies.list_alerts, kind=ad.STOCK_MOVEMENT).rows[0]
    done = browser.post(f"/erp/analytics/alerts/{alert.id}/acknowledge",
                        data={"csrf_token": csrf, "note": "on it", "back": "/erp/analytics/alerts?state=all"},
                        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/erp/analytics/alerts?state=all"
    exported = browser.get("/erp/analytics/alerts.csv?state=all")
    rows = {r["kind"]: r for r in csv.DictReader(io.StringIO(exported.text))}
    assert set(rows) == set(ad.KINDS) and rows[ad.STOCK_MOVEMENT]["state"] == "acknowledged"
    assert "quantity=40" in rows[ad.STOCK_MOVEMENT]["figures"]
    assert browser.get("/erp/analytics/alerts?kind=nonsense").status_code == 422


def test_the_job_scans_the_active_tenants_and_raises_nothing_twice(shop: TenantCtx) -> None:
    only = [shop.tenant_id]  # the test database holds every test's tenants
    assert anomalies.scan_anomalies_everywhere(shop.engine, force=True, tenant_ids=only) == 3
    assert anomalies.scan_anomalies_everywhere(shop.engine, force=True, tenant_ids=only) == 0
    perform(shop.engine, shop.actor, movements.write_off_stock, movements.WriteOffStock(
        sku="SKU-001", location="MAIN/A/01", quantity=41, reason="theft"))
    assert anomalies.scan_anomalies_everywhere(shop.engine, tenant_ids=only) == 0  # within 15 minutes: not run
    assert anomalies.scan_anomalies_everywhere(shop.engine, force=True, tenant_ids=only) == 1
    assert len(read(shop.engine, shop.actor, anomalies.list_alerts).rows) == 4

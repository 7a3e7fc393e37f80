"""The back-office dashboard: what waits on the warehouse, what shipped, turnover, and the charts on /erp."""

import base64
from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient

from stockyard.analytics.warehouse_dashboard import open_receipts, warehouse_activity
from stockyard.core.uow import perform, read
from stockyard.sales import orders
from tests.conftest import TenantCtx
from tests.fulfilment.execution_scene import build_scene
from tests.purchasing.support import draft, in_days, sent, supplier
from tests.sales.order_fixtures import checkout_order
from tests.sales.shop_setup import build_shop
from tests.web.test_api_csrf import signed_in


def _pipeline(activity: dict) -> dict[str, int]:
    return {step["status"]: step["orders"] for step in activity["pipeline"]}


def test_shipping_an_order_counts_in_todays_lines_and_in_turnover(tenant: TenantCtx) -> None:
    shop = build_shop(tenant)  # SKU-001: 5 and SKU-002: 3 received today at 4.00 each
    placed = checkout_order(shop, {"SKU-001": 2})
    before = read(tenant.engine, tenant.actor, warehouse_activity)
    assert _pipeline(before)["allocated"] == 1
    assert before["shipped_today"] == {"lines": 0, "units": 0}

    perform(tenant.engine, tenant.actor, orders.ship_order, placed.order_id)
    after = read(tenant.engine, tenant.actor, warehouse_activity)
    assert _pipeline(after)["allocated"] == 0
    assert after["shipped_today"] == {"lines": 1, "units": 2}
    assert after["shipped_by_day"][-1][0] == date.today()
    [row] = after["turnover"]
    assert row.category == "Parts"  # the root of the test catalog's categories
    # COGS 2 × 4.00 = 8; everything arrived within the period, so opening 0 and closing (3 + 3) × 4.00 = 24:
    # mean inventory 12, turnover 8 / 12, and 30 days × 12 / 8 = 45 days of inventory.
    t30 = row.periods[30]
    assert (t30.cogs, t30.average_inventory, t30.ratio, t30.days_of_inventory) == (
        Decimal(8), Decimal(12), Decimal("0.67"), Decimal("45.0"))


def test_open_purchase_orders_are_open_receipts(tenant: TenantCtx) -> None:
    shop = build_shop(tenant)
    supplier(tenant)
    created = sent(tenant, {"SKU-001": 7}, expected_on=in_days(1))
    sent(tenant, {"SKU-002": 4}, expected_on=in_days(5))
    draft(tenant, {"SKU-002": 9})  # a draft is not on its way yet
    receipts = read(tenant.engine, tenant.actor, warehouse_activity)["receipts"]
    assert (receipts["count"], receipts["units"], receipts["overdue"]) == (2, 11, 0)
    assert receipts["rows"][0].number == created.number  # the soonest first
    three_days_on = read(tenant.engine, tenant.actor, open_receipts, in_days(3))
    assert three_days_on["overdue"] == 1
    assert shop.channel_id  # the shop exists, so the dashboard has orders to count too


def test_the_dashboard_page_shows_charts(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    placed = checkout_order(shop, {"SKU-002": 1})
    perform(tenant.engine, tenant.actor, orders.ship_order, placed.order_id)
    browser, _ = signed_in(client, tenant, "warehouse_manager")
    page = browser.get("/erp")
    assert page.status_code == 200
    assert "Shipped today" in page.text and "Inventory turnover by category" in page.text
    charts = [part.split('"', 1)[0] for part in page.text.split('src="data:image/svg+xml;base64,')[1:]]
    assert len(charts) == 3
    svgs = [base64.b64decode(chart).decode() for chart in charts]
    assert all(svg.startswith("<svg") for svg in svgs)
    titles = ("Shipped lines per day", "Inventory value at cost", "Inventory turnover by category")
    assert [sum(title in svg for svg in svgs) for title in titles] == [1, 1, 1]


def test_picked_lines_make_the_pick_rate(tenant: TenantCtx) -> None:
    scene = build_scene(tenant)
    first, second = scene.order({"SKU-001": 2}), scene.order({"SKU-001": 1, "SKU-002": 1})
    scene.wave()
    assert read(tenant.engine, tenant.actor, warehouse_activity)["picking"]["lines"] == 0
    scene.pick_all(first)
    scene.pick_all(second)
    picking = read(tenant.engine, tenant.actor, warehouse_activity)["picking"]
    assert (picking["lines"], picking["units"]) == (3, 4)
    assert picking["operators"] == [(tenant.actor.name, 3)]
    # Three lines within seconds are spread over the least active time (a quarter of an hour): 12 lines an hour.
    assert picking["per_hour"] == 12.0

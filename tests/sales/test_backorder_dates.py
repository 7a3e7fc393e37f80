"""Backordered lines get the date by which an open purchase order brings their units (both backends): an order for
more than is on hand takes the order's date; a later order waiting for the same delivery is dated after the earlier
one's share; nothing inbound, no date; the date goes away once the units are allocated."""

import pytest

from stockyard.core.uow import perform
from stockyard.purchasing import services as purchasing
from stockyard.purchasing.queries import purchase_order_detail
from stockyard.sales import orders
from stockyard.sales.jobs import allocate_backorders_everywhere
from tests.conftest import TenantCtx
from tests.purchasing.support import in_days, sent, supplier
from tests.sales.order_fixtures import detail, phone_order
from tests.sales.shop_setup import Shop, build_shop


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    built = build_shop(tenant)  # SKU-001: 5 in MAIN, SKU-002: 3, SKU-003: none
    supplier(tenant)
    return built


def lines(shop: Shop, number: str) -> dict[str, tuple[int, int, object]]:
    return {line.sku_code: (line.allocated, line.backordered, line.backorder_expected_on)
            for line in detail(shop, number).lines}


def test_an_order_for_more_than_on_hand_gets_the_inbound_orders_date(shop: Shop) -> None:
    sent(shop.ctx, {"SKU-002": 10}, expected_on=in_days(9))
    placed = phone_order(shop, {"SKU-002": 5, "SKU-003": 1})
    assert lines(shop, placed.number) == {"SKU-002": (3, 2, in_days(9)), "SKU-003": (0, 1, None)}


def test_later_orders_wait_behind_earlier_backorders_for_the_same_delivery(shop: Shop) -> None:
    sent(shop.ctx, {"SKU-003": 2}, expected_on=in_days(5))
    sent(shop.ctx, {"SKU-003": 10}, expected_on=in_days(15))
    first = phone_order(shop, {"SKU-003": 2})
    second = phone_order(shop, {"SKU-003": 1})
    third = phone_order(shop, {"SKU-003": 11})
    assert lines(shop, first.number)["SKU-003"] == (0, 2, in_days(5))
    assert lines(shop, second.number)["SKU-003"] == (0, 1, in_days(15))  # the first delivery is the first order's
    assert lines(shop, third.number)["SKU-003"] == (0, 11, None)  # 12 coming, 3 of them promised already


def test_the_date_goes_once_the_delivery_is_received_and_allocated(shop: Shop) -> None:
    order = sent(shop.ctx, {"SKU-003": 4}, expected_on=in_days(6))
    placed = phone_order(shop, {"SKU-003": 2})
    assert lines(shop, placed.number)["SKU-003"] == (0, 2, in_days(6))
    assert perform(shop.ctx.engine, shop.ctx.actor, orders.mark_paid, placed.order_id, "BANK-1") == "backordered"
    assert lines(shop, placed.number)["SKU-003"] == (0, 2, in_days(6))  # re-allocating keeps the date
    line = read_line(shop, order.id)
    perform(shop.ctx.engine, shop.ctx.actor, purchasing.receive_purchase_order_lines, order.id,
            purchasing.ReceivePurchaseOrder(location="MAIN/A/01",
                                            lines=[purchasing.ReceivedLine(line_id=line, quantity=4)]))
    assert allocate_backorders_everywhere(shop.ctx.engine) >= 1
    assert lines(shop, placed.number)["SKU-003"] == (2, 0, None)


def read_line(shop: Shop, order_id: int) -> int:
    with shop.ctx.uow() as uow:
        return purchase_order_detail(uow, order_id).lines[0].id


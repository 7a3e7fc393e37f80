""""Back in stock on <date>" from open purchase orders: on listing cards and the product page, over HTTP and from the
read models (both backends); a draft, cancelled or late order promises nothing, and the listing page costs no extra
statement for it."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from stockyard.catalog.storefront_queries import Browse, Filters, browse, product_page, stock_label
from stockyard.core.uow import perform, read
from stockyard.purchasing import services
from stockyard.purchasing.models import PurchaseOrder
from stockyard.web.storefront.context import shop_actor
from tests.catalog.storefront_support import ShopWorld, build_shop, set_backorderable
from tests.conftest import TenantCtx
from tests.purchasing.support import draft, in_days, sent, supplier
from tests.web.test_storefront_pages import cards, host


@pytest.fixture
def world(tenant: TenantCtx) -> ShopWorld:
    built = build_shop(tenant, domain=f"{tenant.slug}.shop.test")
    supplier(tenant)
    return built


def labels(world: ShopWorld) -> dict[str, str]:
    found = read(world.ctx.engine, shop_actor(world.shop), browse, Browse(world.shop, Filters(), per_page=50))
    return {h.code: h.stock.text for h in found.hits}


def day(days: int) -> str:
    d = in_days(days)
    return f"{d.day} {d:%b %Y}"


def test_an_out_of_stock_item_with_an_open_order_says_when_it_is_back(world: ShopWorld) -> None:
    ctx = world.ctx
    sent(ctx, {"BOS-0986494": 4}, expected_on=in_days(12))
    sent(ctx, {"BOS-0986494": 2}, expected_on=in_days(5), warehouse="NORTH")  # the earlier one counts
    sent(ctx, {"MANN-W712-75": 100}, expected_on=in_days(3))  # in stock anyway: no date shown
    draft(ctx, {"BOS-F026407": 10}, expected_on=in_days(2))  # a draft is not inbound
    found = labels(world)
    assert found["BOS-0986494"] == f"Back in stock on {day(5)}"
    assert found["MANN-W712-75"] == "In stock" and found["BOS-F026407"] == "Out of stock"
    page = read(ctx.engine, shop_actor(world.shop), product_page, world.shop, "BOS-0986494", 5)
    assert page.item.stock.text == f"Back in stock on {day(5)}" and page.item.stock.back_on == in_days(5)
    assert page.item.stock.kind == "out"


def test_a_backorderable_item_keeps_its_mark_and_gains_the_date(world: ShopWorld) -> None:
    set_backorderable(world.ctx, "BOS-F026407")
    sent(world.ctx, {"BOS-F026407": 6}, expected_on=in_days(9))
    assert labels(world)["BOS-F026407"] == f"Backorderable, back in stock on {day(9)}"


def test_cancelled_fully_received_and_late_orders_promise_nothing(world: ShopWorld) -> None:
    ctx = world.ctx
    cancelled = sent(ctx, {"BOS-0986494": 4}, expected_on=in_days(4))
    perform(ctx.engine, ctx.actor, services.cancel_purchase_order, cancelled.id, services.Reason())
    late = sent(ctx, {"BOS-F026407": 4}, expected_on=in_days(4))
    with ctx.uow() as uow:  # the expected day has passed and nothing came: nobody knows when it will
        uow.conn.execute(update(PurchaseOrder.__table__).where(PurchaseOrder.__table__.c.id == late.id)
                         .values(expected_on=in_days(-1)))
    found = labels(world)
    assert found["BOS-0986494"] == "Out of stock" and found["BOS-F026407"] == "Out of stock"


def test_the_shop_pages_show_the_date_on_cards_and_the_product_page(world: ShopWorld, client: TestClient) -> None:
    sent(world.ctx, {"BOS-F026407": 5}, expected_on=in_days(7))
    oil = client.get(f"/c/{world.categories['Oil']}", headers=host(world))
    assert cards(oil.text) == {"MANN-W712-75": "In stock", "BOS-F026407": f"Back in stock on {day(7)}"}
    product = client.get("/p/BOS-F026407", headers=host(world)).text
    assert f"Back in stock on {day(7)}" in product


@contextmanager
def statements(world: ShopWorld) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    event.listen(world.ctx.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(world.ctx.engine, "before_cursor_execute", count)


def test_the_listing_costs_no_extra_statement_for_the_dates(world: ShopWorld) -> None:
    labels(world)  # warm the kept statements
    with statements(world) as without_orders:
        labels(world)
    sent(world.ctx, {"BOS-0986494": 4, "BOS-F026407": 3}, expected_on=in_days(6))
    with statements(world) as with_orders:
        found = labels(world)
    assert found["BOS-0986494"] == f"Back in stock on {day(6)}"
    assert len(with_orders) == len(without_orders)


def test_the_label_itself() -> None:
    assert stock_label(0, False, 5, in_days(3)).text == f"Back in stock on {day(3)}"
    assert stock_label(2, False, 5, in_days(3)).text == "Only 2 left"  # on hand comes first
    assert stock_label(0, False, 5).text == "Out of stock"

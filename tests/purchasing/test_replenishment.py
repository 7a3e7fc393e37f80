"""Replenishment on both backends: a SKU under its reorder point with a supplier gives the expected draft purchase
order quantity (the required test), sales velocity and lead time raise it, inbound lowers it, and one call turns
picked suggestions into draft orders grouped by supplier."""

from decimal import Decimal

import pytest

from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.inventory import min_stock, movements
from stockyard.purchasing import queries, replenishment, suppliers
from tests.conftest import TenantCtx
from tests.factories import World, build_world, receive
from tests.purchasing.support import sent, supplier


@pytest.fixture
def world(tenant: TenantCtx) -> World:
    built = build_world(tenant, skus=3)
    supplier(tenant, "BOSCH", lead_time_days=10)
    supplier(tenant, "VALEO", lead_time_days=4)
    return built


def _sells(ctx: TenantCtx, code: str, sku: str, cost: str, pack: int = 1, moq: int = 1,
           preferred: bool = False) -> None:
    perform(ctx.engine, ctx.actor, suppliers.set_supplier_sku, code, suppliers.SetSupplierSku(
        sku=sku, unit_cost=Decimal(cost), pack_size=pack, min_order_qty=moq, preferred=preferred))


def _suggestions(ctx: TenantCtx) -> dict[tuple[str, str], replenishment.ReplenishmentRow]:
    rows = read(ctx.engine, ctx.actor, replenishment.replenishment_suggestions)
    return {(r.sku_code, r.warehouse_code): r for r in rows}


def test_a_sku_under_its_reorder_point_with_a_supplier_gives_the_expected_draft_po_quantity(world: World) -> None:
    ctx = world.ctx
    receive(ctx, "SKU-001", "MAIN/A/01", 3)
    perform(ctx.engine, ctx.actor, min_stock.set_min_stock_rule, sku="SKU-001", warehouse="MAIN", minimum=10,
            safety_stock=2)
    _sells(ctx, "BOSCH", "SKU-001", "2.40", pack=6, moq=12, preferred=True)
    _sells(ctx, "VALEO", "SKU-001", "1.90")  # cheaper, but not the preferred supplier
    row = _suggestions(ctx)[("SKU-001", "MAIN")]
    # no sales: reorder point = max(10, 2 + 0) = 10, position 3, need 7 → minimum order 12 → two packs of 6 = 12
    assert (row.reorder_point, row.available, row.need, row.quantity, row.supplier_code) == (10, 3, 7, 12, "BOSCH")
    created = perform(ctx.engine, ctx.actor, replenishment.create_replenishment_orders,
                      replenishment.CreateReplenishmentOrders(items=[replenishment.ReplenishItem(
                          sku="SKU-001", warehouse="MAIN", quantity=row.quantity)]))
    view = read(ctx.engine, ctx.actor, queries.purchase_order_detail, created[0].id)
    assert (view.order.state, view.order.supplier_code, view.order.warehouse_code) == ("draft", "BOSCH", "MAIN")
    assert [(line.sku_code, line.quantity, line.unit_cost) for line in view.lines] == [("SKU-001", 12, Decimal("2.4"))]


def test_sales_velocity_and_lead_time_raise_the_order_and_inbound_lowers_it(world: World) -> None:
    ctx = world.ctx
    receive(ctx, "SKU-002", "MAIN/A/01", 40)
    _sells(ctx, "VALEO", "SKU-002", "5.00", pack=10)
    # 30 shipped in the last 30 days: 1 a day
    with ctx.uow() as uow:
        from stockyard.inventory.domain import Move, Reason, Status, Usage
        from stockyard.inventory.ledger import Posting, post_moves
        from stockyard.inventory.refs import resolve_location, resolve_sku, virtual_place

        loc = resolve_location(uow, "MAIN/A/01")
        post_moves(uow, [Move(resolve_sku(uow, "SKU-002").id, 30, loc.place, virtual_place(uow, Usage.CUSTOMER),
                              Status.SELLABLE, Status.SELLABLE)], Posting(Reason.SHIPMENT))
    assert ("SKU-002", "MAIN") not in _suggestions(ctx)  # 10 on hand ≥ reorder point 0 + 4 days × 1
    perform(ctx.engine, ctx.actor, movements.write_off_stock, movements.WriteOffStock(
        sku="SKU-002", location="MAIN/A/01", quantity=8, reason="damaged"))
    row = _suggestions(ctx)[("SKU-002", "MAIN")]
    # reorder point 4, position 2, target 4 + 30 days of cover = 34, need 32 → packs of 10 → 40
    assert (row.shipped, row.reorder_point, row.target, row.need, row.quantity) == (30, 4, 34, 32, 40)
    sent(ctx, {"SKU-002": 1}, supplier_code="VALEO")
    assert _suggestions(ctx)[("SKU-002", "MAIN")].need == 31  # inbound counts in the position
    sent(ctx, {"SKU-002": 2}, supplier_code="VALEO")
    assert ("SKU-002", "MAIN") not in _suggestions(ctx)  # position 5 ≥ reorder point 4


def test_picked_suggestions_become_one_draft_per_supplier_and_bad_items_change_nothing(world: World) -> None:
    ctx = world.ctx
    _sells(ctx, "BOSCH", "SKU-001", "2.00")
    _sells(ctx, "BOSCH", "SKU-002", "3.00")
    _sells(ctx, "VALEO", "SKU-003", "4.00")
    items = [replenishment.ReplenishItem(sku=s, warehouse="MAIN", quantity=5)
             for s in ("SKU-001", "SKU-002", "SKU-003")]
    created = perform(ctx.engine, ctx.actor, replenishment.create_replenishment_orders,
                      replenishment.CreateReplenishmentOrders(items=items))
    views = [read(ctx.engine, ctx.actor, queries.purchase_order_detail, c.id) for c in created]
    assert sorted((v.order.supplier_code, len(v.lines)) for v in views) == [("BOSCH", 2), ("VALEO", 1)]
    before = len(read(ctx.engine, ctx.actor, queries.list_purchase_orders).items)
    with pytest.raises(ValidationFailed, match="the supplier has no price for SKU-003") as error:
        perform(ctx.engine, ctx.actor, replenishment.create_replenishment_orders,
                replenishment.CreateReplenishmentOrders(items=[
                    replenishment.ReplenishItem(sku="SKU-001", warehouse="MAIN", quantity=1),
                    replenishment.ReplenishItem(sku="SKU-003", warehouse="MAIN", quantity=1, supplier="BOSCH")]))
    assert error.value.field == "items[1].supplier"
    assert len(read(ctx.engine, ctx.actor, queries.list_purchase_orders).items) == before

"""Order transitions as staff use them (sales/orders.py), on both backends: hold and release, cancel (stock back,
payment voided or refunded), ship (stock leaves, a shipment with tracking), deliver, invoice, close, editing lines
before picking, re-allocation, and backorders served when stock arrives. An illegal move is a Conflict naming
the allowed states and changes nothing."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform
from stockyard.identity.domain import ROLES
from stockyard.inventory.models import Reservation
from stockyard.sales import orders
from stockyard.sales.jobs import allocate_backorders_everywhere
from stockyard.sales.orders import EditLines, LineChange
from tests.conftest import TenantCtx
from tests.factories import receive
from tests.sales.order_fixtures import atp, checkout_order, detail, on_hand, phone_order
from tests.sales.shop_setup import SHIPPING_PRICE, Shop, build_shop


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


def act(shop: Shop, service: object, order_id: int, *args: object) -> object:
    return perform(shop.ctx.engine, shop.ctx.actor, service, order_id, *args)


def snapshot(shop: Shop, order_id: int) -> tuple:
    o = detail(shop, order_id)
    return (o.status, o.held_from, len(o.timeline), [(x.quantity, x.allocated, x.shipped) for x in o.lines],
            [(a.quantity, a.state) for a in o.allocations], [(p.state, p.captured_amount) for p in o.payments],
            len(o.shipments), atp(shop, "SKU-001"), atp(shop, "SKU-002"))


def active_holds(shop: Shop, number: str) -> int:
    r = Reservation.__table__
    with shop.ctx.uow() as uow:
        return uow.conn.execute(select(func.count()).select_from(r).where(
            r.c.tenant_id == uow.tenant_id, r.c.reference == f"order:{number}", r.c.state == "active")).scalar_one()


# ---- hold / release --------------------------------------------------------------------------------------------

def test_hold_and_release_return_to_the_previous_status(shop: Shop) -> None:
    placed = checkout_order(shop, {"SKU-001": 2})
    assert placed.status == "allocated"
    act(shop, orders.hold_order, placed.order_id, "customer asked to wait")
    held = detail(shop, placed.order_id)
    assert (held.status, held.held_from) == ("on_hold", "allocated")
    assert held.timeline[-1].note == "held: customer asked to wait"
    assert held.actions >= {"release", "cancel"} and "ship" not in held.actions
    assert atp(shop, "SKU-001") == 3  # a held order keeps its stock
    act(shop, orders.release_hold, placed.order_id)
    released = detail(shop, placed.order_id)
    assert (released.status, released.held_from) == ("allocated", None)
    assert released.timeline[-1].note == "hold released"


def test_a_phone_order_waiting_for_payment_returns_to_waiting(shop: Shop) -> None:
    placed = phone_order(shop, {"SKU-001": 1})
    act(shop, orders.hold_order, placed.order_id, "address unclear")
    act(shop, orders.release_hold, placed.order_id)
    assert detail(shop, placed.order_id).status == "awaiting_payment"


def test_a_hold_needs_a_reason_and_only_a_held_order_is_released(shop: Shop) -> None:
    placed = checkout_order(shop, {"SKU-001": 1})
    before = snapshot(shop, placed.order_id)
    with pytest.raises(ValidationFailed) as no_reason:
        act(shop, orders.hold_order, placed.order_id, "  ")
    assert no_reason.value.field == "reason"
    with pytest.raises(Conflict, match="not on hold"):
        act(shop, orders.release_hold, placed.order_id)
    assert snapshot(shop, placed.order_id) == before


# ---- cancel ----------------------------------------------------------------------------------------------------

def test_cancelling_a_paid_order_releases_its_stock_and_refunds_the_card(shop: Shop) -> None:
    placed = checkout_order(shop, {"SKU-001": 2, "SKU-002": 1})
    assert atp(shop, "SKU-001") == 3 and atp(shop, "SKU-002") == 2
    act(shop, orders.cancel_order, placed.order_id, "customer changed their mind")
    order = detail(shop, placed.order_id)
    assert order.status == "cancelled" and order.actions == frozenset()
    assert atp(shop, "SKU-001") == 5 and atp(shop, "SKU-002") == 3
    assert {a.state for a in order.allocations} == {"released"} and active_holds(shop, placed.number) == 0
    payment = order.payments[-1]
    assert payment.state == "refunded" and payment.refunded_amount == order.grand_total
    assert order.timeline[-1].note == "cancelled: customer changed their mind"


def test_cancelling_a_phone_order_voids_the_pending_payment(shop: Shop) -> None:
    placed = phone_order(shop, {"SKU-002": 3})
    assert atp(shop, "SKU-002") == 0
    act(shop, orders.cancel_order, placed.order_id, "duplicate")
    order = detail(shop, placed.order_id)
    assert order.status == "cancelled" and [p.state for p in order.payments] == ["voided"]
    assert atp(shop, "SKU-002") == 3


def test_a_shipped_order_cannot_be_cancelled(shop: Shop) -> None:
    placed = checkout_order(shop, {"SKU-001": 1})
    act(shop, orders.ship_order, placed.order_id)
    before = snapshot(shop, placed.order_id)
    with pytest.raises(Conflict, match="cannot cancel an order that is shipped") as refused:
        act(shop, orders.cancel_order, placed.order_id, "too late")
    assert "allowed from:" in refused.value.message and refused.value.field == "status"
    assert snapshot(shop, placed.order_id) == before


# ---- ship / deliver / invoice / close --------------------------------------------------------------------------

def test_ship_deliver_invoice_close(shop: Shop) -> None:
    placed = checkout_order(shop, {"SKU-001": 2})
    assert on_hand(shop, "SKU-001") == 5
    ids = act(shop, orders.ship_order, placed.order_id)
    order = detail(shop, placed.order_id)
    assert order.status == "shipped" and len(ids) == 1
    assert on_hand(shop, "SKU-001") == 3 and atp(shop, "SKU-001") == 3  # the units left the bin
    assert [(line.allocated, line.shipped) for line in order.lines] == [(2, 2)]
    assert [a.state for a in order.allocations] == ["shipped"]
    (shipment,) = order.shipments
    assert shipment.tracking_number and shipment.status == "shipped" and shipment.warehouse_code == "MAIN"
    assert shipment.tracking_url == f"https://track.example/{shipment.tracking_number}"
    assert shipment.label_url == f"/api/v1/shipments/{shipment.id}/label"
    assert active_holds(shop, placed.number) == 0
    act(shop, orders.mark_delivered, placed.order_id)
    order = detail(shop, placed.order_id)
    assert order.status == "delivered" and order.shipments[0].status == "delivered"
    act(shop, orders.invoice_order, placed.order_id)
    order = detail(shop, placed.order_id)
    assert order.status == "invoiced" and len(order.invoices) == 1
    assert order.invoices[0].grand_total == order.grand_total == Decimal("20.00") + SHIPPING_PRICE
    assert any(d.url == order.invoices[0].pdf_url for d in order.documents)
    act(shop, orders.close_order, placed.order_id)
    assert detail(shop, placed.order_id).status == "closed"


def test_shipping_one_warehouse_of_a_split_order_is_a_partial_shipment(shop: Shop) -> None:
    receive(shop.ctx, "SKU-002", "NORTH/B/01", 2)
    placed = checkout_order(shop, {"SKU-002": 5})
    order = detail(shop, placed.order_id)
    assert order.status == "allocated"
    assert sorted((w.warehouse_code, w.units) for w in order.ship_from) == [("MAIN", 3), ("NORTH", 2)]
    act(shop, orders.ship_order, placed.order_id, shop.world.main)
    order = detail(shop, placed.order_id)
    assert order.status == "partially_shipped" and order.lines[0].shipped == 3
    assert [(w.warehouse_code, w.units) for w in order.ship_from] == [("NORTH", 2)]
    with pytest.raises(Conflict, match="nothing is allocated to ship from this warehouse"):
        act(shop, orders.ship_order, placed.order_id, shop.world.main)
    act(shop, orders.ship_order, placed.order_id, shop.world.north)
    order = detail(shop, placed.order_id)
    assert order.status == "shipped" and len(order.shipments) == 2 and order.lines[0].shipped == 5


def test_an_order_waiting_for_its_payment_cannot_be_shipped_or_invoiced(shop: Shop) -> None:
    placed = phone_order(shop, {"SKU-001": 1})
    before = snapshot(shop, placed.order_id)
    with pytest.raises(Conflict, match="cannot ship an order that is awaiting_payment"):
        act(shop, orders.ship_order, placed.order_id)
    with pytest.raises(Conflict, match="cannot invoice an order that is awaiting_payment"):
        act(shop, orders.invoice_order, placed.order_id)
    with pytest.raises(Conflict, match="cannot close"):
        act(shop, orders.close_order, placed.order_id)
    with pytest.raises(Conflict, match="cannot deliver"):
        act(shop, orders.mark_delivered, placed.order_id)
    assert snapshot(shop, placed.order_id) == before


def test_a_card_captured_at_shipment_is_captured_when_shipped_and_then_invoiced(tenant: TenantCtx) -> None:
    shop = build_shop(tenant, test_gateway_settings={"capture": "shipment"})
    placed = checkout_order(shop, {"SKU-001": 1})
    order = detail(shop, placed.order_id)
    assert order.payments[-1].state == "authorized" and order.payments[-1].captured_amount == 0
    with pytest.raises(Conflict, match="cannot invoice an order that is allocated"):
        act(shop, orders.invoice_order, placed.order_id)
    act(shop, orders.ship_order, placed.order_id)
    payment = detail(shop, placed.order_id).payments[-1]
    assert payment.state == "captured" and payment.captured_amount == order.grand_total
    act(shop, orders.mark_delivered, placed.order_id)
    act(shop, orders.invoice_order, placed.order_id)
    assert detail(shop, placed.order_id).status == "invoiced"


# ---- editing lines, re-allocating, backorders ------------------------------------------------------------------

def test_editing_lines_before_picking_frees_the_stock_and_lowers_the_total(shop: Shop) -> None:
    placed = checkout_order(shop, {"SKU-001": 3, "SKU-002": 1})
    lines = {line.sku_code: line.id for line in detail(shop, placed.order_id).lines}
    status = act(shop, orders.edit_lines, placed.order_id, EditLines(changes=[
        LineChange(line_id=lines["SKU-001"], quantity=1), LineChange(line_id=lines["SKU-002"], quantity=0)]))
    order = detail(shop, placed.order_id)
    assert status == order.status == "allocated"
    assert [(line.sku_code, line.quantity, line.allocated) for line in order.lines] == [("SKU-001", 1, 1)]
    assert order.subtotal == Decimal("10.00") and order.grand_total == Decimal("10.00") + SHIPPING_PRICE
    assert atp(shop, "SKU-001") == 4 and atp(shop, "SKU-002") == 3
    assert order.timeline[-1].note.startswith("lines edited")


def test_a_paid_order_cannot_grow_and_an_order_keeps_a_line(shop: Shop) -> None:
    placed = checkout_order(shop, {"SKU-001": 1})
    line_id = detail(shop, placed.order_id).lines[0].id
    before = snapshot(shop, placed.order_id)
    with pytest.raises(Conflict, match="can only be reduced"):
        act(shop, orders.edit_lines, placed.order_id, EditLines(changes=[LineChange(line_id=line_id, quantity=2)]))
    with pytest.raises(Conflict, match="at least one line"):
        act(shop, orders.edit_lines, placed.order_id, EditLines(changes=[LineChange(line_id=line_id, quantity=0)]))
    assert snapshot(shop, placed.order_id) == before


def test_a_phone_order_waiting_for_payment_may_grow(shop: Shop) -> None:
    placed = phone_order(shop, {"SKU-001": 1})
    line_id = detail(shop, placed.order_id).lines[0].id
    act(shop, orders.edit_lines, placed.order_id, EditLines(changes=[LineChange(line_id=line_id, quantity=4)]))
    order = detail(shop, placed.order_id)
    assert order.status == "awaiting_payment" and order.lines[0].allocated == 4 and atp(shop, "SKU-001") == 1
    assert order.grand_total == Decimal("40.00") + SHIPPING_PRICE


def test_editing_is_refused_once_shipped(shop: Shop) -> None:
    placed = checkout_order(shop, {"SKU-001": 2})
    act(shop, orders.ship_order, placed.order_id)
    line_id = detail(shop, placed.order_id).lines[0].id
    with pytest.raises(Conflict, match="cannot edit lines"):
        act(shop, orders.edit_lines, placed.order_id, EditLines(changes=[LineChange(line_id=line_id, quantity=1)]))


def test_reallocate_takes_stock_that_arrived_elsewhere(shop: Shop) -> None:
    placed = phone_order(shop, {"SKU-002": 5})
    assert act(shop, orders.mark_paid, placed.order_id, "BANK-1") == "partially_allocated"
    receive(shop.ctx, "SKU-002", "NORTH/B/01", 4)
    assert act(shop, orders.reallocate_order, placed.order_id) == "allocated"
    order = detail(shop, placed.order_id)
    live = sorted((a.warehouse_code, a.quantity) for a in order.allocations if a.state == "allocated")
    assert live == [("MAIN", 3), ("NORTH", 2)]
    assert any(a.state == "released" for a in order.allocations)
    assert order.lines[0].backordered == 0 and atp(shop, "SKU-002") == 2


def test_backorders_are_allocated_by_the_job_when_stock_is_received(shop: Shop) -> None:
    placed = phone_order(shop, {"SKU-003": 2})
    assert act(shop, orders.mark_paid, placed.order_id, "BANK-2") == "backordered"
    assert allocate_backorders_everywhere(shop.ctx.engine) == 0  # nothing arrived: nothing moves
    assert detail(shop, placed.order_id).status == "backordered"
    receive(shop.ctx, "SKU-003", "MAIN/A/02", 2)
    assert allocate_backorders_everywhere(shop.ctx.engine) >= 1
    order = detail(shop, placed.order_id)
    assert order.status == "allocated" and order.lines[0].backordered == 0 and order.lines[0].allocated == 2
    assert "ship" in order.actions


@pytest.mark.parametrize(("role", "service", "args"), [
    ("read_only", orders.hold_order, ("no",)),
    ("accountant", orders.cancel_order, ("no",)),
    ("warehouse_operator", orders.reallocate_order, ()),
    ("sales", orders.ship_order, ()),
])
def test_actions_need_their_permission(shop: Shop, role: str, service: object, args: tuple) -> None:
    placed = checkout_order(shop, {"SKU-001": 1})
    before = snapshot(shop, placed.order_id)
    with pytest.raises(PermissionDenied):
        perform(shop.ctx.engine, Actor(shop.ctx.tenant_id, None, role, ROLES[role]), service, placed.order_id,
                *args)
    assert snapshot(shop, placed.order_id) == before

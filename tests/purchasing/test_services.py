"""Purchasing services on both backends: suppliers, gapless purchase order numbers, the state machine as users meet
it, receiving into stock at the order's cost, over-receipt refused with nothing changed, permissions by role, the
audit trail, and the inbound that open orders give."""

from decimal import Decimal

import pytest
from pydantic import ValidationError as PydanticError
from sqlalchemy import select

from stockyard.core.audit import AuditEntry
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.services import actor_for_user
from stockyard.inventory.models import StockMove
from stockyard.purchasing import queries, services
from tests.conftest import TenantCtx, new_tenant
from tests.factories import World, build_world
from tests.inventory.support import level, tenant_rows
from tests.purchasing.support import draft, in_days, sent, supplier


@pytest.fixture
def world(tenant: TenantCtx) -> World:
    built = build_world(tenant)
    supplier(tenant)
    return built


def detail(ctx: TenantCtx, order_id: int) -> queries.PurchaseOrderView:
    return read(ctx.engine, ctx.actor, queries.purchase_order_detail, order_id)


def receive(ctx: TenantCtx, order_id: int, lines: dict[int, int], location: str = "MAIN/A/01",
            actor: object = None) -> services.Receipt:
    return perform(ctx.engine, actor or ctx.actor, services.receive_purchase_order_lines, order_id,
                   services.ReceivePurchaseOrder(location=location, lines=[
                       services.ReceivedLine(line_id=line_id, quantity=q) for line_id, q in lines.items()]))


def test_a_supplier_code_is_unique_per_tenant(world: World) -> None:
    with pytest.raises(Conflict, match="exists already"):
        supplier(world.ctx, "bosch")
    assert supplier(new_tenant(world.ctx.engine), "BOSCH") > 0  # another tenant may use the code
    with pytest.raises(PydanticError, match="not an ISO 4217 currency"):
        services.CreateSupplier(code="X", name="X", currency="XYZ")


def test_numbers_count_per_tenant_without_gaps_and_the_default_date_is_the_lead_time(world: World) -> None:
    first = draft(world.ctx, {"SKU-001": 5})
    second = draft(world.ctx, {"SKU-002": 1}, expected_on=in_days(3))
    assert (first.number, second.number) == ("PO-000001", "PO-000002")
    view = detail(world.ctx, first.id)
    assert view.order.state == "draft" and view.order.expected_on == in_days(10)  # the supplier's lead time
    assert view.order.currency == "EUR" and view.order.total == Decimal("12.50")
    assert [(line.sku_code, line.quantity, line.received, line.unit_cost) for line in view.lines] == [
        ("SKU-001", 5, 0, Decimal("2.5"))]


def test_bad_orders_are_refused_and_leave_nothing(world: World) -> None:
    ctx = world.ctx
    before = tenant_rows(ctx)
    with pytest.raises(ValidationFailed, match="in the past"):
        draft(ctx, {"SKU-001": 1}, expected_on=in_days(-1))
    with pytest.raises(NotFound, match="unknown SKU"):
        draft(ctx, {"NOPE": 1})
    with pytest.raises(NotFound, match="unknown supplier"):
        draft(ctx, {"SKU-001": 1}, supplier_code="ACME")
    with pytest.raises(ValidationFailed, match="twice"):
        perform(ctx.engine, ctx.actor, services.create_purchase_order, services.CreatePurchaseOrder(
            supplier="BOSCH", warehouse="MAIN", lines=[
                services.POLineIn(sku="SKU-001", quantity=1, unit_cost=Decimal(1)),
                services.POLineIn(sku="SKU-001", quantity=2, unit_cost=Decimal(1))]))
    assert tenant_rows(ctx) == before


def test_receiving_puts_stock_on_the_shelf_at_the_order_cost_and_moves_the_state(world: World) -> None:
    ctx = world.ctx
    order = sent(ctx, {"SKU-001": 10, "SKU-002": 4}, cost="3.25")
    lines = {line.sku_code: line.id for line in detail(ctx, order.id).lines}
    receipt = receive(ctx, order.id, {lines["SKU-001"]: 6})
    assert receipt.state == "partially_received"
    assert level(ctx, "SKU-001", "MAIN/A/01") == (6, 0)
    with ctx.uow() as uow:
        move = uow.conn.execute(select(StockMove.__table__).where(
            StockMove.__table__.c.id == receipt.move_ids[0])).one()
    assert (move.reason, move.document_type, move.document_id, move.unit_cost) == (
        "receipt", "purchase_order", order.number, Decimal("3.25"))
    final = receive(ctx, order.id, {lines["SKU-001"]: 4, lines["SKU-002"]: 4})
    assert final.state == "received"
    assert [(line.sku_code, line.received, line.open) for line in detail(ctx, order.id).lines] == [
        ("SKU-001", 10, 0), ("SKU-002", 4, 0)]
    with pytest.raises(Conflict, match="received cannot be received"):
        receive(ctx, order.id, {lines["SKU-001"]: 1})
    perform(ctx.engine, ctx.actor, services.close_purchase_order, order.id, services.Reason())
    assert detail(ctx, order.id).order.state == "closed"


def test_over_receipt_is_refused_and_changes_nothing(world: World) -> None:
    ctx = world.ctx
    order = sent(ctx, {"SKU-001": 5})
    line = detail(ctx, order.id).lines[0].id
    receive(ctx, order.id, {line: 3})
    before = tenant_rows(ctx)
    with pytest.raises(ValidationFailed, match="over-receipt: 3 unit.* only 2 more are "
                       "accepted: 5 ordered, 3 received"):
        receive(ctx, order.id, {line: 3})
    assert tenant_rows(ctx) == before


def test_receipts_land_only_in_the_orders_warehouse(world: World) -> None:
    ctx = world.ctx
    order = sent(ctx, {"SKU-001": 5})
    line = detail(ctx, order.id).lines[0].id
    with pytest.raises(ValidationFailed, match="not in the chosen warehouse"):
        receive(ctx, order.id, {line: 1}, location="NORTH/B/01")


def test_a_draft_is_not_received_and_a_cancelled_order_is_not_sent(world: World) -> None:
    ctx = world.ctx
    order = draft(ctx, {"SKU-001": 5})
    line = detail(ctx, order.id).lines[0].id
    with pytest.raises(Conflict, match="draft cannot be received"):
        receive(ctx, order.id, {line: 1})
    perform(ctx.engine, ctx.actor, services.cancel_purchase_order, order.id, services.Reason(note="wrong supplier"))
    with pytest.raises(Conflict, match="cancelled cannot be sent"):
        perform(ctx.engine, ctx.actor, services.send_purchase_order, order.id)
    partly = sent(ctx, {"SKU-002": 5})
    receive(ctx, partly.id, {detail(ctx, partly.id).lines[0].id: 1})
    with pytest.raises(Conflict, match="partially received cannot be cancelled"):
        perform(ctx.engine, ctx.actor, services.cancel_purchase_order, partly.id, services.Reason())


def test_rescheduling_moves_the_inbound_dates_and_is_audited(world: World) -> None:
    ctx = world.ctx
    order = sent(ctx, {"SKU-001": 5, "SKU-002": 2}, expected_on=in_days(5))
    lines = {line.sku_code: line.id for line in detail(ctx, order.id).lines}
    perform(ctx.engine, ctx.actor, services.reschedule_purchase_order, order.id, services.Reschedule(
        expected_on=in_days(8), lines=[services.LineDate(line_id=lines["SKU-002"], expected_on=in_days(20))]))
    assert [(line.sku_code, line.expected_on) for line in detail(ctx, order.id).lines] == [
        ("SKU-001", in_days(8)), ("SKU-002", in_days(20))]
    with ctx.uow() as uow:
        sku_ids = {line.sku_code: line.sku_id for line in detail(ctx, order.id).lines}
        inbound = queries.inbound_by_sku(uow, list(sku_ids.values()))
        entry = uow.conn.execute(select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.before,
                                        AuditEntry.after).where(AuditEntry.tenant_id == ctx.tenant_id,
                                                                AuditEntry.action == "purchase_order.rescheduled.v1")
                                 ).one()
    assert inbound[sku_ids["SKU-002"]] == [queries.Inbound(in_days(20), 2, world.main)]
    assert entry.object_type == "purchase_order" and entry.object_id == str(order.id)
    assert entry.before["expected_on"] == in_days(5).isoformat()
    assert entry.after["expected_on"] == in_days(8).isoformat()
    with pytest.raises(ValidationFailed, match="in the past"):
        perform(ctx.engine, ctx.actor, services.reschedule_purchase_order, order.id,
                services.Reschedule(expected_on=in_days(-2)))


def test_only_sent_and_partly_received_orders_are_inbound(world: World) -> None:
    ctx = world.ctx
    draft(ctx, {"SKU-001": 50}, expected_on=in_days(2))  # a draft promises nothing
    soon = sent(ctx, {"SKU-001": 3}, expected_on=in_days(7))
    sent(ctx, {"SKU-001": 10}, expected_on=in_days(14), warehouse="NORTH")
    cancelled = sent(ctx, {"SKU-001": 99}, expected_on=in_days(3))
    perform(ctx.engine, ctx.actor, services.cancel_purchase_order, cancelled.id, services.Reason())
    receive(ctx, soon.id, {detail(ctx, soon.id).lines[0].id: 1})
    sku = detail(ctx, soon.id).lines[0].sku_id
    with ctx.uow() as uow:
        assert queries.inbound_by_sku(uow, [sku]) == {sku: [queries.Inbound(in_days(7), 2, world.main),
                                                            queries.Inbound(in_days(14), 10, world.north)]}
        assert queries.earliest_inbound(uow, {sku: 2}) == {sku: in_days(7)}
        assert queries.earliest_inbound(uow, {sku: 3}) == {sku: in_days(14)}
        assert queries.earliest_inbound(uow, {sku: 13}) == {}  # not covered


def test_roles_decide_who_orders_and_who_receives(world: World) -> None:
    ctx = world.ctx
    order = sent(ctx, {"SKU-001": 5})
    line = detail(ctx, order.id).lines[0].id
    operator = actor_for_user(ctx.engine, ctx.user("warehouse_operator")[0])
    reader = actor_for_user(ctx.engine, ctx.user("read_only")[0])
    with pytest.raises(PermissionDenied, match="purchasing.edit"):
        perform(ctx.engine, operator, services.create_purchase_order, services.CreatePurchaseOrder(
            supplier="BOSCH", warehouse="MAIN", lines=[services.POLineIn(sku="SKU-001", quantity=1, unit_cost=1)]))
    with pytest.raises(PermissionDenied, match="purchasing.receive"):
        receive(ctx, order.id, {line: 1}, actor=reader)
    assert read(ctx.engine, reader, queries.purchase_order_detail, order.id).order.number == order.number
    assert receive(ctx, order.id, {line: 5}, actor=operator).state == "received"

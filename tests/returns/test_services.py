"""Return services on both backends: request → authorise → receive (stock in return_pending, ledger consistent) →
inspect with disposition (the matching stock moves) → refund through the gateway, or exchange (a new order); and
the bad input that must change nothing."""

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from stockyard.billing import invoices
from stockyard.billing.models import Payment
from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import perform, read
from stockyard.identity.domain import INVENTORY_ADJUST, INVENTORY_RECEIVE, RETURNS_REFUND, RETURNS_VIEW
from stockyard.inventory.models import Location, StockLevel, StockMove
from stockyard.inventory.verify import verify_levels
from stockyard.returns import queries
from stockyard.returns.models import ReturnAuthorization, ReturnLine
from stockyard.returns.services import (
    RETURNS_MANAGE,
    Decision,
    ExchangeLineIn,
    ExchangeReturn,
    InspectLineIn,
    InspectReturn,
    ReceivedLineIn,
    ReceiveItems,
    RefundReturn,
    RequestReturn,
    ReturnLineIn,
    authorize_return,
    close_return,
    exchange_return,
    inspect_return,
    receive_items,
    refund_return,
    reject_return,
    request_return,
)
from stockyard.sales import orders
from stockyard.sales.models import Order, OrderEvent, OrderLine
from tests.conftest import TenantCtx
from tests.returns.support import Delivered, delivered_order, place_order, register, staff
from tests.sales.shop_setup import SHIPPING_PRICE, Shop, build_shop


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant, stock={"SKU-001": 10, "SKU-002": 10, "SKU-003": 10})


def ask(shop: Shop, order: Delivered, customer: bool = True, reason: str = "defective", **units: int) -> int:
    cmd = RequestReturn(order_id=order.order_id, reason=reason, reason_text="it rattles",
                        lines=[ReturnLineIn(order_line_id=order.lines[sku.replace("_", "-")], quantity=q)
                               for sku, q in units.items()])
    if customer:
        return perform(shop.ctx.engine, shop.actor, request_return, cmd, customer_id=order.customer_id).id
    return perform(shop.ctx.engine, staff(shop), request_return, cmd).id


def do(shop: Shop, service: Any, *args: Any, actor: Actor | None = None) -> Any:
    return perform(shop.ctx.engine, actor or staff(shop), service, *args)


def received(shop: Shop, order: Delivered, **units: int) -> int:
    return_id = ask(shop, order, **units)
    do(shop, authorize_return, return_id, Decision(note="send it back"))
    do(shop, receive_items, return_id, ReceiveItems(location="MAIN/A/02"))
    return return_id


def inspected(shop: Shop, order: Delivered, grade: str = "A", **units: int) -> int:
    return_id = received(shop, order, **units)
    detail = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id)
    do(shop, inspect_return, return_id, InspectReturn(lines=[InspectLineIn(return_line_id=line.id, grade=grade)
                                                             for line in detail.lines]))
    return return_id


def level(shop: Shop, sku: str, path: str, status: str) -> int:
    s, loc = StockLevel.__table__, Location.__table__
    from stockyard.catalog.models import Sku

    with shop.ctx.uow() as uow:
        return int(uow.conn.execute(select(func.coalesce(func.sum(s.c.on_hand), 0)).join(
            loc, loc.c.id == s.c.location_id).join(Sku.__table__, Sku.__table__.c.id == s.c.sku_id).where(
            s.c.tenant_id == shop.ctx.tenant_id, Sku.__table__.c.code == sku, loc.c.path == path,
            s.c.status == status)).scalar_one())


def returned_units(shop: Shop, order: Delivered) -> dict[str, int]:
    t = OrderLine.__table__
    with shop.ctx.uow() as uow:
        return dict(uow.conn.execute(select(t.c.sku_code, t.c.returned).where(t.c.order_id == order.order_id)).all())


def events(shop: Shop, prefix: str = "return.") -> list[str]:
    t = OutboxEvent.__table__
    with shop.ctx.uow() as uow:
        return list(uow.conn.execute(select(t.c.type).where(t.c.tenant_id == shop.ctx.tenant_id,
                                                            t.c.type.startswith(prefix)).order_by(t.c.id)).scalars())


def payment(shop: Shop, order_id: int) -> Any:
    t = Payment.__table__
    with shop.ctx.uow() as uow:
        return uow.conn.execute(select(t).where(t.c.order_id == order_id)).one()


def business_counts(shop: Shop) -> tuple[int, ...]:
    with shop.ctx.uow() as uow:
        def n(table: Any) -> int:
            return uow.conn.execute(select(func.count()).select_from(table).where(
                table.c.tenant_id == shop.ctx.tenant_id)).scalar_one()
        return tuple(n(t.__table__) for t in (ReturnAuthorization, ReturnLine, StockMove, OrderEvent, OutboxEvent))


def test_request_authorise_receive_inspect_refund(shop: Shop) -> None:
    order = delivered_order(shop, SKU_001=2, SKU_002=1)
    return_id = ask(shop, order, SKU_001=2)
    detail = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id)
    assert (detail.status, detail.initiated_by, detail.number) == ("requested", "customer", "RMA-000001")
    do(shop, authorize_return, return_id, Decision(note="ok, use the prepaid label"))

    do(shop, receive_items, return_id, ReceiveItems(location="MAIN/A/02"))
    assert level(shop, "SKU-001", "MAIN/A/02", "return_pending") == 2
    assert returned_units(shop, order) == {"SKU-001": 2, "SKU-002": 0}
    assert verify_levels(shop.ctx.engine, shop.ctx.tenant_id) == []

    line = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id).lines[0]
    do(shop, inspect_return, return_id, InspectReturn(lines=[InspectLineIn(return_line_id=line.id, grade="like new")]))
    assert level(shop, "SKU-001", "MAIN/A/02", "return_pending") == 0
    assert level(shop, "SKU-001", "MAIN/A/02", "sellable") == 2
    assert verify_levels(shop.ctx.engine, shop.ctx.tenant_id) == []

    detail = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id)
    assert detail.quote is not None and detail.quote.goods == Decimal("20.00")
    assert detail.quote.with_shipping == Decimal("20.00") + SHIPPING_PRICE
    refunded = do(shop, refund_return, return_id, RefundReturn())
    assert refunded == Decimal("20.00")
    assert payment(shop, order.order_id).refunded_amount == Decimal("20.00")

    detail = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id)
    assert detail.status == "refunded" and detail.refunded_amount == Decimal("20.00")
    assert [e.to_status for e in detail.timeline] == ["requested", "authorized", "received", "inspected", "refunded"]
    assert events(shop) == ["return.requested.v1", "return.authorized.v1", "return.received.v1",
                            "return.inspected.v1", "return.refunded.v1"]
    with shop.ctx.uow() as uow:
        notes = list(uow.conn.execute(select(OrderEvent.__table__.c.note).where(
            OrderEvent.__table__.c.order_id == order.order_id).order_by(OrderEvent.__table__.c.id)).scalars())
    assert sum(1 for n in notes if n.startswith("return RMA-000001")) == 5
    # The customer tracks it on their own side.
    mine = read(shop.ctx.engine, shop.actor, queries.customer_returns, order.customer_id)
    assert [(r.number, r.status, r.units) for r in mine] == [("RMA-000001", "refunded", 2)]


@pytest.mark.parametrize(("disposition", "status", "scrapped"), [
    ("restock", "sellable", False), ("quarantine", "quarantine", False), ("damaged", "damaged", False),
    ("refurbish", "quarantine", False), ("scrap", None, True)])
def test_each_disposition_writes_its_stock_moves(shop: Shop, disposition: str, status: str | None,
                                                 scrapped: bool) -> None:
    order = delivered_order(shop, SKU_002=3)
    return_id = received(shop, order, SKU_002=3)
    before = level(shop, "SKU-002", "MAIN/A/02", "sellable")
    line = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id).lines[0]
    move_ids = do(shop, inspect_return, return_id, InspectReturn(lines=[InspectLineIn(
        return_line_id=line.id, grade="C", disposition=disposition, note="scratched housing")]))
    assert level(shop, "SKU-002", "MAIN/A/02", "return_pending") == 0
    m = StockMove.__table__
    with shop.ctx.uow() as uow:
        move = uow.conn.execute(select(m).where(m.c.id == move_ids[0])).one()
        target = uow.conn.execute(select(Location.__table__.c.usage).where(
            Location.__table__.c.id == move.to_location_id)).scalar_one()
    assert move.quantity == 3 and move.from_status == "return_pending"
    assert f"return RMA-000001: {disposition} (scratched housing)" in move.note
    if scrapped:
        assert target == "scrap" and move.reason == "write_off"
    else:
        assert move.to_status == status and move.reason == "status_change"
        expected = before + 3 if status == "sellable" else 3
        assert level(shop, "SKU-002", "MAIN/A/02", status) == expected
    assert verify_levels(shop.ctx.engine, shop.ctx.tenant_id) == []
    detail = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id)
    assert (detail.lines[0].grade, detail.lines[0].disposition) == ("C", disposition)


def test_a_refund_above_what_was_paid_for_the_returned_lines_is_refused(shop: Shop) -> None:
    order = delivered_order(shop, SKU_001=2, SKU_002=1)
    return_id = inspected(shop, order, SKU_001=1)
    before = business_counts(shop)
    with pytest.raises(Conflict) as refused:
        do(shop, refund_return, return_id, RefundReturn(amount=Decimal("10.01")))
    assert "at most 10.00 EUR" in refused.value.message
    with pytest.raises(Conflict):
        do(shop, refund_return, return_id, RefundReturn(amount=Decimal("14.91"), include_shipping=True))
    assert business_counts(shop) == before
    assert payment(shop, order.order_id).refunded_amount == 0
    # A partial refund with the shipping is fine; the shipping cannot be refunded a second time.
    assert do(shop, refund_return, return_id, RefundReturn(amount=Decimal("14.90"), include_shipping=True)) == \
        Decimal("14.90")
    second = inspected(shop, order, SKU_002=1)
    with pytest.raises(Conflict) as again:
        do(shop, refund_return, second, RefundReturn(include_shipping=True))
    assert again.value.field == "include_shipping"
    assert do(shop, refund_return, second, RefundReturn()) == Decimal("25.00")
    assert payment(shop, order.order_id).refunded_amount == Decimal("39.90")


def test_an_exchange_creates_a_paid_allocated_order_for_the_replacement(shop: Shop) -> None:
    order = delivered_order(shop, SKU_001=2, SKU_003=1)
    return_id = inspected(shop, order, grade="D", SKU_001=2, SKU_003=1)
    detail = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id)
    by_sku = {line.sku_code: line.id for line in detail.lines}
    new_id = do(shop, exchange_return, return_id, ExchangeReturn(lines=[
        ExchangeLineIn(return_line_id=by_sku["SKU-001"]),  # like for like
        ExchangeLineIn(return_line_id=by_sku["SKU-003"], sku="SKU-002")]))  # another item
    o, ol = Order.__table__, OrderLine.__table__
    with shop.ctx.uow() as uow:
        new = uow.conn.execute(select(o).where(o.c.id == new_id)).one()
        lines = {r.sku_code: r for r in uow.conn.execute(select(ol).where(ol.c.order_id == new_id))}
    assert new.status == "allocated" and new.payment_method_id is None and new.source == "exchange"
    assert new.customer_id == order.customer_id and new.shipping_total == 0
    assert (lines["SKU-001"].quantity, lines["SKU-001"].unit_price, lines["SKU-001"].allocated) == (2, 0, 2)
    assert (lines["SKU-002"].quantity, lines["SKU-002"].unit_price) == (1, Decimal("7.50"))
    assert new.grand_total == Decimal("7.50")
    # The replacement's price includes its tax, as on the original order: 7.50 at 19 % holds 1.20 of tax.
    assert (new.tax_total, [line["tax"] for line in new.tax_lines]) == (Decimal("1.20"), ["1.20"])
    assert (lines["SKU-002"].tax_rate, lines["SKU-001"].tax_rate) == (Decimal("0.19"), Decimal("0.19"))
    detail = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id)
    assert detail.status == "exchanged" and detail.exchange_order_id == new_id
    assert events(shop)[-1] == "return.exchanged.v1"
    assert verify_levels(shop.ctx.engine, shop.ctx.tenant_id) == []
    # Paid by the returned goods: it ships, is delivered and is invoiced like any order.
    e, a = shop.ctx.engine, shop.ctx.actor
    perform(e, a, orders.ship_order, new_id)
    perform(e, a, orders.mark_delivered, new_id)
    invoice_id = perform(e, a, orders.invoice_order, new_id)
    with shop.ctx.uow() as uow:
        assert uow.conn.execute(select(o.c.status).where(o.c.id == new_id)).scalar_one() == "invoiced"
    assert read(e, a, invoices.get_invoice, invoice_id).tax_total == Decimal("1.20")


def test_a_return_for_an_undelivered_order_is_refused_and_changes_nothing(shop: Shop) -> None:
    customer_id = register(shop)
    placed = place_order(shop, customer_id, SKU_001=1)
    with shop.ctx.uow() as uow:
        line_id = uow.conn.execute(select(OrderLine.__table__.c.id).where(
            OrderLine.__table__.c.order_id == placed.order_id)).scalar_one()
    before = business_counts(shop)
    with pytest.raises(Conflict) as refused:
        perform(shop.ctx.engine, shop.actor, request_return, RequestReturn(
            order_id=placed.order_id, reason="defective", lines=[ReturnLineIn(order_line_id=line_id, quantity=1)]),
            customer_id=customer_id)
    assert "only delivered orders can be returned" in refused.value.message
    assert business_counts(shop) == before


def test_more_than_was_delivered_or_an_already_returned_line_is_refused(shop: Shop) -> None:
    order = delivered_order(shop, SKU_001=2, SKU_002=1)
    before = business_counts(shop)
    with pytest.raises(Conflict) as too_many:
        ask(shop, order, SKU_001=3)
    assert too_many.value.message == "SKU-001: only 2 unit(s) can still be returned"
    assert business_counts(shop) == before
    first = ask(shop, order, SKU_001=2)
    with pytest.raises(Conflict) as pending:
        ask(shop, order, SKU_001=1)
    assert "already returned or asked back" in pending.value.message
    do(shop, reject_return, first, Decision(note="outside the return window"))
    second = ask(shop, order, SKU_001=2)  # a rejected request no longer counts
    do(shop, authorize_return, second, Decision())
    do(shop, receive_items, second, ReceiveItems(location="MAIN/A/02"))
    before = business_counts(shop)
    with pytest.raises(Conflict) as done:
        ask(shop, order, SKU_001=1)
    assert done.value.message == "SKU-001: every delivered unit is already returned"
    assert business_counts(shop) == before


def test_a_customer_cannot_return_someone_elses_order(shop: Shop) -> None:
    order = delivered_order(shop, SKU_001=1)
    stranger = register(shop)
    with pytest.raises(NotFound):
        perform(shop.ctx.engine, shop.actor, request_return, RequestReturn(
            order_id=order.order_id, reason="other", lines=[ReturnLineIn(order_line_id=order.lines["SKU-001"],
                                                                          quantity=1)]), customer_id=stranger)
    with pytest.raises(NotFound):
        read(shop.ctx.engine, shop.actor, queries.customer_return, stranger, "RMA-000001")


def test_partial_receipt_counts_only_what_arrived(shop: Shop) -> None:
    order = delivered_order(shop, SKU_001=3)
    return_id = ask(shop, order, SKU_001=3)
    do(shop, authorize_return, return_id, Decision())
    line = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id).lines[0]
    with pytest.raises(ValidationFailed):
        do(shop, receive_items, return_id, ReceiveItems(location="MAIN/A/02", lines=[
            ReceivedLineIn(return_line_id=line.id, quantity=4)]))
    do(shop, receive_items, return_id, ReceiveItems(location="MAIN/Q/01", lines=[
        ReceivedLineIn(return_line_id=line.id, quantity=2)]))
    assert returned_units(shop, order) == {"SKU-001": 2}
    assert level(shop, "SKU-001", "MAIN/Q/01", "return_pending") == 2
    # The unit that never came back can be asked back again.
    ask(shop, order, SKU_001=1)


def test_staff_steps_need_their_permissions(shop: Shop) -> None:
    order = delivered_order(shop, SKU_001=2)
    return_id = ask(shop, order, SKU_001=2)
    viewer = staff(shop, RETURNS_VIEW)
    with pytest.raises(PermissionDenied):
        do(shop, authorize_return, return_id, Decision(), actor=viewer)
    with pytest.raises(PermissionDenied):
        do(shop, request_return, RequestReturn(order_id=order.order_id, reason="other", lines=[
            ReturnLineIn(order_line_id=order.lines["SKU-001"], quantity=1)]), actor=viewer)
    do(shop, authorize_return, return_id, Decision(), actor=staff(shop, RETURNS_MANAGE))
    # Receiving moves stock: the inventory service wants inventory.receive as well.
    with pytest.raises(PermissionDenied):
        do(shop, receive_items, return_id, ReceiveItems(location="MAIN/A/02"), actor=staff(shop, RETURNS_MANAGE))
    do(shop, receive_items, return_id, ReceiveItems(location="MAIN/A/02"),
       actor=staff(shop, RETURNS_MANAGE, INVENTORY_RECEIVE))
    line = read(shop.ctx.engine, viewer, queries.return_detail, return_id).lines[0]
    inspect = InspectReturn(lines=[InspectLineIn(return_line_id=line.id, grade="A")])
    with pytest.raises(PermissionDenied):
        do(shop, inspect_return, return_id, inspect, actor=staff(shop, RETURNS_MANAGE))
    do(shop, inspect_return, return_id, inspect, actor=staff(shop, RETURNS_MANAGE, INVENTORY_ADJUST))
    with pytest.raises(PermissionDenied):
        do(shop, refund_return, return_id, RefundReturn(), actor=staff(shop, RETURNS_MANAGE))
    assert do(shop, refund_return, return_id, RefundReturn(), actor=staff(shop, RETURNS_REFUND)) == Decimal("20.00")


def test_steps_out_of_order_and_missing_notes_are_refused(shop: Shop) -> None:
    order = delivered_order(shop, SKU_001=1)
    return_id = ask(shop, order, SKU_001=1)
    with pytest.raises(Conflict):
        do(shop, receive_items, return_id, ReceiveItems(location="MAIN/A/02"))
    with pytest.raises(ValidationFailed):
        do(shop, reject_return, return_id, Decision(note="  "))
    with pytest.raises(Conflict):
        do(shop, refund_return, return_id, RefundReturn())
    do(shop, authorize_return, return_id, Decision())
    with pytest.raises(Conflict):
        do(shop, authorize_return, return_id, Decision())
    do(shop, receive_items, return_id, ReceiveItems(location="MAIN/A/02"))
    with pytest.raises(ValidationFailed):  # every received line needs its grade
        do(shop, inspect_return, return_id, InspectReturn(lines=[InspectLineIn(return_line_id=-1, grade="A")]))
    assert level(shop, "SKU-001", "MAIN/A/02", "return_pending") == 1
    line = read(shop.ctx.engine, staff(shop), queries.return_detail, return_id).lines[0]
    do(shop, inspect_return, return_id, InspectReturn(lines=[InspectLineIn(return_line_id=line.id, grade="D")]))
    with pytest.raises(ValidationFailed):
        do(shop, close_return, return_id, Decision())
    do(shop, close_return, return_id, Decision(note="customer damage, no refund"))
    assert read(shop.ctx.engine, staff(shop), queries.return_detail, return_id).status == "closed"


def test_the_queue_lists_filters_and_ages(shop: Shop) -> None:
    order = delivered_order(shop, SKU_001=2, SKU_002=1)
    first = ask(shop, order, SKU_001=1)
    ask(shop, order, customer=False, SKU_002=1)
    do(shop, reject_return, first, Decision(note="no"))
    viewer = staff(shop, RETURNS_VIEW)
    everything = read(shop.ctx.engine, viewer, queries.list_returns)
    assert [r.number for r in everything.items] == ["RMA-000001", "RMA-000002"]
    open_ = read(shop.ctx.engine, viewer, queries.list_returns, status="open")
    assert [(r.number, r.initiated_by) for r in open_.items] == [("RMA-000002", "staff")]
    assert read(shop.ctx.engine, viewer, queries.list_returns, status="rejected").total == 1
    assert read(shop.ctx.engine, viewer, queries.list_returns, older_than_days=3).total == 0
    assert read(shop.ctx.engine, viewer, queries.list_returns, q=order.number).total == 2
    with pytest.raises(PermissionDenied):
        read(shop.ctx.engine, staff(shop, INVENTORY_ADJUST), queries.list_returns)


def test_two_requests_racing_for_the_same_units_let_only_one_through(shop: Shop) -> None:
    """Real threads, each in its own transaction: the order row is locked while the returnable units are counted,
    so the second request sees the first and is refused."""
    import threading

    order = delivered_order(shop, SKU_001=2)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def try_it() -> None:
        barrier.wait()
        try:
            ask(shop, order, SKU_001=2)
            outcomes.append("ok")
        except Conflict as refused:
            outcomes.append(refused.message)

    threads = [threading.Thread(target=try_it) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["SKU-001: every delivered unit is already returned or asked back", "ok"]


def test_another_tenant_never_sees_a_return(shop: Shop, engine: Any) -> None:
    from tests.conftest import new_tenant

    order = delivered_order(shop, SKU_001=1)
    return_id = ask(shop, order, SKU_001=1)
    other = new_tenant(engine)
    outsider = Actor(tenant_id=other.tenant_id, user_id=None, name="outsider",
                     permissions=frozenset({RETURNS_MANAGE, RETURNS_VIEW}))
    with pytest.raises(NotFound):
        read(engine, outsider, queries.return_detail, return_id)
    with pytest.raises(NotFound):
        perform(engine, outsider, authorize_return, return_id, Decision())
    assert read(engine, outsider, queries.list_returns).total == 0

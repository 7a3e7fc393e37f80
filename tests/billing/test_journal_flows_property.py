"""Journal entries balance for every business flow: random sequences of receipts, orders (placed and paid, shipped,
delivered and invoiced, returned and refunded, returned goods restocked or scrapped), write-offs and count
adjustments run through the real services on SQLite, the consumers drained; then every entry balances, the trial
balance's debits equal its credits (and its balances sum to zero), and the Inventory account equals the value of the
stock on hand at the cost the postings used.

Each SKU is always received at one cost of its own, so that cost is what every valuation method (FIFO, moving
average) gives its units: the stock's value is on hand × that cost, whatever the tenant's method.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from stockyard.billing import journal
from stockyard.billing import journal_domain as jd
from stockyard.billing.journal_models import JournalEntry, JournalLine
from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import DomainError
from stockyard.core.uow import perform, read
from stockyard.integration.dispatch import drain
from stockyard.inventory import counts, reservations
from stockyard.inventory.domain import STOCKED_USAGES
from stockyard.inventory.models import Location, StockLevel
from stockyard.inventory.movements import WriteOffStock, write_off_stock
from stockyard.returns import queries as return_queries
from stockyard.returns.services import (
    Decision,
    InspectLineIn,
    InspectReturn,
    ReceiveItems,
    RefundReturn,
    RequestReturn,
    ReturnLineIn,
    authorize_return,
    inspect_return,
    receive_items,
    refund_return,
    request_return,
)
from stockyard.sales import orders
from stockyard.sales.models import OrderLine
from tests.conftest import new_tenant
from tests.factories import receive
from tests.returns.support import place_order, staff
from tests.sales.shop_setup import Shop, build_shop

COSTS = {"SKU-001": Decimal("4.00"), "SKU-002": Decimal("7.35"), "SKU-003": Decimal("1.15")}
BIN = "MAIN/A/01"

skus = st.sampled_from(sorted(COSTS))
receipt = st.tuples(st.just("receive"), skus, st.integers(1, 6))
write_off = st.tuples(st.just("write_off"), skus, st.integers(1, 3))
count = st.tuples(st.just("count"), skus, st.integers(-3, 3))
# Stock reserved for an outside order system and issued by consuming the reservation (no shipment of ours).
issue = st.tuples(st.just("issue"), skus, st.integers(1, 3))
# An order of one or two SKUs, taken as far as `stage`: 0 placed and paid, 1 shipped, 2 invoiced, 3 returned in part
# and refunded (the returned units graded new: restocked, or unusable: scrapped).
order = st.tuples(st.just("order"), st.dictionaries(skus, st.integers(1, 2), min_size=1, max_size=2),
                  st.integers(0, 3), st.sampled_from(["new", "unusable"]))
flows = st.lists(st.one_of(receipt, write_off, count, issue, order), min_size=1, max_size=7)


@dataclass
class Run:
    shop: Shop
    skipped: list[str] = field(default_factory=list)

    @property
    def engine(self) -> Engine:
        return self.shop.ctx.engine

    def attempt(self, what: str, action: Any, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """A step the business could refuse (not enough free stock, ...): refused, it changes nothing."""
        try:
            return True, perform(self.engine, self.shop.ctx.actor, action, *args, **kwargs)
        except DomainError as error:
            self.skipped.append(f"{what}: {error.message}")
            return False, None


def _count(run: Run, sku: str, delta: int) -> None:
    opened, count_id = run.attempt("count", counts.open_count, counts.OpenCount(warehouse="MAIN", locations=[BIN]))
    if not opened:
        return
    counted = max(_on_hand(run, sku, BIN) + delta, 0)
    if not (run.attempt("count", counts.record_count, counts.RecordCount(
            count_id=count_id, location=BIN, sku=sku, counted=counted))[0]
            and run.attempt("count", counts.approve_count, count_id)[0]):
        run.attempt("count", counts.cancel_count, count_id)


def _issue(run: Run, sku: str, quantity: int, reference: str = "EXT-1") -> None:
    reserved, reservation_id = run.attempt("issue", reservations.reserve_stock, reservations.ReserveStock(
        sku=sku, quantity=quantity, reference=reference))
    if reserved:
        run.attempt("issue", reservations.consume_reservation, reservation_id, document_type="order",
                    document_id=reference)


def _order(run: Run, quantities: dict[str, int], stage: int, grade: str) -> None:
    try:
        placed = place_order(run.shop, None, **{sku.replace("-", "_"): q for sku, q in quantities.items()})
    except DomainError as error:
        run.skipped.append(f"order: {error.message}")
        return
    for step in (orders.ship_order, orders.mark_delivered, orders.invoice_order)[:stage]:
        if not run.attempt(step.__name__, step, placed.order_id)[0]:
            return
    if stage < 3:
        return
    with run.shop.ctx.uow() as uow:
        line_id, sku_quantity = uow.conn.execute(select(OrderLine.id, OrderLine.quantity).where(
            OrderLine.order_id == placed.order_id).order_by(OrderLine.id)).first()  # type: ignore[misc]
    clerk, e = staff(run.shop), run.engine
    return_id = perform(e, clerk, request_return, RequestReturn(
        order_id=placed.order_id, reason="defective", reason_text="flow test",
        lines=[ReturnLineIn(order_line_id=line_id, quantity=sku_quantity)])).id
    perform(e, clerk, authorize_return, return_id, Decision(note="ok"))
    perform(e, clerk, receive_items, return_id, ReceiveItems(location="MAIN/A/02"))
    line = read(e, clerk, return_queries.return_detail, return_id).lines[0]
    perform(e, clerk, inspect_return, return_id, InspectReturn(lines=[InspectLineIn(return_line_id=line.id,
                                                                                     grade=grade)]))
    perform(e, clerk, refund_return, return_id, RefundReturn())


def _on_hand(run: Run, sku: str, path: str) -> int:
    lv, loc = StockLevel.__table__, Location.__table__
    with run.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.sum(lv.c.on_hand), 0))
                                .join(loc, loc.c.id == lv.c.location_id).join(Sku.__table__,
                                                                              Sku.__table__.c.id == lv.c.sku_id)
                                .where(lv.c.tenant_id == run.shop.ctx.tenant_id, loc.c.path == path,
                                       Sku.__table__.c.code == sku)).scalar_one())


def _stock_value(run: Run) -> Decimal:
    """Every unit in a stocked location (any status) at its SKU's cost."""
    lv, loc, sku = StockLevel.__table__, Location.__table__, Sku.__table__
    with run.engine.connect() as conn:
        rows = conn.execute(select(sku.c.code, func.sum(lv.c.on_hand)).join(loc, loc.c.id == lv.c.location_id)
                            .join(sku, sku.c.id == lv.c.sku_id)
                            .where(lv.c.tenant_id == run.shop.ctx.tenant_id,
                                   loc.c.usage.in_(sorted(u.value for u in STOCKED_USAGES)))
                            .group_by(sku.c.code)).all()
    return sum((COSTS[code] * int(quantity) for code, quantity in rows), Decimal(0))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(steps=flows, opening=st.fixed_dictionaries({sku: st.integers(1, 6) for sku in COSTS}))
def test_every_flow_posts_balanced_entries_and_inventory_follows_the_stock(
        sqlite_engine: Engine, steps: list[tuple[Any, ...]], opening: dict[str, int]) -> None:
    ctx = new_tenant(sqlite_engine)
    run = Run(build_shop(ctx, stock={}))
    for sku, quantity in opening.items():
        receive(ctx, sku, BIN, quantity, unit_cost=COSTS[sku])
    for step in steps:
        if step[0] == "receive":
            receive(ctx, step[1], BIN, step[2], unit_cost=COSTS[step[1]])
        elif step[0] == "write_off":
            run.attempt("write-off", write_off_stock, WriteOffStock(sku=step[1], location=BIN, quantity=step[2],
                                                                    reason="damaged"))
        elif step[0] == "count":
            _count(run, step[1], step[2])
        elif step[0] == "issue":
            _issue(run, step[1], step[2])
        else:
            _order(run, *step[1:])
    drain(sqlite_engine, tenant_id=ctx.tenant_id)

    e, lines = JournalEntry.__table__, JournalLine.__table__
    with sqlite_engine.connect() as conn:
        sums = conn.execute(select(e.c.id, e.c.kind, func.sum(lines.c.debit), func.sum(lines.c.credit))
                            .join(lines, lines.c.entry_id == e.c.id).where(e.c.tenant_id == ctx.tenant_id)
                            .group_by(e.c.id, e.c.kind)).all()
    assert sums, "every run receives goods, so something is posted"
    unbalanced = [(i, kind, d, c) for i, kind, d, c in sums if Decimal(d) != Decimal(c) or not Decimal(d) > 0]
    assert unbalanced == []

    today = utcnow().date()
    balance = read(sqlite_engine, ctx.actor, journal.trial_balance, today - timedelta(days=1), today)
    [total] = journal.trial_balance_totals(balance)
    assert total.debit == total.credit and total.opening == 0 and total.closing == 0
    inventory = sum((r.closing for r in balance if r.account == jd.INVENTORY), Decimal(0))
    assert inventory == _stock_value(run), (steps, run.skipped)


def test_a_run_with_every_flow_reaches_every_posting_kind(sqlite_engine: Engine) -> None:
    """The random runs above are only as good as the flows they reach: one fixed run takes every kind of entry."""
    ctx = new_tenant(sqlite_engine)
    run = Run(build_shop(ctx, stock={}))
    for sku in COSTS:
        receive(ctx, sku, BIN, 8, unit_cost=COSTS[sku])
    _order(run, {"SKU-001": 2, "SKU-002": 1}, 3, "unusable")
    _order(run, {"SKU-003": 2}, 3, "new")
    run.attempt("write-off", write_off_stock, WriteOffStock(sku="SKU-002", location=BIN, quantity=1, reason="lost"))
    _count(run, "SKU-003", 2)
    _count(run, "SKU-001", -1)
    _issue(run, "SKU-002", 2, reference="ERP-77")
    drain(sqlite_engine, tenant_id=ctx.tenant_id)
    assert run.skipped == []
    with sqlite_engine.connect() as conn:
        kinds = set(conn.execute(select(JournalEntry.__table__.c.kind).where(
            JournalEntry.__table__.c.tenant_id == ctx.tenant_id)).scalars())
    assert kinds == {"receipt", "payment", "cogs", "invoice", "return_receipt", "return_credit", "refund",
                     "write_off", "count_gain", "count_loss"}
    with sqlite_engine.connect() as conn:
        issued = conn.execute(select(JournalEntry.__table__.c.kind).where(
            JournalEntry.__table__.c.tenant_id == ctx.tenant_id,
            JournalEntry.__table__.c.reference == "order ERP-77")).scalars().all()
    assert issued == ["cogs"]  # the outside order's units left the books at cost
    today = utcnow().date()
    balance = read(sqlite_engine, ctx.actor, journal.trial_balance, today, today)
    inventory = sum((r.closing for r in balance if r.account == jd.INVENTORY), Decimal(0))
    # SKU-001: 8 - 2 shipped + 2 returned - 2 scrapped - 1 counted missing; SKU-002: 8 - 1 shipped - 1 lost
    # - 2 issued to the outside order; SKU-003: 8 - 2 shipped + 2 returned and restocked + 2 counted found.
    assert inventory == _stock_value(run) == 5 * COSTS["SKU-001"] + 4 * COSTS["SKU-002"] + 10 * COSTS["SKU-003"]

"""Backorder volume and age: order line units that could not be allocated, open at the end of each bucket.

A line is short from its order's first allocation attempt until allocations (those not released) cover it; its
order's cancellation closes it. The open units at a moment are the line's quantity less what was allocated by then.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from stockyard.analytics.kpi import KpiResult, Period, Point, Table, kpi
from stockyard.analytics.kpi_stats import bucket_ends, window
from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork
from stockyard.sales.models import Order, OrderAllocation, OrderEvent, OrderLine

ATTEMPT_STATUSES = ("allocated", "partially_allocated", "backordered")
SHORT_STATUSES = ("partially_allocated", "backordered")
AGE_BUCKETS: tuple[tuple[str, int], ...] = (("0-7 days", 7), ("8-14 days", 14), ("15-30 days", 30),
                                            ("over 30 days", 10**6))


@dataclass(frozen=True)
class ShortLine:
    order: str
    sku: str
    quantity: int
    since: datetime  # the order's first allocation attempt
    closed_at: datetime | None  # the order's cancellation
    allocations: tuple[tuple[datetime, int], ...]
    expected_on: date | None

    def open_at(self, moment: datetime) -> int:
        if moment < self.since or (self.closed_at is not None and moment >= self.closed_at):
            return 0
        return max(0, self.quantity - sum(q for at, q in self.allocations if at <= moment))


def age_bucket(days: int) -> str:
    return next(name for name, limit in AGE_BUCKETS if days <= limit)


def _short_lines(uow: UnitOfWork, end: datetime) -> list[ShortLine]:
    tenant = uow.tenant_id
    short_orders = (select(OrderEvent.order_id).where(OrderEvent.tenant_id == tenant, OrderEvent.at < end,
                                                      OrderEvent.to_status.in_(SHORT_STATUSES)))
    marks = uow.conn.execute(
        select(OrderEvent.order_id, OrderEvent.to_status, func.min(OrderEvent.at).label("at"))
        .where(OrderEvent.tenant_id == tenant, OrderEvent.order_id.in_(short_orders),
               OrderEvent.to_status.in_((*ATTEMPT_STATUSES, "cancelled")))
        .group_by(OrderEvent.order_id, OrderEvent.to_status)).all()
    since: dict[int, datetime] = {}
    cancelled: dict[int, datetime] = {}
    for m in marks:
        if m.to_status == "cancelled":
            cancelled[m.order_id] = m.at
        elif m.order_id not in since or m.at < since[m.order_id]:
            since[m.order_id] = m.at
    lines = uow.conn.execute(
        select(OrderLine.id, OrderLine.order_id, OrderLine.sku_code, OrderLine.quantity,
               OrderLine.backorder_expected_on, Order.number)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.tenant_id == tenant, OrderLine.order_id.in_(short_orders))).all()
    allocated: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for a in uow.conn.execute(
            select(OrderAllocation.order_line_id, OrderAllocation.created_at, OrderAllocation.quantity)
            .where(OrderAllocation.tenant_id == tenant, OrderAllocation.order_id.in_(short_orders),
                   OrderAllocation.state != "released")):
        allocated[a.order_line_id].append((a.created_at, int(a.quantity)))
    return [ShortLine(line.number, line.sku_code, int(line.quantity), since[line.order_id],
                      cancelled.get(line.order_id), tuple(allocated[line.id]), line.backorder_expected_on)
            for line in lines if line.order_id in since]


@kpi("backorders", "Backorder volume and age", "units", "Orders", higher_is_better=False,
     filters={"age": tuple(name for name, _ in AGE_BUCKETS)})
def backorders(uow: UnitOfWork, period: Period) -> KpiResult:
    now = utcnow()
    _, end = window(period)
    lines = _short_lines(uow, end)
    ends = bucket_ends(period, now)
    units = {b: sum(line.open_at(at) for line in lines) for b, at in ends}
    counts = {b: sum(1 for line in lines if line.open_at(at)) for b, at in ends}
    measured = min(end, now)
    open_now = [(line, line.open_at(measured)) for line in lines if line.open_at(measured)]
    ages: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows = []
    for line, short in sorted(open_now, key=lambda item: (item[0].since, item[0].order, item[0].sku)):
        days = (measured - line.since).days
        tally = ages[age_bucket(days)]
        tally[0] += 1
        tally[1] += short
        if period.filter("age") in (None, age_bucket(days)):
            rows.append((line.order, line.sku, line.quantity, short, line.since, days, line.expected_on))
    return KpiResult(
        value=float(sum(short for _, short in open_now)),
        series=[Point(b, float(units[b])) for b, _ in ends],
        extra_series={"lines": [Point(b, float(counts[b])) for b, _ in ends]},
        breakdown=Table(("age", "lines", "units"),
                        [(name, ages[name][0], ages[name][1]) for name, _ in AGE_BUCKETS]),
        transactions=Table(("order", "sku", "ordered", "backordered units", "short since", "age days",
                            "expected on"), rows),
        links={"age": "age"},
        note=("Order line units not covered by allocations, open at each bucket's end (the period's end for the "
              "headline and the ages): a line is short from its order's first allocation attempt until later "
              "allocations cover it or the order is cancelled; age counts days since that attempt."))

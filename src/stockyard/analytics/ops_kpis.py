"""Warehouse operations KPI of /erp/analytics: pick and pack throughput per operator and working hour.

Picks are the pick lines an operator confirmed with units in hand (pick_lines.picked_by_name / picked_at); packs are
the orders an operator closed the last parcel of (the order timeline's move to `packed`, with its actor). A working
hour is a clock hour in which the operator picked (for the pick rate) or packed (for the pack rate) at least once.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from stockyard.analytics.kpi import KpiResult, Period, Point, Table, kpi
from stockyard.analytics.kpi_stats import bucket_of, rounded, window
from stockyard.catalog.models import Sku
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.execution_models import PickLine, PickList
from stockyard.sales.models import Order, OrderEvent


def clock_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


@dataclass
class Tally:
    lines: int = 0
    units: int = 0
    packed: int = 0
    pick_hours: set[tuple[str, datetime]] = field(default_factory=set)
    pack_hours: set[tuple[str, datetime]] = field(default_factory=set)

    def pick_rate(self) -> float | None:
        return rounded(self.lines / len(self.pick_hours)) if self.pick_hours else None

    def pack_rate(self) -> float | None:
        return rounded(self.packed / len(self.pack_hours)) if self.pack_hours else None


@kpi("pick-pack-throughput", "Pick and pack throughput per operator hour", "lines/hour", "Operations",
     filters={"operator": ()})
def pick_pack_throughput(uow: UnitOfWork, period: Period) -> KpiResult:
    tenant = uow.tenant_id
    start, end = window(period)
    operator = period.filter("operator")
    picks = uow.conn.execute(
        select(PickLine.picked_by_name, PickLine.picked_at, PickLine.picked, PickList.id.label("list_id"),
               PickList.kind, Order.number, Sku.code)
        .join(PickList, PickList.id == PickLine.pick_list_id)
        .join(Sku, Sku.id == PickLine.sku_id)
        .outerjoin(Order, Order.id == PickList.order_id)
        .where(PickLine.tenant_id == tenant, PickLine.picked > 0, PickLine.picked_at >= start,
               PickLine.picked_at < end, *([PickLine.picked_by_name == operator] if operator else []))
        .order_by(PickLine.picked_at, PickLine.id)).all()
    packs = uow.conn.execute(
        select(OrderEvent.actor_name, OrderEvent.at, Order.number)
        .join(Order, Order.id == OrderEvent.order_id)
        .where(OrderEvent.tenant_id == tenant, OrderEvent.to_status == "packed", OrderEvent.at >= start,
               OrderEvent.at < end, *([OrderEvent.actor_name == operator] if operator else []))
        .order_by(OrderEvent.at, OrderEvent.id)).all()
    operators: dict[str, Tally] = defaultdict(Tally)
    buckets: dict[date, Tally] = defaultdict(Tally)
    total = Tally()
    rows = []
    for p in picks:
        who = p.picked_by_name or "(unnamed)"
        for tally in (operators[who], buckets[bucket_of(p.picked_at, period)], total):
            tally.lines += 1
            tally.units += p.picked
            tally.pick_hours.add((who, clock_hour(p.picked_at)))
        rows.append((p.picked_at, who, "pick", p.number or f"{p.kind} list {p.list_id}", p.code, p.picked))
    for p in packs:
        who = p.actor_name or "(unnamed)"
        for tally in (operators[who], buckets[bucket_of(p.at, period)], total):
            tally.packed += 1
            tally.pack_hours.add((who, clock_hour(p.at)))
        rows.append((p.at, who, "pack", p.number, "", None))
    rows.sort(key=lambda r: (r[0], r[2], r[1]))
    return KpiResult(
        value=total.pick_rate(),
        series=[Point(b, buckets[b].pick_rate() if b in buckets else None) for b in period.buckets()],
        extra_series={"orders packed per packing hour": [Point(b, buckets[b].pack_rate() if b in buckets else None)
                                                          for b in period.buckets()]},
        breakdown=Table(("operator", "lines picked", "units picked", "picking hours", "lines per hour",
                         "orders packed", "packing hours", "orders per hour"),
                        [(who, t.lines, t.units, len(t.pick_hours), t.pick_rate(), t.packed, len(t.pack_hours),
                          t.pack_rate()) for who, t in sorted(operators.items())]),
        transactions=Table(("at", "operator", "task", "order or list", "sku", "units"), rows),
        links={"operator": "operator"},
        note=("Pick lines confirmed with units (any pick list) per operator picking hour, and orders packed per "
              "operator packing hour; a working hour is a clock hour in which the operator did that task at least "
              "once, so idle hours are not counted."))

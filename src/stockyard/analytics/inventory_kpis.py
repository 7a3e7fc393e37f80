"""Inventory KPIs from the stock ledger, orders and counts: turnover and days of inventory, fill rate, stock-out
frequency, aged inventory and inventory accuracy. Each is registered with `@kpi` and drawn by /erp/analytics."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from stockyard.analytics.domain import turnover
from stockyard.analytics.inventory_queries import (
    CountedLine,
    FirstShipmentLine,
    SkuInfo,
    counted_lines,
    first_shipment_lines,
    ledger_moves,
    skus,
    warehouses,
)
from stockyard.analytics.kpi import KpiResult, Period, Point, Table, kpi
from stockyard.analytics.ledger_replay import (
    AGE_BUCKETS,
    Layer,
    Pair,
    age_bucket,
    day_start,
    replay_fifo,
    stock_out_days,
    value_of,
)
from stockyard.core.uow import UnitOfWork
from stockyard.inventory.domain import Reason
from stockyard.inventory.queries import average_costs

GROUP = "Inventory"
CENT = Decimal("0.01")
BY = ("sku", "category", "warehouse")
PLACE_FILTERS: dict[str, tuple[str, ...]] = {"sku": (), "warehouse": (), "category": ()}


@dataclass(frozen=True)
class Span:
    bucket: date  # the first day of the bucket (the chart's label)
    start: date  # the bucket's days inside the period
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def spans(period: Period) -> list[Span]:
    buckets = period.buckets()
    out = []
    for i, first in enumerate(buckets):
        last = buckets[i + 1] - timedelta(days=1) if i + 1 < len(buckets) else period.end
        out.append(Span(first, max(first, period.start), min(last, period.end)))
    return out


def after(day: date) -> datetime:
    return day_start(day + timedelta(days=1))


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_EVEN)


def _percent(part: float | Decimal, whole: float | Decimal) -> float | None:
    return round(float(part) / float(whole) * 100, 1) if whole else None


@dataclass(frozen=True)
class Scope:
    """The SKU / warehouse / category filters of the page, applied to (SKU, warehouse) pairs."""

    skus: dict[int, SkuInfo]
    warehouses: dict[int, str]
    sku: str | None
    warehouse: str | None
    category: str | None

    def keeps(self, sku_id: int, warehouse_id: int | None = None) -> bool:
        info = self.skus.get(sku_id)
        if self.sku and (info is None or info.code != self.sku):
            return False
        if self.category and (info is None or info.category != self.category):
            return False
        return not (self.warehouse and (warehouse_id is None or self.warehouses.get(warehouse_id) != self.warehouse))

    def code(self, sku_id: int) -> str:
        info = self.skus.get(sku_id)
        return info.code if info else f"#{sku_id}"

    def key(self, by: str, pair: Pair) -> str:
        if by == "warehouse":
            return self.warehouses.get(pair[1], f"#{pair[1]}")
        if by == "category":
            info = self.skus.get(pair[0])
            return info.category if info else "?"
        return self.code(pair[0])


def _scope(uow: UnitOfWork, period: Period) -> Scope:
    return Scope(skus(uow), warehouses(uow), period.filter("sku"), period.filter("warehouse"),
                 period.filter("category"))


def _by(period: Period) -> str:
    by = period.filter("by") or "category"
    return by if by in BY else "category"


# --- turnover and days of inventory ---------------------------------------------------------------------------

@dataclass(frozen=True)
class TurnoverData:
    by: str
    cogs: dict[str, Decimal]
    opening: dict[str, Decimal]
    closing: dict[str, Decimal]
    spans: list[tuple[Span, Decimal, Decimal, Decimal]]  # (span, cogs, opening, closing)
    transactions: Table


def turnover_data(uow: UnitOfWork, period: Period) -> TurnoverData:
    scope, by = _scope(uow, period), _by(period)
    periods = spans(period)
    marks = [day_start(s.start) for s in periods] + [after(period.end)]
    fifo = replay_fifo(ledger_moves(uow, after(period.end)), marks)
    values = {mark: {pair: v for pair, v in value_of(layers).items() if scope.keeps(*pair)}
              for mark, layers in fifo.snapshots.items()}
    sold = [i for i in fifo.issues if i.move.reason == Reason.SHIPMENT.value and scope.keeps(i.move.sku_id,
                                                                                             i.warehouse_id)
            and day_start(period.start) <= i.move.at < after(period.end)]
    cogs: dict[str, Decimal] = defaultdict(Decimal)
    for issue in sold:
        cogs[scope.key(by, (issue.move.sku_id, issue.warehouse_id))] += issue.cost
    opening: dict[str, Decimal] = defaultdict(Decimal)
    closing: dict[str, Decimal] = defaultdict(Decimal)
    for pair, value in values[day_start(period.start)].items():
        opening[scope.key(by, pair)] += value
    for pair, value in values[after(period.end)].items():
        closing[scope.key(by, pair)] += value
    span_rows = []
    for s in periods:
        span_cogs = sum((i.cost for i in sold if day_start(s.start) <= i.move.at < after(s.end)), Decimal(0))
        span_rows.append((s, span_cogs, sum(values[day_start(s.start)].values(), Decimal(0)),
                          sum(values[after(s.end)].values(), Decimal(0))))
    rows = [(i.move.at.date(), scope.code(i.move.sku_id), scope.warehouses.get(i.warehouse_id, ""), i.move.quantity,
             _money(i.cost / i.move.quantity), _money(i.cost), i.move.document) for i in sold]
    return TurnoverData(by, dict(cogs), dict(opening), dict(closing), span_rows,
                        Table(("Shipped on", "SKU", "Warehouse", "Units", "Unit cost (FIFO)", "COGS", "Document"),
                              rows))


def _turnover_breakdown(data: TurnoverData, days: int) -> Table:
    label = {"sku": "SKU", "category": "Category", "warehouse": "Warehouse"}[data.by]
    rows = []
    for key in sorted(set(data.cogs) | set(data.opening) | set(data.closing)):
        t = turnover(data.cogs.get(key, Decimal(0)), data.opening.get(key, Decimal(0)),
                     data.closing.get(key, Decimal(0)), days)
        rows.append((key, _money(t.cogs), _money(data.opening.get(key, Decimal(0))),
                     _money(data.closing.get(key, Decimal(0))), _money(t.average_inventory), t.ratio,
                     t.days_of_inventory))
    rows.sort(key=lambda r: (-(r[1] or 0), r[0]))
    return Table((label, "COGS", "Opening value", "Closing value", "Average inventory", "Turnover",
                  "Days of inventory"), rows)


def _total_turnover(data: TurnoverData) -> tuple[Decimal, Decimal, Decimal]:
    return (sum(data.cogs.values(), Decimal(0)), sum(data.opening.values(), Decimal(0)),
            sum(data.closing.values(), Decimal(0)))


TURNOVER_NOTE = ("Turnover = cost of goods shipped to customers in the period (each unit at its FIFO receipt cost) ÷ "
                 "average inventory at cost ((opening value + closing value) ÷ 2, both replayed from the ledger); "
                 "not annualised. Days of inventory = days in the period × average inventory ÷ COGS. Returns and "
                 "write-offs are not COGS. Breakdown by {by}; each point of the chart is the same figure within "
                 "its {bucket}.")
TURNOVER_FILTERS = {"by": BY, **PLACE_FILTERS}


def _links(by: str) -> dict[str, str]:
    return {{"sku": "SKU", "category": "Category", "warehouse": "Warehouse"}[by]: by}


@kpi("inventory-turnover", "Inventory turnover", "×", GROUP, filters=TURNOVER_FILTERS, chart="bar")
def inventory_turnover(uow: UnitOfWork, period: Period) -> KpiResult:
    data = turnover_data(uow, period)
    total = turnover(*_total_turnover(data), period.days)
    series = [Point(s.bucket, _float(turnover(c, o, e, s.days).ratio)) for s, c, o, e in data.spans]
    return KpiResult(_float(total.ratio), series, _turnover_breakdown(data, period.days), data.transactions,
                     TURNOVER_NOTE.format(by=data.by, bucket=period.bucket), links=_links(data.by))


@kpi("days-of-inventory", "Days of inventory", "days", GROUP, higher_is_better=False, filters=TURNOVER_FILTERS)
def days_of_inventory(uow: UnitOfWork, period: Period) -> KpiResult:
    data = turnover_data(uow, period)
    total = turnover(*_total_turnover(data), period.days)
    series = [Point(s.bucket, _float(turnover(c, o, e, s.days).days_of_inventory)) for s, c, o, e in data.spans]
    return KpiResult(_float(total.days_of_inventory), series, _turnover_breakdown(data, period.days),
                     data.transactions, TURNOVER_NOTE.format(by=data.by, bucket=period.bucket),
                     links=_links(data.by))


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _shown(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


# --- fill rate ---------------------------------------------------------------------------------------------------

@kpi("fill-rate", "Fill rate", "%", GROUP, filters={"sku": ()})
def fill_rate(uow: UnitOfWork, period: Period) -> KpiResult:
    scope = _scope(uow, period)
    lines = [x for x in first_shipment_lines(uow, period.start, period.end) if scope.keeps(x.sku_id)]

    def rates(given: Iterable[FirstShipmentLine]) -> tuple[float | None, float | None]:
        chosen = list(given)
        complete = sum(1 for x in chosen if x.shipped_first >= x.ordered)
        units = sum(min(x.shipped_first, x.ordered) for x in chosen)
        return _percent(complete, len(chosen)), _percent(units, sum(x.ordered for x in chosen))

    series, units_series = [], []
    for s in spans(period):
        line_rate, unit_rate = rates(x for x in lines if s.start <= x.first_day <= s.end)
        series.append(Point(s.bucket, line_rate))
        units_series.append(Point(s.bucket, unit_rate))
    by_sku: dict[int, list[FirstShipmentLine]] = defaultdict(list)
    for x in lines:
        by_sku[x.sku_id].append(x)
    breakdown = []
    for sku_id, chosen in by_sku.items():
        line_rate, unit_rate = rates(chosen)
        breakdown.append((scope.code(sku_id), len(chosen), sum(1 for x in chosen if x.shipped_first >= x.ordered),
                          line_rate, sum(x.ordered for x in chosen),
                          sum(min(x.shipped_first, x.ordered) for x in chosen), unit_rate))
    breakdown.sort(key=lambda r: (r[3] if r[3] is not None else 101, r[0]))
    transactions = [(x.order_number, x.first_day, scope.code(x.sku_id), x.ordered, x.shipped_first,
                     "yes" if x.shipped_first >= x.ordered else "no") for x in lines]
    headline, unit_headline = rates(lines)
    note = ("Of the order lines whose order first shipped in the period: the share shipped complete with the "
            "order's first dispatch (its shipments on the day of the first one), and the share of units "
            f"(units: {_shown(unit_headline)}%). Later shipments of backordered or "
            "split lines do not count.")
    return KpiResult(headline, series,
                     Table(("SKU", "Lines", "Lines complete", "Line fill %", "Units ordered", "Units on first dispatch",
                            "Unit fill %"), breakdown),
                     Table(("Order", "First shipped", "SKU", "Ordered", "On first dispatch", "Complete"), transactions),
                     note, {"Units %": units_series}, links={"SKU": "sku"})


# --- stock-outs ---------------------------------------------------------------------------------------------------

@kpi("stock-out-frequency", "Stock-out frequency", "%", GROUP, higher_is_better=False,
     filters={"sku": (), "warehouse": (), "category": ()})
def stock_out_frequency(uow: UnitOfWork, period: Period) -> KpiResult:
    scope = _scope(uow, period)
    days = {pair: d for pair, d in stock_out_days(ledger_moves(uow, after(period.end)), period.start,
                                                  period.end).items() if scope.keeps(*pair)}
    series = []
    for s in spans(period):
        stocked = sum(d.stocked_between(s.start, s.end) for d in days.values())
        out = sum(1 for d in days.values() for day in d.out if s.start <= day <= s.end)
        series.append(Point(s.bucket, _percent(out, stocked)))
    stocked_total = sum(d.stocked_between(period.start, period.end) for d in days.values())
    out_total = sum(len(d.out) for d in days.values())
    breakdown = [(scope.code(sku), scope.warehouses.get(wh, ""), d.stocked_between(period.start, period.end),
                  len(d.out), _percent(len(d.out), d.stocked_between(period.start, period.end)))
                 for (sku, wh), d in days.items()]
    breakdown.sort(key=lambda r: (-(r[4] or 0), r[0], r[1]))
    episodes = []
    for (sku, wh), d in sorted(days.items(), key=lambda item: (scope.code(item[0][0]), item[0][1])):
        for first, last in _runs(d.out):
            episodes.append((scope.code(sku), scope.warehouses.get(wh, ""), first, last, (last - first).days + 1))
    note = ("SKU-days with no sellable stock in a warehouse (zero at the start of the day or after any move that "
            "day) ÷ SKU-days it was stocked there (from the day it first arrived), replayed from the ledger.")
    return KpiResult(_percent(out_total, stocked_total), series,
                     Table(("SKU", "Warehouse", "Days stocked", "Days out of stock", "Out of stock %"), breakdown),
                     Table(("SKU", "Warehouse", "Out from", "Out until", "Days"), episodes), note,
                     links={"SKU": "sku", "Warehouse": "warehouse"})


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


# --- aged inventory -------------------------------------------------------------------------------------------------

OLDEST = AGE_BUCKETS[-1][0]


@kpi("aged-inventory", "Aged inventory (90+ days)", "%", GROUP, higher_is_better=False, filters=PLACE_FILTERS)
def aged_inventory(uow: UnitOfWork, period: Period) -> KpiResult:
    scope = _scope(uow, period)
    periods = spans(period)
    marks = {s.end: after(s.end) for s in periods}
    fifo = replay_fifo(ledger_moves(uow, after(period.end)), list(marks.values()))

    def layers_at(day: date) -> list[tuple[Pair, Layer]]:
        return [(pair, layer) for pair, stack in fifo.snapshots[marks[day]].items() if scope.keeps(*pair)
                for layer in stack]

    def old_share(day: date) -> float | None:
        chosen = layers_at(day)
        total = sum((layer.value for _, layer in chosen), Decimal(0))
        old = sum((layer.value for _, layer in chosen if age_bucket(layer.received_at, day) == OLDEST), Decimal(0))
        return _percent(old, total)

    series = [Point(s.bucket, old_share(s.end)) for s in periods]
    final = layers_at(period.end)
    units: dict[str, int] = defaultdict(int)
    value: dict[str, Decimal] = defaultdict(Decimal)
    rows = []
    for (sku, wh), layer in final:
        bucket = age_bucket(layer.received_at, period.end)
        units[bucket] += layer.quantity
        value[bucket] += layer.value
        rows.append((scope.code(sku), scope.warehouses.get(wh, ""), layer.received_at.date(),
                     (period.end - layer.received_at.date()).days, bucket, layer.quantity, _money(layer.unit_cost),
                     _money(layer.value)))
    rows.sort(key=lambda r: (r[2], r[0], r[1]))
    total = sum(value.values(), Decimal(0))
    breakdown = [(name, units.get(name, 0), _money(value.get(name, Decimal(0))),
                  _percent(value.get(name, Decimal(0)), total)) for name, _, _ in AGE_BUCKETS]
    note = (f"On-hand units as of {period.end.isoformat()} aged first-in first-out: each unit is as old as the "
            "receipt it came from (a transfer keeps its age), valued at that receipt's cost. The figure is the share "
            "of that value received more than 90 days before; the chart shows it at the end of each "
            f"{period.bucket}.")
    return KpiResult(_percent(value.get(OLDEST, Decimal(0)), total), series,
                     Table(("Age", "Units", "Value", "Share of value %"), breakdown),
                     Table(("SKU", "Warehouse", "Received", "Age (days)", "Age bucket", "Units", "Unit cost", "Value"),
                           rows), note, links={})


# --- inventory accuracy ---------------------------------------------------------------------------------------------

@kpi("inventory-accuracy", "Inventory accuracy", "%", GROUP, filters={"sku": (), "warehouse": ()})
def inventory_accuracy(uow: UnitOfWork, period: Period) -> KpiResult:
    scope = _scope(uow, period)
    costs = average_costs(uow)
    lines = [x for x in counted_lines(uow, period.start, period.end) if scope.keeps(x.sku_id, x.warehouse_id)]

    def worth(x: CountedLine) -> Decimal:
        return costs.get(x.sku_id, Decimal(0)) * max(x.system_qty, x.counted)

    def rates(chosen: list[CountedLine]) -> tuple[float | None, float | None]:
        exact = [x for x in chosen if x.counted == x.system_qty]
        return (_percent(len(exact), len(chosen)),
                _percent(sum((worth(x) for x in exact), Decimal(0)), sum((worth(x) for x in chosen), Decimal(0))))

    series, value_series = [], []
    for s in spans(period):
        line_rate, value_rate = rates([x for x in lines if s.start <= x.counted_at.date() <= s.end])
        series.append(Point(s.bucket, line_rate))
        value_series.append(Point(s.bucket, value_rate))
    by_wh: dict[int, list[CountedLine]] = defaultdict(list)
    for x in lines:
        by_wh[x.warehouse_id].append(x)
    breakdown = []
    for wh, chosen in sorted(by_wh.items(), key=lambda item: scope.warehouses.get(item[0], "")):
        exact = [x for x in chosen if x.counted == x.system_qty]
        line_rate, value_rate = rates(chosen)
        breakdown.append((scope.warehouses.get(wh, ""), len(chosen), len(exact), line_rate,
                          _money(sum((worth(x) for x in chosen), Decimal(0))),
                          _money(sum((worth(x) for x in exact), Decimal(0))), value_rate))
    transactions = [(x.count_id, x.counted_at.date(), scope.warehouses.get(x.warehouse_id, ""), x.location,
                     scope.code(x.sku_id), x.system_qty, x.counted, x.counted - x.system_qty,
                     _money(costs.get(x.sku_id, Decimal(0))), _money(worth(x))) for x in lines]
    headline, value_headline = rates(lines)
    note = ("Share of counted lines (recorded in the period, on counts not cancelled) where the count matched the "
            "ledger, and the same share weighted by each line's value at the SKU's average receipt cost "
            f"(the larger of system and counted units): value-weighted {_shown(value_headline)}%.")
    return KpiResult(headline, series,
                     Table(("Warehouse", "Lines counted", "Lines exact", "Line accuracy %", "Value counted",
                            "Value exact", "Value accuracy %"), breakdown),
                     Table(("Count", "Counted on", "Warehouse", "Location", "SKU", "System", "Counted", "Variance",
                            "Unit cost", "Value"), transactions),
                     note, {"Value-weighted %": value_series}, links={"Warehouse": "warehouse"})

"""Order KPIs of /erp/analytics: on time in full (OTIF) and order cycle time by status step."""

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from stockyard.analytics.kpi import KpiResult, Period, Point, Table, kpi
from stockyard.analytics.kpi_stats import bucket_of, hours, percentile, ratio, rounded, series, window
from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.models import Shipment, ShipmentLine, ShippingMethod
from stockyard.fulfilment.rating import add_working_days
from stockyard.sales.models import Channel, Order, OrderEvent, OrderLine

# When an order's shipping quote has no promised date: handling days plus the method's transit days (or these).
DEFAULT_HANDLING_DAYS = 1
DEFAULT_TRANSIT_DAYS = 2
# Orders placed this long before the period may still be promised within it.
PROMISE_LOOKBACK_DAYS = 90

# The status steps of an order's life, and the statuses that mark reaching each one.
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("placed", ("placed",)),
    ("paid", ("paid",)),
    ("allocated", ("allocated", "partially_allocated")),
    ("picking", ("picking",)),
    ("packed", ("packed",)),
    ("shipped", ("shipped",)),
    ("delivered", ("delivered",)),
)
STATUS_STEP = {status: step for step, statuses in STEPS for status in statuses}
TOTAL_STEP = "placed → shipped"
PAIRS = [(f"{a} → {b}", a, b) for (a, _), (b, _) in zip(STEPS, STEPS[1:], strict=False)] + [
    (TOTAL_STEP, "placed", "shipped")]
STEP_LABELS = tuple(label for label, _, _ in PAIRS[:-1])


def promised_on(quote: dict[str, object] | None, placed_at: datetime, transit_days: int | None) -> date:
    """The promised delivery date of the shipping quote; without one, placed date + handling + transit days."""
    promised = (quote or {}).get("promised_date")
    if isinstance(promised, str) and promised:
        return date.fromisoformat(promised[:10])
    transit = DEFAULT_TRANSIT_DAYS if transit_days is None else transit_days
    return add_working_days(placed_at.date(), DEFAULT_HANDLING_DAYS + transit)


def arrived_on(shipped_at: datetime, delivered_at: datetime | None, transit_days: int) -> date:
    """The delivery date the carrier reported, else the ship date plus the method's transit working days."""
    return delivered_at.date() if delivered_at is not None else add_working_days(shipped_at.date(), transit_days)


@kpi("otif", "On time in full (OTIF)", "%", "Orders", filters={"channel": ()})
def otif(uow: UnitOfWork, period: Period) -> KpiResult:
    tenant = uow.tenant_id
    start, end = window(period)
    today = utcnow().date()
    in_scope = [Order.tenant_id == tenant, Order.status != "cancelled",
                Order.placed_at >= start - timedelta(days=PROMISE_LOOKBACK_DAYS), Order.placed_at < end]
    if (channel := period.filter("channel")) is not None:
        in_scope.append(Order.channel_id.in_(select(Channel.id).where(Channel.tenant_id == tenant,
                                                                       Channel.name == channel)))
    orders = uow.conn.execute(
        select(Order.id, Order.number, Order.placed_at, Order.shipping_quote, Channel.name.label("channel"),
               ShippingMethod.transit_days)
        .join(Channel, Channel.id == Order.channel_id)
        .outerjoin(ShippingMethod, ShippingMethod.id == Order.shipping_method_id)
        .where(*in_scope)).all()
    ordered_units = dict(uow.conn.execute(
        select(OrderLine.order_id, func.sum(OrderLine.quantity)).join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.tenant_id == tenant, *in_scope).group_by(OrderLine.order_id)).all())
    shipped = uow.conn.execute(
        select(Shipment.order_id, Shipment.shipped_at, Shipment.delivered_at, ShippingMethod.transit_days,
               func.sum(ShipmentLine.quantity).label("units"))
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .join(ShippingMethod, ShippingMethod.id == Shipment.method_id)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.tenant_id == tenant, Shipment.status != "cancelled", Shipment.shipped_at.is_not(None),
               *in_scope)
        .group_by(Shipment.id, Shipment.order_id, Shipment.shipped_at, Shipment.delivered_at,
                  ShippingMethod.transit_days)).all()
    arrivals: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for s in shipped:
        arrivals[s.order_id].append((arrived_on(s.shipped_at, s.delivered_at, int(s.transit_days)), int(s.units)))
    per_bucket: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    per_channel: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows = []
    for o in sorted(orders, key=lambda o: o.placed_at):
        promised = promised_on(o.shipping_quote, o.placed_at, o.transit_days)
        ordered = int(ordered_units.get(o.id) or 0)
        by_promise = sum(units for day, units in arrivals[o.id] if day <= promised)
        arrived = sum(units for _, units in arrivals[o.id])
        if not (period.start <= promised <= period.end) or (promised > today and by_promise < ordered):
            continue  # promised outside the period, or not yet due and not yet complete
        good = by_promise >= ordered
        completed = max(day for day, _ in arrivals[o.id]) if arrived >= ordered else None
        result = ("on time in full" if good else "late" if completed is not None
                  else f"not in full ({arrived} of {ordered} units)")
        for tally in (per_bucket[bucket_of(promised, period)], per_channel[o.channel]):
            tally[0] += int(good)
            tally[1] += 1
        rows.append((o.number, o.channel, o.placed_at.date(), promised, ordered, by_promise, completed, result))
    good_total = sum(t[0] for t in per_channel.values())
    count = sum(t[1] for t in per_channel.values())
    return KpiResult(
        value=rounded(ratio(good_total, count)),
        series=series(period, {b: rounded(ratio(t[0], t[1])) for b, t in per_bucket.items()}),
        breakdown=Table(("channel", "orders due", "on time in full", "OTIF %"),
                        [(name, t[1], t[0], rounded(ratio(t[0], t[1]))) for name, t in sorted(per_channel.items())]),
        transactions=Table(("order", "channel", "placed", "promised", "units ordered", "units arrived by promise",
                            "complete on", "result"), rows),
        links={"channel": "channel"},
        note=("Share of orders (not cancelled) promised within the period, bucketed by promised date, whose every "
              "unit arrived by the promised delivery date of the order's shipping quote (or, without one, the placed "
              f"date + {DEFAULT_HANDLING_DAYS} handling + the method's transit working days); a shipment arrives "
              "when the carrier reports it delivered, else on its ship date + the method's transit working days."))


def _first_times(uow: UnitOfWork, start: datetime, end: datetime) -> tuple[dict[int, dict[str, datetime]],
                                                                                 dict[int, str]]:
    """Per order that reached a step within the window, the first time it reached each step; and its number."""
    tenant = uow.tenant_id
    reached = (select(OrderEvent.order_id)
               .where(OrderEvent.tenant_id == tenant, OrderEvent.at >= start, OrderEvent.at < end,
                      OrderEvent.to_status.in_(list(STATUS_STEP)), OrderEvent.to_status != "placed"))
    rows = uow.conn.execute(
        select(OrderEvent.order_id, OrderEvent.to_status, func.min(OrderEvent.at).label("at"),
               Order.number, Order.placed_at)
        .join(Order, Order.id == OrderEvent.order_id)
        .where(OrderEvent.tenant_id == tenant, Order.tenant_id == tenant, OrderEvent.order_id.in_(reached),
               OrderEvent.to_status.in_(list(STATUS_STEP)))
        .group_by(OrderEvent.order_id, OrderEvent.to_status, Order.number, Order.placed_at)).all()
    times: dict[int, dict[str, datetime]] = defaultdict(dict)
    numbers: dict[int, str] = {}
    for order_id, status, at, number, placed_at in rows:
        if order_id not in numbers:
            numbers[order_id] = number
            times[order_id]["placed"] = placed_at
        step = STATUS_STEP[status]
        first = times[order_id]
        if step not in first or at < first[step]:
            first[step] = at
    return times, numbers


@kpi("order-cycle-time", "Order cycle time by status step", "hours", "Orders", higher_is_better=False,
     filters={"step": STEP_LABELS})
def order_cycle_time(uow: UnitOfWork, period: Period) -> KpiResult:
    start, end = window(period)
    times, numbers = _first_times(uow, start, end)
    pairs = PAIRS
    durations: dict[str, list[float]] = defaultdict(list)
    by_bucket: dict[str, dict[date, list[float]]] = defaultdict(lambda: defaultdict(list))
    rows = []
    for order_id, first in sorted(times.items(), key=lambda item: numbers[item[0]]):
        for label, a, b in pairs:
            began, ended = first.get(a), first.get(b)
            if began is None or ended is None or ended < began or not (start <= ended < end):
                continue
            took = hours(began, ended)
            durations[label].append(took)
            by_bucket[label][bucket_of(ended, period)].append(took)
            if label != TOTAL_STEP and period.filter("step") in (None, label):
                rows.append((numbers[order_id], label, began, ended, round(took, 2)))
    total = by_bucket[TOTAL_STEP]
    return KpiResult(
        value=rounded(percentile(durations[TOTAL_STEP], 0.5)),
        series=series(period, {b: rounded(percentile(v, 0.5)) for b, v in total.items()}),
        extra_series={label: [Point(b, rounded(percentile(by_bucket[label].get(b, []), 0.5)))
                              for b in period.buckets()] for label, _, _ in pairs[:-1] if durations[label]},
        breakdown=Table(("step", "orders", "median hours", "p90 hours"),
                        [(label, len(durations[label]), rounded(percentile(durations[label], 0.5)),
                          rounded(percentile(durations[label], 0.9))) for label, _, _ in pairs]),
        transactions=Table(("order", "step", "started", "finished", "hours"), rows),
        links={"step": "step"},
        note=("Hours between the first time an order reached one status and the first time it reached the next, from "
              "the order timeline (allocated includes partially allocated), counted in the bucket the step ended; "
              "median and p90 (linear interpolation); the headline is the median from placed to shipped in full."))

"""Returns KPIs of /erp/analytics: return rate by SKU and reason, return reasons, and refund cycle time."""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Subquery, func, select

from stockyard.analytics.kpi import KpiResult, Period, Point, Table, kpi
from stockyard.analytics.kpi_stats import bucket_of, hours, percentile, ratio, rounded, series, window
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.models import Shipment, ShipmentLine
from stockyard.returns.models import ReturnAuthorization, ReturnEvent, ReturnLine
from stockyard.sales.models import Order, OrderLine

CENT = Decimal("0.01")


def _first_event(uow: UnitOfWork, status: str) -> Subquery:
    return (select(ReturnEvent.return_id, func.min(ReturnEvent.at).label("at"))
            .where(ReturnEvent.tenant_id == uow.tenant_id, ReturnEvent.to_status == status)
            .group_by(ReturnEvent.return_id).subquery())


def _reason(period: Period) -> list[ColumnElement[bool]]:
    return [ReturnAuthorization.reason == reason] if (reason := period.filter("reason")) is not None else []


@kpi("return-rate", "Return rate", "%", "Returns", higher_is_better=False, filters={"sku": ()})
def return_rate(uow: UnitOfWork, period: Period) -> KpiResult:
    tenant = uow.tenant_id
    start, end = window(period)
    sku = [OrderLine.sku_code == code] if (code := period.filter("sku")) is not None else []
    shipped = uow.conn.execute(
        select(OrderLine.sku_code, Shipment.shipped_at, ShipmentLine.quantity)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(OrderLine, OrderLine.id == ShipmentLine.order_line_id)
        .where(ShipmentLine.tenant_id == tenant, Shipment.status != "cancelled",
               Shipment.shipped_at >= start, Shipment.shipped_at < end, *sku)).all()
    received = _first_event(uow, "received")
    returned = uow.conn.execute(
        select(ReturnAuthorization.number, ReturnAuthorization.reason, Order.number.label("order"),
               OrderLine.sku_code, ReturnLine.received, received.c.at)
        .join(received, received.c.return_id == ReturnAuthorization.id)
        .join(ReturnLine, ReturnLine.return_id == ReturnAuthorization.id)
        .join(OrderLine, OrderLine.id == ReturnLine.order_line_id)
        .join(Order, Order.id == ReturnAuthorization.order_id)
        .where(ReturnAuthorization.tenant_id == tenant, ReturnLine.received > 0,
               received.c.at >= start, received.c.at < end, *sku)
        .order_by(received.c.at, ReturnAuthorization.number, OrderLine.sku_code)).all()
    shipped_by_sku: dict[str, int] = defaultdict(int)
    shipped_by_bucket: dict[date, int] = defaultdict(int)
    for s in shipped:
        shipped_by_sku[s.sku_code] += s.quantity
        shipped_by_bucket[bucket_of(s.shipped_at, period)] += s.quantity
    returned_by: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    returned_by_bucket: dict[date, int] = defaultdict(int)
    for r in returned:
        returned_by[r.sku_code][r.reason] += r.received
        returned_by_bucket[bucket_of(r.at, period)] += r.received
    reasons = sorted({r.reason for r in returned})
    rows = []
    for sku in sorted(set(shipped_by_sku) | set(returned_by)):
        back = sum(returned_by[sku].values())
        rows.append((sku, shipped_by_sku[sku], back, rounded(ratio(back, shipped_by_sku[sku])),
                     *(returned_by[sku][reason] for reason in reasons)))
    total_back = sum(returned_by_bucket.values())
    return KpiResult(
        value=rounded(ratio(total_back, sum(shipped_by_bucket.values()))),
        series=series(period, {b: rounded(ratio(returned_by_bucket[b], shipped_by_bucket[b]))
                               for b in set(shipped_by_bucket) | set(returned_by_bucket)}),
        breakdown=Table(("sku", "shipped units", "returned units", "return rate %",
                         *(f"returned: {reason}" for reason in reasons)), rows),
        transactions=Table(("return", "order", "sku", "reason", "units received", "received at"),
                           [(r.number, r.order, r.sku_code, r.reason, r.received, r.at) for r in returned]),
        links={"sku": "sku"},
        note=("Units received back on returns (dated by the return's receipt) over units shipped (dated by the "
              "shipment), both within the same period or bucket, per SKU with the units returned for each reason; "
              "cancelled shipments are left out."))


@kpi("return-reasons", "Return reasons", "returns", "Returns", higher_is_better=False, filters={"reason": ()},
     chart="bar")
def return_reasons(uow: UnitOfWork, period: Period) -> KpiResult:
    start, end = window(period)
    rows = uow.conn.execute(
        select(ReturnAuthorization.number, ReturnAuthorization.reason, ReturnAuthorization.status,
               ReturnAuthorization.created_at, Order.number.label("order"),
               func.sum(ReturnLine.quantity).label("units"))
        .join(ReturnLine, ReturnLine.return_id == ReturnAuthorization.id)
        .join(Order, Order.id == ReturnAuthorization.order_id)
        .where(ReturnAuthorization.tenant_id == uow.tenant_id, ReturnAuthorization.created_at >= start,
               ReturnAuthorization.created_at < end, *_reason(period))
        .group_by(ReturnAuthorization.id, ReturnAuthorization.number, ReturnAuthorization.reason,
                  ReturnAuthorization.status, ReturnAuthorization.created_at, Order.number)
        .order_by(ReturnAuthorization.created_at, ReturnAuthorization.number)).all()
    by_reason: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_bucket: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    total: dict[date, int] = defaultdict(int)
    for r in rows:
        by_reason[r.reason][0] += 1
        by_reason[r.reason][1] += int(r.units)
        by_bucket[r.reason][bucket_of(r.created_at, period)] += 1
        total[bucket_of(r.created_at, period)] += 1
    count = len(rows)
    return KpiResult(
        value=float(count),
        series=[Point(b, float(total[b])) for b in period.buckets()],
        extra_series={reason: [Point(b, float(by_bucket[reason][b])) for b in period.buckets()]
                      for reason in sorted(by_reason)},
        breakdown=Table(("reason", "returns", "units", "share of returns %"),
                        [(reason, t[0], t[1], rounded(ratio(t[0], count)))
                         for reason, t in sorted(by_reason.items(), key=lambda item: (-item[1][0], item[0]))]),
        transactions=Table(("return", "order", "reason", "status", "units requested", "requested at"),
                           [(r.number, r.order, r.reason, r.status, int(r.units), r.created_at) for r in rows]),
        links={"reason": "reason"},
        note="Return authorisations requested in the period (any outcome), counted per reason with their units.")


@kpi("refund-cycle-time", "Refund cycle time", "hours", "Returns", higher_is_better=False, filters={"reason": ()})
def refund_cycle_time(uow: UnitOfWork, period: Period) -> KpiResult:
    start, end = window(period)
    received, refunded = _first_event(uow, "received"), _first_event(uow, "refunded")
    rows = uow.conn.execute(
        select(ReturnAuthorization.number, ReturnAuthorization.reason, ReturnAuthorization.refunded_amount,
               ReturnAuthorization.created_at, received.c.at.label("received_at"),
               refunded.c.at.label("refunded_at"))
        .join(refunded, refunded.c.return_id == ReturnAuthorization.id)
        .outerjoin(received, received.c.return_id == ReturnAuthorization.id)
        .where(ReturnAuthorization.tenant_id == uow.tenant_id, refunded.c.at >= start, refunded.c.at < end,
               *_reason(period))
        .order_by(refunded.c.at, ReturnAuthorization.number)).all()
    from_receipt: list[float] = []
    from_request: list[float] = []
    receipt_buckets: dict[date, list[float]] = defaultdict(list)
    request_buckets: dict[date, list[float]] = defaultdict(list)
    table = []
    for r in rows:
        began: datetime = r.received_at or r.created_at
        to_refund, whole = hours(began, r.refunded_at), hours(r.created_at, r.refunded_at)
        from_receipt.append(to_refund)
        from_request.append(whole)
        receipt_buckets[bucket_of(r.refunded_at, period)].append(to_refund)
        request_buckets[bucket_of(r.refunded_at, period)].append(whole)
        table.append((r.number, r.reason, r.created_at, r.received_at, r.refunded_at, round(to_refund, 2),
                      round(whole, 2), r.refunded_amount.quantize(CENT)))
    return KpiResult(
        value=rounded(percentile(from_receipt, 0.5)),
        series=series(period, {b: rounded(percentile(v, 0.5)) for b, v in receipt_buckets.items()}),
        extra_series={"requested → refunded": [Point(b, rounded(percentile(request_buckets.get(b, []), 0.5)))
                                               for b in period.buckets()]},
        breakdown=Table(("measured from", "returns", "median hours", "p90 hours"), [
            ("received → refunded", len(from_receipt), rounded(percentile(from_receipt, 0.5)),
             rounded(percentile(from_receipt, 0.9))),
            ("requested → refunded", len(from_request), rounded(percentile(from_request, 0.5)),
             rounded(percentile(from_request, 0.9)))]),
        transactions=Table(("return", "reason", "requested at", "received at", "refunded at",
                            "hours received → refunded", "hours requested → refunded", "refunded amount"), table),
        note=("Returns refunded in the period (bucketed by refund time): median hours from the return's first receipt "
              "to its refund (from the request when it was refunded without coming back), from the return "
              "timeline; p90 in the table."))

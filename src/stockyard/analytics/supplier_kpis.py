"""Supplier KPIs of /erp/analytics: on-time delivery and lead-time variance, from goods received against purchase
orders. Each receipt line is one delivery, compared with the date its purchase order line was expected (the line's
own date where the supplier announced one, else the order's)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from statistics import mean, stdev

from sqlalchemy import select

from stockyard.analytics.kpi import KpiResult, Period, Table, kpi
from stockyard.analytics.kpi_stats import bucket_of, ratio, rounded, series, window
from stockyard.catalog.models import Sku
from stockyard.core.uow import UnitOfWork
from stockyard.purchasing.models import GoodsReceipt, GoodsReceiptLine, PurchaseOrder, PurchaseOrderLine, Supplier


@dataclass(frozen=True)
class Delivery:
    supplier: str
    purchase_order: str
    receipt: str
    sku: str
    quantity: int
    ordered_on: date
    expected_on: date
    received_at: datetime

    @property
    def days_late(self) -> int:
        return (self.received_at.date() - self.expected_on).days

    @property
    def on_time(self) -> bool:
        return self.days_late <= 0

    @property
    def planned_days(self) -> int:
        return (self.expected_on - self.ordered_on).days

    @property
    def actual_days(self) -> int:
        return (self.received_at.date() - self.ordered_on).days


def _deliveries(uow: UnitOfWork, period: Period) -> list[Delivery]:
    tenant = uow.tenant_id
    start, end = window(period)
    rows = uow.conn.execute(
        select(Supplier.name.label("supplier"), PurchaseOrder.number.label("po"), GoodsReceipt.number.label("receipt"),
               Sku.code.label("sku"), GoodsReceiptLine.quantity, PurchaseOrder.sent_at, PurchaseOrder.created_at,
               PurchaseOrderLine.expected_on.label("line_expected"), PurchaseOrder.expected_on,
               GoodsReceipt.created_at.label("received_at"))
        .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.receipt_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == GoodsReceiptLine.po_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Sku, Sku.id == GoodsReceiptLine.sku_id)
        .where(GoodsReceiptLine.tenant_id == tenant, GoodsReceipt.created_at >= start, GoodsReceipt.created_at < end,
               *([Supplier.name == supplier] if (supplier := period.filter("supplier")) else []))
        .order_by(GoodsReceipt.created_at, GoodsReceipt.number, Sku.code)).all()
    return [Delivery(r.supplier, r.po, r.receipt, r.sku, int(r.quantity), (r.sent_at or r.created_at).date(),
                     r.line_expected or r.expected_on, r.received_at) for r in rows]


def _transactions(deliveries: list[Delivery]) -> Table:
    return Table(("supplier", "purchase order", "receipt", "sku", "units", "ordered on", "expected on", "received on",
                  "days late", "on time"),
                 [(d.supplier, d.purchase_order, d.receipt, d.sku, d.quantity, d.ordered_on, d.expected_on,
                   d.received_at.date(), d.days_late, "yes" if d.on_time else "no") for d in deliveries])


def _by_supplier(deliveries: list[Delivery]) -> dict[str, list[Delivery]]:
    grouped: dict[str, list[Delivery]] = defaultdict(list)
    for d in deliveries:
        grouped[d.supplier].append(d)
    return dict(sorted(grouped.items()))


def _spread(values: list[int]) -> float | None:
    return rounded(stdev(values)) if len(values) > 1 else None


@kpi("supplier-on-time", "Supplier on-time delivery", "%", "Suppliers", filters={"supplier": ()})
def supplier_on_time(uow: UnitOfWork, period: Period) -> KpiResult:
    deliveries = _deliveries(uow, period)
    buckets: dict[date, list[Delivery]] = defaultdict(list)
    for d in deliveries:
        buckets[bucket_of(d.received_at, period)].append(d)

    def share(ds: list[Delivery]) -> float | None:
        return rounded(ratio(sum(d.on_time for d in ds), len(ds)))

    return KpiResult(
        value=share(deliveries),
        series=series(period, {b: share(ds) for b, ds in buckets.items()}),
        breakdown=Table(("supplier", "deliveries", "on time", "on time %", "units"),
                        [(name, len(ds), sum(d.on_time for d in ds), share(ds), sum(d.quantity for d in ds))
                         for name, ds in _by_supplier(deliveries).items()]),
        transactions=_transactions(deliveries),
        links={"supplier": "supplier"},
        note=("Share of goods receipt lines against purchase orders, received in the period, that arrived on or before "
              "the date the purchase order line was expected (its own date, else the order's)."))


@kpi("supplier-lead-time-variance", "Supplier lead-time variance", "days", "Suppliers", higher_is_better=False,
     filters={"supplier": ()})
def supplier_lead_time_variance(uow: UnitOfWork, period: Period) -> KpiResult:
    deliveries = _deliveries(uow, period)
    buckets: dict[date, list[int]] = defaultdict(list)
    for d in deliveries:
        buckets[bucket_of(d.received_at, period)].append(d.days_late)
    return KpiResult(
        value=rounded(float(mean(d.days_late for d in deliveries))) if deliveries else None,
        series=series(period, {b: rounded(float(mean(v))) for b, v in buckets.items()}),
        breakdown=Table(("supplier", "deliveries", "planned lead days (mean)", "actual lead days (mean)",
                         "days late (mean)", "days late (std dev)", "latest by days"),
                        [(name, len(ds), rounded(float(mean(d.planned_days for d in ds))),
                          rounded(float(mean(d.actual_days for d in ds))),
                          rounded(float(mean(d.days_late for d in ds))),
                          _spread([d.days_late for d in ds]), max(d.days_late for d in ds))
                         for name, ds in _by_supplier(deliveries).items()]),
        transactions=_transactions(deliveries),
        links={"supplier": "supplier"},
        note=("Actual lead time (order sent → goods received) less the planned one (sent → expected date), in days, "
              "per goods receipt line against a purchase order received in the period: positive is late; the table "
              "adds the spread (sample standard deviation) per supplier."))

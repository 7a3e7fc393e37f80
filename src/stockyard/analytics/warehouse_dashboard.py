"""Read models for the back-office dashboard (/erp): open receipts, the order pipeline through the warehouse,
shipped lines, and inventory turnover by category. Reads across contexts; never writes."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from stockyard.analytics.domain import Turnover, root_of, turnover
from stockyard.catalog.models import Category, Product, Sku
from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork, requires
from stockyard.fulfilment.execution_models import PickLine
from stockyard.fulfilment.models import Shipment, ShipmentLine
from stockyard.identity.domain import INVENTORY_VIEW
from stockyard.inventory.domain import STOCKED_USAGES, Reason
from stockyard.inventory.models import Location, StockLevel, StockMove, Warehouse
from stockyard.inventory.queries import average_costs
from stockyard.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier
from stockyard.sales.models import Order

TURNOVER_PERIODS = (30, 90, 365)
OPEN_PO_STATES = ("sent", "partially_received")
# The order statuses that wait on the warehouse, and what each waits for.
PIPELINE = (("allocated", "to pick"), ("partially_allocated", "to pick (part)"), ("picking", "to pack"),
            ("packed", "to ship"))
UNCATEGORISED = "Uncategorised"
PICK_RATE_HOURS = 8
# The least working time a pick rate is spread over, so that two quick scans do not read as thousands an hour.
MIN_ACTIVE_HOURS = 0.25


@dataclass(frozen=True)
class CategoryTurnover:
    category: str
    periods: dict[int, Turnover]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def open_receipts(uow: UnitOfWork, today: date, limit: int = 8) -> dict[str, Any]:
    outstanding = func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received)
    rows = uow.execute(
        select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.state, PurchaseOrder.expected_on,
               Supplier.name.label("supplier"), Warehouse.code.label("warehouse"), outstanding.label("units"))
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .join(Warehouse, Warehouse.id == PurchaseOrder.warehouse_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.state.in_(OPEN_PO_STATES))
        .group_by(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.state, PurchaseOrder.expected_on,
                  Supplier.name, Warehouse.code)
        .order_by(PurchaseOrder.expected_on, PurchaseOrder.id)).all()
    return {"count": len(rows), "units": sum(int(r.units or 0) for r in rows),
            "overdue": sum(1 for r in rows if r.expected_on < today), "rows": rows[:limit]}


def order_pipeline(uow: UnitOfWork) -> list[dict[str, Any]]:
    counts = dict(uow.execute(select(Order.status, func.count()).where(Order.status.in_([s for s, _ in PIPELINE]))
                              .group_by(Order.status)).all())
    return [{"status": status, "label": label, "orders": int(counts.get(status, 0))} for status, label in PIPELINE]


def shipped_lines_by_day(uow: UnitOfWork, today: date, days: int = 14) -> list[tuple[date, int, int]]:
    """(day, lines, units) shipped per day over the last `days` days, today included; cancelled shipments excluded."""
    first = today - timedelta(days=days - 1)
    day = func.date(Shipment.created_at)
    rows = uow.execute(
        select(day, func.count(ShipmentLine.id), func.sum(ShipmentLine.quantity))
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .where(Shipment.created_at >= _day_start(first), Shipment.status != "cancelled")
        .group_by(day)).all()
    found = {str(d): (int(lines), int(units or 0)) for d, lines, units in rows}
    out = []
    for offset in range(days):
        current = first + timedelta(days=offset)
        lines, units = found.get(current.isoformat(), (0, 0))
        out.append((current, lines, units))
    return out


def pick_rate(uow: UnitOfWork, now: datetime, hours: int = PICK_RATE_HOURS) -> dict[str, Any]:
    """Pick lines finished (picked in full or closed short) in the last `hours` hours: how many, per operator, and
    lines per hour over the time between the first finished line and now."""
    since = now - timedelta(hours=hours)
    rows = uow.execute(
        select(PickLine.picked_by_name, func.count(), func.sum(PickLine.picked), func.min(PickLine.picked_at))
        .where(PickLine.state.in_(("picked", "short")), PickLine.picked_at >= since)
        .group_by(PickLine.picked_by_name)).all()
    lines = sum(int(r[1]) for r in rows)
    first = min((r[3] for r in rows), default=None)
    active = max((now - first).total_seconds() / 3600, MIN_ACTIVE_HOURS) if first else None
    return {"hours": hours, "lines": lines, "units": sum(int(r[2] or 0) for r in rows),
            "per_hour": round(lines / active, 1) if active else 0.0,
            "operators": sorted(((r[0] or "?", int(r[1])) for r in rows), key=lambda r: (-r[1], r[0]))}


def _root_categories(uow: UnitOfWork) -> dict[int, tuple[int | None, str]]:
    """SKU id → (root category id, its name) for every SKU."""
    categories = uow.execute(select(Category.id, Category.parent_id, Category.name)).all()
    parents = {c.id: c.parent_id for c in categories}
    names = {c.id: c.name for c in categories}
    out = {}
    for sku_id, category_id in uow.execute(select(Sku.id, Product.category_id).join(Product,
                                                                                    Product.id == Sku.product_id)):
        root = root_of(category_id, parents)
        out[sku_id] = (root, names.get(root, UNCATEGORISED) if root is not None else UNCATEGORISED)
    return out


def turnover_by_category(uow: UnitOfWork, now: datetime, periods: tuple[int, ...] = TURNOVER_PERIODS,
                         ) -> list[CategoryTurnover]:
    """Per top-level category and period: COGS of what was shipped to customers, over the mean of the opening and
    closing inventory value. Opening stock is today's on-hand less what flowed in since, from the ledger; everything
    is valued at the SKU's average receipt cost, like the inventory value on this page."""
    costs = average_costs(uow)
    roots = _root_categories(uow)
    on_hand = dict(uow.execute(select(StockLevel.sku_id, func.sum(StockLevel.on_hand)).group_by(StockLevel.sku_id))
                   .all())
    src, dst = aliased(Location), aliased(Location)
    stocked = [u.value for u in STOCKED_USAGES]
    into = case((dst.usage.in_(stocked) & src.usage.not_in(stocked), StockMove.quantity), else_=0)
    out_of = case((src.usage.in_(stocked) & dst.usage.not_in(stocked), StockMove.quantity), else_=0)
    shipped = case((StockMove.reason == Reason.SHIPMENT.value, StockMove.quantity), else_=0)
    result: dict[str, dict[int, Turnover]] = defaultdict(dict)
    for days in periods:
        rows = uow.execute(
            select(StockMove.sku_id, func.sum(into - out_of), func.sum(shipped))
            .join(src, src.id == StockMove.from_location_id).join(dst, dst.id == StockMove.to_location_id)
            .where(StockMove.created_at >= now - timedelta(days=days))
            .group_by(StockMove.sku_id)).all()
        flows = {sku_id: (int(net or 0), int(out or 0)) for sku_id, net, out in rows}
        totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0), Decimal(0)])
        for sku_id in set(on_hand) | set(flows):
            cost = costs.get(sku_id)
            if cost is None:
                continue
            net, out = flows.get(sku_id, (0, 0))
            closing = int(on_hand.get(sku_id) or 0)
            name = roots.get(sku_id, (None, UNCATEGORISED))[1]
            bucket = totals[name]
            bucket[0] += cost * out
            bucket[1] += cost * max(closing - net, 0)
            bucket[2] += cost * closing
        for name, (cogs, opening, closing) in totals.items():
            result[name][days] = turnover(cogs, opening, closing, days)
    return [CategoryTurnover(name, result[name]) for name in sorted(result)]


@requires(INVENTORY_VIEW)
def warehouse_activity(uow: UnitOfWork) -> dict[str, Any]:
    now = utcnow()
    today = now.date()
    by_day = shipped_lines_by_day(uow, today)
    return {"today": today, "receipts": open_receipts(uow, today), "pipeline": order_pipeline(uow),
            "shipped_today": {"lines": by_day[-1][1], "units": by_day[-1][2]}, "shipped_by_day": by_day,
            "picking": pick_rate(uow, now),
            "turnover": turnover_by_category(uow, now)}

"""Read models behind the inventory KPIs: the ledger as `LedgerMove`s, SKU codes and categories, warehouse codes,
orders' first shipments, and counted lines. Tenant-scoped through the unit of work's session; never writes."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from weakref import WeakKeyDictionary

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from stockyard.analytics.domain import root_of
from stockyard.analytics.ledger_replay import LedgerMove, day_start
from stockyard.catalog.models import Category, Product, Sku
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.models import Shipment, ShipmentLine
from stockyard.inventory.domain import STOCKED_USAGES, Status, Usage
from stockyard.inventory.models import Location, StockCount, StockCountLine, StockMove, Warehouse
from stockyard.sales.models import Order, OrderLine

UNCATEGORISED = "Uncategorised"
_STOCKED = [u.value for u in STOCKED_USAGES]
# One read of the ledger per unit of work and horizon: the index page computes several KPIs from the same moves.
_LEDGER_CACHE: "WeakKeyDictionary[UnitOfWork, dict[datetime, list[LedgerMove]]]" = WeakKeyDictionary()


def ledger_moves(uow: UnitOfWork, until: datetime) -> list[LedgerMove]:
    """Every move before `until`, in business-time order (then id), with the stocked warehouse at each end."""
    cached = _LEDGER_CACHE.setdefault(uow, {})
    if until in cached:
        return cached[until]
    src, dst = aliased(Location), aliased(Location)
    # Business time: a backdated move (a write-off or count as of a past day) counts from the day it happened.
    at = func.coalesce(StockMove.occurred_at, StockMove.created_at)
    rows = uow.execute(
        select(StockMove.id, at.label("at"), StockMove.sku_id, StockMove.quantity, StockMove.reason,
               StockMove.unit_cost, StockMove.from_status, StockMove.to_status, StockMove.document_type,
               StockMove.document_id, src.usage.label("src_usage"), src.warehouse_id.label("src_wh"),
               dst.usage.label("dst_usage"), dst.warehouse_id.label("dst_wh"))
        .join(src, src.id == StockMove.from_location_id).join(dst, dst.id == StockMove.to_location_id)
        .where(at < until)
        .order_by(at, StockMove.id)).all()
    moves = []
    for r in rows:
        src_stocked, dst_stocked = r.src_usage in _STOCKED, r.dst_usage in _STOCKED
        moves.append(LedgerMove(
            id=r.id, at=r.at, sku_id=r.sku_id, quantity=r.quantity,
            from_warehouse=r.src_wh if src_stocked else None, to_warehouse=r.dst_wh if dst_stocked else None,
            from_sellable=r.src_usage == Usage.INTERNAL.value and r.from_status == Status.SELLABLE.value,
            to_sellable=r.dst_usage == Usage.INTERNAL.value and r.to_status == Status.SELLABLE.value,
            reason=r.reason, unit_cost=None if r.unit_cost is None else Decimal(r.unit_cost),
            document=f"{r.document_type} {r.document_id}".strip()))
    cached[until] = moves
    return moves


@dataclass(frozen=True)
class SkuInfo:
    code: str
    category: str  # the top-level category, as on the dashboard


def skus(uow: UnitOfWork) -> dict[int, SkuInfo]:
    categories = uow.execute(select(Category.id, Category.parent_id, Category.name)).all()
    parents = {c.id: c.parent_id for c in categories}
    names = {c.id: c.name for c in categories}
    out = {}
    for sku_id, code, category_id in uow.execute(
            select(Sku.id, Sku.code, Product.category_id).join(Product, Product.id == Sku.product_id)):
        root = root_of(category_id, parents)
        out[sku_id] = SkuInfo(code, names.get(root, UNCATEGORISED) if root is not None else UNCATEGORISED)
    return out


def warehouses(uow: UnitOfWork) -> dict[int, str]:
    return {wh_id: code for wh_id, code in uow.execute(select(Warehouse.id, Warehouse.code))}


@dataclass(frozen=True)
class FirstShipmentLine:
    order_number: str
    order_line_id: int
    sku_id: int
    ordered: int
    first_day: date  # the day of the order's first shipment
    shipped_first: int  # units of this line in the shipments of that day


def first_shipment_lines(uow: UnitOfWork, start: date, end: date) -> list[FirstShipmentLine]:
    """The lines of every order whose first (not cancelled) shipment was made from `start` to `end`, with the units
    that went in the shipments of that first day."""
    live = Shipment.status != "cancelled"
    firsts = uow.execute(select(Shipment.order_id, func.min(Shipment.created_at)).where(live)
                         .group_by(Shipment.order_id)).all()
    first_day = {order_id: at.date() for order_id, at in firsts if start <= at.date() <= end}
    if not first_day:
        return []
    ids = sorted(first_day)
    shipped = uow.execute(
        select(Shipment.order_id, Shipment.created_at, ShipmentLine.order_line_id, ShipmentLine.quantity)
        .join(ShipmentLine, ShipmentLine.shipment_id == Shipment.id)
        .where(live, Shipment.order_id.in_(ids))).all()
    first_units: dict[int, int] = defaultdict(int)
    for order_id, at, line_id, quantity in shipped:
        if at.date() == first_day[order_id]:
            first_units[line_id] += int(quantity)
    lines = uow.execute(
        select(Order.id, Order.number, OrderLine.id, OrderLine.sku_id, OrderLine.quantity)
        .join(OrderLine, OrderLine.order_id == Order.id).where(Order.id.in_(ids))
        .order_by(Order.number, OrderLine.id)).all()
    return [FirstShipmentLine(number, line_id, sku_id, int(quantity), first_day[order_id],
                              first_units.get(line_id, 0)) for order_id, number, line_id, sku_id, quantity in lines]


@dataclass(frozen=True)
class CountedLine:
    count_id: int
    counted_at: datetime
    warehouse_id: int
    location: str
    sku_id: int
    system_qty: int
    counted: int


def counted_lines(uow: UnitOfWork, start: date, end: date) -> list[CountedLine]:
    """Lines recorded from `start` to `end` on counts that were not cancelled."""
    rows = uow.execute(
        select(StockCountLine.count_id, StockCountLine.counted_at, StockCount.warehouse_id, Location.path,
               StockCountLine.sku_id, StockCountLine.system_qty, StockCountLine.counted)
        .join(StockCount, StockCount.id == StockCountLine.count_id)
        .join(Location, Location.id == StockCountLine.location_id)
        .where(StockCountLine.counted.is_not(None), StockCount.state != "cancelled",
               StockCountLine.counted_at >= day_start(start),
               StockCountLine.counted_at < day_start(end + timedelta(days=1)))
        .order_by(StockCountLine.counted_at, StockCountLine.id)).all()
    return [CountedLine(r.count_id, r.counted_at, r.warehouse_id, r.path, r.sku_id, int(r.system_qty or 0),
                        int(r.counted)) for r in rows]

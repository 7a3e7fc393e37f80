"""Read models for the stock pages and the API. They read through the tenant-scoped session."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import aliased

from stockyard.catalog.models import Sku
from stockyard.core.money import round_money
from stockyard.core.pagination import Page, paginate
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import INVENTORY_VIEW
from stockyard.inventory.domain import Reason, Status, Usage
from stockyard.inventory.models import (
    Location,
    MinStockRule,
    Reservation,
    StockAlert,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMove,
    Transfer,
    TransferLine,
    Warehouse,
)
from stockyard.inventory.refs import resolve_location, resolve_sku, resolve_sku_text, resolve_warehouse


@dataclass
class WarehouseStock:
    warehouse_id: int
    warehouse_code: str
    on_hand: int = 0
    reserved: int = 0
    safety_stock: int = 0
    quarantine: int = 0
    damaged: int = 0
    return_pending: int = 0
    in_transit: int = 0
    minimum: int | None = None

    @property
    def atp(self) -> int:
        return max(self.on_hand - self.reserved - self.safety_stock, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "warehouse_id": self.warehouse_id, "warehouse": self.warehouse_code, "on_hand": self.on_hand,
            "reserved": self.reserved, "safety_stock": self.safety_stock, "available_to_promise": self.atp,
            "quarantine": self.quarantine, "damaged": self.damaged, "return_pending": self.return_pending,
            "in_transit": self.in_transit, "minimum": self.minimum,
        }


@dataclass
class SkuStock:
    sku_id: int
    code: str
    name: str
    warehouses: dict[int, WarehouseStock] = field(default_factory=dict)

    @property
    def atp(self) -> int:
        return sum(w.atp for w in self.warehouses.values())

    @property
    def on_hand(self) -> int:
        return sum(w.on_hand for w in self.warehouses.values())

    def as_dict(self) -> dict[str, Any]:
        return {"sku_id": self.sku_id, "sku": self.code, "name": self.name, "available_to_promise": self.atp,
                "on_hand": self.on_hand, "warehouses": [w.as_dict() for w in self.warehouses.values()]}


@requires(INVENTORY_VIEW)
def list_warehouses(uow: UnitOfWork) -> list[Any]:
    return list(uow.execute(select(Warehouse).order_by(Warehouse.priority, Warehouse.code)).scalars())


@requires(INVENTORY_VIEW)
def location_tree(uow: UnitOfWork, warehouse_id: int) -> list[dict[str, Any]]:
    """Internal locations of a warehouse in path order, each with its depth and stock totals."""
    totals = (select(StockLevel.location_id, func.sum(StockLevel.on_hand).label("on_hand"),
                     func.count(func.distinct(StockLevel.sku_id)).label("skus"))
              .where(StockLevel.on_hand > 0).group_by(StockLevel.location_id).subquery())
    rows = uow.execute(
        select(Location, totals.c.on_hand, totals.c.skus)
        .outerjoin(totals, totals.c.location_id == Location.id)
        .where(Location.warehouse_id == warehouse_id, Location.usage == Usage.INTERNAL.value)
        .order_by(Location.path)).all()
    nodes = [{"location": loc, "depth": loc.path.count("/") - 1, "on_hand": int(on_hand or 0), "skus": int(skus or 0),
              "total_on_hand": 0} for loc, on_hand, skus in rows]
    by_path = {n["location"].path: n for n in nodes}
    for node in nodes:  # `total_on_hand` adds up a location and everything below it
        parts = node["location"].path.split("/")
        for depth in range(2, len(parts) + 1):
            ancestor = by_path.get("/".join(parts[:depth]))
            if ancestor is not None:
                ancestor["total_on_hand"] += node["on_hand"]
    return nodes


@requires(INVENTORY_VIEW)
def stock_for_skus(uow: UnitOfWork, sku_ids: list[int]) -> dict[int, SkuStock]:
    """Per SKU and warehouse: sellable on hand, reserved, ATP, other statuses and inbound transit."""
    if not sku_ids:
        return {}
    skus = uow.execute(select(Sku.id, Sku.code, Sku.name).where(Sku.id.in_(sku_ids))).all()
    result = {s.id: SkuStock(s.id, s.code, s.name) for s in skus}
    warehouses = {w.id: w.code for w in list_warehouses(uow)}
    rows = uow.execute(
        select(StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.status,
               func.sum(StockLevel.on_hand), func.sum(StockLevel.reserved))
        .where(StockLevel.sku_id.in_(sku_ids))
        .group_by(StockLevel.sku_id, StockLevel.warehouse_id, StockLevel.status)).all()
    for sku_id, wh_id, status, on_hand, reserved in rows:
        ws = result[sku_id].warehouses.setdefault(wh_id, WarehouseStock(wh_id, warehouses.get(wh_id, "?")))
        if status == Status.SELLABLE:
            ws.on_hand, ws.reserved = int(on_hand), int(reserved)
        else:
            setattr(ws, status, getattr(ws, status) + int(on_hand))
    for rule in uow.execute(select(MinStockRule).where(MinStockRule.sku_id.in_(sku_ids))).scalars():
        ws = result[rule.sku_id].warehouses.setdefault(
            rule.warehouse_id, WarehouseStock(rule.warehouse_id, warehouses.get(rule.warehouse_id, "?")))
        ws.safety_stock, ws.minimum = rule.safety_stock, rule.minimum
    for stock in result.values():
        stock.warehouses = dict(sorted(stock.warehouses.items(), key=lambda kv: kv[1].warehouse_code))
    return result


@requires(INVENTORY_VIEW)
def search_stock(uow: UnitOfWork, q: str = "", warehouse_id: int | None = None, page: int = 1,
                 per_page: int = 50, only_short: bool = False) -> Page[SkuStock]:
    stmt = select(Sku.id).order_by(Sku.code)
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Sku.code.ilike(like), Sku.name.ilike(like)))
    if warehouse_id is not None:
        stmt = stmt.where(Sku.id.in_(select(StockLevel.sku_id).where(StockLevel.warehouse_id == warehouse_id)))
    if only_short:
        stmt = stmt.where(Sku.id.in_(select(StockAlert.sku_id).where(StockAlert.state == "open")))
    ids_page = paginate(uow.execute, stmt, page, per_page)
    ids = [row[0] for row in ids_page.items]
    stock = stock_for_skus(uow, ids)
    return Page([stock[i] for i in ids], ids_page.total, ids_page.page, ids_page.per_page)


@requires(INVENTORY_VIEW)
def stock_at_location(uow: UnitOfWork, location_id: int) -> list[Any]:
    return list(uow.execute(
        select(StockLevel, Sku.code, Sku.name).join(Sku, Sku.id == StockLevel.sku_id)
        .where(StockLevel.location_id == location_id, StockLevel.on_hand > 0)
        .order_by(Sku.code, StockLevel.status, StockLevel.lot)).all())


@requires(INVENTORY_VIEW)
def location_by_id(uow: UnitOfWork, location_id: int) -> Location | None:
    return uow.execute(select(Location).where(Location.id == location_id)).scalar()


@dataclass(frozen=True)
class MoveFilter:
    sku_id: int | None = None
    location_id: int | None = None
    warehouse_id: int | None = None
    reason: str | None = None
    document_type: str | None = None
    document_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@requires(INVENTORY_VIEW)
def movement_history(uow: UnitOfWork, f: MoveFilter, page: int = 1, per_page: int = 50) -> Page[Any]:
    src = aliased(Location)
    dst = aliased(Location)
    stmt = (select(StockMove, Sku.code.label("sku_code"), src.path.label("from_path"), dst.path.label("to_path"))
            .join(Sku, Sku.id == StockMove.sku_id)
            .join(src, src.id == StockMove.from_location_id)
            .join(dst, dst.id == StockMove.to_location_id)
            .order_by(StockMove.id.desc()))
    if f.sku_id is not None:
        stmt = stmt.where(StockMove.sku_id == f.sku_id)
    if f.location_id is not None:
        stmt = stmt.where(or_(StockMove.from_location_id == f.location_id, StockMove.to_location_id == f.location_id))
    if f.warehouse_id is not None:
        stmt = stmt.where(or_(src.warehouse_id == f.warehouse_id, dst.warehouse_id == f.warehouse_id))
    if f.reason:
        stmt = stmt.where(StockMove.reason == f.reason)
    if f.document_type:
        stmt = stmt.where(StockMove.document_type == f.document_type)
    if f.document_id:
        stmt = stmt.where(StockMove.document_id == f.document_id)
    if f.since:
        stmt = stmt.where(StockMove.created_at >= f.since)
    if f.until:
        stmt = stmt.where(StockMove.created_at < f.until)
    return paginate(uow.execute, stmt, page, per_page)


@requires(INVENTORY_VIEW)
def average_costs(uow: UnitOfWork) -> dict[int, Decimal]:
    """Weighted average unit cost per SKU over its receipts (the valuation issue refines this to FIFO)."""
    rows = uow.execute(
        select(StockMove.sku_id, func.sum(StockMove.quantity * StockMove.unit_cost), func.sum(StockMove.quantity))
        .where(StockMove.reason == Reason.RECEIPT.value, StockMove.unit_cost.is_not(None))
        .group_by(StockMove.sku_id)).all()
    return {sku_id: Decimal(value) / qty for sku_id, value, qty in rows if qty}


@requires(INVENTORY_VIEW)
def inventory_value(uow: UnitOfWork) -> list[dict[str, Any]]:
    """On-hand value at average receipt cost, per warehouse (every status, in-transit to its destination)."""
    costs = average_costs(uow)
    warehouses = {w.id: w for w in list_warehouses(uow)}
    rows = uow.execute(select(StockLevel.warehouse_id, StockLevel.sku_id, func.sum(StockLevel.on_hand))
                       .group_by(StockLevel.warehouse_id, StockLevel.sku_id)).all()
    value: dict[int, Decimal] = {w: Decimal(0) for w in warehouses}
    units: dict[int, int] = {w: 0 for w in warehouses}
    uncosted: dict[int, int] = {w: 0 for w in warehouses}
    for wh_id, sku_id, qty in rows:
        units[wh_id] += int(qty)
        if sku_id in costs:
            value[wh_id] += costs[sku_id] * int(qty)
        else:
            uncosted[wh_id] += int(qty)
    return [{"warehouse_id": w, "warehouse": warehouses[w].code, "name": warehouses[w].name,
             "units": units[w], "value": round_money(value[w]), "uncosted_units": uncosted[w]} for w in warehouses]


OPEN_TRANSFER_STATES = ("in_transit", "partially_received")


@requires(INVENTORY_VIEW)
def list_transfers(uow: UnitOfWork, state: str | None = None, page: int = 1, *, open_only: bool = False) -> Page[Any]:
    src, dst = aliased(Warehouse), aliased(Warehouse)
    units = (select(TransferLine.transfer_id, func.sum(TransferLine.quantity).label("quantity"),
                    func.sum(TransferLine.received).label("received"))
             .group_by(TransferLine.transfer_id).subquery())
    stmt = (select(Transfer, src.code.label("from_code"), dst.code.label("to_code"), units.c.quantity,
                   units.c.received)
            .join(src, src.id == Transfer.from_warehouse_id).join(dst, dst.id == Transfer.to_warehouse_id)
            .join(units, units.c.transfer_id == Transfer.id).order_by(Transfer.id.desc()))
    if state:
        stmt = stmt.where(Transfer.state == state)
    if open_only:
        stmt = stmt.where(Transfer.state.in_(OPEN_TRANSFER_STATES))
    return paginate(uow.execute, stmt, page, 50)


@requires(INVENTORY_VIEW)
def transfer_detail(uow: UnitOfWork, transfer_id: int) -> tuple[Any, list[Any]] | None:
    head = uow.execute(select(Transfer).where(Transfer.id == transfer_id)).scalar()
    if head is None:
        return None
    lines = uow.execute(select(TransferLine, Sku.code, Location.path)
                        .join(Sku, Sku.id == TransferLine.sku_id)
                        .join(Location, Location.id == TransferLine.from_location_id)
                        .where(TransferLine.transfer_id == transfer_id).order_by(TransferLine.id)).all()
    return head, list(lines)


@requires(INVENTORY_VIEW)
def list_counts(uow: UnitOfWork, state: str | None = None, page: int = 1) -> Page[Any]:
    lines = (select(StockCountLine.count_id, func.count().label("lines"),
                    func.sum(case((StockCountLine.counted.is_not(None), 1), else_=0)).label("recorded"))
             .group_by(StockCountLine.count_id).subquery())
    stmt = (select(StockCount, Warehouse.code, lines.c.lines, lines.c.recorded)
            .join(Warehouse, Warehouse.id == StockCount.warehouse_id)
            .outerjoin(lines, lines.c.count_id == StockCount.id).order_by(StockCount.id.desc()))
    if state:
        stmt = stmt.where(StockCount.state == state)
    return paginate(uow.execute, stmt, page, 50)


@requires(INVENTORY_VIEW)
def count_detail(uow: UnitOfWork, count_id: int) -> tuple[Any, list[dict[str, Any]]] | None:
    head = uow.execute(select(StockCount).where(StockCount.id == count_id)).scalar()
    if head is None:
        return None
    rows = uow.execute(select(StockCountLine, Sku.code, Location.path)
                       .join(Sku, Sku.id == StockCountLine.sku_id)
                       .join(Location, Location.id == StockCountLine.location_id)
                       .where(StockCountLine.count_id == count_id)
                       .order_by(Location.path, Sku.code)).all()
    lines = []
    for line, code, path in rows:
        variance = None if line.counted is None else line.counted - line.system_qty
        lines.append({"line": line, "sku": code, "location": path, "variance": variance})
    return head, lines


@requires(INVENTORY_VIEW)
def list_alerts(uow: UnitOfWork, state: str = "open") -> list[Any]:
    return list(uow.execute(
        select(StockAlert, Sku.code, Sku.name, Warehouse.code.label("warehouse_code"))
        .join(Sku, Sku.id == StockAlert.sku_id).join(Warehouse, Warehouse.id == StockAlert.warehouse_id)
        .where(StockAlert.state == state).order_by(StockAlert.created_at.desc())).all())


@requires(INVENTORY_VIEW)
def list_reservations(uow: UnitOfWork, state: str | None = "active", sku_id: int | None = None,
                      page: int = 1) -> Page[Any]:
    stmt = (select(Reservation, Sku.code, Warehouse.code.label("warehouse_code"))
            .join(Sku, Sku.id == Reservation.sku_id).join(Warehouse, Warehouse.id == Reservation.warehouse_id)
            .order_by(Reservation.id.desc()))
    if state:
        stmt = stmt.where(Reservation.state == state)
    if sku_id is not None:
        stmt = stmt.where(Reservation.sku_id == sku_id)
    return paginate(uow.execute, stmt, page, 50)


@requires(INVENTORY_VIEW)
def get_warehouse(uow: UnitOfWork, warehouse_id: int) -> Warehouse | None:
    return uow.execute(select(Warehouse).where(Warehouse.id == warehouse_id)).scalar()


@requires(INVENTORY_VIEW)
def move_summary(uow: UnitOfWork, move_id: int) -> Any:
    """One ledger line with its SKU code and location paths (for confirmations after a posting)."""
    src, dst = aliased(Location), aliased(Location)
    return uow.execute(
        select(StockMove, Sku.code.label("sku_code"), src.path.label("from_path"), dst.path.label("to_path"))
        .join(Sku, Sku.id == StockMove.sku_id)
        .join(src, src.id == StockMove.from_location_id).join(dst, dst.id == StockMove.to_location_id)
        .where(StockMove.id == move_id)).first()


@requires(INVENTORY_VIEW)
def find_moves(uow: UnitOfWork, f: MoveFilter, sku: str = "", location: str = "", page: int = 1,
               per_page: int = 50) -> Page[Any]:
    """The ledger filtered by what people type: a SKU code or barcode and a location path."""
    if sku.strip():
        f = replace(f, sku_id=resolve_sku(uow, sku).id)
    if location.strip():
        f = replace(f, location_id=resolve_location(uow, location).id)
    return movement_history(uow, f, page, per_page)


@requires(INVENTORY_VIEW)
def levels_for_sku(uow: UnitOfWork, sku_id: int) -> list[Any]:
    """Where a SKU is: each non-empty level with its location path and warehouse code."""
    return list(uow.execute(
        select(StockLevel, Location.path, Warehouse.code.label("warehouse_code"))
        .join(Location, Location.id == StockLevel.location_id).join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.sku_id == sku_id, StockLevel.on_hand > 0)
        .order_by(Warehouse.code, Location.path, StockLevel.status, StockLevel.lot)).all())


@requires(INVENTORY_VIEW)
def sku_overview(uow: UnitOfWork, code: str, page: int = 1) -> dict[str, Any] | None:
    """Everything the stock page of one SKU shows, read in one transaction."""
    sku = uow.execute(select(Sku).where(Sku.code == code)).scalar()
    if sku is None:
        return None
    return {"sku": sku, "stock": stock_for_skus(uow, [sku.id])[sku.id], "levels": levels_for_sku(uow, sku.id),
            "reservations": list_reservations(uow, "active", sku.id).items,
            "moves": movement_history(uow, MoveFilter(sku_id=sku.id), page, 50)}


@requires(INVENTORY_VIEW)
def dashboard(uow: UnitOfWork) -> dict[str, Any]:
    """The back-office start page: value per warehouse and what needs attention."""
    return {"value": inventory_value(uow), "alerts": list_alerts(uow), "transfers": list_transfers(uow, open_only=True),
            "counts": list_counts(uow, "open")}


@requires(INVENTORY_VIEW)
def atp_for_sku(uow: UnitOfWork, sku: str) -> SkuStock:
    """Available to promise of a SKU named as people type it (code, barcode, or id)."""
    ref = resolve_sku_text(uow, sku)
    return stock_for_skus(uow, [ref.id])[ref.id]


@requires(INVENTORY_VIEW)
def search_stock_in(uow: UnitOfWork, q: str = "", warehouse: str | None = None, page: int = 1,
                    per_page: int = 50) -> Page[SkuStock]:
    """search_stock with the warehouse named by code or id."""
    warehouse_id = None
    if warehouse:
        warehouse_id = resolve_warehouse(uow, int(warehouse) if warehouse.isdigit() else warehouse)
    return search_stock(uow, q, warehouse_id, page, per_page)


@requires(INVENTORY_VIEW)
def stock_at_location_ref(uow: UnitOfWork, location: str) -> tuple[str, list[Any]]:
    """The location's path and what is there, for a location named by path or id."""
    loc = resolve_location(uow, int(location) if location.isdigit() else location)
    return loc.path, stock_at_location(uow, loc.id)

"""What a scan means in the chosen warehouse, and the read models of the mobile pages (no writes).

A scanner (or a thumb) sends text: a location path, a SKU code or barcode, a purchase order number, a transfer
(`TR-12` or `12`), a count (`CNT-3`). `identify` says which one it is, looking in that order, and refuses a
location of another warehouse. The other queries give each step of a workflow what it shows: the open lines of a
purchase order, where a SKU lies, the receiving docks, the transfers on their way here, the open counts.
"""

import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, or_, select

from stockyard.catalog.models import Barcode, Sku
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import UnitOfWork, requires
from stockyard.fulfilment.execution_models import Parcel, ParcelItem, PickLine, PickList
from stockyard.identity.domain import FULFILMENT_PACK, FULFILMENT_PICK, INVENTORY_VIEW, PURCHASING_VIEW
from stockyard.inventory.domain import Status, Usage
from stockyard.inventory.models import Location, StockCount, StockLevel, Transfer, TransferLine, Warehouse
from stockyard.inventory.refs import LocationRef, SkuRef, resolve_location, resolve_sku_text
from stockyard.purchasing import queries as purchasing_queries
from stockyard.purchasing.domain import OPEN_STATES
from stockyard.purchasing.models import PurchaseOrder
from stockyard.sales.models import Order

_wh = Warehouse.__table__
_loc = Location.__table__
_lv = StockLevel.__table__
_skus = Sku.__table__
_po = PurchaseOrder.__table__
_tr = Transfer.__table__
_trl = TransferLine.__table__
_counts = StockCount.__table__
_pk = PickList.__table__
_pl = PickLine.__table__
_pc = Parcel.__table__
_pi = ParcelItem.__table__
_orders = Order.__table__

TRANSFER_CODE = re.compile(r"^(?:TR-?)?(\d+)$", re.I)
COUNT_CODE = re.compile(r"^CNT-?(\d+)$", re.I)

Kind = Literal["location", "sku", "purchase_order", "transfer", "count"]


@dataclass(frozen=True)
class WarehouseView:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Scanned:
    kind: Kind
    id: int
    code: str  # how it is shown: the location's path, the SKU's code, the order's number, TR-12, CNT-3
    name: str = ""


@dataclass(frozen=True)
class Spot:
    """Where a SKU lies: a location of the warehouse and its sellable units there."""

    location: str
    type: str
    on_hand: int


def _view(row: object) -> WarehouseView:
    return WarehouseView(row.id, row.code, row.name)  # type: ignore[attr-defined]


@requires(INVENTORY_VIEW)
def my_warehouses(uow: UnitOfWork) -> list[WarehouseView]:
    """The active warehouses this user may work in (all of them when the user is not limited)."""
    stmt = select(_wh.c.id, _wh.c.code, _wh.c.name).where(_wh.c.tenant_id == uow.tenant_id, _wh.c.active.is_(True))
    allowed = uow.actor.warehouse_ids if uow.actor else None
    if allowed is not None:
        stmt = stmt.where(_wh.c.id.in_(sorted(allowed)))
    return [_view(r) for r in uow.conn.execute(stmt.order_by(_wh.c.priority, _wh.c.code))]


@requires(INVENTORY_VIEW)
def warehouse(uow: UnitOfWork, ref: str) -> WarehouseView:
    """The warehouse of a mobile URL (its id or code); 404 if unknown here, 403 if the user may not work in it."""
    text = ref.strip()
    stmt = select(_wh.c.id, _wh.c.code, _wh.c.name).where(_wh.c.tenant_id == uow.tenant_id)
    stmt = stmt.where(_wh.c.id == int(text)) if text.isdigit() else stmt.where(_wh.c.code == text.upper())
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"unknown warehouse '{ref}'", field="warehouse")
    uow.require(INVENTORY_VIEW).require_warehouse(row.id)
    return _view(row)


def location_in(uow: UnitOfWork, warehouse_id: int, code: str, field: str = "location") -> LocationRef:
    """A scanned location, which must be a stocked location of the chosen warehouse."""
    if not code.strip():
        raise ValidationFailed("scan a location", field=field)
    return resolve_location(uow, code.strip(), field, warehouse_id=warehouse_id)


def sku_of(uow: UnitOfWork, code: str, field: str = "sku") -> SkuRef:
    """A scanned item: its SKU code or one of its barcodes."""
    if not code.strip():
        raise ValidationFailed("scan an item", field=field)
    try:
        return resolve_sku_text(uow, code, field)
    except NotFound:
        raise NotFound(f"unknown barcode '{code.strip()}': no item has this code", field=field) from None


@requires(INVENTORY_VIEW)
def item(uow: UnitOfWork, code: str, field: str = "sku") -> SkuRef:
    return sku_of(uow, code, field)


@requires(INVENTORY_VIEW)
def identify(uow: UnitOfWork, warehouse_id: int, code: str) -> Scanned:
    text = code.strip()
    if not text:
        raise ValidationFailed("scan or type a code", field="code")
    t = uow.tenant_id
    location = uow.conn.execute(select(_loc.c.id, _loc.c.path, _loc.c.warehouse_id, _loc.c.name).where(
        _loc.c.tenant_id == t, _loc.c.usage == Usage.INTERNAL.value, _loc.c.path == text.upper())).first()
    if location is not None:
        if location.warehouse_id != warehouse_id:
            raise ValidationFailed(f"location {location.path} is in another warehouse", field="code")
        return Scanned("location", location.id, location.path, location.name)
    sku = uow.conn.execute(select(_skus.c.id, _skus.c.code, _skus.c.name).where(
        _skus.c.tenant_id == t, or_(_skus.c.code == text, _skus.c.id.in_(
            select(Barcode.sku_id).where(Barcode.tenant_id == t, Barcode.code == text).scalar_subquery())))).first()
    if sku is not None:
        return Scanned("sku", sku.id, sku.code, sku.name)
    po = uow.conn.execute(select(_po.c.id, _po.c.number).where(_po.c.tenant_id == t, _po.c.number == text.upper(),
                                                               _po.c.warehouse_id == warehouse_id)).first()
    if po is not None:
        return Scanned("purchase_order", po.id, po.number)
    if (match := TRANSFER_CODE.match(text)) is not None:
        found = uow.conn.execute(select(_tr.c.id).where(
            _tr.c.tenant_id == t, _tr.c.id == int(match[1]),
            or_(_tr.c.from_warehouse_id == warehouse_id, _tr.c.to_warehouse_id == warehouse_id))).scalar()
        if found is not None:
            return Scanned("transfer", found, f"TR-{found}")
    if (match := COUNT_CODE.match(text)) is not None:
        found = uow.conn.execute(select(_counts.c.id).where(
            _counts.c.tenant_id == t, _counts.c.id == int(match[1]), _counts.c.warehouse_id == warehouse_id)).scalar()
        if found is not None:
            return Scanned("count", found, f"CNT-{found}")
    raise NotFound(f"unknown barcode '{text}': no location, item, purchase order, transfer or count here",
                   field="code")


# ---- receiving ---------------------------------------------------------------------------------------------------

@requires(PURCHASING_VIEW)
def open_purchase_order(uow: UnitOfWork, warehouse_id: int, ref: str) -> purchasing_queries.PurchaseOrderView:
    """A purchase order by its number (or id) that is due in this warehouse and still expects goods."""
    text = ref.strip()
    if not text:
        raise ValidationFailed("scan or type the purchase order number", field="purchase_order")
    stmt = select(_po.c.id, _po.c.warehouse_id, _po.c.state, _po.c.number).where(_po.c.tenant_id == uow.tenant_id)
    stmt = stmt.where(_po.c.id == int(text)) if text.isdigit() else stmt.where(_po.c.number == text.upper())
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"unknown purchase order '{text}'", field="purchase_order")
    if row.warehouse_id != warehouse_id:
        raise ValidationFailed(f"purchase order {row.number} is due in another warehouse", field="purchase_order")
    if row.state not in {s.value for s in OPEN_STATES}:
        raise Conflict(f"purchase order {row.number} is {row.state.replace('_', ' ')}; nothing more to receive",
                       field="purchase_order")
    return purchasing_queries.purchase_order_detail(uow, row.id)


def line_for(order: purchasing_queries.PurchaseOrderView, sku: SkuRef) -> purchasing_queries.LineView:
    """The open line of `order` for the scanned item."""
    lines = [line for line in order.lines if line.sku_id == sku.id]
    if not lines:
        raise ValidationFailed(f"{sku.code} is not on purchase order {order.order.number}", field="sku")
    open_lines = [line for line in lines if line.open > 0]
    if not open_lines:
        raise Conflict(f"all {lines[0].quantity} of {sku.code} on {order.order.number} are received already",
                       field="sku")
    return open_lines[0]


@requires(INVENTORY_VIEW)
def receiving_docks(uow: UnitOfWork, warehouse_id: int) -> list[str]:
    """The warehouse's receiving locations, by path: where receipts land by default and putaway starts."""
    return list(uow.conn.execute(select(_loc.c.path).where(
        _loc.c.tenant_id == uow.tenant_id, _loc.c.warehouse_id == warehouse_id, _loc.c.usage == Usage.INTERNAL.value,
        _loc.c.type == "receiving").order_by(_loc.c.path)).scalars())


# ---- where things are ------------------------------------------------------------------------------------------

@requires(INVENTORY_VIEW)
def spots(uow: UnitOfWork, warehouse_id: int, sku_id: int, types: tuple[str, ...] = ()) -> list[Spot]:
    """The locations of the warehouse holding sellable units of the SKU (only of `types`, when given)."""
    stmt = (select(_loc.c.path, _loc.c.type, func.sum(_lv.c.on_hand).label("on_hand"))
            .join(_loc, _loc.c.id == _lv.c.location_id)
            .where(_lv.c.tenant_id == uow.tenant_id, _lv.c.warehouse_id == warehouse_id, _lv.c.sku_id == sku_id,
                   _lv.c.status == Status.SELLABLE.value, _lv.c.on_hand > 0)
            .group_by(_loc.c.path, _loc.c.type).order_by(_loc.c.path))
    if types:
        stmt = stmt.where(_loc.c.type.in_(types))
    return [Spot(r.path, r.type, int(r.on_hand)) for r in uow.conn.execute(stmt)]


@requires(INVENTORY_VIEW)
def other_warehouses(uow: UnitOfWork, warehouse_id: int) -> list[WarehouseView]:
    """Where a transfer from this warehouse can go (any active warehouse of the tenant)."""
    return [_view(r) for r in uow.conn.execute(select(_wh.c.id, _wh.c.code, _wh.c.name).where(
        _wh.c.tenant_id == uow.tenant_id, _wh.c.active.is_(True), _wh.c.id != warehouse_id)
        .order_by(_wh.c.priority, _wh.c.code))]


@dataclass(frozen=True)
class InboundTransfer:
    id: int
    from_code: str
    lines: list[tuple[int, str, int]]  # (line id, SKU code, units still in transit)


@requires(INVENTORY_VIEW)
def inbound_transfers(uow: UnitOfWork, warehouse_id: int, transfer_id: int | None = None) -> list[InboundTransfer]:
    """Transfers on their way to this warehouse, with their lines still in transit (one of them, if asked)."""
    t = uow.tenant_id
    stmt = (select(_tr.c.id, _wh.c.code).join(_wh, _wh.c.id == _tr.c.from_warehouse_id)
            .where(_tr.c.tenant_id == t, _tr.c.to_warehouse_id == warehouse_id,
                   _tr.c.state.in_(("in_transit", "partially_received"))).order_by(_tr.c.id))
    if transfer_id is not None:
        stmt = stmt.where(_tr.c.id == transfer_id)
    heads = uow.conn.execute(stmt).all()
    if not heads:
        return []
    lines: dict[int, list[tuple[int, str, int]]] = {h.id: [] for h in heads}
    for r in uow.conn.execute(select(_trl.c.transfer_id, _trl.c.id, _skus.c.code, _trl.c.quantity, _trl.c.received)
                              .join(_skus, _skus.c.id == _trl.c.sku_id)
                              .where(_trl.c.tenant_id == t, _trl.c.transfer_id.in_(list(lines)))
                              .order_by(_trl.c.id)):
        if r.quantity > r.received:
            lines[r.transfer_id].append((r.id, r.code, r.quantity - r.received))
    return [InboundTransfer(h.id, h.code, lines[h.id]) for h in heads]


def transfer_number(text: str, field: str = "transfer") -> int:
    match = TRANSFER_CODE.match(text.strip())
    if match is None:
        raise ValidationFailed(f"'{text.strip()}' is not a transfer number (TR-12 or 12)", field=field)
    return int(match[1])


def count_number(text: str, field: str = "count") -> int:
    value = text.strip()
    match = COUNT_CODE.match(value)
    if match is None and not value.isdigit():
        raise ValidationFailed(f"'{value}' is not a count number (CNT-3 or 3)", field=field)
    return int(match[1]) if match else int(value)


@requires(INVENTORY_VIEW)
def open_counts(uow: UnitOfWork, warehouse_id: int) -> list[tuple[int, str]]:
    """The warehouse's open counts: (id, note)."""
    return [(r.id, r.note) for r in uow.conn.execute(select(_counts.c.id, _counts.c.note).where(
        _counts.c.tenant_id == uow.tenant_id, _counts.c.warehouse_id == warehouse_id, _counts.c.state == "open")
        .order_by(_counts.c.id))]


# ---- picking and packing -------------------------------------------------------------------------------------------

PICK_CODE = re.compile(r"^(?:PL-?)?(\d+)$", re.I)


@dataclass(frozen=True)
class OpenPickList:
    id: int
    order_number: str
    lines_left: int


@requires(FULFILMENT_PICK)
def pick_lists(uow: UnitOfWork, warehouse_id: int) -> list[OpenPickList]:
    """The open pick lists of the warehouse, oldest first, with their order and how many lines are left."""
    t = uow.tenant_id
    left = (select(_pl.c.pick_list_id, func.count().label("left")).where(_pl.c.tenant_id == t, _pl.c.state == "open")
            .group_by(_pl.c.pick_list_id).subquery())
    rows = uow.conn.execute(
        select(_pk.c.id, _orders.c.number, func.coalesce(left.c.left, 0).label("left"))
        .outerjoin(_orders, _orders.c.id == _pk.c.order_id).outerjoin(left, left.c.pick_list_id == _pk.c.id)
        .where(_pk.c.tenant_id == t, _pk.c.warehouse_id == warehouse_id, _pk.c.state == "open").order_by(_pk.c.id))
    return [OpenPickList(r.id, r.number or "", int(r.left)) for r in rows]


def pick_number(text: str, field: str = "pick") -> int:
    match = PICK_CODE.match(text.strip())
    if match is None:
        raise ValidationFailed(f"'{text.strip()}' is not a pick list number (PL-12 or 12)", field=field)
    return int(match[1])


@requires(FULFILMENT_PICK)
def pick_list_in(uow: UnitOfWork, warehouse_id: int, text: str) -> int:
    """An open pick list of this warehouse by its number (PL-12, 12) or its order's number."""
    code = text.strip()
    if not code:
        raise ValidationFailed("scan the pick list or the order number", field="pick")
    t = uow.tenant_id
    stmt = select(_pk.c.id, _pk.c.warehouse_id, _pk.c.state).where(_pk.c.tenant_id == t)
    match = PICK_CODE.match(code)
    if match:
        stmt = stmt.where(_pk.c.id == int(match[1]))
    else:
        order_ids = select(_orders.c.id).where(_orders.c.tenant_id == t, _orders.c.number == code.upper())
        stmt = stmt.where(_pk.c.order_id.in_(order_ids.scalar_subquery()))
    rows = uow.conn.execute(stmt.order_by(_pk.c.id.desc())).all()
    here = [r for r in rows if r.warehouse_id == warehouse_id]
    if not rows:
        raise NotFound(f"unknown pick list or order '{code}'", field="pick")
    if not here:
        raise ValidationFailed(f"'{code}' is picked in another warehouse", field="pick")
    open_here = [r for r in here if r.state == "open"]
    if not open_here:
        raise Conflict(f"'{code}' is picked already (pick list PL-{here[0].id} is {here[0].state})", field="pick")
    return int(open_here[0].id)


@dataclass(frozen=True)
class PackLine:
    sku: str
    picked: int
    packed: int


@dataclass(frozen=True)
class PackView:
    order_id: int
    number: str
    status: str
    lines: list[PackLine]
    parcels: list[tuple[int, str, int]]  # (parcel number, state, units)

    @property
    def left_to_pack(self) -> int:
        return sum(line.picked - line.packed for line in self.lines)

    @property
    def open_parcel(self) -> int | None:
        return next((no for no, state, _ in self.parcels if state == "open"), None)

    @property
    def next_parcel(self) -> int:
        return self.open_parcel or max((no for no, _, _ in self.parcels), default=0) + 1


@requires(FULFILMENT_PACK)
def order_to_pack(uow: UnitOfWork, warehouse_id: int, text: str) -> PackView:
    """An order picked (or being picked) in this warehouse: per SKU what was picked and what is in parcels."""
    code = text.strip()
    if not code:
        raise ValidationFailed("scan the order number", field="order")
    t = uow.tenant_id
    order = uow.conn.execute(select(_orders.c.id, _orders.c.number, _orders.c.status).where(
        _orders.c.tenant_id == t, _orders.c.number == code.upper())).first()
    if order is None:
        raise NotFound(f"unknown order '{code}'", field="order")
    warehouses = set(uow.conn.execute(select(_pk.c.warehouse_id).where(_pk.c.tenant_id == t,
                                                                       _pk.c.order_id == order.id)).scalars())
    if warehouse_id not in warehouses:
        raise ValidationFailed(f"order {order.number} is not picked in this warehouse", field="order")
    picked = dict(uow.conn.execute(
        select(_skus.c.code, func.sum(_pl.c.picked)).join(_pk, _pk.c.id == _pl.c.pick_list_id)
        .join(_skus, _skus.c.id == _pl.c.sku_id)
        .where(_pl.c.tenant_id == t, _pk.c.order_id == order.id, _pk.c.warehouse_id == warehouse_id,
               _pl.c.state.in_(("open", "picked", "short")))
        .group_by(_skus.c.code)).all())
    packed = dict(uow.conn.execute(
        select(_skus.c.code, func.sum(_pi.c.quantity)).join(_pc, _pc.c.id == _pi.c.parcel_id)
        .join(_skus, _skus.c.id == _pi.c.sku_id)
        .where(_pc.c.tenant_id == t, _pc.c.order_id == order.id, _pc.c.warehouse_id == warehouse_id)
        .group_by(_skus.c.code)).all())
    units = (select(_pi.c.parcel_id, func.sum(_pi.c.quantity).label("units")).group_by(_pi.c.parcel_id).subquery())
    parcels = [(r.parcel_no, r.state, int(r.units or 0)) for r in uow.conn.execute(
        select(_pc.c.parcel_no, _pc.c.state, units.c.units).outerjoin(units, units.c.parcel_id == _pc.c.id)
        .where(_pc.c.tenant_id == t, _pc.c.order_id == order.id, _pc.c.warehouse_id == warehouse_id)
        .order_by(_pc.c.parcel_no))]
    lines = [PackLine(code, int(picked.get(code) or 0), int(packed.get(code) or 0))
             for code in sorted(set(picked) | set(packed))]
    return PackView(order.id, order.number, order.status, lines, parcels)


@requires(FULFILMENT_PACK)
def orders_to_pack(uow: UnitOfWork, warehouse_id: int) -> list[str]:
    """Numbers of the orders with units picked in this warehouse that are not all in parcels yet, oldest first."""
    t = uow.tenant_id
    picked = (select(_pk.c.order_id, func.sum(_pl.c.picked).label("units")).join(_pk, _pk.c.id == _pl.c.pick_list_id)
              .where(_pl.c.tenant_id == t, _pk.c.warehouse_id == warehouse_id, _pk.c.order_id.is_not(None),
                     _pl.c.state.in_(("open", "picked", "short")))
              .group_by(_pk.c.order_id).subquery())
    packed = (select(_pc.c.order_id, func.sum(_pi.c.quantity).label("units")).join(_pc, _pc.c.id == _pi.c.parcel_id)
              .where(_pc.c.tenant_id == t, _pc.c.warehouse_id == warehouse_id).group_by(_pc.c.order_id).subquery())
    return list(uow.conn.execute(
        select(_orders.c.number).join(picked, picked.c.order_id == _orders.c.id)
        .outerjoin(packed, packed.c.order_id == _orders.c.id)
        .where(_orders.c.tenant_id == t, _orders.c.status == "picking", picked.c.units > 0,
               picked.c.units > func.coalesce(packed.c.units, 0))
        .order_by(_orders.c.id)).scalars())

"""Read models for the warehouse-execution pages and API: waves, the pick lists of a wave, open pick lists and
discrepancies, and the pack station's view of one order (its picked units, parcels and what is left to pack)."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select

from stockyard.catalog.models import Sku
from stockyard.core.errors import NotFound
from stockyard.core.pagination import Page, paginate
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment import waves
from stockyard.fulfilment.execution_models import Parcel, ParcelItem, PickDiscrepancy, PickLine, PickList, PickWave
from stockyard.fulfilment.models import Shipment, ShippingMethod
from stockyard.fulfilment.packing import ParcelRate, parcel_rates
from stockyard.identity.domain import FULFILMENT_PACK, FULFILMENT_PICK
from stockyard.inventory.models import Location, Warehouse
from stockyard.sales.models import Order, OrderLine

_w, _pw, _pk, _pl = Warehouse.__table__, PickWave.__table__, PickList.__table__, PickLine.__table__
_o, _ol, _sku, _loc = Order.__table__, OrderLine.__table__, Sku.__table__, Location.__table__
_parcels, _items, _d = Parcel.__table__, ParcelItem.__table__, PickDiscrepancy.__table__


def waiting_groups(uow: UnitOfWork, warehouse_id: int) -> tuple[str, list[waves.WaveGroup]]:
    """The warehouse's code and its orders waiting for a wave, by cut-off and priority."""
    code = uow.conn.execute(select(_w.c.code).where(_w.c.tenant_id == uow.tenant_id, _w.c.id == warehouse_id)).scalar()
    if code is None:
        raise NotFound(f"unknown warehouse {warehouse_id}", field="warehouse_id")
    return code, waves.wave_groups(uow, warehouse_id)


def list_waves(uow: UnitOfWork, warehouse_id: int | None = None, state: str = "", page: int = 1,
               per_page: int = 50) -> Page[Any]:
    """Newest first, with how many pick lists each has and how many are picked."""
    uow.require(FULFILMENT_PICK)
    lists = (select(_pk.c.wave_id, func.count().label("lists"),
                    func.sum(case((_pk.c.state == "picked", 1), else_=0)).label("picked"))
             .where(_pk.c.tenant_id == uow.tenant_id).group_by(_pk.c.wave_id).subquery())
    stmt = (select(_pw.c.id, _pw.c.state, _pw.c.cutoff, _pw.c.priority, _pw.c.created_at, _pw.c.created_by_name,
                   _w.c.code.label("warehouse"), func.coalesce(lists.c.lists, 0).label("lists"),
                   func.coalesce(lists.c.picked, 0).label("picked"))
            .join(_w, _w.c.id == _pw.c.warehouse_id).outerjoin(lists, lists.c.wave_id == _pw.c.id)
            .where(_pw.c.tenant_id == uow.tenant_id).order_by(_pw.c.id.desc()))
    if warehouse_id is not None:
        stmt = stmt.where(_pw.c.warehouse_id == warehouse_id)
    if state:
        stmt = stmt.where(_pw.c.state == state)
    return paginate(uow.conn.execute, stmt, page, per_page)


@dataclass(frozen=True)
class WaveDetail:
    id: int
    state: str
    warehouse: str
    cutoff: str
    priority: int
    created_by_name: str
    created_at: Any
    lists: list[Any]  # (id, state, order_id, order number, order status, lines, units, picked)


def wave_detail(uow: UnitOfWork, wave_id: int) -> WaveDetail:
    uow.require(FULFILMENT_PICK)
    head = uow.conn.execute(select(_pw, _w.c.code).join(_w, _w.c.id == _pw.c.warehouse_id).where(
        _pw.c.tenant_id == uow.tenant_id, _pw.c.id == wave_id)).first()
    if head is None:
        raise NotFound(f"unknown pick wave {wave_id}", field="wave_id")
    lists = list(uow.conn.execute(
        select(_pk.c.id, _pk.c.state, _pk.c.order_id, _o.c.number, _o.c.status,
               func.count(_pl.c.id).label("lines"), func.coalesce(func.sum(_pl.c.quantity), 0).label("units"),
               func.coalesce(func.sum(_pl.c.picked), 0).label("picked"))
        .join(_o, _o.c.id == _pk.c.order_id).outerjoin(_pl, (_pl.c.pick_list_id == _pk.c.id)
                                                        & (_pl.c.state != "replaced"))
        .where(_pk.c.tenant_id == uow.tenant_id, _pk.c.wave_id == wave_id)
        .group_by(_pk.c.id, _pk.c.state, _pk.c.order_id, _o.c.number, _o.c.status).order_by(_pk.c.id)))
    return WaveDetail(head.id, head.state, head.code, head.cutoff, head.priority, head.created_by_name,
                      head.created_at, lists)


def open_pick_lists(uow: UnitOfWork, warehouse_id: int | None = None, kind: str = "") -> list[Any]:
    """Pick lists still to walk, oldest first (for the picker's choice of work)."""
    uow.require(FULFILMENT_PICK)
    stmt = (select(_pk.c.id, _pk.c.kind, _pk.c.wave_id, _pk.c.order_id, _o.c.number, _w.c.code.label("warehouse"),
                   _pk.c.created_at)
            .join(_w, _w.c.id == _pk.c.warehouse_id).outerjoin(_o, _o.c.id == _pk.c.order_id)
            .where(_pk.c.tenant_id == uow.tenant_id, _pk.c.state == "open").order_by(_pk.c.id).limit(200))
    if warehouse_id is not None:
        stmt = stmt.where(_pk.c.warehouse_id == warehouse_id)
    if kind:
        stmt = stmt.where(_pk.c.kind == kind)
    return list(uow.conn.execute(stmt))


def list_discrepancies(uow: UnitOfWork, state: str = "open", page: int = 1, per_page: int = 50) -> Page[Any]:
    uow.require(FULFILMENT_PICK)
    stmt = (select(_d.c.id, _d.c.state, _d.c.expected, _d.c.found, _d.c.missing, _d.c.outcome, _d.c.suggestion,
                   _d.c.created_at, _d.c.actor_name, _loc.c.path.label("location"), _sku.c.code.label("sku"),
                   _pl.c.pick_list_id)
            .join(_loc, _loc.c.id == _d.c.location_id).join(_sku, _sku.c.id == _d.c.sku_id)
            .join(_pl, _pl.c.id == _d.c.pick_line_id)
            .where(_d.c.tenant_id == uow.tenant_id).order_by(_d.c.id.desc()))
    if state:
        stmt = stmt.where(_d.c.state == state)
    return paginate(uow.conn.execute, stmt, page, per_page)


def orders_to_pack(uow: UnitOfWork) -> list[Any]:
    """Orders being picked with picked units, or packed and waiting to ship."""
    uow.require(FULFILMENT_PACK)
    picked = (select(_pk.c.order_id, func.sum(_pl.c.picked).label("picked"))
              .join(_pl, _pl.c.pick_list_id == _pk.c.id)
              .where(_pk.c.tenant_id == uow.tenant_id, _pl.c.state != "replaced").group_by(_pk.c.order_id)
              .subquery())
    return list(uow.conn.execute(
        select(_o.c.id, _o.c.number, _o.c.status, _o.c.shipping_address, picked.c.picked)
        .join(picked, picked.c.order_id == _o.c.id)
        .where(_o.c.tenant_id == uow.tenant_id, _o.c.status.in_(("picking", "packed")), picked.c.picked > 0)
        .order_by(_o.c.id).limit(200)))


@dataclass(frozen=True)
class PackLine:
    sku: str
    name: str
    ordered: int
    picked: int
    packed: int

    @property
    def left(self) -> int:
        return self.picked - self.packed


@dataclass(frozen=True)
class ParcelView:
    parcel_no: int
    state: str
    warehouse: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    items: list[tuple[str, int]]
    tracking_number: str


@dataclass(frozen=True)
class PackStation:
    order_id: int
    number: str
    status: str
    method_id: int | None
    method: str
    lines: list[PackLine]
    parcels: list[ParcelView]
    rates: list[ParcelRate] = field(default_factory=list)

    @property
    def next_parcel_no(self) -> int:
        open_no = [p.parcel_no for p in self.parcels if p.state == "open"]
        if open_no:
            return open_no[0]
        return max((p.parcel_no for p in self.parcels), default=0) + 1

    @property
    def left_to_pack(self) -> int:
        return sum(line.left for line in self.lines)


def pack_station(uow: UnitOfWork, order_id: int) -> PackStation:
    uow.require(FULFILMENT_PACK)
    m = ShippingMethod.__table__
    head = uow.conn.execute(select(_o.c.id, _o.c.number, _o.c.status, _o.c.shipping_method_id, m.c.name)
                            .outerjoin(m, m.c.id == _o.c.shipping_method_id)
                            .where(_o.c.tenant_id == uow.tenant_id, _o.c.id == order_id)).first()
    if head is None:
        raise NotFound(f"unknown order {order_id}", field="order_id")
    ordered: dict[int, tuple[str, str, int]] = {}
    for r in uow.conn.execute(select(_ol.c.sku_id, _ol.c.sku_code, _ol.c.name, _ol.c.quantity).where(
            _ol.c.order_id == order_id).order_by(_ol.c.id)):
        code, name, quantity = ordered.get(r.sku_id, (r.sku_code, r.name, 0))
        ordered[r.sku_id] = (code, name, quantity + r.quantity)
    picked_rows = uow.conn.execute(
        select(_pl.c.sku_id, func.sum(_pl.c.picked)).join(_pk, _pk.c.id == _pl.c.pick_list_id)
        .where(_pk.c.tenant_id == uow.tenant_id, _pk.c.order_id == order_id, _pl.c.state != "replaced")
        .group_by(_pl.c.sku_id))
    picked = dict(picked_rows.all())
    packed = dict(uow.conn.execute(select(_items.c.sku_id, func.sum(_items.c.quantity))
                                   .join(_parcels, _parcels.c.id == _items.c.parcel_id)
                                   .where(_parcels.c.tenant_id == uow.tenant_id, _parcels.c.order_id == order_id)
                                   .group_by(_items.c.sku_id)).all())
    lines = [PackLine(code, name, quantity, int(picked.get(sku_id) or 0), int(packed.get(sku_id) or 0))
             for sku_id, (code, name, quantity) in ordered.items()]
    s = Shipment.__table__
    parcels = []
    for p in uow.conn.execute(select(_parcels, _w.c.code, s.c.tracking_number)
                              .join(_w, _w.c.id == _parcels.c.warehouse_id)
                              .outerjoin(s, s.c.id == _parcels.c.shipment_id)
                              .where(_parcels.c.tenant_id == uow.tenant_id, _parcels.c.order_id == order_id)
                              .order_by(_parcels.c.parcel_no, _parcels.c.id)):
        items = [(code, int(q)) for code, q in uow.conn.execute(
            select(_sku.c.code, _items.c.quantity).join(_sku, _sku.c.id == _items.c.sku_id)
            .where(_items.c.parcel_id == p.id).order_by(_items.c.id))]
        parcels.append(ParcelView(p.parcel_no, p.state, p.code, p.weight_g, p.length_mm, p.width_mm, p.height_mm,
                                  items, p.tracking_number or ""))
    rates = parcel_rates(uow, order_id) if head.status == "packed" else []
    return PackStation(head.id, head.number, head.status, head.shipping_method_id, head.name or "", lines, parcels,
                       rates)

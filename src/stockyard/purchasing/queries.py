"""Purchasing read models: inbound stock per SKU from open purchase orders (for the storefront's "back in stock on"
label and for dating backorders), and the supplier and purchase order lists and detail for the API.

Inbound = ordered − received on the lines of sent or partially received orders, expected on the line's own date
when it has one, else on the order's. Inbound is never sold as on hand; it only dates when stock will be there.
The inbound queries are Core statements on `uow.conn` with explicit tenant filters (they run inside checkout and
listing pages) and check no permission: they answer for the shop's own actor too.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Subquery, bindparam, func, or_, select

from stockyard.catalog.models import Sku
from stockyard.core.errors import NotFound
from stockyard.core.pagination import Page, paginate
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import PURCHASING_VIEW
from stockyard.inventory.models import Location, Warehouse
from stockyard.purchasing.domain import OPEN_STATES, covering_date
from stockyard.purchasing.models import (
    Asn,
    AsnLine,
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
    SupplierSku,
)
from stockyard.sales.models import Order, OrderLine

_po = PurchaseOrder.__table__
_lines = PurchaseOrderLine.__table__
_suppliers = Supplier.__table__
_skus = Sku.__table__
_warehouses = Warehouse.__table__
_orders = Order.__table__
_order_lines = OrderLine.__table__

OPEN = [s.value for s in OPEN_STATES]
# Orders whose backordered units no longer wait for anything (cancelling an order leaves its lines' counts).
FINISHED_ORDER_STATUSES = ("cancelled", "closed")
_EXPECTED = func.coalesce(_lines.c.expected_on, _po.c.expected_on)
_OPEN_UNITS = _lines.c.quantity - _lines.c.received


@dataclass(frozen=True)
class Inbound:
    expected_on: date
    open_quantity: int
    warehouse_id: int


_INBOUND = (
    select(_lines.c.sku_id, _EXPECTED.label("expected_on"), _OPEN_UNITS.label("open_quantity"), _po.c.warehouse_id)
    .join(_po, _po.c.id == _lines.c.purchase_order_id)
    .where(_lines.c.tenant_id == bindparam("tenant_id"), _po.c.tenant_id == bindparam("tenant_id"),
           _lines.c.sku_id.in_(bindparam("sku_ids", expanding=True)), _po.c.state.in_(OPEN),
           _lines.c.received < _lines.c.quantity)
    .order_by(_lines.c.sku_id, _EXPECTED, _lines.c.id)
)


def inbound_by_sku(uow: UnitOfWork, sku_ids: list[int]) -> dict[int, list[Inbound]]:
    """Per SKU, the units still to arrive on open purchase orders, soonest first (one statement)."""
    out: dict[int, list[Inbound]] = defaultdict(list)
    if not sku_ids:
        return {}
    for r in uow.conn.execute(_INBOUND, {"tenant_id": uow.tenant_id, "sku_ids": sorted(set(sku_ids))}):
        out[r.sku_id].append(Inbound(r.expected_on, int(r.open_quantity), r.warehouse_id))
    return dict(out)


def _queued() -> Subquery:
    """Units of each SKU already backordered by orders placed before :order_id (whether paid yet or not): the
    backorder job serves the oldest orders first, so inbound goes to them first."""
    return (select(_order_lines.c.sku_id, func.sum(_order_lines.c.backordered).label("units"))
            .join(_orders, _orders.c.id == _order_lines.c.order_id)
            .where(_orders.c.tenant_id == bindparam("tenant_id"), _order_lines.c.tenant_id == bindparam("tenant_id"),
                   _orders.c.id < bindparam("order_id"), _orders.c.status.notin_(FINISHED_ORDER_STATUSES),
                   _order_lines.c.backordered > 0, _order_lines.c.sku_id.in_(bindparam("sku_ids", expanding=True)))
            .group_by(_order_lines.c.sku_id).subquery())


def _build_inbound_after_queue() -> Any:
    arrivals = _INBOUND.order_by(None).subquery()
    queued = _queued()
    return (select(arrivals.c.sku_id, arrivals.c.expected_on, arrivals.c.open_quantity,
                   func.coalesce(queued.c.units, 0).label("queued"))
            .select_from(arrivals.outerjoin(queued, queued.c.sku_id == arrivals.c.sku_id)))


_INBOUND_AFTER_QUEUE = _build_inbound_after_queue()


def earliest_inbound(uow: UnitOfWork, needs: Mapping[int, int], *, behind_order: int | None = None
                     ) -> dict[int, date]:
    """Per SKU of `needs` (SKU id → units needed), the date by which open purchase orders bring that many units;
    SKUs they do not cover are left out. With `behind_order`, the units already backordered by orders placed
    before that order are served first, so two orders waiting for the same delivery are not both promised it.
    One statement."""
    wanted = sorted(sku for sku, units in needs.items() if units > 0)
    if not wanted:
        return {}
    rows = uow.conn.execute(_INBOUND_AFTER_QUEUE, {"tenant_id": uow.tenant_id, "sku_ids": wanted,
                                                   "order_id": behind_order if behind_order is not None else 0})
    arrivals: dict[int, list[tuple[date, int]]] = defaultdict(list)
    queued: dict[int, int] = {}
    for r in rows:
        arrivals[r.sku_id].append((r.expected_on, int(r.open_quantity)))
        queued[r.sku_id] = int(r.queued)
    out = {}
    for sku_id, found in arrivals.items():
        day = covering_date(found, needs[sku_id] + queued[sku_id])
        if day is not None:
            out[sku_id] = day
    return out


def next_arrival_subquery(tenant_id: ColumnElement[int], sku_ids: Any, day: ColumnElement[date]) -> Subquery:
    """(sku_id, back_on): the earliest date, today or later, on which an open purchase order brings units of each
    SKU, for joining into a page's own statement (the storefront's details query). The caller's bind parameters
    name the tenant, the SKUs and today; an order already late gives no date (nobody knows when it comes)."""
    expected = _EXPECTED
    return (select(_lines.c.sku_id, func.min(expected).label("back_on"))
            .join(_po, _po.c.id == _lines.c.purchase_order_id)
            .where(_lines.c.tenant_id == tenant_id, _po.c.tenant_id == tenant_id, _lines.c.sku_id.in_(sku_ids),
                   _po.c.state.in_(OPEN), _lines.c.received < _lines.c.quantity, expected >= day)
            .group_by(_lines.c.sku_id).subquery("inbound"))


# ---- lists and detail for the API ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SupplierRow:
    id: int
    code: str
    name: str
    currency: str
    lead_time_days: int
    active: bool


@requires(PURCHASING_VIEW)
def list_suppliers(uow: UnitOfWork, q: str = "", page: int = 1, per_page: int = 50) -> Page[SupplierRow]:
    stmt = select(Supplier).order_by(Supplier.code)
    if q.strip():
        pattern = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Supplier.code).like(pattern), func.lower(Supplier.name).like(pattern)))
    found = paginate(uow.execute, stmt, page, per_page)
    items = [SupplierRow(s.id, s.code, s.name, s.currency, s.lead_time_days, s.active)
             for (s,) in found.items]
    return Page(items, found.total, found.page, found.per_page)


@dataclass(frozen=True)
class PurchaseOrderRow:
    id: int
    number: str
    supplier_code: str
    supplier_name: str
    warehouse_code: str
    state: str
    currency: str
    expected_on: date
    lines: int
    units_ordered: int
    units_received: int
    total: Decimal
    created_at: datetime


def _order_rows() -> Any:
    totals = (select(_lines.c.purchase_order_id, func.count().label("lines"),
                     func.sum(_lines.c.quantity).label("ordered"), func.sum(_lines.c.received).label("received"),
                     func.sum(_lines.c.quantity * _lines.c.unit_cost).label("total"))
              .group_by(_lines.c.purchase_order_id).subquery())
    return (select(_po.c.id, _po.c.number, _suppliers.c.code.label("supplier_code"),
                   _suppliers.c.name.label("supplier_name"), _warehouses.c.code.label("warehouse_code"), _po.c.state,
                   _po.c.currency, _po.c.expected_on, func.coalesce(totals.c.lines, 0).label("lines"),
                   func.coalesce(totals.c.ordered, 0).label("ordered"),
                   func.coalesce(totals.c.received, 0).label("received"),
                   func.coalesce(totals.c.total, 0).label("total"), _po.c.created_at)
            .join(_suppliers, _suppliers.c.id == _po.c.supplier_id)
            .join(_warehouses, _warehouses.c.id == _po.c.warehouse_id)
            .outerjoin(totals, totals.c.purchase_order_id == _po.c.id))


def _row(r: Any) -> PurchaseOrderRow:
    return PurchaseOrderRow(r.id, r.number, r.supplier_code, r.supplier_name, r.warehouse_code, r.state, r.currency,
                            r.expected_on, int(r.lines), int(r.ordered), int(r.received),
                            Decimal(r.total).quantize(Decimal("0.01")), r.created_at)


ORDER_SORTS: dict[str, Any] = {"number": _po.c.id, "expected_on": _po.c.expected_on, "supplier": _suppliers.c.code,
                               "state": _po.c.state}


@requires(PURCHASING_VIEW)
def list_purchase_orders(uow: UnitOfWork, state: str | None = None, supplier_id: int | None = None,
                         sku: str | None = None, page: int = 1, per_page: int = 50,
                         sort: str = "-number") -> Page[PurchaseOrderRow]:
    """Newest first unless `sort` names one of ORDER_SORTS ("-" first: descending); `state` may be `open` (sent or
    partially received); `sku`: orders with a line of that code."""
    t = uow.tenant_id
    column = ORDER_SORTS.get(sort.lstrip("-"))
    if column is None:
        sort, column = "-number", _po.c.id
    direction = column.desc() if sort.startswith("-") else column.asc()
    stmt = _order_rows().where(_po.c.tenant_id == t).order_by(direction, _po.c.id.desc())
    if state == "open":
        stmt = stmt.where(_po.c.state.in_(OPEN))
    elif state:
        stmt = stmt.where(_po.c.state == state)
    if supplier_id is not None:
        stmt = stmt.where(_po.c.supplier_id == supplier_id)
    if sku:
        with_sku = (select(_lines.c.purchase_order_id).join(_skus, _skus.c.id == _lines.c.sku_id)
                    .where(_lines.c.tenant_id == t, _skus.c.tenant_id == t, _skus.c.code == sku.strip()))
        stmt = stmt.where(_po.c.id.in_(with_sku))
    found = paginate(uow.conn.execute, stmt, page, per_page)
    return Page([_row(r) for r in found.items], found.total, found.page, found.per_page, sort)


@dataclass(frozen=True)
class LineView:
    id: int
    sku_id: int
    sku_code: str
    sku_name: str
    quantity: int
    received: int
    unit_cost: Decimal
    expected_on: date

    @property
    def open(self) -> int:
        return self.quantity - self.received


@dataclass(frozen=True)
class PurchaseOrderView:
    order: PurchaseOrderRow
    supplier_id: int
    warehouse_id: int
    note: str
    sent_at: datetime | None
    lines: list[LineView]


@requires(PURCHASING_VIEW)
def purchase_order_detail(uow: UnitOfWork, purchase_order_id: int) -> PurchaseOrderView:
    t = uow.tenant_id
    head = uow.conn.execute(
        _order_rows().add_columns(_po.c.supplier_id, _po.c.warehouse_id, _po.c.note, _po.c.sent_at)
        .where(_po.c.tenant_id == t, _po.c.id == purchase_order_id)).first()
    if head is None:
        raise NotFound(f"unknown purchase order {purchase_order_id}", field="purchase_order")
    lines = [LineView(r.id, r.sku_id, r.code, r.name, r.quantity, r.received, Decimal(r.unit_cost), r.expected_on)
             for r in uow.conn.execute(
        select(_lines.c.id, _lines.c.sku_id, _skus.c.code, _skus.c.name, _lines.c.quantity, _lines.c.received,
               _lines.c.unit_cost, func.coalesce(_lines.c.expected_on, head.expected_on).label("expected_on"))
        .join(_skus, _skus.c.id == _lines.c.sku_id)
        .where(_lines.c.tenant_id == t, _lines.c.purchase_order_id == purchase_order_id).order_by(_lines.c.id))]
    return PurchaseOrderView(_row(head), head.supplier_id, head.warehouse_id, head.note, head.sent_at, lines)


def as_json(view: PurchaseOrderView) -> dict[str, Any]:
    o = view.order
    return {"id": o.id, "number": o.number, "state": o.state, "supplier_id": view.supplier_id,
            "supplier_code": o.supplier_code, "supplier_name": o.supplier_name, "warehouse_id": view.warehouse_id,
            "warehouse_code": o.warehouse_code, "currency": o.currency, "expected_on": o.expected_on.isoformat(),
            "note": view.note, "total": str(o.total), "created_at": o.created_at.isoformat(),
            "sent_at": view.sent_at.isoformat() if view.sent_at else None,
            "lines": [{"id": line.id, "sku_id": line.sku_id, "sku": line.sku_code, "name": line.sku_name,
                       "quantity": line.quantity, "received": line.received, "open": line.open,
                       "unit_cost": str(line.unit_cost), "expected_on": line.expected_on.isoformat()}
                      for line in view.lines]}


def row_json(o: PurchaseOrderRow) -> dict[str, Any]:
    return {"id": o.id, "number": o.number, "state": o.state, "supplier_code": o.supplier_code,
            "supplier_name": o.supplier_name, "warehouse_code": o.warehouse_code, "currency": o.currency,
            "expected_on": o.expected_on.isoformat(), "lines": o.lines, "units_ordered": o.units_ordered,
            "units_received": o.units_received, "total": str(o.total), "created_at": o.created_at.isoformat()}


# ---- pages: a purchase order with its notices and receipts; suppliers with their SKUs; inbound per warehouse ----

@dataclass(frozen=True)
class AsnView:
    id: int
    reference: str
    carrier: str
    tracking: str
    expected_on: date
    state: str
    created_at: datetime
    lines: list[tuple[int, str, int, int]]  # (order line id, SKU code, announced, received)


@dataclass(frozen=True)
class ReceiptView:
    id: int
    number: str
    kind: str
    location: str
    actor_name: str
    created_at: datetime
    units: int
    over_received: int
    asn_id: int | None


@dataclass(frozen=True)
class PurchaseOrderPage:
    view: PurchaseOrderView
    asns: list[AsnView]
    receipts: list[ReceiptView]
    tolerance_pct: Decimal
    over_received: dict[int, int]  # order line id → units beyond the ordered quantity


def _receipts_of(uow: UnitOfWork, *where: Any) -> list[ReceiptView]:
    r, rl, loc = GoodsReceipt.__table__, GoodsReceiptLine.__table__, Location.__table__
    totals = (select(rl.c.receipt_id, func.sum(rl.c.quantity).label("units"),
                     func.sum(rl.c.over_received).label("over")).group_by(rl.c.receipt_id).subquery())
    rows = uow.conn.execute(
        select(r.c.id, r.c.number, r.c.kind, loc.c.path, r.c.actor_name, r.c.created_at, totals.c.units,
               totals.c.over, r.c.asn_id)
        .join(loc, loc.c.id == r.c.location_id).join(totals, totals.c.receipt_id == r.c.id)
        .where(r.c.tenant_id == uow.tenant_id, *where).order_by(r.c.id.desc()))
    return [ReceiptView(x.id, x.number, x.kind, x.path, x.actor_name, x.created_at, int(x.units), int(x.over),
                        x.asn_id) for x in rows]


@requires(PURCHASING_VIEW)
def purchase_order_page(uow: UnitOfWork, purchase_order_id: int) -> PurchaseOrderPage:
    view = purchase_order_detail(uow, purchase_order_id)
    a, al = Asn.__table__, AsnLine.__table__
    asn_lines: dict[int, list[tuple[int, str, int, int]]] = defaultdict(list)
    for x in uow.conn.execute(
            select(al.c.asn_id, al.c.po_line_id, _skus.c.code, al.c.quantity, al.c.received)
            .join(_lines, _lines.c.id == al.c.po_line_id).join(_skus, _skus.c.id == _lines.c.sku_id)
            .join(a, a.c.id == al.c.asn_id)
            .where(a.c.tenant_id == uow.tenant_id, a.c.purchase_order_id == purchase_order_id).order_by(al.c.id)):
        asn_lines[x.asn_id].append((x.po_line_id, x.code, x.quantity, x.received))
    asns = [AsnView(x.id, x.reference, x.carrier, x.tracking, x.expected_on, x.state, x.created_at, asn_lines[x.id])
            for x in uow.conn.execute(select(a).where(a.c.tenant_id == uow.tenant_id,
                                                      a.c.purchase_order_id == purchase_order_id).order_by(a.c.id))]
    tolerance = uow.conn.execute(select(_suppliers.c.over_receipt_tolerance_pct).where(
        _suppliers.c.id == view.supplier_id)).scalar()
    over = dict(uow.conn.execute(select(_lines.c.id, _lines.c.over_received).where(
        _lines.c.tenant_id == uow.tenant_id, _lines.c.purchase_order_id == purchase_order_id)).all())
    return PurchaseOrderPage(view, asns, _receipts_of(uow, GoodsReceipt.__table__.c.purchase_order_id ==
                                                      purchase_order_id), Decimal(tolerance or 0), over)


@requires(PURCHASING_VIEW)
def recent_receipts(uow: UnitOfWork, kind: str | None = None, limit: int = 20) -> list[ReceiptView]:
    where = [GoodsReceipt.__table__.c.kind == kind] if kind else []
    return _receipts_of(uow, *where)[:limit]


@dataclass(frozen=True)
class SupplierSkuRow:
    sku_id: int
    sku_code: str
    sku_name: str
    supplier_code: str
    unit_cost: Decimal
    pack_size: int
    min_order_qty: int
    preferred: bool


@dataclass(frozen=True)
class SupplierView:
    id: int
    code: str
    name: str
    currency: str
    lead_time_days: int
    over_receipt_tolerance_pct: Decimal
    active: bool
    skus: list[SupplierSkuRow]


@requires(PURCHASING_VIEW)
def supplier_detail(uow: UnitOfWork, supplier_id: int) -> SupplierView:
    s, ss = _suppliers, SupplierSku.__table__
    row = uow.conn.execute(select(s).where(s.c.tenant_id == uow.tenant_id, s.c.id == supplier_id)).first()
    if row is None:
        raise NotFound(f"unknown supplier {supplier_id}", field="supplier_id")
    skus = [SupplierSkuRow(x.sku_id, x.code, x.name, x.supplier_code, Decimal(x.unit_cost), x.pack_size,
                           x.min_order_qty, x.preferred)
            for x in uow.conn.execute(
        select(ss.c.sku_id, _skus.c.code, _skus.c.name, ss.c.supplier_code, ss.c.unit_cost, ss.c.pack_size,
               ss.c.min_order_qty, ss.c.preferred).join(_skus, _skus.c.id == ss.c.sku_id)
        .where(ss.c.tenant_id == uow.tenant_id, ss.c.supplier_id == supplier_id).order_by(_skus.c.code))]
    return SupplierView(row.id, row.code, row.name, row.currency, row.lead_time_days,
                        Decimal(row.over_receipt_tolerance_pct), row.active, skus)


@dataclass(frozen=True)
class InboundTotal:
    units: int
    next_on: date  # the soonest expected date of those units


def inbound_for_skus(uow: UnitOfWork, sku_ids: list[int]) -> dict[int, dict[int, InboundTotal]]:
    """Per SKU and warehouse, units on open purchase orders not yet received and when the first of them is due: the
    "inbound" column of the stock pages. Never part of available to promise."""
    out: dict[int, dict[int, InboundTotal]] = {}
    for sku_id, arrivals in inbound_by_sku(uow, sku_ids).items():
        per: dict[int, InboundTotal] = {}
        for arrival in arrivals:
            seen = per.get(arrival.warehouse_id)
            per[arrival.warehouse_id] = InboundTotal(
                (seen.units if seen else 0) + arrival.open_quantity,
                min(seen.next_on, arrival.expected_on) if seen else arrival.expected_on)
        out[sku_id] = per
    return out

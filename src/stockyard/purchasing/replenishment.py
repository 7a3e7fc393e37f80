"""Replenishment: per SKU and warehouse, what to order (reorder.advise) and from whom, and the draft purchase orders
for the suggestions a user picks, grouped by supplier and warehouse.

The pairs looked at: every min-stock rule, and every (SKU, warehouse) that shipped units over the last `days` of a
SKU some supplier sells. Inputs per pair: sellable on hand − reserved, inbound on open purchase orders to that
warehouse, the rule's minimum and safety stock, the demand (the pair's stored demand forecast, analytics/forecast.py,
when there is one and `demand` is "forecast"; else units shipped — ledger moves of reason "shipment" out of the
warehouse — over the last `days`), and the supplier's lead time, pack size and minimum order (the preferred
supplier, else the cheapest).

Services: `replenishment_suggestions(uow, warehouse_id=None, days=30, cover_days=30)` (purchasing.view) and
`create_replenishment_orders(uow, CreateReplenishmentOrders)` (purchasing.edit).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from pydantic import Field
from sqlalchemy import and_, func, select

from stockyard.analytics.forecast import forecasts_by_pair
from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import PURCHASING_EDIT, PURCHASING_VIEW
from stockyard.inventory.domain import Reason, Status, WholeNumber
from stockyard.inventory.models import Location, MinStockRule, StockLevel, StockMove, Warehouse
from stockyard.inventory.refs import resolve_skus, resolve_warehouse
from stockyard.purchasing.domain import OPEN_STATES
from stockyard.purchasing.models import PurchaseOrder, PurchaseOrderLine, Supplier, SupplierSku
from stockyard.purchasing.reorder import ReorderInput, advise
from stockyard.purchasing.services import CreatedOrder, CreatePurchaseOrder, POLineIn, Ref, _Command, _supplier
from stockyard.purchasing.services import create_purchase_order as _create_purchase_order

_rules = MinStockRule.__table__
_levels = StockLevel.__table__
_moves = StockMove.__table__
_locations = Location.__table__
_po = PurchaseOrder.__table__
_po_lines = PurchaseOrderLine.__table__
_suppliers = Supplier.__table__
_supplier_skus = SupplierSku.__table__
_skus = Sku.__table__
_warehouses = Warehouse.__table__


@dataclass(frozen=True)
class ReplenishmentRow:
    sku_id: int
    sku_code: str
    sku_name: str
    warehouse_id: int
    warehouse_code: str
    available: int
    inbound: int
    minimum: int
    safety_stock: int
    shipped: int
    velocity: Fraction
    reorder_point: int
    target: int
    need: int
    quantity: int
    supplier_id: int | None
    supplier_code: str
    lead_time_days: int
    pack_size: int
    min_order_qty: int
    unit_cost: Decimal | None
    currency: str
    demand_source: str = "history"  # "forecast": velocity is the demand forecast's, else shipped / days
    forecast_method: str = ""
    forecast_wape: Decimal | None = None  # the forecast's backtest error (weighted absolute % error)

    @property
    def key(self) -> str:
        return f"{self.sku_id}.{self.warehouse_id}"


@dataclass(frozen=True)
class _Terms:
    supplier_id: int
    code: str
    lead_time_days: int
    pack_size: int
    min_order_qty: int
    unit_cost: Decimal
    currency: str


def _best_terms(uow: UnitOfWork, sku_ids: list[int]) -> dict[int, _Terms]:
    """Per SKU, the preferred active supplier's terms, else the cheapest active supplier's."""
    rows = uow.conn.execute(
        select(_supplier_skus.c.sku_id, _supplier_skus.c.preferred, _supplier_skus.c.unit_cost,
               _supplier_skus.c.pack_size, _supplier_skus.c.min_order_qty, _suppliers.c.id, _suppliers.c.code,
               _suppliers.c.lead_time_days, _suppliers.c.currency)
        .join(_suppliers, _suppliers.c.id == _supplier_skus.c.supplier_id)
        .where(_supplier_skus.c.tenant_id == uow.tenant_id, _suppliers.c.active.is_(True),
               _supplier_skus.c.sku_id.in_(sku_ids))
        .order_by(_supplier_skus.c.sku_id, _supplier_skus.c.preferred.desc(), _supplier_skus.c.unit_cost,
                  _suppliers.c.code))
    out: dict[int, _Terms] = {}
    for r in rows:
        out.setdefault(r.sku_id, _Terms(r.id, r.code, r.lead_time_days, r.pack_size, r.min_order_qty,
                                        Decimal(r.unit_cost), r.currency))
    return out


def replenishment_suggestions(uow: UnitOfWork, warehouse_id: int | None = None, days: int = 30,
                              cover_days: int = 30, demand: str = "forecast") -> list[ReplenishmentRow]:
    """What to order, per SKU and warehouse, by SKU code: only pairs under their reorder point."""
    uow.require(PURCHASING_VIEW)
    if demand not in ("forecast", "history"):
        raise ValidationFailed("is either forecast or history", field="demand")
    if not 1 <= days <= 365:
        raise ValidationFailed("must be between 1 and 365", field="days")
    if not 0 <= cover_days <= 365:
        raise ValidationFailed("must be between 0 and 365", field="cover_days")
    t = uow.tenant_id
    since = utcnow() - timedelta(days=days)
    shipped = dict(((r.sku_id, r.warehouse_id), int(r.units)) for r in uow.conn.execute(
        select(_moves.c.sku_id, _locations.c.warehouse_id, func.sum(_moves.c.quantity).label("units"))
        .join(_locations, _locations.c.id == _moves.c.from_location_id)
        .where(_moves.c.tenant_id == t, _moves.c.reason == Reason.SHIPMENT.value, _moves.c.created_at >= since,
               _locations.c.warehouse_id.is_not(None))
        .group_by(_moves.c.sku_id, _locations.c.warehouse_id)))
    rules = {(r.sku_id, r.warehouse_id): (r.minimum, r.safety_stock) for r in uow.conn.execute(
        select(_rules.c.sku_id, _rules.c.warehouse_id, _rules.c.minimum, _rules.c.safety_stock)
        .where(_rules.c.tenant_id == t))}
    forecasts = forecasts_by_pair(uow) if demand == "forecast" else {}
    terms = _best_terms(uow, sorted({sku for sku, _ in shipped} | {sku for sku, _ in rules}
                                    | {sku for sku, _ in forecasts}))
    pairs = set(rules) | {pair for pair in [*shipped, *forecasts] if pair[0] in terms}
    if warehouse_id is not None:
        pairs = {pair for pair in pairs if pair[1] == warehouse_id}
    if not pairs:
        return []
    sku_ids = sorted({sku for sku, _ in pairs})
    available = dict(((r.sku_id, r.warehouse_id), int(r.units)) for r in uow.conn.execute(
        select(_levels.c.sku_id, _levels.c.warehouse_id, func.sum(_levels.c.on_hand - _levels.c.reserved)
               .label("units"))
        .where(_levels.c.tenant_id == t, _levels.c.status == Status.SELLABLE.value, _levels.c.sku_id.in_(sku_ids))
        .group_by(_levels.c.sku_id, _levels.c.warehouse_id)))
    inbound = dict(((r.sku_id, r.warehouse_id), int(r.units)) for r in uow.conn.execute(
        select(_po_lines.c.sku_id, _po.c.warehouse_id, func.sum(_po_lines.c.quantity - _po_lines.c.received)
               .label("units"))
        .join(_po, _po.c.id == _po_lines.c.purchase_order_id)
        .where(_po_lines.c.tenant_id == t, _po.c.tenant_id == t, _po.c.state.in_([s.value for s in OPEN_STATES]),
               _po_lines.c.sku_id.in_(sku_ids))
        .group_by(_po_lines.c.sku_id, _po.c.warehouse_id)))
    names = {r.id: (r.code, r.name) for r in uow.conn.execute(
        select(_skus.c.id, _skus.c.code, _skus.c.name).where(_skus.c.tenant_id == t, _skus.c.id.in_(sku_ids)))}
    warehouses = dict(uow.conn.execute(select(_warehouses.c.id, _warehouses.c.code).where(
        _warehouses.c.tenant_id == t)).all())
    out = []
    for sku_id, wh_id in pairs:
        minimum, safety = rules.get((sku_id, wh_id), (0, 0))
        term = terms.get(sku_id)
        forecast = forecasts.get((sku_id, wh_id))
        advice = advise(ReorderInput(
            available=available.get((sku_id, wh_id), 0), inbound=inbound.get((sku_id, wh_id), 0), minimum=minimum,
            safety_stock=safety, lead_time_days=term.lead_time_days if term else 0,
            shipped=shipped.get((sku_id, wh_id), 0), days=days, cover_days=cover_days,
            pack_size=term.pack_size if term else 1, min_order_qty=term.min_order_qty if term else 1,
            forecast_daily=Fraction(forecast.daily_rate) if forecast else None))
        if advice.quantity <= 0:
            continue
        code, name = names[sku_id]
        out.append(ReplenishmentRow(
            sku_id, code, name, wh_id, warehouses[wh_id], available.get((sku_id, wh_id), 0),
            inbound.get((sku_id, wh_id), 0), minimum, safety, shipped.get((sku_id, wh_id), 0), advice.velocity,
            advice.reorder_point, advice.target, advice.need, advice.quantity, term.supplier_id if term else None,
            term.code if term else "", term.lead_time_days if term else 0, term.pack_size if term else 1,
            term.min_order_qty if term else 1, term.unit_cost if term else None, term.currency if term else "",
            "forecast" if forecast else "history", forecast.method if forecast else "",
            forecast.wape if forecast else None))
    return sorted(out, key=lambda r: (r.sku_code, r.warehouse_code))


class ReplenishItem(_Command):
    sku: Ref
    warehouse: Ref
    quantity: WholeNumber = Field(gt=0, le=1_000_000)
    supplier: Ref | None = None  # None: the SKU's preferred supplier, else its cheapest


class CreateReplenishmentOrders(_Command):
    items: list[ReplenishItem] = Field(min_length=1, max_length=500)
    note: str = Field(default="Replenishment", max_length=500)


def create_replenishment_orders(uow: UnitOfWork, cmd: CreateReplenishmentOrders) -> list[CreatedOrder]:
    """One draft purchase order per (supplier, warehouse) for the items, at the supplier's prices; expected after
    the supplier's lead time. All of them or none."""
    uow.require(PURCHASING_EDIT)
    skus = resolve_skus(uow, [i.sku for i in cmd.items], [f"items[{i}].sku" for i in range(len(cmd.items))])
    best = _best_terms(uow, [s.id for s in skus])
    groups: dict[tuple[int, int], list[POLineIn]] = {}
    seen: set[tuple[int, int]] = set()
    for index, (item, sku) in enumerate(zip(cmd.items, skus, strict=True)):
        warehouse_id = resolve_warehouse(uow, item.warehouse, f"items[{index}].warehouse", works_in=False)
        if (sku.id, warehouse_id) in seen:
            raise ValidationFailed(f"{sku.code} is given twice for this warehouse", field=f"items[{index}].sku")
        seen.add((sku.id, warehouse_id))
        if item.supplier is not None:
            supplier_id = _supplier(uow, item.supplier).id
        elif sku.id in best:
            supplier_id = best[sku.id].supplier_id
        else:
            raise ValidationFailed(f"no supplier sells {sku.code}; add it to a supplier first",
                                   field=f"items[{index}].supplier")
        cost = uow.conn.execute(select(_supplier_skus.c.unit_cost).where(and_(
            _supplier_skus.c.tenant_id == uow.tenant_id, _supplier_skus.c.supplier_id == supplier_id,
            _supplier_skus.c.sku_id == sku.id))).scalar()
        if cost is None:
            raise ValidationFailed(f"the supplier has no price for {sku.code}", field=f"items[{index}].supplier")
        groups.setdefault((supplier_id, warehouse_id), []).append(
            POLineIn(sku=sku.id, quantity=item.quantity, unit_cost=Decimal(cost)))
    return [_create_purchase_order(uow, CreatePurchaseOrder(supplier=supplier_id, warehouse=warehouse_id,
                                                            lines=lines, note=cmd.note))
            for (supplier_id, warehouse_id), lines in sorted(groups.items())]

"""Inventory valuation from the ledger: the tenant's valuation method (chosen, changed, audited), the replay of
stock moves and landed costs up to a moment (billing/valuation_domain.py), the value of given moves for the journal,
and the valuation report per SKU and warehouse as of a day.

Reads the inventory and catalog tables read-only. Moves are taken in business-time order,
coalesce(occurred_at, created_at) then id, so a backdated move counts from the day it happened.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import aliased

from stockyard.billing import valuation_domain as vd
from stockyard.billing.landed_cost_models import LandedCost, LandedCostLine, ValuationMethodChange
from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ACCOUNTING_MANAGE, ACCOUNTING_VIEW
from stockyard.inventory.domain import STOCKED_USAGES
from stockyard.inventory.models import Location, StockMove, Warehouse

_MOVES = StockMove.__table__
_LOCATIONS = Location.__table__
_CHANGES = ValuationMethodChange.__table__
_LANDED = LandedCost.__table__
_LANDED_LINES = LandedCostLine.__table__
_SKUS = Sku.__table__
_WAREHOUSES = Warehouse.__table__
_STOCKED = sorted(u.value for u in STOCKED_USAGES)

METHOD_CHANGE_NOTE = (
    "A change applies from the moment it is saved, as Odoo does when a product category's costing method changes "
    "with stock on hand: the stock on hand keeps its value (nothing is revalued or posted), and every issue from then "
    "on is costed by the new method. Past issues and their journal entries stay as they were.")


def _move_time() -> ColumnElement[Any]:
    """The business time of a move: its occurred_at when it was backdated, else created_at."""
    return func.coalesce(_MOVES.c.occurred_at, _MOVES.c.created_at)


# ---- the method -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MethodChange:
    method: vd.Method
    effective_at: datetime
    actor_name: str


def _changes(uow: UnitOfWork, tenant_id: int, until: datetime | None = None) -> list[MethodChange]:
    query = select(_CHANGES.c.method, _CHANGES.c.effective_at, _CHANGES.c.actor_name).where(
        _CHANGES.c.tenant_id == tenant_id)
    if until is not None:
        query = query.where(_CHANGES.c.effective_at < until)
    rows = uow.conn.execute(query.order_by(_CHANGES.c.effective_at, _CHANGES.c.id)).all()
    return [MethodChange(vd.Method(r.method), r.effective_at, r.actor_name) for r in rows]


@requires(ACCOUNTING_VIEW)
def method_history(uow: UnitOfWork) -> list[MethodChange]:
    return list(reversed(_changes(uow, uow.tenant_id)))


def current_method(uow: UnitOfWork) -> vd.Method:
    changes = _changes(uow, uow.tenant_id)
    return changes[-1].method if changes else vd.DEFAULT_METHOD


class SetMethod(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str


def set_method(uow: UnitOfWork, cmd: SetMethod) -> vd.Method:
    """Chooses the tenant's valuation method from now on (METHOD_CHANGE_NOTE); audited with before and after."""
    uow.require(ACCOUNTING_MANAGE)
    method = vd.check_method(cmd.method)
    before = current_method(uow)
    if method == before:
        return method
    now = utcnow()
    actor = uow.actor.name if uow.actor is not None else ""
    uow.conn.execute(_CHANGES.insert().values(tenant_id=uow.tenant_id, method=method.value, effective_at=now,
                                              actor_name=actor, created_at=now))
    add_event(uow, "valuation.method_changed.v1", {"before": before.value, "after": method.value,
                                                   "effective_at": now.isoformat()})
    return method


# ---- the replay -----------------------------------------------------------------------------------------------------

def replay(uow: UnitOfWork, tenant_id: int, sku_ids: list[int] | None = None, until: datetime | None = None,
           ) -> vd.Valuation:
    """Every move, landed cost and method change of these SKUs (None: all) before `until` (None: all), in time
    order, through the valuation."""
    src, dst = aliased(_LOCATIONS), aliased(_LOCATIONS)
    at = _move_time().label("at")
    query = (select(_MOVES.c.id, _MOVES.c.sku_id, _MOVES.c.quantity, _MOVES.c.unit_cost, at,
                    src.c.usage.label("src_usage"), src.c.warehouse_id.label("src_wh"),
                    dst.c.usage.label("dst_usage"), dst.c.warehouse_id.label("dst_wh"))
             .join(src, src.c.id == _MOVES.c.from_location_id).join(dst, dst.c.id == _MOVES.c.to_location_id)
             .where(_MOVES.c.tenant_id == tenant_id))
    landed = (select(_LANDED_LINES.c.id, _LANDED_LINES.c.move_id, _LANDED_LINES.c.amount, _LANDED.c.applied_at)
              .join(_LANDED, _LANDED.c.id == _LANDED_LINES.c.landed_cost_id)
              .where(_LANDED_LINES.c.tenant_id == tenant_id, _LANDED.c.tenant_id == tenant_id))
    if sku_ids is not None:
        query = query.where(_MOVES.c.sku_id.in_(sorted(set(sku_ids))))
        landed = landed.where(_LANDED_LINES.c.sku_id.in_(sorted(set(sku_ids))))
    if until is not None:
        query = query.where(_move_time() < until)
        landed = landed.where(_LANDED.c.applied_at < until)
    steps: list[tuple[datetime, int, int, object]] = []
    for r in uow.conn.execute(query).all():
        source = r.src_wh if r.src_usage in _STOCKED else None
        target = r.dst_wh if r.dst_usage in _STOCKED else None
        unit_cost = Decimal(r.unit_cost) if r.unit_cost is not None else None
        steps.append((r.at, 1, r.id, vd.LedgerMove(r.id, r.sku_id, r.quantity, source, target, unit_cost)))
    for r in uow.conn.execute(landed).all():
        steps.append((r.applied_at, 2, r.id, vd.LandedCharge(r.id, r.move_id, Decimal(r.amount))))
    changes = _changes(uow, tenant_id, until)
    valuation = vd.Valuation(vd.DEFAULT_METHOD)
    for i, change in enumerate(changes):
        steps.append((change.effective_at, 0, i, change.method))
    for _, _, _, step in sorted(steps, key=lambda s: (s[0], s[1], s[2])):
        if isinstance(step, vd.LedgerMove):
            valuation.move(step)
        elif isinstance(step, vd.LandedCharge):
            valuation.landed(step)
        elif isinstance(step, vd.Method):
            valuation.switch(step)
    return valuation


def moved_cost(uow: UnitOfWork, tenant_id: int, move_ids: list[int]) -> tuple[Decimal, int]:
    """What these moves took out of stock or brought in, at the tenant's valuation (the journal posts this), and
    their units without a cost."""
    if not move_ids:
        return Decimal(0), 0
    skus = uow.conn.execute(select(_MOVES.c.sku_id).distinct().where(
        _MOVES.c.tenant_id == tenant_id, _MOVES.c.id.in_(sorted(set(move_ids))))).scalars().all()
    valuation = replay(uow, tenant_id, list(skus))
    ids = set(move_ids)
    return (sum((valuation.move_values.get(i, Decimal(0)) for i in ids), Decimal(0)),
            sum(valuation.uncosted.get(i, 0) for i in ids))


# ---- the report -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ValuationRow:
    sku_id: int
    sku_code: str
    sku_name: str
    warehouse_id: int
    warehouse_code: str
    quantity: int
    unit_cost: Decimal | None
    value: Decimal


@dataclass(frozen=True)
class ValuationReport:
    as_of: date
    method: vd.Method
    rows: list[ValuationRow]

    @property
    def total_value(self) -> Decimal:
        return sum((r.value for r in self.rows), Decimal(0))

    @property
    def total_quantity(self) -> int:
        return sum(r.quantity for r in self.rows)


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min)


@requires(ACCOUNTING_VIEW)
def valuation_report(uow: UnitOfWork, as_of: date) -> ValuationReport:
    """Stock value per SKU and warehouse at the end of `as_of`, from the ledger and landed costs up to then."""
    until = end_of(as_of)
    valuation = replay(uow, uow.tenant_id, None, until)
    stock = valuation.stock()
    skus = {r.id: r for r in uow.conn.execute(select(_SKUS.c.id, _SKUS.c.code, _SKUS.c.name).where(
        _SKUS.c.tenant_id == uow.tenant_id, _SKUS.c.id.in_(sorted({s.sku_id for s in stock}))))} if stock else {}
    warehouses = dict(uow.conn.execute(select(_WAREHOUSES.c.id, _WAREHOUSES.c.code).where(
        _WAREHOUSES.c.tenant_id == uow.tenant_id)).all())
    rows = [ValuationRow(s.sku_id, skus[s.sku_id].code, skus[s.sku_id].name, s.warehouse_id,
                         warehouses.get(s.warehouse_id, "?"), s.quantity, s.unit_cost, s.value) for s in stock]
    rows.sort(key=lambda r: (r.sku_code, r.warehouse_code))
    changes = _changes(uow, uow.tenant_id, until)
    return ValuationReport(as_of, changes[-1].method if changes else vd.DEFAULT_METHOD, rows)


def report_csv(report: ValuationReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["as_of", "method", "sku", "name", "warehouse", "quantity", "unit_cost", "value"])
    for r in report.rows:
        writer.writerow([report.as_of.isoformat(), report.method.value, r.sku_code, r.sku_name, r.warehouse_code,
                         r.quantity, "" if r.unit_cost is None else f"{r.unit_cost}", f"{r.value:.2f}"])
    writer.writerow([report.as_of.isoformat(), report.method.value, "TOTAL", "", "", report.total_quantity, "",
                     f"{report.total_value:.2f}"])
    return out.getvalue()

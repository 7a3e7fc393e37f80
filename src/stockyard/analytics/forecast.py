"""Demand forecasts per SKU and warehouse: recomputed from the stock ledger's shipments (a job does it daily, a
manager on demand), read by the forecast page and by replenishment (purchasing/replenishment.py).

Demand is units shipped out of a warehouse (ledger moves of reason "shipment"), per week, over the last
HISTORY_WEEKS complete weeks, from the week of the pair's first shipment in that window on.
"""

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal

from sqlalchemy import Engine, delete, func, select

from stockyard.analytics import forecast_domain as fd
from stockyard.analytics.forecast_models import DemandForecast
from stockyard.catalog.models import Sku
from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, perform, requires
from stockyard.identity.domain import PURCHASING_EDIT, PURCHASING_VIEW
from stockyard.inventory.domain import Reason
from stockyard.inventory.models import Location, StockMove, Warehouse

HISTORY_WEEKS = 52
STALE_AFTER = timedelta(hours=24)

_forecasts = DemandForecast.__table__
_moves = StockMove.__table__
_locations = Location.__table__
_skus = Sku.__table__
_warehouses = Warehouse.__table__

Pair = tuple[int, int]  # (sku_id, warehouse_id)


def history_window(now: datetime) -> tuple[date, date]:
    """(first, last) Monday of the complete weeks a forecast made `now` learns from."""
    last = fd.week_start(now.date()) - timedelta(days=7)
    return last - timedelta(weeks=HISTORY_WEEKS - 1), last


def _shipped_by_day(uow: UnitOfWork, first: date, last: date, pair: Pair | None = None) -> dict[Pair, dict[date, int]]:
    when = _moves.c.created_at
    stmt = (select(_moves.c.sku_id, _locations.c.warehouse_id, when, _moves.c.quantity)
            .join(_locations, _locations.c.id == _moves.c.from_location_id)
            .where(_moves.c.tenant_id == uow.tenant_id, _moves.c.reason == Reason.SHIPMENT.value,
                   _locations.c.warehouse_id.is_not(None), when >= datetime.combine(first, day_time.min),
                   when < datetime.combine(last + timedelta(days=7), day_time.min)))
    if pair is not None:
        stmt = stmt.where(_moves.c.sku_id == pair[0], _locations.c.warehouse_id == pair[1])
    out: dict[Pair, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for sku_id, warehouse_id, at, quantity in uow.conn.execute(stmt):
        out[(sku_id, warehouse_id)][at.date()] += quantity
    return out


def _series(days: dict[date, int], first: date, last: date) -> tuple[date, list[int]]:
    start = max(first, fd.week_start(min(days)))
    return start, fd.weekly_series(days, start, last)


def _decimal(value: float | None, places: str) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal(places))


def recompute_forecasts(uow: UnitOfWork) -> int:
    """Forecasts every (SKU, warehouse) that shipped in the history window, replacing the tenant's previous ones.
    Returns how many were made."""
    uow.require(PURCHASING_EDIT)
    now = utcnow()
    first, last = history_window(now)
    shipped = _shipped_by_day(uow, first, last)
    rows = []
    for (sku_id, warehouse_id), days in sorted(shipped.items()):
        _, history = _series(days, first, last)
        made = fd.forecast_demand(history)
        test = made.backtest
        rows.append({
            "tenant_id": uow.tenant_id, "sku_id": sku_id, "warehouse_id": warehouse_id, "computed_at": now,
            "method": made.method, "history_weeks": made.history_weeks,
            "last_week": datetime.combine(last, day_time.min),
            "daily_rate": _decimal(made.daily_rate, "0.0001"), "weekly": [f"{w:.2f}" for w in made.weekly],
            "backtest_weeks": test.weeks if test else 0, "mae": _decimal(test.mae if test else None, "0.01"),
            "wape": _decimal(test.wape if test else None, "0.0001"),
            "bias": _decimal(test.bias if test else None, "0.0001")})
    uow.conn.execute(delete(_forecasts).where(_forecasts.c.tenant_id == uow.tenant_id))
    if rows:
        uow.conn.execute(_forecasts.insert(), rows)
    add_event(uow, "demand.forecasts_recomputed.v1", {"count": len(rows), "computed_at": now.isoformat(),
                                                       "last_week": last.isoformat()})
    return len(rows)


def recompute_stale_forecasts(engine: Engine) -> int:
    """The job: tenants that shipped in the history window and whose forecasts are older than a day (or missing)
    get new ones. Returns how many forecasts were made."""
    now = utcnow()
    first, last = history_window(now)
    with UnitOfWork(engine, readonly=True) as uow:
        newest = dict(uow.conn.execute(select(_forecasts.c.tenant_id, func.max(_forecasts.c.computed_at))
                                       .group_by(_forecasts.c.tenant_id)).all())
        shipping = list(uow.conn.execute(
            select(_moves.c.tenant_id).where(
                _moves.c.reason == Reason.SHIPMENT.value,
                _moves.c.created_at >= datetime.combine(first, day_time.min),
                _moves.c.created_at < datetime.combine(last + timedelta(days=7), day_time.min)).distinct()).scalars())
    made = 0
    for tenant_id in shipping:
        if tenant_id in newest and newest[tenant_id] > now - STALE_AFTER:
            continue
        made += perform(engine, system_actor(tenant_id, "forecast job"), recompute_forecasts)
    return made


_JOB_EVERY_SECONDS = 3600.0
_last_job: float | None = None


def forecast_job(engine: Engine) -> int:
    """`recompute_stale_forecasts` at most once an hour per process: the jobs loop runs every few seconds, and
    looking for stale forecasts (and fitting them) is not worth doing that often."""
    global _last_job
    now = time.monotonic()
    if _last_job is not None and now - _last_job < _JOB_EVERY_SECONDS:
        return 0
    _last_job = now
    return recompute_stale_forecasts(engine)


# ---- read models --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ForecastRow:
    sku_id: int
    sku_code: str
    sku_name: str
    warehouse_id: int
    warehouse_code: str
    method: str
    history_weeks: int
    daily_rate: Decimal
    next_weeks: list[Decimal]
    backtest_weeks: int
    mae: Decimal | None
    wape: Decimal | None
    bias: Decimal | None
    computed_at: datetime

    @property
    def next_four_weeks(self) -> Decimal:
        return sum(self.next_weeks[:4], Decimal(0))


def _rows(uow: UnitOfWork, *where: object) -> list[ForecastRow]:
    f = _forecasts
    rows = uow.conn.execute(
        select(f, _skus.c.code.label("sku_code"), _skus.c.name.label("sku_name"),
               _warehouses.c.code.label("warehouse_code"))
        .join(_skus, _skus.c.id == f.c.sku_id).join(_warehouses, _warehouses.c.id == f.c.warehouse_id)
        .where(f.c.tenant_id == uow.tenant_id, *where)
        .order_by(_skus.c.code, _warehouses.c.code))
    return [ForecastRow(r.sku_id, r.sku_code, r.sku_name, r.warehouse_id, r.warehouse_code, r.method,
                        r.history_weeks, Decimal(r.daily_rate), [Decimal(w) for w in r.weekly], r.backtest_weeks,
                        None if r.mae is None else Decimal(r.mae), None if r.wape is None else Decimal(r.wape),
                        None if r.bias is None else Decimal(r.bias), r.computed_at) for r in rows]


@requires(PURCHASING_VIEW)
def forecast_rows(uow: UnitOfWork, warehouse_id: int | None = None) -> list[ForecastRow]:
    return _rows(uow, *([_forecasts.c.warehouse_id == warehouse_id] if warehouse_id is not None else []))


def forecasts_by_pair(uow: UnitOfWork) -> dict[Pair, ForecastRow]:
    """Every stored forecast of the tenant by (SKU, warehouse): replenishment's demand, in one statement."""
    return {(r.sku_id, r.warehouse_id): r for r in _rows(uow)}


@dataclass(frozen=True)
class ForecastDetail:
    row: ForecastRow
    weeks: list[date]  # history weeks, then the weeks ahead
    actual: list[int | None]
    fitted: list[float | None]
    ahead: list[float | None]


@requires(PURCHASING_VIEW)
def forecast_detail(uow: UnitOfWork, sku_id: int, warehouse_id: int) -> ForecastDetail:
    """One pair's stored forecast with its history and the method's fit, for the chart (refitted on the fly)."""
    found = _rows(uow, _forecasts.c.sku_id == sku_id, _forecasts.c.warehouse_id == warehouse_id)
    if not found:
        raise NotFound("no forecast for this SKU and warehouse; recompute the forecasts first")
    row = found[0]
    last = fd.week_start(found[0].computed_at.date()) - timedelta(days=7)
    first = last - timedelta(weeks=HISTORY_WEEKS - 1)
    days = _shipped_by_day(uow, first, last, (sku_id, warehouse_id)).get((sku_id, warehouse_id), {})
    start, history = _series(days, first, last) if days else (last, [])
    made = fd.forecast_demand(history) if history else None
    weeks = [start + timedelta(weeks=i) for i in range(len(history) + fd.HORIZON_WEEKS)]
    ahead_values = list(made.weekly) if made else [float(w) for w in row.next_weeks]
    return ForecastDetail(row, weeks, [*history, *([None] * fd.HORIZON_WEEKS)],
                          [*(made.fitted if made else []), *([None] * fd.HORIZON_WEEKS)],
                          [*([None] * len(history)), *ahead_values])

"""What the anomaly detectors look at, read from the ledger and the orders (read-only): stock movements of the kinds
that can go wrong by hand, orders placed and cancelled per day, and the gross margin per channel and day."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, select, union
from sqlalchemy.orm import aliased

from stockyard.analytics.anomaly_domain import DayMargin, DayOrders, MoveFact
from stockyard.catalog.models import Sku
from stockyard.core.uow import UnitOfWork
from stockyard.inventory.models import Location, StockMove, Warehouse
from stockyard.sales.models import Channel, Order, OrderLine

WATCHED_MOVES = ("write_off", "count_adjustment", "move", "transfer_dispatch")
_MOVES = StockMove.__table__
_ORDERS = Order.__table__
_LINES = OrderLine.__table__


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def moves(uow: UnitOfWork, since: datetime, until: datetime, skus: list[int] | None = None) -> list[MoveFact]:
    """Watched movements from `since` (included) to `until` (excluded), with the warehouse they left or reached."""
    src, dst = aliased(Location.__table__), aliased(Location.__table__)
    wh, sku = Warehouse.__table__, Sku.__table__
    tenant = uow.tenant_id
    stmt = (select(_MOVES.c.id, _MOVES.c.sku_id, sku.c.code, wh.c.code.label("warehouse"), _MOVES.c.reason,
                   _MOVES.c.quantity, _MOVES.c.created_at)
            .join(sku, sku.c.id == _MOVES.c.sku_id)
            .join(src, src.c.id == _MOVES.c.from_location_id)
            .join(dst, dst.c.id == _MOVES.c.to_location_id)
            .join(wh, wh.c.id == func.coalesce(src.c.warehouse_id, dst.c.warehouse_id))
            .where(_MOVES.c.tenant_id == tenant, sku.c.tenant_id == tenant, _MOVES.c.reason.in_(WATCHED_MOVES),
                   _MOVES.c.created_at >= since, _MOVES.c.created_at < until))
    if skus is not None:
        stmt = stmt.where(_MOVES.c.sku_id.in_(sorted(set(skus))))
    rows = uow.conn.execute(stmt.order_by(_MOVES.c.id)).all()
    return [MoveFact(r.id, r.code, r.warehouse, r.reason, r.quantity, r.created_at) for r in rows]


def sku_ids(uow: UnitOfWork, codes: set[str]) -> list[int]:
    sku = Sku.__table__
    return list(uow.conn.execute(select(sku.c.id).where(sku.c.tenant_id == uow.tenant_id,
                                                        sku.c.code.in_(sorted(codes)))).scalars())


def _day(value: Any) -> date:
    """func.date() gives a date on PostgreSQL and text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def orders_per_day(uow: UnitOfWork, first: date, last: date) -> list[DayOrders]:
    """Orders placed per day from `first` to `last` (included), and how many of them are cancelled."""
    day = func.date(_ORDERS.c.placed_at)
    cancelled = func.sum(case((_ORDERS.c.status == "cancelled", 1), else_=0))
    rows = uow.conn.execute(
        select(day.label("day"), func.count().label("placed"), cancelled.label("cancelled"))
        .where(_ORDERS.c.tenant_id == uow.tenant_id, _ORDERS.c.placed_at >= _start(first),
               _ORDERS.c.placed_at < _start(last + timedelta(days=1)))
        .group_by(day)).all()
    return sorted((DayOrders(_day(r.day), int(r.placed), int(r.cancelled or 0)) for r in rows), key=lambda d: d.day)


def _average_costs(uow: UnitOfWork, sku_list: set[int]) -> dict[int, Decimal]:
    """Weighted average receipt cost per SKU (as the journal values goods without a cost of their own)."""
    if not sku_list:
        return {}
    rows = uow.conn.execute(
        select(_MOVES.c.sku_id, func.sum(_MOVES.c.quantity * _MOVES.c.unit_cost), func.sum(_MOVES.c.quantity))
        .where(_MOVES.c.tenant_id == uow.tenant_id, _MOVES.c.sku_id.in_(sorted(sku_list)),
               _MOVES.c.reason == "receipt", _MOVES.c.unit_cost.is_not(None))
        .group_by(_MOVES.c.sku_id)).all()
    return {sku_id: Decimal(value) / qty for sku_id, value, qty in rows if qty}


def margins_per_day(uow: UnitOfWork, first: date, last: date) -> list[DayMargin]:
    """Per channel and day (orders placed from `first` to `last`, cancelled ones left out): revenue net of tax and
    the goods' cost at their average receipt cost. Lines of SKUs with no known cost are left out of both."""
    channel = Channel.__table__
    rows = uow.conn.execute(
        select(_ORDERS.c.channel_id, channel.c.name, _ORDERS.c.placed_at, _ORDERS.c.prices_include_tax,
               _LINES.c.sku_id, _LINES.c.quantity, _LINES.c.line_total, _LINES.c.tax_rate)
        .join(_LINES, and_(_LINES.c.order_id == _ORDERS.c.id, _LINES.c.tenant_id == _ORDERS.c.tenant_id))
        .join(channel, channel.c.id == _ORDERS.c.channel_id)
        .where(_ORDERS.c.tenant_id == uow.tenant_id, _ORDERS.c.status != "cancelled",
               _ORDERS.c.placed_at >= _start(first), _ORDERS.c.placed_at < _start(last + timedelta(days=1)))).all()
    costs = _average_costs(uow, {r.sku_id for r in rows})
    sums: dict[tuple[int, str, date], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for r in rows:
        if r.sku_id not in costs:
            continue
        total = Decimal(r.line_total)
        net = total / (1 + Decimal(r.tax_rate)) if r.prices_include_tax else total
        pair = sums[(r.channel_id, r.name, r.placed_at.date())]
        pair[0] += net
        pair[1] += costs[r.sku_id] * r.quantity
    return [DayMargin(f"channel:{channel_id}", f"channel {name}", day, revenue.quantize(Decimal("0.01")),
                      cost.quantize(Decimal("0.01")))
            for (channel_id, name, day), (revenue, cost) in sorted(sums.items(), key=lambda kv: (kv[0][2], kv[0][0]))]


def active_tenants(since: datetime) -> Select[Any]:
    """The tenants with a watched stock movement or an order since `since`: the only ones a scan can find anything
    new in (all tenants; for the background job)."""
    return union(
        select(_MOVES.c.tenant_id).where(_MOVES.c.created_at >= since, _MOVES.c.reason.in_(WATCHED_MOVES)),
        select(_ORDERS.c.tenant_id).where(_ORDERS.c.placed_at >= since)).subquery().select()

"""Pick waves: release allocated orders of one warehouse to the floor in batches.

    create_pick_wave(uow, CreateWave(warehouse_id, cutoff=None, priority=None, max_orders=50)) -> wave id
    wave_groups(uow, warehouse_id) -> [WaveGroup]       what is waiting, by carrier cut-off and priority

An order is waiting in a warehouse when it is allocated, partially allocated, already picking (a short pick
re-allocated part of it elsewhere) or partially shipped (its other warehouse shipped first) and has allocations there
that no pick list covers yet. Orders are grouped by the
cut-off time of their shipping method (the carrier's collection time, "" when none) and by priority (the method's
transit days: an overnight method is more urgent than a three-day one). A wave takes the orders of one group (or,
without a group named, the most urgent first: earliest cut-off, then priority, then the oldest order) up to
`max_orders`; each order gets its own pick list, whose lines are the held levels of its allocations' reservations,
in walking order of the location tree (walking_order.py). The order moves to `picking`.

Picked units stay reserved in their bins until the shipment consumes the reservation (see picking.py), so creating a
wave changes no stock.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select, update

from stockyard.core.errors import Conflict
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.execution_models import PickLine, PickList, PickWave
from stockyard.fulfilment.models import ShippingMethod
from stockyard.fulfilment.walking_order import walking_order
from stockyard.identity.domain import FULFILMENT_PICK
from stockyard.inventory.models import Location, ReservationLine, StockLevel
from stockyard.inventory.refs import resolve_warehouse
from stockyard.sales import orders as sales_orders
from stockyard.sales.models import Order, OrderAllocation

WAITING_STATUSES = ("allocated", "partially_allocated", "picking", "partially_shipped")
NO_PRIORITY = 99


class CreateWave(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    warehouse_id: int | str
    cutoff: str | None = Field(default=None, pattern=r"^$|^([01][0-9]|2[0-3]):[0-5][0-9]$",
                               description="only orders whose method has this cut-off (HH:MM; '' no cut-off)")
    priority: int | None = Field(default=None, ge=0, le=365, description="only orders of this priority")
    max_orders: int = Field(default=50, gt=0, le=500)


@dataclass(frozen=True)
class WaitingOrder:
    order_id: int
    number: str
    cutoff: str
    priority: int
    placed_at: datetime


@dataclass(frozen=True)
class WaveGroup:
    cutoff: str
    priority: int
    orders: int


# ---- pure rules -----------------------------------------------------------------------------------------------

def _urgency(order: WaitingOrder) -> tuple[int, str, int, datetime, int]:
    # an order without a cut-off comes after every order with one
    return (0 if order.cutoff else 1, order.cutoff, order.priority, order.placed_at, order.order_id)


def group_waiting(orders: Sequence[WaitingOrder]) -> list[WaveGroup]:
    """The (cut-off, priority) groups of the waiting orders, most urgent first."""
    counts: dict[tuple[str, int], int] = {}
    for order in orders:
        counts[(order.cutoff, order.priority)] = counts.get((order.cutoff, order.priority), 0) + 1
    keys = sorted(counts, key=lambda k: (0 if k[0] else 1, k[0], k[1]))
    return [WaveGroup(cutoff, priority, counts[(cutoff, priority)]) for cutoff, priority in keys]


def choose_wave(orders: Sequence[WaitingOrder], cutoff: str | None, priority: int | None,
                max_orders: int) -> list[WaitingOrder]:
    """The orders of one wave: those of the named group, or of the most urgent group, oldest first."""
    if not orders:
        return []
    if cutoff is None and priority is None:
        first = group_waiting(orders)[0]
        cutoff, priority = first.cutoff, first.priority
    chosen = [o for o in orders if (cutoff is None or o.cutoff == cutoff)
              and (priority is None or o.priority == priority)]
    return sorted(chosen, key=_urgency)[:max_orders]


# ---- queries and the service -------------------------------------------------------------------------------------

_o, _a, _m = Order.__table__, OrderAllocation.__table__, ShippingMethod.__table__
_pl, _pk = PickLine.__table__, PickList.__table__


def _covered() -> Any:
    return select(_pl.c.allocation_id).where(_pl.c.tenant_id == _a.c.tenant_id, _pl.c.allocation_id.is_not(None),
                                            _pl.c.state != "replaced")


def waiting_orders(uow: UnitOfWork, warehouse_id: int) -> list[WaitingOrder]:
    rows = uow.conn.execute(
        select(_o.c.id, _o.c.number, _o.c.placed_at, _m.c.cutoff_time, _m.c.transit_days).distinct()
        .select_from(_o.join(_a, _a.c.order_id == _o.c.id).outerjoin(_m, _m.c.id == _o.c.shipping_method_id))
        .where(_o.c.tenant_id == uow.tenant_id, _o.c.status.in_(WAITING_STATUSES), _a.c.warehouse_id == warehouse_id,
               _a.c.state == "allocated", _a.c.id.not_in(_covered())))
    return [WaitingOrder(r.id, r.number, r.cutoff_time or "",
                         r.transit_days if r.transit_days is not None else NO_PRIORITY, r.placed_at) for r in rows]


def wave_groups(uow: UnitOfWork, warehouse_id: int) -> list[WaveGroup]:
    uow.require(FULFILMENT_PICK)
    return group_waiting(waiting_orders(uow, warehouse_id))


def create_pick_wave(uow: UnitOfWork, cmd: CreateWave) -> int:
    """One wave with a pick list per order (lines in walking order); the orders move to picking. Returns its id."""
    actor = uow.require(FULFILMENT_PICK)
    warehouse_id = resolve_warehouse(uow, cmd.warehouse_id, "warehouse_id")
    chosen = choose_wave(waiting_orders(uow, warehouse_id), cmd.cutoff, cmd.priority, cmd.max_orders)
    if not chosen:
        raise Conflict("no allocated orders wait for picking in this warehouse" +
                       (" with that cut-off and priority" if cmd.cutoff is not None or cmd.priority is not None
                        else ""), field="warehouse_id")
    first = chosen[0]
    wave_id = uow.conn.execute(insert(PickWave.__table__).values(
        tenant_id=uow.tenant_id, warehouse_id=warehouse_id, cutoff=first.cutoff if cmd.cutoff is None else cmd.cutoff,
        priority=first.priority if cmd.priority is None else cmd.priority, state="open",
        created_by_name=actor.name).returning(PickWave.__table__.c.id)).scalar_one()
    list_ids = []
    for order in chosen:
        list_id = uow.conn.execute(insert(_pk).values(
            tenant_id=uow.tenant_id, wave_id=wave_id, warehouse_id=warehouse_id, kind="order",
            order_id=order.order_id, state="open").returning(_pk.c.id)).scalar_one()
        add_order_lines(uow, list_id, order.order_id, warehouse_id)
        sales_orders.start_picking(uow, order.order_id, f"pick wave {wave_id}")
        list_ids.append(list_id)
    add_event(uow, "fulfilment.wave_created.v1", {"wave_id": wave_id, "warehouse_id": warehouse_id,
                                                  "order_ids": [o.order_id for o in chosen],
                                                  "pick_list_ids": list_ids})
    return int(wave_id)


@dataclass(frozen=True)
class HeldUnits:
    allocation_id: int
    order_line_id: int
    reservation_id: int
    sku_id: int
    location_id: int
    path: str
    lot: str
    quantity: int


def held_units(uow: UnitOfWork, order_id: int, warehouse_id: int,
               allocation_ids: Sequence[int] | None = None) -> list[HeldUnits]:
    """The bins holding the order's open allocations in the warehouse (one row per reservation line), uncovered by
    any pick list unless `allocation_ids` names them."""
    rl, lv, loc = ReservationLine.__table__, StockLevel.__table__, Location.__table__
    stmt = (select(_a.c.id, _a.c.order_line_id, _a.c.reservation_id, lv.c.sku_id, lv.c.location_id, loc.c.path,
                   lv.c.lot, rl.c.quantity)
            .join(rl, rl.c.reservation_id == _a.c.reservation_id).join(lv, lv.c.id == rl.c.level_id)
            .join(loc, loc.c.id == lv.c.location_id)
            .where(_a.c.tenant_id == uow.tenant_id, _a.c.order_id == order_id, _a.c.warehouse_id == warehouse_id,
                   _a.c.state == "allocated").order_by(_a.c.id, rl.c.id))
    if allocation_ids is None:
        stmt = stmt.where(_a.c.id.not_in(_covered()))
    else:
        stmt = stmt.where(_a.c.id.in_(list(allocation_ids)))
    return [HeldUnits(*r) for r in uow.conn.execute(stmt)]


def add_order_lines(uow: UnitOfWork, list_id: int, order_id: int, warehouse_id: int,
                    allocation_ids: Sequence[int] | None = None,
                    already_picked: dict[tuple[int, int, str], int] | None = None) -> list[int]:
    """Pick lines for the order's held units, then every open line of the list renumbered in walking order.
    `already_picked` ((sku, location, lot) → units the picker holds) is counted into the new lines and used up.
    Returns the new line ids."""
    held = held_units(uow, order_id, warehouse_id, allocation_ids)
    carry = already_picked if already_picked is not None else {}
    ids = []
    for h in held:
        key = (h.sku_id, h.location_id, h.lot)
        picked = min(carry.get(key, 0), h.quantity)
        if picked:
            carry[key] -= picked
        ids.append(uow.conn.execute(insert(_pl).values(
            tenant_id=uow.tenant_id, pick_list_id=list_id, sku_id=h.sku_id, location_id=h.location_id, lot=h.lot,
            quantity=h.quantity, picked=picked, state="picked" if picked == h.quantity else "open",
            order_line_id=h.order_line_id, allocation_id=h.allocation_id, reservation_id=h.reservation_id,
            picked_by_name="")
            .returning(_pl.c.id)).scalar_one())
    renumber(uow, list_id)
    return ids


def renumber(uow: UnitOfWork, list_id: int) -> None:
    """Positions of the list's lines in walking order (done lines keep their place among them)."""
    loc = Location.__table__
    rows = list(uow.conn.execute(select(_pl.c.id, _pl.c.position, loc.c.path).join(loc, loc.c.id == _pl.c.location_id)
                                 .where(_pl.c.pick_list_id == list_id).order_by(_pl.c.id)))
    for position, row in enumerate(walking_order(rows, lambda r: r.path), start=1):
        if row.position != position:
            uow.conn.execute(update(_pl).where(_pl.c.id == row.id).values(position=position))

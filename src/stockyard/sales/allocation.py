"""Allocation: an order's units are held in warehouses chosen by the channel's strategy (sales/domain.py).

Holds the order already has (the cart's) are adopted when they sit where the plan wants them; otherwise they
are released and the plan's warehouses are reserved instead, in the same transaction — the released rows stay
locked by us until commit, so nobody can take the units in between. Units no warehouse can serve are backordered
and allocated later by `allocate_backorders` when stock arrives.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, bindparam, func, insert, select, update

from stockyard.catalog.models import Sku
from stockyard.core.errors import Conflict
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.domain import Address, ZoneRule, parse_patterns, zone_for
from stockyard.fulfilment.models import ShippingZone
from stockyard.fulfilment.quotes import origin_rates
from stockyard.fulfilment.rating import Item, parcel_of
from stockyard.inventory.domain import Status as StockStatus
from stockyard.inventory.models import Reservation, ReservationLine, StockLevel, Warehouse
from stockyard.inventory.reservations import ReserveStock, release_reservation, reserve_stock
from stockyard.purchasing.queries import earliest_inbound
from stockyard.sales.domain import (
    STRATEGY_NAMES,
    AllocationPlan,
    Need,
    ShippingRates,
    WarehouseOption,
    plan_allocation,
    status_after_allocation,
)
from stockyard.sales.models import Order, OrderAllocation, OrderLine

_levels = StockLevel.__table__
_warehouses = Warehouse.__table__
_res = Reservation.__table__
_res_lines = ReservationLine.__table__
_alloc = OrderAllocation.__table__
_order_lines = OrderLine.__table__
_orders = Order.__table__
_skus = Sku.__table__

_FREE_BY_WAREHOUSE = (
    select(_levels.c.sku_id, _levels.c.warehouse_id, func.sum(_levels.c.on_hand - _levels.c.reserved).label("free"))
    .join(_warehouses, _warehouses.c.id == _levels.c.warehouse_id)
    .where(_levels.c.tenant_id == bindparam("tenant_id"), _levels.c.status == StockStatus.SELLABLE.value,
           _warehouses.c.active.is_(True), _levels.c.sku_id.in_(bindparam("sku_ids", expanding=True)))
    .group_by(_levels.c.sku_id, _levels.c.warehouse_id)
)
_HELD_BY_WAREHOUSE = (
    select(_res_lines.c.reservation_id, _levels.c.warehouse_id, func.sum(_res_lines.c.quantity).label("quantity"))
    .join(_levels, _levels.c.id == _res_lines.c.level_id)
    .where(_res_lines.c.reservation_id.in_(bindparam("ids", expanding=True)))
    .group_by(_res_lines.c.reservation_id, _levels.c.warehouse_id)
)
_LINE_PROGRESS = (
    update(_order_lines).where(_order_lines.c.id == bindparam("b_id"))
    .values(allocated=_order_lines.c.allocated + bindparam("b_allocated"), backordered=bindparam("b_backordered"),
            backorder_expected_on=bindparam("b_expected", type_=Date))
)
_WAREHOUSES = select(_warehouses.c.id, _warehouses.c.code, _warehouses.c.priority, _warehouses.c.country,
                     _warehouses.c.postcode).where(_warehouses.c.tenant_id == bindparam("tenant_id"),
                                                   _warehouses.c.active.is_(True))
# What the cheapest_shipping strategy prices parcels with: each line's unit price and size, the order's method.
_PARCEL_FACTS = (
    select(_order_lines.c.id, _order_lines.c.unit_price, _skus.c.weight_g, _skus.c.length_mm, _skus.c.width_mm,
           _skus.c.height_mm, _orders.c.currency, _orders.c.shipping_method_id)
    .join(_orders, _orders.c.id == _order_lines.c.order_id).join(_skus, _skus.c.id == _order_lines.c.sku_id)
    .where(_order_lines.c.tenant_id == bindparam("tenant_id"), _order_lines.c.id.in_(bindparam("ids", expanding=True)))
)


@dataclass(frozen=True)
class LineToAllocate:
    line_id: int
    sku_id: int
    quantity: int  # units still to allocate
    hold_id: int | None = None  # an active reservation already held for this line (the cart's)


@dataclass(frozen=True)
class AllocationResult:
    status: str
    allocated: int
    short: int
    reason: str


def _distances(uow: UnitOfWork, destination: dict[str, str] | None, warehouses: list) -> dict[int, int]:
    """0: same shipping zone as the customer; 1: same country; 2: elsewhere or unknown."""
    if not destination:
        return {w.id: 2 for w in warehouses}
    zones = [ZoneRule(z.id, frozenset(c.upper() for c in z.countries), z.region,
                      tuple(parse_patterns(z.postcode_patterns)), z.position)
             for z in uow.execute(select(ShippingZone).where(ShippingZone.active.is_(True))).scalars()]
    to = Address(destination.get("country", ""), destination.get("postcode", ""), destination.get("region", ""))
    customer_zone = zone_for(to, zones)
    out = {}
    for w in warehouses:
        if not w.country:
            out[w.id] = 2
            continue
        here = zone_for(Address(w.country, w.postcode), zones)
        out[w.id] = 0 if customer_zone is not None and here == customer_zone else (
            1 if w.country.upper() == to.country.upper() else 2)
    return out


def _shipping_rates(uow: UnitOfWork, lines: list[LineToAllocate],
                    destination: dict[str, str] | None) -> ShippingRates | None:
    """Prices the parcels a plan would send, with the rate engine from each warehouse as origin: the order's
    shipping method, or the cheapest method in the order's currency when it has none. One statement (the lines'
    prices and sizes) besides the cached shipping configuration. None when nothing can be priced (no address,
    an address in no zone, no method): the strategy then falls back to fewest shipments and warehouse priority."""
    if not destination:
        return None
    rows = list(uow.conn.execute(_PARCEL_FACTS, {"tenant_id": uow.tenant_id, "ids": [x.line_id for x in lines]}))
    if not rows:
        return None
    engine = origin_rates(uow, destination, rows[0].currency, rows[0].shipping_method_id)
    if engine is None:
        return None
    items = {r.id: Item(r.weight_g, r.length_mm * r.width_mm * r.height_mm, max(r.length_mm, r.width_mm, r.height_mm),
                        r.unit_price) for r in rows}

    def cost(warehouse_id: int, parcel: Mapping[int, int]) -> Decimal | None:
        return engine.cost(warehouse_id, parcel_of((items[line_id], units) for line_id, units in parcel.items()))

    return ShippingRates(cost, engine.currency, engine.method_name)


def allocate_lines(uow: UnitOfWork, order_id: int, order_number: str, lines: list[LineToAllocate], *,
                   strategy: str, allow_split: bool, destination: dict[str, str] | None,
                   ordered_total: int, allocated_before: int | None = None) -> AllocationResult:
    """Allocate `lines` of one order; returns the order's status after allocation. The caller checked the
    permission and the state transition. `allocated_before`: units of the order allocated earlier, when the caller
    knows (0 for a new order), which saves reading it back."""
    sku_ids = sorted({line.sku_id for line in lines})
    holds = [line.hold_id for line in lines if line.hold_id is not None]
    held: dict[int, dict[int, int]] = defaultdict(dict)  # reservation → warehouse → units
    if holds:
        for r in uow.conn.execute(_HELD_BY_WAREHOUSE, {"ids": holds}):
            held[r.reservation_id][r.warehouse_id] = int(r.quantity)
    whole = _one_warehouse_holds(lines, held) if strategy in ("priority", "fewest_shipments") else None
    if whole is not None:
        # The cart's holds were placed by the same preference (warehouse priority, the whole order from one
        # warehouse) and already serve the whole order from one warehouse: they are kept as they are.
        plan = AllocationPlan(takes={line.line_id: [(whole, line.quantity)] for line in lines},
                              reason=f"{STRATEGY_NAMES[strategy]}; the cart's holds in warehouse {whole} "
                                     "serve the whole order")
        return _finish(uow, order_id, order_number, lines, plan, held, ordered_total, allocated_before)
    free: dict[int, dict[int, int]] = defaultdict(dict)  # warehouse → sku → free units (our holds count as free)
    for r in uow.conn.execute(_FREE_BY_WAREHOUSE, {"tenant_id": uow.tenant_id, "sku_ids": sku_ids}):
        free[r.warehouse_id][r.sku_id] = int(r.free)
    for line in lines:
        for warehouse_id, units in held.get(line.hold_id or -1, {}).items():
            free[warehouse_id][line.sku_id] = free[warehouse_id].get(line.sku_id, 0) + units
    warehouses = list(uow.conn.execute(_WAREHOUSES, {"tenant_id": uow.tenant_id}))
    distances = _distances(uow, destination, warehouses) if strategy == "nearest" else {}
    rates = _shipping_rates(uow, lines, destination) if strategy == "cheapest_shipping" else None
    options = [WarehouseOption(w.id, w.priority, free.get(w.id, {}), distances.get(w.id, 0), label=w.code)
               for w in warehouses]
    plan = plan_allocation(strategy, [Need(line.line_id, line.sku_id, line.quantity) for line in lines], options,
                           allow_split, rates)
    return _finish(uow, order_id, order_number, lines, plan, held, ordered_total, allocated_before)


def _one_warehouse_holds(lines: list[LineToAllocate], held: dict[int, dict[int, int]]) -> int | None:
    """The one warehouse that holds every line in full, if there is one."""
    found: set[int] = set()
    for line in lines:
        hold = held.get(line.hold_id or -1, {})
        if len(hold) != 1 or sum(hold.values()) != line.quantity:
            return None
        found |= set(hold)
    return found.pop() if len(found) == 1 else None


def _finish(uow: UnitOfWork, order_id: int, order_number: str, lines: list[LineToAllocate], plan: AllocationPlan,
            held: dict[int, dict[int, int]], ordered_total: int, allocated_before: int | None) -> AllocationResult:
    rows = _apply(uow, order_id, order_number, lines, plan, held)
    allocated_now = {line.line_id: plan.allocated(line.line_id) for line in lines}
    expected = _backorder_dates(uow, order_id, lines, plan.short) if any(plan.short.values()) else {}
    uow.conn.execute(_LINE_PROGRESS, [{"b_id": line.line_id, "b_allocated": allocated_now[line.line_id],
                                       "b_backordered": plan.short.get(line.line_id, 0),
                                       "b_expected": expected.get(line.line_id)} for line in lines])
    if rows:
        uow.conn.execute(insert(_alloc), rows)
    if allocated_before is None:
        total_allocated = uow.conn.execute(select(func.coalesce(func.sum(_order_lines.c.allocated), 0)).where(
            _order_lines.c.order_id == order_id)).scalar_one()
    else:
        total_allocated = allocated_before + sum(allocated_now.values())
    status = status_after_allocation(ordered_total, int(total_allocated))
    return AllocationResult(status.value, sum(allocated_now.values()), sum(plan.short.values()), plan.reason)


def _backorder_dates(uow: UnitOfWork, order_id: int, lines: list[LineToAllocate], short: dict[int, int]
                     ) -> dict[int, date]:
    """Per backordered line, the date by which open purchase orders bring its units (after the backorders of
    earlier orders); lines no inbound covers get none."""
    needs: dict[int, int] = defaultdict(int)
    for line in lines:
        needs[line.sku_id] += short.get(line.line_id, 0)
    dates = earliest_inbound(uow, needs, behind_order=order_id)
    return {line.line_id: dates[line.sku_id] for line in lines
            if short.get(line.line_id, 0) > 0 and line.sku_id in dates}


def _apply(uow: UnitOfWork, order_id: int, number: str, lines: list[LineToAllocate], plan: AllocationPlan,
           held: dict[int, dict[int, int]]) -> list[dict]:
    rows = []
    reference = f"order:{number}"
    adopted = []
    for line in lines:
        takes = plan.takes.get(line.line_id, [])
        hold = held.get(line.hold_id or -1, {})
        if line.hold_id is not None and len(takes) == 1 and hold == {takes[0][0]: takes[0][1]}:
            adopted.append(line.hold_id)
            rows.append(_row(uow, order_id, line, takes[0][0], line.hold_id, takes[0][1], plan.reason))
            continue
        if line.hold_id is not None:
            release_reservation(uow, line.hold_id)
        for warehouse_id, quantity in takes:
            try:
                reservation_id = reserve_stock(uow, ReserveStock(sku=line.sku_id, quantity=quantity,
                                                                 warehouse=warehouse_id, reference=reference))
            except Conflict:
                # Someone took the units since we counted (only possible for stock we did not already hold).
                plan.short[line.line_id] = plan.short.get(line.line_id, 0) + quantity
                plan.takes[line.line_id] = [t for t in plan.takes[line.line_id] if t != (warehouse_id, quantity)]
                continue
            rows.append(_row(uow, order_id, line, warehouse_id, reservation_id, quantity, plan.reason))
    if adopted:  # the holds become the order's, without an expiry
        uow.conn.execute(update(_res).where(_res.c.id.in_(adopted)).values(reference=reference, reserved_until=None))
    return rows


def _row(uow: UnitOfWork, order_id: int, line: LineToAllocate, warehouse_id: int, reservation_id: int,
         quantity: int, reason: str) -> dict:
    return {"tenant_id": uow.tenant_id, "order_id": order_id, "order_line_id": line.line_id,
            "warehouse_id": warehouse_id, "reservation_id": reservation_id, "quantity": quantity,
            "state": "allocated", "reason": reason[:300]}

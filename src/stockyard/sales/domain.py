"""Pure sales rules: the order state machine (ARCHITECTURE §4), cart totals, and allocation strategies."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from stockyard.core.errors import Conflict
from stockyard.core.money import round_money

# An exchange order (returns → staff_orders.create_exchange_order) is paid by the credit of the returned goods: no
# payment is taken for it, and invoicing counts that credit as its payment.
EXCHANGE_SOURCE = "exchange"


class Status(StrEnum):
    PLACED = "placed"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    ALLOCATED = "allocated"
    PARTIALLY_ALLOCATED = "partially_allocated"
    BACKORDERED = "backordered"
    PICKING = "picking"
    PACKED = "packed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    INVOICED = "invoiced"
    CLOSED = "closed"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


S = Status
_FULFILMENT = frozenset({S.ALLOCATED, S.PARTIALLY_ALLOCATED, S.BACKORDERED})

# action → (states it may start from, the state it leads to; None where the service computes it)
TRANSITIONS: dict[str, tuple[frozenset[Status], Status | None]] = {
    "await_payment": (frozenset({S.PLACED}), S.AWAITING_PAYMENT),
    "pay": (frozenset({S.PLACED, S.AWAITING_PAYMENT}), S.PAID),
    # allocation ends in allocated / partially_allocated / backordered, by what the warehouses could serve
    "allocate": (frozenset({S.PAID, S.PLACED}) | _FULFILMENT, None),
    "start_picking": (frozenset({S.ALLOCATED, S.PARTIALLY_ALLOCATED}), S.PICKING),
    "pack": (frozenset({S.PICKING}), S.PACKED),
    "ship": (frozenset({S.ALLOCATED, S.PARTIALLY_ALLOCATED, S.PICKING, S.PACKED, S.PARTIALLY_SHIPPED}), None),
    "deliver": (frozenset({S.SHIPPED}), S.DELIVERED),
    "invoice": (frozenset({S.DELIVERED, S.SHIPPED}), S.INVOICED),
    "close": (frozenset({S.INVOICED}), S.CLOSED),
    "hold": (frozenset({S.PLACED, S.AWAITING_PAYMENT, S.PAID}) | _FULFILMENT | {S.PICKING, S.PACKED}, S.ON_HOLD),
    "cancel": (frozenset({S.PLACED, S.AWAITING_PAYMENT, S.PAID, S.ON_HOLD, S.PICKING}) | _FULFILMENT, S.CANCELLED),
    "edit_lines": (frozenset({S.PLACED, S.AWAITING_PAYMENT, S.PAID}) | _FULFILMENT, None),
    "reallocate": (_FULFILMENT, None),
}


def check_transition(action: str, current: str) -> Status | None:
    """The target state of `action` from `current`; a Conflict naming the allowed states otherwise."""
    allowed, target = TRANSITIONS[action]
    if Status(current) not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise Conflict(f"cannot {action.replace('_', ' ')} an order that is {current} (allowed from: {names})",
                       field="status")
    return target


def status_after_allocation(ordered: int, allocated: int) -> Status:
    if allocated >= ordered:
        return S.ALLOCATED
    return S.PARTIALLY_ALLOCATED if allocated > 0 else S.BACKORDERED


def status_after_shipment(ordered: int, shipped: int) -> Status:
    return S.SHIPPED if shipped >= ordered else S.PARTIALLY_SHIPPED


@dataclass(frozen=True)
class PricedLine:
    sku_id: int
    quantity: int
    unit_price: Decimal

    @property
    def total(self) -> Decimal:
        return round_money(self.unit_price * self.quantity)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    grand_total: Decimal


def order_totals(lines: Sequence[PricedLine], shipping: Decimal, tax_rate: Decimal, prices_include_tax: bool) -> Totals:
    """Line totals rounded half-even at line level; tax is the share included in (or added to) the goods and
    shipping at the channel's rate."""
    subtotal = sum((line.total for line in lines), Decimal(0))
    taxable = subtotal + shipping
    if prices_include_tax:
        tax = round_money(taxable - taxable / (1 + tax_rate)) if tax_rate else Decimal("0.00")
        grand = taxable
    else:
        tax = round_money(taxable * tax_rate)
        grand = taxable + tax
    return Totals(round_money(subtotal), round_money(shipping), tax, round_money(grand))


# ---- allocation strategies -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WarehouseOption:
    warehouse_id: int
    priority: int
    # free units per SKU in this warehouse (besides what this order already holds there)
    free: Mapping[int, int]
    distance: int = 0  # smaller is nearer to the customer's zone (0 = same zone)
    shipping_cost: Decimal = Decimal(0)


@dataclass(frozen=True)
class Need:
    line_id: int
    sku_id: int
    quantity: int


@dataclass
class AllocationPlan:
    # line id → [(warehouse id, quantity)]
    takes: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    short: dict[int, int] = field(default_factory=dict)
    reason: str = ""

    def allocated(self, line_id: int) -> int:
        return sum(q for _, q in self.takes.get(line_id, []))


def _order_warehouses(strategy: str, options: Sequence[WarehouseOption],
                      needs: Sequence[Need]) -> list[WarehouseOption]:
    def covered(option: WarehouseOption) -> int:
        return sum(min(option.free.get(n.sku_id, 0), n.quantity) for n in needs)

    if strategy == "nearest":
        return sorted(options, key=lambda o: (o.distance, o.priority, o.warehouse_id))
    if strategy == "cheapest_shipping":
        return sorted(options, key=lambda o: (o.shipping_cost, o.priority, o.warehouse_id))
    if strategy == "fewest_shipments":
        return sorted(options, key=lambda o: (-covered(o), o.priority, o.warehouse_id))
    return sorted(options, key=lambda o: (o.priority, o.warehouse_id))


STRATEGY_NAMES = {
    "priority": "warehouse priority",
    "nearest": "nearest to the customer",
    "cheapest_shipping": "cheapest shipping",
    "fewest_shipments": "fewest shipments",
}


def plan_allocation(strategy: str, needs: Sequence[Need], options: Sequence[WarehouseOption],
                    allow_split: bool) -> AllocationPlan:
    """Choose warehouses for every line. A warehouse that can serve the whole order wins outright (one shipment);
    otherwise lines are served warehouse by warehouse in the strategy's order, splitting a line only when allowed.
    What no warehouse can serve is short (a backorder)."""
    ordered = _order_warehouses(strategy, options, needs)
    plan = AllocationPlan(reason=STRATEGY_NAMES.get(strategy, strategy))
    whole = next((o for o in ordered if all(o.free.get(n.sku_id, 0) >= n.quantity for n in needs)), None)
    if whole is not None:
        plan.takes = {n.line_id: [(whole.warehouse_id, n.quantity)] for n in needs}
        plan.reason += f"; warehouse {whole.warehouse_id} serves the whole order"
        return plan
    free = {o.warehouse_id: dict(o.free) for o in ordered}
    chosen: list[int] = []
    for need in needs:
        left = need.quantity
        if not allow_split:
            home = chosen[0] if chosen else None
            candidates = [o for o in ordered if o.warehouse_id == home] if home is not None else ordered
            for option in candidates:
                if free[option.warehouse_id].get(need.sku_id, 0) >= left:
                    plan.takes[need.line_id] = [(option.warehouse_id, left)]
                    free[option.warehouse_id][need.sku_id] -= left
                    if option.warehouse_id not in chosen:
                        chosen.append(option.warehouse_id)
                    left = 0
                    break
        else:
            for option in ordered:
                have = free[option.warehouse_id].get(need.sku_id, 0)
                if have <= 0:
                    continue
                take = min(have, left)
                plan.takes.setdefault(need.line_id, []).append((option.warehouse_id, take))
                free[option.warehouse_id][need.sku_id] = have - take
                left -= take
                if left == 0:
                    break
        if left:
            plan.short[need.line_id] = left
    if not allow_split:
        plan.reason += "; split shipments not allowed"
    return plan

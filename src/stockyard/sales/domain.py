"""Pure sales rules: the order state machine (ARCHITECTURE §4), cart totals, and allocation strategies."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from itertools import permutations

from stockyard.billing.tax_domain import LineRate, TaxLine, fallback_rate, summed, tax_breakdown
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
    # partially shipped: the rest, allocated in another warehouse, is picked there after the first parcel left
    "start_picking": (frozenset({S.ALLOCATED, S.PARTIALLY_ALLOCATED, S.PARTIALLY_SHIPPED}), S.PICKING),
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
    # The line's own tax rate (by destination and product tax class, billing/tax_domain.py); None: the channel's.
    tax: LineRate | None = None

    @property
    def total(self) -> Decimal:
        return round_money(self.unit_price * self.quantity)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    grand_total: Decimal
    # One line per rate: name, rate, taxable base, tax (they add up to `tax`).
    tax_lines: tuple[TaxLine, ...] = ()


def order_totals(lines: Sequence[PricedLine], shipping: Decimal, tax_rate: Decimal, prices_include_tax: bool) -> Totals:
    """Line totals rounded half-even at line level; tax per line at the line's own rate (the channel's `tax_rate`
    where a line has none), shipping taxed like the goods it carries: the rules are in billing/tax_domain.py."""
    fallback = fallback_rate(Decimal(tax_rate))
    subtotal = sum((line.total for line in lines), Decimal(0))
    breakdown = tuple(tax_breakdown([(line.tax or fallback, line.total) for line in lines], shipping,
                                    prices_include_tax, fallback))
    tax = summed(breakdown)
    grand = subtotal + shipping + (Decimal(0) if prices_include_tax else tax)
    return Totals(round_money(subtotal), round_money(shipping), tax, round_money(grand), breakdown)


# ---- allocation strategies -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WarehouseOption:
    warehouse_id: int
    priority: int
    # free units per SKU in this warehouse (besides what this order already holds there)
    free: Mapping[int, int]
    distance: int = 0  # smaller is nearer to the customer's zone (0 = same zone)
    # A flat price of one shipment from here, used by cheapest_shipping when no ShippingRates prices the parcels;
    # None: unknown.
    shipping_cost: Decimal | None = None
    label: str = ""  # how reasons name the warehouse (its code)

    @property
    def name(self) -> str:
        return self.label or f"warehouse {self.warehouse_id}"


@dataclass(frozen=True)
class Need:
    line_id: int
    sku_id: int
    quantity: int


@dataclass(frozen=True)
class ShippingRates:
    """Prices shipments for the cheapest_shipping strategy: `cost(warehouse id, {line id: units})` is what that
    parcel costs from that warehouse, None when no rate covers it."""

    cost: Callable[[int, Mapping[int, int]], Decimal | None]
    currency: str = ""
    method: str = ""  # the shipping method the costs are for, as reasons name it


@dataclass
class AllocationPlan:
    # line id → [(warehouse id, quantity)]
    takes: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    short: dict[int, int] = field(default_factory=dict)
    reason: str = ""

    def allocated(self, line_id: int) -> int:
        return sum(q for _, q in self.takes.get(line_id, []))

    def shipments(self) -> dict[int, dict[int, int]]:
        """Warehouse id → {line id: units}: one parcel per warehouse."""
        out: dict[int, dict[int, int]] = {}
        for line_id, takes in self.takes.items():
            for warehouse_id, quantity in takes:
                parcel = out.setdefault(warehouse_id, {})
                parcel[line_id] = parcel.get(line_id, 0) + quantity
        return out


def _order_warehouses(strategy: str, options: Sequence[WarehouseOption],
                      needs: Sequence[Need]) -> list[WarehouseOption]:
    def covered(option: WarehouseOption) -> int:
        return sum(min(option.free.get(n.sku_id, 0), n.quantity) for n in needs)

    if strategy == "nearest":
        return sorted(options, key=lambda o: (o.distance, o.priority, o.warehouse_id))
    if strategy == "fewest_shipments":
        return sorted(options, key=lambda o: (-covered(o), o.priority, o.warehouse_id))
    return sorted(options, key=lambda o: (o.priority, o.warehouse_id))


STRATEGY_NAMES = {
    "priority": "warehouse priority",
    "nearest": "nearest to the customer",
    "cheapest_shipping": "cheapest shipping",
    "fewest_shipments": "fewest shipments",
}
# cheapest_shipping tries every order of up to this many warehouses holding stock (5! = 120 fills at most)
EXHAUSTIVE_WAREHOUSES = 5


def plan_allocation(strategy: str, needs: Sequence[Need], options: Sequence[WarehouseOption],
                    allow_split: bool, rates: ShippingRates | None = None) -> AllocationPlan:
    """Choose warehouses for every line. A warehouse that can serve the whole order wins outright (one shipment);
    otherwise lines are served warehouse by warehouse in the strategy's order, splitting a line only when allowed.
    What no warehouse can serve is short (a backorder). cheapest_shipping compares whole plans instead (see
    `_cheapest_plan`), priced by `rates` or, without them, by each warehouse's flat `shipping_cost`."""
    if strategy == "cheapest_shipping":
        return _cheapest_plan(needs, options, allow_split, rates or _flat_rates(options))
    ordered = _order_warehouses(strategy, options, needs)
    whole = next((o for o in ordered if all(o.free.get(n.sku_id, 0) >= n.quantity for n in needs)), None)
    if whole is not None:
        return AllocationPlan(takes={n.line_id: [(whole.warehouse_id, n.quantity)] for n in needs},
                              reason=f"{STRATEGY_NAMES.get(strategy, strategy)}; warehouse {whole.warehouse_id} "
                                     "serves the whole order")
    plan = _fill(ordered, needs, allow_split)
    plan.reason = STRATEGY_NAMES.get(strategy, strategy) + ("" if allow_split else "; split shipments not allowed")
    return plan


def _fill(ordered: Sequence[WarehouseOption], needs: Sequence[Need], allow_split: bool) -> AllocationPlan:
    """Serve the lines from the warehouses in this order: without splitting, the whole order from the first
    warehouse that can serve the first servable line in full (what it lacks is short)."""
    plan = AllocationPlan()
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
    return plan


def _flat_rates(options: Sequence[WarehouseOption]) -> ShippingRates:
    flat = {o.warehouse_id: o.shipping_cost for o in options}
    return ShippingRates(lambda warehouse_id, _parcel: flat.get(warehouse_id))


@dataclass(frozen=True)
class _Candidate:
    plan: AllocationPlan
    cost: Decimal | None  # None: some parcel of the plan has no rate
    index: int  # the candidates' order of discovery: warehouse priority first

    @property
    def rank(self) -> tuple[int, bool, Decimal, int, int]:
        return (sum(self.plan.short.values()), self.cost is None, self.cost or Decimal(0),
                len(self.plan.shipments()), self.index)


def _cheapest_plan(needs: Sequence[Need], options: Sequence[WarehouseOption], allow_split: bool,
                   rates: ShippingRates) -> AllocationPlan:
    """The plan with the lowest total shipping cost (a split plan costs the sum of its parcels) among those that
    serve the most units; ties go to fewer shipments, then to warehouse priority. A plan with a parcel no rate
    covers comes after every priced plan. Candidates are the fills of every order of the warehouses holding stock
    (beyond EXHAUSTIVE_WAREHOUSES: each warehouse first, the others by the cost of the whole order from them)."""
    by_priority = sorted(options, key=lambda o: (o.priority, o.warehouse_id))
    names = {o.warehouse_id: o.name for o in by_priority}
    rank_of = {o.warehouse_id: index for index, o in enumerate(by_priority)}
    useful = [o for o in by_priority if any(o.free.get(n.sku_id, 0) > 0 for n in needs)]
    prices: dict[tuple[int, frozenset[tuple[int, int]]], Decimal | None] = {}

    def parcel_cost(warehouse_id: int, parcel: Mapping[int, int]) -> Decimal | None:
        key = (warehouse_id, frozenset(parcel.items()))
        if key not in prices:
            prices[key] = rates.cost(warehouse_id, parcel)
        return prices[key]

    def plan_cost(plan: AllocationPlan) -> Decimal | None:
        total = Decimal(0)
        for warehouse_id, parcel in plan.shipments().items():
            cost = parcel_cost(warehouse_id, parcel)
            if cost is None:
                return None
            total += cost
        return total

    orderings: Iterable[Sequence[WarehouseOption]]
    if len(useful) <= EXHAUSTIVE_WAREHOUSES:
        orderings = permutations(useful)
    else:
        whole = {n.line_id: n.quantity for n in needs}
        costs = {o.warehouse_id: parcel_cost(o.warehouse_id, whole) for o in useful}
        by_cost = sorted(useful, key=lambda o: (costs[o.warehouse_id] is None, costs[o.warehouse_id] or 0,
                                                o.priority, o.warehouse_id))
        orderings = [[first, *(o for o in by_cost if o is not first)] for first in by_cost]
    found: dict[frozenset[tuple[int, int, int]], _Candidate] = {}
    for ordering in orderings:
        plan = _fill(ordering, needs, allow_split)
        key = frozenset((line_id, w, q) for line_id, takes in plan.takes.items() for w, q in takes)
        if key not in found:
            found[key] = _Candidate(plan, plan_cost(plan), len(found))
    if not found:  # no warehouse holds any of it
        plan = _fill([], needs, allow_split)
        plan.reason = "cheapest shipping; no warehouse has the stock"
        return plan
    ranked = sorted(found.values(), key=lambda c: c.rank)
    best = ranked[0]

    def where(plan: AllocationPlan) -> str:
        return " + ".join(names[w] for w in sorted(plan.shipments(), key=rank_of.__getitem__))

    def price(candidate: _Candidate) -> str:
        if candidate.cost is None:
            return f"{where(candidate.plan)} no rate"
        return f"{where(candidate.plan)} {candidate.cost:.2f}" + (f" {rates.currency}" if rates.currency else "")

    short = sum(best.plan.short.values())
    others = [c for c in ranked[1:] if sum(c.plan.short.values()) == short][:3]
    by = f" by {rates.method}" if rates.method else ""
    if best.cost is None:
        reason = (f"cheapest shipping{by}: no shipping rate known for these parcels; fewest shipments, then "
                  "warehouse priority")
    else:
        reason = f"cheapest shipping{by}: from {price(best)}"
        if others:
            reason += " vs " + ", ".join(price(c) for c in others)
    best.plan.reason = reason + ("" if allow_split else "; split shipments not allowed")
    return best.plan

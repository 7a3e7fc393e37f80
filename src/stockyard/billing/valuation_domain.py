"""Inventory valuation without I/O: stock value per (SKU, warehouse) replayed from the ledger, by FIFO or moving
average, with landed costs revaluing what is still on hand.

The replay (`Valuation`) takes the ledger's moves in business-time order. Only moves that cross a valuation bucket
— a (SKU, warehouse) pair; outside parties (supplier, customer, scrap, adjustment) are no bucket — change value:
- an inflow from outside (receipt, return, positive count adjustment, import) enters at the move's unit cost; a
  move without one enters at the bucket's current unit cost (else the last unit cost it had; else at no value,
  counted as uncosted units);
- an issue to outside (shipment, write-off, negative count adjustment) leaves at the method's cost:
  FIFO consumes the oldest layers first; moving average takes its share of the pooled value (value × q / on hand),
  the pool's unit cost being recomputed by every inflow;
- a transfer between warehouses leaves one bucket at that cost and enters the other with it (FIFO keeps the
  layers' own costs and their order).
Every value is in cents: an inflow is worth cents(q × unit cost); a part of a layer or pool cents(value × share),
the last unit taking what is left, so that a bucket's value never goes negative and the costs the journal posts
(`move_values`) add up to exactly what the report shows.

Both methods track which receipt the units on hand came from (quantities consumed oldest first, as Odoo does for
its average cost too), so that a landed cost can tell the units of a receipt still on hand (revalued) from those
already gone (their share goes to COGS).

A backdated issue can, in business time, take more than a warehouse held then: the units beyond are issued at no
cost (counted in `uncosted`, as the journal's memo says) and the bucket's quantity goes below zero; the next units
in settle them first, leaving stock at no value of theirs (their value is kept in `shortfall_costs`; the journal
does not post it yet, so the inventory account exceeds the report by that much until it is corrected by hand).

Changing the method (`switch`) applies from that moment on, as Odoo does on a product category with stock: the stock
on hand keeps its value (so nothing is posted); under FIFO its layers share that value by quantity.
"""

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from stockyard.core.errors import ValidationFailed

CENT = Decimal("0.01")
ZERO = Decimal(0)


class Method(StrEnum):
    FIFO = "fifo"
    AVERAGE = "average"


METHOD_LABELS = {Method.FIFO: "FIFO (first in, first out)", Method.AVERAGE: "Moving average"}
DEFAULT_METHOD = Method.FIFO


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """`total` (in cents, not negative) split in proportion to `weights` by the largest remainder method: every
    share in cents, the shares adding up to `total` exactly; ties go to the earlier weight."""
    if total < 0 or total != cents(total):
        raise ValueError(f"the total must be a non-negative amount in cents, not {total}")
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    whole = sum(weights, ZERO)
    if not weights or whole <= 0:
        raise ValueError("nothing to allocate onto: the weights add up to zero")
    units = int(total / CENT)
    exact = [Decimal(units) * w / whole for w in weights]
    floors = [int(e.to_integral_value(rounding=ROUND_FLOOR)) for e in exact]
    left = units - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [Decimal(f) * CENT for f in floors]


@dataclass(frozen=True)
class LedgerMove:
    """One stock move as valuation sees it: `source` / `target` are warehouse ids when stocked, None outside."""

    id: int
    sku_id: int
    quantity: int
    source: int | None
    target: int | None
    unit_cost: Decimal | None = None


@dataclass(frozen=True)
class LandedCharge:
    """`amount` (cents) of a landed cost allocated onto the units of one receipt move."""

    id: int
    receipt_move_id: int
    amount: Decimal


@dataclass(frozen=True)
class LandedSplit:
    on_hand_quantity: int
    received_quantity: int
    inventory: Decimal  # the part revaluing the receipt's units still on hand
    cogs: Decimal  # the part of the units already gone


@dataclass
class _Layer:
    origin: int  # the receipt move the units came in with (or the inflow move itself)
    quantity: int
    value: Decimal  # FIFO only; under moving average the bucket's pool holds the value


@dataclass
class _Bucket:
    layers: deque[_Layer] = field(default_factory=deque)  # oldest first
    quantity: int = 0
    value: Decimal = ZERO
    last_unit_cost: Decimal | None = None

    def unit_cost(self) -> Decimal | None:
        return self.value / self.quantity if self.quantity > 0 else self.last_unit_cost


@dataclass(frozen=True)
class ValuedStock:
    sku_id: int
    warehouse_id: int
    quantity: int
    value: Decimal

    @property
    def unit_cost(self) -> Decimal | None:
        return (self.value / self.quantity).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN) \
            if self.quantity else None


def _share(value: Decimal, part: int, whole: int) -> Decimal:
    return value if part >= whole else cents(value * part / whole)


class Valuation:
    """The replay. Feed it moves (`move`), landed charges (`landed`) and method changes (`switch`) in time order."""

    def __init__(self, method: Method = DEFAULT_METHOD) -> None:
        self.method = method
        self.buckets: dict[tuple[int, int], _Bucket] = {}
        self.move_values: dict[int, Decimal] = {}  # the value each move took out of or brought into stock
        self.uncosted: dict[int, int] = {}  # units of a move that had no cost to go by
        self.received: dict[int, int] = {}  # inflow move id → units it brought in
        self.shortfall_costs: dict[int, Decimal] = {}  # inflow move id → value of its units settling a shortfall
        self.landed_splits: dict[int, LandedSplit] = {}

    def _bucket(self, sku_id: int, warehouse_id: int) -> _Bucket:
        return self.buckets.setdefault((sku_id, warehouse_id), _Bucket())

    # ---- issues and inflows ----

    def _take(self, bucket: _Bucket, quantity: int) -> tuple[Decimal, list[_Layer], int]:
        """Takes `quantity` out: (value, the layers taken oldest first, units beyond what the bucket held)."""
        pool_value, pool_qty = bucket.value, sum(layer.quantity for layer in bucket.layers)
        taken: list[_Layer] = []
        want = quantity
        while want > 0 and bucket.layers:
            layer = bucket.layers[0]
            n = min(want, layer.quantity)
            part = _share(layer.value, n, layer.quantity) if self.method == Method.FIFO else ZERO
            taken.append(_Layer(layer.origin, n, part))
            layer.quantity -= n
            layer.value -= part
            want -= n
            if layer.quantity == 0:
                bucket.layers.popleft()
        got = quantity - want
        if self.method == Method.FIFO:
            value = sum((layer.value for layer in taken), ZERO)
        else:
            value = _share(pool_value, got, pool_qty) if got else ZERO
        if got:
            bucket.last_unit_cost = value / got
        bucket.quantity -= quantity
        bucket.value -= value
        return value, taken, want

    def _put(self, bucket: _Bucket, quantity: int, value: Decimal, layers: list[_Layer], move_id: int) -> None:
        short = min(max(0, -bucket.quantity), quantity)
        if self.method == Method.FIFO:
            bucket.layers.extend(layers)
        else:
            bucket.layers.extend(_Layer(layer.origin, layer.quantity, ZERO) for layer in layers)
        bucket.quantity += quantity
        bucket.value += value
        if quantity > 0:
            bucket.last_unit_cost = value / quantity
        if short:  # the first units in settle those issued before they came (in business time): see the docstring
            settled, _, _ = self._take(bucket, short)
            bucket.quantity += short  # the ledger's quantity already counts them as gone
            self.shortfall_costs[move_id] = settled

    def move(self, m: LedgerMove) -> None:
        if m.source == m.target:
            return  # within one warehouse (putaway, status change, bin to bin): the value stays
        if m.source is not None and m.target is not None:  # between warehouses: the cost travels with the units
            source = self._bucket(m.sku_id, m.source)
            value, layers, short = self._take(source, m.quantity)
            if short:
                self.uncosted[m.id] = short
                layers.append(_Layer(m.id, short, ZERO))
            self._put(self._bucket(m.sku_id, m.target), m.quantity, value, layers, m.id)
            self.move_values[m.id] = value
        elif m.source is not None:  # an issue
            value, _, short = self._take(self._bucket(m.sku_id, m.source), m.quantity)
            if short:
                self.uncosted[m.id] = short
            self.move_values[m.id] = value
        elif m.target is not None:  # an inflow from outside
            bucket = self._bucket(m.sku_id, m.target)
            unit_cost = m.unit_cost if m.unit_cost is not None else bucket.unit_cost()
            if unit_cost is None:
                self.uncosted[m.id] = m.quantity
                unit_cost = ZERO
            value = cents(unit_cost * m.quantity)
            self._put(bucket, m.quantity, value, [_Layer(m.id, m.quantity, value)], m.id)
            self.received[m.id] = m.quantity
            self.move_values[m.id] = value

    # ---- landed costs ----

    def landed(self, charge: LandedCharge) -> LandedSplit:
        """Raises the value of the receipt's units still on hand by their share of the charge; the rest is the
        share of units already gone (COGS)."""
        received = self.received.get(charge.receipt_move_id)
        if received is None:
            raise ValueError(f"move {charge.receipt_move_id} brought no stock in before the landed cost")
        held = [(bucket, layer) for bucket in self.buckets.values() for layer in bucket.layers
                if layer.origin == charge.receipt_move_id and layer.quantity > 0]
        on_hand = min(sum(layer.quantity for _, layer in held), received)
        inventory = _share(charge.amount, on_hand, received) if on_hand else ZERO
        if inventory:
            for (bucket, layer), part in zip(held, allocate(inventory, [Decimal(layer.quantity) for _, layer in held]),
                                             strict=True):
                bucket.value += part
                if self.method == Method.FIFO:
                    layer.value += part
        split = LandedSplit(on_hand, received, inventory, charge.amount - inventory)
        self.landed_splits[charge.id] = split
        return split

    # ---- the method ----

    def switch(self, method: Method) -> None:
        """From now on, issues are costed by `method`; the stock on hand keeps its value."""
        if method == self.method:
            return
        if method == Method.FIFO:
            for bucket in self.buckets.values():
                live = [layer for layer in bucket.layers if layer.quantity > 0]
                if live and bucket.value > 0:
                    for layer, part in zip(live, allocate(cents(bucket.value), [Decimal(la.quantity) for la in live]),
                                           strict=True):
                        layer.value = part
        else:
            for bucket in self.buckets.values():
                for layer in bucket.layers:
                    layer.value = ZERO
        self.method = method

    # ---- results ----

    def stock(self) -> list[ValuedStock]:
        """Every bucket holding stock or value, by SKU and warehouse."""
        return [ValuedStock(sku, wh, b.quantity, b.value) for (sku, wh), b in sorted(self.buckets.items())
                if b.quantity != 0 or b.value != 0]

    def total(self) -> Decimal:
        return sum((b.value for b in self.buckets.values()), ZERO)


def check_method(text: str) -> Method:
    try:
        return Method(text.strip().lower())
    except ValueError:
        raise ValidationFailed(f"choose one of: {', '.join(m.value for m in Method)}", field="method") from None

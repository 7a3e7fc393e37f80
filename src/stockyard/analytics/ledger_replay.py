"""Replaying the stock ledger in time order, with no I/O: FIFO cost layers per SKU and warehouse (what the stock
cost, when each unit arrived) and the sellable quantity per SKU and warehouse over days (for stock-outs).

A move counts for a warehouse when its location is stocked (a bin, or the transit location of the destination
warehouse); moves within one warehouse change neither its value nor its layers. Units entering stock from outside
(receipt, return, count gain, import) open a layer at the move's unit cost, or, when the move carries none, at the
last receipt cost known for the SKU. Units leaving stock take the oldest layers first; their cost is the move's
cost of goods. Between warehouses (a transfer's dispatch) the layers move with their cost and receipt time.
"""

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

Pair = tuple[int, int]  # (sku_id, warehouse_id)


@dataclass(frozen=True)
class LedgerMove:
    id: int
    at: datetime
    sku_id: int
    quantity: int
    from_warehouse: int | None  # the warehouse when the source is stocked, else None (supplier, customer, ...)
    to_warehouse: int | None
    from_sellable: bool  # the source is a bin and the units left it sellable
    to_sellable: bool
    reason: str
    unit_cost: Decimal | None = None
    document: str = ""


@dataclass(frozen=True)
class Layer:
    received_at: datetime
    quantity: int
    unit_cost: Decimal

    @property
    def value(self) -> Decimal:
        return self.unit_cost * self.quantity


@dataclass(frozen=True)
class Issue:
    """Units that left stock (to a customer, scrap, a count loss, ...) and what they had cost."""

    move: LedgerMove
    warehouse_id: int
    cost: Decimal


@dataclass
class FifoBook:
    layers: dict[Pair, list[Layer]] = field(default_factory=lambda: defaultdict(list))
    last_cost: dict[int, Decimal] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def apply(self, move: LedgerMove) -> None:
        source, target = move.from_warehouse, move.to_warehouse
        if source == target:
            return
        if move.unit_cost is not None and source is None:
            self.last_cost[move.sku_id] = move.unit_cost
        if source is None and target is not None:
            cost = move.unit_cost if move.unit_cost is not None else self.last_cost.get(move.sku_id, Decimal(0))
            self._add((move.sku_id, target), [Layer(move.at, move.quantity, cost)])
            return
        assert source is not None
        taken = self._take((move.sku_id, source), move.quantity, move.at)
        if target is None:
            self.issues.append(Issue(move, source, sum((layer.value for layer in taken), Decimal(0))))
        else:
            self._add((move.sku_id, target), taken)

    def _add(self, pair: Pair, new: Iterable[Layer]) -> None:
        stack = self.layers[pair]
        for layer in new:
            keys = [existing.received_at for existing in stack]
            stack.insert(bisect.bisect_right(keys, layer.received_at), layer)

    def _take(self, pair: Pair, quantity: int, at: datetime) -> list[Layer]:
        stack = self.layers[pair]
        taken: list[Layer] = []
        while quantity > 0 and stack:
            oldest = stack[0]
            used = min(quantity, oldest.quantity)
            taken.append(Layer(oldest.received_at, used, oldest.unit_cost))
            if used == oldest.quantity:
                stack.pop(0)
            else:
                stack[0] = Layer(oldest.received_at, oldest.quantity - used, oldest.unit_cost)
            quantity -= used
        if quantity > 0:  # more left than the ledger shows arriving: valued at the last known cost
            taken.append(Layer(at, quantity, self.last_cost.get(pair[0], Decimal(0))))
        return taken

    def on_hand(self) -> dict[Pair, list[Layer]]:
        return {pair: list(stack) for pair, stack in self.layers.items() if stack}


@dataclass(frozen=True)
class FifoReplay:
    snapshots: dict[datetime, dict[Pair, list[Layer]]]  # the layers on hand at each checkpoint
    issues: list[Issue]  # every move out of stock, with its FIFO cost


def replay_fifo(moves: Sequence[LedgerMove], checkpoints: Sequence[datetime]) -> FifoReplay:
    """Moves in ledger order (time, then id); a checkpoint sees every move strictly before it."""
    book = FifoBook()
    marks = sorted(set(checkpoints))
    snapshots: dict[datetime, dict[Pair, list[Layer]]] = {}
    i = 0
    for move in moves:
        while i < len(marks) and marks[i] <= move.at:
            snapshots[marks[i]] = book.on_hand()
            i += 1
        book.apply(move)
    for mark in marks[i:]:
        snapshots[mark] = book.on_hand()
    return FifoReplay(snapshots, book.issues)


def value_of(layers: dict[Pair, list[Layer]]) -> dict[Pair, Decimal]:
    return {pair: sum((layer.value for layer in stack), Decimal(0)) for pair, stack in layers.items()}


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


@dataclass(frozen=True)
class StockOutDays:
    first: date  # the first day of the period on which the SKU was stocked there (it had arrived by then)
    out: list[date]  # the days on which its sellable quantity there was zero at some moment

    def stocked_between(self, start: date, end: date) -> int:
        """Days from `start` to `end` (included) on which the SKU was stocked in the warehouse."""
        return max(0, (end - max(start, self.first)).days + 1)


def stock_out_days(moves: Sequence[LedgerMove], start: date, end: date) -> dict[Pair, StockOutDays]:
    """Per SKU and warehouse, over the days from `start` to `end` (included): how many days it was stocked there
    (from the first day sellable units arrived) and on which of them its sellable quantity was zero at any moment
    (at the start of the day or after a move that day)."""
    deltas: dict[Pair, list[tuple[datetime, int]]] = defaultdict(list)
    for move in moves:
        net: dict[Pair, int] = defaultdict(int)  # one change per move: a putaway within a warehouse changes nothing
        if move.from_sellable and move.from_warehouse is not None:
            net[(move.sku_id, move.from_warehouse)] -= move.quantity
        if move.to_sellable and move.to_warehouse is not None:
            net[(move.sku_id, move.to_warehouse)] += move.quantity
        for pair, change in net.items():
            deltas[pair].append((move.at, change))
    out: dict[Pair, StockOutDays] = {}
    for pair, changes in deltas.items():
        changes.sort(key=lambda c: c[0])
        first_in = next((at.date() for at, delta in changes if delta > 0), None)
        if first_in is None or first_in > end:
            continue
        quantity, i = 0, 0
        while i < len(changes) and changes[i][0] < day_start(start):
            quantity += changes[i][1]
            i += 1
        days: list[date] = []
        day = start
        while day <= end:
            # Days without a move keep the quantity they start with: jump over them in one step.
            quiet_until = min(changes[i][0].date() if i < len(changes) else end + timedelta(days=1),
                              end + timedelta(days=1))
            if quantity <= 0:
                empty = max(day, first_in)
                days.extend(empty + timedelta(days=n) for n in range(max(0, (quiet_until - empty).days)))
            day = quiet_until
            if day > end:
                break
            # On the day it first arrives, the empty shelf before the arrival is not a stock-out.
            lowest = quantity if day != first_in else None
            following = day_start(day + timedelta(days=1))
            while i < len(changes) and changes[i][0] < following:
                quantity += changes[i][1]
                lowest = quantity if lowest is None else min(lowest, quantity)
                i += 1
            if day >= first_in and lowest is not None and lowest <= 0:
                days.append(day)
            day += timedelta(days=1)
        out[pair] = StockOutDays(max(start, first_in), days)
    return out


AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30 days", 0, 30), ("31-60 days", 31, 60), ("61-90 days", 61, 90), ("90+ days", 91, None))


def age_bucket(received: datetime, as_of: date) -> str:
    """The age bucket of units received at `received`, counted in whole days up to the day `as_of`."""
    age = (as_of - received.date()).days
    for name, low, high in AGE_BUCKETS:
        if age >= low and (high is None or age <= high):
            return name
    return AGE_BUCKETS[0][0]

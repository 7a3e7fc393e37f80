"""Pure purchasing rules: the purchase order state machine, line checks, what a receipt leaves open and the
supplier's over-receipt tolerance. No I/O. (Putaway ranking: putaway_rules.py; replenishment: reorder.py.)

draft → sent → partially_received → received → closed; a draft or a sent order with nothing received yet may be
cancelled; a partially received order may be closed short (the rest is not coming).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum

from stockyard.core.errors import Conflict, ValidationFailed


class POState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = POState
# action → (states it may start from, the state it leads to); "receive" leads to a state that depends on the lines.
TRANSITIONS: dict[str, tuple[frozenset[POState], POState | None]] = {
    "send": (frozenset({S.DRAFT}), S.SENT),
    "cancel": (frozenset({S.DRAFT, S.SENT}), S.CANCELLED),
    "receive": (frozenset({S.SENT, S.PARTIALLY_RECEIVED}), None),
    "close": (frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED}), S.CLOSED),
    "reschedule": (frozenset({S.DRAFT, S.SENT, S.PARTIALLY_RECEIVED}), None),
}
# Orders whose unreceived units are on their way: the inbound that storefront and backorders count on.
OPEN_STATES = frozenset({S.SENT, S.PARTIALLY_RECEIVED})
VERBS = {"send": "sent", "cancel": "cancelled", "receive": "received", "close": "closed",
         "reschedule": "rescheduled"}


def check_transition(action: str, state: str) -> None:
    """Refuses `action` on an order in `state` with a message naming both."""
    allowed, _ = TRANSITIONS[action]
    if POState(state) not in allowed:
        names = ", ".join(sorted(s.value.replace("_", " ") for s in allowed))
        raise Conflict(f"a purchase order that is {state.replace('_', ' ')} cannot be {VERBS[action]} "
                       f"(only when {names})", field="state")


@dataclass(frozen=True)
class LineIn:
    sku_id: int
    sku_code: str
    quantity: int


def check_lines(lines: Sequence[LineIn]) -> None:
    """At least one line, each SKU once, every quantity above zero."""
    if not lines:
        raise ValidationFailed("a purchase order needs at least one line", field="lines")
    seen: set[int] = set()
    for index, line in enumerate(lines):
        if line.quantity <= 0:
            raise ValidationFailed("must be at least 1", field=f"lines[{index}].quantity")
        if line.sku_id in seen:
            raise ValidationFailed(f"{line.sku_code} is on the order twice; order it on one line",
                                   field=f"lines[{index}].sku")
        seen.add(line.sku_id)


def check_expected(expected_on: date, today: date, field: str = "expected_on") -> None:
    """An order is expected today or later: an arrival date in the past would promise goods that are late."""
    if expected_on < today:
        raise ValidationFailed(f"{expected_on.isoformat()} is in the past", field=field)


@dataclass(frozen=True)
class OpenLine:
    line_id: int
    sku_code: str
    quantity: int
    received: int
    over_received: int = 0

    @property
    def open(self) -> int:
        return self.quantity - self.received


def allowed_units(quantity: int, tolerance_pct: Decimal) -> int:
    """The most units a line of `quantity` may receive in all: the quantity plus the tolerance, rounded down."""
    return int((Decimal(quantity) * (100 + tolerance_pct) / 100).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class Split:
    """How units that arrived for a line are booked: `fill` counts toward the ordered quantity, `extra` beyond it."""

    fill: int
    extra: int


def check_receipt(lines: dict[int, OpenLine], arrived: Sequence[tuple[int, int]],
                  tolerance_pct: Decimal = Decimal(0)) -> list[Split]:
    """Every (line id, units) names a line of this order once; the units may exceed what the line still expects
    only within the supplier's tolerance (percent of the ordered quantity, over all its receipts). Beyond it the
    receipt is refused (receive the surplus blind, or raise the order first). Returns each arrival's split."""
    if not arrived:
        raise ValidationFailed("enter the units received", field="lines")
    seen: set[int] = set()
    splits = []
    for index, (line_id, units) in enumerate(arrived):
        line = lines.get(line_id)
        if line is None:
            raise ValidationFailed("this line is not on the purchase order", field=f"lines[{index}].line_id")
        if line_id in seen:
            raise ValidationFailed("this line is given twice", field=f"lines[{index}].line_id")
        seen.add(line_id)
        if units <= 0:
            raise ValidationFailed("must be at least 1", field=f"lines[{index}].quantity")
        already = line.received + line.over_received
        allowed = allowed_units(line.quantity, tolerance_pct)
        if already + units > allowed:
            room = max(allowed - already, 0)
            tolerance = f" and the supplier's over-receipt tolerance of {tolerance_pct.normalize():f}%" \
                if tolerance_pct else " (the supplier allows no over-receipt)"
            raise ValidationFailed(
                f"over-receipt: {units} unit(s) of {line.sku_code} arrived but only {room} more are accepted: "
                f"{line.quantity} ordered, {already} received{tolerance}", field=f"lines[{index}].quantity")
        fill = min(units, line.open)
        splits.append(Split(fill, units - fill))
    return splits


def state_after_receipt(lines: Sequence[OpenLine]) -> POState:
    """Received when every line is complete, else partially received."""
    return S.RECEIVED if all(line.open == 0 for line in lines) else S.PARTIALLY_RECEIVED


def covering_date(arrivals: Sequence[tuple[date, int]], needed: int) -> date | None:
    """The first date by which the arrivals (date, units), taken in date order, add up to `needed` units."""
    total = 0
    for day, units in sorted(arrivals):
        total += units
        if total >= needed:
            return day
    return None

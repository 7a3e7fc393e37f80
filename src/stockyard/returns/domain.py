"""Pure return rules: the return state machine, how many units of a line may still be returned, grades and the
dispositions they suggest, and the most a refund may be. No I/O; tests/returns/test_domain.py drives it with
hypothesis."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from stockyard.billing.tax_domain import LineRate
from stockyard.core.errors import Conflict, ValidationFailed
from stockyard.sales.domain import PricedLine, order_totals


class ReturnStatus(StrEnum):
    REQUESTED = "requested"
    AUTHORIZED = "authorized"
    REJECTED = "rejected"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    CLOSED = "closed"


R = ReturnStatus
# action → (states it may start from, the state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[ReturnStatus], ReturnStatus]] = {
    "authorize": (frozenset({R.REQUESTED}), R.AUTHORIZED),
    "reject": (frozenset({R.REQUESTED}), R.REJECTED),
    "receive": (frozenset({R.AUTHORIZED}), R.RECEIVED),
    "inspect": (frozenset({R.RECEIVED}), R.INSPECTED),
    "refund": (frozenset({R.INSPECTED}), R.REFUNDED),
    "exchange": (frozenset({R.INSPECTED}), R.EXCHANGED),
    "close": (frozenset({R.INSPECTED}), R.CLOSED),
}
# Returns whose units are promised back but not yet counted in order_lines.returned.
OPEN_STATUSES = frozenset({R.REQUESTED, R.AUTHORIZED})
FINAL_STATUSES = frozenset({R.REJECTED, R.REFUNDED, R.EXCHANGED, R.CLOSED})
# Order statuses a return may be requested from: the goods have reached the customer.
RETURNABLE_ORDER_STATUSES = frozenset({"delivered", "invoiced", "closed"})

REASONS: dict[str, str] = {
    "damaged_in_transit": "Arrived damaged",
    "defective": "Defective / does not work",
    "wrong_item": "Wrong item sent",
    "not_as_described": "Not as described",
    "does_not_fit": "Does not fit my vehicle / machine",
    "no_longer_needed": "No longer needed",
    "other": "Other",
}


class Grade(StrEnum):
    A = "A"  # new, unopened
    B = "B"  # like new, opened
    C = "C"  # damaged
    D = "D"  # unusable


GRADE_LABELS: dict[str, str] = {"A": "new", "B": "like new", "C": "damaged", "D": "unusable"}


class Disposition(StrEnum):
    RESTOCK = "restock"
    QUARANTINE = "quarantine"
    DAMAGED = "damaged"
    REFURBISH = "refurbish"
    SCRAP = "scrap"


SUGGESTED: dict[Grade, Disposition] = {
    Grade.A: Disposition.RESTOCK,
    Grade.B: Disposition.RESTOCK,
    Grade.C: Disposition.DAMAGED,
    Grade.D: Disposition.SCRAP,
}
# The stock status the units leave return_pending for; scrap leaves the stock altogether (a write-off).
# The inventory has no refurbish status: refurbish units wait in quarantine with a note saying so.
TARGET_STATUS: dict[Disposition, str | None] = {
    Disposition.RESTOCK: "sellable",
    Disposition.QUARANTINE: "quarantine",
    Disposition.DAMAGED: "damaged",
    Disposition.REFURBISH: "quarantine",
    Disposition.SCRAP: None,
}


def parse_grade(value: str, field: str = "grade") -> Grade:
    """A grade as letter (A-D) or as its label (new, like new / like-new, damaged, unusable)."""
    text = value.strip()
    if text.upper() in Grade.__members__:
        return Grade(text.upper())
    by_label = {label.replace(" ", "-"): g for g, label in GRADE_LABELS.items()}
    found = by_label.get(text.lower().replace(" ", "-").replace("_", "-"))
    if found is None:
        raise ValidationFailed("choose a grade: A (new), B (like new), C (damaged) or D (unusable)", field=field)
    return Grade(found)


def check_transition(action: str, current: str) -> ReturnStatus:
    """The state `action` leads to from `current`; a Conflict naming the allowed states otherwise."""
    allowed, target = TRANSITIONS[action]
    if ReturnStatus(current) not in allowed:
        names = ", ".join(sorted(s.value for s in allowed))
        raise Conflict(f"cannot {action} a return that is {current} (only when {names})", field="status")
    return target


def returnable(shipped: int, returned: int, requested_open: int) -> int:
    """Units of an order line that may still be asked back: shipped, minus those already returned, minus those in
    returns still on their way (requested or authorised)."""
    return max(shipped - returned - requested_open, 0)


@dataclass(frozen=True)
class LineState:
    order_line_id: int
    sku_code: str
    shipped: int
    returned: int
    requested_open: int

    @property
    def returnable(self) -> int:
        return returnable(self.shipped, self.returned, self.requested_open)


def check_request(order_status: str, lines: dict[int, LineState], wanted: Sequence[tuple[int, int]]) -> None:
    """Refuses a return that asks for more than may come back. `wanted` is (order line id, quantity) pairs."""
    if order_status not in RETURNABLE_ORDER_STATUSES:
        raise Conflict(f"this order is {order_status.replace('_', ' ')}: only delivered orders can be returned",
                       field="order")
    if not wanted:
        raise ValidationFailed("choose at least one item to return", field="lines")
    seen: set[int] = set()
    for index, (line_id, quantity) in enumerate(wanted):
        field = f"lines[{index}].quantity"
        if line_id in seen:
            raise ValidationFailed("this item is listed twice", field=f"lines[{index}].order_line_id")
        seen.add(line_id)
        state = lines.get(line_id)
        if state is None:
            raise ValidationFailed("this item is not on the order", field=f"lines[{index}].order_line_id")
        if quantity <= 0:
            raise ValidationFailed("must be at least 1", field=field)
        if state.returnable == 0:
            already = "already returned" if state.requested_open == 0 else "already returned or asked back"
            raise Conflict(f"{state.sku_code}: every delivered unit is {already}", field=field)
        if quantity > state.returnable:
            raise Conflict(f"{state.sku_code}: only {state.returnable} unit(s) can still be returned", field=field)


@dataclass(frozen=True)
class RefundLine:
    quantity: int  # units received back
    unit_price: Decimal  # as charged on the order
    tax_rate: Decimal | None = None  # the order line's own rate; None: the order's `tax_rate`


def refund_limit(lines: Sequence[RefundLine], *, tax_rate: Decimal, prices_include_tax: bool,
                 shipping: Decimal, include_shipping: bool, order_total: Decimal,
                 already_refunded: Decimal) -> Decimal:
    """The most that may be refunded for these returned units: what the customer paid for them (tax included, by
    the same rules the order's total was computed with), plus the shipping charge when asked for, never more than
    what the order still has unrefunded."""
    priced = [PricedLine(0, line.quantity, line.unit_price,
                         None if line.tax_rate is None else LineRate(Decimal(line.tax_rate), ""))
              for line in lines if line.quantity > 0]
    paid_for = order_totals(priced, shipping if include_shipping else Decimal(0), tax_rate,
                            prices_include_tax).grand_total
    return max(min(paid_for, order_total - already_refunded), Decimal("0.00"))


def check_refund(amount: Decimal, limit: Decimal, currency: str) -> None:
    if amount <= 0:
        raise ValidationFailed("must be more than zero", field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("at most two decimal places", field="amount")
    if amount > limit:
        raise Conflict(f"at most {limit} {currency} can be refunded for the returned items", field="amount",
                       details={"limit": str(limit)})

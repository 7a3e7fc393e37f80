"""ABC classification by value, with no I/O.

Items are ranked by value, largest first. An item belongs to class A while the items ranked before it hold less than
the A cut-off (80% by default) of the total value, to B while they hold less than the B cut-off (95%), and to C
after that: the item that crosses a cut-off stays in the class it started in, so a single item worth most of the
total is an A. Items worth nothing are C.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from stockyard.core.errors import ValidationFailed

DEFAULT_A = Decimal(80)
DEFAULT_B = Decimal(95)


@dataclass(frozen=True)
class AbcRow:
    rank: int
    key: str
    value: Decimal
    share: Decimal  # of the total value, in percent
    cumulative: Decimal  # share of the items up to and including this one, in percent
    cls: str  # "A", "B" or "C"


def check_cutoffs(a_cut: Decimal, b_cut: Decimal) -> None:
    if not Decimal(0) < a_cut < Decimal(100):
        raise ValidationFailed("the A cut-off is a percentage above 0 and below 100", field="a")
    if not a_cut < b_cut <= Decimal(100):
        raise ValidationFailed("the B cut-off is a percentage above the A cut-off, at most 100", field="b")


def classify(values: Mapping[str, Decimal], a_cut: Decimal = DEFAULT_A, b_cut: Decimal = DEFAULT_B) -> list[AbcRow]:
    """Rank `values` (key → value, never negative) and class each item A, B or C by cumulative share of value."""
    check_cutoffs(a_cut, b_cut)
    if any(v < 0 for v in values.values()):
        raise ValidationFailed("values to classify are never negative", field="values")
    total = sum(values.values(), Decimal(0))
    ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    rows: list[AbcRow] = []
    before = Decimal(0)
    for rank, (key, value) in enumerate(ranked, start=1):
        share = value / total * 100 if total else Decimal(0)
        if value <= 0:
            cls = "C"
        elif before < a_cut:
            cls = "A"
        elif before < b_cut:
            cls = "B"
        else:
            cls = "C"
        before += share
        rows.append(AbcRow(rank, key, value, share, before, cls))
    return rows


def class_totals(rows: list[AbcRow]) -> dict[str, tuple[int, Decimal]]:
    """Per class: how many items and their value."""
    out = {cls: (0, Decimal(0)) for cls in "ABC"}
    for row in rows:
        count, value = out[row.cls]
        out[row.cls] = (count + 1, value + row.value)
    return out

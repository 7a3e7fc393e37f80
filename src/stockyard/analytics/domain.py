"""Pure KPI arithmetic: inventory turnover and days of inventory, and rolling categories up to their roots."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal


@dataclass(frozen=True)
class Turnover:
    cogs: Decimal  # cost of the goods that left for customers in the period
    average_inventory: Decimal  # mean of the opening and closing inventory value
    ratio: Decimal | None  # None when there was no inventory to turn
    days_of_inventory: Decimal | None  # None when nothing was sold


def turnover(cogs: Decimal, opening: Decimal, closing: Decimal, days: int) -> Turnover:
    """Turnover = COGS / average inventory at cost; days of inventory = period days / turnover."""
    if days <= 0:
        raise ValueError("a turnover period has at least one day")
    average = (opening + closing) / 2
    ratio = (cogs / average).quantize(Decimal("0.01"), ROUND_HALF_EVEN) if average > 0 else None
    days_of_inventory = None
    if ratio is not None and cogs > 0:
        days_of_inventory = (Decimal(days) * average / cogs).quantize(Decimal("0.1"), ROUND_HALF_EVEN)
    return Turnover(cogs, average, ratio, days_of_inventory)


def root_of(category_id: int | None, parents: Mapping[int, int | None]) -> int | None:
    """The top-level ancestor of a category (itself when it has no parent); None stays None. Cycles stop safely."""
    seen: set[int] = set()
    current = category_id
    while current is not None and parents.get(current) is not None and current not in seen:
        seen.add(current)
        current = parents[current]
    return current

"""Pure price rules: validating quantity tiers and resolving the unit price that applies to an order line.

Resolution: among the price lists that are active, belong to the channel and currency, are valid on the date
(valid_from and valid_to both inclusive, either may be open) and have a tier for the SKU at or below the ordered
quantity, the one with the highest priority wins (ties: the one that started most recently, then the newest
list). Within it, the tier with the largest minimum quantity not above the ordered quantity applies.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from stockyard.core.errors import ValidationFailed
from stockyard.core.money import Money, round_money

PRICE_QUANTUM = Decimal("0.0001")
MAX_PRICE = Decimal("99999999.9999")


@dataclass(frozen=True)
class Tier:
    min_quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class ListForSku:
    """One price list with the tiers it has for the SKU in question."""

    list_id: int
    name: str
    channel_id: int
    currency: str
    priority: int
    valid_from: date | None
    valid_to: date | None
    active: bool
    tiers: tuple[Tier, ...]

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class ResolvedPrice:
    list_id: int
    list_name: str
    tier: Tier
    unit_price: Money
    line_total: Money


def check_validity(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from is not None and valid_to is not None and valid_from > valid_to:
        raise ValidationFailed(f"must not be before valid from ({valid_from.isoformat()})", field="valid_to")


def check_price(value: Decimal, field: str) -> Decimal:
    if not value.is_finite():
        raise ValidationFailed("must be a number", field=field)
    if value < 0:
        raise ValidationFailed("must not be negative", field=field)
    if value > MAX_PRICE:
        raise ValidationFailed(f"must be at most {MAX_PRICE}", field=field)
    if value != value.quantize(PRICE_QUANTUM):
        raise ValidationFailed("has more than 4 decimal places", field=field)
    return value.quantize(PRICE_QUANTUM)


def check_tiers(tiers: Sequence[Tier], field: str = "tiers") -> list[Tier]:
    """Tiers sorted by minimum quantity; each minimum is a positive integer used once, each price non-negative."""
    seen: dict[int, int] = {}
    for index, tier in enumerate(tiers):
        if tier.min_quantity < 1:
            raise ValidationFailed("must be at least 1", field=f"{field}[{index}].min_quantity")
        check_price(tier.unit_price, f"{field}[{index}].unit_price")
        if tier.min_quantity in seen:
            raise ValidationFailed(
                f"overlaps tier {seen[tier.min_quantity] + 1}: both start at quantity {tier.min_quantity}",
                field=f"{field}[{index}].min_quantity")
        seen[tier.min_quantity] = index
    return sorted((Tier(t.min_quantity, t.unit_price.quantize(PRICE_QUANTUM)) for t in tiers),
                  key=lambda t: t.min_quantity)


def tier_for(tiers: Iterable[Tier], quantity: int) -> Tier | None:
    best: Tier | None = None
    for tier in tiers:
        if tier.min_quantity <= quantity and (best is None or tier.min_quantity > best.min_quantity):
            best = tier
    return best


def resolve_price(lists: Iterable[ListForSku], channel_id: int, currency: str, quantity: int,
                  day: date) -> ResolvedPrice | None:
    if quantity < 1:
        raise ValidationFailed("must be at least 1", field="quantity")
    candidates: list[tuple[tuple[int, date, int], ListForSku, Tier]] = []
    for price_list in lists:
        if not (price_list.active and price_list.channel_id == channel_id and price_list.currency == currency
                and price_list.valid_on(day)):
            continue
        tier = tier_for(price_list.tiers, quantity)
        if tier is not None:
            rank = (price_list.priority, price_list.valid_from or date.min, price_list.list_id)
            candidates.append((rank, price_list, tier))
    if not candidates:
        return None
    _, chosen, tier = max(candidates, key=lambda c: c[0])
    total = Money(round_money(tier.unit_price * quantity), currency)
    return ResolvedPrice(chosen.list_id, chosen.name, tier, Money(tier.unit_price, currency), total)

"""Price resolution as a pure function: properties over generated price lists, and the validation rules."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.catalog.pricing_domain import ListForSku, Tier, check_tiers, check_validity, resolve_price, tier_for
from stockyard.core.errors import ValidationFailed

DAY = date(2026, 6, 15)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999"), places=4, allow_nan=False,
                     allow_infinity=False)
tier_sets = st.dictionaries(st.integers(min_value=1, max_value=200), prices, min_size=1, max_size=6).map(
    lambda d: tuple(Tier(q, p) for q, p in d.items()))
optional_day = st.one_of(st.none(), st.integers(min_value=-30, max_value=30).map(lambda n: DAY + timedelta(days=n)))


@st.composite
def price_lists(draw: st.DrawFn) -> list[ListForSku]:
    count = draw(st.integers(min_value=0, max_value=6))
    out = []
    for list_id in range(1, count + 1):
        start, end = draw(optional_day), draw(optional_day)
        if start and end and start > end:
            start, end = end, start
        channel, currency = draw(st.sampled_from([1, 2])), draw(st.sampled_from(["EUR", "USD"]))
        out.append(ListForSku(list_id, f"L{list_id}", channel, currency, draw(st.integers(min_value=-3, max_value=3)),
                              start, end, draw(st.booleans()), draw(tier_sets)))
    return out


def applicable(price_list: ListForSku, quantity: int) -> bool:
    return (price_list.active and price_list.channel_id == 1 and price_list.currency == "EUR"
            and price_list.valid_on(DAY) and any(t.min_quantity <= quantity for t in price_list.tiers))


@given(price_lists(), st.integers(min_value=1, max_value=300))
def test_the_chosen_list_applies_and_no_applicable_list_has_a_higher_priority(lists: list[ListForSku],
                                                                              quantity: int) -> None:
    resolved = resolve_price(lists, 1, "EUR", quantity, DAY)
    candidates = [p for p in lists if applicable(p, quantity)]
    if not candidates:
        assert resolved is None
        return
    assert resolved is not None
    chosen = next(p for p in lists if p.list_id == resolved.list_id)
    assert applicable(chosen, quantity)
    assert chosen.priority == max(p.priority for p in candidates)
    # The tier is the largest minimum quantity not above the order quantity.
    assert resolved.tier.min_quantity <= quantity
    assert resolved.tier.min_quantity == max(t.min_quantity for t in chosen.tiers if t.min_quantity <= quantity)
    assert resolved.unit_price.currency == resolved.line_total.currency == "EUR"
    assert resolved.line_total.amount == (resolved.tier.unit_price * quantity).quantize(Decimal("0.01"))


@given(tier_sets, st.integers(min_value=1, max_value=300), st.integers(min_value=0, max_value=300))
def test_buying_more_never_moves_to_a_lower_tier(tiers: tuple[Tier, ...], quantity: int, extra: int) -> None:
    low, high = tier_for(tiers, quantity), tier_for(tiers, quantity + extra)
    if low is not None:
        assert high is not None and high.min_quantity >= low.min_quantity


@given(st.lists(st.tuples(st.integers(min_value=1, max_value=50), prices), min_size=1, max_size=8))
def test_tier_validation_accepts_exactly_the_sets_without_repeated_minimums(pairs: list[tuple[int, Decimal]]) -> None:
    tiers = [Tier(q, p) for q, p in pairs]
    minimums = [q for q, _ in pairs]
    if len(set(minimums)) == len(minimums):
        checked = check_tiers(tiers)
        assert [t.min_quantity for t in checked] == sorted(minimums)
    else:
        with pytest.raises(ValidationFailed) as error:
            check_tiers(tiers)
        assert "overlaps" in error.value.message and error.value.field.endswith(".min_quantity")


def test_line_total_rounds_half_even() -> None:
    lists = [ListForSku(1, "L", 1, "EUR", 0, None, None, True, (Tier(1, Decimal("0.0125")),))]
    # 0.0125 × 2 = 0.025 → 0.02 (half-even), × 6 = 0.075 → 0.08
    assert resolve_price(lists, 1, "EUR", 2, DAY).line_total.amount == Decimal("0.02")  # type: ignore[union-attr]
    assert resolve_price(lists, 1, "EUR", 6, DAY).line_total.amount == Decimal("0.08")  # type: ignore[union-attr]


def test_ties_in_priority_go_to_the_list_that_started_last() -> None:
    older = ListForSku(1, "Old", 1, "EUR", 5, date(2026, 1, 1), None, True, (Tier(1, Decimal("10")),))
    newer = ListForSku(2, "Promo", 1, "EUR", 5, date(2026, 6, 1), date(2026, 6, 30), True, (Tier(1, Decimal("8")),))
    assert resolve_price([newer, older], 1, "EUR", 1, DAY).list_name == "Promo"  # type: ignore[union-attr]
    assert resolve_price([newer, older], 1, "EUR", 1, date(2026, 7, 1)).list_name == "Old"  # type: ignore[union-attr]


@pytest.mark.parametrize(("tiers", "field", "words"), [
    ([Tier(0, Decimal("1"))], "tiers[0].min_quantity", "at least 1"),
    ([Tier(1, Decimal("-0.01"))], "tiers[0].unit_price", "negative"),
    ([Tier(1, Decimal("1.00001"))], "tiers[0].unit_price", "4 decimal"),
    ([Tier(1, Decimal("5")), Tier(10, Decimal("4")), Tier(10, Decimal("3"))], "tiers[2].min_quantity", "overlaps"),
])
def test_bad_tiers_name_the_field(tiers: list[Tier], field: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        check_tiers(tiers)
    assert error.value.field == field and words in error.value.message


def test_validity_must_not_end_before_it_starts() -> None:
    check_validity(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(ValidationFailed) as error:
        check_validity(date(2026, 2, 1), date(2026, 1, 31))
    assert error.value.field == "valid_to"


def test_quantity_below_one_is_refused() -> None:
    with pytest.raises(ValidationFailed) as error:
        resolve_price([], 1, "EUR", 0, DAY)
    assert error.value.field == "quantity"

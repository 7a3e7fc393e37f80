"""Turnover arithmetic against hand-worked figures."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.analytics.domain import root_of, turnover


def test_turnover_and_days_of_inventory_by_hand() -> None:
    # 600 of goods sold in 30 days over an inventory of 1,000 opening and 200 closing: mean 600, turnover 1.0.
    t = turnover(Decimal(600), Decimal(1000), Decimal(200), 30)
    assert t.average_inventory == Decimal(600)
    assert t.ratio == Decimal("1.00")
    assert t.days_of_inventory == Decimal("30.0")


def test_nothing_sold_has_no_days_of_inventory_and_no_stock_has_no_turnover() -> None:
    assert turnover(Decimal(0), Decimal(100), Decimal(100), 90).days_of_inventory is None
    assert turnover(Decimal(0), Decimal(100), Decimal(100), 90).ratio == Decimal("0.00")
    assert turnover(Decimal(50), Decimal(0), Decimal(0), 90).ratio is None


def test_a_period_has_days() -> None:
    with pytest.raises(ValueError):
        turnover(Decimal(1), Decimal(1), Decimal(1), 0)


@given(st.integers(1, 10**6), st.integers(1, 10**6), st.integers(0, 10**6), st.integers(1, 365))
def test_days_of_inventory_times_turnover_is_the_period(cogs: int, opening: int, closing: int, days: int) -> None:
    t = turnover(Decimal(cogs), Decimal(opening), Decimal(closing), days)
    assert t.ratio is not None and t.days_of_inventory is not None
    exact = Decimal(days) * t.average_inventory / Decimal(cogs)
    assert abs(t.days_of_inventory - exact) <= Decimal("0.05")


def test_categories_roll_up_to_their_root() -> None:
    parents = {1: None, 2: 1, 3: 2, 4: None}
    assert [root_of(c, parents) for c in (1, 2, 3, 4, None)] == [1, 1, 1, 4, None]
    assert root_of(5, {5: 6, 6: 5}) in (5, 6)  # a cycle ends instead of looping

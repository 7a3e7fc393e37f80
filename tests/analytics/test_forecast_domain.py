"""The demand forecast's arithmetic, by hand: a flat history forecasts itself with no error, a rising one is
followed by Holt's trend, a short one is averaged and says its error is unknown, forecasts are never negative, and the
backtest's MAE / WAPE / bias are what the definitions give."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockyard.analytics import forecast_domain as fd


def test_a_flat_history_forecasts_itself_with_no_error() -> None:
    made = fd.forecast_demand([3] * 8)
    assert made.method == "ses"
    assert made.weekly == tuple([3.0] * fd.HORIZON_WEEKS)
    assert made.daily_rate == pytest.approx(3 / 7)
    assert made.backtest == fd.Backtest(weeks=2, mae=0.0, wape=0.0, bias=0.0)  # 8 weeks hold out 8 // 4 = 2


def test_a_rising_history_is_followed_by_the_damped_trend() -> None:
    made = fd.forecast_demand(list(range(5, 19)))  # 5, 6, ... 18: one more a week
    assert made.method == "holt_damped"
    assert made.weekly[0] == pytest.approx(19, abs=0.5)
    assert made.weekly[1] > made.weekly[0]
    assert made.backtest is not None and made.backtest.weeks == 4 and made.backtest.mae < 0.5


def test_a_short_history_is_averaged_and_its_error_is_unknown() -> None:
    made = fd.forecast_demand([2, 4])
    assert (made.method, made.weekly[0], made.backtest) == ("average", 3.0, None)
    assert fd.forecast_demand([]).weekly[0] == 0.0


def test_the_backtest_measures_mae_wape_and_bias() -> None:
    # actual 10, 0, 5; forecast 8, 1, 5: errors -2, +1, 0
    measured = fd.measure([10, 0, 5], [8.0, 1.0, 5.0])
    assert measured.mae == pytest.approx(1.0)  # (2 + 1 + 0) / 3
    assert measured.wape == pytest.approx(0.2)  # 3 / 15 units sold
    assert measured.bias == pytest.approx(-1 / 15)  # forecast 14 units for 15 sold
    assert fd.measure([0, 0], [1.0, 0.0]).wape is None  # nothing sold: a percentage means nothing


def test_weeks_without_sales_count_as_zero() -> None:
    days = {date(2026, 11, 2): 3, date(2026, 11, 4): 2, date(2026, 11, 17): 7, date(2026, 10, 1): 99}
    # weeks of 2 Nov (Mon) .. 16 Nov; 1 Oct lies before the first week and is left out
    assert fd.weekly_series(days, date(2026, 11, 2), date(2026, 11, 16)) == [5, 0, 7]


def test_negative_demand_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        fd.forecast_demand([3, -1, 2, 2])


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=0, max_size=20))
def test_forecasts_are_never_negative_and_cover_the_horizon(history: list[int]) -> None:
    made = fd.forecast_demand(history)
    assert len(made.weekly) == fd.HORIZON_WEEKS and all(w >= 0 for w in made.weekly)
    assert len(made.fitted) == len(history)
    assert (made.backtest is None) == (len(history) < fd.MIN_WEEKS)

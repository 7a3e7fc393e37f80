"""Demand forecast per SKU and warehouse from weekly demand history, by exponential smoothing (statsmodels). No I/O.

Method, per series of weekly units (oldest first, the current unfinished week left out):
- fewer than MIN_WEEKS weeks: the plain average of the weeks there are ("average"), error unknown;
- otherwise both simple exponential smoothing ("ses") and Holt's linear trend, damped ("holt_damped", only from
  TREND_MIN_WEEKS weeks on) are fitted to all weeks but the last `holdout` ones and forecast them; the method with
  the smaller absolute error on those held-out weeks wins, is refitted to the whole history and forecasts ahead.
- The error shown is that backtest's: MAE (units a week), WAPE (sum of absolute errors / units actually sold; None
  when nothing sold in the held-out weeks) and bias ((forecast - actual) / actual, > 0: forecast too high).
Forecasts are never negative (a week cannot sell -2 units).
"""

import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MIN_WEEKS = 4
TREND_MIN_WEEKS = 10
HORIZON_WEEKS = 12


@dataclass(frozen=True)
class Backtest:
    weeks: int  # how many held-out weeks the error is measured on
    mae: float
    wape: float | None
    bias: float | None


@dataclass(frozen=True)
class Forecast:
    method: str  # "average", "ses" or "holt_damped"
    history_weeks: int
    weekly: tuple[float, ...]  # units per week, for the next HORIZON_WEEKS weeks
    fitted: tuple[float | None, ...]  # the method's one-step-ahead fit of each history week (None: not fitted)
    backtest: Backtest | None  # None: too little history to measure

    @property
    def daily_rate(self) -> float:
        """Units a day over the next four weeks: what replenishment uses as the sales velocity."""
        return sum(self.weekly[:4]) / 28


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_series(units_by_day: dict[date, int], first_week: date, last_week: date) -> list[int]:
    """Units per week from `first_week` to `last_week` (Mondays, both included), zero for weeks without demand."""
    weeks: dict[date, int] = {}
    for day, units in units_by_day.items():
        week = week_start(day)
        if first_week <= week <= last_week:
            weeks[week] = weeks.get(week, 0) + units
    out, week = [], first_week
    while week <= last_week:
        out.append(weeks.get(week, 0))
        week += timedelta(days=7)
    return out


def _fit(method: str, history: list[int]) -> Any:
    import numpy as np  # statsmodels and numpy take seconds to import: only when a forecast is made
    from statsmodels.tsa.holtwinters import ExponentialSmoothing, SimpleExpSmoothing

    y = np.asarray(history, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes and log(0) in the information criteria of flat series
        if method == "ses":
            return SimpleExpSmoothing(y, initialization_method="estimated").fit()
        return ExponentialSmoothing(y, trend="add", damped_trend=True, initialization_method="estimated").fit()


def _ahead(model: Any, steps: int) -> list[float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [max(0.0, float(v)) for v in model.forecast(steps)]


def holdout_weeks(history_weeks: int) -> int:
    return 4 if history_weeks >= 12 else max(1, history_weeks // 4)


def measure(actual: list[int], predicted: list[float]) -> Backtest:
    errors = [p - a for a, p in zip(actual, predicted, strict=True)]
    sold = sum(actual)
    return Backtest(len(actual), sum(abs(e) for e in errors) / len(errors),
                    sum(abs(e) for e in errors) / sold if sold else None,
                    sum(errors) / sold if sold else None)


def forecast_demand(history: list[int], horizon: int = HORIZON_WEEKS) -> Forecast:
    if any(units < 0 for units in history):
        raise ValueError("weekly demand cannot be negative")
    n = len(history)
    if n < MIN_WEEKS:
        mean = sum(history) / n if n else 0.0
        return Forecast("average", n, tuple([mean] * horizon), tuple([None] * n), None)
    if not any(history):  # nothing ever sold: nothing to smooth
        return Forecast("ses", n, tuple([0.0] * horizon), tuple([0.0] * n), measure(history[-holdout_weeks(n):],
                                                                                  [0.0] * holdout_weeks(n)))
    held = holdout_weeks(n)
    train, test = history[:-held], history[-held:]
    methods = ["ses"] + (["holt_damped"] if n >= TREND_MIN_WEEKS else [])
    scored = []
    for method in methods:
        backtest = measure(test, _ahead(_fit(method, train), held))
        scored.append((backtest.mae, method, backtest))
    _, method, backtest = min(scored, key=lambda s: (s[0], s[1] != "ses"))  # a tie goes to the simpler method
    model = _fit(method, history)
    fitted = tuple(max(0.0, float(v)) for v in model.fittedvalues)
    return Forecast(method, n, tuple(_ahead(model, horizon)), fitted, backtest)

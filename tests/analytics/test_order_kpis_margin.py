"""Gross margin after shipping and discounts, by channel, against the hand-worked history of order_history.py."""

from decimal import Decimal

from stockyard.analytics import margin_kpis  # noqa: F401 - registers the KPI
from stockyard.analytics.kpi import KPIS, Period, Point
from stockyard.analytics.margin_kpis import net_of_tax
from tests.analytics import order_history
from tests.analytics.order_history import PERIOD, W1, W2, History

history = order_history.history  # the shared fixture


def test_gross_margin_by_channel_from_journal_cogs_else_move_cost(history: History) -> None:
    result = history.compute("gross-margin")
    d = Decimal
    # Web shop (prices include 20 % tax): SO-1 36.00/1.2 = 30 + shipping 6/1.2 = 5, COGS 14 (journal; its moves
    # would say 10), carrier 4 → 17; SO-2 ships 2 of 4 at 12 → 20, COGS 2 × 5.00 (moves), carrier 3 → 7; SO-7 21.60
    # (10 % off) /1.2 = 18 + 3.60/1.2 = 3, COGS 2 × 5.50 (the average receipt cost: its move has none), carrier 2.50.
    # Trade (net prices): SO-3 45 + 5 shipping, COGS 24, carrier 6 (the cancelled parcel is left out); SO-4 15,
    # COGS 8 (the 100.00 posted in February is outside), carrier 2; SO-8 10, COGS 5 (moves), carrier 1.50.
    assert result.breakdown.rows == [
        ("Trade", d("70.00"), d("5.00"), d("37.00"), d("9.50"), d("28.50"), 38.0),
        ("Web shop", d("68.00"), d("8.00"), d("35.00"), d("9.50"), d("31.50"), 41.45),
    ]
    assert result.value == 39.74  # 60 / 151
    # W1: SO-1, SO-2, SO-8: (65 − 29 − 8.50) / 65; W2: SO-3, SO-4, SO-7: (86 − 43 − 10.50) / 86.
    assert result.series == [Point(W1, 42.31), Point(W2, 37.79)]
    sources = {row[0]: (row[6], row[8]) for row in result.transactions.rows}
    assert sources == {"SO-1": ("journal", d("17.00")), "SO-2": ("stock moves", d("7.00")),
                       "SO-3": ("journal", d("20.00")), "SO-4": ("journal", d("5.00")),
                       "SO-7": ("stock moves", d("7.50")), "SO-8": ("stock moves", d("3.50"))}
    assert "COGS" in result.note


def test_net_of_tax() -> None:
    assert net_of_tax(Decimal("12.00"), Decimal("0.2"), True) == Decimal(10)
    assert net_of_tax(Decimal("12.00"), Decimal("0.2"), False) == Decimal("12.00")


def test_gross_margin_of_another_tenant_is_empty(history: History) -> None:
    with history.other.uow() as uow:
        result = KPIS["gross-margin"].compute(uow, PERIOD)
    assert result.value is None
    assert result.breakdown.rows == []


def test_gross_margin_of_one_channel(history: History) -> None:
    result = history.compute("gross-margin", Period(PERIOD.start, PERIOD.end, PERIOD.bucket, {"channel": "Trade"}))
    assert result.value == 38.0
    # W1: SO-8 (10 − 5 − 1.50) / 10; W2: SO-3 and SO-4 (65 − 32 − 8) / 65.
    assert result.series == [Point(W1, 35.0), Point(W2, 38.46)]
    assert [row[0] for row in result.transactions.rows] == ["SO-3", "SO-4", "SO-8"]

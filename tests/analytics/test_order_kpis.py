"""OTIF, order cycle time and backorders against the hand-worked history of tests/analytics/order_history.py."""

from datetime import date, datetime

from stockyard.analytics import backorder_kpis, order_kpis  # noqa: F401 - registers the KPIs
from stockyard.analytics.kpi import KPIS, Period, Point
from tests.analytics import order_history
from tests.analytics.order_history import PERIOD, W1, W2, History

history = order_history.history  # the shared fixture


def test_otif_counts_orders_promised_in_the_period_that_arrived_complete_by_the_promise(history: History) -> None:
    result = history.compute("otif")
    # Due in the period: SO-1 (promised 03-05, delivered 03-04: yes), SO-2 (03-04; 2 of 4 units shipped 03-03 and
    # not reported delivered, so due 03-05 by transit days: no), SO-3 (no quote: placed Mon 03-09 + 1 + 2 working
    # days = Thu 03-12; delivered 03-13: late), SO-4 (03-11, delivered 03-11: yes), SO-7 (03-13, delivered 03-12: yes).
    # SO-8 is promised before the period, the cancelled SO-12/SO-16 and the rest after it.
    assert result.value == 60.0  # 3 of 5
    assert result.series == [Point(W1, 50.0), Point(W2, 66.67)]  # by promised date: 1 of 2, 2 of 3
    assert result.breakdown.rows == [("Trade", 2, 1, 50.0), ("Web shop", 3, 2, 66.67)]
    outcome = {row[0]: (row[3], row[5], row[6], row[7]) for row in result.transactions.rows}
    assert outcome == {
        "SO-1": (date(2026, 3, 5), 3, date(2026, 3, 4), "on time in full"),
        "SO-2": (date(2026, 3, 4), 0, None, "not in full (2 of 4 units)"),
        "SO-3": (date(2026, 3, 12), 0, date(2026, 3, 13), "late"),
        "SO-4": (date(2026, 3, 11), 1, date(2026, 3, 11), "on time in full"),
        "SO-7": (date(2026, 3, 13), 2, date(2026, 3, 12), "on time in full"),
    }
    assert "promised" in result.note


def test_order_cycle_time_by_step_median_and_p90(history: History) -> None:
    result = history.compute("order-cycle-time")
    steps = {row[0]: row[1:] for row in result.breakdown.rows}
    # placed → paid: SO-1 0.5 h, SO-7 0.1 h (SO-4 skips payment; SO-8 was paid before the period).
    assert steps["placed → paid"] == (2, 0.3, 0.46)
    assert steps["paid → allocated"] == (2, 0.7, 0.86)  # 0.5, 0.9
    # allocated → picking: 1, 2, 4 and SO-8's 68 h (allocated 02-27 12:00, picking 03-02 08:00); p90 = 4 + 0.7 × 64.
    assert steps["allocated → picking"] == (4, 3.0, 48.8)
    assert steps["picking → packed"] == (4, 1.75, 6.43)  # 0.5, 1.5, 2, 8.33
    assert steps["packed → shipped"] == (4, 18.75, 21.6)  # 2, 18, 19.5, 22.5
    assert steps["shipped → delivered"] == (3, 26.0, 30.0)  # 26, 26, 31
    assert steps["placed → shipped"] == (4, 25.0, 63.73)  # 24, 25, 25, 80.33
    assert result.value == 25.0
    # Bucketed by when the order shipped: W1 SO-8 (80.33) and SO-1 (25); W2 SO-4 (24) and SO-7 (25).
    assert result.series == [Point(W1, 52.67), Point(W2, 24.5)]
    assert [p.value for p in result.extra_series["allocated → picking"]] == [36.0, 1.5]
    assert ("SO-8", "allocated → picking", datetime(2026, 2, 27, 12), datetime(2026, 3, 2, 8), 68.0) \
        in result.transactions.rows
    assert len(result.transactions.rows) == 19  # the steps counted above: 2 + 2 + 4 + 4 + 4 + 3


def test_backorders_open_at_each_bucket_end_with_their_age(history: History) -> None:
    result = history.compute("backorders")
    # End of W1 (03-09 00:00): SO-10's SKU-001 is 3 short (2 of 5 allocated 03-03, the rest only 03-10) and SO-11's
    # 4 units wait since 02-20. End of W2: SO-11 still, and SO-13 (1 of 3 allocated; the released allocation does not
    # count); SO-12 was short 03-11 but cancelled 03-13.
    assert result.series == [Point(W1, 7.0), Point(W2, 6.0)]
    assert result.extra_series["lines"] == [Point(W1, 2.0), Point(W2, 2.0)]
    assert result.value == 6.0
    assert result.breakdown.rows == [("0-7 days", 1, 2), ("8-14 days", 0, 0), ("15-30 days", 1, 4),
                                     ("over 30 days", 0, 0)]
    assert result.transactions.rows == [
        ("SO-11", "SKU-002", 4, 4, datetime(2026, 2, 20, 10, 1), 23, date(2026, 3, 20)),
        ("SO-13", "SKU-002", 3, 2, datetime(2026, 3, 12, 10), 3, None),
    ]


def test_order_kpis_of_a_quiet_period_or_another_tenant_measure_nothing(history: History) -> None:
    quiet = Period(date(2025, 6, 2), date(2025, 6, 8), "day")
    for key in ("otif", "order-cycle-time"):
        result = history.compute(key, quiet)
        assert result.value is None
        assert [p.value for p in result.series] == [None] * 7
        assert result.transactions.rows == []
    with history.other.uow() as uow:
        assert KPIS["backorders"].compute(uow, PERIOD).value == 0.0
        assert KPIS["otif"].compute(uow, PERIOD).value is None


def test_order_kpis_filtered_for_a_drill_down(history: History) -> None:
    trade = history.compute("otif", _with(channel="Trade"))
    assert trade.value == 50.0  # SO-3 late, SO-4 on time
    assert trade.breakdown.rows == [("Trade", 2, 1, 50.0)]
    assert KPIS["otif"].filters == {"channel": ()} and trade.links == {"channel": "channel"}
    picking = history.compute("order-cycle-time", _with(step="allocated → picking"))
    assert [row[0] for row in picking.transactions.rows] == ["SO-1", "SO-4", "SO-7", "SO-8"]
    old = history.compute("backorders", _with(age="15-30 days"))
    assert old.value == 6.0 and [row[0] for row in old.transactions.rows] == ["SO-11"]


def _with(**filters: str) -> Period:
    return Period(PERIOD.start, PERIOD.end, PERIOD.bucket, filters)

"""The anomaly detectors against hand-computed figures: the robust z-score of a stock movement, the binomial z-score
of a day's cancellation rate, and a day's gross margin against the median of the days before."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D

from stockyard.analytics import anomaly_domain as ad

T0 = datetime(2026, 11, 1, 9, 0)


def move(move_id: int, quantity: int, *, days: int = 0, sku: str = "BRK-123", reason: str = "write_off") -> ad.MoveFact:
    return ad.MoveFact(move_id, sku, "MAIN", reason, quantity, T0 + timedelta(days=days))


# history sorted 0 1 2 2 2 4 5 6 8: median 2; deviations 0 0 0 1 2 2 3 4 6: MAD 2
HISTORY = [2, 6, 1, 2, 5, 2, 8, 0, 4]


def test_a_write_off_far_above_its_usual_quantity_fires_with_a_reason() -> None:
    anomaly = ad.unusual_move(move(99, 40, days=30), HISTORY)
    assert anomaly is not None
    assert (anomaly.kind, anomaly.fingerprint, anomaly.day) == (ad.STOCK_MOVEMENT, "move:99", date(2026, 12, 1))
    assert anomaly.figures["median"] == "2" and anomaly.figures["mad"] == "2" and anomaly.figures["score"] == 19.0
    assert anomaly.reason == ("Write-off of 40 units of BRK-123 at MAIN is 19.0× the median absolute deviation above "
                              "its usual 2 units (median of the previous 9 write-offs).")


def test_the_threshold_and_the_history_needed() -> None:
    assert ad.unusual_move(move(1, 11), HISTORY) is None  # (11 - 2) / 2 = 4.5 MADs
    assert ad.unusual_move(move(1, 12), HISTORY) is not None  # exactly 5
    assert ad.unusual_move(move(1, 400), [2, 2, 2, 2]) is None  # four earlier write-offs are too few to judge
    flat = ad.unusual_move(move(1, 9), [3, 3, 3, 3, 3])  # no spread at all: one unit is the scale
    assert flat is not None and flat.figures["score"] == 6.0


def test_each_movement_is_judged_against_the_earlier_ones_of_its_kind_sku_and_warehouse() -> None:
    earlier = [move(i + 1, q, days=i) for i, q in enumerate(HISTORY)]
    earlier += [move(100 + i, 50, days=i, reason="move") for i in range(9)]  # big moves are usual; not write-offs
    scanned = [move(20, 40, days=20), move(21, 50, days=20, reason="move"), move(22, 40, days=20, sku="OIL-1"),
               move(23, 40, days=200)]  # 200 days later the earlier write-offs are out of the 90-day window
    found = ad.unusual_moves(scanned, earlier)
    assert [a.fingerprint for a in found] == ["move:20"]


def day(n: int, placed: int, cancelled: int) -> ad.DayOrders:
    return ad.DayOrders(date(2026, 12, 1) + timedelta(days=n), placed, cancelled)


BASELINE = [day(-i, 10, 1 if i % 2 else 0) for i in range(1, 29)]  # 280 orders, 14 cancelled: 5%


def test_a_day_with_four_times_the_usual_cancellation_rate_fires() -> None:
    anomaly = ad.cancellation_spike(day(0, 40, 8), BASELINE)
    assert anomaly is not None and anomaly.fingerprint == "cancellations:2026-12-01"
    # (0.20 - 0.05) / sqrt(0.05 * 0.95 / 40) = 0.15 / 0.03446 = 4.35
    assert anomaly.figures == {"placed": 40, "cancelled": 8, "rate_pct": 20.0, "baseline_pct": 5.0, "baseline_days": 28,
                               "baseline_orders": 280, "z": 4.4}
    assert anomaly.reason.startswith("8 of the 40 orders placed on 2026-12-01 were cancelled (20.0%), against 5.0% "
                                     "over the previous 28 days: 4.4 standard deviations")


def test_ordinary_days_and_thin_baselines_do_not_fire() -> None:
    assert ad.cancellation_spike(day(0, 40, 4), BASELINE) is None  # 10%: z = 1.45
    assert ad.cancellation_spike(day(0, 4, 2), BASELINE) is None  # two cancellations are too few to call a spike
    assert ad.cancellation_spike(day(0, 40, 8), BASELINE[:1]) is None  # 10 orders of history
    found = ad.cancellation_spikes([day(0, 40, 8), day(1, 10, 0)], BASELINE)
    assert [a.day for a in found] == [date(2026, 12, 1)]


COSTS = [70, 68, 72, 70, 71, 69, 70, 70, 73, 67]  # margins 30 32 28 30 29 31 30 30 27 33: median 30, MAD 1


def margin(n: int, cost: int, revenue: int = 100) -> ad.DayMargin:
    return ad.DayMargin("channel:1", "channel Web shop", date(2026, 12, 1) + timedelta(days=n), D(revenue), D(cost))


def test_a_margin_fifteen_points_below_its_median_fires() -> None:
    baseline = [margin(-i - 1, c) for i, c in enumerate(COSTS)]
    anomaly = ad.margin_drop(margin(0, 85), baseline)
    assert anomaly is not None and anomaly.fingerprint == "margin:channel:1:2026-12-01"
    assert (anomaly.figures["margin_pct"], anomaly.figures["baseline_pct"], anomaly.figures["drop_points"]) == (
        "15.0", "30.0", "15.0")
    assert anomaly.reason == ("Gross margin on channel Web shop was 15.0% on 2026-12-01 (100.00 revenue, 85.00 cost "
                              "of goods), 15.0 points below its usual 30.0% (median of the previous 10 days with "
                              "sales), 15.0× their median absolute deviation.")
    assert ad.margin_drop(margin(0, 78), baseline) is None  # 8 points down
    assert ad.margin_drop(margin(0, 85), baseline[:6]) is None  # six days are too few to know the usual
    assert [a.day for a in ad.margin_drops([margin(0, 85), margin(1, 70)], baseline)] == [date(2026, 12, 1)]

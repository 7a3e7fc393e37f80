"""Pick/pack throughput and the exception queue against the hand-worked history of order_history.py."""

from datetime import datetime

from stockyard.analytics import exception_kpis, ops_kpis  # noqa: F401 - registers the KPIs
from stockyard.analytics.kpi import KPIS, Period, Point
from tests.analytics import order_history
from tests.analytics.order_history import PERIOD, W1, W2, History

history = order_history.history  # the shared fixture


def test_pick_and_pack_throughput_per_operator_working_hour(history: History) -> None:
    result = history.compute("pick-pack-throughput")
    # Alice picks 3 lines within 03-02 13:00-14:00; Bob 4 lines (his line found empty does not count) in the hours
    # 03-09 10:00, 11:00 and 03-10 09:00. Carol packs SO-1 and SO-8 in 03-02 16:00 and SO-7 at 03-10 10:30; Bob SO-4.
    assert result.breakdown.rows == [("Alice", 3, 4, 1, 3.0, 0, 0, None), ("Bob", 4, 9, 3, 1.33, 1, 1, 1.0),
                                     ("Carol", 0, 0, 0, None, 3, 2, 1.5)]
    assert result.value == 1.75  # 7 lines / 4 picking hours
    assert result.series == [Point(W1, 3.0), Point(W2, 1.33)]
    assert result.extra_series["orders packed per packing hour"] == [Point(W1, 2.0), Point(W2, 1.0)]
    replenishment = result.transactions.rows[7]
    assert replenishment[:3] == (datetime(2026, 3, 9, 11, 45), "Bob", "pick")
    assert str(replenishment[3]).startswith("replenishment list ") and replenishment[4:] == ("SKU-001", 5)


def test_exception_queue_open_at_each_bucket_end_by_kind(history: History) -> None:
    result = history.compute("exception-queue")
    # End of W1 (03-09 00:00): SO-14 on hold (03-04 → 03-10), the open short pick (03-03), the dead letter (03-08);
    # SO-16's failed payment was settled by its cancellation 03-06. End of W2 adds SO-15's hold (03-12), SO-17's failed
    # payment, the shipment exception (03-10) and the failed webhook (last attempt 03-14), and SO-14 is released.
    # The site order A-77 refused 03-05 counts at the end of W1; it was taken 03-11, so not at the end of W2.
    # The resolved short pick and the other tenant's dead letter never count.
    assert result.series == [Point(W1, 4.0), Point(W2, 6.0)]
    assert result.value == 6.0
    assert result.breakdown.rows == [("order on hold", 1, 2), ("failed payment", 1, 2), ("short pick", 1, 1),
                                     ("shipment exception", 1, 1), ("dead letter", 1, 1), ("failed webhook", 1, 1),
                                     ("refused channel order", 0, 1)]
    assert result.extra_series["failed payment"] == [Point(W1, 0.0), Point(W2, 1.0)]
    assert result.extra_series["refused channel order"] == [Point(W1, 1.0), Point(W2, 0.0)]
    held = [row for row in result.transactions.rows if row[0] == "order on hold"]
    assert held[0][1:4] == ("SO-14", datetime(2026, 3, 4, 10), datetime(2026, 3, 10, 9))
    refused = [row for row in result.transactions.rows if row[0] == "refused channel order"]
    assert refused == [("refused channel order", "site order A-77", datetime(2026, 3, 5, 10),
                        datetime(2026, 3, 11, 9), "lines[0].sku: unknown SKU NO-SUCH")]
    assert len(result.transactions.rows) == 9


def test_ops_kpis_of_another_tenant(history: History) -> None:
    with history.other.uow() as uow:
        assert KPIS["exception-queue"].compute(uow, PERIOD).value == 1.0  # only its own dead letter
        assert KPIS["pick-pack-throughput"].compute(uow, PERIOD).value is None


def test_ops_kpis_filtered(history: History) -> None:
    def only(**filters: str) -> Period:
        return Period(PERIOD.start, PERIOD.end, PERIOD.bucket, filters)

    bob = history.compute("pick-pack-throughput", only(operator="Bob"))
    assert bob.value == 1.33  # 4 lines in 3 hours
    assert len(bob.transactions.rows) == 5  # 4 picks and a pack
    dead = history.compute("exception-queue", only(kind="dead letter"))
    assert dead.value == 1.0
    assert dead.series == [Point(W1, 1.0), Point(W2, 1.0)]
    assert [row[0] for row in dead.transactions.rows] == ["dead letter"]

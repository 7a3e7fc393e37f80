"""Return rate, return reasons and refund cycle time against the hand-worked history of order_history.py."""

from datetime import datetime

from stockyard.analytics import returns_kpis  # noqa: F401 - registers the KPIs
from stockyard.analytics.kpi import KPIS, Period, Point
from tests.analytics import order_history
from tests.analytics.order_history import PERIOD, W1, W2, History

history = order_history.history  # the shared fixture


def test_return_rate_by_sku_and_reason(history: History) -> None:
    result = history.compute("return-rate")
    # Shipped in the period (the cancelled parcel left out): SKU-001 2 + 2 + 2 + 1 = 7, SKU-002 1 + 3 + 1 = 5.
    # Received back: RMA-4 1 × SKU-001 (03-04), RMA-1 1 × SKU-001 (03-09), RMA-2 2 × SKU-002 (03-13); RMA-3 and
    # RMA-5 never came back.
    assert result.value == 33.33  # 4 / 12
    assert result.series == [Point(W1, 16.67), Point(W2, 50.0)]  # 1 / 6, 3 / 6
    assert result.breakdown.columns[4:] == ("returned: damaged", "returned: no_longer_needed", "returned: wrong_item")
    assert result.breakdown.rows == [("SKU-001", 7, 2, 28.57, 1, 1, 0), ("SKU-002", 5, 2, 40.0, 0, 0, 2)]
    assert [row[0] for row in result.transactions.rows] == ["RMA-4", "RMA-1", "RMA-2"]


def test_return_reasons_count_every_return_requested_in_the_period(history: History) -> None:
    result = history.compute("return-reasons")
    assert result.value == 5.0
    assert result.series == [Point(W1, 3.0), Point(W2, 2.0)]
    assert result.breakdown.rows == [("damaged", 2, 2, 40.0), ("no_longer_needed", 1, 1, 20.0),
                                     ("not_as_described", 1, 1, 20.0), ("wrong_item", 1, 2, 20.0)]
    assert [p.value for p in result.extra_series["damaged"]] == [2.0, 0.0]
    assert ("RMA-3", "SO-2", "damaged", "requested", 1, datetime(2026, 3, 6, 9)) in result.transactions.rows


def test_refund_cycle_time_from_receipt_or_request(history: History) -> None:
    result = history.compute("refund-cycle-time")
    # Received → refunded: RMA-4 1.5 h, RMA-2 6 h, RMA-5 24 h (refunded without a receipt: from its request),
    # RMA-1 30 h. Requested → refunded: 24, 27.5, 28, 125 h.
    assert result.value == 15.0
    assert result.breakdown.rows == [("received → refunded", 4, 15.0, 28.2),
                                     ("requested → refunded", 4, 27.75, 95.9)]
    assert result.series == [Point(W1, 1.5), Point(W2, 24.0)]  # by refund time: RMA-4 | RMA-1, RMA-5, RMA-2
    assert result.extra_series["requested → refunded"] == [Point(W1, 27.5), Point(W2, 28.0)]
    assert [row[0] for row in result.transactions.rows] == ["RMA-4", "RMA-1", "RMA-5", "RMA-2"]


def test_returns_of_another_tenant_are_not_seen(history: History) -> None:
    with history.other.uow() as uow:
        assert KPIS["return-reasons"].compute(uow, PERIOD).value == 0.0
        assert KPIS["return-rate"].compute(uow, PERIOD).value is None


def test_returns_kpis_filtered(history: History) -> None:
    def only(**filters: str) -> Period:
        return Period(PERIOD.start, PERIOD.end, PERIOD.bucket, filters)

    sku = history.compute("return-rate", only(sku="SKU-002"))
    assert sku.value == 40.0  # 2 of 5
    assert sku.series == [Point(W1, 0.0), Point(W2, 50.0)]  # 0 of 1, 2 of 4
    assert history.compute("return-reasons", only(reason="damaged")).value == 2.0
    assert history.compute("refund-cycle-time", only(reason="wrong_item")).value == 6.0

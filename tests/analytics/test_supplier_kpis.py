"""Supplier on-time delivery and lead-time variance against the hand-worked history of order_history.py."""

from datetime import date

from stockyard.analytics import supplier_kpis  # noqa: F401 - registers the KPIs
from stockyard.analytics.kpi import KPIS, Period, Point
from tests.analytics import order_history
from tests.analytics.order_history import PERIOD, W1, W2, History

history = order_history.history  # the shared fixture


def test_supplier_on_time_delivery_per_receipt_line(history: History) -> None:
    result = history.compute("supplier-on-time")
    # GR-1 03-05 vs PO-1's 03-06 (on time), GR-3 03-09 vs PO-2's 03-09 (on time), GR-2 03-12 vs its line's own
    # 03-10 (late), GR-4 03-13 vs 03-09 (late); GR-5 came before the period, GR-6 is blind (no order).
    assert result.value == 50.0
    assert result.series == [Point(W1, 100.0), Point(W2, 33.33)]
    assert result.breakdown.rows == [("Acme Supply", 2, 1, 50.0, 15), ("Bolt & Co", 2, 1, 50.0, 20)]
    assert [(row[2], row[8], row[9]) for row in result.transactions.rows] == [
        ("GR-1", -1, "yes"), ("GR-3", 0, "yes"), ("GR-2", 2, "no"), ("GR-4", 4, "no")]


def test_supplier_lead_time_variance(history: History) -> None:
    result = history.compute("supplier-lead-time-variance")
    assert result.value == 1.25  # (−1 + 0 + 2 + 4) / 4
    assert result.series == [Point(W1, -1.0), Point(W2, 2.0)]
    # Acme: planned 5 and 9 days (sent 03-01), actual 4 and 11; late −1 and 2: sd = √4.5. Bolt: planned 7, actual 7
    # and 11; late 0 and 4: sd = √8.
    assert result.breakdown.rows == [("Acme Supply", 2, 7.0, 7.5, 0.5, 2.12, 2),
                                     ("Bolt & Co", 2, 7.0, 9.0, 2.0, 2.83, 4)]
    assert result.transactions.rows[0][5:8] == (date(2026, 3, 1), date(2026, 3, 6), date(2026, 3, 5))


def test_supplier_kpis_without_receipts(history: History) -> None:
    empty = Period(date(2026, 1, 5), date(2026, 1, 11))
    assert history.compute("supplier-on-time", empty).value is None
    with history.other.uow() as uow:
        assert KPIS["supplier-lead-time-variance"].compute(uow, PERIOD).breakdown.rows == []


def test_supplier_kpis_of_one_supplier(history: History) -> None:
    bolt = Period(PERIOD.start, PERIOD.end, PERIOD.bucket, {"supplier": "Bolt & Co"})
    on_time = history.compute("supplier-on-time", bolt)
    assert on_time.value == 50.0
    assert on_time.series == [Point(W1, None), Point(W2, 50.0)]  # GR-3 (03-09) and GR-4 both fall in W2
    assert history.compute("supplier-lead-time-variance", bolt).value == 2.0

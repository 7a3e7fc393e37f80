"""Each inventory KPI against the hand-computed figures of the history in tests/analytics/history.py
(period 2025-01-13 .. 2025-02-11, 30 days, by week: buckets start on Mondays 13, 20, 27 Jan, 3 and 10 Feb)."""

from collections.abc import Callable
from decimal import Decimal

import pytest

from stockyard.analytics.inventory_kpis import (
    aged_inventory,
    days_of_inventory,
    fill_rate,
    inventory_accuracy,
    inventory_turnover,
    stock_out_frequency,
)
from stockyard.analytics.kpi import KpiResult, Period
from stockyard.analytics.kpi_pages import overview
from stockyard.analytics.registry import all_kpis
from stockyard.core.actor import Actor
from stockyard.core.errors import PermissionDenied
from stockyard.core.uow import UnitOfWork, read
from tests.analytics.history import END, START, History

D = Decimal
Compute = Callable[[UnitOfWork, Period], KpiResult]


@pytest.fixture
def history(inventory_history: History) -> History:
    return inventory_history


def compute(history: History, kpi: Compute, **filters: str) -> KpiResult:
    return read(history.ctx.engine, history.ctx.actor, kpi, Period(START, END, "week", filters))


def values(result: KpiResult) -> list[float | None]:
    return [p.value for p in result.series]


def test_turnover_is_fifo_cogs_over_average_inventory_at_cost(history: History) -> None:
    # Opening (13 Jan): SKU-001 10 @ 4 + SKU-002 4 @ 10 + 2 @ 10 + SKU-003 3 @ 2 = 106.
    # COGS: order A 10 @ 4 + 2 @ 6 = 52, order B 4 @ 10 + 1 @ 10 = 50: 102 (the count's loss of one is not COGS).
    # Closing (11 Feb): SKU-001 7 @ 6 + SKU-002 1 @ 10 + SKU-003 3 @ 2 = 58. Average 82: 102 / 82 = 1.24.
    result = compute(history, inventory_turnover)
    assert result.value == 1.24
    assert result.breakdown.rows == [("Parts", D("102.00"), D("106.00"), D("58.00"), D("82.00"), D("1.24"),
                                      D("24.1"))]
    # Only the week of 27 Jan sold; the other weeks turned nothing.
    assert values(result)[:2] == [0.0, 0.0] and values(result)[3:] == [0.0, 0.0]
    # Week of 27 Jan: opening 106 + 60 (20 Jan receipt) = 166, closing 166 − 102 = 64; 102 / 115 = 0.89.
    assert values(result)[2] == 0.89
    shipped = [(row[1], row[2], row[3], row[5]) for row in result.transactions.rows]
    assert shipped == [("SKU-001", "MAIN", 12, D("52.00")), ("SKU-002", "MAIN", 4, D("40.00")),
                       ("SKU-002", "NORTH", 1, D("10.00"))]


def test_turnover_by_warehouse_and_by_sku_and_filtered(history: History) -> None:
    by_warehouse = compute(history, inventory_turnover, by="warehouse")
    # MAIN: COGS 92, opening 80, closing 42, mean 61 → 1.51, 30 × 61 / 92 = 19.9 days.
    # NORTH: COGS 10, opening 26, closing 16, mean 21 → 0.48, 30 × 21 / 10 = 63 days.
    assert [(r[0], r[5], r[6]) for r in by_warehouse.breakdown.rows] == [("MAIN", D("1.51"), D("19.9")),
                                                                        ("NORTH", D("0.48"), D("63.0"))]
    assert by_warehouse.links == {"Warehouse": "warehouse"}
    by_sku = compute(history, inventory_turnover, by="sku")
    # SKU-001: 52 / ((40 + 42) / 2) = 1.27; SKU-002: 50 / ((60 + 10) / 2) = 1.43; SKU-003 sold nothing: 0.
    assert [(r[0], r[5]) for r in by_sku.breakdown.rows] == [("SKU-001", D("1.27")), ("SKU-002", D("1.43")),
                                                            ("SKU-003", D("0.00"))]
    only = compute(history, inventory_turnover, sku="SKU-002", warehouse="MAIN")
    # SKU-002 in MAIN: COGS 40, opening 40, closing 0: 40 / 20 = 2.
    assert only.value == 2.0 and [r[1] for r in only.transactions.rows] == ["SKU-002"]


def test_days_of_inventory(history: History) -> None:
    result = compute(history, days_of_inventory)
    assert result.value == 24.1  # 30 days × 82 / 102
    # Week of 27 Jan: 7 days × 115 / 102 = 7.9; weeks without sales have no figure (nothing to cover).
    assert values(result) == [None, None, 7.9, None, None]


def test_fill_rate_counts_lines_and_units_on_the_first_dispatch(history: History) -> None:
    result = compute(history, fill_rate)
    # Order A's line went whole; order B's first dispatch carried 4 of 5: lines 1 / 2, units 16 / 17 = 94.1%.
    assert result.value == 50.0
    assert values(result) == [None, None, 50.0, None, None]
    assert [p.value for p in result.extra_series["Units %"]][2] == 94.1
    assert sorted(result.breakdown.rows) == [("SKU-001", 1, 1, 100.0, 12, 12, 100.0),
                                             ("SKU-002", 1, 0, 0.0, 5, 4, 80.0)]
    assert [(r[0], r[2], r[5]) for r in result.transactions.rows] == [(history.order_a, "SKU-001", "yes"),
                                                                       (history.order_b, "SKU-002", "no")]
    assert compute(history, fill_rate, sku="SKU-001").value == 100.0


def test_stock_out_frequency_from_the_ledger(history: History) -> None:
    result = compute(history, stock_out_frequency)
    # Four SKU-warehouse pairs stocked all 30 days = 120 SKU-days; SKU-002 in MAIN is out from 27 Jan to 11 Feb:
    # 16 days. 16 / 120 = 13.3%. By week: 0 of 28, 0 of 28, then 7, 7 and 2 days out of 28, 28 and 8.
    assert result.value == 13.3
    assert values(result) == [0.0, 0.0, 25.0, 25.0, 25.0]
    assert result.breakdown.rows[0] == ("SKU-002", "MAIN", 30, 16, 53.3)
    assert [r[:2] for r in result.breakdown.rows[1:]] == [("SKU-001", "MAIN"), ("SKU-002", "NORTH"),
                                                          ("SKU-003", "NORTH")]
    assert result.transactions.rows == [("SKU-002", "MAIN", START.replace(day=27), END, 16)]
    assert compute(history, stock_out_frequency, warehouse="NORTH").value == 0.0


def test_aged_inventory_buckets_fifo_layers(history: History) -> None:
    result = compute(history, aged_inventory)
    # On 11 Feb: SKU-001 7 @ 6 from 20 Jan (22 days), SKU-002 1 @ 10 from 6 Jan (36 days) in NORTH,
    # SKU-003 3 @ 2 from 1 Oct (133 days). Value 58; 90+ days: 6 / 58 = 10.3%.
    assert result.value == 10.3
    assert result.breakdown.rows == [("0-30 days", 7, D("42.00"), 72.4), ("31-60 days", 1, D("10.00"), 17.2),
                                     ("61-90 days", 0, D("0.00"), 0.0), ("90+ days", 3, D("6.00"), 10.3)]
    # End of the first week (19 Jan): 6 of 106 = 5.7%; after the 20 Jan receipt: 6 of 166 = 3.6%.
    assert values(result)[:2] == [5.7, 3.6]
    assert [(r[0], r[3], r[4]) for r in result.transactions.rows] == [
        ("SKU-003", 133, "90+ days"), ("SKU-002", 36, "31-60 days"), ("SKU-001", 22, "0-30 days")]
    assert compute(history, aged_inventory, warehouse="MAIN").value == 0.0


def test_inventory_accuracy_from_counts(history: History) -> None:
    result = compute(history, inventory_accuracy)
    # Two counted lines, one exact (SKU-002 in NORTH). Value: SKU-001 at its average receipt cost 5.00 × 8 = 40,
    # SKU-002 10.00 × 1 = 10: value-weighted 10 / 50 = 20%.
    assert result.value == 50.0
    assert [p.value for p in result.extra_series["Value-weighted %"]][3] == 20.0
    assert result.breakdown.rows == [("MAIN", 1, 0, 0.0, D("40.00"), D("0.00"), 0.0),
                                     ("NORTH", 1, 1, 100.0, D("10.00"), D("10.00"), 100.0)]
    assert [(r[4], r[5], r[6], r[7]) for r in result.transactions.rows] == [("SKU-001", 8, 7, -1),
                                                                          ("SKU-002", 1, 1, 0)]


def test_every_inventory_kpi_is_registered_and_needs_analytics_view(history: History) -> None:
    keys = {"inventory-turnover", "days-of-inventory", "fill-rate", "stock-out-frequency", "aged-inventory",
            "inventory-accuracy"}
    assert keys <= set(all_kpis())
    clerk = Actor(tenant_id=history.ctx.tenant_id, user_id=None, name="clerk",
                  permissions=frozenset({"inventory.view"}))
    with pytest.raises(PermissionDenied):
        read(history.ctx.engine, clerk, overview, Period(START, END))

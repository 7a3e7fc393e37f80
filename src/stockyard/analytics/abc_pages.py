"""What /erp/analytics/abc shows of an ABC report: its table (also the CSV) and the Pareto charts."""

from decimal import Decimal

from stockyard.analytics.abc import AbcReport
from stockyard.analytics.charts import as_image_src, bar_chart, line_chart
from stockyard.analytics.kpi import Table

CENT = Decimal("0.01")
PARETO_ITEMS = 40  # the chart shows the largest items; the table and the CSV list every one


def abc_table(report: AbcReport) -> Table:
    return Table(("Rank", "SKU", "Category", "Units shipped", "Consumption value", "Share %", "Cumulative %", "Class"),
                 [(r.rank, r.key, report.categories.get(r.key, ""), report.units.get(r.key, 0), r.value.quantize(
                     CENT), float(round(r.share, 1)), float(round(r.cumulative, 1)), r.cls) for r in report.rows])


def pareto_charts(report: AbcReport) -> tuple[str, str]:
    """Bars of each SKU's value, largest first, coloured by class; and the cumulative share of value."""
    rows = report.rows[:PARETO_ITEMS]
    labels = [r.key for r in rows]
    bars = {f"Class {cls}": [float(r.value) if r.cls == cls else None for r in rows] for cls in "ABC"}
    cumulative = {"Cumulative share of value %": [float(r.cumulative) for r in rows]}
    return (as_image_src(bar_chart("Consumption value by SKU", labels, bars, height=300, stacked=True)),
            as_image_src(line_chart("Cumulative share of value (%)", labels, cumulative, height=200)))

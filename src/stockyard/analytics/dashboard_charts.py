"""The dashboard's charts, from the read models' rows (image sources ready for <img src>)."""

from typing import Any

from stockyard.analytics.charts import as_image_src, bar_chart, line_chart
from stockyard.analytics.warehouse_dashboard import TURNOVER_PERIODS, CategoryTurnover


def value_by_warehouse_chart(value_rows: list[dict[str, Any]]) -> str | None:
    if not value_rows:
        return None
    return as_image_src(bar_chart("Inventory value at cost", [r["warehouse"] for r in value_rows],
                                  {"Value": [float(r["value"]) for r in value_rows]}, height=240))


def shipped_lines_chart(by_day: list[tuple[Any, int, int]]) -> str:
    return as_image_src(line_chart("Shipped lines per day", [d.strftime("%d %b") for d, _, _ in by_day],
                                   {"Lines": [lines for _, lines, _ in by_day],
                                    "Units": [units for _, _, units in by_day]}))


def turnover_chart(rows: list[CategoryTurnover]) -> str | None:
    if not rows:
        return None
    series = {f"{days} days": [(r.periods[days].ratio if days in r.periods else None) for r in rows]
              for days in TURNOVER_PERIODS}
    return as_image_src(bar_chart("Inventory turnover by category", [r.category for r in rows],
                                  {k: [None if v is None else float(v) for v in vs] for k, vs in series.items()},
                                  horizontal=True, height=max(220, 60 + 34 * len(rows))))

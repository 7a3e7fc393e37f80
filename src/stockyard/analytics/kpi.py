"""The shape every KPI of `/erp/analytics` shares, and the registry the pages and CSV exports read.

A KPI module defines one function per KPI, decorated with `@kpi(...)`, that takes a unit of work and a `Period`
and returns a `KpiResult`: a headline figure, a series over time (one point per bucket of the period, for the
chart), a breakdown table (by SKU, category, warehouse, channel, operator, ...) and the transactions behind the
figure (the drill-down). The pages render any registered KPI the same way; every table exports as CSV.
Modules are listed in `analytics/registry.py`; importing one registers its KPIs.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from stockyard.core.uow import UnitOfWork

Bucket = Literal["day", "week", "month"]
Cell = str | int | float | Decimal | date | None


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included, charted in buckets of a day, a week or a month."""

    start: date
    end: date
    bucket: Bucket = "week"
    # Drill-down filters from the page's address (e.g. {"sku": "SKU-001", "by": "warehouse"}); a KPI reads the ones
    # it declares in `@kpi(filters=...)` and ignores the rest.
    filters: Mapping[str, str] = field(default_factory=dict, hash=False)

    def filter(self, name: str) -> str | None:
        value = self.filters.get(name, "").strip()
        return value or None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def buckets(self) -> list[date]:
        """The first day of each bucket that overlaps the period, in order (weeks start on Monday)."""
        first = bucket_start(self.start, self.bucket)
        out: list[date] = []
        day = first
        while day <= self.end:
            out.append(day)
            day = next_bucket(day, self.bucket)
        return out


def bucket_start(day: date, bucket: Bucket) -> date:
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(day: date, bucket: Bucket) -> date:
    if bucket == "day":
        return day + timedelta(days=1)
    if bucket == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


@dataclass(frozen=True)
class Point:
    bucket: date  # the first day of the bucket
    value: float | None  # None: nothing to measure in that bucket (not zero)


@dataclass(frozen=True)
class KpiResult:
    value: float | None  # the headline over the whole period; None when there is nothing to measure
    series: list[Point]
    breakdown: Table
    transactions: Table  # the drill-down: the orders, moves, lines, ... the figure was computed from
    note: str = ""  # how it was computed, in a sentence, shown under the chart
    extra_series: dict[str, list[Point]] = field(default_factory=dict)  # further lines on the same chart
    # Breakdown column → the filter it sets: the page links each row's cell to this KPI filtered by that value.
    links: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Kpi:
    key: str  # the URL slug: /erp/analytics/<key>
    title: str
    unit: str  # "%", "days", "orders", "units", "hours", "EUR", ...
    group: str  # the heading it is listed under: "Inventory", "Orders", "Returns", "Finance", "Suppliers", ...
    compute: Callable[[UnitOfWork, Period], KpiResult]
    higher_is_better: bool = True
    # The filters the KPI understands, with their choices where fixed ({"by": ("sku", "warehouse")}, {"sku": ()}).
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    chart: Literal["line", "bar"] = "line"


KPIS: dict[str, Kpi] = {}


def kpi(key: str, title: str, unit: str, group: str, *, higher_is_better: bool = True,
        filters: Mapping[str, tuple[str, ...]] | None = None, chart: Literal["line", "bar"] = "line",
        ) -> Callable[[Callable[[UnitOfWork, Period], KpiResult]], Callable[[UnitOfWork, Period], KpiResult]]:
    def register(compute: Callable[[UnitOfWork, Period], KpiResult]) -> Callable[[UnitOfWork, Period], KpiResult]:
        if key in KPIS and KPIS[key].compute is not compute:
            raise ValueError(f"two KPIs are called {key!r}")
        KPIS[key] = Kpi(key, title, unit, group, compute, higher_is_better, dict(filters or {}), chart)
        return compute
    return register

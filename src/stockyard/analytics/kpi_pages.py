"""What the /erp/analytics pages show, built from the registered KPIs: the period from the address, every KPI's
headline for the index, one KPI in full, its tables as CSV, and the charts. Read models only; never writes."""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import get_args

from stockyard.analytics.charts import as_image_src, bar_chart, line_chart, sparkline
from stockyard.analytics.kpi import Bucket, Cell, Kpi, KpiResult, Period, Table
from stockyard.analytics.registry import all_kpis
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ANALYTICS_VIEW

DEFAULT_DAYS = 90
DEFAULT_BUCKET: Bucket = "week"
BUCKETS: tuple[str, ...] = get_args(Bucket)
MAX_DAYS = 3 * 366
TABLES = ("series", "breakdown", "transactions")
PERIOD_PARAMS = ("from", "to", "bucket")


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"{text!r} is not a date; write it as YYYY-MM-DD", field=field) from None


def parse_period(start: str, end: str, bucket: str, today: date, *, default_days: int = DEFAULT_DAYS,
                 filters: Mapping[str, str] | None = None) -> Period:
    """The period of the address; empty fields take the default (the last `default_days` days, by week)."""
    last = _day(end, "to") if end.strip() else today
    first = _day(start, "from") if start.strip() else last - timedelta(days=default_days - 1)
    if first > last:
        raise ValidationFailed("the first day comes after the last day", field="from")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"a period is at most {MAX_DAYS} days long", field="from")
    chosen = bucket.strip() or DEFAULT_BUCKET
    if chosen not in BUCKETS:
        raise ValidationFailed(f"choose a bucket of {', '.join(BUCKETS)}", field="bucket")
    return Period(first, last, chosen, dict(filters or {}))  # type: ignore[arg-type]


def find_kpi(key: str) -> Kpi:
    found = all_kpis().get(key)
    if found is None:
        raise NotFound(f"there is no KPI called {key!r}", field="key")
    return found


def kpi_filters(kpi: Kpi, given: Mapping[str, str]) -> dict[str, str]:
    """The filters of the address this KPI understands; a choice outside its list is refused."""
    out = {}
    for name, choices in kpi.filters.items():
        value = str(given.get(name, "")).strip()
        if not value:
            continue
        if choices and value not in choices:
            raise ValidationFailed(f"choose {name} from {', '.join(choices)}", field=name)
        out[name] = value
    return out


@dataclass(frozen=True)
class Headline:
    kpi: Kpi
    result: KpiResult


@requires(ANALYTICS_VIEW)
def overview(uow: UnitOfWork, period: Period) -> dict[str, list[Headline]]:
    """Every registered KPI over the period, grouped under its heading (groups and KPIs in a stable order)."""
    groups: dict[str, list[Headline]] = {}
    for key in sorted(all_kpis(), key=lambda k: (all_kpis()[k].group, all_kpis()[k].title)):
        kpi = all_kpis()[key]
        groups.setdefault(kpi.group, []).append(Headline(kpi, kpi.compute(uow, period)))
    return groups


@requires(ANALYTICS_VIEW)
def detail(uow: UnitOfWork, key: str, period: Period) -> Headline:
    kpi = find_kpi(key)
    return Headline(kpi, kpi.compute(uow, period))


def series_table(kpi: Kpi, result: KpiResult) -> Table:
    extra = list(result.extra_series)
    rows: list[tuple[Cell, ...]] = []
    for i, point in enumerate(result.series):
        values = [result.extra_series[name][i].value if i < len(result.extra_series[name]) else None
                  for name in extra]
        rows.append((point.bucket, point.value, *values))
    return Table(("Bucket starting", f"{kpi.title} ({kpi.unit})", *extra), rows)


def table_of(kpi: Kpi, result: KpiResult, name: str) -> Table:
    if name == "series":
        return series_table(kpi, result)
    if name == "breakdown":
        return result.breakdown
    if name == "transactions":
        return result.transactions
    raise ValidationFailed(f"choose a table of {', '.join(TABLES)}", field="table")


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def _label(day: date, bucket: str) -> str:
    return day.strftime("%b %Y") if bucket == "month" else day.strftime("%d %b")


def chart(kpi: Kpi, result: KpiResult, period: Period, *, small: bool = False) -> str:
    """The KPI over time as an image source: a line (or bars) per series, one point per bucket."""
    values = [p.value for p in result.series]
    if small:
        return as_image_src(sparkline(values, bars=kpi.chart == "bar" or len(values) < 2))
    labels = [_label(p.bucket, period.bucket) for p in result.series]
    series = {kpi.title: values}
    series.update({name: [p.value for p in points] for name, points in result.extra_series.items()})
    title = f"{kpi.title} ({kpi.unit}) by {period.bucket}"
    if kpi.chart == "bar" or len(labels) < 2:
        return as_image_src(bar_chart(title, labels, series))
    return as_image_src(line_chart(title, labels, series))


def shown(value: Cell) -> str:
    """A cell as the page shows it (numbers without trailing noise)."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value == value.quantize(Decimal("0.01")) else f"{value:,}"
    if isinstance(value, float):
        text = f"{value:,.2f}"
        return text[:-1] if text.endswith("0") else text  # 1.24, 13.3, 50.0
    return _cell(value)

"""Pure helpers the order, returns, supplier and operations KPIs share: the time window of a period, which bucket a
moment falls in, percentiles, and turning per-bucket figures into a chart series. No I/O."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from math import floor

from stockyard.analytics.kpi import Period, Point, bucket_start, next_bucket


def window(period: Period) -> tuple[datetime, datetime]:
    """The period as [from, to) moments: from the start day's midnight to the midnight after the end day."""
    return datetime.combine(period.start, time.min), datetime.combine(period.end + timedelta(days=1), time.min)


def bucket_of(moment: datetime | date, period: Period) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return bucket_start(day, period.bucket)


def bucket_ends(period: Period, now: datetime) -> list[tuple[date, datetime]]:
    """Each bucket with the moment it is measured at: its end (the next bucket's start, or the end of the period,
    whichever is first), never later than now."""
    _, period_end = window(period)
    out: list[tuple[date, datetime]] = []
    for first in period.buckets():
        end = min(datetime.combine(next_bucket(first, period.bucket), time.min), period_end, now)
        out.append((first, end))
    return out


def hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def percentile(values: Iterable[float], share: float) -> float | None:
    """The `share` (0..1) percentile with linear interpolation between closest ranks (numpy's default);
    None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = share * (len(ordered) - 1)
    low = floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(part: float, whole: float, scale: float = 100.0) -> float | None:
    """part / whole × scale, None when there is nothing to divide by."""
    return None if not whole else part / whole * scale


def series(period: Period, values: Mapping[date, float | None]) -> list[Point]:
    """One point per bucket of the period; buckets without a value are None (nothing measured), not zero."""
    return [Point(b, values.get(b)) for b in period.buckets()]


def rounded(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(value, places)

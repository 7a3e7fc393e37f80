"""Accounting periods are calendar months: which month a day is in, the months around it, and where an entry dated
in a closed month is posted instead (the first day of the next open month), without I/O."""

from collections.abc import Collection
from datetime import date, datetime, time

MAX_MONTHS_AHEAD = 240  # a search for an open month never runs further than this


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def label(month: date) -> str:
    return month.strftime("%Y-%m")


def parse_label(text: str) -> date:
    """'2026-10' → the 1st of October 2026; ValueError otherwise."""
    year, _, month = text.strip().partition("-")
    if len(year) != 4 or not 1 <= len(month) <= 2:
        raise ValueError(text)
    return date(int(year), int(month), 1)


def last_day(month: date) -> date:
    return date.fromordinal(next_month(month).toordinal() - 1)


def posting_time(when: datetime, closed: Collection[date]) -> tuple[datetime, str]:
    """When an entry for a fact at `when` is posted: then, if its month is open; else at the start of the first open
    month after it, with a memo note saying so."""
    month = month_of(when.date())
    if month not in closed:
        return when, ""
    target = next_month(month)
    for _ in range(MAX_MONTHS_AHEAD):
        if target not in closed:
            break
        target = next_month(target)
    return (datetime.combine(target, time.min),
            f"dated {when.date().isoformat()} in closed period {label(month)}; posted on {target.isoformat()}")


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first`'s to `last`'s, newest first."""
    months, month = [], month_of(last)
    while month >= month_of(first):
        months.append(month)
        month = previous_month(month)
    return months

"""One source of the current time, so that tests, jobs and the demo agree on it.

`as_of(moment)` runs a block as if the clock had been set back (or on) to `moment`, time passing as usual from
there, for this thread or task only: the demo tells its past weeks of sales through the real services that way.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

_shift: ContextVar[timedelta] = ContextVar("stockyard_clock_shift", default=timedelta(0))


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + _shift.get()


@contextmanager
def as_of(moment: datetime) -> Iterator[None]:
    token = _shift.set(moment - datetime.now(UTC).replace(tzinfo=None))
    try:
        yield
    finally:
        _shift.reset(token)

"""Accounting periods: months closed and reopened by accounting.manage (each audited through its event), the check a
backdated stock move passes (`check_open`) and where the journal posts an entry whose fact falls in a closed month
(`posting_time`: the first day of the next open month, with a memo saying so)."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from stockyard.billing import periods_domain as pd
from stockyard.billing.journal_models import AccountingPeriod, JournalEntry
from stockyard.core.clock import utcnow
from stockyard.core.errors import ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ACCOUNTING_MANAGE, ACCOUNTING_VIEW

_PERIODS = AccountingPeriod.__table__
_ENTRIES = JournalEntry.__table__
OPEN, CLOSED = "open", "closed"
SHOWN_MONTHS = 12  # the periods page shows at least this year's worth of months


def closed_months(uow: UnitOfWork) -> set[date]:
    return set(uow.conn.execute(select(_PERIODS.c.starts_on).where(
        _PERIODS.c.tenant_id == uow.tenant_id, _PERIODS.c.state == CLOSED)).scalars())


def is_closed(uow: UnitOfWork, day: date) -> bool:
    return uow.conn.execute(select(_PERIODS.c.id).where(
        _PERIODS.c.tenant_id == uow.tenant_id, _PERIODS.c.starts_on == pd.month_of(day),
        _PERIODS.c.state == CLOSED)).first() is not None


def check_open(uow: UnitOfWork, day: date, *, field: str = "effective_on") -> None:
    """Refuses a business date in a closed period (a backdated move)."""
    if is_closed(uow, day):
        raise ValidationFailed(f"the accounting period {pd.label(pd.month_of(day))} is closed; nothing may be dated "
                               f"{day.isoformat()}", field=field)


def posting_time(uow: UnitOfWork, when: datetime) -> tuple[datetime, str]:
    return pd.posting_time(when, closed_months(uow))


# ---- close and reopen ---------------------------------------------------------------------------------------------

def _month(text: str | date) -> date:
    if isinstance(text, date):
        return pd.month_of(text)
    try:
        return pd.parse_label(text)
    except ValueError:
        raise ValidationFailed("a period is a month, YYYY-MM", field="period") from None


def _state(uow: UnitOfWork, month: date) -> tuple[int | None, str]:
    row = uow.conn.execute(select(_PERIODS.c.id, _PERIODS.c.state).where(
        _PERIODS.c.tenant_id == uow.tenant_id, _PERIODS.c.starts_on == month)).first()
    return (row.id, row.state) if row is not None else (None, OPEN)


def _set(uow: UnitOfWork, month: date, state: str) -> int:
    actor = uow.require(ACCOUNTING_MANAGE)
    period_id, before = _state(uow, month)
    values = {"state": state, "changed_at": utcnow(), "changed_by_name": actor.name}
    if period_id is None:
        period_id = int(uow.conn.execute(_PERIODS.insert().values(
            tenant_id=uow.tenant_id, starts_on=month, **values).returning(_PERIODS.c.id)).scalar_one())
    else:
        uow.conn.execute(_PERIODS.update().where(_PERIODS.c.tenant_id == uow.tenant_id, _PERIODS.c.id == period_id)
                         .values(**values))
    add_event(uow, f"accounting_period.{'closed' if state == CLOSED else 'reopened'}.v1", {
        "accounting_period_id": period_id, "period": pd.label(month), "before": {"state": before},
        "after": {"state": state}})
    return period_id


def close_period(uow: UnitOfWork, period: str | date) -> int:
    """Closes a month that has ended: from now on nothing is posted or backdated into it."""
    uow.require(ACCOUNTING_MANAGE)
    month = _month(period)
    if month >= pd.month_of(utcnow().date()):
        raise ValidationFailed(f"{pd.label(month)} has not ended yet; only past months can be closed",
                               field="period")
    if _state(uow, month)[1] == CLOSED:
        raise ValidationFailed(f"{pd.label(month)} is already closed", field="period")
    return _set(uow, month, CLOSED)


def reopen_period(uow: UnitOfWork, period: str | date) -> int:
    uow.require(ACCOUNTING_MANAGE)
    month = _month(period)
    if _state(uow, month)[1] != CLOSED:
        raise ValidationFailed(f"{pd.label(month)} is not closed", field="period")
    return _set(uow, month, OPEN)


# ---- read model ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    starts_on: date
    state: str
    changed_at: datetime | None
    changed_by_name: str

    @property
    def label(self) -> str:
        return pd.label(self.starts_on)

    @property
    def ends_on(self) -> date:
        return pd.last_day(self.starts_on)

    @property
    def closed(self) -> bool:
        return self.state == CLOSED

    @property
    def can_close(self) -> bool:
        return not self.closed and self.starts_on < pd.month_of(utcnow().date())


@requires(ACCOUNTING_VIEW)
def list_periods(uow: UnitOfWork) -> list[Period]:
    """Every month from the first posting (or a year ago, or the first period ever closed) to this one, newest
    first, with its state."""
    tenant = uow.tenant_id
    rows = {r.starts_on: r for r in uow.conn.execute(select(
        _PERIODS.c.starts_on, _PERIODS.c.state, _PERIODS.c.changed_at, _PERIODS.c.changed_by_name).where(
        _PERIODS.c.tenant_id == tenant))}
    today = utcnow().date()
    first_entry = uow.conn.execute(select(func.min(_ENTRIES.c.posted_at)).where(_ENTRIES.c.tenant_id == tenant)
                                   ).scalar()
    first = pd.month_of(today)
    for _ in range(SHOWN_MONTHS - 1):
        first = pd.previous_month(first)
    candidates = [first, *rows]
    if first_entry is not None:
        candidates.append(pd.month_of(first_entry.date()))
    months = pd.months_between(min(candidates), max([today, *rows]))
    return [Period(m, rows[m].state, rows[m].changed_at, rows[m].changed_by_name) if m in rows
            else Period(m, OPEN, None, "") for m in months]

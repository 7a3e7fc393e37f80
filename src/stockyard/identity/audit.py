"""Reading the audit log (written by core/outbox.py, see core/audit.py): search, filters, one entry with the
differences between its before and after, and CSV rows for the export."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Select, or_, select, tuple_

from stockyard.core.audit import AuditEntry
from stockyard.core.pagination import Page, paginate
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import AUDIT_VIEW

PER_PAGE = 50
EXPORT_CHUNK = 1000
CHOICES_LIMIT = 300
CSV_COLUMNS = ["id", "time_utc", "actor_id", "actor", "action", "object_type", "object_id", "request_id", "before",
               "after"]


class AuditFilter(BaseModel):
    """What the audit list and the CSV export show. Empty fields do not filter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    q: str = Field(default="", max_length=200)
    actor: str = Field(default="", max_length=200)
    action: str = Field(default="", max_length=80)
    object_type: str = Field(default="", max_length=80)
    object_id: str = Field(default="", max_length=200)
    date_from: date | None = None
    date_to: date | None = None
    sort: Literal["newest", "oldest"] = "newest"

    @model_validator(mode="after")
    def _dates_in_order(self) -> "AuditFilter":
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("the end date is before the start date")
        return self


def _filtered(f: AuditFilter) -> Select[Any]:
    a = AuditEntry
    stmt = select(a)
    if f.q.strip():
        text = f.q.strip()
        stmt = stmt.where(or_(a.action.icontains(text, autoescape=True),
                              a.object_type.icontains(text, autoescape=True),
                              a.object_id.icontains(text, autoescape=True),
                              a.actor_name.icontains(text, autoescape=True)))
    for column, wanted in ((a.actor_name, f.actor), (a.action, f.action), (a.object_type, f.object_type),
                           (a.object_id, f.object_id)):
        if wanted.strip():
            stmt = stmt.where(column == wanted.strip())
    if f.date_from:
        stmt = stmt.where(a.created_at >= datetime.combine(f.date_from, time()))
    if f.date_to:
        stmt = stmt.where(a.created_at < datetime.combine(f.date_to + timedelta(days=1), time()))
    return stmt


def _ordered(stmt: Select[Any], sort: str) -> Select[Any]:
    a = AuditEntry
    if sort == "oldest":
        return stmt.order_by(a.created_at, a.id)
    return stmt.order_by(a.created_at.desc(), a.id.desc())


@requires(AUDIT_VIEW)
def search_audit(uow: UnitOfWork, f: AuditFilter, page: int = 1, per_page: int = PER_PAGE) -> Page[AuditEntry]:
    result = paginate(uow.execute, _ordered(_filtered(f), f.sort), page, per_page)
    return Page([row[0] for row in result.items], result.total, result.page, result.per_page)


@requires(AUDIT_VIEW)
def audit_entry(uow: UnitOfWork, entry_id: int) -> AuditEntry | None:
    return uow.execute(select(AuditEntry).where(AuditEntry.id == entry_id)).scalar()


@dataclass(frozen=True)
class Choices:
    actors: list[str]
    actions: list[str]
    object_types: list[str]


@requires(AUDIT_VIEW)
def audit_choices(uow: UnitOfWork) -> Choices:
    """The values the filter lists offer: those that occur in this tenant's log."""

    def values(column: Any) -> list[str]:
        return list(uow.execute(select(column).distinct().order_by(column).limit(CHOICES_LIMIT)).scalars())

    return Choices(values(AuditEntry.actor_name), values(AuditEntry.action), values(AuditEntry.object_type))


@requires(AUDIT_VIEW)
def export_chunk(uow: UnitOfWork, f: AuditFilter, after: tuple[datetime, int] | None,
                 limit: int = EXPORT_CHUNK) -> list[AuditEntry]:
    """The next `limit` entries in the filter's order after the (time, id) of the last one already sent: keyset
    paging, so a long export is many short reads and rows appended meanwhile are not skipped or repeated."""
    a = AuditEntry
    stmt = _ordered(_filtered(f), f.sort)
    if after is not None:
        key = tuple_(a.created_at, a.id)
        stmt = stmt.where(key > tuple_(*after) if f.sort == "oldest" else key < tuple_(*after))
    return list(uow.execute(stmt.limit(limit)).scalars())


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str
    kind: Literal["added", "removed", "changed", "same"]


def differences(before: Any, after: Any) -> list[Change]:
    """Field by field, what an entry changed. A creation has no `before`, a deletion no `after`."""
    old = before if isinstance(before, dict) else ({} if before is None else {"value": before})
    new = after if isinstance(after, dict) else ({} if after is None else {"value": after})
    changes = []
    for name in [*old, *(k for k in new if k not in old)]:
        if name not in old:
            changes.append(Change(name, "", show(new[name]), "added"))
        elif name not in new:
            changes.append(Change(name, show(old[name]), "", "removed"))
        else:
            kind: Literal["changed", "same"] = "same" if old[name] == new[name] else "changed"
            changes.append(Change(name, show(old[name]), show(new[name]), kind))
    return changes


def show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def csv_row(entry: AuditEntry) -> list[str]:
    return [str(entry.id), entry.created_at.isoformat(sep=" ", timespec="seconds"),
            "" if entry.actor_id is None else str(entry.actor_id), entry.actor_name, entry.action,
            entry.object_type, entry.object_id, entry.request_id,
            "" if entry.before is None else show(entry.before), "" if entry.after is None else show(entry.after)]


def csv_safe(cell: str) -> str:
    """A cell a spreadsheet would run as a formula is prefixed with an apostrophe."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def export_rows(chunks: Iterator[list[AuditEntry]]) -> Iterator[list[str]]:
    yield CSV_COLUMNS
    for chunk in chunks:
        for entry in chunk:
            yield [csv_safe(cell) for cell in csv_row(entry)]

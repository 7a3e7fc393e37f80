"""The transactional outbox: events are written in the same transaction as the change they describe."""

import re
import sqlite3
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    insert,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.pool import Pool

from stockyard.core.audit import AuditEntry, audit_rows
from stockyard.core.clock import utcnow
from stockyard.core.db import Base

if TYPE_CHECKING:
    from stockyard.core.uow import UnitOfWork


VERSIONED_TYPE = re.compile(r"^[a-z_]+(\.[a-z_]+)+\.v[0-9]+$")


class OutboxEvent(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "published_at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    tenant_id: Mapped[int] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(80), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)


_INSERT = insert(OutboxEvent.__table__)
_INSERT_AUDIT = insert(AuditEntry.__table__)


def _event_and_audit_insert() -> Insert:
    """PostgreSQL: the events and their audit rows in one statement (a data-modifying CTE), so auditing costs no
    extra round trip. Parameters are the audit row's keys plus `type` and `payload`."""
    outbox = OutboxEvent.__table__
    audit = AuditEntry.__table__
    events = insert(outbox).values(
        {name: bindparam(f"p_{name}", type_=outbox.c[name].type)
         for name in ("event_id", "tenant_id", "type", "payload", "created_at")}
    ).cte("new_events")
    audit_values = {c.name: bindparam(f"p_{c.name}", type_=c.type) for c in audit.c if c.name != "id"}
    audit_values["action"] = bindparam("p_type", type_=audit.c.action.type)
    return insert(audit).values(audit_values).add_cte(events)


_INSERT_BOTH = _event_and_audit_insert()

# SQLite has no data-modifying CTE. Each SQLite connection gets a TEMP view (never part of the schema, invisible to
# migrations and to other connections) whose INSTEAD OF INSERT trigger writes the outbox row and the audit row, so
# one INSERT writes both there too; the trigger runs inside the INSERT, so either both rows are written or neither.
_SQLITE_VIEW = "outbox_with_audit"
_SQLITE_FLAG = "stockyard_outbox_with_audit"
_OUTBOX_COLUMNS = ("event_id", "tenant_id", "type", "payload", "created_at")
_AUDIT_COLUMNS = tuple(c.name for c in AuditEntry.__table__.c if c.name != "id")
_VIEW_COLUMNS = [*_OUTBOX_COLUMNS, *(c for c in _AUDIT_COLUMNS if c not in _OUTBOX_COLUMNS and c != "action")]
_BOTH_SQLITE = Table(_SQLITE_VIEW, MetaData(), *(
    Column(name, (OutboxEvent.__table__.c[name] if name in _OUTBOX_COLUMNS else AuditEntry.__table__.c[name]).type)
    for name in _VIEW_COLUMNS))
_INSERT_BOTH_SQLITE = insert(_BOTH_SQLITE)


def _quoted(names: list[str] | tuple[str, ...], prefix: str = "") -> str:
    return ", ".join(f'{prefix}"{name}"' for name in names)


_SQLITE_DDL = (
    f"CREATE TEMP VIEW IF NOT EXISTS {_SQLITE_VIEW} AS SELECT "
    + ", ".join(f'NULL AS "{name}"' for name in _VIEW_COLUMNS) + " WHERE 0",
    # Unqualified table names in a TEMP trigger resolve to the main database's outbox and audit_log.
    f"CREATE TEMP TRIGGER IF NOT EXISTS {_SQLITE_VIEW}_insert INSTEAD OF INSERT ON {_SQLITE_VIEW} BEGIN "
    f"INSERT INTO outbox ({_quoted(_OUTBOX_COLUMNS)}) VALUES ({_quoted(_OUTBOX_COLUMNS, 'NEW.')}); "
    f"INSERT INTO audit_log ({_quoted(_AUDIT_COLUMNS)}) VALUES ("
    + _quoted([("type" if name == "action" else name) for name in _AUDIT_COLUMNS], "NEW.") + "); END",
)


@event.listens_for(Pool, "connect")
def _sqlite_event_and_audit_view(dbapi_conn: Any, record: Any) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
        for ddl in _SQLITE_DDL:
            dbapi_conn.execute(ddl)
        record.info[_SQLITE_FLAG] = True


def add_event(uow: "UnitOfWork", event_type: str, payload: dict[str, Any]) -> str:
    """Append one event in the unit of work's transaction; returns its id."""
    return add_events(uow, [(event_type, payload)])[0]


def add_events(uow: "UnitOfWork", events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Append several events, and an audit row for each (core/audit.py), in the unit of work's transaction."""
    if not events:
        return []
    for event_type, _ in events:
        if not VERSIONED_TYPE.match(event_type):
            raise ValueError(f"event type {event_type!r} must be versioned, like 'stock.changed.v1'")
    if uow.actor is None:
        raise RuntimeError("an event needs an actor: every change is audited")
    now = utcnow()
    ids = [str(uuid.uuid4()) for _ in events]
    audits = audit_rows(uow.actor, events, ids, now)
    if uow.conn.dialect.name == "postgresql":
        params = [{"p_type": t, "p_payload": p, **{f"p_{k}": v for k, v in a.items()}}
                  for (t, p), a in zip(events, audits, strict=True)]
        uow.conn.execute(_INSERT_BOTH, params if len(params) > 1 else params[0])
        return ids
    rows = [
        {"event_id": a["event_id"], "tenant_id": a["tenant_id"], "type": t, "payload": p, "created_at": now}
        for (t, p), a in zip(events, audits, strict=True)
    ]
    if uow.conn.connection.info.get(_SQLITE_FLAG):
        both = [{**a, **r} for a, r in zip(audits, rows, strict=True)]
        for row in both:
            del row["action"]  # the view takes it from `type`
        uow.conn.execute(_INSERT_BOTH_SQLITE, both if len(both) > 1 else both[0])
        return ids
    # A connection opened before this module was imported has no view: two statements.
    uow.conn.execute(_INSERT, rows if len(rows) > 1 else rows[0])
    uow.conn.execute(_INSERT_AUDIT, audits if len(audits) > 1 else audits[0])
    return ids

"""The transactional outbox: events are written in the same transaction as the change they describe."""

import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, Index, Insert, Integer, String, bindparam, insert
from sqlalchemy.orm import Mapped, mapped_column

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
    # SQLite runs in-process, so a second statement costs no network round trip.
    uow.conn.execute(_INSERT, rows if len(rows) > 1 else rows[0])
    uow.conn.execute(_INSERT_AUDIT, audits if len(audits) > 1 else audits[0])
    return ids

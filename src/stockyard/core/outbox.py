"""The transactional outbox: events are written in the same transaction as the change they describe."""

import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, insert
from sqlalchemy.orm import Mapped, mapped_column

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


def add_event(uow: "UnitOfWork", event_type: str, payload: dict[str, Any]) -> str:
    """Append one event in the unit of work's transaction; returns its id."""
    return add_events(uow, [(event_type, payload)])[0]


def add_events(uow: "UnitOfWork", events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Append several events with one multi-row INSERT."""
    if not events:
        return []
    for event_type, _ in events:
        if not VERSIONED_TYPE.match(event_type):
            raise ValueError(f"event type {event_type!r} must be versioned, like 'stock.changed.v1'")
    now = utcnow()
    rows = [
        {
            "event_id": str(uuid.uuid4()),
            "tenant_id": uow.tenant_id,
            "type": event_type,
            "payload": payload,
            "created_at": now,
        }
        for event_type, payload in events
    ]
    uow.conn.execute(_INSERT, rows if len(rows) > 1 else rows[0])
    return [r["event_id"] for r in rows]

"""The consumers' side of the outbox: the inbox (what each consumer has handled) and the deliveries still owed.

`integration_inbox` is keyed by (consumer, event id): the dispatcher inserts the row in the consumer's own
transaction, so a second delivery of the same event finds it and changes nothing.

`integration_deliveries` holds one row per (consumer, event) that is not yet handled and needs the database's
attention: in the embedded profile every event waiting for a consumer (the in-process "queue"); with a broker only
the failed ones (retrying in a delay queue, or dead) and those an administrator replays.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.clock import utcnow
from stockyard.core.db import Base

# pending: due for delivery at next_attempt_at (embedded: handled in-process; broker: the relay re-publishes it);
# queued: in the broker, waiting in a retry queue; dead: gave up after the consumer's max_attempts.
DELIVERY_STATES = ("pending", "queued", "dead")


class InboxEntry(Base):
    __tablename__ = "integration_inbox"

    consumer: Mapped[str] = mapped_column(String(120), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    __tablename__ = "integration_deliveries"
    __table_args__ = (
        UniqueConstraint("consumer", "event_id"),
        CheckConstraint("state IN ('pending', 'queued', 'dead')", name="state"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_integration_deliveries_due", "state", "next_attempt_at", "outbox_id"),
        Index("ix_integration_deliveries_tenant", "tenant_id", "state", "consumer"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(120))
    event_id: Mapped[str] = mapped_column(String(36))
    outbox_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    event_type: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

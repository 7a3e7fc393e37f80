"""Anomaly alerts: an unusual stock movement, a cancellation spike or a margin drop the scan found, with the figures
and a sentence saying why it fired; staff acknowledge or dismiss it."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned


class AnomalyAlert(TenantOwned, CreatedAt, Base):
    __tablename__ = "anomaly_alerts"
    __table_args__ = (
        # What fired, about what, on which day (or which move): the scan never raises the same anomaly twice.
        UniqueConstraint("tenant_id", "fingerprint"),
        Index("ix_anomaly_alerts_listing", "tenant_id", "day", "id"),
        CheckConstraint("kind IN ('stock_movement', 'cancellation_spike', 'margin_drop')", name="kind"),
        CheckConstraint("state IN ('open', 'acknowledged', 'dismissed')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    fingerprint: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))  # "BRK-123 at MAIN (write-off)", "channel Web shop"
    day: Mapped[date]
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(12), default="open")
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(300), default="")

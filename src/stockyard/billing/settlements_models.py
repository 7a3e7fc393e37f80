"""Gateway settlement reports: what a payment provider says it paid out, line by line (charges, refunds, fees and
the payout itself), imported from its CSV report for order-to-cash reconciliation."""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned

SettlementAmount = Numeric(14, 2)
LINE_TYPES = ("charge", "refund", "fee", "payout")


class Settlement(TenantOwned, CreatedAt, Base):
    """One settlement (a payout batch) of a gateway; recognised by its id in the provider's report, so a report
    imported twice is not booked twice."""

    __tablename__ = "gateway_settlements"
    __table_args__ = (
        UniqueConstraint("tenant_id", "settlement_ref"),
        Index("ix_gateway_settlements_date", "tenant_id", "settled_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_ref: Mapped[str] = mapped_column(String(64))
    settled_on: Mapped[date]  # the latest date of its lines
    currency: Mapped[str] = mapped_column(String(3))
    gross: Mapped[Decimal] = mapped_column(SettlementAmount)  # charges less refunds
    fees: Mapped[Decimal] = mapped_column(SettlementAmount)
    payout: Mapped[Decimal] = mapped_column(SettlementAmount)  # what reached the bank (negative: taken from it)
    line_count: Mapped[int]
    # The lines' fingerprint: the same settlement imported again is recognised as such, a changed one refused.
    digest: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200), default="")
    imported_by: Mapped[str] = mapped_column(String(200), default="")
    journal_entry_id: Mapped[int | None] = mapped_column(default=None)


class SettlementLine(TenantOwned, Base):
    __tablename__ = "gateway_settlement_lines"
    __table_args__ = (
        CheckConstraint("type IN ('charge', 'refund', 'fee', 'payout')", name="type"),
        Index("ix_gateway_settlement_lines_reference", "tenant_id", "payment_reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("gateway_settlements.id"), index=True)
    line: Mapped[int]  # its line in the imported file
    settled_on: Mapped[date]
    payment_reference: Mapped[str] = mapped_column(String(100), default="")
    type: Mapped[str] = mapped_column(String(10))
    gross: Mapped[Decimal] = mapped_column(SettlementAmount)
    fee: Mapped[Decimal] = mapped_column(SettlementAmount)
    net: Mapped[Decimal] = mapped_column(SettlementAmount)

"""Journal tables: double-entry journal entries posted from business events, for the accounting hand-off."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned

JournalAmount = Numeric(14, 2)


class JournalEntry(TenantOwned, CreatedAt, Base):
    __tablename__ = "journal_entries"
    __table_args__ = (
        # One entry per business event and kind: a redelivered event posts nothing twice.
        UniqueConstraint("tenant_id", "source_event_id", "kind"),
        Index("ix_journal_entries_period", "tenant_id", "posted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # invoice, payment, refund, cogs, return_receipt, return_credit
    posted_at: Mapped[datetime]  # when the business fact happened (its event's time)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(64), default="")  # INV-2026-000001, SO-…, shipment 12
    order_id: Mapped[int | None] = mapped_column(default=None)
    memo: Mapped[str] = mapped_column(String(300), default="")
    source_event_id: Mapped[str] = mapped_column(String(36))
    source_event_type: Mapped[str] = mapped_column(String(80))


class JournalLine(TenantOwned, Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0) AND debit + credit > 0",
                        name="one_side"),
        Index("ix_journal_lines_entry", "entry_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"))
    position: Mapped[int]
    account: Mapped[str] = mapped_column(String(16))
    debit: Mapped[Decimal] = mapped_column(JournalAmount, default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(JournalAmount, default=Decimal(0))


ACCOUNT_TYPES = ("asset", "liability", "equity", "income", "expense")


class LedgerAccount(TenantOwned, CreatedAt, Base):
    """One account of a tenant's chart of accounts. Entries may post only to active accounts of the chart."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("type IN ('asset', 'liability', 'equity', 'income', 'expense')", name="type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)


class AccountingBook(TenantOwned, CreatedAt, Base):
    """A tenant's books: the currency its stock postings (receipts, write-offs, counts) are valued in."""

    __tablename__ = "accounting_books"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))


class AccountingPeriod(TenantOwned, Base):
    """A calendar month that has been closed (or closed and reopened); a month without a row is open."""

    __tablename__ = "accounting_periods"
    __table_args__ = (
        UniqueConstraint("tenant_id", "starts_on"),
        CheckConstraint("state IN ('open', 'closed')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_on: Mapped[date]  # the first day of the month
    state: Mapped[str] = mapped_column(String(8))
    changed_at: Mapped[datetime]
    changed_by_name: Mapped[str] = mapped_column(String(200), default="")

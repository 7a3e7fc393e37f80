"""Documents tables: the gapless counter per tenant and document type, and the issued documents (their PDF lives
in the file store under `file_key`; the row says what it is, which object it belongs to, who issued it and when)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.clock import utcnow
from stockyard.core.db import Base
from stockyard.core.tenancy import TenantOwned


class DocumentNumber(Base):
    """The last number handed out per tenant and document type (packing_slip, pick_list, ...)."""

    __tablename__ = "document_numbers"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class IssuedDocument(TenantOwned, Base):
    """One issued document. Never changed: a re-print serves the same stored file, "issue again" adds a row."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("tenant_id", "doc_type", "number"),
        Index("ix_documents_subject", "tenant_id", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(40))
    # The object the document belongs to: ("order", order id), ("purchase_order", id), ("transfer", id), ...
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int]
    subject_ref: Mapped[str] = mapped_column(String(64), default="")
    file_key: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200), default="")

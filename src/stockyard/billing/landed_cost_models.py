"""Valuation tables: the tenant's valuation method over time, and landed-cost documents with their allocation onto
receipt moves."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned

Amount = Numeric(14, 2)


class ValuationMethodChange(TenantOwned, CreatedAt, Base):
    """The valuation method chosen from `effective_at` on (the latest row is the current method; none: FIFO)."""

    __tablename__ = "valuation_method_changes"
    __table_args__ = (
        CheckConstraint("method IN ('fifo', 'average')", name="method"),
        Index("ix_valuation_method_changes_tenant", "tenant_id", "effective_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(12))
    effective_at: Mapped[datetime]
    actor_name: Mapped[str] = mapped_column(String(200), default="")


class LandedCost(TenantOwned, CreatedAt, Base):
    """Freight, duty or another charge on goods bought, applied onto receipts at `applied_at`."""

    __tablename__ = "landed_costs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("kind IN ('freight', 'duty', 'other')", name="kind"),
        CheckConstraint("basis IN ('value', 'quantity', 'weight')", name="basis"),
        CheckConstraint("amount > 0 AND inventory_amount >= 0 AND cogs_amount >= 0", name="amounts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(12))
    basis: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Amount)
    currency: Mapped[str] = mapped_column(String(3))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), default=None)
    reference: Mapped[str] = mapped_column(String(100), default="")  # the carrier's or customs' invoice number
    note: Mapped[str] = mapped_column(String(500), default="")
    applied_at: Mapped[datetime]
    inventory_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))  # revalued stock on hand
    cogs_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))  # the share of units already gone
    actor_name: Mapped[str] = mapped_column(String(200), default="")


class LandedCostLine(TenantOwned, Base):
    """The part of a landed cost allocated onto one receipt move, and how it split between stock and COGS."""

    __tablename__ = "landed_cost_lines"
    __table_args__ = (
        CheckConstraint("amount >= 0 AND inventory_amount >= 0 AND cogs_amount >= 0", name="amounts"),
        Index("ix_landed_cost_lines_cost", "landed_cost_id", "id"),
        Index("ix_landed_cost_lines_move", "tenant_id", "move_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    landed_cost_id: Mapped[int] = mapped_column(ForeignKey("landed_costs.id"))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("goods_receipts.id"), default=None)
    move_id: Mapped[int] = mapped_column(ForeignKey("stock_moves.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int]
    basis_amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))  # the line's value, quantity or weight (g)
    amount: Mapped[Decimal] = mapped_column(Amount)
    on_hand_quantity: Mapped[int] = mapped_column(default=0)
    inventory_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    cogs_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))

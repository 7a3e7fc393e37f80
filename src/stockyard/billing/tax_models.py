"""Tax tables: the tenant's product tax classes and its rates by destination (country, optional region) and class.
The rules that pick a rate are in tax_domain.py."""

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base, CreatedAt
from stockyard.core.tenancy import TenantOwned


class TaxClass(TenantOwned, CreatedAt, Base):
    """A product tax class (standard, reduced, zero, exempt, ...); each product carries one by its code."""

    __tablename__ = "tax_classes"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))


class TaxRate(TenantOwned, CreatedAt, Base):
    """A rate for goods of one tax class shipped to a country (region "" = the whole country), from a date on."""

    __tablename__ = "tax_rates"
    __table_args__ = (
        UniqueConstraint("tenant_id", "country", "region", "tax_class", "valid_from"),
        CheckConstraint("rate >= 0 AND rate < 1", name="rate"),
        Index("ix_tax_rates_lookup", "tenant_id", "country", "tax_class", "region"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    # A state / province / region code as addresses carry it (upper case); "" applies to the whole country.
    region: Mapped[str] = mapped_column(String(40), default="")
    tax_class: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    valid_from: Mapped[date] = mapped_column(Date)

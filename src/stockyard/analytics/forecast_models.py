"""The latest demand forecast per SKU and warehouse (analytics/forecast.py writes it, replenishment reads it)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.db import Base
from stockyard.core.tenancy import TenantOwned


class DemandForecast(TenantOwned, Base):
    __tablename__ = "demand_forecasts"
    __table_args__ = (UniqueConstraint("tenant_id", "sku_id", "warehouse_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    computed_at: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(16))  # average, ses, holt_damped
    history_weeks: Mapped[int]
    last_week: Mapped[datetime]  # the Monday of the newest history week
    daily_rate: Mapped[Decimal] = mapped_column(Numeric(12, 4))  # units a day over the next four weeks
    weekly: Mapped[list[Any]] = mapped_column(JSON, default=list)  # units per week ahead, as strings
    backtest_weeks: Mapped[int] = mapped_column(default=0)  # 0: too little history to measure the error
    mae: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    wape: Mapped[Decimal | None] = mapped_column(Numeric(8, 4), default=None)
    bias: Mapped[Decimal | None] = mapped_column(Numeric(8, 4), default=None)

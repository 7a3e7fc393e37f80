"""Each priced line of a new order given its tax rate for the order's destination (billing/tax_queries.py, one
statement); the storefront checkout resolves the rates inside its lines query instead (sales/checkout.py)."""

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from stockyard.billing.tax_domain import fallback_rate
from stockyard.billing.tax_queries import rates_for_skus
from stockyard.core.uow import UnitOfWork
from stockyard.sales.domain import PricedLine


def with_tax_rates(uow: UnitOfWork, priced: Sequence[PricedLine], country: str, region: str | None,
                   channel_rate: Decimal) -> list[PricedLine]:
    """The lines with the rate of their product's tax class at (country, region); the channel's rate where the
    tenant has no rate for it."""
    fallback = fallback_rate(Decimal(channel_rate))
    rates = rates_for_skus(uow, [p.sku_id for p in priced], country, region, fallback)
    return [replace(p, tax=rates.get(p.sku_id, fallback)) for p in priced]

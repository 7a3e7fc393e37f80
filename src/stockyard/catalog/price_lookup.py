"""Unit prices of many SKUs on one channel in one statement: the hot-path companion of pricing.lookup_price."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, select

from stockyard.catalog.pricing_domain import ListForSku, Tier, resolve_price
from stockyard.catalog.pricing_models import PriceList, PriceTier
from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork

_lists = PriceList.__table__
_tiers = PriceTier.__table__
_TIERS_FOR_SKUS = (
    select(_tiers.c.sku_id, _tiers.c.min_quantity, _tiers.c.unit_price, _lists.c.id, _lists.c.name, _lists.c.priority,
           _lists.c.valid_from, _lists.c.valid_to, _lists.c.active, _lists.c.currency)
    .join(_lists, _lists.c.id == _tiers.c.price_list_id)
    .where(_tiers.c.tenant_id == bindparam("tenant_id"), _lists.c.channel_id == bindparam("channel_id"),
           _lists.c.currency == bindparam("currency"), _lists.c.active.is_(True),
           _tiers.c.sku_id.in_(bindparam("sku_ids", expanding=True)))
)


def unit_prices(uow: UnitOfWork, channel_id: int, currency: str, quantities: Mapping[int, int],
                day: date | None = None) -> dict[int, Decimal]:
    """sku id → unit price for the given quantity, from the channel's price lists valid on `day`. A SKU without
    a price is absent from the result; the caller decides what that means."""
    if not quantities:
        return {}
    day = day or utcnow().date()
    per_sku: dict[int, dict[int, tuple[ListForSku, list[Tier]]]] = {}
    for r in uow.conn.execute(_TIERS_FOR_SKUS, {"tenant_id": uow.tenant_id, "channel_id": channel_id,
                                                "currency": currency, "sku_ids": sorted(quantities)}):
        lists = per_sku.setdefault(r.sku_id, {})
        if r.id not in lists:
            lists[r.id] = (ListForSku(r.id, r.name, channel_id, r.currency, r.priority, r.valid_from, r.valid_to,
                                      r.active, ()), [])
        lists[r.id][1].append(Tier(r.min_quantity, r.unit_price))
    prices: dict[int, Decimal] = {}
    for sku_id, lists in per_sku.items():
        candidates = [ListForSku(p.list_id, p.name, p.channel_id, p.currency, p.priority, p.valid_from, p.valid_to,
                                 p.active, tuple(tiers)) for p, tiers in lists.values()]
        resolved = resolve_price(candidates, channel_id, currency, quantities[sku_id], day)
        if resolved is not None:
            prices[sku_id] = resolved.tier.unit_price
    return prices

"""Available to promise of one SKU (per warehouse and in total, as GET /api/v1/inventory/atp shows it) through the
read cache (core/cache.py).

Each SKU has a version counter; an entry's key holds the version it was computed under. A stock event for the SKU
bumps its version (integration/cache_invalidation.py), so the next read computes afresh; entries also expire after
`ttl` seconds (at most ATP_TTL_SECONDS), a backstop for a missed event; 0 reads through. Reading the version
before the database means a figure computed from data older than the bump is stored under the old version, where
nobody looks.

Display only: reservations and orders never read it (inventory/reservations.py decides with a conditional UPDATE).
"""

from collections.abc import Iterable

from stockyard.core.cache import Cache
from stockyard.core.cache_codec import cacheable, dumps, loads
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import INVENTORY_VIEW
from stockyard.inventory.queries import SkuStock, WarehouseStock, stock_for_skus
from stockyard.inventory.refs import resolve_sku_text

ATP_TTL_SECONDS = 30.0
cacheable(SkuStock)
cacheable(WarehouseStock)


def version_key(tenant_id: int, sku_id: int) -> str:
    return f"ver:atp:{tenant_id}:{sku_id}"


def entry_key(tenant_id: int, sku_id: int, version: int) -> str:
    return f"atp:{tenant_id}:{sku_id}:{version}"


def forget_atp(cache: Cache, tenant_id: int, sku_ids: Iterable[int]) -> None:
    for sku_id in sorted(set(sku_ids)):
        cache.bump(version_key(tenant_id, sku_id))


@requires(INVENTORY_VIEW)
def atp_for_sku(uow: UnitOfWork, cache: Cache, sku: str, ttl: float = ATP_TTL_SECONDS) -> SkuStock:
    """inventory.queries.atp_for_sku (a SKU named by code, barcode or id) through the cache."""
    sku_id = resolve_sku_text(uow, sku).id
    if ttl <= 0:
        return stock_for_skus(uow, [sku_id])[sku_id]
    version = cache.counter(version_key(uow.tenant_id, sku_id))
    key = entry_key(uow.tenant_id, sku_id, version)
    hit = cache.get(key)
    if hit is not None:
        return loads(hit)  # type: ignore[no-any-return]
    stock = stock_for_skus(uow, [sku_id])[sku_id]
    cache.set(key, dumps(stock), min(ttl, ATP_TTL_SECONDS))
    return stock

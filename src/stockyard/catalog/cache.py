"""The storefront's catalog pages through the read cache (core/cache.py): the home page, listings (category, brand,
search) and product pages, as computed by catalog/storefront_queries.py and catalog/search.py.

An entry's key holds the tenant, the tenant's catalog generation, the query's name, a digest of its arguments (the
shop, filters, sort, page, the low-stock threshold) and today's date (prices and arrival dates go by the day). Any
change to what these pages show (stock, reservations, prices, products, SKUs, categories, brands, purchase orders)
bumps the tenant's generation (integration/cache_invalidation.py), so the next request computes afresh; entries
also expire after `ttl` seconds (the setting read_cache_seconds), a backstop for a missed event; 0 reads through.

Display only: a cart, a reservation or an order never reads these figures; the database's conditional UPDATE
decides whether stock is there (inventory/reservations.py), so a stale page cannot oversell.
"""

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine

from stockyard.catalog import storefront_queries as sq
from stockyard.core.actor import Actor
from stockyard.core.cache import Cache
from stockyard.core.cache_codec import cacheable, dumps, loads
from stockyard.core.clock import utcnow
from stockyard.core.uow import read
from stockyard.identity.domain import CATALOG_VIEW

PAGE_TTL_SECONDS = 60.0  # the default of Settings.read_cache_seconds
T = TypeVar("T")

for _type in (sq.Shop, sq.StockLabel, sq.Item, sq.FacetValue, sq.AttributeFacet, sq.Facets, sq.CategoryNode,
              sq.Listing, sq.Home, sq.WarehouseOffer, sq.PriceStep, sq.ProductPage):
    cacheable(_type)


def generation_key(tenant_id: int) -> str:
    return f"gen:catalog:{tenant_id}"


def page_key(tenant_id: int, generation: int, name: str, args: tuple[Any, ...]) -> str:
    digest = hashlib.sha256(repr((utcnow().date(), args)).encode()).hexdigest()[:32]
    return f"catalog:{tenant_id}:{generation}:{name}:{digest}"


def forget_catalog(cache: Cache, tenant_id: int) -> int:
    """Every cached page of the tenant becomes unreachable; the new generation."""
    return cache.bump(generation_key(tenant_id))


def cached_read(engine: Engine, cache: Cache, actor: Actor, query: Callable[..., T], *args: Any,
                ttl: float = PAGE_TTL_SECONDS) -> T:
    """`read(engine, actor, query, *args)` for a storefront catalog query, served from the cache when it holds the
    answer for the tenant's current generation. The actor's permission is checked before the cache is."""
    if ttl <= 0:
        return read(engine, actor, query, *args)
    actor.require(CATALOG_VIEW)
    generation = cache.counter(generation_key(actor.tenant_id))
    key = page_key(actor.tenant_id, generation, f"{query.__module__}.{query.__qualname__}", args)
    hit = cache.get(key)
    if hit is not None:
        return loads(hit)  # type: ignore[no-any-return]
    value = read(engine, actor, query, *args)
    cache.set(key, dumps(value), ttl)
    return value

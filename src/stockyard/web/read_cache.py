"""The read cache of a request's app (core/cache.py): Redis when STOCKYARD_REDIS_URL is set, else in-process."""

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

from stockyard.catalog.cache import cached_read
from stockyard.core.actor import Actor
from stockyard.core.cache import Cache, shared_cache

T = TypeVar("T")


def read_cache(request: Request) -> Cache:
    state = request.app.state
    found = getattr(state, "read_cache", None)
    if found is None:
        found = state.read_cache = shared_cache(state.engine, state.settings.redis_url)
    return found


def read_cache_seconds(request: Request) -> float:
    """How long cached figures may be served (0: the cache is off)."""
    return float(request.app.state.settings.read_cache_seconds)


def catalog_read(request: Request, actor: Actor, query: Callable[..., T], *args: Any) -> T:
    """A storefront catalog query (home, listing, search, product page) through the cache."""
    return cached_read(request.app.state.engine, read_cache(request), actor, query, *args,
                       ttl=read_cache_seconds(request))

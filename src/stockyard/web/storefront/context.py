"""Which shop a storefront request is for, and who acts in it.

The storefront at / serves one sales channel of one tenant, chosen by the request's Host header: the active
storefront channel whose `domain` is that host; otherwise the fallback from settings (`storefront_tenant`, a
tenant slug, and `storefront_channel`, a channel code). No match: NotFound ("no shop here"), shown as a 404 page.
Resolving runs on every shop request, so the answer (also "none") is cached per host for a few seconds.

Cart, checkout and account pages extend templates/shop/layout.html and call `storefront_for` and `shop_actor`.
"""

import threading
import time
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, and_, case, func, or_, select

from stockyard.catalog.storefront_queries import Shop
from stockyard.core.actor import Actor
from stockyard.core.errors import NotFound
from stockyard.core.settings import Settings
from stockyard.core.structured_logging import note_actor
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import STOREFRONT
from stockyard.identity.models import Tenant
from stockyard.sales.models import Channel
from stockyard.web.pages import TEMPLATES, csrf_token

# What an anonymous visitor (or a signed-in customer) may do through the shop's own actor: browse the catalog,
# see stock (ATP), hold stock in a cart and place orders.
STOREFRONT_PERMISSIONS: frozenset[str] = STOREFRONT
CACHE_SECONDS = 5.0


class ShopResolver:
    """Host → Shop, cached for `ttl` seconds per host (negative answers too)."""

    def __init__(self, engine: Engine, settings: Settings, ttl: float = CACHE_SECONDS) -> None:
        self.engine = engine
        self.settings = settings
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Shop | None]] = {}
        self._lock = threading.Lock()

    def resolve(self, host: str) -> Shop | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(host)
        if cached is not None and cached[0] > now:
            return cached[1]
        shop = self._lookup(host)
        with self._lock:
            if len(self._cache) > 10_000:  # many made-up Host headers must not grow the cache without bound
                self._cache.clear()
            self._cache[host] = (now + self.ttl, shop)
        return shop

    def _lookup(self, host: str) -> Shop | None:
        c, t = Channel.__table__, Tenant.__table__
        by_domain = func.lower(c.c.domain) == host
        fallback = and_(t.c.slug == self.settings.storefront_tenant,
                        func.lower(c.c.code) == self.settings.storefront_channel.lower())
        with UnitOfWork(self.engine, readonly=True) as uow:
            row = uow.conn.execute(
                select(c.c.id, c.c.tenant_id, c.c.code, c.c.name, c.c.currency, c.c.prices_include_tax)
                .join(t, t.c.id == c.c.tenant_id)
                .where(c.c.active.is_(True), c.c.kind == "storefront", t.c.active.is_(True), or_(by_domain, fallback))
                .order_by(case((by_domain, 0), else_=1)).limit(1)).first()
        if row is None:
            return None
        return Shop(row.tenant_id, row.id, row.code, row.name, row.currency, bool(row.prices_include_tax))


def _host(request: Request) -> str:
    host = request.headers.get("host", "").strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def resolver(request: Request) -> ShopResolver:
    found = getattr(request.app.state, "shop_resolver", None)
    if found is None:
        found = ShopResolver(request.app.state.engine, request.app.state.settings)
        request.app.state.shop_resolver = found
    return found


def storefront_for(request: Request) -> Shop:
    """The shop this request is for; NotFound when the host serves none. Blocking on a cache miss."""
    shop = resolver(request).resolve(_host(request))
    if shop is None:
        raise NotFound("no shop here", field="host")
    return shop


def shop_actor(shop: Shop) -> Actor:
    """The storefront acting within its tenant: not a user, with the storefront permissions only."""
    return note_actor(Actor(shop.tenant_id, None, f"storefront:{shop.channel_code}",
                            permissions=STOREFRONT_PERMISSIONS))  # the tenant goes in the request's log lines


def shop_render(request: Request, shop: Shop | None, template: str, status_code: int = 200, *,
                with_csrf: bool = True, **context: Any) -> HTMLResponse:
    """A page in the shop's frame (templates/shop/layout.html expects `shop`). A page without a POST form passes
    with_csrf=False: a first-time visitor then gets no server-side session (no database write per page view)."""
    session = request.session
    ctx: dict[str, Any] = {"form": {}, "errors": {}, "user_name": session.get("user_name")}
    ctx["flashes"] = session.pop("flash") if "flash" in session else []
    ctx["csrf_token"] = csrf_token(request) if with_csrf or "csrf" in session else ""
    ctx |= context
    ctx["shop"] = shop
    return TEMPLATES.TemplateResponse(request, template, ctx, status_code=status_code)

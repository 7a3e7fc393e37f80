"""Read models of the sync dashboard of one connection: health, what is waiting, recent errors, and per mapped SKU
what we offer the site, what we last pushed and (when asked) what the site shows, with the drift between them."""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, func, select

from stockyard.catalog.models import Sku
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.outbound import outbound_client
from stockyard.core.pagination import Page, paginate
from stockyard.core.uow import UnitOfWork, read, requires
from stockyard.identity.domain import INTEGRATION_VIEW
from stockyard.integration.channels.adapters.push import ItemPush, PushFailed, Site, pusher_for
from stockyard.integration.channels.mapping import load_connection, sync_settings
from stockyard.integration.channels.stock_push import HTTP_TIMEOUT, figures
from stockyard.integration.channels.sync_models import (
    ChannelPendingPush,
    ChannelSkuMap,
    ChannelStatusPush,
    ChannelSyncError,
    ChannelSyncSettings,
)
from stockyard.inventory.models import Warehouse


@dataclass(frozen=True)
class SyncOverview:
    connection: Any
    settings: ChannelSyncSettings
    mapped: int
    pending: int
    backing_off: int
    oldest_pending_at: datetime | None
    status_pending: int
    status_failed: int
    errors: list[Any]
    status_rows: list[Any]
    warehouses: list[tuple[int, str]]


@dataclass(frozen=True)
class SkuSync:
    sku: str
    external_id: str
    external_stock_id: str
    ours: int  # available-to-sell now
    last_pushed: int | None
    last_pushed_at: datetime | None
    price: Decimal | None
    pending: bool
    site_shows: int | None = None  # filled by read_site_levels

    @property
    def drift(self) -> int | None:
        return None if self.site_shows is None else self.site_shows - self.ours


@requires(INTEGRATION_VIEW)
def sync_overview(uow: UnitOfWork, connection_id: int) -> SyncOverview:
    connection = load_connection(uow, connection_id)
    now = utcnow()
    p = ChannelPendingPush
    pending, backing_off, oldest = uow.execute(select(
        func.count(), func.count().filter(p.attempts > 0), func.min(p.created_at)).where(
        p.connection_id == connection_id)).one()
    s = ChannelStatusPush
    status_pending, status_failed = uow.execute(select(
        func.count().filter(s.state == "pending"), func.count().filter(s.state == "failed")).where(
        s.connection_id == connection_id)).one()
    mapped = uow.execute(select(func.count()).select_from(ChannelSkuMap).where(
        ChannelSkuMap.connection_id == connection_id)).scalar_one()
    errors = list(uow.execute(select(ChannelSyncError).where(ChannelSyncError.connection_id == connection_id)
                              .order_by(ChannelSyncError.created_at.desc(), ChannelSyncError.id.desc()).limit(20))
                  .scalars())
    status_rows = list(uow.execute(select(s).where(s.connection_id == connection_id, s.created_at <= now)
                                   .order_by(s.id.desc()).limit(20)).scalars())
    warehouses = [(w.id, w.code) for w in uow.execute(select(Warehouse).order_by(Warehouse.code)).scalars()]
    return SyncOverview(connection, sync_settings(uow, connection_id), mapped, pending, backing_off, oldest,
                        status_pending, status_failed, errors, status_rows, warehouses)


@requires(INTEGRATION_VIEW)
def sku_sync_page(uow: UnitOfWork, connection_id: int, page: int = 1, per_page: int = 50,
                  q: str = "") -> Page[SkuSync]:
    """A page of the connection's mapped SKUs (by code) with our figure now and the last one pushed."""
    load_connection(uow, connection_id)
    m = ChannelSkuMap
    stmt = (select(m.sku_id, Sku.code, m.external_id, m.external_stock_id, m.last_available, m.last_pushed_at,
                   select(ChannelPendingPush.id).where(ChannelPendingPush.connection_id == connection_id,
                                                       ChannelPendingPush.sku_id == m.sku_id).exists()
                   .label("pending"))
            .join(Sku, Sku.id == m.sku_id).where(m.connection_id == connection_id).order_by(Sku.code, m.id))
    if q.strip():
        needle = f"%{q.strip().lower()}%"
        stmt = stmt.where(func.lower(Sku.code).like(needle) | func.lower(m.external_id).like(needle))
    rows = paginate(uow.execute, stmt, page, per_page)
    _, items, _ = figures(uow, connection_id, [r.sku_id for r in rows.items]) if rows.items else (None, [], {})
    now_by_code = {i.sku: i for i in items}
    result = [SkuSync(r.code, r.external_id, r.external_stock_id, now_by_code[r.code].available, r.last_available,
                      r.last_pushed_at, now_by_code[r.code].price, bool(r.pending)) for r in rows.items]
    return Page(result, rows.total, rows.page, rows.per_page)


def _site(uow: UnitOfWork, connection_id: int) -> Site:
    from stockyard.integration.channels.stock_push import site_of

    return site_of(load_connection(uow, connection_id), sync_settings(uow, connection_id))


def read_site_levels(engine: Engine, actor: Actor, connection_id: int, rows: list[SkuSync], *,
                     client: httpx.Client | None = None) -> tuple[list[SkuSync], str]:
    """The rows with what the site shows filled in, and "" or the reason the site could not be read. No transaction
    is open while the site is asked."""
    actor.require(INTEGRATION_VIEW)
    if not rows:
        return rows, ""
    http = client or outbound_client(timeout=HTTP_TIMEOUT)
    try:
        site = read(engine, actor, _site, connection_id)
        shown = pusher_for(site.adapter).read_levels(http, site, [
            ItemPush(r.sku, r.external_id, r.ours, r.external_stock_id) for r in rows])
    except PushFailed as error:
        return rows, str(error)
    finally:
        if client is None:
            http.close()
    return [replace(r, site_shows=shown.get(r.external_id)) for r in rows], ""

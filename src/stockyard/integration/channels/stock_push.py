"""Stock out to connected sites: stock events mark (connection, SKU) pending; the push job sends them in batches.

Consumer `channels.stock_out` hears every event that changes available-to-promise (a move, a reservation made,
released or expired) and, for each active connection that maps the SKU and whose pool is fed by the warehouse,
upserts one pending row. Repeated changes coalesce into that row (its `version` grows, its `due_at` stays), so a
burst of sales becomes one push `debounce_seconds` after the first change, carrying the figure at send time.

Job `push_due_stock(engine)`: for each connection with due rows it reads the figures (one read-only transaction),
calls the site through its adapter (no transaction open during HTTP), then records the outcome (one transaction):
success deletes the rows whose version did not change meanwhile and remembers what the site was given; failure
keeps them with the error and the next attempt after an exponential backoff, and logs the error for the dashboard.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Engine, and_, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from stockyard.catalog.models import Sku
from stockyard.catalog.price_lookup import unit_prices
from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.crypto import SecretUnreadable, decrypt_secret
from stockyard.core.outbound import outbound_client
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.integration.channels.adapters.push import ItemPush, PushFailed, Site, pusher_for
from stockyard.integration.channels.mapping import pool_of, sync_settings
from stockyard.integration.channels.models import ChannelConnection
from stockyard.integration.channels.pools import available_to_sell
from stockyard.integration.channels.sync_models import (
    ChannelPendingPush,
    ChannelSkuMap,
    ChannelSyncError,
    ChannelSyncSettings,
)
from stockyard.integration.consumers import Event, register
from stockyard.inventory.queries import list_warehouses, stock_for_skus
from stockyard.sales.channels import channel_by_id

log = logging.getLogger("stockyard.channels")

STOCK_EVENTS = ("stock.changed.v1", "stock.reserved.v1", "stock.reservation_released.v1",
                "stock.reservation_expired.v1")
BATCH = 200  # SKUs per push of one connection
MAX_BATCHES = 50  # per connection and run of the job
HTTP_TIMEOUT = 10.0
_pending = ChannelPendingPush.__table__
_maps = ChannelSkuMap.__table__
_settings = ChannelSyncSettings.__table__
_connections = ChannelConnection.__table__


def backoff_seconds(attempts: int) -> int:
    """Wait before the next try after `attempts` failures: 5 s, 10 s, 20 s, ... at most an hour."""
    return int(min(5 * 2 ** max(attempts - 1, 0), 3600))


# ---- marking pending ---------------------------------------------------------------------------------------------

def _upsert_pending(uow: UnitOfWork, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    dialect = postgresql if uow.conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(_pending)
    stmt = stmt.on_conflict_do_update(index_elements=[_pending.c.connection_id, _pending.c.sku_id],
                                      set_={"version": _pending.c.version + 1})
    for row in sorted(rows, key=lambda r: (r["connection_id"], r["sku_id"])):  # one lock order
        uow.conn.execute(stmt, row)
    return len(rows)


def mark_pending(uow: UnitOfWork, pairs: list[tuple[int, int | None]], *, delay_seconds: int | None = None) -> int:
    """Queue a push of each (SKU, warehouse) pair to every active connection that maps the SKU and is fed by the
    warehouse (None: any warehouse). How many (connection, SKU) rows were queued or coalesced."""
    sku_ids = sorted({s for s, _ in pairs})
    if not sku_ids:
        return 0
    found = uow.conn.execute(
        select(_maps.c.connection_id, _maps.c.sku_id, _settings.c.warehouse_ids, _settings.c.debounce_seconds)
        .join(_connections, _connections.c.id == _maps.c.connection_id)
        .outerjoin(_settings, _settings.c.connection_id == _maps.c.connection_id)
        .where(_maps.c.tenant_id == uow.tenant_id, _maps.c.sku_id.in_(sku_ids),
               _connections.c.active.is_(True))).all()
    warehouses_of: dict[int, set[int | None]] = {}
    for sku_id, wh in pairs:
        warehouses_of.setdefault(sku_id, set()).add(wh)
    now = utcnow()
    rows = []
    for r in found:
        feeding = set(r.warehouse_ids or [])
        if feeding and not any(wh is None or wh in feeding for wh in warehouses_of[r.sku_id]):
            continue
        wait = delay_seconds if delay_seconds is not None else (r.debounce_seconds if r.debounce_seconds is not None
                                                                 else 2)
        rows.append({"tenant_id": uow.tenant_id, "connection_id": r.connection_id, "sku_id": r.sku_id, "version": 1,
                     "due_at": now + timedelta(seconds=wait), "attempts": 0, "last_error": "", "created_at": now})
    return _upsert_pending(uow, rows)


def mark_connection_pending(uow: UnitOfWork, connection_id: int, sku_ids: list[int] | None, *,
                            delay_seconds: int = 0) -> int:
    """Queue a push of these mapped SKUs (None: every mapped SKU) to one connection, due after `delay_seconds`."""
    stmt = select(_maps.c.sku_id).where(_maps.c.tenant_id == uow.tenant_id, _maps.c.connection_id == connection_id)
    if sku_ids is not None:
        stmt = stmt.where(_maps.c.sku_id.in_(sku_ids))
    now = utcnow()
    due = now + timedelta(seconds=delay_seconds)
    rows = [{"tenant_id": uow.tenant_id, "connection_id": connection_id, "sku_id": s, "version": 1, "due_at": due,
             "attempts": 0, "last_error": "", "created_at": now} for s in uow.conn.execute(stmt).scalars()]
    count = _upsert_pending(uow, rows)
    if delay_seconds == 0 and rows:  # a resync or a new mapping goes now, even past a backoff
        uow.conn.execute(update(_pending).where(_pending.c.tenant_id == uow.tenant_id,
                                                _pending.c.connection_id == connection_id,
                                                _pending.c.sku_id.in_([r["sku_id"] for r in rows]))
                         .values(due_at=due))
    return count


def _pairs(event: Event) -> list[tuple[int, int | None]]:
    items = event.payload.get("items") or []
    pairs: list[tuple[int, int | None]] = [(int(i["sku_id"]), i.get("warehouse_id")) for i in items]
    if not pairs and event.payload.get("sku_id") is not None:
        pairs.append((int(event.payload["sku_id"]), None))
    return pairs


@register("channels.stock_out", STOCK_EVENTS)
def on_stock_event(uow: UnitOfWork, event: Event) -> None:
    mark_pending(uow, _pairs(event))


# ---- the figures -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    site: Site
    tenant_id: int
    items: list[ItemPush]
    versions: dict[int, int]  # pending row id → version read
    sku_ids: dict[str, int]  # external id → sku id


def site_of(connection: ChannelConnection, settings: ChannelSyncSettings) -> Site:
    token = ""
    if connection.api_token:
        try:
            token = decrypt_secret(connection.api_token)
        except SecretUnreadable as error:
            raise PushFailed("the stored API token cannot be decrypted (was the secret key changed?)") from error
    return Site(connection.id, connection.adapter, connection.base_url.rstrip("/"), token,
                settings.external_location_id)


def figures(uow: UnitOfWork, connection_id: int, sku_ids: list[int]) -> tuple[Site, list[ItemPush], dict[str, int]]:
    """What the site should show for these mapped SKUs now: available-to-sell and (optionally) price."""
    connection = uow.execute(select(ChannelConnection).where(ChannelConnection.id == connection_id)).scalar_one()
    settings = sync_settings(uow, connection_id)
    pool = pool_of(settings)
    maps = uow.conn.execute(
        select(_maps.c.sku_id, _maps.c.external_id, _maps.c.external_stock_id, _maps.c.last_price, Sku.code)
        .join(Sku.__table__, Sku.__table__.c.id == _maps.c.sku_id)
        .where(_maps.c.tenant_id == uow.tenant_id, _maps.c.connection_id == connection_id,
               _maps.c.sku_id.in_(sku_ids)).order_by(Sku.code)).all()
    stock = stock_for_skus(uow, [m.sku_id for m in maps])
    # An inactive warehouse takes no reservations (inventory/reservations.py), so its stock cannot be sold.
    active = {w.id for w in list_warehouses(uow) if w.active}
    prices: dict[int, Decimal] = {}
    currency = ""
    if settings.push_prices:
        currency = channel_by_id(uow, connection.channel_id).currency
        prices = unit_prices(uow, connection.channel_id, currency, {m.sku_id: 1 for m in maps})
    items = []
    for m in maps:
        by_wh = ({wh: ws.atp for wh, ws in stock[m.sku_id].warehouses.items() if wh in active}
                 if m.sku_id in stock else {})
        items.append(ItemPush(sku=m.code, external_id=m.external_id, available=available_to_sell(by_wh, pool),
                              external_stock_id=m.external_stock_id, price=prices.get(m.sku_id),
                              currency=currency if m.sku_id in prices else "",
                              last_price=Decimal(m.last_price) if m.last_price is not None else None))
    return site_of(connection, settings), items, {m.external_id: m.sku_id for m in maps}


def _read_batch(uow: UnitOfWork, connection_id: int, now: datetime, *, due_only: bool = True) -> Batch | None:
    stmt = (select(_pending.c.id, _pending.c.sku_id, _pending.c.version)
            .where(_pending.c.tenant_id == uow.tenant_id, _pending.c.connection_id == connection_id)
            .order_by(_pending.c.due_at, _pending.c.id).limit(BATCH))
    if due_only:
        stmt = stmt.where(_pending.c.due_at <= now)
    rows = uow.conn.execute(stmt).all()
    if not rows:
        return None
    site, items, sku_ids = figures(uow, connection_id, [r.sku_id for r in rows])
    return Batch(site, uow.tenant_id, items, {r.id: r.version for r in rows}, sku_ids)


# ---- recording the outcome ---------------------------------------------------------------------------------------

def _touch_settings(uow: UnitOfWork, connection_id: int, **values: Any) -> None:
    changed = uow.conn.execute(update(_settings).where(_settings.c.tenant_id == uow.tenant_id,
                                                       _settings.c.connection_id == connection_id)
                               .values(**values)).rowcount
    if not changed:
        defaults = {"stock_buffer": 0, "stock_share_pct": 100, "warehouse_ids": [], "push_prices": True,
                    "external_location_id": "", "debounce_seconds": 2, "last_error": "", "updated_at": utcnow()}
        uow.conn.execute(insert(_settings).values(tenant_id=uow.tenant_id, connection_id=connection_id,
                                                  **{**defaults, **values}))


def log_error(uow: UnitOfWork, connection_id: int, kind: str, message: str) -> None:
    uow.conn.execute(insert(ChannelSyncError.__table__).values(
        tenant_id=uow.tenant_id, connection_id=connection_id, kind=kind, message=message[:500], created_at=utcnow()))


def record_success(uow: UnitOfWork, batch: Batch, now: datetime) -> int:
    for item in batch.items:
        uow.conn.execute(update(_maps).where(
            _maps.c.tenant_id == uow.tenant_id, _maps.c.connection_id == batch.site.connection_id,
            _maps.c.sku_id == batch.sku_ids[item.external_id]).values(
                last_available=item.available, last_pushed_at=now,
                **({"last_price": item.price} if item.price is not None else {})))
    done = 0
    for row_id, version in sorted(batch.versions.items()):
        done += uow.conn.execute(delete(_pending).where(_pending.c.id == row_id, _pending.c.version == version)
                                 ).rowcount
    # Rows changed while we pushed stay, due now, with their tries reset.
    uow.conn.execute(update(_pending).where(_pending.c.id.in_(list(batch.versions)))
                     .values(attempts=0, last_error="", due_at=now))
    _touch_settings(uow, batch.site.connection_id, last_success_at=now, last_error="")
    return done


def record_failure(uow: UnitOfWork, connection_id: int, row_ids: list[int], message: str, now: datetime) -> None:
    p = _pending
    for row in uow.conn.execute(select(p.c.id, p.c.attempts).where(p.c.id.in_(row_ids))).all():
        attempts = row.attempts + 1
        uow.conn.execute(update(p).where(p.c.id == row.id).values(
            attempts=attempts, last_error=message[:500], due_at=now + timedelta(seconds=backoff_seconds(attempts))))
    log_error(uow, connection_id, "stock", message)
    _touch_settings(uow, connection_id, last_failure_at=now, last_error=message[:500])


# ---- the job -----------------------------------------------------------------------------------------------------

def _due_connections(engine: Engine, now: datetime, connection_id: int | None) -> list[tuple[int, int]]:
    stmt = (select(_pending.c.tenant_id, _pending.c.connection_id)
            .join(_connections, and_(_connections.c.id == _pending.c.connection_id, _connections.c.active.is_(True)))
            .where(_pending.c.due_at <= now).distinct().order_by(_pending.c.connection_id))
    if connection_id is not None:
        stmt = stmt.where(_pending.c.connection_id == connection_id)
    with engine.connect() as conn:
        return [(r.tenant_id, r.connection_id) for r in conn.execute(stmt)]


def push_connection(engine: Engine, tenant_id: int, connection_id: int, client: httpx.Client, *,
                    due_only: bool = True) -> tuple[int, int]:
    """One batch of one connection: (SKUs pushed, SKUs that failed)."""
    actor = system_actor(tenant_id, "channel stock push")
    now = utcnow()
    try:
        batch = read(engine, actor, _read_batch, connection_id, now, due_only=due_only)
    except PushFailed as error:
        rows = read(engine, actor, lambda uow: list(uow.conn.execute(select(_pending.c.id).where(
            _pending.c.tenant_id == tenant_id, _pending.c.connection_id == connection_id)).scalars()))
        perform(engine, actor, record_failure, connection_id, rows, str(error), now)
        return 0, len(rows)
    if batch is None:
        return 0, 0
    try:
        if batch.items:
            pusher_for(batch.site.adapter).push_items(client, batch.site, batch.items)
    except PushFailed as error:
        log.warning("stock push to connection %d failed: %s", connection_id, error)
        perform(engine, actor, record_failure, connection_id, list(batch.versions), str(error), utcnow())
        return 0, len(batch.versions)
    perform(engine, actor, record_success, batch, utcnow())
    return len(batch.items), 0


def push_due_stock(engine: Engine, *, connection_id: int | None = None, client: httpx.Client | None = None) -> int:
    """The job: push every connection's due SKUs. How many SKUs were pushed."""
    pushed = 0
    own = client is None
    http = client or outbound_client(timeout=HTTP_TIMEOUT)
    try:
        for tenant_id, conn_id in _due_connections(engine, utcnow(), connection_id):
            for _ in range(MAX_BATCHES):  # batch after batch, until nothing is due or a batch fails
                done, failed = push_connection(engine, tenant_id, conn_id, http)
                pushed += done
                if failed or done < BATCH:
                    break
    finally:
        if own:
            http.close()
    return pushed

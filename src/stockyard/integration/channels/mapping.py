"""Which of our SKUs a connected site lists (and under which ids), and how much of our stock it may sell.

Services: `map_sku`, `unmap_sku`, `set_sync_settings`. Mapping a SKU, or changing the pool, queues a push of the
affected SKUs (stock_push.mark_pending), so the site hears the new figure without waiting for a stock change.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select

from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import CHANNELS_MANAGE
from stockyard.integration.channels.models import ChannelConnection
from stockyard.integration.channels.pools import Pool
from stockyard.integration.channels.sync_models import ChannelSkuMap, ChannelSyncSettings
from stockyard.inventory.models import Warehouse


class MapSku(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    external_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:/-]+$")
    external_stock_id: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9_.:/-]*$")


class SyncSettingsIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stock_buffer: int = Field(default=0, ge=0, le=1_000_000)
    stock_share_pct: int = Field(default=100, ge=0, le=100)
    warehouse_ids: list[int] = Field(default_factory=list, max_length=200)
    push_prices: bool = True
    external_location_id: str = Field(default="", max_length=100)
    debounce_seconds: int = Field(default=2, ge=0, le=3600)


def load_connection(uow: UnitOfWork, connection_id: int, field: str = "connection_id") -> ChannelConnection:
    found = uow.execute(select(ChannelConnection).where(ChannelConnection.id == connection_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown channel connection {connection_id}", field=field)
    return found


def sync_settings(uow: UnitOfWork, connection_id: int) -> ChannelSyncSettings:
    """The connection's settings row (the defaults, unsaved, when none was stored yet)."""
    found = uow.execute(select(ChannelSyncSettings).where(
        ChannelSyncSettings.connection_id == connection_id)).scalar_one_or_none()
    return found or ChannelSyncSettings(connection_id=connection_id, tenant_id=uow.tenant_id, stock_buffer=0,
                                        stock_share_pct=100, warehouse_ids=[], push_prices=True,
                                        external_location_id="", debounce_seconds=2, last_error="")


def pool_of(settings: ChannelSyncSettings) -> Pool:
    return Pool(frozenset(settings.warehouse_ids or []), settings.stock_share_pct, settings.stock_buffer)


def map_sku(uow: UnitOfWork, connection_id: int, cmd: MapSku) -> int:
    uow.require(CHANNELS_MANAGE)
    load_connection(uow, connection_id)
    sku = uow.execute(select(Sku).where(Sku.code == cmd.sku.strip())).scalar_one_or_none()
    if sku is None:
        raise NotFound(f"unknown SKU '{cmd.sku}'", field="sku")
    taken = uow.execute(select(ChannelSkuMap).where(ChannelSkuMap.connection_id == connection_id,
                                                    ChannelSkuMap.external_id == cmd.external_id,
                                                    ChannelSkuMap.sku_id != sku.id)).scalar_one_or_none()
    if taken is not None:
        raise Conflict(f"the site's item {cmd.external_id} is mapped to another SKU already", field="external_id")
    row = uow.execute(select(ChannelSkuMap).where(ChannelSkuMap.connection_id == connection_id,
                                                  ChannelSkuMap.sku_id == sku.id)).scalar_one_or_none()
    before: dict[str, Any] | None = None
    if row is None:
        row = ChannelSkuMap(tenant_id=uow.tenant_id, connection_id=connection_id, sku_id=sku.id,
                            external_id=cmd.external_id, external_stock_id=cmd.external_stock_id)
        uow.session.add(row)
    else:
        before = {"external_id": row.external_id, "external_stock_id": row.external_stock_id}
        row.external_id, row.external_stock_id = cmd.external_id, cmd.external_stock_id
        row.last_available = row.last_price = None  # new ids: nothing is known to be on the site yet
    uow.session.flush()
    from stockyard.integration.channels.stock_push import mark_connection_pending

    mark_connection_pending(uow, connection_id, [sku.id], delay_seconds=0)
    add_event(uow, "channel.sku_mapped.v1", {"connection_id": connection_id, "sku": sku.code, "before": before,
                                             "after": {"external_id": cmd.external_id,
                                                       "external_stock_id": cmd.external_stock_id}})
    return row.id


def unmap_sku(uow: UnitOfWork, connection_id: int, sku_code: str) -> None:
    uow.require(CHANNELS_MANAGE)
    load_connection(uow, connection_id)
    row = uow.execute(select(ChannelSkuMap, Sku.code).join(Sku, Sku.id == ChannelSkuMap.sku_id).where(
        ChannelSkuMap.connection_id == connection_id, Sku.code == sku_code.strip())).first()
    if row is None:
        raise NotFound(f"SKU '{sku_code}' is not mapped on this connection", field="sku")
    from stockyard.integration.channels.sync_models import ChannelPendingPush

    uow.execute(delete(ChannelPendingPush).where(ChannelPendingPush.connection_id == connection_id,
                                                 ChannelPendingPush.sku_id == row[0].sku_id))
    uow.session.delete(row[0])
    add_event(uow, "channel.sku_unmapped.v1", {"connection_id": connection_id, "sku": row.code,
                                               "before": {"external_id": row[0].external_id}})


def set_sync_settings(uow: UnitOfWork, connection_id: int, cmd: SyncSettingsIn) -> None:
    uow.require(CHANNELS_MANAGE)
    load_connection(uow, connection_id)
    wanted = sorted(set(cmd.warehouse_ids))
    if wanted:
        known = set(uow.execute(select(Warehouse.id).where(Warehouse.id.in_(wanted))).scalars())
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise NotFound(f"unknown warehouse(s) {', '.join(map(str, unknown))}", field="warehouse_ids")
    row = uow.execute(select(ChannelSyncSettings).where(
        ChannelSyncSettings.connection_id == connection_id)).scalar_one_or_none()
    values = {**cmd.model_dump(), "warehouse_ids": wanted}
    before = None
    if row is None:
        row = ChannelSyncSettings(tenant_id=uow.tenant_id, connection_id=connection_id, last_error="")
        uow.session.add(row)
    else:
        before = {k: getattr(row, k) for k in values}
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    uow.session.flush()
    from stockyard.integration.channels.stock_push import mark_connection_pending

    mark_connection_pending(uow, connection_id, None, delay_seconds=0)
    add_event(uow, "channel.sync_settings_changed.v1", {"connection_id": connection_id, "before": before,
                                                        "after": values})

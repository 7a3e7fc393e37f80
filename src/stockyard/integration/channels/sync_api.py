"""JSON API of the outbound sync of a channel connection under /api/v1/channels/connections/{id}/sync.

- `GET .../sync` (integration.view): health (last successful push, last failure), pending pushes, status updates
  owed, recent errors, the pool, and a page of mapped SKUs with our available-to-sell now and the figure last pushed.
- `PUT .../sync/settings` (channels.manage): the pool (share, buffer, warehouses), prices on/off, debounce and the
  site's location id; every mapped SKU is pushed again.
- `PUT .../sync/skus` (channels.manage): map one SKU {"sku", "external_id", "external_stock_id"} (pushed at once).
- `POST .../sync/unmap` (channels.manage): {"sku"}: the site is no longer fed that SKU.
- `POST .../sync/resync` (channels.manage): queue every mapped SKU now; the push job sends them within seconds.
"""

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from stockyard.core.uow import perform, read
from stockyard.integration.channels import mapping
from stockyard.integration.channels.resync import queue_resync
from stockyard.integration.channels.sync_queries import sku_sync_page, sync_overview
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(prefix="/channels/connections", tags=["channels"])


class Unmap(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str = Field(min_length=1, max_length=64)


def _time(value: Any) -> str | None:
    return value.isoformat() if value else None


@router.get("/{connection_id}/sync")
def sync_state(connection_id: int, engine: EngineDep, actor: ApiActor,
               page: int = Query(default=1, ge=1), per_page: int = Query(default=50, ge=1, le=500)) -> dict[str, Any]:
    o = read(engine, actor, sync_overview, connection_id)
    skus = read(engine, actor, sku_sync_page, connection_id, page, per_page)
    s = o.settings
    return {
        "connection": {"id": o.connection.id, "name": o.connection.name, "adapter": o.connection.adapter},
        "last_success_at": _time(s.last_success_at), "last_failure_at": _time(s.last_failure_at),
        "last_error": s.last_error, "mapped": o.mapped, "pending": o.pending, "retrying": o.backing_off,
        "status_updates": {"pending": o.status_pending, "failed": o.status_failed},
        "pool": {"stock_share_pct": s.stock_share_pct, "stock_buffer": s.stock_buffer,
                 "warehouse_ids": list(s.warehouse_ids or []), "push_prices": s.push_prices,
                 "external_location_id": s.external_location_id, "debounce_seconds": s.debounce_seconds},
        "errors": [{"at": e.created_at.isoformat(), "kind": e.kind, "message": e.message} for e in o.errors],
        "skus": {"items": [{"sku": r.sku, "external_id": r.external_id, "external_stock_id": r.external_stock_id,
                            "available_to_sell": r.ours, "last_pushed": r.last_pushed,
                            "last_pushed_at": _time(r.last_pushed_at),
                            "price": str(r.price) if r.price is not None else None, "pending": r.pending}
                           for r in skus.items],
                 "total": skus.total, "page": skus.page, "per_page": skus.per_page},
    }


@router.put("/{connection_id}/sync/settings")
def put_settings(connection_id: int, body: mapping.SyncSettingsIn, engine: EngineDep,
                 actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, mapping.set_sync_settings, connection_id, body)
    return {"connection_id": connection_id, **body.model_dump()}


@router.put("/{connection_id}/sync/skus")
def put_sku(connection_id: int, body: mapping.MapSku, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    map_id = perform(engine, actor, mapping.map_sku, connection_id, body)
    return {"id": map_id, "connection_id": connection_id, **body.model_dump()}


@router.post("/{connection_id}/sync/unmap", status_code=204)
def unmap(connection_id: int, body: Unmap, engine: EngineDep, actor: ApiActor) -> None:
    perform(engine, actor, mapping.unmap_sku, connection_id, body.sku)


@router.post("/{connection_id}/sync/resync")
def resync(connection_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, int]:
    return {"queued": perform(engine, actor, queue_resync, connection_id)}

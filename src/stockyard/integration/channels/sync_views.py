"""The sync dashboard of a channel connection at /admin/channels/connections/{id}/sync: last successful push,
pending pushes, recent errors, status updates owed, and per mapped SKU our available-to-sell against what we
last pushed and (on request, `?drift=1`) what the site shows. Managers also set the pool, map SKUs and resync."""

from collections.abc import Mapping
from typing import Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.analytics.charts import as_image_src, bar_chart
from stockyard.core.actor import Actor
from stockyard.core.errors import DomainError
from stockyard.core.uow import perform, read
from stockyard.identity.domain import CHANNELS_MANAGE
from stockyard.integration.channels import mapping
from stockyard.integration.channels.rejections import open_rejections
from stockyard.integration.channels.resync import queue_resync
from stockyard.integration.channels.sync_queries import SkuSync, read_site_levels, sku_sync_page, sync_overview
from stockyard.web.admin import admin_page, admin_router
from stockyard.web.admin_forms import checked
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, run, see_other

router = admin_router("/channels/connections")
SETTINGS_FIELDS = {"stock_buffer", "stock_share_pct", "warehouse_ids", "push_prices", "external_location_id",
                   "debounce_seconds"}
MAP_FIELDS = {"sku", "external_id", "external_stock_id"}


def _url(connection_id: int) -> str:
    return f"/admin/channels/connections/{connection_id}/sync"


def drift_chart(rows: list[SkuSync]) -> str | None:
    """Ours against the site's, for the SKUs of the page where they differ (at most 15), as an image source."""
    drifting = [r for r in rows if r.drift][:15]
    if not drifting:
        return None
    return as_image_src(bar_chart("Available to sell: ours and the site's", [r.sku for r in drifting],
                                  {"ours": [r.ours for r in drifting],
                                   "site shows": [r.site_shows for r in drifting]}))


def _settings_form(overview: Any) -> dict[str, Any]:
    s = overview.settings
    return {"stock_buffer": s.stock_buffer, "stock_share_pct": s.stock_share_pct,
            "warehouse_ids": [str(w) for w in (s.warehouse_ids or [])], "push_prices": "on" if s.push_prices else "",
            "external_location_id": s.external_location_id, "debounce_seconds": s.debounce_seconds}


def _dashboard(request: Request, engine: Engine, actor: Actor, connection_id: int, *, page_no: int = 1, q: str = "",
               drift: bool = False, form: Mapping[str, Any] | None = None, map_form: Mapping[str, Any] | None = None,
               errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    overview = read(engine, actor, sync_overview, connection_id)
    refused = read(engine, actor, open_rejections, connection_id)
    skus = read(engine, actor, sku_sync_page, connection_id, page_no, 50, q)
    site_error = ""
    items = skus.items
    if drift:
        items, site_error = read_site_levels(engine, actor, connection_id, items)
    return admin_page(request, actor, "admin/integration/channel_sync.html", status_code, section="connections",
                      o=overview, refused=refused, skus=skus, items=items, drift=drift, site_error=site_error, q=q,
                      chart=drift_chart(items) if drift else None,
                      form=dict(form) if form is not None else _settings_form(overview),
                      map_form=dict(map_form or {}), errors=errors or {}, url=_url(connection_id),
                      readonly=not actor.can(CHANNELS_MANAGE))


@router.get("/{connection_id}/sync", response_class=HTMLResponse)
async def sync_dashboard(request: Request, engine: EngineDep, actor: PageActor, connection_id: int, q: str = "",
                         drift: bool = False, page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return await run(lambda: _dashboard(request, engine, actor, connection_id, page_no=page_no, q=q, drift=drift))


def _settings_command(form: Mapping[str, Any], warehouse_ids: list[str]) -> mapping.SyncSettingsIn:
    values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in
                              ("stock_buffer", "stock_share_pct", "external_location_id", "debounce_seconds")}
    values = {k: v for k, v in values.items() if v != "" or k == "external_location_id"}
    return mapping.SyncSettingsIn(**values, warehouse_ids=warehouse_ids, push_prices=checked(form, "push_prices"))


@router.post("/{connection_id}/sync/settings")
async def save_sync_settings(request: Request, engine: EngineDep, actor: PageActor, connection_id: int) -> Response:
    form = await check_csrf(request)
    chosen = [str(w) for w in (await request.form()).getlist("warehouse_ids")]
    try:
        cmd = _settings_command(form, chosen)
        await run(perform, engine, actor, mapping.set_sync_settings, connection_id, cmd)
    except (ValidationError, DomainError) as error:
        errors, status = field_errors(error, SETTINGS_FIELDS)
        return await run(lambda: _dashboard(request, engine, actor, connection_id, errors=errors, status_code=status,
                                            form={**form, "warehouse_ids": chosen}))
    flash(request, "Sync settings saved; every mapped SKU will be pushed again.")
    return see_other(_url(connection_id))


@router.post("/{connection_id}/sync/map")
async def map_sku(request: Request, engine: EngineDep, actor: PageActor, connection_id: int) -> Response:
    form = await check_csrf(request)
    try:
        cmd = mapping.MapSku(**{k: str(form.get(k, "")).strip() for k in MAP_FIELDS})
        await run(perform, engine, actor, mapping.map_sku, connection_id, cmd)
    except (ValidationError, DomainError) as error:
        errors, status = field_errors(error, MAP_FIELDS)
        return await run(lambda: _dashboard(request, engine, actor, connection_id, errors=errors, status_code=status,
                                            map_form=form))
    flash(request, f"SKU {cmd.sku} mapped to the site's item {cmd.external_id}.")
    return see_other(_url(connection_id))


@router.post("/{connection_id}/sync/unmap")
async def unmap_sku(request: Request, engine: EngineDep, actor: PageActor, connection_id: int) -> Response:
    form = await check_csrf(request)
    sku = str(form.get("sku", "")).strip()
    await run(perform, engine, actor, mapping.unmap_sku, connection_id, sku)
    flash(request, f"SKU {sku} is no longer synced to this site.")
    return see_other(_url(connection_id))


@router.post("/{connection_id}/sync/resync")
async def resync(request: Request, engine: EngineDep, actor: PageActor, connection_id: int) -> Response:
    await check_csrf(request)
    queued = await run(perform, engine, actor, queue_resync, connection_id)
    flash(request, f"{queued} SKUs queued for a full resync; they are pushed within seconds.")
    return see_other(_url(connection_id))

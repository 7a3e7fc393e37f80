"""Admin pages of channel connections at /admin/channels/connections (channels.manage): the list, new, the
connection's page (edit, webhook URL, rotate secret, deactivate, poll now, CSV order upload with its row report).

The webhook secret is shown once, in the flash message after creating the connection or rotating the secret. The
CSV upload needs orders.place; its report lists every refused row (line, field, message) on the page. The sync
dashboard of a connection (/admin/channels/connections/{id}/sync) lives in sync_views.py.
"""

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine
from starlette.datastructures import UploadFile

from stockyard.core.actor import Actor
from stockyard.core.errors import RowErrors, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import CHANNELS_MANAGE, ORDERS_PLACE
from stockyard.integration.channels import connections as svc
from stockyard.integration.channels.csv_orders import OPTIONAL, REQUIRED, CsvOrdersReport, import_orders_csv
from stockyard.integration.channels.models import ADAPTERS
from stockyard.integration.channels.polling import poll_connection
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_crud import INPUT_ERRORS, submit
from stockyard.web.admin_forms import FormField, checked
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, run, see_other

BASE = "/admin/channels/connections"
MAX_CSV_BYTES = 5_000_000
ADAPTER_LABELS = {"generic": "Generic REST/webhook", "shopify": "Shopify-style", "woocommerce": "WooCommerce-style"}

router = admin_router("/channels/connections")
ADMIN_SECTIONS.append(("connections", BASE, "Connections"))


def _fields(engine: Engine, actor: Actor) -> tuple[FormField, ...]:
    channels = read(engine, actor, svc.channel_choices)
    return (
        FormField("name", "Name", required=True, placeholder="Parts marketplace DE"),
        FormField("channel_id", "Sales channel", "select", required=True,
                  options=[(str(i), f"{code} · {name}") for i, code, name in channels],
                  hint="its currency, tax and allocation rules apply to the site's orders"),
        FormField("adapter", "Platform", "select", required=True,
                  options=[(a, ADAPTER_LABELS[a]) for a in ADAPTERS]),
        FormField("base_url", "Site API root", required=True, placeholder="https://shop.example.com"),
        FormField("external_site_id", "Site id", hint="the site's own name for itself, e.g. the shop domain"),
        FormField("api_token", "API token", "secret",
                  hint="for polling (Shopify access token; WooCommerce consumer_key:consumer_secret); "
                       "empty keeps the stored one"),
        FormField("poll_orders", "Poll the site for orders", "checkbox"),
        FormField("active", "Active", "checkbox"),
    )


KNOWN = {"name", "channel_id", "adapter", "base_url", "external_site_id", "api_token", "poll_orders", "active"}


def command(form: Mapping[str, Any]) -> svc.ConnectionIn:
    channel = str(form.get("channel_id", "")).strip()
    if not channel.isdigit():
        raise ValidationFailed("choose a sales channel", field="channel_id")
    return svc.ConnectionIn(
        channel_id=int(channel), name=str(form.get("name", "")), adapter=str(form.get("adapter", "")),
        base_url=str(form.get("base_url", "")), external_site_id=str(form.get("external_site_id", "")),
        api_token=str(form.get("api_token", "")), poll_orders=checked(form, "poll_orders"),
        active=checked(form, "active"))


def _values(c: svc.ConnectionView) -> dict[str, Any]:
    return {"name": c.name, "channel_id": str(c.channel_id), "adapter": c.adapter, "base_url": c.base_url,
            "external_site_id": c.external_site_id, "poll_orders": "on" if c.poll_orders else "",
            "active": "on" if c.active else ""}


def _new_form(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any],
              errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return admin_page(request, actor, "admin/commerce/form.html", status_code, section="connections",
                      title="New connection", fields=_fields(engine, actor), form=dict(form), errors=errors or {},
                      action=f"{BASE}/new", delete_url=None, back_url=BASE, back_label="Connections",
                      readonly=False, intro="An external store or marketplace whose orders come into a sales channel. "
                      "The webhook secret the site signs its orders with is shown once, after you save.")


def _page(request: Request, engine: Engine, actor: Actor, connection_id: int, form: Mapping[str, Any] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200,
          report: CsvOrdersReport | None = None, file_error: RowErrors | None = None) -> Response:
    connection = read(engine, actor, svc.get_connection, connection_id)
    return admin_page(request, actor, "admin/integration/connection.html", status_code, section="connections",
                      connection=connection, fields=_fields(engine, actor),
                      form=dict(form) if form is not None else _values(connection), errors=errors or {},
                      secret_hints={"api_token": "stored" if connection.has_api_token else "not set"},
                      webhook_url=str(request.base_url).rstrip("/") + connection.webhook_path,
                      adapter_label=ADAPTER_LABELS[connection.adapter], report=report, file_error=file_error,
                      required_columns=REQUIRED, optional_columns=OPTIONAL, can_place=actor.can(ORDERS_PLACE))


@router.get("", response_class=HTMLResponse)
def connections(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    found = read(engine, actor, svc.list_connections)
    return admin_page(request, actor, "admin/integration/connections.html", section="connections", items=found,
                      labels=ADAPTER_LABELS)


@router.get("/new", response_class=HTMLResponse)
def new_connection(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    actor.require(CHANNELS_MANAGE)
    return _new_form(request, engine, actor, {"adapter": "generic", "active": "on"})


@router.post("/new")
async def create_connection(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        created = await run(perform, engine, actor, svc.create_connection, command(form))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, KNOWN)
        return await run(partial(_new_form, request, engine, actor, form, errors, status))
    flash(request, f"Connection created. The site signs its order webhooks with this secret, shown only this once: "
                   f"{created.webhook_secret}")
    return see_other(f"{BASE}/{created.id}")


@router.get("/{connection_id}", response_class=HTMLResponse)
def connection(connection_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _page(request, engine, actor, connection_id)


@router.post("/{connection_id}")
async def update_connection(connection_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, svc.get_connection, connection_id)  # an unknown id is a 404
    return await submit(request, form, engine, actor, svc.update_connection,
                        lambda f: (connection_id, command(f)), known=KNOWN,
                        again=partial(_page, request, engine, actor, connection_id),
                        message="Connection {name} saved", to=f"{BASE}/{connection_id}")


@router.post("/{connection_id}/deactivate")
async def deactivate(connection_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, svc.deactivate_connection, connection_id)
    flash(request, "Connection deactivated: its webhooks are refused and it is no longer polled.")
    return see_other(f"{BASE}/{connection_id}")


@router.post("/{connection_id}/rotate-secret")
async def rotate_secret(connection_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    secret = await run(perform, engine, actor, svc.rotate_webhook_secret, connection_id)
    flash(request, f"New webhook secret, shown only this once: {secret}. Webhooks signed with the old one are "
                   "refused from now on.")
    return see_other(f"{BASE}/{connection_id}")


@router.post("/{connection_id}/poll")
async def poll_now(connection_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(read, engine, actor, svc.get_connection, connection_id)  # channels.manage, this tenant's
    report = await run(poll_connection, engine, connection_id)
    message = f"Polled: {report.received} new order(s), {report.duplicates} received before"
    flash(request, message + (f"; {report.error}" if report.error else ""), "error" if report.error else "success")
    return see_other(f"{BASE}/{connection_id}")


@router.post("/{connection_id}/orders-csv")
async def upload_orders(connection_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("choose a CSV file to upload", field="file")
        data = await upload.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            raise ValidationFailed(f"the file is larger than {MAX_CSV_BYTES // 1_000_000} MB", field="file")
        report = await run(import_orders_csv, engine, actor, connection_id, data)
    except RowErrors as error:
        return await run(partial(_page, request, engine, actor, connection_id, None, None, 422, None, error))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"file"})
        return await run(partial(_page, request, engine, actor, connection_id, None, errors, status))
    if report.rows:
        status = 200 if report.created else 422
        return await run(partial(_page, request, engine, actor, connection_id, None, None, status, report))
    flash(request, f"{len(report.created)} order(s) created from the file")
    return see_other(f"{BASE}/{connection_id}")

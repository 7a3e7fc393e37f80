"""Admin pages for sales channels at /admin/channels."""

from collections.abc import Mapping
from typing import Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import SETTINGS_MANAGE
from stockyard.sales import channels
from stockyard.sales.models import CHANNEL_KINDS
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_forms import FormField, checked
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, given, run, see_other

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
FIELDS = (
    FormField("code", "Code", required=True, hint="short and unique, e.g. WEB-DE"),
    FormField("name", "Name", required=True),
    FormField("kind", "Kind", "select", required=True, options=[(k, k.upper() if k in ("b2b", "pos") else k)
                                                                  for k in CHANNEL_KINDS]),
    FormField("currency", "Default currency", required=True, placeholder="EUR"),
    FormField("prices_include_tax", "Prices are entered including tax", "checkbox"),
    FormField("active", "Active", "checkbox"),
)
NAMES = {f.name for f in FIELDS}

router = admin_router("/channels")
ADMIN_SECTIONS.append(("channels", "/admin/channels", "Channels"))


def command(form: Mapping[str, Any]) -> channels.ChannelIn:
    return channels.ChannelIn(**given(form, "code", "name", "kind", "currency"),
                              prices_include_tax=checked(form, "prices_include_tax"), active=checked(form, "active"))


def form_page(request: Request, actor: Actor, form: Mapping[str, Any], channel_id: int | None = None,
              errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    title = "New channel" if channel_id is None else f"Channel {form.get('code', '')}"
    return admin_page(request, actor, "admin/commerce/form.html", status_code, section="channels", title=title,
                      fields=FIELDS, form=dict(form), errors=errors or {},
                      action="/admin/channels/new" if channel_id is None else f"/admin/channels/{channel_id}",
                      delete_url=None if channel_id is None else f"/admin/channels/{channel_id}/delete",
                      back_url="/admin/channels", back_label="Channels", readonly=not actor.can(SETTINGS_MANAGE))


@router.get("", response_class=HTMLResponse)
def channel_list(request: Request, engine: EngineDep, actor: PageActor, q: str = "",
                 page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    result = read(engine, actor, channels.list_channels, q, page_no)
    return admin_page(request, actor, "admin/commerce/channels.html", section="channels", result=result, q=q)


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, actor: PageActor) -> Response:
    actor.require(SETTINGS_MANAGE)
    return form_page(request, actor, {"kind": "storefront", "currency": "EUR", "prices_include_tax": "on",
                                      "active": "on"})


@router.post("/new")
async def create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        channel_id = await run(perform, engine, actor, channels.create_channel, command(form))
    except INPUT_ERRORS as error:
        return form_page(request, actor, form, None, *field_errors(error, NAMES))
    flash(request, f"Channel {form.get('code')} created")
    return see_other(f"/admin/channels/{channel_id}")


@router.get("/{channel_id}", response_class=HTMLResponse)
def detail(channel_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    channel = read(engine, actor, channels.get_channel, channel_id)
    values = channels.channel_dict(channel)
    form = {k: ("on" if v is True else "" if v is False else v) for k, v in values.items()}
    return form_page(request, actor, form, channel_id)


@router.post("/{channel_id}")
async def update(channel_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, channels.get_channel, channel_id)
    try:
        await run(perform, engine, actor, channels.update_channel, channel_id, command(form))
    except INPUT_ERRORS as error:
        return form_page(request, actor, form, channel_id, *field_errors(error, NAMES))
    flash(request, f"Channel {form.get('code')} saved")
    return see_other(f"/admin/channels/{channel_id}")


@router.post("/{channel_id}/delete")
async def remove(channel_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, channels.delete_channel, channel_id)
    flash(request, "Channel deleted")
    return see_other("/admin/channels")

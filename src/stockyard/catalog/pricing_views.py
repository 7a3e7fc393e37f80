"""Admin pages for price lists at /admin/price-lists: lists, detail with tiered prices per SKU, edit forms."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from stockyard.catalog import pricing
from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import PRICING_EDIT
from stockyard.sales.channels import channel_choices
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_forms import FormField, checked, rows
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, given, run, see_other

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
TIER_ROWS = 6
LIST_NAMES = {"name", "channel", "currency", "priority", "valid_from", "valid_to", "active"}
TIER_NAMES = {"sku", "tiers"} | {f"tiers.{i}.{k}" for i in range(TIER_ROWS) for k in ("min_quantity", "unit_price")}

router = admin_router("/price-lists")
ADMIN_SECTIONS.append(("price-lists", "/admin/price-lists", "Price lists"))


def list_fields(channels: list[tuple[str, str]]) -> tuple[FormField, ...]:
    return (
        FormField("name", "Name", required=True),
        FormField("channel", "Channel", "select", required=True, options=channels),
        FormField("currency", "Currency", hint="ISO code; empty: the channel's currency", placeholder="EUR"),
        FormField("priority", "Priority", "number", hint="the highest valid list with a price for the SKU wins"),
        FormField("valid_from", "Valid from", "date"),
        FormField("valid_to", "Valid to (inclusive)", "date"),
        FormField("active", "Active", "checkbox"),
    )


def list_command(form: Mapping[str, Any]) -> pricing.PriceListIn:
    return pricing.PriceListIn(**given(form, "name", "channel", "currency", "priority", "valid_from", "valid_to"),
                               active=checked(form, "active"))


def list_form(request: Request, engine: Any, actor: Actor, form: Mapping[str, Any], list_id: int | None = None,
              errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    base = "/admin/price-lists"
    return admin_page(request, actor, "admin/commerce/form.html", status_code, section="price-lists",
                      title="New price list" if list_id is None else f"Edit price list {form.get('name', '')}",
                      fields=list_fields(read(engine, actor, channel_choices)), form=dict(form), errors=errors or {},
                      action=f"{base}/new" if list_id is None else f"{base}/{list_id}/edit",
                      delete_url=None if list_id is None else f"{base}/{list_id}/delete",
                      back_url=base if list_id is None else f"{base}/{list_id}",
                      back_label="Price lists" if list_id is None else "Price list")


@router.get("", response_class=HTMLResponse)
def price_lists(request: Request, engine: EngineDep, actor: PageActor, q: str = "",
                page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    result = read(engine, actor, pricing.list_price_lists, q, None, page_no)
    return admin_page(request, actor, "admin/commerce/price_lists.html", section="price-lists", result=result, q=q)


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    actor.require(PRICING_EDIT)
    return list_form(request, engine, actor, {"priority": "0", "active": "on"})


@router.post("/new")
async def create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        list_id = await run(perform, engine, actor, pricing.create_price_list, list_command(form))
    except INPUT_ERRORS as error:
        return list_form(request, engine, actor, form, None, *field_errors(error, LIST_NAMES))
    flash(request, f"Price list {form.get('name')} created")
    return see_other(f"/admin/price-lists/{list_id}")


def detail_page(request: Request, engine: Any, actor: Actor, list_id: int, q: str = "", page_no: int = 1,
                form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
                status_code: int = 200) -> Response:
    found = read(engine, actor, pricing.price_list_detail, list_id, q, page_no)
    return admin_page(request, actor, "admin/commerce/price_list.html", status_code, section="price-lists",
                      q=q, tier_rows=TIER_ROWS, form=dict(form or {}), errors=errors or {}, **found)


@router.get("/{list_id}", response_class=HTMLResponse)
def detail(list_id: int, request: Request, engine: EngineDep, actor: PageActor, q: str = "", sku: str = "",
           page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    form: dict[str, Any] = {}
    if sku.strip():
        form["sku"] = sku.strip()
        for index, tier in enumerate(read(engine, actor, pricing.sku_tiers, list_id, sku)[:TIER_ROWS]):
            form[f"tiers.{index}.min_quantity"] = tier["min_quantity"]
            form[f"tiers.{index}.unit_price"] = tier["unit_price"]
    return detail_page(request, engine, actor, list_id, q, page_no, form)


@router.post("/{list_id}/prices")
async def set_prices(list_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, pricing.price_list_detail, list_id)
    try:
        cmd = pricing.SetSkuPrices(sku=str(form.get("sku", "")).strip(),
                                   tiers=rows(form, "tiers", ("min_quantity", "unit_price"), TIER_ROWS))
        await run(perform, engine, actor, pricing.set_sku_prices, list_id, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, TIER_NAMES)
        return detail_page(request, engine, actor, list_id, form=form, errors=errors, status_code=status)
    flash(request, f"Prices of {cmd.sku} saved" if cmd.tiers else f"{cmd.sku} removed from the price list")
    return see_other(f"/admin/price-lists/{list_id}?sku={quote(cmd.sku)}" if cmd.tiers
                     else f"/admin/price-lists/{list_id}")


@router.get("/{list_id}/edit", response_class=HTMLResponse)
def edit_form(list_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    actor.require(PRICING_EDIT)
    found = read(engine, actor, pricing.price_list_detail, list_id)
    price_list, channel = found["price_list"], found["channel"]
    form = {"name": price_list.name, "channel": channel.code, "currency": price_list.currency,
            "priority": price_list.priority, "valid_from": price_list.valid_from or "",
            "valid_to": price_list.valid_to or "", "active": "on" if price_list.active else ""}
    return list_form(request, engine, actor, form, list_id)


@router.post("/{list_id}/edit")
async def update(list_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, pricing.price_list_detail, list_id)
    try:
        await run(perform, engine, actor, pricing.update_price_list, list_id, list_command(form))
    except INPUT_ERRORS as error:
        return list_form(request, engine, actor, form, list_id, *field_errors(error, LIST_NAMES))
    flash(request, f"Price list {form.get('name')} saved")
    return see_other(f"/admin/price-lists/{list_id}")


@router.post("/{list_id}/delete")
async def remove(list_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, pricing.delete_price_list, list_id)
    flash(request, "Price list deleted")
    return see_other("/admin/price-lists")

"""Admin pages for price lists at /admin/price-lists: lists, detail with tiered prices per SKU, edit forms."""

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from stockyard.catalog import pricing
from stockyard.core.actor import Actor
from stockyard.core.uow import perform, read
from stockyard.identity.domain import PRICING_EDIT
from stockyard.sales.channels import channel_choices
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_crud import INPUT_ERRORS, Resource, add_resource_routes
from stockyard.web.admin_forms import FormField, checked, rows
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, given, run, see_other

BASE = "/admin/price-lists"
TIER_ROWS = 6
TIER_NAMES = {"sku", "tiers"} | {f"tiers.{i}.{k}" for i in range(TIER_ROWS) for k in ("min_quantity", "unit_price")}

router = admin_router("/price-lists")
ADMIN_SECTIONS.append(("price-lists", BASE, "Price lists"))

FIELDS = (
    FormField("name", "Name", required=True),
    FormField("channel", "Channel", "select", required=True),
    FormField("currency", "Currency", hint="ISO code; empty: the channel's currency", placeholder="EUR"),
    FormField("priority", "Priority", "number", hint="the highest valid list with a price for the SKU wins"),
    FormField("valid_from", "Valid from", "date"),
    FormField("valid_to", "Valid to (inclusive)", "date"),
    FormField("active", "Active", "checkbox"),
)


def list_command(form: Mapping[str, Any]) -> pricing.PriceListIn:
    return pricing.PriceListIn(**given(form, "name", "channel", "currency", "priority", "valid_from", "valid_to"),
                               active=checked(form, "active"))


def form_values(found: dict[str, Any]) -> dict[str, Any]:
    price_list, channel = found["price_list"], found["channel"]
    return {"name": price_list.name, "channel": channel.code, "currency": price_list.currency,
            "priority": price_list.priority, "valid_from": price_list.valid_from or "",
            "valid_to": price_list.valid_to or "", "active": "on" if price_list.active else ""}


PRICE_LISTS = Resource(
    base=BASE, section="price-lists", permission=PRICING_EDIT, noun="Price list", label="name",
    new_title="New price list", edit_title="Edit price list {name}", fields=FIELDS, command=list_command,
    create=pricing.create_price_list, update=pricing.update_price_list, delete=pricing.delete_price_list,
    load=pricing.price_list_detail, values=form_values, back=(BASE, "Price lists"),
    defaults={"priority": "0", "active": "on"},
    choices=lambda engine, actor: {"channel": read(engine, actor, channel_choices)},
    edit_path="/edit", record_label="Price list",
    list_query=pricing.list_price_lists, list_template="admin/commerce/price_lists.html")
add_resource_routes(router, PRICE_LISTS)


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
    return see_other(f"{BASE}/{list_id}?sku={quote(cmd.sku)}" if cmd.tiers else f"{BASE}/{list_id}")

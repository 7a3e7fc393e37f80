"""Admin pages for the shipping configuration at /admin/shipping: zones, carriers, methods and their rates."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.uow import perform, read
from stockyard.fulfilment import config
from stockyard.fulfilment.domain import Address
from stockyard.fulfilment.models import Carrier, ShippingZone
from stockyard.identity.domain import SETTINGS_MANAGE
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_crud import INPUT_ERRORS, Resource, add_resource_routes
from stockyard.web.admin_forms import FormField, checked, lines, rows
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, given, run, see_other

BASE = "/admin/shipping"
BAND_ROWS = 8
TABS = ("zones", "carriers", "methods")

ZONE_FIELDS = (
    FormField("name", "Name", required=True),
    FormField("countries", "Countries", required=True, hint="ISO codes, comma separated: DE, AT, CH"),
    FormField("region", "Region", hint="optional: only addresses in this region/state"),
    FormField("postcode_patterns", "Postcode patterns", "textarea",
              hint="one per line; empty: every postcode. 10115, 1*, SW1?, 80000-89999"),
    FormField("position", "Order", "number", hint="zones are tried from the lowest; the first match wins"),
    FormField("active", "Active", "checkbox"),
)
CARRIER_FIELDS = (
    FormField("code", "Code", required=True),
    FormField("name", "Name", required=True),
    FormField("tracking_url", "Tracking URL", hint="with {tracking} where the number goes",
              placeholder="https://carrier.example/track/{tracking}"),
    FormField("active", "Active", "checkbox"),
)
METHOD_FIELDS = (
    FormField("carrier", "Carrier", "select", required=True),  # options: the carriers, when the form is shown
    FormField("code", "Code", required=True),
    FormField("name", "Name", required=True),
    FormField("currency", "Currency of its rates", required=True, placeholder="EUR"),
    FormField("remote_area_surcharge", "Remote-area surcharge", hint="added by the rate engine"),
    FormField("remote_area_patterns", "Remote-area postcodes", "textarea", hint="patterns, one per line"),
    FormField("oversize_surcharge", "Oversize surcharge"),
    FormField("oversize_length_mm", "Oversize from length (mm)", "number", hint="0: no oversize rule"),
    FormField("transit_days", "Transit days", "number",
              hint="working days from handover to delivery; the warehouse's handling days come on top"),
    FormField("dim_divisor", "Dimensional weight divisor", "number",
              hint="dimensional weight (g) = length × width × height (mm³) / divisor; 0: actual weight only"),
    FormField("active", "Active", "checkbox"),
)

router = admin_router("/shipping")
ADMIN_SECTIONS.append(("shipping", BASE, "Shipping"))


def _flag(value: bool) -> str:
    return "on" if value else ""


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


@router.get("", response_class=HTMLResponse)
def overview(request: Request, engine: EngineDep, actor: PageActor, tab: str = "zones", q: str = "", sort: str = "",
             page_no: int = Query(default=1, ge=1, alias="page"), country: str = "", postcode: str = "",
             region: str = "") -> Response:
    tab = tab if tab in TABS else "zones"
    query = {"zones": config.list_zones, "carriers": config.list_carriers, "methods": config.list_methods}[tab]
    result = read(engine, actor, query, q=q, page=page_no, sort=sort)
    match: dict[str, Any] | None = None
    if country.strip():
        zone = read(engine, actor, config.zone_for_address, Address(country, postcode, region))
        match = {"zone": zone}
    return admin_page(request, actor, "admin/commerce/shipping.html", section="shipping", tab=tab, q=q,
                      result=result, match=match, address={"country": country, "postcode": postcode,
                                                           "region": region})


# ---- zones and carriers -----------------------------------------------------------------------------------------

def zone_command(form: Mapping[str, Any]) -> config.ZoneIn:
    return config.ZoneIn(**given(form, "name", "region", "position"),
                         countries=lines(str(form.get("countries", ""))),
                         postcode_patterns=lines(str(form.get("postcode_patterns", ""))),
                         active=checked(form, "active"))


def zone_values(zone: ShippingZone) -> dict[str, Any]:
    return {"name": zone.name, "countries": ", ".join(zone.countries), "region": zone.region,
            "postcode_patterns": "\n".join(zone.postcode_patterns), "position": zone.position,
            "active": _flag(zone.active)}


def carrier_command(form: Mapping[str, Any]) -> config.CarrierIn:
    return config.CarrierIn(**given(form, "code", "name", "tracking_url"), active=checked(form, "active"))


def carrier_values(carrier: Carrier) -> dict[str, Any]:
    return {"code": carrier.code, "name": carrier.name, "tracking_url": carrier.tracking_url,
            "active": _flag(carrier.active)}


ZONES = Resource(
    base=f"{BASE}/zones", section="shipping", permission=SETTINGS_MANAGE, noun="Zone", label="name",
    new_title="New shipping zone", edit_title="Zone {name}", fields=ZONE_FIELDS, command=zone_command,
    create=config.create_zone, update=config.update_zone, delete=config.delete_zone, load=config.get_zone,
    values=zone_values, back=(BASE, "Shipping"), defaults={"position": "0", "active": "on"},
    list_url=f"{BASE}?tab=zones", created_to_list=True)
CARRIERS = Resource(
    base=f"{BASE}/carriers", section="shipping", permission=SETTINGS_MANAGE, noun="Carrier", label="code",
    new_title="New carrier", edit_title="Carrier {code}", fields=CARRIER_FIELDS, command=carrier_command,
    create=config.create_carrier, update=config.update_carrier, delete=config.delete_carrier,
    load=config.get_carrier, values=carrier_values, back=(BASE, "Shipping"), defaults={"active": "on"},
    list_url=f"{BASE}?tab=carriers", created_to_list=True)
add_resource_routes(router, ZONES)
add_resource_routes(router, CARRIERS)


# ---- methods --------------------------------------------------------------------------------------------------

RATE_NAMES = {"zone_id", "basis", "origin_warehouse_id", "bands"} | {f"bands.{i}.{k}" for i in range(BAND_ROWS)
                                               for k in ("lower", "upper", "price")}


def method_command(form: Mapping[str, Any]) -> config.MethodIn:
    return config.MethodIn(**given(form, "carrier", "code", "name", "currency", "remote_area_surcharge",
                                   "oversize_surcharge", "oversize_length_mm", "transit_days", "dim_divisor"),
                           remote_area_patterns=lines(str(form.get("remote_area_patterns", ""))),
                           active=checked(form, "active"))


def method_values(found: dict[str, Any]) -> dict[str, Any]:
    method = found["method"]
    return {"carrier": found["carrier"].code, "code": method.code, "name": method.name, "currency": method.currency,
            "remote_area_surcharge": _plain(method.remote_area_surcharge),
            "remote_area_patterns": "\n".join(method.remote_area_patterns),
            "oversize_surcharge": _plain(method.oversize_surcharge), "oversize_length_mm": method.oversize_length_mm,
            "transit_days": method.transit_days, "dim_divisor": method.dim_divisor, "active": _flag(method.active)}


def carrier_options(engine: Engine, actor: Actor) -> dict[str, list[tuple[str, str]]]:
    return {"carrier": [(code, code) for code in read(engine, actor, config.carrier_choices)]}


METHODS = Resource(
    base=f"{BASE}/methods", section="shipping", permission=SETTINGS_MANAGE, noun="Shipping method", label="code",
    new_title="New shipping method", edit_title="Edit method {code}", fields=METHOD_FIELDS, command=method_command,
    create=config.create_method, update=config.update_method, delete=config.delete_method,
    load=config.method_detail, values=method_values, back=(BASE, "Shipping"), choices=carrier_options,
    defaults={"currency": "EUR", "active": "on", "oversize_length_mm": "0", "transit_days": "2",
              "dim_divisor": "5000"}, edit_path="/edit",
    list_url=f"{BASE}?tab=methods")
add_resource_routes(router, METHODS)


def method_page(request: Request, engine: Engine, actor: Actor, method_id: int, form: Mapping[str, Any] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200,
                free_form: Mapping[str, Any] | None = None, free_errors: dict[str, str] | None = None) -> Response:
    found = read(engine, actor, config.method_detail, method_id)
    return admin_page(request, actor, "admin/commerce/shipping_method.html", status_code, section="shipping",
                      band_rows=BAND_ROWS, form=dict(form or {"basis": "weight"}), errors=errors or {},
                      free_form=dict(free_form or {}), free_errors=free_errors or {},
                      zone_options=[(zone.id, zone.name) for zone in found["zones"]],
                      origin_options=[(w.id, f"{w.code} — {w.name}") for w in found["warehouses"]], **found)


@router.get("/methods/{method_id}", response_class=HTMLResponse)
def method_detail(method_id: int, request: Request, engine: EngineDep, actor: PageActor, zone_id: int | None = None,
                  basis: str = "weight", origin: int | None = None) -> Response:
    form: dict[str, Any] = {"basis": basis}
    if zone_id is not None:
        found = read(engine, actor, config.method_detail, method_id)
        form["zone_id"] = zone_id
        form["origin_warehouse_id"] = "" if origin is None else origin
        for table in found["tables"]:
            table_origin = None if table["origin"] is None else table["origin"].id
            if table["zone"].id == zone_id and table["basis"] == basis and table_origin == origin:
                for index, band in enumerate(table["bands"][:BAND_ROWS]):
                    form[f"bands.{index}.lower"] = _plain(band.lower)
                    form[f"bands.{index}.upper"] = "" if band.upper is None else _plain(band.upper)
                    form[f"bands.{index}.price"] = _plain(band.price)
    return method_page(request, engine, actor, method_id, form)


@router.post("/methods/{method_id}/rates")
async def set_rates(method_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, config.method_detail, method_id)
    try:
        cmd = config.SetRateTable(**given(form, "zone_id", "basis", "origin_warehouse_id"),
                                  bands=[{k: v for k, v in band.items() if v}
                                         for band in rows(form, "bands", ("lower", "upper", "price"), BAND_ROWS)])
        await run(perform, engine, actor, config.set_rate_table, method_id, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, RATE_NAMES)
        return method_page(request, engine, actor, method_id, form, errors, status)
    flash(request, "Rate table saved" if cmd.bands else "Rate table removed")
    return see_other(f"{BASE}/methods/{method_id}")


@router.post("/methods/{method_id}/free-shipping")
async def set_free_shipping(method_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, config.method_detail, method_id)
    try:
        cmd = config.SetFreeShipping(**given(form, "zone_id", "threshold"))
        await run(perform, engine, actor, config.set_free_shipping, method_id, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"zone_id", "threshold"})
        return method_page(request, engine, actor, method_id, None, {"_": errors.pop("_")} if "_" in errors else {},
                           status, free_form=form, free_errors=errors)
    flash(request, "Free-shipping threshold saved" if cmd.threshold is not None else "Free-shipping threshold removed")
    return see_other(f"{BASE}/methods/{method_id}")

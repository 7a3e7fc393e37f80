"""Admin pages for the shipping configuration at /admin/shipping: zones, carriers, methods and their rates."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.fulfilment import config
from stockyard.fulfilment.domain import Address
from stockyard.identity.domain import SETTINGS_MANAGE
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_forms import FormField, checked, lines, rows
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, given, run, see_other

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
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


def method_fields(carriers: list[str]) -> tuple[FormField, ...]:
    return (
        FormField("carrier", "Carrier", "select", required=True, options=[(c, c) for c in carriers]),
        FormField("code", "Code", required=True),
        FormField("name", "Name", required=True),
        FormField("currency", "Currency of its rates", required=True, placeholder="EUR"),
        FormField("remote_area_surcharge", "Remote-area surcharge", hint="added by the rate engine"),
        FormField("remote_area_patterns", "Remote-area postcodes", "textarea", hint="patterns, one per line"),
        FormField("oversize_surcharge", "Oversize surcharge"),
        FormField("oversize_length_mm", "Oversize from length (mm)", "number", hint="0: no oversize rule"),
        FormField("active", "Active", "checkbox"),
    )


router = admin_router("/shipping")
ADMIN_SECTIONS.append(("shipping", BASE, "Shipping"))


def _flag(value: bool) -> str:
    return "on" if value else ""


def _form_page(request: Request, actor: Actor, title: str, fields: tuple[FormField, ...], form: Mapping[str, Any],
               action: str, delete_url: str | None, errors: dict[str, str] | None = None,
               status_code: int = 200) -> Response:
    return admin_page(request, actor, "admin/commerce/form.html", status_code, section="shipping", title=title,
                      fields=fields, form=dict(form), errors=errors or {}, action=action, delete_url=delete_url,
                      back_url=BASE, back_label="Shipping", readonly=not actor.can(SETTINGS_MANAGE))


@router.get("", response_class=HTMLResponse)
def overview(request: Request, engine: EngineDep, actor: PageActor, tab: str = "zones", q: str = "",
             page_no: int = Query(default=1, ge=1, alias="page"), country: str = "", postcode: str = "",
             region: str = "") -> Response:
    tab = tab if tab in TABS else "zones"
    query = {"zones": config.list_zones, "carriers": config.list_carriers, "methods": config.list_methods}[tab]
    result = read(engine, actor, query, q, page_no)
    match: dict[str, Any] | None = None
    if country.strip():
        zone = read(engine, actor, config.zone_for_address, Address(country, postcode, region))
        match = {"zone": zone}
    return admin_page(request, actor, "admin/commerce/shipping.html", section="shipping", tab=tab, q=q,
                      result=result, match=match, address={"country": country, "postcode": postcode,
                                                           "region": region})


# ---- zones ----------------------------------------------------------------------------------------------------

def zone_command(form: Mapping[str, Any]) -> config.ZoneIn:
    return config.ZoneIn(**given(form, "name", "region", "position"),
                         countries=lines(str(form.get("countries", ""))),
                         postcode_patterns=lines(str(form.get("postcode_patterns", ""))),
                         active=checked(form, "active"))


def zone_form(request: Request, actor: Actor, form: Mapping[str, Any], zone_id: int | None = None,
              errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    if zone_id is None:
        return _form_page(request, actor, "New shipping zone", ZONE_FIELDS, form, f"{BASE}/zones/new", None,
                          errors, status_code)
    return _form_page(request, actor, f"Zone {form.get('name', '')}", ZONE_FIELDS, form, f"{BASE}/zones/{zone_id}",
                      f"{BASE}/zones/{zone_id}/delete", errors, status_code)


@router.get("/zones/new", response_class=HTMLResponse)
def new_zone(request: Request, actor: PageActor) -> Response:
    actor.require(SETTINGS_MANAGE)
    return zone_form(request, actor, {"position": "0", "active": "on"})


@router.post("/zones/new")
async def create_zone(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        await run(perform, engine, actor, config.create_zone, zone_command(form))
    except INPUT_ERRORS as error:
        return zone_form(request, actor, form, None, *field_errors(error, {f.name for f in ZONE_FIELDS}))
    flash(request, f"Zone {form.get('name')} created")
    return see_other(f"{BASE}?tab=zones")


@router.get("/zones/{zone_id}", response_class=HTMLResponse)
def zone_detail(zone_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    zone = read(engine, actor, config.get_zone, zone_id)
    form = {"name": zone.name, "countries": ", ".join(zone.countries), "region": zone.region,
            "postcode_patterns": "\n".join(zone.postcode_patterns), "position": zone.position,
            "active": _flag(zone.active)}
    return zone_form(request, actor, form, zone_id)


@router.post("/zones/{zone_id}")
async def update_zone(zone_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, config.get_zone, zone_id)
    try:
        await run(perform, engine, actor, config.update_zone, zone_id, zone_command(form))
    except INPUT_ERRORS as error:
        return zone_form(request, actor, form, zone_id, *field_errors(error, {f.name for f in ZONE_FIELDS}))
    flash(request, f"Zone {form.get('name')} saved")
    return see_other(f"{BASE}/zones/{zone_id}")


@router.post("/zones/{zone_id}/delete")
async def delete_zone(zone_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, config.delete_zone, zone_id)
    flash(request, "Zone deleted")
    return see_other(f"{BASE}?tab=zones")


# ---- carriers -------------------------------------------------------------------------------------------------

def carrier_command(form: Mapping[str, Any]) -> config.CarrierIn:
    return config.CarrierIn(**given(form, "code", "name", "tracking_url"), active=checked(form, "active"))


def carrier_form(request: Request, actor: Actor, form: Mapping[str, Any], carrier_id: int | None = None,
                 errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    if carrier_id is None:
        return _form_page(request, actor, "New carrier", CARRIER_FIELDS, form, f"{BASE}/carriers/new", None,
                          errors, status_code)
    return _form_page(request, actor, f"Carrier {form.get('code', '')}", CARRIER_FIELDS, form,
                      f"{BASE}/carriers/{carrier_id}", f"{BASE}/carriers/{carrier_id}/delete", errors, status_code)


@router.get("/carriers/new", response_class=HTMLResponse)
def new_carrier(request: Request, actor: PageActor) -> Response:
    actor.require(SETTINGS_MANAGE)
    return carrier_form(request, actor, {"active": "on"})


@router.post("/carriers/new")
async def create_carrier(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        await run(perform, engine, actor, config.create_carrier, carrier_command(form))
    except INPUT_ERRORS as error:
        return carrier_form(request, actor, form, None, *field_errors(error, {f.name for f in CARRIER_FIELDS}))
    flash(request, f"Carrier {form.get('code')} created")
    return see_other(f"{BASE}?tab=carriers")


@router.get("/carriers/{carrier_id}", response_class=HTMLResponse)
def carrier_detail(carrier_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    carrier = read(engine, actor, config.get_carrier, carrier_id)
    form = {"code": carrier.code, "name": carrier.name, "tracking_url": carrier.tracking_url,
            "active": _flag(carrier.active)}
    return carrier_form(request, actor, form, carrier_id)


@router.post("/carriers/{carrier_id}")
async def update_carrier(carrier_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, config.get_carrier, carrier_id)
    try:
        await run(perform, engine, actor, config.update_carrier, carrier_id, carrier_command(form))
    except INPUT_ERRORS as error:
        return carrier_form(request, actor, form, carrier_id, *field_errors(error, {f.name for f in CARRIER_FIELDS}))
    flash(request, f"Carrier {form.get('code')} saved")
    return see_other(f"{BASE}/carriers/{carrier_id}")


@router.post("/carriers/{carrier_id}/delete")
async def delete_carrier(carrier_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, config.delete_carrier, carrier_id)
    flash(request, "Carrier deleted")
    return see_other(f"{BASE}?tab=carriers")


# ---- methods --------------------------------------------------------------------------------------------------

METHOD_NAMES = {"carrier", "code", "name", "currency", "remote_area_surcharge", "remote_area_patterns",
                "oversize_surcharge", "oversize_length_mm", "active"}
RATE_NAMES = {"zone_id", "basis", "bands"} | {f"bands.{i}.{k}" for i in range(BAND_ROWS)
                                               for k in ("lower", "upper", "price")}


def method_command(form: Mapping[str, Any]) -> config.MethodIn:
    return config.MethodIn(**given(form, "carrier", "code", "name", "currency", "remote_area_surcharge",
                                   "oversize_surcharge", "oversize_length_mm"),
                           remote_area_patterns=lines(str(form.get("remote_area_patterns", ""))),
                           active=checked(form, "active"))


def method_form(request: Request, engine: Any, actor: Actor, form: Mapping[str, Any], method_id: int | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    fields = method_fields(read(engine, actor, config.carrier_choices))
    if method_id is None:
        return _form_page(request, actor, "New shipping method", fields, form, f"{BASE}/methods/new", None,
                          errors, status_code)
    return _form_page(request, actor, f"Edit method {form.get('code', '')}", fields, form,
                      f"{BASE}/methods/{method_id}/edit", f"{BASE}/methods/{method_id}/delete", errors, status_code)


@router.get("/methods/new", response_class=HTMLResponse)
def new_method(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    actor.require(SETTINGS_MANAGE)
    return method_form(request, engine, actor, {"currency": "EUR", "active": "on", "oversize_length_mm": "0"})


@router.post("/methods/new")
async def create_method(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        method_id = await run(perform, engine, actor, config.create_method, method_command(form))
    except INPUT_ERRORS as error:
        return method_form(request, engine, actor, form, None, *field_errors(error, METHOD_NAMES))
    flash(request, f"Shipping method {form.get('code')} created")
    return see_other(f"{BASE}/methods/{method_id}")


def method_page(request: Request, engine: Any, actor: Actor, method_id: int, form: Mapping[str, Any] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200,
                free_form: Mapping[str, Any] | None = None, free_errors: dict[str, str] | None = None) -> Response:
    found = read(engine, actor, config.method_detail, method_id)
    return admin_page(request, actor, "admin/commerce/shipping_method.html", status_code, section="shipping",
                      band_rows=BAND_ROWS, form=dict(form or {"basis": "weight"}), errors=errors or {},
                      free_form=dict(free_form or {}), free_errors=free_errors or {},
                      zone_options=[(zone.id, zone.name) for zone in found["zones"]], **found)


@router.get("/methods/{method_id}", response_class=HTMLResponse)
def method_detail(method_id: int, request: Request, engine: EngineDep, actor: PageActor, zone_id: int | None = None,
                  basis: str = "weight") -> Response:
    form: dict[str, Any] = {"basis": basis}
    if zone_id is not None:
        found = read(engine, actor, config.method_detail, method_id)
        form["zone_id"] = zone_id
        for table in found["tables"]:
            if table["zone"].id == zone_id and table["basis"] == basis:
                for index, band in enumerate(table["bands"][:BAND_ROWS]):
                    form[f"bands.{index}.lower"] = _plain(band.lower)
                    form[f"bands.{index}.upper"] = "" if band.upper is None else _plain(band.upper)
                    form[f"bands.{index}.price"] = _plain(band.price)
    return method_page(request, engine, actor, method_id, form)


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


@router.post("/methods/{method_id}/rates")
async def set_rates(method_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, config.method_detail, method_id)
    try:
        cmd = config.SetRateTable(**given(form, "zone_id", "basis"),
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


@router.get("/methods/{method_id}/edit", response_class=HTMLResponse)
def edit_method(method_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    actor.require(SETTINGS_MANAGE)
    found = read(engine, actor, config.method_detail, method_id)
    method = found["method"]
    form = {"carrier": found["carrier"].code, "code": method.code, "name": method.name, "currency": method.currency,
            "remote_area_surcharge": _plain(method.remote_area_surcharge),
            "remote_area_patterns": "\n".join(method.remote_area_patterns),
            "oversize_surcharge": _plain(method.oversize_surcharge), "oversize_length_mm": method.oversize_length_mm,
            "active": _flag(method.active)}
    return method_form(request, engine, actor, form, method_id)


@router.post("/methods/{method_id}/edit")
async def update_method(method_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, config.method_detail, method_id)
    try:
        await run(perform, engine, actor, config.update_method, method_id, method_command(form))
    except INPUT_ERRORS as error:
        return method_form(request, engine, actor, form, method_id, *field_errors(error, METHOD_NAMES))
    flash(request, f"Shipping method {form.get('code')} saved")
    return see_other(f"{BASE}/methods/{method_id}")


@router.post("/methods/{method_id}/delete")
async def delete_method(method_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, config.delete_method, method_id)
    flash(request, "Shipping method deleted")
    return see_other(f"{BASE}?tab=methods")

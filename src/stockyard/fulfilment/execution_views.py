"""Back-office warehouse-execution pages at /erp/fulfilment: waves (list, create, detail), the printable pick list
with its scan form, short picks, replenishment tasks, and the pack station (scan field with focus, parcels, weight
and dimensions, carrier service by the rate engine, ship). Thin: build a command from the form, call, redirect
(Post/Redirect/Get); a bad scan shows the page again with the message next to the field and a 4xx status."""

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.files import file_store
from stockyard.core.uow import perform, read
from stockyard.fulfilment import execution_queries as q
from stockyard.fulfilment import packing, picking, waves
from stockyard.inventory import queries as inventory_queries
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, given, page, page_route, run, see_other

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
WAVE_FIELDS = {"warehouse_id", "cutoff", "priority", "max_orders"}
REPLENISH_FIELDS = {"warehouse_id", "sku", "from_location", "to_location", "quantity"}
PICK_FIELDS = {"location_code", "scanned_barcode", "quantity", "found", "line_id"}
PACK_FIELDS = {"scanned_barcode", "quantity", "parcel_no", "weight_grams", "length_mm", "width_mm", "height_mm",
               "method_id"}

router = APIRouter(prefix="/erp/fulfilment", include_in_schema=False, route_class=page_route("erp/error.html"))


# ---- waves ------------------------------------------------------------------------------------------------------

def waves_page(request: Request, engine: Engine, actor: Actor, state: str = "", page_no: int = 1,
               warehouse: str = "", form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
               replenish: Mapping[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    warehouses = read(engine, actor, inventory_queries.list_warehouses)
    chosen = next((w for w in warehouses if w.code == warehouse), warehouses[0] if warehouses else None)
    groups = read(engine, actor, waves.wave_groups, chosen.id) if chosen is not None else []
    return page(request, actor, "erp/fulfilment/waves.html", status_code, section="fulfilment", state=state,
                result=read(engine, actor, q.list_waves, None, state, page_no), warehouses=warehouses,
                chosen=chosen, groups=groups, form=dict(form or {}), replenish=dict(replenish or {}),
                errors=errors or {}, open_lists=read(engine, actor, q.open_pick_lists, None, ""))


@router.get("/waves", response_class=HTMLResponse)
def wave_list(request: Request, engine: EngineDep, actor: PageActor, state: str = "", page: int = 1,
              warehouse: str = "") -> Response:
    return waves_page(request, engine, actor, state, page, warehouse)


@router.post("/waves")
async def wave_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    values: dict[str, Any] = given(form, "warehouse_id", "priority", "max_orders")
    if "cutoff" in form and str(form.get("cutoff", "")).strip() != "any":
        values["cutoff"] = str(form.get("cutoff", "")).strip()
    try:
        wave_id = await run(perform, engine, actor, waves.create_pick_wave, waves.CreateWave(**values))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, WAVE_FIELDS)
        return await run(waves_page, request, engine, actor, "", 1, str(form.get("warehouse_id", "")), form,
                         errors, None, status)
    flash(request, f"Pick wave {wave_id} released; its orders are now being picked")
    return see_other(f"/erp/fulfilment/waves/{wave_id}")


@router.get("/waves/{wave_id}", response_class=HTMLResponse)
def wave_detail(wave_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return page(request, actor, "erp/fulfilment/wave.html", section="fulfilment",
                wave=read(engine, actor, q.wave_detail, wave_id))


@router.post("/replenishments")
async def replenishment_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        cmd = picking.CreateReplenishment(**given(form, "warehouse_id", "sku", "from_location", "to_location",
                                                  "quantity"))
        list_id = await run(perform, engine, actor, picking.create_replenishment, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, REPLENISH_FIELDS)
        errors = {f"r_{k}" if k != "_" else k: v for k, v in errors.items()}
        return await run(waves_page, request, engine, actor, "", 1, "", None, errors, form, status)
    flash(request, f"Replenishment task {list_id} created")
    return see_other(f"/erp/fulfilment/pick-lists/{list_id}")


# ---- pick lists -------------------------------------------------------------------------------------------------

def pick_list_page(request: Request, engine: Engine, actor: Actor, list_id: int,
                   form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
                   status_code: int = 200) -> HTMLResponse:
    return page(request, actor, "erp/fulfilment/pick_list.html", status_code, section="fulfilment",
                plist=read(engine, actor, picking.pick_list, list_id), form=dict(form or {}), errors=errors or {})


@router.get("/pick-lists/{pick_list_id}", response_class=HTMLResponse)
def pick_list_detail(pick_list_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return pick_list_page(request, engine, actor, pick_list_id)


@router.post("/pick-lists/{pick_list_id}/confirm")
async def pick_confirm(pick_list_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        cmd = picking.ConfirmPick(pick_list_id=pick_list_id, **given(form, "line_id", "location_code",
                                                                      "scanned_barcode", "quantity"))
        progress = await run(perform, engine, actor, picking.confirm_pick, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, PICK_FIELDS)
        return await run(pick_list_page, request, engine, actor, pick_list_id, form, errors, status)
    flash(request, "Pick list done" if progress.list_done else
          f"Picked; {progress.remaining} more on this line" if progress.remaining else "Line picked")
    return see_other(f"/erp/fulfilment/pick-lists/{pick_list_id}")


@router.post("/pick-lists/{pick_list_id}/short")
async def pick_short(pick_list_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        cmd = picking.ReportShortPick(pick_list_id=pick_list_id, **given(form, "line_id", "location_code", "found"))
        result = await run(perform, engine, actor, picking.report_short_pick, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, PICK_FIELDS)
        return await run(pick_list_page, request, engine, actor, pick_list_id, form, errors, status)
    flash(request, f"Short pick recorded: {result.outcome}", "warning")
    return see_other(f"/erp/fulfilment/pick-lists/{pick_list_id}")


@router.post("/pick-lists/{pick_list_id}/cancel")
async def cancel_transfer_pick(pick_list_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    try:
        await run(perform, engine, actor, picking.cancel_transfer_pick, pick_list_id)
    except (Conflict, NotFound) as error:
        flash(request, error.message, "error")
        return see_other(f"/erp/fulfilment/pick-lists/{pick_list_id}")
    flash(request, "Transfer called off: its held stock is free again")
    return see_other(f"/erp/fulfilment/pick-lists/{pick_list_id}")


@router.get("/discrepancies", response_class=HTMLResponse)
def discrepancies(request: Request, engine: EngineDep, actor: PageActor, state: str = "open",
                  page_no: int = 1) -> Response:
    return page(request, actor, "erp/fulfilment/discrepancies.html", section="fulfilment", state=state,
                result=read(engine, actor, q.list_discrepancies, state, page_no))


# ---- pack station -----------------------------------------------------------------------------------------------

def pack_page(request: Request, engine: Engine, actor: Actor, order_id: int | None,
              form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
              status_code: int = 200) -> HTMLResponse:
    station = read(engine, actor, q.pack_station, order_id) if order_id is not None else None
    return page(request, actor, "erp/fulfilment/pack.html", status_code, section="fulfilment", station=station,
                waiting=read(engine, actor, q.orders_to_pack), form=dict(form or {}), errors=errors or {})


@router.get("/pack", response_class=HTMLResponse)
def pack_station(request: Request, engine: EngineDep, actor: PageActor, order_id: int | None = None) -> Response:
    return pack_page(request, engine, actor, order_id)


async def _pack_action(request: Request, engine: Engine, actor: Actor, order_id: int, action: Any,
                       build: Any, *extra: Any) -> tuple[Any, Response | None]:
    form = await check_csrf(request)
    try:
        done = await run(perform, engine, actor, action, build(form), *extra)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, PACK_FIELDS)
        return None, await run(pack_page, request, engine, actor, order_id, form, errors, status)
    return done, None


@router.post("/pack/{order_id}/item")
async def pack_item(order_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    done, shown = await _pack_action(request, engine, actor, order_id, packing.pack_item, lambda f: packing.PackItem(
        order_id=order_id, **given(f, "parcel_no", "scanned_barcode", "quantity")))
    if shown is not None:
        return shown
    flash(request, f"{done.sku} in parcel {done.parcel_no}; {done.left_to_pack} picked unit(s) left to pack")
    return see_other(f"/erp/fulfilment/pack?order_id={order_id}")


@router.post("/pack/{order_id}/close")
async def pack_close(order_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    done, shown = await _pack_action(request, engine, actor, order_id, packing.close_parcel,
                                     lambda f: packing.CloseParcel(order_id=order_id, **given(
                                         f, "parcel_no", "weight_grams", "length_mm", "width_mm", "height_mm")))
    if shown is not None:
        return shown
    flash(request, "Parcel closed" + ("; the order is packed: choose the carrier service and ship"
                                      if done == "packed" else ""))
    return see_other(f"/erp/fulfilment/pack?order_id={order_id}")


@router.post("/pack/{order_id}/ship")
async def pack_ship(order_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    store = file_store(request.app.state.settings)
    done, shown = await _pack_action(request, engine, actor, order_id, packing.ship_packed_order,
                                     lambda f: packing.ShipPacked(order_id=order_id, **given(f, "method_id")), store)
    if shown is not None:
        return shown
    await run(packing.send_shipment_notice, request.app.state.settings, engine, actor, order_id)
    flash(request, f"Shipped in {len(done)} shipment(s); the customer was sent the tracking number")
    return see_other(f"/erp/fulfilment/pack?order_id={order_id}")

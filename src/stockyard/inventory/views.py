"""Back-office stock pages at /erp. Thin: read a query or build a command from the form, call, render.

Forms follow Post/Redirect/Get: a good submission is flashed and redirected (303); a bad one is shown
again with what was typed and the message next to the field, with a 4xx status. Errors that are not about
the form (no permission, unknown record, stale CSRF token) become an HTML error page (PageRoute).
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Engine

from stockyard.analytics.dashboard_charts import shipped_lines_chart, turnover_chart, value_by_warehouse_chart
from stockyard.analytics.warehouse_dashboard import warehouse_activity
from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.fulfilment import picking
from stockyard.inventory import counts, movements, queries, reservations, transfers
from stockyard.inventory import warehouses as warehouse_setup
from stockyard.inventory.domain import WRITE_OFF_REASONS, Reason, Status
from stockyard.purchasing.queries import inbound_for_skus
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, given, page, page_route, run, see_other

# Errors about what was typed: the form is shown again. Anything else (PermissionDenied above all) is a page.
INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
STATUSES = [s.value for s in Status if s != Status.IN_TRANSIT]
TRANSFER_LINES = 5
LINE_FIELDS = ("sku", "from_location", "quantity")


router = APIRouter(prefix="/erp", include_in_schema=False, route_class=page_route("erp/error.html"))


def stock_url(sku_code: str) -> str:
    return f"/erp/stock/{quote(sku_code, safe='')}"


# ---- overview pages -------------------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    stock = read(engine, actor, queries.dashboard)
    activity = read(engine, actor, warehouse_activity)
    charts = {"value": value_by_warehouse_chart(stock["value"]),
              "shipped": shipped_lines_chart(activity["shipped_by_day"]),
              "turnover": turnover_chart(activity["turnover"])}
    return page(request, actor, "erp/dashboard.html", section="dashboard", charts=charts, **stock, **activity)


@router.get("/warehouses", response_class=HTMLResponse)
def warehouses(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return page(request, actor, "erp/warehouses.html", section="warehouses",
                rows=read(engine, actor, queries.inventory_value),
                details={w.id: w for w in read(engine, actor, queries.list_warehouses)})


# ---- warehouse setup: create and edit (inventory.configure) ------------------------------------------------------

WAREHOUSE_FIELDS = ("name", "address", "country", "postcode", "priority", "handling_days")


def warehouse_form(request: Request, actor: Actor, form: Mapping[str, Any], errors: dict[str, str] | None = None,
                   status_code: int = 200, warehouse: Any = None) -> HTMLResponse:
    return page(request, actor, "erp/warehouse_form.html", status_code, section="warehouses", form=dict(form),
                errors=errors or {}, warehouse=warehouse)


def _warehouse_ref(value: str) -> int | str:
    """A warehouse in a URL: its id (digits) or its code."""
    return int(value) if value.isdigit() else value


@router.get("/warehouses/new", response_class=HTMLResponse)
def warehouse_new(request: Request, actor: PageActor) -> Response:
    return warehouse_form(request, actor, {"priority": 100, "handling_days": 1})


@router.post("/warehouses/new")
async def warehouse_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        cmd = warehouse_setup.CreateWarehouse(**given(form, "code", *WAREHOUSE_FIELDS))
        warehouse_id = await run(perform, engine, actor, warehouse_setup.create_warehouse, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"code", *WAREHOUSE_FIELDS})
        return warehouse_form(request, actor, form, errors, status)
    flash(request, f"Warehouse {cmd.code.upper()} created")
    return see_other(f"/erp/warehouses/{warehouse_id}")


def _load_warehouse(engine: Engine, actor: Actor, ref: str) -> Any:
    key = _warehouse_ref(ref)
    found = next((w for w in read(engine, actor, queries.list_warehouses)
                  if (w.id == key if isinstance(key, int) else w.code == key.strip().upper())), None)
    if found is None:
        raise NotFound(f"unknown warehouse {ref}", field="warehouse_id")
    return found


@router.get("/warehouses/{warehouse}/edit", response_class=HTMLResponse)
def warehouse_edit(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    found = _load_warehouse(engine, actor, warehouse)
    return warehouse_form(request, actor, {name: getattr(found, name) for name in WAREHOUSE_FIELDS},
                          warehouse=found)


@router.post("/warehouses/{warehouse}/edit")
async def warehouse_update(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    found = await run(_load_warehouse, engine, actor, warehouse)
    try:
        cmd = warehouse_setup.UpdateWarehouse(**given(form, *WAREHOUSE_FIELDS))
        await run(perform, engine, actor, warehouse_setup.update_warehouse, found.id, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set(WAREHOUSE_FIELDS))
        return warehouse_form(request, actor, form, errors, status, warehouse=found)
    flash(request, f"Warehouse {found.code} saved")
    return see_other(f"/erp/warehouses/{found.id}")


@router.get("/warehouses/{warehouse_id}", response_class=HTMLResponse)
def warehouse(warehouse_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    found = read(engine, actor, queries.get_warehouse, warehouse_id)
    if found is None:
        raise NotFound(f"unknown warehouse {warehouse_id}", field="warehouse_id")
    return page(request, actor, "erp/warehouse.html", section="warehouses", warehouse=found,
                tree=read(engine, actor, queries.location_tree, warehouse_id))


@router.get("/locations/{location_id}", response_class=HTMLResponse)
def location(location_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    found = read(engine, actor, queries.location_by_id, location_id)
    if found is None:
        raise NotFound(f"unknown location {location_id}", field="location_id")
    return page(request, actor, "erp/location.html", section="warehouses", location=found,
                rows=read(engine, actor, queries.stock_at_location, location_id))


@router.get("/stock", response_class=HTMLResponse)
def stock(request: Request, engine: EngineDep, actor: PageActor, q: str = "", warehouse: str = "",
          short: str = "", page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    warehouse_id = int(warehouse) if warehouse.isdigit() else None
    result = read(engine, actor, queries.search_stock, q, warehouse_id, page_no, 50, bool(short))
    return page(request, actor, "erp/stock.html", section="stock", result=result,
                inbound=read(engine, actor, inbound_for_skus, [s.sku_id for s in result.items]),
                warehouses=read(engine, actor, queries.list_warehouses),
                query={"q": q, "warehouse": warehouse_id, "short": bool(short)})


@router.get("/stock/{sku_code:path}", response_class=HTMLResponse)
def sku_stock(sku_code: str, request: Request, engine: EngineDep, actor: PageActor,
              page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    found = read(engine, actor, queries.sku_overview, sku_code, page_no)
    if found is None:
        raise NotFound(f"unknown SKU '{sku_code}'", field="sku")
    inbound = read(engine, actor, inbound_for_skus, [found["sku"].id]).get(found["sku"].id, {})
    return page(request, actor, "erp/sku.html", section="stock", inbound=inbound, **found)


class LedgerQuery(BaseModel):
    sku: str = ""
    location: str = ""
    reason: Reason | None = None
    document_type: str = ""
    document_id: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = Field(default=1, ge=1)

    def move_filter(self) -> queries.MoveFilter:
        until = datetime.combine(self.date_to + timedelta(days=1), time()) if self.date_to else None
        since = datetime.combine(self.date_from, time()) if self.date_from else None
        return queries.MoveFilter(reason=self.reason, document_type=self.document_type or None,
                                  document_id=self.document_id or None, since=since, until=until)


@router.get("/moves", response_class=HTMLResponse)
def ledger(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = dict(request.query_params)
    context = {"section": "moves", "form": form, "reasons": [r.value for r in Reason]}
    try:
        filters = LedgerQuery(**given(form, *LedgerQuery.model_fields))
        result = read(engine, actor, queries.find_moves, filters.move_filter(), filters.sku, filters.location,
                      filters.page)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set(LedgerQuery.model_fields))
        return page(request, actor, "erp/moves.html", status, errors=errors, result=None, **context)
    return page(request, actor, "erp/moves.html", result=result, **context)


# ---- stock movements ------------------------------------------------------------------------------------------

RECEIVE_FIELDS = ("sku", "location", "quantity", "status", "unit_cost", "lot", "note")
MOVE_FIELDS = ("sku", "from_location", "to_location", "quantity", "status", "lot", "reason", "note")
WRITE_OFF_FIELDS = ("sku", "location", "quantity", "reason", "status", "lot", "note", "effective_on")
STATUS_FIELDS = ("sku", "location", "quantity", "from_status", "to_status", "lot", "note")


def movement_form(request: Request, actor: Actor, template: str, form: Mapping[str, Any],
                  errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, actor, template, status_code, section="actions", form=dict(form), errors=errors or {},
                statuses=STATUSES, write_off_reasons=WRITE_OFF_REASONS)


@dataclass(frozen=True)
class Posted:
    """A ledger line just posted, as a confirmation message names it."""

    move: Any
    code: str
    from_path: str
    to_path: str


async def submit_movement(request: Request, engine: Engine, actor: Actor, template: str,
                          command: type[BaseModel], fields: tuple[str, ...], service: Callable[..., int],
                          describe: Callable[[Any, Posted], str]) -> Response:
    """One stock-movement form post: build the command, call the service, flash what happened, show the SKU."""
    form = await check_csrf(request)
    try:
        cmd = command(**given(form, *fields))
        move_id = await run(perform, engine, actor, service, cmd)
    except INPUT_ERRORS as error:
        return movement_form(request, actor, template, form, *field_errors(error, set(fields)))
    move, code, from_path, to_path = await run(read, engine, actor, queries.move_summary, move_id)
    summary = Posted(move, code, from_path, to_path)
    flash(request, describe(cmd, summary))
    return see_other(stock_url(code))


@router.get("/receive", response_class=HTMLResponse)
def receive_form(request: Request, actor: PageActor) -> Response:
    defaults = {"status": "sellable", **given(request.query_params, "sku", "location")}
    return movement_form(request, actor, "erp/receive.html", defaults)


@router.post("/receive")
async def receive_submit(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    def done(_: Any, s: Posted) -> str:
        return f"Received {s.move.quantity} × {s.code} into {s.to_path}"

    return await submit_movement(request, engine, actor, "erp/receive.html", movements.ReceiveStock,
                                 RECEIVE_FIELDS, movements.receive_stock, done)


@router.get("/move", response_class=HTMLResponse)
def move_form(request: Request, actor: PageActor) -> Response:
    defaults = {"status": "sellable", "reason": "move", **given(request.query_params, "sku", "from_location")}
    return movement_form(request, actor, "erp/move.html", defaults)


@router.post("/move")
async def move_submit(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    def done(_: Any, s: Posted) -> str:
        return f"Moved {s.move.quantity} × {s.code} from {s.from_path} to {s.to_path}"

    return await submit_movement(request, engine, actor, "erp/move.html", movements.MoveStock, MOVE_FIELDS,
                                 movements.move_stock, done)


@router.get("/write-off", response_class=HTMLResponse)
def write_off_form(request: Request, actor: PageActor) -> Response:
    defaults = {"status": "sellable", **given(request.query_params, "sku", "location")}
    return movement_form(request, actor, "erp/write_off.html", defaults)


@router.post("/write-off")
async def write_off_submit(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    def done(cmd: Any, s: Posted) -> str:
        return f"Wrote off {s.move.quantity} × {s.code} from {s.from_path} ({cmd.reason})"

    return await submit_movement(request, engine, actor, "erp/write_off.html", movements.WriteOffStock,
                                 WRITE_OFF_FIELDS, movements.write_off_stock, done)


@router.get("/status", response_class=HTMLResponse)
def status_form(request: Request, actor: PageActor) -> Response:
    defaults = {"from_status": "sellable", "to_status": "quarantine", **given(request.query_params, "sku", "location")}
    return movement_form(request, actor, "erp/status.html", defaults)


@router.post("/status")
async def status_submit(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    def done(_: Any, s: Posted) -> str:
        return f"Changed {s.move.quantity} × {s.code} at {s.from_path} from {s.move.from_status} to {s.move.to_status}"

    return await submit_movement(request, engine, actor, "erp/status.html", movements.ChangeStockStatus,
                                 STATUS_FIELDS, movements.change_stock_status, done)


# ---- transfers ------------------------------------------------------------------------------------------------

@router.get("/transfers", response_class=HTMLResponse)
def transfer_list(request: Request, engine: EngineDep, actor: PageActor, state: str = "",
                  page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return page(request, actor, "erp/transfers.html", section="transfers", state=state,
                result=read(engine, actor, queries.list_transfers, state or None, page_no))


def dispatch_form(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any],
                  errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, actor, "erp/transfer_new.html", status_code, section="transfers", form=dict(form),
                errors=errors or {}, line_count=TRANSFER_LINES, warehouses=read(engine, actor, queries.list_warehouses))


@router.get("/transfers/new", response_class=HTMLResponse)
def transfer_new(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return dispatch_form(request, engine, actor, {})


@router.post("/transfers/new")
async def transfer_dispatch(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    # Blank rows are skipped; `rows[i]` is the form row of command line i, so errors land on the right row.
    filled = [given({key: form.get(f"lines.{i}.{key}", "") for key in LINE_FIELDS}, *LINE_FIELDS)
              for i in range(TRANSFER_LINES)]
    rows = [i for i, line in enumerate(filled) if line]
    known = {"from_warehouse", "to_warehouse", "note", "lines"} | {
        f"lines.{i}.{key}" for i in range(TRANSFER_LINES) for key in LINE_FIELDS}
    if form.get("pick_first"):
        return await _transfer_pick(request, engine, actor, form, filled, rows, known)
    try:
        cmd = transfers.DispatchTransfer(**given(form, "from_warehouse", "to_warehouse", "note"),
                                         lines=[filled[i] for i in rows])
        transfer_id = await run(perform, engine, actor, transfers.dispatch_transfer, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, known)
        errors = {_row_field(name, rows): message for name, message in errors.items()}
        return await run(dispatch_form, request, engine, actor, form, errors, status)
    flash(request, f"Transfer {transfer_id} dispatched: {sum(x.quantity for x in cmd.lines)} unit(s) in transit")
    return see_other(f"/erp/transfers/{transfer_id}")


async def _transfer_pick(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any],
                         filled: list[dict[str, Any]], rows: list[int], known: set[str]) -> Response:
    """"Pick first": hold the units in the source warehouse and send a pick list to the floor (the bins are
    chosen for the picker); the transfer is dispatched when the list is picked."""
    try:
        cmd = picking.CreateTransferPick(**given(form, "from_warehouse", "to_warehouse", "note"), lines=[
            {key: filled[i][key] for key in ("sku", "quantity") if key in filled[i]} for i in rows])
        list_id = await run(perform, engine, actor, picking.create_transfer_pick, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, known)
        errors = {_row_field(name, rows): message for name, message in errors.items()}
        return await run(dispatch_form, request, engine, actor, form, errors, status)
    flash(request, f"Pick list {list_id} created: the units are held until it is picked and dispatched")
    return see_other(f"/erp/fulfilment/pick-lists/{list_id}")


def _row_field(name: str, rows: list[int]) -> str:
    """lines.<command index>.<field> → lines.<form row>.<field>."""
    match = re.fullmatch(r"lines\.(\d+)\.(\w+)", name)
    if match is None or int(match[1]) >= len(rows):
        return name
    return f"lines.{rows[int(match[1])]}.{match[2]}"


def transfer_page(request: Request, engine: Engine, actor: Actor, transfer_id: int,
                  form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
                  status_code: int = 200) -> HTMLResponse:
    found = read(engine, actor, queries.transfer_detail, transfer_id)
    if found is None:
        raise NotFound(f"unknown transfer {transfer_id}", field="transfer_id")
    head, lines = found
    codes = {w.id: w.code for w in read(engine, actor, queries.list_warehouses)}
    return page(request, actor, "erp/transfer.html", status_code, section="transfers", transfer=head, lines=lines,
                from_code=codes.get(head.from_warehouse_id), to_code=codes.get(head.to_warehouse_id),
                form=dict(form or {}), errors=errors or {})


@router.get("/transfers/{transfer_id}", response_class=HTMLResponse)
def transfer_detail(transfer_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return transfer_page(request, engine, actor, transfer_id)


@router.post("/transfers/{transfer_id}/receive")
async def transfer_receive(transfer_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    line_id = str(form.get("line_id", ""))
    try:
        line = transfers.ReceiveLine(line_id=line_id, **given(form, "quantity", "to_location"))
        cmd = transfers.ReceiveTransfer(transfer_id=transfer_id, lines=[line])
        state = await run(perform, engine, actor, transfers.receive_transfer, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"quantity", "to_location", "lines.0.quantity", "lines.0.to_location"})
        errors = {f"{line_id}.{name.removeprefix('lines.0.')}" if name != "_" else name: message
                  for name, message in errors.items()}
        return await run(transfer_page, request, engine, actor, transfer_id, {line_id: form}, errors, status)
    flash(request, f"Received {line.quantity} unit(s) into {str(line.to_location).upper()}; "
                   f"transfer {transfer_id} is now {state.replace('_', ' ')}")
    return see_other(f"/erp/transfers/{transfer_id}")


# ---- counts ---------------------------------------------------------------------------------------------------

def counts_page(request: Request, engine: Engine, actor: Actor, state: str = "", page_no: int = 1,
                form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
                status_code: int = 200) -> HTMLResponse:
    return page(request, actor, "erp/counts.html", status_code, section="counts", state=state,
                result=read(engine, actor, queries.list_counts, state or None, page_no),
                warehouses=read(engine, actor, queries.list_warehouses), form=dict(form or {}), errors=errors or {})


@router.get("/counts", response_class=HTMLResponse)
def count_list(request: Request, engine: EngineDep, actor: PageActor, state: str = "",
               page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return counts_page(request, engine, actor, state, page_no)


@router.post("/counts")
async def count_open(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    paths = [p for p in re.split(r"[\s,]+", str(form.get("locations", ""))) if p]
    try:
        cmd = counts.OpenCount(**given(form, "warehouse", "note"), locations=paths)
        count_id = await run(perform, engine, actor, counts.open_count, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"warehouse", "locations", "note"}
                                      | {f"locations.{i}" for i in range(len(paths))})
        errors = {re.sub(r"^locations\.\d+$", "locations", name): message for name, message in errors.items()}
        return await run(counts_page, request, engine, actor, "", 1, form, errors, status)
    flash(request, f"Count {count_id} opened")
    return see_other(f"/erp/counts/{count_id}")


def count_page(request: Request, engine: Engine, actor: Actor, count_id: int,
               form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    found = read(engine, actor, queries.count_detail, count_id)
    if found is None:
        raise NotFound(f"unknown count {count_id}", field="count_id")
    head, lines = found
    codes = {w.id: w.code for w in read(engine, actor, queries.list_warehouses)}
    return page(request, actor, "erp/count.html", status_code, section="counts", count=head, lines=lines,
                warehouse_code=codes.get(head.warehouse_id), form=dict(form or {}), errors=errors or {})


@router.get("/counts/{count_id}", response_class=HTMLResponse)
def count_detail(count_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return count_page(request, engine, actor, count_id)


@router.post("/counts/{count_id}/lines")
async def count_record(count_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        cmd = counts.RecordCount(count_id=count_id, **given(form, "location", "sku", "counted", "lot"))
        await run(perform, engine, actor, counts.record_count, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"location", "sku", "counted", "lot"})
        return await run(count_page, request, engine, actor, count_id, form, errors, status)
    flash(request, f"Recorded {cmd.counted} × {cmd.sku} at {str(cmd.location).upper()}")
    return see_other(f"/erp/counts/{count_id}")


@router.post("/counts/{count_id}/approve")
async def count_approve(count_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        taken_on = _optional_day(str(form.get("effective_on", "")))
        adjustments = await run(perform, engine, actor, counts.approve_count, count_id, taken_on)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set())
        return await run(count_page, request, engine, actor, count_id, None, errors, status)
    flash(request, f"Count {count_id} approved with {adjustments} adjustment(s)")
    return see_other(f"/erp/counts/{count_id}")


def _optional_day(text: str, field: str = "effective_on") -> date | None:
    """A YYYY-MM-DD form field; empty: None."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed("must be a date, YYYY-MM-DD", field=field) from None


@router.post("/counts/{count_id}/cancel")
async def count_cancel(count_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    try:
        await run(perform, engine, actor, counts.cancel_count, count_id)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set())
        return await run(count_page, request, engine, actor, count_id, None, errors, status)
    flash(request, f"Count {count_id} cancelled")
    return see_other(f"/erp/counts/{count_id}")


# ---- alerts and reservations ----------------------------------------------------------------------------------

@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return page(request, actor, "erp/alerts.html", section="alerts", rows=read(engine, actor, queries.list_alerts))


def reservations_page(request: Request, engine: Engine, actor: Actor, page_no: int = 1,
                      errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, actor, "erp/reservations.html", status_code, section="reservations", errors=errors or {},
                result=read(engine, actor, queries.list_reservations, "active", None, page_no))


@router.get("/reservations", response_class=HTMLResponse)
def reservation_list(request: Request, engine: EngineDep, actor: PageActor,
                     page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return reservations_page(request, engine, actor, page_no)


@router.post("/reservations/{reservation_id}/release")
async def reservation_release(reservation_id: int, request: Request, engine: EngineDep,
                              actor: PageActor) -> Response:
    await check_csrf(request)
    try:
        await run(perform, engine, actor, reservations.release_reservation, reservation_id)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set())
        return await run(reservations_page, request, engine, actor, 1, errors, status)
    flash(request, f"Reservation {reservation_id} released")
    return see_other("/erp/reservations")

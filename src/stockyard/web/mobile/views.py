"""Phone pages for warehouse staff at /m. Thin: each page reads what was scanned so far, asks for the next thing.

A workflow is a few steps on one URL: each scan is a GET that adds one query parameter (po, sku, location...) and
is checked at once, so an unknown barcode or a location of another warehouse is refused on the step where it was
scanned (with a 4xx status and the message next to the field). The last step POSTs to the same URL, runs the
action (web/mobile/workflows.py) and redirects to the workflow's start with a success message (Post/Redirect/Get),
ready for the next scan. A refused action shows the same step again with its error and changes nothing.

Every page has one scan field that keeps the focus (mobile.js): a keyboard-wedge scanner types the code and
Enter submits; on a phone, the camera button reads the code through the browser's BarcodeDetector.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.fulfilment import packing
from stockyard.inventory.domain import WRITE_OFF_REASONS
from stockyard.purchasing import putaway
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.mobile import scan, workflows
from stockyard.web.pages import check_csrf, flash, form_errors, page, page_route, run, see_other

router = APIRouter(prefix="/m", include_in_schema=False, route_class=page_route("m/error.html"))
INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)


@dataclass
class Input:
    name: str
    label: str
    value: str = ""
    kind: str = "scan"  # scan (text, keeps the focus), number, select, text
    options: list[tuple[str, str]] = field(default_factory=list)
    hint: str = ""


@dataclass
class Step:
    """One screen: what is known so far, what to do next, and the form that does it."""

    title: str
    prompt: str
    inputs: list[Input]
    method: str = "get"
    submit: str = "Next"
    hidden: dict[str, str] = field(default_factory=dict)
    facts: list[tuple[str, str]] = field(default_factory=list)
    table: tuple[list[str], list[list[Any]]] | None = None
    links: list[tuple[str, str]] = field(default_factory=list)
    action: str = ""  # where the form goes; empty: this page's own URL
    # A second, smaller form under the main one: (action URL, its one input, button label), posted.
    side: tuple[str, Input, str] | None = None

    def focus(self, errors: dict[str, str]) -> str:
        """The input that gets the focus: the one refused, else the first empty scan field, else the first."""
        names = [i.name for i in self.inputs]
        refused = [n for n in names if n in errors]
        empty = [i.name for i in self.inputs if i.kind == "scan" and not i.value]
        return (refused or empty or names or [""])[0]


def _screen(request: Request, actor: Actor, wh: scan.WarehouseView, step: Step, errors: dict[str, str] | None = None,
            status_code: int = 200) -> HTMLResponse:
    return page(request, actor, "m/step.html", status_code, wh=wh, step=step, errors=errors or {},
                feedback="error" if errors else "")


def _refused(error: Exception, fields: set[str]) -> tuple[dict[str, str], int]:
    """Messages next to the step's own inputs; one about anything scanned before goes to the top."""
    errors, status = form_errors(error)
    return {name if name in fields else "_": message for name, message in errors.items()}, status


def _wh(engine: Engine, actor: Actor, warehouse: str) -> scan.WarehouseView:
    return read(engine, actor, scan.warehouse, warehouse)


def _url(wh: scan.WarehouseView, path: str, **query: str) -> str:
    given = {k: v for k, v in query.items() if v}
    return f"/m/{wh.code}/{path}" + (f"?{urlencode(given)}" if given else "")


# ---- sign-in landing, warehouse choice, menu ---------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def home(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    warehouses = read(engine, actor, scan.my_warehouses)
    if len(warehouses) == 1:
        return see_other(f"/m/{warehouses[0].code}")
    return page(request, actor, "m/home.html", warehouses=warehouses)


MENU = [("receive", "Receive"), ("putaway", "Put away"), ("pick", "Pick"), ("pack", "Pack"), ("ship", "Ship"),
        ("move", "Move"), ("transfer/send", "Send transfer"), ("transfer/receive", "Receive transfer"),
        ("write-off", "Write off"), ("count", "Count")]


@router.get("/{warehouse}", response_class=HTMLResponse)
def menu(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = _wh(engine, actor, warehouse)
    return page(request, actor, "m/menu.html", wh=wh, menu=MENU,
                choose=len(read(engine, actor, scan.my_warehouses)) > 1)


# ---- shared helpers of the steps ---------------------------------------------------------------------------------

async def _post(request: Request, engine: Engine, actor: Actor, wh: scan.WarehouseView,
                action: Callable[..., workflows.Done], build: Callable[[dict[str, Any]], Any],
                again: Callable[[dict[str, Any]], Step], done_url: Callable[[dict[str, Any], workflows.Done], str],
                *extra: Any) -> Response:
    """Run the last step of a workflow: success → flash and redirect; refused → the step again with the error."""
    form = await check_csrf(request)
    try:
        cmd = build(form)
        done = await run(perform, engine, actor, action, wh.id, *extra, cmd)
    except INPUT_ERRORS as error:
        step = again(form)
        errors, status = _refused(error, {i.name for i in step.inputs})
        return _screen(request, actor, wh, step, errors, status)
    flash(request, done.message)
    return see_other(done_url(form, done))


def _check(request: Request, actor: Actor, wh: scan.WarehouseView, step: Step,
           probe: Callable[[], Any]) -> tuple[Any, Response | None]:
    """Check a scanned value; a refusal shows `step` (where it was scanned) with the error."""
    try:
        return probe(), None
    except (DomainError, ValidationError) as error:
        if not isinstance(error, INPUT_ERRORS):
            raise
        errors, status = _refused(error, {i.name for i in step.inputs})
        return None, _screen(request, actor, wh, step, errors, status)


def _scan(name: str, label: str, value: str = "", hint: str = "") -> Input:
    return Input(name, label, value, "scan", hint=hint)


def _qty(value: str = "1", label: str = "Quantity") -> Input:
    return Input("quantity", label, value or "1", "number")


def _spots_table(spots: list[scan.Spot]) -> tuple[list[str], list[list[Any]]]:
    return ["Location", "On hand"], [[s.location, s.on_hand] for s in spots]


# ---- receive: against a purchase order, or blind -----------------------------------------------------------------

@router.get("/{warehouse}/receive", response_class=HTMLResponse)
def receive(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, po: str = "",
            sku: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    first = Step("Receive", "Scan the purchase order number", [_scan("po", "Purchase order", po)],
                 links=[(_url(wh, "receive/blind"), "Blind receipt (no purchase order)")])
    if not po:
        return _screen(request, actor, wh, first)
    order, refused = _check(request, actor, wh, first, lambda: read(engine, actor, scan.open_purchase_order, wh.id, po))
    if refused:
        return refused
    number = order.order.number
    lines = (["Item", "Open", "Ordered"], [[line.sku_code, line.open, line.quantity] for line in order.lines])
    item = Step("Receive", f"Scan an item of {number}", [_scan("sku", "Item", sku)], hidden={"po": number},
                facts=[("Purchase order", f"{number} · {order.order.supplier_name}")], table=lines)
    if not sku:
        return _screen(request, actor, wh, item)
    found, refused = _check(request, actor, wh, item,
                            lambda: scan.line_for(order, read(engine, actor, scan.item, sku)))
    if refused:
        return refused
    return _screen(request, actor, wh, _receive_quantity(engine, actor, wh, number, found.sku_code, found.open))


def _receive_quantity(engine: Engine, actor: Actor, wh: scan.WarehouseView, po: str, sku: str, expected: int | None,
                      form: dict[str, Any] | None = None) -> Step:
    form = form or {}
    docks = read(engine, actor, scan.receiving_docks, wh.id)
    facts = [("Purchase order", po)] if po else [("Receipt", "blind (no purchase order)")]
    facts.append(("Item", sku + (f" · {expected} still expected" if expected is not None else "")))
    return Step("Receive", f"How many × {sku} arrived? Then put them down at the receiving location.",
                [_qty(str(form.get("quantity", "1"))),
                 _scan("location", "Receiving location", str(form.get("location") or (docks[0] if docks else "")))],
                method="post", submit="Receive", hidden={"po": po, "sku": sku}, facts=facts)


@router.get("/{warehouse}/receive/blind", response_class=HTMLResponse)
def receive_blind(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, sku: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    first = Step("Blind receipt", "Scan the item that arrived", [_scan("sku", "Item", sku)],
                 facts=[("Receipt", "blind (no purchase order)")])
    if not sku:
        return _screen(request, actor, wh, first)
    found, refused = _check(request, actor, wh, first, lambda: read(engine, actor, scan.item, sku))
    if refused:
        return refused
    return _screen(request, actor, wh, _receive_quantity(engine, actor, wh, "", found.code, None))


@router.post("/{warehouse}/receive")
async def receive_post(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)

    def build(form: dict[str, Any]) -> workflows.Receive:
        return workflows.Receive(sku=form.get("sku", ""), quantity=form.get("quantity") or 0,
                                 purchase_order=form.get("po", ""), location=form.get("location", ""))

    def again(form: dict[str, Any]) -> Step:
        return _receive_quantity(engine, actor, wh, str(form.get("po", "")), str(form.get("sku", "")), None, form)

    def next_url(form: dict[str, Any], done: workflows.Done) -> str:
        if not form.get("po"):
            return _url(wh, "receive/blind")
        return _url(wh, "receive", po="" if done.state == "received" else str(form["po"]))

    return await _post(request, engine, actor, wh, workflows.receive, build, again, next_url)


# ---- putaway: an item waiting at the receiving location goes to a bin -----------------------------------------------

@router.get("/{warehouse}/putaway", response_class=HTMLResponse)
def putaway_page(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, sku: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    first = Step("Put away", "Scan an item at the receiving location", [_scan("sku", "Item", sku)])
    if not sku:
        return _screen(request, actor, wh, first)

    def waiting() -> tuple[Any, list[scan.Spot]]:
        item = read(engine, actor, scan.item, sku)
        spots = read(engine, actor, scan.spots, wh.id, item.id, ("receiving",))
        if not spots:
            raise Conflict(f"no units of {item.code} wait at a receiving location of {wh.code}", field="sku")
        return item, spots

    found, refused = _check(request, actor, wh, first, waiting)
    if refused:
        return refused
    item, spots = found
    return _screen(request, actor, wh, _putaway_bin(engine, actor, wh, item.code, item.id, spots[0]))


def _putaway_bin(engine: Engine, actor: Actor, wh: scan.WarehouseView, sku: str, sku_id: int, spot: scan.Spot,
                 form: dict[str, Any] | None = None) -> Step:
    form = form or {}
    quantity = str(form.get("quantity") or spot.on_hand)
    units = int(quantity) if quantity.isdigit() and int(quantity) > 0 else max(spot.on_hand, 1)
    suggestions = read(engine, actor, putaway.suggest_putaway, wh.id, sku_id, units)
    suggested = suggestions[0].path if suggestions else ""
    facts = [("Item", sku), ("From", f"{spot.location} · {spot.on_hand} waiting")]
    prompt = f"Take them to {suggested} and scan the bin" if suggested else "No bin has room: scan the bin you chose"
    if suggested:
        facts.append(("Suggested bin", suggested))
    return Step("Put away", prompt, [_qty(quantity),
                                     _scan("to_location", "Bin", str(form.get("to_location", "")), hint=suggested)],
                method="post", submit="Put away", hidden={"sku": sku, "from_location": spot.location}, facts=facts,
                table=(["Suggested bins", "Why"], [[x.path, "; ".join(x.reasons)] for x in suggestions])
                if suggestions else None)


def _move_cmd(form: dict[str, Any]) -> workflows.Move:
    return workflows.Move(sku=form.get("sku", ""), from_location=form.get("from_location", ""),
                          to_location=form.get("to_location", ""), quantity=form.get("quantity") or 0)


@router.post("/{warehouse}/putaway")
async def putaway_post(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)

    def again(form: dict[str, Any]) -> Step:
        sku, source = str(form.get("sku", "")), str(form.get("from_location", ""))
        spot = scan.Spot(source, "receiving", 0)
        try:
            item = read(engine, actor, scan.item, sku)
            spot = next((s for s in read(engine, actor, scan.spots, wh.id, item.id) if s.location == source), spot)
            return _putaway_bin(engine, actor, wh, item.code, item.id, spot, form)
        except INPUT_ERRORS:
            return Step("Put away", "Scan an item at the receiving location", [_scan("sku", "Item")])

    return await _post(request, engine, actor, wh, workflows.put_away, _move_cmd, again,
                       lambda form, done: _url(wh, "putaway"))


# ---- move, write-off, transfer dispatch: location → item → quantity (and where to) ---------------------------------

def _location_item(engine: Engine, actor: Actor, request: Request, wh: scan.WarehouseView, title: str,
                   location: str, sku: str) -> tuple[tuple[Any, Any, list[scan.Spot]] | None, Response | None]:
    """The first two steps shared by move, write-off and dispatch: scan the location, then an item lying there."""
    first = Step(title, "Scan the location to take the item from", [_scan("location", "Location", location)])
    if not location:
        return None, _screen(request, actor, wh, first)
    loc, refused = _check(request, actor, wh, first,
                          lambda: read(engine, actor, lambda uow: scan.location_in(uow, wh.id, location)))
    if refused:
        return None, refused
    second = Step(title, f"Scan the item at {loc.path}", [_scan("sku", "Item", sku)], hidden={"location": loc.path},
                  facts=[("From", loc.path)])
    if not sku:
        return None, _screen(request, actor, wh, second)
    item, refused = _check(request, actor, wh, second, lambda: read(engine, actor, scan.item, sku))
    if refused:
        return None, refused
    here = [s for s in read(engine, actor, scan.spots, wh.id, item.id) if s.location == loc.path]
    return (loc, item, here), None


def _on_hand(here: list[scan.Spot]) -> int:
    return here[0].on_hand if here else 0


def _move_step(wh: scan.WarehouseView, location: str, sku: str, on_hand: int, form: dict[str, Any]) -> Step:
    return Step("Move", "How many? Then scan the location you put them in",
                [_qty(str(form.get("quantity", "1"))), _scan("to_location", "To location",
                                                              str(form.get("to_location", "")))],
                method="post", submit="Move", hidden={"from_location": location, "sku": sku},
                facts=[("From", location), ("Item", f"{sku} · {on_hand} on hand here")])


@router.get("/{warehouse}/move", response_class=HTMLResponse)
def move(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, location: str = "",
         sku: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    found, response = _location_item(engine, actor, request, wh, "Move", location, sku)
    if response:
        return response
    loc, item, here = found  # type: ignore[misc]
    return _screen(request, actor, wh, _move_step(wh, loc.path, item.code, _on_hand(here), {}))


@router.post("/{warehouse}/move")
async def move_post(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)
    return await _post(request, engine, actor, wh, workflows.move, _move_cmd,
                       lambda form: _move_step(wh, str(form.get("from_location", "")), str(form.get("sku", "")),
                                               0, form),
                       lambda form, done: _url(wh, "move"))


def _write_off_step(location: str, sku: str, on_hand: int, form: dict[str, Any]) -> Step:
    reasons = [(r, r.capitalize()) for r in WRITE_OFF_REASONS]
    return Step("Write off", "How many, and why?",
                [_qty(str(form.get("quantity", "1"))),
                 Input("reason", "Reason", str(form.get("reason", "damaged")), "select", reasons),
                 Input("note", "Note", str(form.get("note", "")), "text")],
                method="post", submit="Write off", hidden={"location": location, "sku": sku},
                facts=[("Location", location), ("Item", f"{sku} · {on_hand} on hand here")])


@router.get("/{warehouse}/write-off", response_class=HTMLResponse)
def write_off(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, location: str = "",
              sku: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    found, response = _location_item(engine, actor, request, wh, "Write off", location, sku)
    if response:
        return response
    loc, item, here = found  # type: ignore[misc]
    return _screen(request, actor, wh, _write_off_step(loc.path, item.code, _on_hand(here), {}))


@router.post("/{warehouse}/write-off")
async def write_off_post(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)

    def build(form: dict[str, Any]) -> workflows.WriteOff:
        return workflows.WriteOff(sku=form.get("sku", ""), location=form.get("location", ""),
                                  quantity=form.get("quantity") or 0, reason=form.get("reason", ""),
                                  note=form.get("note", ""))

    return await _post(request, engine, actor, wh, workflows.write_off, build,
                       lambda form: _write_off_step(str(form.get("location", "")), str(form.get("sku", "")), 0, form),
                       lambda form, done: _url(wh, "write-off"))


def _send_step(engine: Engine, actor: Actor, wh: scan.WarehouseView, location: str, sku: str, on_hand: int,
               form: dict[str, Any]) -> Step:
    targets = [(w.code, f"{w.code} · {w.name}") for w in read(engine, actor, scan.other_warehouses, wh.id)]
    return Step("Send transfer", "How many, and to which warehouse?",
                [_qty(str(form.get("quantity", "1"))),
                 Input("to_warehouse", "To warehouse", str(form.get("to_warehouse", "")), "select", targets)],
                method="post", submit="Dispatch", hidden={"location": location, "sku": sku},
                facts=[("From", location), ("Item", f"{sku} · {on_hand} on hand here")])


@router.get("/{warehouse}/transfer/send", response_class=HTMLResponse)
def transfer_send(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, location: str = "",
                  sku: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    found, response = _location_item(engine, actor, request, wh, "Send transfer", location, sku)
    if response:
        return response
    loc, item, here = found  # type: ignore[misc]
    return _screen(request, actor, wh, _send_step(engine, actor, wh, loc.path, item.code, _on_hand(here), {}))


@router.post("/{warehouse}/transfer/send")
async def transfer_send_post(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)

    def build(form: dict[str, Any]) -> workflows.Dispatch:
        return workflows.Dispatch(to_warehouse=form.get("to_warehouse", ""), sku=form.get("sku", ""),
                                  from_location=form.get("location", ""), quantity=form.get("quantity") or 0)

    return await _post(request, engine, actor, wh, workflows.dispatch, build,
                       lambda form: _send_step(engine, actor, wh, str(form.get("location", "")),
                                               str(form.get("sku", "")), 0, form),
                       lambda form, done: _url(wh, "transfer/send"))


# ---- transfer receipt: transfer → item → quantity and location --------------------------------------------------

@router.get("/{warehouse}/transfer/receive", response_class=HTMLResponse)
def transfer_receive(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, transfer: str = "",
                     sku: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    inbound = read(engine, actor, scan.inbound_transfers, wh.id)
    first = Step("Receive transfer", "Scan the transfer's number", [_scan("transfer", "Transfer", transfer)],
                 table=(["Transfer", "From", "Items in transit"],
                        [[f"TR-{t.id}", t.from_code, ", ".join(f"{u} × {s}" for _, s, u in t.lines)]
                         for t in inbound]))
    if not transfer:
        return _screen(request, actor, wh, first)

    def on_its_way() -> scan.InboundTransfer:
        number = scan.transfer_number(transfer)
        found = read(engine, actor, scan.inbound_transfers, wh.id, number)
        if not found:
            raise NotFound(f"TR-{number} is not on its way to {wh.code}", field="transfer")
        return found[0]

    head, refused = _check(request, actor, wh, first, on_its_way)
    if refused:
        return refused
    second = Step("Receive transfer", f"Scan an item of TR-{head.id}", [_scan("sku", "Item", sku)],
                  hidden={"transfer": f"TR-{head.id}"}, facts=[("Transfer", f"TR-{head.id} from {head.from_code}")],
                  table=(["Item", "In transit"], [[s, u] for _, s, u in head.lines]))
    if not sku:
        return _screen(request, actor, wh, second)

    def on_transfer() -> tuple[str, int]:
        item = read(engine, actor, scan.item, sku)
        units = [u for _, s, u in head.lines if s == item.code]
        if not units:
            raise ValidationFailed(f"{item.code} is not in transit on TR-{head.id}", field="sku")
        return item.code, units[0]

    found, refused = _check(request, actor, wh, second, on_transfer)
    if refused:
        return refused
    return _screen(request, actor, wh, _transfer_receive_step(head.id, found[0], found[1], {}))


def _transfer_receive_step(transfer_id: int, sku: str, units: int, form: dict[str, Any]) -> Step:
    return Step("Receive transfer", "How many arrived? Then scan where you put them",
                [_qty(str(form.get("quantity") or units)),
                 _scan("to_location", "Location", str(form.get("to_location", "")))],
                method="post", submit="Receive", hidden={"transfer": f"TR-{transfer_id}", "sku": sku},
                facts=[("Transfer", f"TR-{transfer_id}"), ("Item", f"{sku} · {units} in transit")])


@router.post("/{warehouse}/transfer/receive")
async def transfer_receive_post(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)
    form = await check_csrf(request)
    try:
        number = scan.transfer_number(str(form.get("transfer", "")))
        cmd = workflows.ReceiveTransfer(sku=form.get("sku", ""), quantity=form.get("quantity") or 0,
                                        to_location=form.get("to_location", ""))
        done = await run(perform, engine, actor, workflows.receive_transfer, wh.id, number, cmd)
    except INPUT_ERRORS as error:
        step = _transfer_receive_step(0, str(form.get("sku", "")), 0, form)
        step.hidden["transfer"] = str(form.get("transfer", ""))
        errors, status = _refused(error, {"quantity", "to_location"})
        return _screen(request, actor, wh, step, errors, status)
    flash(request, done.message)
    left = read(engine, actor, scan.inbound_transfers, wh.id, number)
    return see_other(_url(wh, "transfer/receive", transfer=f"TR-{number}" if left else ""))


# ---- count: count → location → item → counted ------------------------------------------------------------------

@router.get("/{warehouse}/count", response_class=HTMLResponse)
def count(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, count: str = "", location: str = "",
          sku: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    open_counts = read(engine, actor, scan.open_counts, wh.id)
    first = Step("Count", "Scan the count's number, or start a count of a location below",
                 [_scan("count", "Count", count)],
                 table=(["Count", "Note"], [[f"CNT-{c}", note] for c, note in open_counts]) if open_counts else None,
                 side=(_url(wh, "count/open"), _scan("location", "Location to count"), "Start a count"))
    if not count:
        return _screen(request, actor, wh, first)

    def is_open() -> int:
        number = scan.count_number(count)
        if number not in {c for c, _ in open_counts}:
            raise NotFound(f"CNT-{number} is not an open count of {wh.code}", field="count")
        return number

    count_id, refused = _check(request, actor, wh, first, is_open)
    if refused:
        return refused
    code = f"CNT-{count_id}"
    second = Step("Count", "Scan the location you count", [_scan("location", "Location", location)],
                  hidden={"count": code}, facts=[("Count", code)])
    if not location:
        return _screen(request, actor, wh, second)
    loc, refused = _check(request, actor, wh, second,
                          lambda: read(engine, actor, lambda uow: scan.location_in(uow, wh.id, location)))
    if refused:
        return refused
    third = Step("Count", f"Scan an item at {loc.path}", [_scan("sku", "Item", sku)],
                 hidden={"count": code, "location": loc.path}, facts=[("Count", code), ("Location", loc.path)],
                 links=[(_url(wh, "count", count=code), "Another location")])
    if not sku:
        return _screen(request, actor, wh, third)
    item, refused = _check(request, actor, wh, third, lambda: read(engine, actor, scan.item, sku))
    if refused:
        return refused
    return _screen(request, actor, wh, _count_step(code, loc.path, item.code, {}))


def _count_step(code: str, location: str, sku: str, form: dict[str, Any]) -> Step:
    return Step("Count", f"How many × {sku} are there?", [Input("counted", "Counted", str(form.get("counted", "")),
                                                                "number")],
                method="post", submit="Record", hidden={"count": code, "location": location, "sku": sku},
                facts=[("Count", code), ("Location", location), ("Item", sku)])


@router.post("/{warehouse}/count")
async def count_post(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)
    form = await check_csrf(request)
    code, location = str(form.get("count", "")), str(form.get("location", ""))
    try:
        number = scan.count_number(code)
        cmd = workflows.CountItem(location=location, sku=form.get("sku", ""), counted=form.get("counted", ""))
        done = await run(perform, engine, actor, workflows.count_item, wh.id, number, cmd)
    except INPUT_ERRORS as error:
        errors, status = _refused(error, {"counted"})
        return _screen(request, actor, wh, _count_step(code, location, str(form.get("sku", "")), form), errors, status)
    flash(request, done.message)
    return see_other(_url(wh, "count", count=f"CNT-{number}", location=location))


@router.post("/{warehouse}/count/open")
async def count_open(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)
    form = await check_csrf(request)
    try:
        done = await run(perform, engine, actor, workflows.open_count, wh.id,
                         workflows.OpenCount(location=form.get("location", "")))
    except INPUT_ERRORS as error:
        step = Step("Count", "Scan the location to count", [_scan("location", "Location",
                                                                  str(form.get("location", "")))],
                    method="post", submit="Start count")
        errors, status = _refused(error, {"location"})
        return _screen(request, actor, wh, step, errors, status)
    flash(request, done.message)
    return see_other(_url(wh, "count", count=f"CNT-{done.id}", location=done.location))


# ---- pick: pick list → location → item → quantity ------------------------------------------------------------------

@router.get("/{warehouse}/pick", response_class=HTMLResponse)
def pick(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, pick: str = "", location: str = "",
         sku: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    lists = read(engine, actor, scan.pick_lists, wh.id)
    first = Step("Pick", "Scan the pick list or the order number", [_scan("pick", "Pick list or order", pick)],
                 table=(["Pick list", "Order", "Lines left"], [[f"PL-{p.id}", p.order_number, p.lines_left]
                                                               for p in lists]) if lists else None)
    if not pick:
        return _screen(request, actor, wh, first)

    def open_list() -> Any:
        return read(engine, actor, workflows.list_here, wh.id, read(engine, actor, scan.pick_list_in, wh.id, pick))

    view, refused = _check(request, actor, wh, first, open_list)
    if refused:
        return refused
    line = view.next_line
    code = f"PL-{view.id}"
    facts = [("Pick list", code + (f" · order {view.order_number}" if view.order_number else "")
              + (f" · transfer to {view.to_warehouse}" if view.to_warehouse else "")),
             ("Line", f"{line.position}: {line.remaining} × {line.sku} · {line.name}"), ("From", line.location)]
    second = Step("Pick", f"Go to {line.location} and scan the location", [_scan("location", "Location", location)],
                  hidden={"pick": code}, facts=facts,
                  table=(["Location", "Item", "Left"], [[x.location, x.sku, x.remaining] for x in view.lines
                                                        if x.remaining]))
    if not location:
        return _screen(request, actor, wh, second)

    def right_location() -> str:
        found = read(engine, actor, lambda uow: scan.location_in(uow, wh.id, location))
        if found.path != line.location:
            raise ValidationFailed(f"wrong location {found.path}: pick this line from {line.location}",
                                   field="location")
        return found.path

    _, refused = _check(request, actor, wh, second, right_location)
    if refused:
        return refused
    third = Step("Pick", f"Scan the item: {line.sku}", [_scan("sku", "Item", sku)],
                 hidden={"pick": code, "location": line.location}, facts=facts)
    if not sku:
        return _screen(request, actor, wh, third)

    def right_item() -> None:
        found = read(engine, actor, scan.item, sku)
        if found.id != line.sku_id:
            raise ValidationFailed(f"wrong item {found.code}: this line needs {line.sku}", field="sku")

    _, refused = _check(request, actor, wh, third, right_item)
    if refused:
        return refused
    return _screen(request, actor, wh, _pick_step(code, line.id, line.location, line.sku, line.remaining, facts, {}))


def _pick_step(code: str, line_id: int, location: str, sku: str, remaining: int, facts: list[tuple[str, str]],
               form: dict[str, Any]) -> Step:
    return Step("Pick", f"How many × {sku} did you take?", [_qty(str(form.get("quantity") or remaining))],
                method="post", submit="Picked",
                hidden={"pick": code, "line_id": str(line_id), "location": location, "sku": sku}, facts=facts,
                side=("pick/short", Input("found", "Bin short? Units you could take"), "Report short pick"))


def _pick_url(wh: scan.WarehouseView, code: str, done: workflows.Done, engine: Engine, actor: Actor) -> str:
    if done.state != "picked":
        return _url(wh, "pick", pick=code)
    view = read(engine, actor, workflows.list_here, wh.id, done.id)
    return _url(wh, "pack", order=view.order_number) if view.order_number else _url(wh, "pick")


@router.post("/{warehouse}/pick")
async def pick_post(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)
    form = await check_csrf(request)
    code = str(form.get("pick", ""))
    try:
        list_id = scan.pick_number(code)
        cmd = workflows.Pick(line_id=form.get("line_id") or 0, location=form.get("location", ""),
                             sku=form.get("sku", ""), quantity=form.get("quantity") or 0)
        done = await run(perform, engine, actor, workflows.pick, wh.id, list_id, cmd)
    except INPUT_ERRORS as error:
        step = _pick_step(code, int(str(form.get("line_id") or 0)), str(form.get("location", "")),
                          str(form.get("sku", "")), 0, [("Pick list", code)], form)
        errors, status = _refused(error, {"quantity"})
        return _screen(request, actor, wh, step, errors, status)
    flash(request, done.message)
    return see_other(await run(_pick_url, wh, code, done, engine, actor))


@router.post("/{warehouse}/pick/short")
async def pick_short(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)
    form = await check_csrf(request)
    code = str(form.get("pick", ""))
    try:
        list_id = scan.pick_number(code)
        cmd = workflows.ShortPick(line_id=form.get("line_id") or 0, location=form.get("location", ""),
                                  found=form.get("found", ""))
        done = await run(perform, engine, actor, workflows.short_pick, wh.id, list_id, cmd)
    except INPUT_ERRORS as error:
        step = _pick_step(code, int(str(form.get("line_id") or 0)), str(form.get("location", "")),
                          str(form.get("sku", "")), 0, [("Pick list", code)], form)
        errors, status = _refused(error, set())
        return _screen(request, actor, wh, step, errors, status)
    flash(request, done.message, "warning")
    left = [p for p in read(engine, actor, scan.pick_lists, wh.id) if p.id == list_id]
    return see_other(_url(wh, "pick", pick=code if left else ""))


# ---- pack: order → scan each item into the parcel → close the parcel → ship ------------------------------------------

def _pack_table(view: scan.PackView) -> tuple[list[str], list[list[Any]]]:
    return ["Item", "Picked", "Packed"], [[line.sku, line.picked, line.packed] for line in view.lines]


def _pack_step(view: scan.PackView, form: dict[str, Any] | None = None) -> Step:
    form = form or {}
    facts = [("Order", f"{view.number} · {view.status}"),
             ("Parcels", ", ".join(f"{no} ({state}, {units} units)" for no, state, units in view.parcels) or "none")]
    if view.left_to_pack > 0:
        parcel = str(view.next_parcel)
        return Step("Pack", f"Scan each item into parcel {parcel} ({view.left_to_pack} left to pack)",
                    [_scan("sku", "Item", "")], method="post", submit="Pack",
                    hidden={"order": view.number, "parcel": str(form.get("parcel") or parcel), "quantity": "1"},
                    facts=facts, table=_pack_table(view))
    if view.open_parcel is not None:
        return Step("Pack", f"Everything is packed: weigh and measure parcel {view.open_parcel}, then close it",
                    [Input("weight_grams", "Weight (g)", str(form.get("weight_grams", "")), "number"),
                     Input("length_mm", "Length (mm)", str(form.get("length_mm", "")), "number"),
                     Input("width_mm", "Width (mm)", str(form.get("width_mm", "")), "number"),
                     Input("height_mm", "Height (mm)", str(form.get("height_mm", "")), "number")],
                    method="post", submit="Close parcel", action="pack/close", hidden={"order": view.number,
                                                                  "parcel": str(view.open_parcel)},
                    facts=facts, table=_pack_table(view))
    return Step("Pack", "Nothing left to pack here: scan the next order", [_scan("order", "Order")], facts=facts,
                table=_pack_table(view),
                links=[(f"ship?order={view.number}", "Ship this order")] if view.status == "packed" else [])


@router.get("/{warehouse}/pack", response_class=HTMLResponse)
def pack(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, order: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    first = Step("Pack", "Scan the order number", [_scan("order", "Order", order)])
    if not order:
        return _screen(request, actor, wh, first)
    view, refused = _check(request, actor, wh, first, lambda: read(engine, actor, scan.order_to_pack, wh.id, order))
    if refused:
        return refused
    return _screen(request, actor, wh, _pack_step(view))


async def _pack_action(request: Request, engine: Engine, actor: Actor, wh: scan.WarehouseView,
                       action: Callable[..., workflows.Done], build: Callable[[dict[str, Any]], Any]) -> Response:
    form = await check_csrf(request)
    number = str(form.get("order", ""))
    try:
        done = await run(perform, engine, actor, action, wh.id, build(form))
    except INPUT_ERRORS as error:
        try:
            step = _pack_step(await run(read, engine, actor, scan.order_to_pack, wh.id, number), form)
        except INPUT_ERRORS:
            step = Step("Pack", "Scan the order number", [_scan("order", "Order", number)])
        errors, status = _refused(error, {i.name for i in step.inputs})
        return _screen(request, actor, wh, step, errors, status)
    flash(request, done.message)
    if done.state == "packed":
        return see_other(_url(wh, "ship", order=number))
    return see_other(_url(wh, "pack", order=number))


@router.post("/{warehouse}/pack")
async def pack_post(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)
    return await _pack_action(request, engine, actor, wh, workflows.pack, lambda form: workflows.Pack(
        order=form.get("order", ""), sku=form.get("sku", ""), quantity=form.get("quantity") or 1,
        parcel=form.get("parcel") or 1))


@router.post("/{warehouse}/pack/close")
async def pack_close(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)
    return await _pack_action(request, engine, actor, wh, workflows.close_parcel, lambda form: workflows.CloseParcel(
        order=form.get("order", ""), parcel=form.get("parcel") or 0, weight_grams=form.get("weight_grams") or 0,
        length_mm=form.get("length_mm") or 0, width_mm=form.get("width_mm") or 0,
        height_mm=form.get("height_mm") or 0))


# ---- ship: a packed order leaves with its carrier ------------------------------------------------------------------

def _ship_step(engine: Engine, actor: Actor, view: scan.PackView) -> Step:
    rates = read(engine, actor, packing.parcel_rates, view.order_id)
    options = [("", "The order's own shipping method")] + [
        (str(r.method_id), f"{r.carrier} {r.name}: {r.cost} {r.currency}") for r in rates]
    return Step("Ship", f"Hand order {view.number} to the carrier", [Input("method_id", "Carrier service", "",
                                                                           "select", options)],
                method="post", submit="Ship", hidden={"order": view.number},
                facts=[("Order", f"{view.number} · {view.status}"),
                       ("Parcels", ", ".join(f"{no} ({units} units)" for no, _, units in view.parcels))])


@router.get("/{warehouse}/ship", response_class=HTMLResponse)
def ship(warehouse: str, request: Request, engine: EngineDep, actor: PageActor, order: str = "") -> Response:
    wh = _wh(engine, actor, warehouse)
    first = Step("Ship", "Scan the packed order's number", [_scan("order", "Order", order)])
    if not order:
        return _screen(request, actor, wh, first)

    def packed() -> scan.PackView:
        view = read(engine, actor, scan.order_to_pack, wh.id, order)
        if view.status != "packed":
            raise Conflict(f"order {view.number} is {view.status}, not packed: pick and pack it before shipping",
                           field="order")
        return view

    view, refused = _check(request, actor, wh, first, packed)
    if refused:
        return refused
    return _screen(request, actor, wh, _ship_step(engine, actor, view))


@router.post("/{warehouse}/ship")
async def ship_post(warehouse: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    wh = await run(_wh, engine, actor, warehouse)
    form = await check_csrf(request)
    number = str(form.get("order", ""))
    try:
        cmd = workflows.Ship(order=number, method_id=form.get("method_id") or None)
        done = await run(perform, engine, actor, workflows.ship, wh.id, cmd)
    except INPUT_ERRORS as error:
        step = Step("Ship", "Scan the packed order's number", [_scan("order", "Order", number)])
        errors, status = _refused(error, {"order"})
        return _screen(request, actor, wh, step, errors, status)
    await run(packing.send_shipment_notice, request.app.state.settings, engine, actor, done.id)
    flash(request, done.message)
    return see_other(_url(wh, "ship"))

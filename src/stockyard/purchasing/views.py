"""Back-office purchasing pages at /erp/purchasing: suppliers (list, detail with the SKUs they sell, edit), purchase
orders (list with filters and paging, detail with lines, notices and receipts and its actions, create), an advance
shipping notice and its receipt, the blind receipt form, putaway (what lies in receiving locations, with the best
bin; putaway rules), and replenishment (pick suggestions, one button makes the draft orders). Thin: read a query
or build a command from the form, call the service, redirect (303) or show the form again with the message next to
the field. Permissions are the services' (purchasing.view/edit/receive; inventory.move and .configure for putaway).
"""

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from stockyard.catalog.queries import category_paths
from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import CATALOG_VIEW
from stockyard.inventory import queries as inventory_queries
from stockyard.purchasing import putaway, queries, receiving, replenishment, services, suppliers
from stockyard.purchasing.domain import POState
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, given, page, page_route, run, see_other

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
LINES = 5
STATES = ["open", *[s.value for s in POState]]
SUPPLIER_FIELDS = ("name", "currency", "lead_time_days", "over_receipt_tolerance_pct")
SKU_FIELDS = ("sku", "unit_cost", "supplier_code", "pack_size", "min_order_qty")

router = APIRouter(prefix="/erp/purchasing", include_in_schema=False, route_class=page_route("erp/error.html"))


def _lines(form: Mapping[str, Any], keys: tuple[str, ...]) -> tuple[list[dict[str, str]], list[int]]:
    """The filled rows of a line table (`lines.<i>.<key>`) and their row numbers."""
    filled = [given({key: form.get(f"lines.{i}.{key}", "") for key in keys}, *keys) for i in range(LINES)]
    rows = [i for i, line in enumerate(filled) if line]
    return [filled[i] for i in rows], rows


def _row_errors(errors: dict[str, str], rows: list[int]) -> dict[str, str]:
    """Errors on command line n (lines.n.x) moved to the form row it came from."""
    out = {}
    for key, message in errors.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() and int(parts[1]) < len(rows):
            key = f"lines.{rows[int(parts[1])]}.{parts[2]}"
        out[key] = message
    return out


def _line_keys(keys: tuple[str, ...]) -> set[str]:
    return {"lines"} | {f"lines.{i}.{k}" for i in range(LINES) for k in keys}


# ---- suppliers --------------------------------------------------------------------------------------------------

@router.get("/suppliers", response_class=HTMLResponse)
def supplier_list(request: Request, engine: EngineDep, actor: PageActor, q: str = "",
                  page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return page(request, actor, "erp/purchasing/suppliers.html", section="purchasing", q=q,
                result=read(engine, actor, queries.list_suppliers, q=q, page=page_no))


def _supplier_form(request: Request, actor: Actor, form: Mapping[str, Any], errors: dict[str, str] | None = None,
                   status_code: int = 200, supplier: Any = None) -> HTMLResponse:
    return page(request, actor, "erp/purchasing/supplier_form.html", status_code, section="purchasing",
                form=dict(form), errors=errors or {}, supplier=supplier)


@router.get("/suppliers/new", response_class=HTMLResponse)
def supplier_new(request: Request, actor: PageActor) -> Response:
    return _supplier_form(request, actor, {"currency": "EUR", "lead_time_days": 7, "over_receipt_tolerance_pct": 0})


@router.post("/suppliers/new")
async def supplier_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        cmd = services.CreateSupplier(**given(form, "code", *SUPPLIER_FIELDS))
        supplier_id = await run(perform, engine, actor, services.create_supplier, cmd)
    except INPUT_ERRORS as error:
        return _supplier_form(request, actor, form, *field_errors(error, {"code", *SUPPLIER_FIELDS}))
    flash(request, f"Supplier {cmd.code} created")
    return see_other(f"/erp/purchasing/suppliers/{supplier_id}")


def _supplier_page(request: Request, engine: Any, actor: Actor, supplier_id: int, form: Mapping[str, Any],
                   errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, actor, "erp/purchasing/supplier.html", status_code, section="purchasing",
                supplier=read(engine, actor, queries.supplier_detail, supplier_id), form=dict(form),
                errors=errors or {},
                orders=read(engine, actor, queries.list_purchase_orders, supplier_id=supplier_id, per_page=10))


@router.get("/suppliers/{supplier_id}", response_class=HTMLResponse)
def supplier_detail(supplier_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _supplier_page(request, engine, actor, supplier_id, {"pack_size": 1, "min_order_qty": 1})


@router.get("/suppliers/{supplier_id}/edit", response_class=HTMLResponse)
def supplier_edit(supplier_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    found = read(engine, actor, queries.supplier_detail, supplier_id)
    return _supplier_form(request, actor, {**{k: getattr(found, k) for k in SUPPLIER_FIELDS},
                                           "active": found.active}, supplier=found)


@router.post("/suppliers/{supplier_id}/edit")
async def supplier_update(supplier_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    found = await run(read, engine, actor, queries.supplier_detail, supplier_id)
    try:
        cmd = suppliers.UpdateSupplier(**given(form, *SUPPLIER_FIELDS), active=bool(form.get("active")))
        await run(perform, engine, actor, suppliers.update_supplier, supplier_id, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set(SUPPLIER_FIELDS))
        return _supplier_form(request, actor, form, errors, status, supplier=found)
    flash(request, f"Supplier {found.code} saved")
    return see_other(f"/erp/purchasing/suppliers/{supplier_id}")


@router.post("/suppliers/{supplier_id}/skus")
async def supplier_sku_set(supplier_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        cmd = suppliers.SetSupplierSku(**given(form, *SKU_FIELDS), preferred=bool(form.get("preferred")))
        await run(perform, engine, actor, suppliers.set_supplier_sku, supplier_id, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set(SKU_FIELDS))
        return await run(_supplier_page, request, engine, actor, supplier_id, form, errors, status)
    flash(request, f"{cmd.sku} terms saved")
    return see_other(f"/erp/purchasing/suppliers/{supplier_id}")


# ---- purchase orders --------------------------------------------------------------------------------------------

@router.get("/orders", response_class=HTMLResponse)
def order_list(request: Request, engine: EngineDep, actor: PageActor, state: str = "", supplier_id: int | None = None,
               sku: str = "", sort: str = "-number", page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    result = read(engine, actor, queries.list_purchase_orders, state=state or None, supplier_id=supplier_id,
                  sku=sku or None, page=page_no, per_page=50, sort=sort)
    return page(request, actor, "erp/purchasing/orders.html", section="purchasing", result=result, states=STATES,
                query={"state": state, "supplier_id": supplier_id, "sku": sku, "sort": result.sort},
                suppliers=read(engine, actor, queries.list_suppliers, per_page=200).items)


ORDER_KEYS = ("sku", "quantity", "unit_cost")


def _order_form(request: Request, engine: Any, actor: Actor, form: Mapping[str, Any],
                errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, actor, "erp/purchasing/order_new.html", status_code, section="purchasing", form=dict(form),
                errors=errors or {}, line_count=LINES,
                suppliers=read(engine, actor, queries.list_suppliers, per_page=200).items,
                warehouses=read(engine, actor, inventory_queries.list_warehouses))


@router.get("/orders/new", response_class=HTMLResponse)
def order_new(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _order_form(request, engine, actor, {})


@router.post("/orders/new")
async def order_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    lines, rows = _lines(form, ORDER_KEYS)
    try:
        cmd = services.CreatePurchaseOrder(**given(form, "supplier", "warehouse", "expected_on", "note"), lines=lines)
        created = await run(perform, engine, actor, services.create_purchase_order, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"supplier", "warehouse", "expected_on", "note"} | _line_keys(ORDER_KEYS))
        return await run(_order_form, request, engine, actor, form, _row_errors(errors, rows), status)
    flash(request, f"Purchase order {created.number} created as a draft")
    return see_other(f"/erp/purchasing/orders/{created.id}")


def _order_page(request: Request, engine: Any, actor: Actor, order_id: int, form: Mapping[str, Any] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, actor, "erp/purchasing/order.html", status_code, section="purchasing",
                po=read(engine, actor, queries.purchase_order_page, order_id), form=dict(form or {}),
                errors=errors or {})


@router.get("/orders/{purchase_order_id}", response_class=HTMLResponse)
def order_detail(purchase_order_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _order_page(request, engine, actor, purchase_order_id)


async def _order_action(purchase_order_id: int, action: str, request: Request, engine: Any,
                        actor: Actor) -> Response:
    """send, cancel, close, receive (qty.<line id> fields) or asn (a shipping notice: asn_qty.<line id> fields)."""
    form = await check_csrf(request)
    url = f"/erp/purchasing/orders/{purchase_order_id}"
    try:
        if action == "send":
            await run(perform, engine, actor, services.send_purchase_order, purchase_order_id)
            message = "Sent to the supplier"
        elif action == "cancel":
            await run(perform, engine, actor, services.cancel_purchase_order, purchase_order_id,
                      services.Reason(**given(form, "note")))
            message = "Cancelled"
        elif action == "close":
            await run(perform, engine, actor, services.close_purchase_order, purchase_order_id,
                      services.Reason(**given(form, "note")))
            message = "Closed"
        elif action == "receive":
            lines = [{"line_id": key.split(".", 1)[1], "quantity": value, "lot": form.get(f"lot.{key[4:]}", "")}
                     for key, value in form.items() if key.startswith("qty.") and str(value).strip()]
            receipt = await run(perform, engine, actor, services.receive_purchase_order_lines, purchase_order_id,
                                services.ReceivePurchaseOrder(**given(form, "location", "note"), lines=lines))
            message = f"Received as {receipt.number}" + (
                f" ({receipt.over_received} over the ordered quantity)" if receipt.over_received else "")
        elif action == "asn":
            lines = [{"line_id": key.split(".", 1)[1], "quantity": value}
                     for key, value in form.items() if key.startswith("asn_qty.") and str(value).strip()]
            await run(perform, engine, actor, receiving.create_asn, purchase_order_id, receiving.CreateAsn(
                **given(form, "expected_on", "reference", "carrier", "tracking"), lines=lines))
            message = "Shipping notice recorded"
        else:
            raise NotFound(f"unknown action {action}", field="action")
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"location", "note", "expected_on", "reference", "carrier", "tracking"})
        return await run(_order_page, request, engine, actor, purchase_order_id, form, errors, status)
    flash(request, message)
    return see_other(url)


@router.post("/orders/{purchase_order_id}/send")
async def order_send(purchase_order_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _order_action(purchase_order_id, "send", request, engine, actor)


@router.post("/orders/{purchase_order_id}/cancel")
async def order_cancel(purchase_order_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _order_action(purchase_order_id, "cancel", request, engine, actor)


@router.post("/orders/{purchase_order_id}/close")
async def order_close(purchase_order_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _order_action(purchase_order_id, "close", request, engine, actor)


@router.post("/orders/{purchase_order_id}/receive")
async def order_receive(purchase_order_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    """The units typed per line (qty.<line id>, lot.<line id>) as one goods receipt."""
    return await _order_action(purchase_order_id, "receive", request, engine, actor)


@router.post("/orders/{purchase_order_id}/asn")
async def order_asn(purchase_order_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    """A shipping notice (asn_qty.<line id>; none filled: everything still open)."""
    return await _order_action(purchase_order_id, "asn", request, engine, actor)


@router.post("/asns/{asn_id}/receive")
async def asn_receive(asn_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    """Everything the notice announced, as announced, into the location given (or the receiving location)."""
    form = await check_csrf(request)
    order_id = int(form.get("purchase_order_id", 0) or 0)
    try:
        receipt = await run(perform, engine, actor, receiving.receive_asn, asn_id,
                            receiving.ReceiveAsn(**given(form, "location", "note")))
    except INPUT_ERRORS as error:
        if not order_id:
            raise
        errors, status = field_errors(error, {"location"})
        return await run(_order_page, request, engine, actor, order_id, form, errors, status)
    flash(request, f"Notice received as {receipt.number}")
    return see_other(f"/erp/purchasing/orders/{order_id}" if order_id else "/erp/purchasing/orders")


# ---- blind receipt ----------------------------------------------------------------------------------------------

BLIND_KEYS = ("sku", "quantity", "unit_cost", "lot")


def _blind_form(request: Request, engine: Any, actor: Actor, form: Mapping[str, Any],
                errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return page(request, actor, "erp/purchasing/blind.html", status_code, section="purchasing", form=dict(form),
                errors=errors or {}, line_count=LINES,
                suppliers=read(engine, actor, queries.list_suppliers, per_page=200).items,
                warehouses=read(engine, actor, inventory_queries.list_warehouses),
                receipts=read(engine, actor, queries.recent_receipts, "blind"))


@router.get("/receipts/blind", response_class=HTMLResponse)
def blind_new(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _blind_form(request, engine, actor, {})


@router.post("/receipts/blind")
async def blind_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    lines, rows = _lines(form, BLIND_KEYS)
    try:
        receipt = await run(perform, engine, actor, receiving.receive_blind, receiving.BlindReceipt(
            **given(form, "warehouse", "location", "supplier", "note"), lines=lines))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"warehouse", "location", "supplier", "note"} | _line_keys(BLIND_KEYS))
        return await run(_blind_form, request, engine, actor, form, _row_errors(errors, rows), status)
    flash(request, f"Received as {receipt.number}")
    return see_other("/erp/purchasing/receipts/blind")


# ---- replenishment ----------------------------------------------------------------------------------------------

def _replenishment(request: Request, engine: Any, actor: Actor, warehouse_id: int | None, days: int,
                   errors: dict[str, str] | None = None, status_code: int = 200,
                   demand: str = "forecast") -> HTMLResponse:
    return page(request, actor, "erp/purchasing/replenishment.html", status_code, section="purchasing",
                rows=read(engine, actor, replenishment.replenishment_suggestions, warehouse_id, days, 30, demand),
                warehouses=read(engine, actor, inventory_queries.list_warehouses), errors=errors or {},
                query={"warehouse_id": warehouse_id, "days": days, "demand": demand})


@router.get("/replenishment", response_class=HTMLResponse)
def replenishment_page(request: Request, engine: EngineDep, actor: PageActor, warehouse_id: int | None = None,
                       days: int = Query(default=30, ge=1, le=365),
                       demand: str = Query(default="forecast", pattern="^(forecast|history)$")) -> Response:
    return _replenishment(request, engine, actor, warehouse_id, days, demand=demand)


@router.post("/replenishment")
async def replenishment_order(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    """The ticked suggestions (pick = "<sku id>.<warehouse id>", quantity in qty.<same>) become draft orders."""
    form = await check_csrf(request)
    picked = [str(v) for v in (await request.form()).getlist("pick")]
    items = []
    for key in picked:
        sku_id, _, warehouse_id = key.partition(".")
        if sku_id.isdigit() and warehouse_id.isdigit():
            items.append({"sku": int(sku_id), "warehouse": int(warehouse_id), "quantity": form.get(f"qty.{key}", "")})
    try:
        if not items:
            raise ValidationFailed("tick at least one suggestion", field="items")
        created = await run(perform, engine, actor, replenishment.create_replenishment_orders,
                            replenishment.CreateReplenishmentOrders(items=items))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set())
        return await run(_replenishment, request, engine, actor, None, 30, errors, status)
    flash(request, "Draft purchase orders created: " + ", ".join(c.number for c in created))
    return see_other("/erp/purchasing/orders?state=draft")


# ---- putaway ----------------------------------------------------------------------------------------------------

def _putaway_page(request: Request, engine: Any, actor: Actor, warehouse_id: int | None,
                  form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
                  status_code: int = 200) -> HTMLResponse:
    categories = read(engine, actor, category_paths) if actor.can(CATALOG_VIEW) else {}
    return page(request, actor, "erp/purchasing/putaway.html", status_code, section="purchasing",
                rows=read(engine, actor, putaway.awaiting_putaway, warehouse_id),
                rules=read(engine, actor, putaway.putaway_rules, warehouse_id),
                categories=sorted(categories.items(), key=lambda kv: kv[1]),
                warehouses=read(engine, actor, inventory_queries.list_warehouses), query={"warehouse_id": warehouse_id},
                form=dict(form or {}), errors=errors or {})


@router.get("/putaway", response_class=HTMLResponse)
def putaway_list(request: Request, engine: EngineDep, actor: PageActor, warehouse_id: int | None = None) -> Response:
    return _putaway_page(request, engine, actor, warehouse_id)


PUTAWAY_FIELDS = ("sku", "quantity", "from_location", "to_location", "lot")


@router.post("/putaway")
async def putaway_submit(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    """One row of the list: its units from the receiving location to the bin given (empty: the best bin)."""
    form = await check_csrf(request)
    try:
        done = await run(perform, engine, actor, putaway.put_away, putaway.PutAway(**given(form, *PUTAWAY_FIELDS)))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set(PUTAWAY_FIELDS))
        return await run(_putaway_page, request, engine, actor, None, form, errors, status)
    flash(request, f"Put away {form.get('quantity')} × {form.get('sku')} into {done.to_path}")
    return see_other("/erp/purchasing/putaway")


@router.post("/putaway/rules")
async def putaway_rule_set(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    fields = ("warehouse", "category_id", "location")
    try:
        await run(perform, engine, actor, putaway.set_putaway_rule, putaway.SetPutawayRule(**given(form, *fields)))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set(fields))
        return await run(_putaway_page, request, engine, actor, None, form, errors, status)
    flash(request, "Putaway rule saved")
    return see_other("/erp/purchasing/putaway")

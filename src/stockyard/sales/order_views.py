"""Staff order pages at /admin/orders: the list (filters by status, channel, warehouse and age; search; counts per
status), a phone order form, and one order with its timeline, lines, allocations, payments, shipments and documents
and the actions its state allows.

Thin: read models from sales/queries.py, transitions from sales/orders.py, phone orders from sales/staff_order.py.
Every post checks the CSRF token and redirects (Post/Redirect/Get) with a flash; a refused action shows the order
again with the message and a 4xx status. The services decide access, so a forged post gets 403 and changes nothing;
the page only hides the buttons a user may not use.
"""

import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import ORDERS_MANAGE, ORDERS_PLACE
from stockyard.sales import orders, queries, staff_order
from stockyard.sales.checkout import AddressIn
from stockyard.sales.models import ORDER_STATUSES
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, run, see_other

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
ADDRESS_KEYS = ("name", "line1", "line2", "city", "region", "postcode", "country", "phone")
MIN_ROWS = 5
MAX_ROWS = staff_order.MAX_LINES

ADMIN_SECTIONS.append(("orders", "/admin/orders", "Orders"))

router = admin_router("/orders")


# ---- the list -------------------------------------------------------------------------------------------------

def _chip_urls(query: Mapping[str, str]) -> Callable[[str | None], str]:
    """The list's URL with the other filters kept and the status set (None: every status)."""
    rest = {k: v for k, v in query.items() if k not in ("status", "page")}

    def url(status: str | None) -> str:
        return "/admin/orders?" + urlencode({**rest, **({"status": status} if status else {})})

    return url


@router.get("", response_class=HTMLResponse)
def order_list(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    query = {k: v for k, v in request.query_params.items() if v.strip()}
    choices = read(engine, actor, queries.filter_choices)
    try:
        filters = queries.OrderFilter(**query)
    except ValidationError as error:
        errors, status = field_errors(error, set(queries.OrderFilter.model_fields))
        return admin_page(request, actor, "admin/orders/list.html", status, section="orders", errors=errors,
                          result=None, query=query, choices=choices, statuses=ORDER_STATUSES,
                          chip_url=_chip_urls(query))
    return admin_page(request, actor, "admin/orders/list.html", section="orders", query=query,
                      result=read(engine, actor, queries.list_orders, filters), choices=choices,
                      statuses=ORDER_STATUSES, chip_url=_chip_urls(query))


# ---- phone orders ---------------------------------------------------------------------------------------------

def _filled_rows(form: Mapping[str, Any]) -> list[dict[str, str]]:
    """The SKU/quantity rows that were filled in, in order (row N of this list is line N of the command)."""
    out = []
    for index in range(MAX_ROWS):
        sku = str(form.get(f"lines.{index}.sku", "")).strip()
        quantity = str(form.get(f"lines.{index}.quantity", "")).strip()
        if sku or quantity:
            out.append({"sku": sku, "quantity": quantity})
    return out


def _line_rows(form: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rows to show: those filled in, then empty ones (at least MIN_ROWS, two to spare)."""
    filled = _filled_rows(form)
    spare = max(MIN_ROWS - len(filled), 2)
    return (filled + [{"sku": "", "quantity": ""} for _ in range(spare)])[:MAX_ROWS]


def _address(form: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(form.get(f"shipping_address.{key}", "")).strip() for key in ADDRESS_KEYS}


def _command(form: Mapping[str, Any]) -> staff_order.StaffOrder:
    lines = [{"sku": row["sku"], "quantity": row["quantity"] or "1"} for row in _filled_rows(form)]
    if not lines:
        raise ValidationFailed("enter at least one SKU with a quantity", field="lines[0].sku")
    return staff_order.StaffOrder(
        channel_id=form.get("channel_id") or 0, email=str(form.get("email", "")),
        customer_name=str(form.get("customer_name", "")), customer_phone=str(form.get("customer_phone", "")),
        shipping_address={k: v for k, v in _address(form).items() if v}, lines=lines,
        shipping_method_id=form.get("shipping_method_id") or 0, payment_method_id=form.get("payment_method_id") or 0,
        note=str(form.get("note", "")), idempotency_key=str(form.get("idempotency_key", "")) or None)


def _known_fields(form: Mapping[str, Any]) -> set[str]:
    names = {"channel_id", "email", "customer_name", "customer_phone", "shipping_method_id", "payment_method_id",
             "note"}
    names |= {f"shipping_address.{key}" for key in ADDRESS_KEYS}
    names |= {f"lines.{i}.{key}" for i in range(len(_line_rows(form))) for key in ("sku", "quantity")}
    return names


def _errors_for(error: Exception, form: Mapping[str, Any]) -> tuple[dict[str, str], int]:
    errors, status = field_errors(error, _known_fields(form) | {"country"})
    if "country" in errors:  # the address check names the bare field
        errors["shipping_address.country"] = errors.pop("country")
    return errors, status


def _shipping_options(engine: Engine, actor: Actor, form: Mapping[str, Any]) -> tuple[list[Any], dict[str, str]]:
    """The shipping methods for the typed address and lines; none (and why) until both are usable."""
    channel_id = _optional_int(form.get("channel_id"), "channel_id")
    if channel_id is None or not _filled_rows(form):
        return [], {"lines.0.sku": "enter the lines to see what shipping costs"} if channel_id else {}
    try:
        address = AddressIn(**{k: v for k, v in _address(form).items() if v})
        lines = [staff_order.StaffLine(sku=row["sku"], quantity=row["quantity"] or "1") for row in _filled_rows(form)]
        return read(engine, actor, staff_order.staff_shipping_options, channel_id, address, lines), {}
    except INPUT_ERRORS as error:
        return [], _errors_for(error, form)[0]


def order_form(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any],
               errors: dict[str, str] | None = None, status_code: int = 200, quote: bool = False) -> HTMLResponse:
    form = dict(form)
    form.setdefault("idempotency_key", secrets.token_urlsafe(18))
    choices = read(engine, actor, queries.filter_choices)
    channel_id = str(form.get("channel_id") or (choices["channels"][0][0] if choices["channels"] else ""))
    form["channel_id"] = channel_id
    payment_methods = read(engine, actor, staff_order.staff_payment_methods, int(channel_id)) if channel_id else []
    options, quote_errors = _shipping_options(engine, actor, form) if quote else ([], {})
    errors = {**quote_errors, **(errors or {})}
    return admin_page(request, actor, "admin/orders/new.html", status_code, section="orders", form=form,
                      errors=errors, rows=_line_rows(form), channels=choices["channels"],
                      payment_methods=payment_methods, shipping_options=options, quoted=quote)


@router.get("/new", response_class=HTMLResponse)
def order_new(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    actor.require(ORDERS_PLACE)  # the form is of no use without these; the service checks again
    actor.require(ORDERS_MANAGE)
    return order_form(request, engine, actor, {})


@router.post("/new")
async def order_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    """Places the phone order; sent with step=quote it only shows the form again with the shipping methods (and
    their cost) for the address and lines entered, changing nothing."""
    form = await check_csrf(request)
    if form.pop("step", "") == "quote":
        return await run(order_form, request, engine, actor, form, None, 200, True)
    try:
        cmd = _command(form)
        placed = await run(perform, engine, actor, staff_order.create_staff_order, cmd)
    except INPUT_ERRORS as error:
        errors, status = _errors_for(error, form)
        return await run(order_form, request, engine, actor, form, errors, status, True)
    message = f"Order {placed.number} placed; waiting for the payment"
    if placed.backordered:
        message += f"; {placed.backordered} unit(s) backordered"
    flash(request, message)
    return see_other(f"/admin/orders/{placed.number}")


# ---- one order ------------------------------------------------------------------------------------------------

def detail_page(request: Request, engine: Engine, actor: Actor, number: str, errors: dict[str, str] | None = None,
                status_code: int = 200, form: Mapping[str, Any] | None = None) -> HTMLResponse:
    order = read(engine, actor, queries.order_detail, number)
    allowed = {a for a in order.actions if actor.can(queries.ACTION_PERMISSIONS[a])}
    return admin_page(request, actor, "admin/orders/detail.html", status_code, section="orders", order=order,
                      allowed=allowed, errors=errors or {}, form=dict(form or {}))


@router.get("/{number}", response_class=HTMLResponse)
def order_detail(number: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return detail_page(request, engine, actor, number)


def _edit_lines(form: Mapping[str, Any]) -> orders.EditLines:
    changes = []
    for key, value in form.items():
        if key.startswith("qty.") and str(value).strip() != "":
            try:
                changes.append(orders.LineChange(line_id=int(key[4:]), quantity=int(str(value).strip())))
            except ValueError:
                raise ValidationFailed("enter whole numbers", field=key) from None
    return orders.EditLines(changes=changes)


def _optional_int(value: Any, field: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationFailed("choose from the list", field=field) from None


# action (URL segment) → (service, its arguments from the form, what the flash says)
Action = tuple[Callable[..., Any], Callable[[Mapping[str, Any]], tuple[Any, ...]], Callable[[Any], str]]
ACTIONS: dict[str, Action] = {
    "hold": (orders.hold_order, lambda f: (str(f.get("reason", "")),), lambda _: "Order put on hold"),
    "release": (orders.release_hold, lambda f: (), lambda _: "Hold released"),
    "cancel": (orders.cancel_order, lambda f: (str(f.get("reason", "")),),
               lambda _: "Order cancelled: its stock is released and the payment voided or refunded"),
    "mark-paid": (orders.mark_paid, lambda f: (str(f.get("reference", "")),),
                  lambda status: f"Payment recorded; the order is {str(status).replace('_', ' ')}"),
    "allocate": (orders.allocate_order, lambda f: (), lambda status: f"Allocated: {str(status).replace('_', ' ')}"),
    "reallocate": (orders.reallocate_order, lambda f: (),
                   lambda status: f"Allocated again: {str(status).replace('_', ' ')}"),
    "ship": (orders.ship_order, lambda f: (_optional_int(f.get("warehouse_id"), "warehouse_id"),),
             lambda ids: f"Shipped in {len(ids)} parcel(s)"),
    "deliver": (orders.mark_delivered, lambda f: (), lambda _: "Marked delivered"),
    "invoice": (orders.invoice_order, lambda f: (), lambda _: "Invoice issued"),
    "close": (orders.close_order, lambda f: (), lambda _: "Order closed"),
    "lines": (orders.edit_lines, lambda f: (_edit_lines(f),), lambda _: "Lines changed"),
}


async def _act(action: str, number: str, request: Request, engine: Engine, actor: Actor) -> Response:
    form = await check_csrf(request)
    order_id = await run(read, engine, actor, queries.order_id_for, number)
    service, arguments, message = ACTIONS[action]
    try:
        result = await run(perform, engine, actor, service, order_id, *arguments(form))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"reason", "reference", "warehouse_id", "changes"}
                                      | {k for k in form if k.startswith("qty.")})
        return await run(detail_page, request, engine, actor, number, errors, status, form)
    flash(request, message(result))
    return see_other(f"/admin/orders/{number}")


def _route(action: str) -> None:
    async def handle(number: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
        return await _act(action, number, request, engine, actor)

    handle.__name__ = f"order_{action.replace('-', '_')}"
    router.add_api_route(f"/{{number}}/{action}", handle, methods=["POST"], name=handle.__name__)


for _action in ACTIONS:
    _route(_action)

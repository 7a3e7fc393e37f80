"""The returns queue in the admin (/admin/returns): list with filters, a return's detail with its lines, photos and
timeline, and the action forms (authorise / reject, receive into a bin, inspect with disposition, refund, exchange,
close). Thin: build a command, call the service, redirect; a refused form shows the detail again with the message
next to the field. Access is decided by the services (a forged post gets the same 403)."""

import contextlib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.catalog.admin_views import store_for
from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.returns import queries, services
from stockyard.returns.domain import GRADE_LABELS, REASONS, Disposition, ReturnStatus
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, run, see_other

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
ACTION_FIELDS = {"note", "location", "amount", "include_shipping", "lines", "order", "reason", "reason_text"}
STATUS_FILTERS = ["open", *[s.value for s in ReturnStatus]]
AGE_FILTERS = [("", "any age"), ("3", "older than 3 days"), ("7", "older than a week"), ("14", "older than 2 weeks"),
               ("30", "older than a month")]

ADMIN_SECTIONS.append(("returns", "/admin/returns", "Returns"))
router = admin_router("/returns")


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


@router.get("", response_class=HTMLResponse)
def queue(request: Request, engine: EngineDep, actor: PageActor, status: str = "open", age: str = "", q: str = "",
          page: int = 1) -> Response:
    if status and status not in STATUS_FILTERS:
        raise ValidationFailed(f"unknown status filter '{status}'", field="status")
    result = read(engine, actor, queries.list_returns, status=status or None, older_than_days=_int_or_none(age),
                  q=q, page=page)
    return admin_page(request, actor, "admin/returns/list.html", section="returns", result=result, status=status,
                      age=age, q=q, statuses=STATUS_FILTERS, ages=AGE_FILTERS, reasons=REASONS)


def _detail_page(request: Request, engine: Engine, actor: Actor, return_id: int, form: Mapping[str, Any] | None = None,
                 errors: dict[str, str] | None = None, status_code: int = 200, action: str = "") -> Response:
    detail = read(engine, actor, queries.return_detail, return_id)
    bins = read(engine, actor, queries.locations_for_receipt) if detail.status == "authorized" else []
    return admin_page(request, actor, "admin/returns/detail.html", status_code, section="returns", ret=detail,
                      bins=bins, form=dict(form or {}), errors=errors or {}, action=action, reasons=REASONS,
                      grades=GRADE_LABELS, dispositions=[d.value for d in Disposition])


@router.get("/new", response_class=HTMLResponse)
def new_return(request: Request, engine: EngineDep, actor: PageActor, order: str = "") -> Response:
    """Staff record a return for a customer (by order number)."""
    found = read(engine, actor, queries.staff_returnable_order, order) if order.strip() else None
    return admin_page(request, actor, "admin/returns/new.html", section="returns", order=found,
                      form={"order": order}, reasons=REASONS)


@router.post("/new")
async def create_return(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    number = str(form.get("order", ""))
    try:
        found = await run(read, engine, actor, queries.staff_returnable_order, number)
        cmd = services.RequestReturn(order_id=found.order_id, reason=form.get("reason", ""),
                                     reason_text=form.get("reason_text", ""), lines=_quantities(form, "qty_"))
        created = await run(perform, engine, actor, services.request_return, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, ACTION_FIELDS)
        found = None
        with contextlib.suppress(NotFound):
            found = await run(read, engine, actor, queries.staff_returnable_order, number)
        return admin_page(request, actor, "admin/returns/new.html", status, section="returns", order=found,
                          form=form, errors=errors, reasons=REASONS)
    flash(request, f"Return {created.number} recorded")
    return see_other(f"/admin/returns/{created.id}")


def _quantities(form: Mapping[str, Any], prefix: str) -> list[services.ReturnLineIn]:
    lines = []
    for key, value in form.items():
        if key.startswith(prefix) and str(value).strip() not in ("", "0"):
            line_id = key.removeprefix(prefix)
            if not line_id.isdigit() or not str(value).strip().isdigit():
                raise ValidationFailed("enter whole numbers of units", field="lines")
            lines.append(services.ReturnLineIn(order_line_id=int(line_id), quantity=int(str(value).strip())))
    if not lines:
        raise ValidationFailed("enter how many units of which item come back", field="lines")
    return lines


@router.get("/{return_id}", response_class=HTMLResponse)
def detail(return_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _detail_page(request, engine, actor, return_id)


async def _act(request: Request, engine: Engine, actor: Actor, return_id: int, action: str, service: Any,
               build: Any, done: str) -> Response:
    form = await check_csrf(request)
    try:
        cmd = build(form)
        await run(perform, engine, actor, service, return_id, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, ACTION_FIELDS)
        return await run(_detail_page, request, engine, actor, return_id, form, errors, status, action)
    flash(request, done)
    return see_other(f"/admin/returns/{return_id}")


@router.post("/{return_id}/authorize")
async def authorize(return_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _act(request, engine, actor, return_id, "decide", services.authorize_return,
                      lambda f: services.Decision(note=f.get("note", "")), "Return authorised")


@router.post("/{return_id}/reject")
async def reject(return_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _act(request, engine, actor, return_id, "decide", services.reject_return,
                      lambda f: services.Decision(note=f.get("note", "")), "Return rejected")


def _receive_cmd(form: Mapping[str, Any]) -> services.ReceiveItems:
    lines = []
    for key, value in form.items():
        if key.startswith("received_"):
            text = str(value).strip() or "0"
            if not text.isdigit():
                raise ValidationFailed("enter whole numbers of units", field="lines")
            lines.append(services.ReceivedLineIn(return_line_id=int(key.removeprefix("received_")), quantity=int(text)))
    location = str(form.get("location", "")).strip()
    if not location:
        raise ValidationFailed("choose the bin the parcel goes to", field="location")
    return services.ReceiveItems(location=int(location) if location.isdigit() else location, lines=lines or None,
                                 note=form.get("note", ""))


@router.post("/{return_id}/receive")
async def receive(return_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _act(request, engine, actor, return_id, "receive", services.receive_items, _receive_cmd,
                      "Received: the items are in stock as return pending")


def _inspect_cmd(form: Mapping[str, Any]) -> services.InspectReturn:
    lines = []
    for key, value in form.items():
        if key.startswith("grade_"):
            line_id = key.removeprefix("grade_")
            disposition = str(form.get(f"disposition_{line_id}", "")).strip() or None
            lines.append(services.InspectLineIn(return_line_id=int(line_id), grade=str(value),
                                                disposition=disposition, note=form.get(f"note_{line_id}", "")))
    if not lines:
        raise ValidationFailed("grade the received items", field="lines")
    return services.InspectReturn(lines=lines)


@router.post("/{return_id}/inspect")
async def inspect(return_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _act(request, engine, actor, return_id, "inspect", services.inspect_return, _inspect_cmd,
                      "Inspected: stock moved as decided")


def _refund_cmd(form: Mapping[str, Any]) -> services.RefundReturn:
    text = str(form.get("amount", "")).strip().replace(",", ".")
    try:
        amount = Decimal(text) if text else None
    except InvalidOperation:
        raise ValidationFailed("enter an amount such as 19.90", field="amount") from None
    return services.RefundReturn(amount=amount, include_shipping=form.get("include_shipping") in ("on", "1", "true"),
                                 note=form.get("note", ""))


@router.post("/{return_id}/refund")
async def refund(return_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _act(request, engine, actor, return_id, "refund", services.refund_return, _refund_cmd,
                      "Refunded through the payment provider")


def _exchange_cmd(form: Mapping[str, Any]) -> services.ExchangeReturn:
    lines = [services.ExchangeLineIn(return_line_id=int(key.removeprefix("replace_")),
                                     sku=str(form.get(f"sku_{key.removeprefix('replace_')}", "")).strip() or None)
             for key, value in form.items() if key.startswith("replace_") and value in ("on", "1")]
    return services.ExchangeReturn(lines=lines or None, note=form.get("note", ""))


@router.post("/{return_id}/exchange")
async def exchange(return_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _act(request, engine, actor, return_id, "exchange", services.exchange_return, _exchange_cmd,
                      "Exchanged: a replacement order was created")


@router.post("/{return_id}/close")
async def close(return_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _act(request, engine, actor, return_id, "close", services.close_return,
                      lambda f: services.Decision(note=f.get("note", "")), "Return closed")


@router.get("/photos/{photo_id}/{size}")
def photo(photo_id: int, size: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    key, content_type = read(engine, actor, queries.photo_file, photo_id, size)
    return serve_photo(request, key, content_type)


def serve_photo(request: Request, key: str, content_type: str) -> Response:
    store = store_for(request)
    url = store.url(key)
    if url:
        return RedirectResponse(url, status_code=307)
    try:
        data = store.get(key)
    except FileNotFoundError:
        raise NotFound("the photo's file is missing", field="photo") from None
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=3600",
                                                            "X-Content-Type-Options": "nosniff"})

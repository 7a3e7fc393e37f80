"""The customer's side of returns in the storefront: request a return of a delivered order
(/my/orders/{number}/return, reason and optional photos) and track it (/my/returns, /my/returns/{number}).

The signed-in customer is the session's (web/storefront/cart_views.customer_id: `customer_id` of this shop's
tenant), checked to be an active account on every request; without one the visitor is sent to /my/login."""

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from stockyard.catalog.admin_views import store_for
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import read
from stockyard.returns import queries, services
from stockyard.returns.domain import GRADE_LABELS, REASONS
from stockyard.returns.views import serve_photo
from stockyard.sales.customers import active_customer
from stockyard.web.pages import check_csrf, field_errors, flash, page_route, run, see_other
from stockyard.web.storefront.cart_views import Here, customer_id, here, shop_page

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
FIELDS = {"lines", "reason", "reason_text", "photos"}
# What the customer is told each status means.
STATUS_TEXT = {
    "requested": "We have your request and will reply shortly.",
    "authorized": "Approved: please send the items back.",
    "rejected": "We could not accept this return.",
    "received": "The items have arrived and are being checked.",
    "inspected": "The items have been checked; the refund or exchange follows.",
    "refunded": "Refunded to your original payment method.",
    "exchanged": "A replacement order is on its way.",
    "closed": "Closed.",
}

router = APIRouter(route_class=page_route("shop/error.html"), include_in_schema=False)


def _customer(request: Request) -> tuple[Here, int] | RedirectResponse:
    h = here(request)
    signed_in = customer_id(request, h.shop)
    if signed_in is not None:
        found = read(h.engine, h.actor, active_customer, signed_in)
        if found is not None:
            return h, found.customer_id
    flash(request, "Sign in to see your returns.", "error")
    return see_other(f"/my/login?next={quote(request.url.path)}")


def _form_page(request: Request, h: Here, me: int, number: str, form: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    order = read(h.engine, h.actor, queries.returnable_order, me, number)
    return shop_page(request, h, "shop/my/returns/request.html", status_code, order=order, form=form or {},
                     errors=errors or {}, reasons=REASONS, max_photos=services.MAX_PHOTOS)


@router.get("/my/orders/{number}/return", response_class=HTMLResponse)
def request_form(number: str, request: Request) -> Response:
    who = _customer(request)
    if isinstance(who, RedirectResponse):
        return who
    return _form_page(request, *who, number)


async def _uploads(raw: FormData) -> list[bytes]:
    files = []
    for item in raw.getlist("photos"):
        if isinstance(item, UploadFile) or hasattr(item, "read"):
            data = await item.read()
            if data:  # an empty file input sends an empty part
                files.append(data)
    return files


@router.post("/my/orders/{number}/return")
async def request_submit(number: str, request: Request) -> Response:
    who = await run(_customer, request)
    if isinstance(who, RedirectResponse):
        return who
    h, me = who
    form = {k: v for k, v in (await check_csrf(request)).items() if isinstance(v, str)}
    engine, actor, settings = h.engine, h.actor, request.app.state.settings
    try:
        order = await run(read, engine, actor, queries.returnable_order, me, number)
        lines = [services.ReturnLineIn(order_line_id=int(k.removeprefix("qty_")), quantity=int(v))
                 for k, v in form.items() if k.startswith("qty_") and v.strip().isdigit() and int(v) > 0]
        if not lines:
            raise ValidationFailed("choose how many of which item you are sending back", field="lines")
        cmd = services.RequestReturn(order_id=order.order_id, lines=lines, reason=form.get("reason", ""),
                                     reason_text=form.get("reason_text", ""))
        uploads = await _uploads(await request.form())
        created = await run(lambda: services.request_return_with_photos(
            engine, actor, store_for(request), cmd, uploads, customer_id=me,
            max_bytes=settings.image_max_bytes, max_pixels=settings.image_max_pixels))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, FIELDS)
        return await run(_form_page, request, h, me, number, form, errors, status)
    flash(request, f"Return {created.number} requested. We will let you know by e-mail.")
    return see_other(f"/my/returns/{created.number}")


@router.get("/my/returns", response_class=HTMLResponse)
def my_returns(request: Request) -> Response:
    who = _customer(request)
    if isinstance(who, RedirectResponse):
        return who
    h, me = who
    found = read(h.engine, h.actor, queries.customer_returns, me)
    return shop_page(request, h, "shop/my/returns/list.html", returns=found, status_text=STATUS_TEXT)


@router.get("/my/returns/{number}", response_class=HTMLResponse)
def my_return(number: str, request: Request) -> Response:
    who = _customer(request)
    if isinstance(who, RedirectResponse):
        return who
    h, me = who
    found = read(h.engine, h.actor, queries.customer_return, me, number)
    return shop_page(request, h, "shop/my/returns/detail.html", ret=found, status_text=STATUS_TEXT,
                     reasons=REASONS, grades=GRADE_LABELS)


@router.get("/my/returns/{number}/photos/{photo_id}")
def my_photo(number: str, photo_id: int, request: Request) -> Response:
    who = _customer(request)
    if isinstance(who, RedirectResponse):
        return who
    h, me = who
    key, content_type = read(h.engine, h.actor, queries.customer_photo_file, me, photo_id, "small", number)
    return serve_photo(request, key, content_type)

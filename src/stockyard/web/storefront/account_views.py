"""Customer account pages of the storefront (/my): register, sign in (merging the guest cart), sign out, the address
book, the order history and one order with its timeline, tracking and "order again".

Customers are not staff: the session holds `customer_id` (with the tenant it belongs to), never `user_id`.
"""

from typing import Any
from urllib.parse import quote, urlparse

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from stockyard.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.login_limits import TooManyAttempts
from stockyard.sales import carts, customers
from stockyard.sales.customer_queries import (
    customer_addresses,
    customer_order,
    open_cart_of,
    order_history,
    reorder_lines,
)
from stockyard.web.pages import check_csrf, field_errors, flash, page_route, run, see_other
from stockyard.web.storefront.cart_views import (
    ADDRESS_FIELDS,
    Here,
    add_to_my_cart,
    cart_token,
    customer_id,
    here,
    set_cart_token,
    shop_page,
)

router = APIRouter(prefix="/my", route_class=page_route("shop/error.html"), include_in_schema=False)
CUSTOMER_KEYS = ("customer_id", "customer_tenant", "customer_name", "customer_email")


def _safe_next(value: str | None) -> str:
    if not value or urlparse(value).netloc or not value.startswith("/") or value.startswith("//"):
        return "/my/orders"
    return value


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class _SignedOut(Exception):
    pass


def _me(request: Request, h: Here) -> int:
    found = customer_id(request, h.shop)
    if found is None:
        raise _SignedOut
    return found


def _login_redirect(request: Request) -> Response:
    flash(request, "Sign in to see your account.", "error")
    return see_other(f"/my/login?next={quote(request.url.path)}")


def _sign_in(request: Request, h: Here, who: customers.SignedInCustomer | customers.Registered, email: str) -> str:
    """Starts the customer's session and merges the guest cart into theirs; returns a note about the cart."""
    guest = cart_token(request, h.shop)
    for key in CUSTOMER_KEYS:
        request.session.pop(key, None)
    request.session["customer_id"] = who.customer_id
    request.session["customer_tenant"] = h.shop.tenant_id
    request.session["customer_name"] = who.name
    request.session["customer_email"] = email
    note = ""
    if guest is not None:
        try:
            token = perform(h.engine, h.actor, carts.merge_carts, guest, who.customer_id)
            set_cart_token(request, h.shop, token)
            note = " Your cart was kept."
        except (NotFound, Conflict):
            set_cart_token(request, h.shop, None)  # the guest cart was ordered or is gone
    if cart_token(request, h.shop) is None:  # no guest cart: pick up the cart the customer left last time
        kept = read(h.engine, h.actor, open_cart_of, who.customer_id, h.shop.channel_id)
        if kept is not None:
            set_cart_token(request, h.shop, kept)
    return note


# ---- register, sign in, sign out ---------------------------------------------------------------------------------

@router.get("/register", response_class=HTMLResponse)
def register_form(request: Request) -> HTMLResponse:
    return shop_page(request, here(request), "shop/my/register.html", form={})


@router.post("/register")
async def register(request: Request) -> Response:
    h = here(request)
    form = {k: str(v) for k, v in (await check_csrf(request)).items()}
    try:
        if form.get("password", "") != form.get("password_again", ""):
            raise ValidationFailed("the two passwords differ", field="password_again")
        cmd = customers.RegisterCustomer(email=form.get("email", ""), name=form.get("name", ""),
                                         password=form.get("password", ""), phone=form.get("phone", ""))
        done = await run(perform, h.engine, h.actor, customers.register_customer, cmd)
    except (DomainError, ValidationError) as error:
        errors, status = field_errors(error, {"email", "name", "password", "password_again", "phone"})
        shown = {k: v for k, v in form.items() if k not in ("password", "password_again")}
        return shop_page(request, h, "shop/my/register.html", status, form=shown, errors=errors)
    note = await run(_sign_in, request, h, done, cmd.email)
    linked = (f" {done.linked_orders} earlier order{'s' if done.linked_orders != 1 else ''} with this e-mail "
              "address now appear in your history.") if done.linked_orders else ""
    flash(request, f"Welcome, {done.name}. Your account is ready.{linked}{note}")
    return see_other("/my/orders")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return shop_page(request, here(request), "shop/my/login.html", form={}, next=_safe_next(next))


@router.post("/login")
async def login(request: Request) -> Response:
    h = here(request)
    form = {k: str(v) for k, v in (await check_csrf(request)).items()}
    next_url = _safe_next(form.get("next"))
    email = form.get("email", "").strip()
    try:
        who = await run(lambda: customers.authenticate_customer(
            h.engine, h.actor, request.app.state.login_limiter, email=email, password=form.get("password", ""),
            client_ip=_client_ip(request)))
    except DomainError as error:
        status = 429 if isinstance(error, TooManyAttempts) else 401
        return shop_page(request, h, "shop/my/login.html", status, form={"email": email}, next=next_url,
                         errors={"_": error.message[0].upper() + error.message[1:] + "."})
    note = await run(_sign_in, request, h, who, who.email)
    flash(request, f"Signed in as {who.name}.{note}")
    return see_other(next_url)


@router.post("/logout")
async def logout(request: Request) -> Response:
    h = here(request)
    await check_csrf(request)
    for key in CUSTOMER_KEYS:
        request.session.pop(key, None)
    set_cart_token(request, h.shop, None)  # the cart is the customer's; it waits for their next sign-in
    request.session["placed_orders"] = []
    flash(request, "You are signed out.")
    return see_other("/")


# ---- addresses ---------------------------------------------------------------------------------------------------

def _address_cmd(form: dict[str, str]) -> customers.CustomerAddressIn:
    return customers.CustomerAddressIn(**{k: form.get(k, "") for k in ADDRESS_FIELDS},
                                       is_default=bool(form.get("is_default")))


def _addresses_page(request: Request, h: Here, me: int, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("form", {})
    addresses = read(h.engine, h.actor, customer_addresses, me)
    return shop_page(request, h, "shop/my/addresses.html", status_code, addresses=addresses, **context)


@router.get("/addresses", response_class=HTMLResponse)
def addresses_page(request: Request) -> Response:
    h = here(request)
    try:
        return _addresses_page(request, h, _me(request, h))
    except _SignedOut:
        return _login_redirect(request)


@router.post("/addresses")
async def add_address(request: Request) -> Response:
    h = here(request)
    form = {k: str(v) for k, v in (await check_csrf(request)).items()}
    try:
        me = _me(request, h)
    except _SignedOut:
        return _login_redirect(request)
    try:
        await run(perform, h.engine, h.actor, customers.add_address, me, _address_cmd(form))
    except (DomainError, ValidationError) as error:
        errors, status = field_errors(error, set(ADDRESS_FIELDS))
        return await run(lambda: _addresses_page(request, h, me, status, form=form, errors=errors))
    flash(request, "Address saved.")
    return see_other("/my/addresses")


@router.get("/addresses/{address_id}/edit", response_class=HTMLResponse)
def edit_address_form(request: Request, address_id: int) -> Response:
    h = here(request)
    try:
        me = _me(request, h)
    except _SignedOut:
        return _login_redirect(request)
    found = next((a for a in read(h.engine, h.actor, customer_addresses, me) if a.id == address_id), None)
    if found is None:
        raise NotFound("unknown address", field="address_id")
    return shop_page(request, h, "shop/my/address_edit.html", address=found,
                     form={**found.as_form(), "is_default": "1" if found.is_default else ""})


@router.post("/addresses/{address_id}/edit")
async def edit_address(request: Request, address_id: int) -> Response:
    h = here(request)
    form = {k: str(v) for k, v in (await check_csrf(request)).items()}
    try:
        me = _me(request, h)
    except _SignedOut:
        return _login_redirect(request)
    try:
        await run(perform, h.engine, h.actor, customers.update_address, me, address_id, _address_cmd(form))
    except NotFound:
        raise
    except (DomainError, ValidationError) as error:
        errors, status = field_errors(error, set(ADDRESS_FIELDS))
        return shop_page(request, h, "shop/my/address_edit.html", status, address={"id": address_id}, form=form,
                         errors=errors)
    flash(request, "Address saved.")
    return see_other("/my/addresses")


@router.post("/addresses/{address_id}/delete")
async def delete_address(request: Request, address_id: int) -> Response:
    h = here(request)
    await check_csrf(request)
    try:
        me = _me(request, h)
    except _SignedOut:
        return _login_redirect(request)
    await run(perform, h.engine, h.actor, customers.delete_address, me, address_id)
    flash(request, "Address deleted.")
    return see_other("/my/addresses")


@router.post("/addresses/{address_id}/default")
async def default_address(request: Request, address_id: int) -> Response:
    h = here(request)
    await check_csrf(request)
    try:
        me = _me(request, h)
    except _SignedOut:
        return _login_redirect(request)
    await run(perform, h.engine, h.actor, customers.set_default_address, me, address_id)
    flash(request, "Default address changed.")
    return see_other("/my/addresses")


# ---- orders ------------------------------------------------------------------------------------------------------

@router.get("/orders", response_class=HTMLResponse)
def orders_page(request: Request, page: int = 1) -> Response:
    h = here(request)
    try:
        me = _me(request, h)
    except _SignedOut:
        return _login_redirect(request)
    history = read(h.engine, h.actor, order_history, me, page)
    return shop_page(request, h, "shop/my/orders.html", history=history)


@router.get("/orders/{number}", response_class=HTMLResponse)
def order_page(request: Request, number: str) -> Response:
    h = here(request)
    try:
        me = _me(request, h)
    except _SignedOut:
        return _login_redirect(request)
    order = read(h.engine, h.actor, customer_order, number, customer_id=me)
    return shop_page(request, h, "shop/my/order.html", order=order)


@router.post("/orders/{number}/again")
async def order_again(request: Request, number: str) -> Response:
    """Adds the order's lines to the cart; lines that cannot be had now are skipped and named."""
    h = here(request)
    await check_csrf(request)
    try:
        me = _me(request, h)
    except _SignedOut:
        return _login_redirect(request)
    lines = await run(read, h.engine, h.actor, reorder_lines, number, me)
    added, skipped = [], []
    for code, quantity in lines:
        try:
            token = await run(add_to_my_cart, request, h, code, quantity)
        except (Conflict, NotFound, ValidationError) as error:
            skipped.append(f"{code} ({error.message if isinstance(error, DomainError) else 'invalid'})")
            continue
        set_cart_token(request, h.shop, token)
        added.append(f"{quantity} × {code}")
    if added:
        flash(request, f"Added to your cart: {', '.join(added)}.")
    if skipped:
        flash(request, f"Not added, not available now: {'; '.join(skipped)}.", "error")
    return see_other("/cart")

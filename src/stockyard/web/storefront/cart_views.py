"""Cart, checkout and receipt pages of the storefront. Thin: each handler reads the form, calls one service or query
through `perform` / `read`, and renders or redirects. Every page works without JavaScript; the cart's countdown
ticks by itself when scripts run.

The session remembers, per shop: the cart's token, the signed-in customer (`customer_id`, never `user_id`: customers
are not staff) and the numbers of orders this browser placed (a guest sees those receipts, nobody else does).
"""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.billing.errors import PaymentFailed
from stockyard.billing.gateways import CardInput
from stockyard.billing.offered import offered_payment_methods
from stockyard.catalog.storefront_queries import Shop
from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from stockyard.core.money import round_money
from stockyard.core.uow import perform, read
from stockyard.documents.pdf_layout import DocumentLine
from stockyard.documents.pdf_receipt import ReceiptData, render_receipt_pdf
from stockyard.sales import carts, checkout
from stockyard.sales.cart_queries import CartView, cart_view
from stockyard.sales.checkout_queries import Review, checkout_inputs, checkout_review, in_stock_equivalents
from stockyard.sales.customer_queries import OrderDetail, customer_addresses, customer_order
from stockyard.web.pages import check_csrf, field_errors, flash, page_route, run, see_other
from stockyard.web.storefront.context import shop_actor, shop_render, storefront_for

log = logging.getLogger(__name__)
router = APIRouter(route_class=page_route("shop/error.html"), include_in_schema=False)

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postcode", "country", "phone")
CARD_FIELDS = ("card_number", "card_exp_month", "card_exp_year", "card_cvc", "card_holder")
PLACED_KEEP = 20


def money(amount: Decimal | None) -> str:
    return "" if amount is None else f"{round_money(amount):,.2f}"


def clock(seconds: int | None) -> str:
    """14:32 for 872 seconds."""
    seconds = max(0, seconds or 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


# ---- the shop and the session ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Here:
    """The shop of this request, its actor and the engine."""

    shop: Shop
    actor: Actor
    engine: Engine


def here(request: Request) -> Here:
    shop = storefront_for(request)
    return Here(shop, shop_actor(shop), request.app.state.engine)


def _shop_key(shop: Shop) -> str:
    return f"{shop.tenant_id}:{shop.channel_id}"


def cart_token(request: Request, shop: Shop) -> str | None:
    token = (request.session.get("shop_carts") or {}).get(_shop_key(shop))
    return token if isinstance(token, str) else None


def set_cart_token(request: Request, shop: Shop, token: str | None) -> None:
    tokens = dict(request.session.get("shop_carts") or {})
    if token is None:
        tokens.pop(_shop_key(shop), None)
    else:
        tokens[_shop_key(shop)] = token
    request.session["shop_carts"] = tokens


def customer_id(request: Request, shop: Shop) -> int | None:
    """The signed-in customer, when signed in to this shop's tenant."""
    found = request.session.get("customer_id")
    if isinstance(found, int) and request.session.get("customer_tenant") == shop.tenant_id:
        return found
    return None


def remember_order(request: Request, shop: Shop, number: str) -> None:
    placed = [n for n in request.session.get("placed_orders", []) if n != f"{shop.tenant_id}:{number}"]
    request.session["placed_orders"] = [*placed, f"{shop.tenant_id}:{number}"][-PLACED_KEEP:]


def placed_numbers(request: Request, shop: Shop) -> list[str]:
    prefix = f"{shop.tenant_id}:"
    return [n[len(prefix):] for n in request.session.get("placed_orders", []) if str(n).startswith(prefix)]


def shop_page(request: Request, h: Here, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("money", money)
    context.setdefault("customer_name", request.session.get("customer_name") if customer_id(request, h.shop) else None)
    return shop_render(request, h.shop, template, status_code, **context)


def _current_cart(request: Request, h: Here) -> CartView | None:
    token = cart_token(request, h.shop)
    if token is None:
        return None
    cart = read(h.engine, h.actor, cart_view, token)
    if cart is None or cart.state != "open":
        set_cart_token(request, h.shop, None)  # ordered, merged or gone: the next add starts a new cart
        return None
    return cart


def _whole(value: object, field: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationFailed("must be a whole number", field=field) from None


# ---- cart --------------------------------------------------------------------------------------------------------

def _cart_page(request: Request, h: Here, status_code: int = 200, *, problem: str = "", problem_sku: str = "",
               errors: dict[str, str] | None = None) -> HTMLResponse:
    cart = _current_cart(request, h)
    alternatives = []
    if problem_sku:
        alternatives = read(h.engine, h.actor, in_stock_equivalents, h.shop.channel_id, h.shop.currency, problem_sku)
    return shop_page(request, h, "shop/cart/cart.html", status_code, cart=cart, problem=problem,
                     problem_sku=problem_sku, alternatives=alternatives, errors=errors or {}, clock=clock)


def _unavailable_sku(error: DomainError, fallback: str = "") -> str:
    """The SKU a 'not enough stock' conflict is about, to offer equivalents for."""
    sku = error.details.get("sku") if isinstance(error, Conflict) else None
    return str(sku) if sku else fallback


def add_to_my_cart(request: Request, h: Here, sku: str, quantity: int) -> str:
    """Adds to the session's cart; when that cart was ordered or merged meanwhile, to a new one. Returns the token
    (the caller keeps it in the session)."""
    cmd = carts.AddToCart(sku=sku, quantity=quantity)
    mine = customer_id(request, h.shop)
    token = cart_token(request, h.shop)
    if token is not None:
        try:
            return perform(h.engine, h.actor, carts.add_to_cart, token, h.shop.channel_id, cmd, mine)
        except (NotFound, Conflict) as error:
            if error.field != "cart":
                raise
            set_cart_token(request, h.shop, None)
    return perform(h.engine, h.actor, carts.add_to_cart, None, h.shop.channel_id, cmd, mine)


@router.get("/cart", response_class=HTMLResponse)
def cart_page(request: Request) -> HTMLResponse:
    return _cart_page(request, here(request))


@router.post("/cart/lines")
async def add_line(request: Request) -> Response:
    h = here(request)
    form = await check_csrf(request)
    sku = str(form.get("sku", "")).strip()
    try:
        if not sku:
            raise ValidationFailed("choose an item", field="sku")
        quantity = _whole(form.get("quantity", "1") or "1", "quantity")
        token = await run(add_to_my_cart, request, h, sku, quantity)
    except (DomainError, ValidationError) as error:
        errors, status = field_errors(error, {"quantity", "sku"})
        message = next(iter(errors.values()))
        short = _unavailable_sku(error) if isinstance(error, DomainError) else ""
        return await run(lambda: _cart_page(request, h, status, problem=f"Could not add {sku}: {message}",
                                            problem_sku=short))
    set_cart_token(request, h.shop, token)
    flash(request, f"Added {quantity} × {sku} to your cart.")
    return see_other("/cart")


@router.post("/cart/quantity")
async def change_quantity(request: Request) -> Response:
    h = here(request)
    form = await check_csrf(request)
    token = cart_token(request, h.shop)
    sku = str(form.get("sku", "")).strip()
    try:
        if token is None:
            raise Conflict("your cart is empty", field="cart")
        quantity = 0 if form.get("remove") else _whole(form.get("quantity", ""), "quantity")
        await run(lambda: perform(h.engine, h.actor, carts.set_quantity, token,
                                  carts.SetQuantity(sku=sku, quantity=quantity)))
    except (DomainError, ValidationError) as error:
        errors, status = field_errors(error, {"quantity"})
        message = next(iter(errors.values()))
        short = _unavailable_sku(error) if isinstance(error, DomainError) else ""
        return await run(lambda: _cart_page(request, h, status, problem=f"Could not change {sku}: {message}",
                                            problem_sku=short, errors={f"quantity-{sku}": message}))
    flash(request, f"Removed {sku} from your cart." if quantity == 0 else f"{sku}: quantity set to {quantity}.")
    return see_other("/cart")


@router.post("/cart/renew")
async def renew(request: Request) -> Response:
    """Hold the lapsed lines again, while the stock is there."""
    h = here(request)
    await check_csrf(request)
    token = cart_token(request, h.shop)
    if token is None:
        return see_other("/cart")
    problems = await run(lambda: perform(h.engine, h.actor, carts.renew_holds, token))
    if problems:
        for problem in problems:
            flash(request, problem[0].upper() + problem[1:] + ".", "error")
    else:
        flash(request, "Your items are held for you again.")
    return see_other("/cart")


# ---- checkout: details -------------------------------------------------------------------------------------------

def _details_form(request: Request, h: Here, cart: CartView) -> dict[str, str]:
    """What the details form shows: saved on the cart, else the signed-in customer's default address."""
    values: dict[str, str] = {"email": cart.email}
    if cart.shipping_address:
        values.update({k: str(v) for k, v in cart.shipping_address.items()})
    mine = customer_id(request, h.shop)
    if mine is not None:
        values["email"] = values["email"] or str(request.session.get("customer_email", ""))
        if not cart.shipping_address:
            addresses = read(h.engine, h.actor, customer_addresses, mine)
            if addresses:
                values.update(addresses[0].as_form())
    if cart.shipping_method_id:
        values["shipping_method_id"] = str(cart.shipping_method_id)
    if cart.payment_method_id:
        values["payment_method_id"] = str(cart.payment_method_id)
    return values


def _checkout_page(request: Request, h: Here, cart: CartView, form: dict[str, str], status_code: int = 200,
                   errors: dict[str, str] | None = None) -> HTMLResponse:
    errors = dict(errors or {})
    options: list[Any] = []
    address = None
    if all(form.get(k) for k in ("name", "line1", "city", "country")):
        try:
            address = checkout.AddressIn(**{k: form.get(k, "") for k in ADDRESS_FIELDS})
            options = read(h.engine, h.actor, checkout.shipping_options, cart.token, address)
            if not options:
                errors.setdefault("shipping_method_id", "no shipping method can carry this order to this address")
        except (DomainError, ValidationError) as error:
            found, _ = field_errors(error, {"shipping_address", *(f"shipping_address.{n}" for n in ADDRESS_FIELDS),
                                            *ADDRESS_FIELDS})
            for key, message in found.items():
                errors.setdefault(key.removeprefix("shipping_address."), message)
    methods = read(h.engine, h.actor, offered_payment_methods, h.shop.channel_id)
    return shop_page(request, h, "shop/checkout/details.html", status_code, cart=cart, form=form, errors=errors,
                     options=options, methods=methods, address_ready=address is not None,
                     signed_in=customer_id(request, h.shop) is not None)


@router.get("/checkout", response_class=HTMLResponse)
def checkout_page(request: Request) -> Response:
    h = here(request)
    cart = _current_cart(request, h)
    if cart is None or not cart.lines:
        flash(request, "Your cart is empty.", "error")
        return see_other("/cart")
    return _checkout_page(request, h, cart, _details_form(request, h, cart))


def _optional_id(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


@router.post("/checkout")
async def save_details(request: Request) -> Response:
    """Saves e-mail, address and the choices; continues to the review when a shipping and payment method are
    chosen, else back to the form, which now lists the shipping options for the address."""
    h = here(request)
    form = {k: str(v) for k, v in (await check_csrf(request)).items()}
    cart = await run(_current_cart, request, h)
    if cart is None or not cart.lines:
        flash(request, "Your cart is empty.", "error")
        return see_other("/cart")
    shipping_id, payment_id = _optional_id(form.get("shipping_method_id")), _optional_id(form.get("payment_method_id"))
    try:
        details = checkout.CheckoutDetails(
            email=form.get("email", ""), shipping_address={k: form.get(k, "") for k in ADDRESS_FIELDS},
            shipping_method_id=shipping_id, payment_method_id=payment_id)
        options = await run(lambda: read(h.engine, h.actor, checkout.shipping_options, cart.token,
                                         details.shipping_address))
        if shipping_id is not None and shipping_id not in {o.method_id for o in options}:
            details = details.model_copy(update={"shipping_method_id": None})
        await run(lambda: perform(h.engine, h.actor, checkout.save_details, cart.token, details))
    except (DomainError, ValidationError) as error:
        known = {"email", "shipping_address", *(f"shipping_address.{name}" for name in ADDRESS_FIELDS)}
        errors, status = field_errors(error, known)
        errors = {k.removeprefix("shipping_address."): v for k, v in errors.items()}
        return await run(lambda: _checkout_page(request, h, cart, form, status, errors))
    if form.get("step") == "review" and details.shipping_method_id and details.payment_method_id:
        return see_other("/checkout/review")
    if form.get("step") == "review":
        flash(request, "Choose how to ship and how to pay.", "error")
    return see_other("/checkout#delivery")


# ---- checkout: review and place ----------------------------------------------------------------------------------

def _review_page(request: Request, h: Here, review: Review, status_code: int = 200,
                 errors: dict[str, str] | None = None, form: dict[str, str] | None = None) -> HTMLResponse:
    # A fresh key each time the review is shown: one click of "Place order" is one order, a reload of the
    # same post (a double click, a retried request) replays it.
    return shop_page(request, h, "shop/checkout/review.html", status_code, review=review, errors=errors or {},
                     form={k: v for k, v in (form or {}).items() if k in ("card_holder", "card_exp_month",
                                                                           "card_exp_year")},
                     idempotency_key=uuid.uuid4().hex)


@router.get("/checkout/review", response_class=HTMLResponse)
def review_page(request: Request) -> Response:
    h = here(request)
    token = cart_token(request, h.shop)
    if token is None:
        return see_other("/cart")
    try:
        review = read(h.engine, h.actor, checkout_review, token)
    except Conflict as error:
        flash(request, error.message[0].upper() + error.message[1:] + ".", "error")
        return see_other("/checkout" if error.field != "cart" else "/cart")
    return _review_page(request, h, review)


def _card(form: dict[str, str]) -> CardInput:
    number = form.get("card_number", "").strip()
    if not number:
        raise ValidationFailed("enter the card number", field="card_number")
    month, year = form.get("card_exp_month", "").strip(), form.get("card_exp_year", "").strip()
    if not month.isdigit() or not 1 <= int(month) <= 12:
        raise ValidationFailed("enter the month (1 to 12)", field="card_exp_month")
    if not year.isdigit():
        raise ValidationFailed("enter the year", field="card_exp_year")
    cvc = form.get("card_cvc", "").strip()
    if not cvc:
        raise ValidationFailed("enter the security code", field="card_cvc")
    return CardInput(number=number, exp_month=int(month), exp_year=int(year), cvc=cvc,
                     holder=form.get("card_holder", "").strip())


def _expected(form: dict[str, str]) -> Decimal:
    try:
        return Decimal(form.get("expected_total", "").strip())
    except InvalidOperation:
        raise Conflict("the total on the page could not be read; please review your order again",
                       field="expected_total") from None


def _return_url(request: Request) -> str:
    base = request.app.state.settings.public_url or str(request.base_url)
    return f"{base.rstrip('/')}/checkout/return"


@router.post("/checkout/place")
async def place(request: Request) -> Response:
    h = here(request)
    form = {k: str(v) for k, v in (await check_csrf(request)).items()}
    token = cart_token(request, h.shop)
    if token is None:
        return see_other("/cart")
    mine = customer_id(request, h.shop)
    try:
        saved = await run(read, h.engine, h.actor, checkout_inputs, token)
    except Conflict as error:
        flash(request, error.message[0].upper() + error.message[1:] + ".", "error")
        return see_other("/checkout" if error.field != "cart" else "/cart")
    try:
        card = _card(form) if saved.takes_card else None
        # Only the key, the card and the total the customer saw come from this form: lines, prices and the
        # address are the cart's, priced again by the service.
        cmd = checkout.PlaceOrder(
            idempotency_key=form.get("idempotency_key", ""), email=saved.email, shipping_address=saved.address,
            shipping_method_id=saved.shipping_method_id, payment_method_id=saved.payment_method_id, card=card,
            expected_total=_expected(form), return_url=_return_url(request))
        placed = await run(lambda: checkout.place_order(h.engine, h.actor, token, cmd, mine))
    except PaymentFailed as error:
        # Nothing of the order stays; the holds go back on sale until the customer tries again.
        await run(lambda: perform(h.engine, h.actor, carts.release_cart, token))
        fresh = await run(read, h.engine, h.actor, checkout_review, token)
        return _review_page(request, h, fresh, 402, {"_": f"{error.message[0].upper()}{error.message[1:]}. "
                                                          "Nothing was charged and no order was placed."}, form)
    except Conflict as error:
        sku = _unavailable_sku(error)
        text = error.message[0].upper() + error.message[1:]
        if sku:
            return await run(lambda: _cart_page(request, h, 409, problem=text, problem_sku=sku))
        fresh = await run(read, h.engine, h.actor, checkout_review, token)
        return _review_page(request, h, fresh, 409, {"_": error.message[0].upper() + error.message[1:]}, form)
    except (DomainError, ValidationError) as error:
        errors, status = field_errors(error, set(CARD_FIELDS) | {"card", "idempotency_key"})
        if "card" in errors:
            errors["card_number"] = errors.pop("card")
        fresh = await run(read, h.engine, h.actor, checkout_review, token)
        return _review_page(request, h, fresh, status, errors, form)
    remember_order(request, h.shop, placed.number)
    set_cart_token(request, h.shop, None)
    # The confirmation e-mail follows from the order.placed.v1 event (sales/confirmation.py), off the web process.
    return see_other(placed.action_url or f"/orders/{placed.number}/thanks")


@router.get("/checkout/return")
def payment_return(request: Request) -> Response:
    """Where the payment provider sends the customer back after the extra confirmation step."""
    h = here(request)
    numbers = placed_numbers(request, h.shop)
    if not numbers:
        return see_other("/my/orders" if customer_id(request, h.shop) else "/")
    if request.query_params.get("payment"):
        flash(request, "You are back from the payment page. The payment state below changes as soon as the payment "
                       "provider reports the result.")
    return see_other(f"/orders/{numbers[-1]}/thanks")


# ---- after placing: receipt --------------------------------------------------------------------------------------

def visible_order(request: Request, h: Here, number: str) -> OrderDetail:
    """The order when this session may see it (its customer's, or placed by this browser); NotFound otherwise."""
    return read(h.engine, h.actor, customer_order, number, customer_id=customer_id(request, h.shop),
                guest_numbers=placed_numbers(request, h.shop))


@router.get("/orders/{number}/thanks", response_class=HTMLResponse)
def thanks(request: Request, number: str) -> HTMLResponse:
    h = here(request)
    order = visible_order(request, h, number)
    return shop_page(request, h, "shop/checkout/thanks.html", order=order,
                     signed_in=customer_id(request, h.shop) is not None)


@router.get("/orders/{number}/receipt.pdf")
def receipt_pdf(request: Request, number: str) -> Response:
    h = here(request)
    order = visible_order(request, h, number)
    data = ReceiptData(
        order_number=order.number, placed_at=order.placed_at, customer_email=order.email,
        lines=[DocumentLine(line.sku_code, line.name, line.quantity, line.unit_price, line.line_total)
               for line in order.lines],
        subtotal=order.subtotal, shipping=order.shipping_total, tax=order.tax_total, total=order.grand_total,
        currency=order.currency, shop_name=h.shop.name, prices_include_tax=order.prices_include_tax,
        shipping_address=order.shipping_address, billing_address=order.billing_address,
        shipping_method=order.shipping_method, payment_method=order.payment_method,
        payment_state=order.payment_state)
    return Response(render_receipt_pdf(data), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="receipt-{order.number}.pdf"'})

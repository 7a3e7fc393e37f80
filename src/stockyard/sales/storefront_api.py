"""The headless storefront API at /api/v1/storefront: carts, shipping options and place-order as JSON, for
mobile apps and custom frontends (and the checkout benchmark). The shop is chosen by the Host header like the
HTML storefront; the cart token is the buyer's capability, so no API key is needed."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from stockyard.billing.payments import PaymentDeclined, PaymentTimedOut
from stockyard.catalog.storefront_queries import Shop
from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.uow import perform, read
from stockyard.sales import cart_queries, carts, checkout
from stockyard.sales.checkout_queries import in_stock_equivalents
from stockyard.web.deps import EngineDep
from stockyard.web.storefront.context import shop_actor, storefront_for

router = APIRouter(prefix="/storefront", tags=["storefront"])


def shop(request: Request) -> Shop:
    return storefront_for(request)


ShopDep = Annotated[Shop, Depends(shop)]


def _actor(s: Shop) -> Actor:
    return shop_actor(s)


class CartLineIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=carts.MAX_LINE_QUANTITY)


class QuantityIn(BaseModel):
    quantity: int = Field(ge=0, le=carts.MAX_LINE_QUANTITY)


def _cart_json(engine: Any, actor: Actor, token: str) -> dict[str, Any]:
    view = read(engine, actor, cart_queries.cart_view, token)
    if view is None:
        raise NotFound("this cart does not exist", field="cart")
    return _view_json(view)


def _view_json(view: cart_queries.CartView) -> dict[str, Any]:
    return {"token": view.token, "state": view.state, "currency": view.currency, "subtotal": str(view.subtotal),
            "hold_seconds_left": view.first_hold_expiry_seconds,
            "lines": [{**asdict(line), "unit_price": str(line.unit_price) if line.unit_price is not None else None,
                       "line_total": str(line.line_total) if line.line_total is not None else None}
                      for line in view.lines]}


def _with_alternatives(engine: Any, s: Shop, short: Conflict) -> Conflict:
    """A refusal for want of stock names in-stock equivalents the buyer can take instead."""
    sku = short.details.get("sku")
    if isinstance(sku, str):
        found = read(engine, _actor(s), in_stock_equivalents, s.channel_id, s.currency, sku)
        short.details["equivalents"] = [{"sku": a.code, "name": a.name, "unit_price": str(a.unit_price),
                                         "available": a.available} for a in found]
    return short


@router.post("/carts", status_code=status.HTTP_201_CREATED)
def add_to_new_cart(body: CartLineIn, engine: EngineDep, s: ShopDep) -> dict[str, Any]:
    try:
        view = perform(engine, _actor(s), carts.start_cart, s.channel_id,
                       carts.AddToCart(sku=body.sku, quantity=body.quantity))
    except Conflict as short:
        raise _with_alternatives(engine, s, short) from None
    return _view_json(view)


@router.get("/carts/{token}")
def get_cart(token: str, engine: EngineDep, s: ShopDep) -> dict[str, Any]:
    return _cart_json(engine, _actor(s), token)


@router.post("/carts/{token}/lines")
def add_line(token: str, body: CartLineIn, engine: EngineDep, s: ShopDep) -> dict[str, Any]:
    actor = _actor(s)
    try:
        perform(engine, actor, carts.add_to_cart, token, s.channel_id, carts.AddToCart(sku=body.sku,
                                                                                      quantity=body.quantity))
    except Conflict as short:
        raise _with_alternatives(engine, s, short) from None
    return _cart_json(engine, actor, token)


@router.put("/carts/{token}/lines/{sku}")
def set_line_quantity(token: str, sku: str, body: QuantityIn, engine: EngineDep, s: ShopDep) -> dict[str, Any]:
    actor = _actor(s)
    perform(engine, actor, carts.set_quantity, token, carts.SetQuantity(sku=sku, quantity=body.quantity))
    return _cart_json(engine, actor, token)


@router.post("/carts/{token}/shipping-options")
def shipping_options(token: str, address: checkout.AddressIn, engine: EngineDep, s: ShopDep) -> list[dict[str, Any]]:
    options = read(engine, _actor(s), checkout.shipping_options, token, address)
    return [o.model_dump(mode="json") for o in options]


@router.post("/carts/{token}/orders", status_code=status.HTTP_201_CREATED)
def place_order(token: str, body: checkout.PlaceOrder, engine: EngineDep, s: ShopDep) -> dict[str, Any]:
    actor = _actor(s)
    try:
        placed = checkout.place_order(engine, actor, token, body)
    except (PaymentDeclined, PaymentTimedOut):
        # Nothing of the order was kept; the holds go back on sale at once.
        perform(engine, actor, carts.release_cart, token)
        raise
    except Conflict as short:
        raise _with_alternatives(engine, s, short) from None
    return asdict(placed)  # the confirmation e-mail follows from order.placed.v1 (sales/confirmation.py)

"""The order confirmation e-mail, sent after the order was committed, for orders placed in the shop's pages and
through the headless storefront API alike. A mail failure never undoes the order."""

import logging
from decimal import Decimal

from sqlalchemy import Engine

from stockyard.catalog.storefront_queries import Shop
from stockyard.core.actor import Actor
from stockyard.core.mail import send_mail
from stockyard.core.money import round_money
from stockyard.core.settings import Settings
from stockyard.core.uow import read
from stockyard.sales.customer_queries import OrderDetail, customer_order

log = logging.getLogger("stockyard.sales.confirmation")


def money(amount: Decimal) -> str:
    return f"{round_money(amount):,.2f}"


def send_order_confirmation(settings: Settings, engine: Engine, actor: Actor, shop: Shop, number: str) -> None:
    order = read(engine, actor, customer_order, number, customer_id=None, guest_numbers=[number],
                 with_history=False)
    try:
        send_mail(settings, to=order.email, subject=f"Your order {order.number} at {shop.name}",
                  body=confirmation_text(order, shop), tenant_id=shop.tenant_id)
    except OSError:
        log.exception("the confirmation e-mail of order %s could not be sent", number)


def confirmation_text(order: OrderDetail, shop: Shop) -> str:
    width = max((len(line.sku_code) for line in order.lines), default=6)
    rows = [f"  {line.quantity:>3} × {line.sku_code:<{width}}  {line.name[:40]:<40} {money(line.line_total):>10}"
            for line in order.lines]
    address = order.shipping_address
    lines = [
        f"Thank you for your order at {shop.name}.", "",
        f"Order number: {order.number}", f"Status: {order.status_label}",
        f"Payment: {order.payment_method}" + (f" ({order.payment_state.replace('_', ' ')})"
                                               if order.payment_state else ""), "",
        *rows, "",
        f"  Subtotal: {money(order.subtotal)} {order.currency}",
        f"  Shipping ({order.shipping_method}): {money(order.shipping_total)} {order.currency}",
        f"  {'Included tax' if order.prices_include_tax else 'Tax'}: {money(order.tax_total)} {order.currency}",
        f"  Total: {money(order.grand_total)} {order.currency}", "",
        "Ship to:", *[f"  {part}" for part in (address.get("name"), address.get("line1"), address.get("line2"),
                                               f"{address.get('postcode', '')} {address.get('city', '')}".strip(),
                                               address.get("region"), address.get("country")) if part],
    ]
    if order.promised_date:
        lines += ["", f"Expected delivery: {order.promised_date}"]
    return "\n".join(lines) + "\n"

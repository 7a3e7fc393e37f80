"""The order confirmation e-mail: a consumer of `order.placed.v1` for orders placed in the shop's pages and through
the headless storefront API alike, so it is sent by the integration layer (integration/dispatch.py), never by the
web process. A mail server that fails is retried with backoff like any consumer failure; the mail is the consumer's
last step, so only a failure to commit after sending could send it twice."""

from decimal import Decimal

from sqlalchemy import select

from stockyard.catalog.storefront_queries import Shop
from stockyard.core.mail import send_mail
from stockyard.core.money import round_money
from stockyard.core.uow import UnitOfWork
from stockyard.integration.consumers import Event, register
from stockyard.integration.dispatch import consumer_settings
from stockyard.sales.customer_queries import OrderDetail, customer_order
from stockyard.sales.models import Channel, Order

_orders, _channels = Order.__table__, Channel.__table__


def money(amount: Decimal) -> str:
    return f"{round_money(amount):,.2f}"


@register("sales.order_confirmation", ["order.placed.v1"])
def send_order_confirmation(uow: UnitOfWork, event: Event) -> None:
    """Storefront orders only: staff and channel orders tell their buyer in their own ways."""
    row = uow.conn.execute(
        select(_orders.c.number, _orders.c.source, _channels.c.id, _channels.c.code, _channels.c.name,
               _channels.c.currency, _channels.c.prices_include_tax)
        .join(_channels, _channels.c.id == _orders.c.channel_id)
        .where(_orders.c.tenant_id == uow.tenant_id, _orders.c.id == int(event.payload["order_id"]))).first()
    if row is None or row.source != "storefront":
        return
    shop = Shop(uow.tenant_id, row.id, row.code, row.name, row.currency, bool(row.prices_include_tax))
    order = customer_order(uow, row.number, customer_id=None, guest_numbers=[row.number], with_history=False)
    send_mail(consumer_settings(), to=order.email, subject=f"Your order {order.number} at {shop.name}",
              body=confirmation_text(order, shop), tenant_id=shop.tenant_id)


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

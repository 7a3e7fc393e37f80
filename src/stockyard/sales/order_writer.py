"""Writing a new order: the header, its priced lines and its first timeline entries, in few statements (Core, on
the checkout hot path). Shared by every way an order comes in (storefront checkout, staff phone orders, external
channels) so that the columns an order needs are filled in one place. The callers check permissions, price, quote
and pay."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from stockyard.billing.tax_domain import LineRate
from stockyard.core.metrics import ORDERS_PLACED
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.quotes import ShippingOption
from stockyard.sales.domain import PricedLine, Totals
from stockyard.sales.models import Order, OrderEvent, OrderLine

_orders = Order.__table__
_lines = OrderLine.__table__
_events = OrderEvent.__table__


@dataclass(frozen=True)
class OrderHeader:
    number: str
    channel_id: int
    customer_id: int | None
    email: str
    status: str
    currency: str
    totals: Totals
    prices_include_tax: bool
    shipping: ShippingOption
    # None: the money was taken elsewhere (an external sales channel's own checkout).
    payment_method_id: int | None
    shipping_address: dict[str, Any]
    billing_address: dict[str, Any]
    idempotency_key: str | None
    source: str
    placed_at: datetime
    note: str = ""
    # The order's id on the external site it came from (channel orders).
    external_ref: str = ""


@dataclass(frozen=True)
class NewLine:
    sku_id: int
    sku_code: str
    name: str
    # Its tax rate is the priced line's own (`priced.tax`), resolved by destination and tax class.
    priced: PricedLine


def _rate(line: NewLine) -> LineRate:
    if line.priced.tax is None:
        raise ValueError(f"line {line.sku_code} has no tax rate resolved")
    return line.priced.tax


def insert_order(uow: UnitOfWork, header: OrderHeader, lines: Sequence[NewLine]) -> tuple[int, list[int]]:
    """Inserts the order and its lines (two statements); returns the order id and the line ids in `lines` order."""
    t = header.totals
    order_id = uow.conn.execute(insert(_orders).returning(_orders.c.id), {
        "tenant_id": uow.tenant_id, "number": header.number, "channel_id": header.channel_id,
        "customer_id": header.customer_id, "email": header.email, "status": header.status,
        "currency": header.currency, "subtotal": t.subtotal, "shipping_total": t.shipping, "tax_total": t.tax,
        "grand_total": t.grand_total, "prices_include_tax": header.prices_include_tax,
        "shipping_method_id": header.shipping.method_id, "shipping_quote": header.shipping.model_dump(mode="json"),
        "payment_method_id": header.payment_method_id, "shipping_address": header.shipping_address,
        "billing_address": header.billing_address, "idempotency_key": header.idempotency_key,
        "source": header.source, "note": header.note, "external_ref": header.external_ref,
        "placed_at": header.placed_at, "tax_lines": [line.as_json() for line in t.tax_lines],
        "updated_at": header.placed_at, "created_at": header.placed_at,
    }).scalar_one()
    rows = [{"tenant_id": uow.tenant_id, "order_id": order_id, "sku_id": line.sku_id, "sku_code": line.sku_code,
             "name": line.name, "quantity": line.priced.quantity, "unit_price": line.priced.unit_price,
             "line_total": line.priced.total, "tax_rate": _rate(line).rate, "tax_name": _rate(line).name}
            for line in lines]
    line_ids = list(uow.conn.execute(insert(_lines).returning(_lines.c.id, sort_by_parameter_order=True),
                                     rows).scalars())
    uow.after_commit(ORDERS_PLACED.labels(header.source).inc)
    return order_id, line_ids


def write_timeline(uow: UnitOfWork, order_id: int, entries: Sequence[tuple[str | None, str, str]],
                   actor_name: str, at: datetime) -> None:
    """The order's first timeline entries (from status, to status, note) in one statement."""
    if entries:
        uow.conn.execute(insert(_events), [{"tenant_id": uow.tenant_id, "order_id": order_id, "from_status": a,
                                            "to_status": b, "note": note[:500], "actor_name": actor_name, "at": at}
                                           for a, b, note in entries])

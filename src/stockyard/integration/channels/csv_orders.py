"""CSV order upload: a file of a connected site's orders (an export, or orders typed up) taken in like webhook orders.

Public names (stable): `REQUIRED`, `OPTIONAL`, `CsvOrdersReport`, `import_orders_csv`.

One row per order line; rows with the same `order_id` are one order (they need not be adjacent). Columns (header
names, any order, case-insensitive):

    required  order_id (the site's order id), email, sku, quantity (whole, 1..9999), unit_price (what the customer
              paid per unit, in the channel's tax convention), ship_line1, ship_city, ship_country (ISO alpha-2)
    optional  order_number, customer_id (the site's customer id: linked to our customer), customer_name, phone,
              payment_status (paid | pending; default paid), currency (default the channel's), ship_name,
              ship_line2, ship_region, ship_postcode, shipping_code (our shipping method's code), shipping_total
              (default 0), note

The order-level values are read from an order's first row; a later row of the same order that states a different
e-mail, currency or payment status is reported. Each order is all-or-nothing: an order with any bad row is not
created, and the report lists (line, field, message) for every bad row (the header is line 1); the other orders
of the file are created. An order id received before (by webhook, poll or an earlier upload) is reported and
creates nothing new.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Engine, select

from stockyard.core.actor import Actor
from stockyard.core.csv_rows import CsvRow, RowProblems, read_csv
from stockyard.core.errors import DomainError, NotFound, ValidationFailed
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INVENTORY_RESERVE, ORDERS_PLACE
from stockyard.integration.channels.domain import (
    InboundAddress,
    InboundCustomer,
    InboundLine,
    InboundOrder,
    decimal_of,
    quantity_of,
)
from stockyard.integration.channels.inbound import take_inbound_order_once
from stockyard.integration.channels.models import ChannelConnection
from stockyard.sales.models import Channel

REQUIRED = ("order_id", "email", "sku", "quantity", "unit_price", "ship_line1", "ship_city", "ship_country")
OPTIONAL = ("order_number", "customer_id", "customer_name", "phone", "payment_status", "currency", "ship_name",
            "ship_line2", "ship_region", "ship_postcode", "shipping_code", "shipping_total", "note")
_ORDER_LEVEL = ("email", "currency", "payment_status")


@dataclass
class CsvOrdersReport:
    orders: int = 0
    created: list[tuple[str, str]] = field(default_factory=list)  # (the site's order id, our order number)
    refused: list[str] = field(default_factory=list)  # the site's order ids of the orders not created
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # (line, field, message) of refused orders

    def as_json(self) -> dict[str, object]:
        return {"orders": self.orders, "created": [{"external_id": e, "number": n} for e, n in self.created],
                "refused": self.refused,
                "rows": [{"line": line, "field": f, "message": m} for line, f, m in sorted(self.rows)]}


def _channel_currency(engine: Engine, actor: Actor, connection_id: int) -> str:
    conn, channels = ChannelConnection.__table__, Channel.__table__
    with UnitOfWork(engine, actor, readonly=True) as uow:
        currency = uow.conn.execute(select(channels.c.currency).join(conn, conn.c.channel_id == channels.c.id).where(
            conn.c.tenant_id == uow.tenant_id, conn.c.id == connection_id)).scalar()
    if currency is None:
        raise NotFound(f"unknown connection {connection_id}", field="connection")
    return str(currency)


def _order(rows: list[CsvRow], currency: str, problems: RowProblems) -> InboundOrder | None:
    first = rows[0]
    before = len(problems.rows)
    for row in rows[1:]:
        for column in _ORDER_LEVEL:
            if row.get(column) and row.get(column) != first.get(column):
                problems.add(row.line, column, f"differs from the order's first row (line {first.line})")
    lines = []
    for row in rows:
        try:
            quantity = quantity_of(row.get("quantity"), "quantity")
            if not 0 < quantity <= 9999:
                raise ValidationFailed("is not a quantity between 1 and 9999", field="quantity")
            price = decimal_of(row.get("unit_price"), "unit_price")
            if price < 0:
                raise ValidationFailed("cannot be negative", field="unit_price")
            lines.append(InboundLine(sku=row.get("sku"), quantity=quantity, line_total=price * quantity))
        except ValidationFailed as error:
            problems.add(row.line, error.field or "row", error.message)
    shipping = Decimal(0)
    if first.get("shipping_total"):
        try:
            shipping = decimal_of(first.get("shipping_total"), "shipping_total")
        except ValidationFailed as error:
            problems.add(first.line, "shipping_total", error.message)
    if len(problems.rows) > before:
        return None
    name = first.get("ship_name") or first.get("customer_name")
    return InboundOrder(
        external_id=first.get("order_id"), site_number=first.get("order_number"),
        currency=(first.get("currency") or currency).upper(), payment_status=first.get("payment_status") or "paid",
        customer=InboundCustomer(email=first.get("email"), external_id=first.get("customer_id") or None,
                                 name=first.get("customer_name"), phone=first.get("phone")),
        shipping_address=InboundAddress(name=name, line1=first.get("ship_line1"), line2=first.get("ship_line2"),
                                        city=first.get("ship_city"), region=first.get("ship_region"),
                                        postcode=first.get("ship_postcode"),
                                        country=first.get("ship_country").upper(), phone=first.get("phone")),
        lines=tuple(lines), shipping_total=shipping, shipping_code=first.get("shipping_code"),
        note=first.get("note"))


def _row_of(error: DomainError, rows: list[CsvRow]) -> tuple[int, str]:
    """The file's line and column an order's error is about: lines[i].x → the i-th row's column x."""
    name = error.field or "order_id"
    if name.startswith("lines[") and "]" in name:
        index = int(name[6:name.index("]")])
        column = name[name.index("]") + 2:] or "sku"
        return (rows[index].line if index < len(rows) else rows[0].line), column
    columns = {"external_id": "order_id", "customer.email": "email", "shipping_address.country": "ship_country",
               "shipping_address.city": "ship_city", "shipping_address.line1": "ship_line1",
               "shipping_address.postcode": "ship_postcode", "shipping_address": "ship_country",
               "shipping_method_id": "shipping_code"}
    return rows[0].line, columns.get(name, name)


def import_orders_csv(engine: Engine, actor: Actor, connection_id: int, data: bytes) -> CsvOrdersReport:
    """Every order of the file through the inbound service; see the module's docstring. `actor` needs orders.place;
    the orders are then placed as the site's (reserving their stock like a webhook's), under the actor's name. A
    file that cannot be read at all raises RowErrors."""
    actor.require(ORDERS_PLACE)
    currency = _channel_currency(engine, actor, connection_id)
    placer = Actor(tenant_id=actor.tenant_id, user_id=actor.user_id, name=f"{actor.name} (CSV upload)"[:200],
                   permissions=frozenset({ORDERS_PLACE, INVENTORY_RESERVE}))
    problems = RowProblems()
    csv_file = read_csv(data, REQUIRED, OPTIONAL, problems)
    report = CsvOrdersReport(rows=list(problems.rows))
    groups: dict[str, list[CsvRow]] = defaultdict(list)
    for row in csv_file.rows:
        if not row.get("order_id"):
            report.rows.append((row.line, "order_id", "is missing"))
            continue
        groups[row.get("order_id")].append(row)
    report.orders = len(groups)
    for external_id, rows in groups.items():
        order_problems = RowProblems()
        order = _order(rows, currency, order_problems)
        if order is None:
            report.rows.extend(order_problems.rows)
            report.refused.append(external_id)
            continue
        try:
            placed = take_inbound_order_once(engine, placer, connection_id, order, "csv", source="csv")
        except DomainError as error:
            line, column = _row_of(error, rows)
            report.rows.append((line, column, error.message))
            report.refused.append(external_id)
            continue
        report.created.append((external_id, placed.number))
    return report

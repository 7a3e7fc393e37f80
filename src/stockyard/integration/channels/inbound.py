"""Inbound channel orders: a connected site's order becomes one of ours, once.

Public names (stable): `InboundReceived`, `take_inbound_order` (the service, in a unit of work: used by the
webhook, the poller, the CSV upload), `receive_channel_order` (the webhook: signature, parsing, then the
service), `channel_actor`, `existing_order_ref`.

The webhook authenticates by the connection's signature, not by an API key: the connection is found by id (across
tenants), its adapter checks the signature against its secret (NotAuthenticated → 401, nothing read further), and
only then does the request act, as the connection's own actor with orders.place in the connection's tenant. So a
connection can only ever create orders in its own tenant, on its own sales channel.

Deduplication: an external order id already received on the connection is refused with a Conflict (409) naming
our order, and nothing is written (one exception: a delivery reporting as paid an order we hold in awaiting_payment
moves that order on to paid and its allocation, and answers `updated`); the database's unique (connection,
external order id) and the order's idempotency key hold the same rule when two deliveries race, the loser being
retried into that Conflict.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity.domain import INVENTORY_RESERVE, ORDERS_PLACE
from stockyard.integration.channels.adapters.orders import order_adapter
from stockyard.integration.channels.connections import connection_for_webhook
from stockyard.integration.channels.domain import (
    InboundAddress,
    InboundOrder,
    charged_lines,
    check_inbound_order,
    site_total_differs,
)
from stockyard.integration.channels.linkage import link_customer
from stockyard.integration.channels.models import ChannelConnection, ChannelOrderRef
from stockyard.integration.channels.rejections import record_rejection, resolve_rejections
from stockyard.sales.checkout import AddressIn
from stockyard.sales.external_order import (
    ExternalLine,
    ExternalOrder,
    confirm_external_payment,
    create_external_order,
)
from stockyard.sales.models import Channel, Order
from stockyard.sales.orders import log_event

_conn = ChannelConnection.__table__
_refs = ChannelOrderRef.__table__
_orders = Order.__table__
_channels = Channel.__table__
VIA = ("webhook", "poll", "csv", "manual")


@dataclass(frozen=True)
class InboundReceived:
    connection_id: int
    external_id: str
    order_id: int
    number: str
    status: str
    backordered: int
    customer_id: int
    customer_link: str  # linked, matched, created
    # True: the order was received before, and this delivery only reported its payment.
    updated: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"connection_id": self.connection_id, "external_id": self.external_id, "order_id": self.order_id,
                "number": self.number, "status": self.status, "backordered": self.backordered,
                "customer": {"id": self.customer_id, "link": self.customer_link}, "updated": self.updated}


def channel_actor(tenant_id: int, connection_name: str) -> Actor:
    """Who acts for a connected site: it may place orders (reserving their stock) in its tenant, nothing else."""
    return Actor(tenant_id=tenant_id, user_id=None, name=f"channel {connection_name}"[:200],
                 permissions=frozenset({ORDERS_PLACE, INVENTORY_RESERVE}))


def existing_order_ref(uow: UnitOfWork, connection_id: int, external_id: str) -> tuple[int, str] | None:
    """(order id, order number) of the order already received for this external order id, if any."""
    row = uow.conn.execute(select(_refs.c.order_id, _orders.c.number).join(_orders, _orders.c.id == _refs.c.order_id)
                           .where(_refs.c.tenant_id == uow.tenant_id, _refs.c.connection_id == connection_id,
                                  _refs.c.external_order_id == external_id)).first()
    return None if row is None else (row.order_id, row.number)


def _address(address: InboundAddress, field: str) -> AddressIn:
    try:
        return AddressIn(name=address.name or "-", line1=address.line1, line2=address.line2, city=address.city,
                         region=address.region, postcode=address.postcode, country=address.country,
                         phone=address.phone)
    except Exception as error:  # pydantic's ValidationError or the country check's ValidationFailed
        errors = getattr(error, "errors", None)
        detail = errors()[0] if callable(errors) else None
        where = f"{field}.{detail['loc'][0]}" if detail and detail.get("loc") else getattr(error, "field", field)
        message = detail["msg"] if detail else str(getattr(error, "message", error))
        raise ValidationFailed(message, field=where) from None


def take_inbound_order(uow: UnitOfWork, connection_id: int, order: InboundOrder, via: str = "webhook",
                       source: str = "channel") -> InboundReceived:
    """The service: checks the order, refuses a repeat, links the customer, writes the order (sales'
    create_external_order: validation, allocation and reservation as every order) and the reference."""
    uow.require(ORDERS_PLACE)
    if via not in VIA:
        raise ValidationFailed(f"'{via}' is not one of {', '.join(VIA)}", field="via")
    connection = uow.conn.execute(select(_conn.c.id, _conn.c.name, _conn.c.channel_id, _conn.c.active).where(
        _conn.c.tenant_id == uow.tenant_id, _conn.c.id == connection_id)).first()
    if connection is None:
        raise NotFound(f"unknown connection {connection_id}", field="connection")
    if not connection.active:
        raise PermissionDenied(f"the connection {connection.name} is deactivated", field="connection")
    check_inbound_order(order)
    existing = existing_order_ref(uow, connection_id, order.external_id)
    if existing is not None:
        known = uow.conn.execute(select(_orders.c.status, _orders.c.customer_id).where(
            _orders.c.id == existing[0])).one()
        if order.payment_status == "paid" and known.status == "awaiting_payment":
            # Not a replay: the site reports the payment of an order we hold for it.
            status = confirm_external_payment(uow, existing[0], f"paid on the site (reported by {via})")
            add_event(uow, "channel.order_paid.v1", {"connection_id": connection_id, "order_id": existing[0],
                                                     "external_order_id": order.external_id, "via": via})
            return InboundReceived(connection_id, order.external_id, existing[0], existing[1], status, 0,
                                   known.customer_id, "linked", updated=True)
        raise Conflict(f"the site's order {order.external_id} was received already as order {existing[1]}",
                       field="external_id", details={"order_id": existing[0], "number": existing[1]})
    includes_tax = uow.conn.execute(select(_channels.c.prices_include_tax).where(
        _channels.c.id == connection.channel_id)).scalar_one()
    lines, shipping = charged_lines(order, bool(includes_tax))
    for line in lines:
        if line.unit_price < 0:
            raise ValidationFailed("the line's tax is larger than its amount", field=f"lines[{line.index}].tax")
    ship_to = _address(order.shipping_address, "shipping_address")
    bill_to = _address(order.billing_address, "billing_address") if order.billing_address else None
    linked = link_customer(uow, connection_id, order.customer, name=ship_to.name, phone=ship_to.phone)
    label = f"order {order.site_number or order.external_id}"
    notes = [f"note from the site: {order.note}"] if order.note else []
    try:
        placed = create_external_order(uow, ExternalOrder(
            channel_id=connection.channel_id, source=source, external_ref=order.external_id,
            idempotency_key=f"channel:{connection_id}:{order.external_id}"[:80], customer_id=linked.customer_id,
            email=order.customer.email.strip().lower(), paid=order.payment_status == "paid",
            currency=order.currency, shipping_address=ship_to, billing_address=bill_to,
            lines=tuple(ExternalLine(line.sku, line.quantity, line.unit_price) for line in lines),
            shipping_total=shipping, shipping_code=order.shipping_code,
            origin=f"{label} received from {connection.name} ({via}); customer {linked.how}",
            notes=tuple(notes)))
    except ValidationFailed as error:
        # Name the site's line, not our merged one.
        if error.field and error.field.startswith("lines[") and "]" in error.field:
            index = int(error.field[6:error.field.index("]")])
            if index < len(lines):
                    error.field = f"lines[{lines[index].index}]" + error.field[error.field.index("]") + 1:]
        raise
    if site_total_differs(order.site_total, placed.grand_total):
        log_event(uow, placed.order_id, placed.status, placed.status,
                  f"the site's total {order.site_total} differs from ours {placed.grand_total} (tax computed at "
                  "the channel's rate)")
    uow.conn.execute(insert(_refs), {"tenant_id": uow.tenant_id, "connection_id": connection_id,
                                     "external_order_id": order.external_id, "order_id": placed.order_id,
                                     "received_via": via, "received_at": utcnow()})
    resolve_rejections(uow, connection_id, order.external_id)
    add_event(uow, "channel.order_received.v1", {
        "connection_id": connection_id, "external_order_id": order.external_id, "order_id": placed.order_id,
        "number": placed.number, "via": via, "customer_id": linked.customer_id, "customer_link": linked.how})
    return InboundReceived(connection_id, order.external_id, placed.order_id, placed.number, placed.status,
                           placed.backordered, linked.customer_id, linked.how)


def take_inbound_order_once(engine: Engine, actor: Actor, connection_id: int, order: InboundOrder,
                            via: str = "webhook", source: str = "channel") -> InboundReceived:
    """`take_inbound_order` in its own transaction; when a concurrent delivery of the same order won the race
    (a unique constraint refused ours), the retry finds its order and answers the Conflict naming it. A refusal of
    a webhook's or a poll's order is kept for a person (integration/channels/rejections.py)."""
    try:
        try:
            return perform(engine, actor, take_inbound_order, connection_id, order, via, source)
        except IntegrityError:
            return perform(engine, actor, take_inbound_order, connection_id, order, via, source)
    except DomainError as error:
        record_rejection(engine, actor.tenant_id, connection_id, order.external_id, via, error)
        raise


def receive_channel_order(engine: Engine, connection_id: int, headers: Mapping[str, str],
                          body: bytes) -> InboundReceived:
    """The webhook: the signature first (401 and nothing else when it is missing or wrong), then the payload."""
    auth = connection_for_webhook(engine, connection_id)
    if auth is None:
        raise NotFound(f"unknown connection {connection_id}", field="connection")
    adapter = order_adapter(auth.adapter)
    adapter.verify(headers, body, auth.webhook_secret)
    if not auth.active:
        raise PermissionDenied(f"the connection {auth.name} is deactivated, or its tenant suspended",
                               field="connection")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("the body is not JSON", field="body") from None
    order = adapter.parse_order(payload)
    return take_inbound_order_once(engine, channel_actor(auth.tenant_id, auth.name), auth.id, order, "webhook")

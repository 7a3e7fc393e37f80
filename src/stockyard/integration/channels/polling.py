"""Polling connected sites for their orders, for platforms (or set-ups) without webhooks.

Public names (stable): `FetchedOrders`, `OrderPoller` (the connector interface), `HttpOrderPoller` (its
implementation over the adapters' REST endpoints), `poller_for`, `PollReport`, `poll_connection`,
`poll_channel_orders_everywhere` (the job in web/jobs.py).

A poll asks the site for the orders updated since the connection's cursor, page by page, and gives each order to
the same service as the webhook (integration/channels/inbound.py), each in its own transaction: an order received
before (by webhook or an earlier poll) is counted as a duplicate and changes nothing; an order that cannot be taken
in (an unknown SKU, a refunded order) is reported in the connection's last error and skipped. The cursor advances
to what the site said after a successful fetch; when the site cannot be reached, nothing advances and the error is
kept for the connections page.
"""

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from sqlalchemy import Engine, select, update

from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, DomainError
from stockyard.core.outbound import outbound_client
from stockyard.core.uow import UnitOfWork
from stockyard.integration.channels.adapters.orders import OrderAdapter, order_adapter
from stockyard.integration.channels.connections import ConnectionAuth, connection_for_webhook
from stockyard.integration.channels.domain import InboundOrder
from stockyard.integration.channels.inbound import channel_actor, take_inbound_order_once
from stockyard.integration.channels.models import ChannelConnection

log = logging.getLogger("stockyard.channels")
_conn = ChannelConnection.__table__
MAX_PAGES = 20
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class FetchedOrders:
    orders: list[InboundOrder]
    # Orders of the site that could not be read: (the site's order id or "#<position>", why).
    rejected: list[tuple[str, str]]
    next_cursor: str | None


class OrderPoller(Protocol):
    """The polling connector interface: the orders updated since `cursor` (None: from the beginning) and the
    cursor to start from next time."""

    def fetch_orders(self, cursor: str | None) -> FetchedOrders: ...


class HttpOrderPoller:
    """Polls a site's REST API as its adapter describes (URL, query, authentication, page format)."""

    def __init__(self, adapter: OrderAdapter, base_url: str, api_token: str,
                 client: httpx.Client | None = None) -> None:
        self.adapter = adapter
        self.base_url = base_url
        self.api_token = api_token
        self.client = client

    def fetch_orders(self, cursor: str | None) -> FetchedOrders:
        client = self.client or outbound_client(timeout=TIMEOUT_SECONDS)
        orders: list[InboundOrder] = []
        rejected: list[tuple[str, str]] = []
        try:
            for _ in range(MAX_PAGES):
                url, query = self.adapter.poll_request(self.base_url, cursor)
                response = client.get(url, params=query, headers=self.adapter.auth_headers(self.api_token))
                response.raise_for_status()
                raw, cursor, more = self.adapter.parse_poll_page(response.json(), cursor)
                for position, payload in enumerate(raw):
                    try:
                        orders.append(self.adapter.parse_order(payload))
                    except DomainError as error:
                        ident = str(payload.get("id")) if isinstance(payload, dict) else f"#{position}"
                        rejected.append((ident, str(error)))
                if not more:
                    break
        finally:
            if self.client is None:
                client.close()
        return FetchedOrders(orders, rejected, cursor)


def poller_for(auth: ConnectionAuth, client: httpx.Client | None = None) -> OrderPoller:
    return HttpOrderPoller(order_adapter(auth.adapter), auth.base_url, auth.api_token, client)


@dataclass
class PollReport:
    received: int = 0
    duplicates: int = 0
    paid: int = 0  # orders received before whose payment the site now reports
    refused: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""


def _cursor(engine: Engine, connection_id: int) -> str | None:
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.conn.execute(select(_conn.c.poll_cursor).where(_conn.c.id == connection_id)).scalar()


def _record(engine: Engine, auth: ConnectionAuth, cursor: str | None, error: str, advance: bool) -> None:
    values: dict[str, Any] = {"last_polled_at": utcnow(), "last_error": error[:500]}
    if advance:
        values["poll_cursor"] = cursor
    with UnitOfWork(engine, channel_actor(auth.tenant_id, auth.name)) as uow:
        uow.conn.execute(update(_conn).where(_conn.c.tenant_id == auth.tenant_id, _conn.c.id == auth.id)
                         .values(**values))


def poll_connection(engine: Engine, connection_id: int, poller: OrderPoller | None = None) -> PollReport:
    """One poll of one connection (see the module's docstring); what it did."""
    report = PollReport()
    try:
        auth = connection_for_webhook(engine, connection_id)
    except DomainError as error:
        report.error = str(error)
        return report
    if auth is None or not auth.active:
        report.error = "the connection is unknown or deactivated"
        return report
    poller = poller or poller_for(auth)
    try:
        fetched = poller.fetch_orders(_cursor(engine, connection_id))
    except (httpx.HTTPError, DomainError, ValueError) as error:
        report.error = f"fetching orders failed: {error}"
        _record(engine, auth, None, report.error, advance=False)
        return report
    actor = channel_actor(auth.tenant_id, auth.name)
    report.refused.extend(fetched.rejected)
    for order in fetched.orders:
        try:
            taken = take_inbound_order_once(engine, actor, auth.id, order, "poll")
            if taken.updated:
                report.paid += 1
            else:
                report.received += 1
        except Conflict as error:
            if error.field == "external_id":
                report.duplicates += 1
            else:
                report.refused.append((order.external_id, str(error)))
        except DomainError as error:
            report.refused.append((order.external_id, str(error)))
    if report.refused:
        report.error = "; ".join(f"order {ident}: {why}" for ident, why in report.refused[:5])
    _record(engine, auth, fetched.next_cursor, report.error, advance=True)
    return report


def poll_channel_orders_everywhere(engine: Engine) -> int:
    """The job: every active connection with polling on, of every tenant, polled once. Returns the orders
    received."""
    with UnitOfWork(engine, readonly=True) as uow:
        ids = list(uow.conn.execute(select(_conn.c.id).where(_conn.c.active.is_(True), _conn.c.poll_orders.is_(True))
                                    .order_by(_conn.c.id)).scalars())
    received = 0
    for connection_id in ids:
        report = poll_connection(engine, connection_id)
        if report.error:
            log.warning("polling connection %d: %s", connection_id, report.error)
        received += report.received
    return received

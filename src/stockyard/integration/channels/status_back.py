"""Status back to the site an order came from: shipped (carrier, tracking), invoiced, refunded, cancelled.

Consumer `channels.status_back` hears `shipment.created.v1`, `invoice.issued.v1`, `payment.refunded.v1` and
`order.cancel.v1`; when the order came from a connection (integration/channels/models.ChannelOrderRef) it writes
one pending `ChannelStatusPush` row, keyed by the event id so a redelivered event queues nothing new.

Job `push_due_status(engine)` sends the due rows through the connection's adapter, oldest first; a connection
whose call fails is left for the next run (so a site never hears "invoiced" before "shipped"), the row retried
after an exponential backoff, and given up (state `failed`, shown on the sync dashboard) after MAX_ATTEMPTS.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Engine, select, update

from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.outbound import outbound_client
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.integration.channels.adapters.push import PushFailed, Site, StatusPush, pusher_for
from stockyard.integration.channels.mapping import sync_settings
from stockyard.integration.channels.models import ChannelConnection, ChannelOrderRef
from stockyard.integration.channels.stock_push import HTTP_TIMEOUT, backoff_seconds, log_error, site_of
from stockyard.integration.channels.sync_models import ChannelStatusPush
from stockyard.integration.consumers import Event, register
from stockyard.sales.orders import load_order

log = logging.getLogger("stockyard.channels")

# sales/orders.py names a transition's event after its action: a cancellation is order.cancel.v1.
CANCELLED = ("order.cancel.v1", "order.cancelled.v1")
STATUS_EVENTS = ("shipment.created.v1", "invoice.issued.v1", "payment.refunded.v1", *CANCELLED)
MAX_ATTEMPTS = 8
LEASE_SECONDS = 60
BATCH = 100
_status = ChannelStatusPush.__table__


def status_of(event: Event) -> tuple[str, dict[str, Any]]:
    """The kind of status an event tells a site, and its details (pure)."""
    p = event.payload
    if event.type == "shipment.created.v1":
        return "shipped", {"carrier": p.get("carrier", ""), "tracking_number": p.get("tracking_number", ""),
                           "shipment_id": p.get("shipment_id")}
    if event.type == "invoice.issued.v1":
        return "invoiced", {"invoice_number": p.get("number", ""), "amount": p.get("grand_total", ""),
                            "currency": p.get("currency", "")}
    if event.type == "payment.refunded.v1":
        return "refunded", {"amount": p.get("amount", ""), "currency": p.get("currency", ""),
                            "reason": p.get("reason", ""), "fully_refunded": p.get("state") == "refunded"}
    if event.type in CANCELLED:
        note = str(p.get("note", ""))
        return "cancelled", {"reason": note.removeprefix("cancelled: ")}
    raise ValueError(f"no channel status for {event.type}")


@register("channels.status_back", STATUS_EVENTS)
def on_status_event(uow: UnitOfWork, event: Event) -> None:
    order_id = event.payload.get("order_id")
    if order_id is None:
        return
    refs = uow.execute(select(ChannelOrderRef.connection_id, ChannelOrderRef.external_order_id).where(
        ChannelOrderRef.order_id == int(order_id))).all()
    if not refs:
        return
    kind, details = status_of(event)
    number = load_order(uow, int(order_id), lock=False).number
    from stockyard.integration.dispatch import insert_ignoring_duplicates

    now = utcnow()
    insert_ignoring_duplicates(uow.conn, _status, [{
        "tenant_id": uow.tenant_id, "connection_id": ref.connection_id, "order_id": int(order_id),
        "external_order_id": ref.external_order_id, "kind": kind,
        "payload": {"order_number": number, **details}, "source_event_id": event.event_id, "state": "pending",
        "due_at": now, "attempts": 0, "last_error": "", "created_at": now} for ref in refs])


# ---- the job -----------------------------------------------------------------------------------------------------

def _pending_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(
            select(_status.c.id, _status.c.tenant_id, _status.c.connection_id, _status.c.external_order_id,
                   _status.c.kind, _status.c.payload, _status.c.attempts, _status.c.due_at)
            .where(_status.c.state == "pending").order_by(_status.c.id).limit(BATCH)))


def _site(uow: UnitOfWork, connection_id: int) -> Site:
    connection = uow.execute(select(ChannelConnection).where(ChannelConnection.id == connection_id)).scalar_one()
    return site_of(connection, sync_settings(uow, connection_id))


def _claim(uow: UnitOfWork, row_id: int, due_at: datetime, now: datetime) -> bool:
    """Lease the row for LEASE_SECONDS by moving its due time, conditionally: when two workers run the job, only the
    one whose UPDATE matched sends it (a crash mid-send leaves it due again after the lease)."""
    return uow.conn.execute(update(_status).where(_status.c.id == row_id, _status.c.state == "pending",
                                                  _status.c.due_at == due_at)
                            .values(due_at=now + timedelta(seconds=LEASE_SECONDS))).rowcount == 1


def _sent(uow: UnitOfWork, row_id: int, now: datetime) -> None:
    uow.conn.execute(update(_status).where(_status.c.id == row_id).values(state="sent", sent_at=now, last_error=""))


def _failed(uow: UnitOfWork, row_id: int, connection_id: int, attempts: int, message: str, now: datetime) -> None:
    dead = attempts >= MAX_ATTEMPTS
    uow.conn.execute(update(_status).where(_status.c.id == row_id).values(
        attempts=attempts, last_error=message[:500], state="failed" if dead else "pending",
        due_at=now + timedelta(seconds=backoff_seconds(attempts))))
    log_error(uow, connection_id, "status", message)


def push_due_status(engine: Engine, *, client: httpx.Client | None = None) -> int:
    """The job: send every due status update. How many were sent."""
    sent = 0
    blocked: set[int] = set()
    own = client is None
    http = client or outbound_client(timeout=HTTP_TIMEOUT)
    try:
        now = utcnow()
        for row in _pending_rows(engine):
            if row.connection_id in blocked:
                continue
            if row.due_at > now:  # waiting out a backoff: what came after it waits too
                blocked.add(row.connection_id)
                continue
            actor = system_actor(row.tenant_id, "channel status push")
            payload = dict(row.payload)
            status = StatusPush(row.kind, row.external_order_id, str(payload.pop("order_number", "")), payload)
            if not perform(engine, actor, _claim, row.id, row.due_at, utcnow()):
                blocked.add(row.connection_id)  # another worker is sending it
                continue
            try:
                site = read(engine, actor, _site, row.connection_id)
                pusher_for(site.adapter).push_status(http, site, status)
            except PushFailed as error:
                log.warning("status push %d to connection %d failed: %s", row.id, row.connection_id, error)
                blocked.add(row.connection_id)
                perform(engine, actor, _failed, row.id, row.connection_id, row.attempts + 1, str(error), utcnow())
                continue
            perform(engine, actor, _sent, row.id, utcnow())
            sent += 1
    finally:
        if own:
            http.close()
    return sent

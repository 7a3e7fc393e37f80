"""The webhook delivery job: sends due deliveries over HTTP, signed (domain.signature_header), and records each
attempt. No database transaction is held open while a request is in flight: claim (one transaction), send, record
(one transaction per delivery)."""

import json
import time
from datetime import datetime

import httpx
from sqlalchemy import Engine

from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.outbound import outbound_client
from stockyard.core.uow import UnitOfWork, perform
from stockyard.integration.webhooks import domain
from stockyard.integration.webhooks.services import Due, Outcome, claim_due, record_attempt

TIMEOUT = httpx.Timeout(5.0, connect=3.0)
BATCH = 100


def request_for(due: Due, timestamp: int) -> tuple[bytes, dict[str, str]]:
    """The exact body and headers of one delivery, signed at `timestamp` (unix seconds)."""
    body = json.dumps(due.payload, separators=(",", ":"), sort_keys=True, default=str).encode()
    return body, {
        "Content-Type": "application/json",
        "User-Agent": "Stockyard-Webhooks/1",
        domain.SIGNATURE_HEADER: domain.signature_header(due.secret, timestamp, body),
        domain.EVENT_ID_HEADER: due.event_id,
        domain.EVENT_TYPE_HEADER: due.event_type,
    }


def _send(client: httpx.Client, due: Due) -> Outcome:
    body, headers = request_for(due, int(time.time()))
    started = time.perf_counter()
    try:
        response = client.post(due.url, content=body, headers=headers)
        code, error = response.status_code, ""
    except httpx.HTTPError as exc:
        code, error = None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return Outcome(code, error, int((time.perf_counter() - started) * 1000))


def _claim(uow: UnitOfWork, now: datetime, limit: int) -> list[Due]:
    return claim_due(uow, now, limit)


def deliver_due_webhooks(engine: Engine, *, now: datetime | None = None, client: httpx.Client | None = None,
                         limit: int = BATCH) -> int:
    """One run of the job; returns how many deliveries succeeded. `now` (default: the clock) decides what is due
    and when retries are scheduled; the signature always carries the real time, as receivers check it."""
    now = now or utcnow()
    with UnitOfWork(engine) as uow:
        due = _claim(uow, now, limit)
    if not due:
        return 0
    own = client is None
    http = client or outbound_client(timeout=TIMEOUT, follow_redirects=False)
    delivered = 0
    try:
        for item in due:
            outcome = _send(http, item)
            if perform(engine, system_actor(item.tenant_id, "webhook delivery"), record_attempt, item, outcome, now):
                delivered += 1
    finally:
        if own:
            http.close()
    return delivered

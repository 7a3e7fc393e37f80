"""Webhook subscriptions and deliveries: create, edit, delete, rotate the secret, send a test event, resend; the
read models of the admin pages and the API; and the delivery job's two writes (claim, record an attempt)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select, update

from stockyard.core.clock import utcnow
from stockyard.core.crypto import decrypt_secret, encrypt_secret
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.outbound import check_public_url
from stockyard.core.outbox import add_event
from stockyard.core.pagination import Page, paginate, sorted_by
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import INTEGRATION_MANAGE, INTEGRATION_VIEW
from stockyard.integration.webhooks import domain
from stockyard.integration.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

_SUBS = WebhookSubscription.__table__
_DELIVERIES = WebhookDelivery.__table__
_ATTEMPTS = WebhookAttempt.__table__


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(max_length=500)
    event_types: list[str] = Field(default_factory=lambda: ["*"], max_length=100)
    description: str = Field(default="", max_length=200)
    active: bool = True


@dataclass(frozen=True)
class Created:
    id: int
    secret: str  # shown once


def subscription_dict(sub: WebhookSubscription) -> dict[str, Any]:
    """What pages, the API and audit events show of a subscription (never the secret)."""
    return {"id": sub.id, "url": sub.url, "description": sub.description, "event_types": list(sub.event_types),
            "active": sub.active, "secret_hint": sub.secret_hint, "consecutive_failures": sub.consecutive_failures,
            "disabled_reason": sub.disabled_reason, "created_at": sub.created_at.isoformat(),
            "updated_at": sub.updated_at.isoformat()}


def _load(uow: UnitOfWork, subscription_id: int) -> WebhookSubscription:
    found = uow.execute(select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
                        ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown webhook subscription {subscription_id}", field="webhook_id")
    return found


def create_subscription(uow: UnitOfWork, cmd: SubscriptionIn) -> Created:
    uow.require(INTEGRATION_MANAGE)
    url, types = domain.check_url(cmd.url), domain.check_event_types(cmd.event_types)
    check_public_url(url, "url")
    secret = domain.new_secret()
    sub = WebhookSubscription(tenant_id=uow.tenant_id, url=url, event_types=types,
                              description=cmd.description.strip(), active=cmd.active,
                              secret=encrypt_secret(secret), secret_hint=domain.secret_hint(secret))
    uow.session.add(sub)
    uow.session.flush()
    add_event(uow, "webhook.subscription_created.v1", {"after": subscription_dict(sub)})
    return Created(sub.id, secret)


def update_subscription(uow: UnitOfWork, subscription_id: int, cmd: SubscriptionIn) -> None:
    """Switching a disabled subscription back on starts its failure count afresh."""
    uow.require(INTEGRATION_MANAGE)
    sub = _load(uow, subscription_id)
    url, types = domain.check_url(cmd.url), domain.check_event_types(cmd.event_types)
    check_public_url(url, "url")
    before = subscription_dict(sub)
    if cmd.active and not sub.active:
        sub.consecutive_failures, sub.disabled_reason = 0, ""
    sub.url, sub.event_types, sub.description, sub.active = url, types, cmd.description.strip(), cmd.active
    sub.updated_at = utcnow()
    uow.session.flush()
    add_event(uow, "webhook.subscription_updated.v1",
              {"id": sub.id, "before": before, "after": subscription_dict(sub)})


def delete_subscription(uow: UnitOfWork, subscription_id: int) -> None:
    """Deletes the subscription with its deliveries and their log."""
    uow.require(INTEGRATION_MANAGE)
    sub = _load(uow, subscription_id)
    before = subscription_dict(sub)
    deliveries = select(_DELIVERIES.c.id).where(_DELIVERIES.c.tenant_id == uow.tenant_id,
                                                 _DELIVERIES.c.subscription_id == sub.id)
    uow.conn.execute(_ATTEMPTS.delete().where(_ATTEMPTS.c.tenant_id == uow.tenant_id,
                                              _ATTEMPTS.c.delivery_id.in_(deliveries)))
    uow.conn.execute(_DELIVERIES.delete().where(_DELIVERIES.c.tenant_id == uow.tenant_id,
                                                _DELIVERIES.c.subscription_id == sub.id))
    uow.session.delete(sub)
    uow.session.flush()
    add_event(uow, "webhook.subscription_deleted.v1", {"id": subscription_id, "before": before})


def rotate_secret(uow: UnitOfWork, subscription_id: int) -> str:
    """A new signing secret (returned, shown once); deliveries sent from now on are signed with it."""
    uow.require(INTEGRATION_MANAGE)
    sub = _load(uow, subscription_id)
    secret = domain.new_secret()
    sub.secret, sub.secret_hint, sub.updated_at = encrypt_secret(secret), domain.secret_hint(secret), utcnow()
    uow.session.flush()
    add_event(uow, "webhook.secret_rotated.v1", {"id": sub.id, "secret_hint": sub.secret_hint})
    return secret


def event_payload(event_id: str, event_type: str, tenant_id: int, created_at: datetime,
                  data: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "type": event_type, "tenant": tenant_id, "created_at": created_at.isoformat(),
            "data": data}


def enqueue(uow: UnitOfWork, tenant_id: int, event_id: str, event_type: str, payload: dict[str, Any]) -> int:
    """A pending delivery of the event for every active subscription of the tenant that wants its type; returns
    how many."""
    subs = uow.conn.execute(select(_SUBS.c.id, _SUBS.c.event_types).where(
        _SUBS.c.tenant_id == tenant_id, _SUBS.c.active.is_(True))).all()
    now = utcnow()
    rows = [{"tenant_id": tenant_id, "subscription_id": sub.id, "event_id": event_id, "event_type": event_type,
             "payload": payload, "status": "pending", "attempts": 0, "next_attempt_at": now, "last_error": "",
             "created_at": now}
            for sub in subs if domain.wants(list(sub.event_types), event_type)]
    if rows:
        uow.conn.execute(_DELIVERIES.insert(), rows)
    return len(rows)


def send_test_event(uow: UnitOfWork, subscription_id: int) -> int:
    """Queues a `webhook.test.v1` delivery to this subscription (whatever types it wants); returns its id."""
    uow.require(INTEGRATION_MANAGE)
    sub = _load(uow, subscription_id)
    if not sub.active:
        raise Conflict("the subscription is disabled; switch it on first", field="active")
    event_id, now = str(uuid.uuid4()), utcnow()
    payload = event_payload(event_id, "webhook.test.v1", uow.tenant_id, now,
                            {"subscription_id": sub.id, "url": sub.url, "message": "a test event sent from Stockyard"})
    return int(uow.conn.execute(_DELIVERIES.insert().values(
        tenant_id=uow.tenant_id, subscription_id=sub.id, event_id=event_id, event_type="webhook.test.v1",
        payload=payload, status="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now,
    ).returning(_DELIVERIES.c.id)).scalar_one())


def resend_delivery(uow: UnitOfWork, subscription_id: int, delivery_id: int) -> None:
    """Sends a delivery again at the next run of the job (delivered or given up alike), with fresh attempts."""
    uow.require(INTEGRATION_MANAGE)
    sub = _load(uow, subscription_id)
    if not sub.active:
        raise Conflict("the subscription is disabled; switch it on first", field="active")
    changed = uow.conn.execute(update(_DELIVERIES).where(
        _DELIVERIES.c.tenant_id == uow.tenant_id, _DELIVERIES.c.subscription_id == sub.id,
        _DELIVERIES.c.id == delivery_id).values(status="pending", attempts=0, next_attempt_at=utcnow()))
    if changed.rowcount != 1:
        raise NotFound(f"unknown delivery {delivery_id}", field="delivery_id")
    add_event(uow, "webhook.delivery_resent.v1", {"subscription_id": sub.id, "delivery_id": delivery_id})


# ---- the delivery job's writes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    id: int
    tenant_id: int
    subscription_id: int
    url: str
    secret: str  # decrypted
    event_id: str
    event_type: str
    payload: dict[str, Any]
    attempts: int


LEASE = timedelta(minutes=2)  # a claimed delivery is not claimed again meanwhile (another worker, a crash)


def claim_due(uow: UnitOfWork, now: datetime, limit: int) -> list[Due]:
    """Due pending deliveries of active subscriptions, any tenant, oldest first; each is leased (its next attempt
    moved LEASE ahead) in this transaction, so concurrent workers do not send it twice."""
    stmt = (select(_DELIVERIES.c.id).join(_SUBS, _SUBS.c.id == _DELIVERIES.c.subscription_id)
            .where(_DELIVERIES.c.status == "pending", _DELIVERIES.c.next_attempt_at <= now, _SUBS.c.active.is_(True))
            .order_by(_DELIVERIES.c.next_attempt_at, _DELIVERIES.c.id).limit(limit))
    if uow.conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=_DELIVERIES, skip_locked=True)
    ids = list(uow.conn.execute(stmt).scalars())
    if not ids:
        return []
    uow.conn.execute(update(_DELIVERIES).where(_DELIVERIES.c.id.in_(ids)).values(next_attempt_at=now + LEASE))
    rows = uow.conn.execute(
        select(_DELIVERIES.c.id, _DELIVERIES.c.tenant_id, _DELIVERIES.c.subscription_id, _SUBS.c.url, _SUBS.c.secret,
               _DELIVERIES.c.event_id, _DELIVERIES.c.event_type, _DELIVERIES.c.payload, _DELIVERIES.c.attempts)
        .join(_SUBS, _SUBS.c.id == _DELIVERIES.c.subscription_id).where(_DELIVERIES.c.id.in_(ids))
        .order_by(_DELIVERIES.c.next_attempt_at, _DELIVERIES.c.id)).all()
    return [Due(r.id, r.tenant_id, r.subscription_id, r.url, decrypt_secret(r.secret), r.event_id, r.event_type,
                dict(r.payload), r.attempts) for r in rows]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int


def record_attempt(uow: UnitOfWork, due: Due, outcome: Outcome, now: datetime) -> bool:
    """The attempt in the log and its consequences: delivered; or retried after domain.retry_delay; or given up
    after MAX_ATTEMPTS. Failures in a row reaching DISABLE_AFTER disable the subscription (with an event).
    Returns whether the delivery succeeded. Runs as the delivery's tenant."""
    ok = domain.is_success(outcome.status_code)
    error = outcome.error or ("" if ok else f"HTTP {outcome.status_code}")
    uow.conn.execute(_ATTEMPTS.insert().values(tenant_id=due.tenant_id, delivery_id=due.id, at=now,
                                               status_code=outcome.status_code, error=error[:500],
                                               duration_ms=outcome.duration_ms))
    attempts = due.attempts + 1
    common = {"attempts": attempts, "last_status_code": outcome.status_code, "last_error": error[:500]}
    where = (_DELIVERIES.c.tenant_id == due.tenant_id, _DELIVERIES.c.id == due.id)
    if ok:
        uow.conn.execute(update(_DELIVERIES).where(*where).values(status="delivered", delivered_at=now,
                                                                  next_attempt_at=None, **common))
        uow.conn.execute(update(_SUBS).where(_SUBS.c.tenant_id == due.tenant_id, _SUBS.c.id == due.subscription_id)
                         .values(consecutive_failures=0))
        return True
    if attempts >= domain.MAX_ATTEMPTS:
        uow.conn.execute(update(_DELIVERIES).where(*where).values(status="failed", next_attempt_at=None, **common))
    else:
        uow.conn.execute(update(_DELIVERIES).where(*where).values(
            next_attempt_at=now + domain.retry_delay(attempts), **common))
    failures = uow.conn.execute(
        update(_SUBS).where(_SUBS.c.tenant_id == due.tenant_id, _SUBS.c.id == due.subscription_id)
        .values(consecutive_failures=_SUBS.c.consecutive_failures + 1).returning(_SUBS.c.consecutive_failures)
    ).scalar_one()
    if failures >= domain.DISABLE_AFTER:
        reason = f"disabled after {failures} failed attempts in a row (last: {error[:200]})"
        disabled = uow.conn.execute(update(_SUBS).where(
            _SUBS.c.tenant_id == due.tenant_id, _SUBS.c.id == due.subscription_id, _SUBS.c.active.is_(True))
            .values(active=False, disabled_reason=reason, updated_at=now))
        if disabled.rowcount == 1:
            add_event(uow, "webhook.subscription_disabled.v1", {
                "id": due.subscription_id, "url": due.url, "consecutive_failures": failures, "reason": reason})
    return False


# ---- read models --------------------------------------------------------------------------------------------------

@requires(INTEGRATION_VIEW)
def list_subscriptions(uow: UnitOfWork, q: str = "", page: int = 1, per_page: int = 50,
                       sort: str = "") -> Page[WebhookSubscription]:
    """Searched by URL or description; `sort` a column key ("-key" descending), by URL when it names none."""
    stmt, sort = sorted_by(select(WebhookSubscription), sort, {
        "url": WebhookSubscription.url, "description": WebhookSubscription.description,
        "active": WebhookSubscription.active, "failures": WebhookSubscription.consecutive_failures,
        "created": WebhookSubscription.created_at}, "url")
    stmt = stmt.order_by(WebhookSubscription.id)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(WebhookSubscription.url).like(like),
                              func.lower(WebhookSubscription.description).like(like)))
    result = paginate(uow.execute, stmt, page, per_page, sort)
    return Page([row[0] for row in result.items], result.total, result.page, result.per_page, sort)


@requires(INTEGRATION_VIEW)
def get_subscription(uow: UnitOfWork, subscription_id: int) -> WebhookSubscription:
    return _load(uow, subscription_id)


@dataclass(frozen=True)
class AttemptView:
    at: datetime
    status_code: int | None
    error: str
    duration_ms: int


@dataclass(frozen=True)
class DeliveryView:
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]
    log: list[AttemptView]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "event_id": self.event_id, "event_type": self.event_type, "status": self.status,
                "attempts": self.attempts,
                "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
                "last_status_code": self.last_status_code, "last_error": self.last_error,
                "created_at": self.created_at.isoformat(),
                "delivered_at": self.delivered_at.isoformat() if self.delivered_at else None, "payload": self.payload,
                "log": [{"at": a.at.isoformat(), "status_code": a.status_code, "error": a.error,
                         "duration_ms": a.duration_ms} for a in self.log]}


@requires(INTEGRATION_VIEW)
def list_deliveries(uow: UnitOfWork, subscription_id: int, page: int = 1, per_page: int = 25) -> Page[DeliveryView]:
    """The subscription's deliveries, newest first, each with its attempts (the delivery log)."""
    _load(uow, subscription_id)
    stmt = (select(_DELIVERIES).where(_DELIVERIES.c.tenant_id == uow.tenant_id,
                                      _DELIVERIES.c.subscription_id == subscription_id)
            .order_by(_DELIVERIES.c.id.desc()))
    result = paginate(uow.conn.execute, stmt, page, per_page)
    ids = [row.id for row in result.items]
    log: dict[int, list[AttemptView]] = {i: [] for i in ids}
    if ids:
        for a in uow.conn.execute(select(_ATTEMPTS).where(_ATTEMPTS.c.tenant_id == uow.tenant_id,
                                                          _ATTEMPTS.c.delivery_id.in_(ids)).order_by(_ATTEMPTS.c.id)):
            log[a.delivery_id].append(AttemptView(a.at, a.status_code, a.error, a.duration_ms))
    items = [DeliveryView(r.id, r.event_id, r.event_type, r.status, r.attempts, r.next_attempt_at,
                          r.last_status_code, r.last_error, r.created_at, r.delivered_at, dict(r.payload), log[r.id])
             for r in result.items]
    return Page(items, result.total, result.page, result.per_page)

"""Outbound webhooks end to end on both backends: a real service's event goes through the outbox and the dispatcher
(drain) to the webhook consumer, and the delivery job sends it to a loopback HTTP server that verifies the
signature; failures are retried on the backoff schedule and disable the subscription after DISABLE_AFTER in a row;
one tenant's subscription never receives another tenant's events."""

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import perform, read
from stockyard.identity.domain import INTEGRATION_VIEW
from stockyard.integration.dispatch import drain
from stockyard.integration.webhooks import domain, services
from stockyard.integration.webhooks.delivery import deliver_due_webhooks
from stockyard.integration.webhooks.models import WebhookDelivery, WebhookSubscription
from stockyard.sales.channels import ChannelIn, create_channel
from tests.conftest import TenantCtx, new_tenant
from tests.integration.webhooks.receiver import Receiver, receiver

_d = WebhookDelivery.__table__
_s = WebhookSubscription.__table__


def subscribe(ctx: TenantCtx, url: str, types: list[str] | None = None) -> services.Created:
    return perform(ctx.engine, ctx.actor, services.create_subscription,
                   services.SubscriptionIn(url=url, event_types=types or ["*"]))


def new_channel(ctx: TenantCtx, code: str = "WEB") -> int:
    return perform(ctx.engine, ctx.actor, create_channel, ChannelIn(code=code, name=f"Shop {code}", currency="EUR"))


def delivery_rows(engine: Engine, subscription_id: int) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(select(_d).where(_d.c.subscription_id == subscription_id).order_by(_d.c.id)).all()


def subscription_row(engine: Engine, subscription_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(_s).where(_s.c.id == subscription_id)).one()


def verified(hook: Receiver, secret: str) -> list[dict[str, Any]]:
    """Every request the receiver got, checked as a receiver would with verify_signature."""
    out = []
    for request in hook.requests:
        domain.verify_signature(secret, request.headers[domain.SIGNATURE_HEADER], request.body, tolerance=60)
        payload = json.loads(request.body)
        assert request.headers[domain.EVENT_ID_HEADER] == payload["id"]
        assert request.headers[domain.EVENT_TYPE_HEADER] == payload["type"]
        out.append(payload)
    return out


def test_a_business_event_reaches_the_endpoint_signed_and_only_the_types_it_wants(tenant: TenantCtx) -> None:
    with receiver() as every, receiver() as picky:
        sub = subscribe(tenant, every.url)
        only = subscribe(tenant, picky.url, ["channel.updated.v1"])
        channel_id = new_channel(tenant)
        drain(tenant.engine, tenant_id=tenant.tenant_id)
        assert deliver_due_webhooks(tenant.engine) >= 1
        got = verified(every, sub.secret)
        created = [p for p in got if p["type"] == "channel.created.v1"]
        assert len(created) == 1
        assert created[0]["tenant"] == tenant.tenant_id and created[0]["data"]["after"]["id"] == channel_id
        with tenant.engine.connect() as conn:
            outbox = conn.execute(select(OutboxEvent.__table__).where(
                OutboxEvent.__table__.c.event_id == created[0]["id"])).one()
        assert outbox.type == "channel.created.v1" and created[0]["created_at"] == outbox.created_at.isoformat()
        assert picky.requests == []  # wants channel.updated.v1 only
        # The other subscription's secret does not verify these deliveries.
        with pytest.raises(domain.SignatureInvalid):
            verified(every, only.secret)

        # Delivered once: another run of the job and of the dispatcher sends nothing again.
        sent = len(every.requests)
        drain(tenant.engine, tenant_id=tenant.tenant_id)
        deliver_due_webhooks(tenant.engine)
        assert len(every.requests) == sent
    log = read(tenant.engine, tenant.actor, services.list_deliveries, sub.id).items
    done = next(d for d in log if d.event_type == "channel.created.v1")
    assert done.status == "delivered" and done.attempts == 1 and done.delivered_at is not None
    assert [(a.status_code, a.error) for a in done.log] == [(200, "")] and done.log[0].duration_ms >= 0


def test_tenant_a_subscription_never_gets_tenant_b_events(engine: Engine) -> None:
    a, b = new_tenant(engine), new_tenant(engine)
    with receiver() as hook_a, receiver() as hook_b:
        sub_a, sub_b = subscribe(a, hook_a.url), subscribe(b, hook_b.url)
        new_channel(b, "B-ONLY")
        for tenant in (a, b):
            drain(engine, tenant_id=tenant.tenant_id)
        deliver_due_webhooks(engine)
        # A hears only of its own events (its subscription's creation), never of B's channel.
        got_a = verified(hook_a, sub_a.secret)
        assert {r.event_type for r in delivery_rows(engine, sub_a.id)} == {"webhook.subscription_created.v1"}
        assert [p["tenant"] for p in got_a] == [a.tenant_id]
        got_b = verified(hook_b, sub_b.secret)
        assert {p["tenant"] for p in got_b} == {b.tenant_id}
        assert "channel.created.v1" in {p["type"] for p in got_b}
        # Tenant A cannot read B's subscription or its log, nor resend B's deliveries.
        with pytest.raises(NotFound):
            read(engine, a.actor, services.get_subscription, sub_b.id)
        with pytest.raises(NotFound):
            read(engine, a.actor, services.list_deliveries, sub_b.id)
        delivery = delivery_rows(engine, sub_b.id)[0]
        with pytest.raises(NotFound):
            perform(engine, a.actor, services.resend_delivery, sub_a.id, delivery.id)


def _due_times(engine: Engine, subscription_id: int) -> list[datetime]:
    return [r.next_attempt_at for r in delivery_rows(engine, subscription_id) if r.status == "pending"]


def test_failures_are_retried_with_backoff_then_the_subscription_is_disabled(tenant: TenantCtx) -> None:
    with receiver() as hook:
        hook.status = 500
        sub = subscribe(tenant, hook.url, ["webhook.test.v1"])
        first = perform(tenant.engine, tenant.actor, services.send_test_event, sub.id)
        second = perform(tenant.engine, tenant.actor, services.send_test_event, sub.id)
        now = utcnow()
        failed = 0
        schedule: list[timedelta] = []
        while subscription_row(tenant.engine, sub.id).active:
            assert deliver_due_webhooks(tenant.engine, now=now) == 0
            before = failed
            failed = sum(r.attempts for r in delivery_rows(tenant.engine, sub.id))
            assert failed == before + 2 or failed >= domain.DISABLE_AFTER  # both deliveries tried each round
            row = next(r for r in delivery_rows(tenant.engine, sub.id) if r.id == first)
            if row.status == "pending" and subscription_row(tenant.engine, sub.id).active:
                schedule.append(row.next_attempt_at - now)
                # Not yet due: a run just before the retry time sends nothing.
                sent = len(hook.requests)
                deliver_due_webhooks(tenant.engine, now=row.next_attempt_at - timedelta(seconds=1))
                assert len(hook.requests) == sent
                now = max(_due_times(tenant.engine, sub.id))
        assert failed == domain.DISABLE_AFTER
        assert schedule == [domain.retry_delay(n) for n in range(1, len(schedule) + 1)]
        assert schedule[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
        requests = len(hook.requests)
        assert requests == domain.DISABLE_AFTER
        verified(hook, sub.secret)

        disabled = subscription_row(tenant.engine, sub.id)
        assert disabled.consecutive_failures == domain.DISABLE_AFTER
        assert "disabled after 10 failed attempts in a row (last: HTTP 500)" in disabled.disabled_reason
        with tenant.engine.connect() as conn:
            events = conn.execute(select(OutboxEvent.__table__.c.payload).where(
                OutboxEvent.__table__.c.tenant_id == tenant.tenant_id,
                OutboxEvent.__table__.c.type == "webhook.subscription_disabled.v1")).scalars().all()
        assert [e["id"] for e in events] == [sub.id]
        # Disabled: nothing more is sent, however late; a resend or a test is refused until it is switched on.
        deliver_due_webhooks(tenant.engine, now=now + timedelta(days=30))
        assert len(hook.requests) == requests
        with pytest.raises(Conflict):
            perform(tenant.engine, tenant.actor, services.resend_delivery, sub.id, second)

        # Switched back on and the endpoint healthy: a resend is delivered, the failure count starts afresh.
        hook.status = 204
        perform(tenant.engine, tenant.actor, services.update_subscription, sub.id,
                services.SubscriptionIn(url=hook.url, event_types=["webhook.test.v1"], active=True))
        assert subscription_row(tenant.engine, sub.id).consecutive_failures == 0
        perform(tenant.engine, tenant.actor, services.resend_delivery, sub.id, second)
        assert deliver_due_webhooks(tenant.engine) >= 1
    rows = {r.id: r for r in delivery_rows(tenant.engine, sub.id)}
    assert rows[second].status == "delivered" and rows[second].last_status_code == 204


def test_a_delivery_gives_up_after_max_attempts_and_an_unreachable_endpoint_is_logged(tenant: TenantCtx) -> None:
    with receiver() as hook:
        url = hook.url
    sub = subscribe(tenant, url, ["webhook.test.v1"])  # the server is gone: connection refused
    delivery = perform(tenant.engine, tenant.actor, services.send_test_event, sub.id)
    now = utcnow()
    for _ in range(domain.MAX_ATTEMPTS):
        deliver_due_webhooks(tenant.engine, now=now)
        now += timedelta(hours=7)
    row = delivery_rows(tenant.engine, sub.id)[0]
    assert (row.id, row.status, row.attempts, row.last_status_code) == (delivery, "failed", domain.MAX_ATTEMPTS, None)
    assert "ConnectError" in row.last_error
    assert subscription_row(tenant.engine, sub.id).active  # 8 < DISABLE_AFTER failures in a row
    log = read(tenant.engine, tenant.actor, services.list_deliveries, sub.id).items[0].log
    assert len(log) == domain.MAX_ATTEMPTS and all(a.status_code is None for a in log)


def test_rotating_the_secret_signs_new_deliveries_with_the_new_one(tenant: TenantCtx) -> None:
    with receiver() as hook:
        sub = subscribe(tenant, hook.url, ["webhook.test.v1"])
        new = perform(tenant.engine, tenant.actor, services.rotate_secret, sub.id)
        assert new != sub.secret and subscription_row(tenant.engine, sub.id).secret_hint.endswith(new[-4:])
        perform(tenant.engine, tenant.actor, services.send_test_event, sub.id)
        deliver_due_webhooks(tenant.engine)
        assert [p["type"] for p in verified(hook, new)] == ["webhook.test.v1"]
        with pytest.raises(domain.SignatureInvalid):
            verified(hook, sub.secret)
    # The secret is stored encrypted, never in the clear.
    assert new not in subscription_row(tenant.engine, sub.id).secret


def test_bad_input_and_missing_permission_change_nothing(tenant: TenantCtx) -> None:
    for cmd, field in ((services.SubscriptionIn(url="ftp://x.example/"), "url"),
                       (services.SubscriptionIn(url="https://x.example/", event_types=["order.placed"]),
                        "event_types")):
        with pytest.raises(ValidationFailed) as caught:
            perform(tenant.engine, tenant.actor, services.create_subscription, cmd)
        assert caught.value.field == field
    viewer = tenant.actor.__class__(tenant.tenant_id, None, "viewer", frozenset({INTEGRATION_VIEW}))
    with pytest.raises(PermissionDenied):
        perform(tenant.engine, viewer, services.create_subscription,
                services.SubscriptionIn(url="https://x.example/"))
    assert read(tenant.engine, viewer, services.list_subscriptions).total == 0


def test_deleting_a_subscription_removes_its_deliveries(tenant: TenantCtx) -> None:
    sub = subscribe(tenant, "https://hooks.example.com/in", ["webhook.test.v1"])
    perform(tenant.engine, tenant.actor, services.send_test_event, sub.id)
    with tenant.engine.begin() as conn:
        conn.execute(update(_d).where(_d.c.subscription_id == sub.id).values(attempts=1))
    perform(tenant.engine, tenant.actor, services.delete_subscription, sub.id)
    assert delivery_rows(tenant.engine, sub.id) == []
    with pytest.raises(NotFound):
        read(tenant.engine, tenant.actor, services.get_subscription, sub.id)

"""The integration page at /admin/integration (outbox lag, consumers, failures, dead letters with Replay and Discard)
and the event schemas at /api/v1/events/schema."""

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from stockyard.core.outbox import OutboxEvent
from stockyard.core.settings import Settings
from stockyard.core.uow import UnitOfWork
from stockyard.integration.consumers import Consumer
from stockyard.integration.dispatch import event_from_row, record_failure
from tests.conftest import TenantCtx, new_tenant
from tests.identity.test_audit import CSRF, sign_in
from tests.integration.support import deliveries, pings

BASE = "/admin/integration"
_outbox = OutboxEvent.__table__


def _dead_letter(ctx: TenantCtx, error: str) -> int:
    """An event of the tenant that a consumer gave up on, recorded as the dispatcher records it."""
    [event_id] = pings(ctx, [{"n": 1}])
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        row = uow.conn.execute(select(_outbox).where(_outbox.c.event_id == event_id)).one()
    consumer = Consumer("admin_test.failing", frozenset({row.type}), lambda uow, event: None, max_attempts=1)
    record_failure(ctx.engine, consumer, event_from_row(row), row.id, RuntimeError(error), Settings())
    return next(d.id for d in deliveries(ctx.engine, ctx.tenant_id) if d.event_id == event_id)


def _audited(ctx: TenantCtx, event_type: str) -> list[dict]:
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return [row.payload for row in uow.conn.execute(select(_outbox).where(
            _outbox.c.tenant_id == ctx.tenant_id, _outbox.c.type == event_type))]


def test_the_page_shows_lag_and_dead_letters_and_replays_and_discards_them(tenant: TenantCtx,
                                                                           client: TestClient) -> None:
    first = _dead_letter(tenant, "the receiver answered 503")
    second = _dead_letter(tenant, "the receiver answered 410")
    other = new_tenant(tenant.engine)
    _dead_letter(other, "tenant B's secret failure")
    admin = sign_in(tenant, client, "administrator")
    assert f'href="{BASE}"' in admin.get("/admin").text

    page = admin.get(BASE)
    assert page.status_code == 200
    assert re.search(r'id="outbox-unpublished">(\d+)<', page.text)[1] != "0"  # the pings wait for the relay
    assert "RuntimeError: the receiver answered 503" in page.text and "admin_test.failing" in page.text
    assert "tenant B&#39;s secret failure" not in page.text and "tenant B's secret failure" not in page.text
    token = CSRF.search(page.text)[1]

    replayed = admin.post(f"{BASE}/dead-letters/{first}/replay", data={"csrf_token": token}, follow_redirects=False)
    assert replayed.status_code == 303
    states = {d.id: (d.state, d.attempts) for d in deliveries(tenant.engine, tenant.tenant_id)}
    assert states[first] == ("pending", 0) and states[second] == ("dead", 1)
    assert [p["delivery_id"] for p in _audited(tenant, "integration.dead_letter_replayed.v1")] == [first]

    discarded = admin.post(f"{BASE}/dead-letters/{second}/discard", data={"csrf_token": token},
                           follow_redirects=False)
    assert discarded.status_code == 303
    assert second not in {d.id for d in deliveries(tenant.engine, tenant.tenant_id)}
    [audit] = _audited(tenant, "integration.dead_letter_discarded.v1")
    assert audit["last_error"] == "RuntimeError: the receiver answered 410"
    assert "No dead letters." in admin.get(BASE).text

    # Another tenant's dead letter is not found from here (and nothing changes).
    theirs = next(d.id for d in deliveries(other.engine, other.tenant_id))
    assert admin.post(f"{BASE}/dead-letters/{theirs}/discard", data={"csrf_token": token},
                      follow_redirects=False).status_code == 404
    assert [d.state for d in deliveries(other.engine, other.tenant_id)] == ["dead"]


def test_viewers_see_the_page_without_buttons_and_others_not_at_all(tenant: TenantCtx, client: TestClient) -> None:
    dead = _dead_letter(tenant, "boom")
    accountant = sign_in(tenant, client, "accountant")  # integration.view, not integration.manage
    page = accountant.get(BASE)
    assert page.status_code == 200 and "RuntimeError: boom" in page.text and "Replay" not in page.text
    refused = accountant.post(f"{BASE}/dead-letters/{dead}/replay", data={"csrf_token": CSRF.search(page.text)[1]},
                              follow_redirects=False)
    assert refused.status_code == 403
    assert sign_in(tenant, client, "read_only").get(BASE).status_code == 403


def test_every_event_type_has_a_published_schema(client: TestClient) -> None:
    document = client.get("/api/v1/events/schema").json()
    placed = document["types"]["order.placed.v1"]["payload"]["$ref"].split("/")[-1]
    schema = document["$defs"][placed]
    assert {"order_id", "number", "grand_total", "currency"} <= set(schema["required"])
    assert "stock.changed.v1" in document["types"] and "integration.dead_letter_replayed.v1" in document["types"]

"""The confirmation step and the test gateway's signed webhooks, over real HTTP: the customer confirms on the
gateway's page, the gateway's webhook reaches /webhooks/payments/{method} and moves the payment; forged, stale and
replayed deliveries change nothing."""

import json
import re
import time
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from stockyard.billing import payments
from stockyard.billing.gateways import load_method
from stockyard.billing.models import TestGatewayWebhook
from stockyard.billing.test_gateway import (
    SIGNATURE_HEADER,
    dashboard_capture,
    dashboard_refund,
    deliver_test_gateway_webhooks,
    signature_header,
    webhook_secret,
)
from stockyard.core.uow import UnitOfWork, perform
from tests.billing.support import CONFIRM, card, events, make_method, make_order, payment_row, storefront
from tests.conftest import TenantCtx
from tests.inventory.support import tenant_rows

D = Decimal
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HOOKS = TestGatewayWebhook.__table__


def needs_confirmation(ctx: TenantCtx, method_id: int, amount: str = "60.00") -> tuple[int, payments.PaymentOutcome]:
    order = make_order(ctx, D(amount))
    outcome = perform(ctx.engine, storefront(ctx), payments.take_payment, payments.TakePayment(
        order, method_id, D(amount), "EUR", f"checkout-{order}", card(CONFIRM), return_url="/checkout/done",
        description=f"Order {order}"))
    assert outcome.state == "requires_action" and outcome.action_url
    return order, outcome


def answer(browser: TestClient, action_url: str, decision: str) -> str:
    page = browser.get(action_url)
    assert page.status_code == 200 and "Confirm payment" in page.text
    response = browser.post(action_url, data={"decision": decision, "csrf_token": CSRF.search(page.text)[1]},
                            follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def last_delivery(ctx: TenantCtx) -> tuple[int, bytes]:
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        row = uow.conn.execute(select(HOOKS).where(HOOKS.c.tenant_id == ctx.tenant_id).order_by(HOOKS.c.id.desc())
                               ).first()
    return row.method_id, json.dumps(row.payload).encode()


def signed(ctx: TenantCtx, method_id: int, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    with ctx.uow() as uow:
        secret = webhook_secret(load_method(uow, method_id))
    return {SIGNATURE_HEADER: signature_header(secret, body, timestamp), "Content-Type": "application/json"}


def test_confirmed_payment_arrives_by_signed_webhook_and_a_replay_changes_nothing(
        tenant: TenantCtx, client: TestClient) -> None:
    method = make_method(tenant, webhook_secret="whsec-test-0123456789")
    order, outcome = needs_confirmation(tenant, method)
    browser = TestClient(client.app)
    page = browser.get(outcome.action_url or "")
    assert "60.00 EUR" in page.text and "•••• 3220" in page.text
    back = answer(browser, outcome.action_url or "", "confirm")
    assert back == f"/checkout/done?payment={payment_row(tenant, outcome.payment_id).reference}"
    assert payment_row(tenant, outcome.payment_id).state == "requires_action"  # until the webhook arrives
    # The page now says it was answered; answering again is refused.
    assert "confirmed already" in browser.get(outcome.action_url or "").text

    report = deliver_test_gateway_webhooks(tenant.engine, http=client)
    assert (report.delivered, report.failed) >= (1, 0)
    row = payment_row(tenant, outcome.payment_id)
    assert (row.state, row.captured_amount, row.action_url) == ("captured", D(60), None)
    assert [t for t, _ in events(tenant)] == ["payment.action_required.v1", "payment.authorized.v1",
                                              "payment.captured.v1"]
    assert deliver_test_gateway_webhooks(tenant.engine, http=client).delivered == 0  # nothing left to send

    method_id, body = last_delivery(tenant)
    before = tenant_rows(tenant)
    replay = client.post(f"/webhooks/payments/{method_id}", content=body, headers=signed(tenant, method_id, body))
    assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
    assert tenant_rows(tenant) == before


def test_forged_stale_and_unsigned_webhooks_are_refused(tenant: TenantCtx, client: TestClient) -> None:
    method = make_method(tenant)  # signing secret derived from the server key
    _, outcome = needs_confirmation(tenant, method)
    answer(TestClient(client.app), outcome.action_url or "", "confirm")
    method_id, body = last_delivery(tenant)
    url = f"/webhooks/payments/{method_id}"
    before = tenant_rows(tenant)
    forged = signature_header(b"not the secret", body)
    tampered = body + b" "  # still valid JSON, but not what was signed
    cases = [
        ({SIGNATURE_HEADER: forged}, body, "does not match"),
        (signed(tenant, method_id, body, int(time.time()) - 3600), body, "too old"),
        ({}, body, "missing"),
        (signed(tenant, method_id, body), tampered, "does not match"),
        ({SIGNATURE_HEADER: "v1=abc"}, body, "no timestamp"),
    ]
    for headers, content, message in cases:
        response = client.post(url, content=content, headers=headers)
        assert response.status_code == 400, response.text
        assert message in response.json()["error"]["message"]
    assert tenant_rows(tenant) == before
    assert client.post("/webhooks/payments/99999999", content=body, headers={}).status_code == 404
    assert client.post(url, content=b"{}", headers=signed(tenant, method_id, b"{}")).status_code == 400
    # The genuine delivery still works afterwards.
    assert client.post(url, content=body, headers=signed(tenant, method_id, body)).json() == {"status": "processed"}
    assert payment_row(tenant, outcome.payment_id).state == "captured"


def test_cancelled_confirmation_fails_the_payment(tenant: TenantCtx, client: TestClient) -> None:
    method = make_method(tenant, capture="shipment")
    order, outcome = needs_confirmation(tenant, method)
    answer(TestClient(client.app), outcome.action_url or "", "cancel")
    deliver_test_gateway_webhooks(tenant.engine, http=client)
    assert payment_row(tenant, outcome.payment_id).state == "failed"
    failed = [p for t, p in events(tenant) if t == "payment.failed.v1"]
    assert len(failed) == 1 and failed[0]["order_id"] == order
    assert failed[0]["message"] == "the customer cancelled the confirmation"


def test_confirmation_page_for_unknown_or_answered_payment(tenant: TenantCtx, client: TestClient) -> None:
    browser = TestClient(client.app)
    assert browser.get("/pay/test/tch_unknown").status_code == 404
    _, outcome = needs_confirmation(tenant, make_method(tenant))
    page = browser.get(outcome.action_url or "")
    token = CSRF.search(page.text)[1]
    assert browser.post(outcome.action_url or "", data={"decision": "confirm"}).status_code == 403  # no CSRF token
    assert browser.post(outcome.action_url or "", data={"decision": "confirm", "csrf_token": token},
                        follow_redirects=False).status_code == 303
    again = browser.post(outcome.action_url or "", data={"decision": "cancel", "csrf_token": token})
    assert again.status_code == 409 and "authorized already" in again.text


def test_dashboard_capture_and_refund_reach_us_in_process(tenant: TenantCtx, client: TestClient) -> None:
    """Without an HTTP client the job hands deliveries to the handler in-process (same signature check)."""
    method = make_method(tenant, capture="shipment")
    order, outcome = needs_confirmation(tenant, method, "80.00")
    answer(TestClient(client.app), outcome.action_url or "", "confirm")
    reference = payment_row(tenant, outcome.payment_id).reference or ""
    assert dashboard_capture(tenant.engine, reference, D("50.00")).status == "approved"
    assert dashboard_refund(tenant.engine, reference, D("20.00")).status == "approved"
    assert deliver_test_gateway_webhooks(tenant.engine).delivered >= 3
    row = payment_row(tenant, outcome.payment_id)
    assert (row.state, row.captured_amount, row.refunded_amount) == ("partially_refunded", D(50), D(20))
    assert [t for t, _ in events(tenant)] == ["payment.action_required.v1", "payment.authorized.v1",
                                              "payment.captured.v1", "payment.refunded.v1"]
    summary = perform(tenant.engine, tenant.actor, payments.payment_summary, order)
    assert [(t.kind, t.amount) for t in summary[0].transactions if t.kind != "webhook"] == [
        ("authorize", D(80)), ("capture", D(50)), ("refund", D(20))]


def test_delivery_failure_backs_off(tenant: TenantCtx, client: TestClient) -> None:
    method = make_method(tenant)
    _, outcome = needs_confirmation(tenant, method)
    answer(TestClient(client.app), outcome.action_url or "", "confirm")
    report = deliver_test_gateway_webhooks(tenant.engine, http=client, base_url="/nowhere")
    assert (report.delivered, report.failed) == (0, 1)
    with UnitOfWork(tenant.engine, readonly=True) as uow:
        row = uow.conn.execute(select(HOOKS).where(HOOKS.c.method_id == method)).one()
    assert row.attempts == 1 and row.delivered_at is None and "HTTP 404" in row.last_error
    assert deliver_test_gateway_webhooks(tenant.engine, http=client).delivered == 0  # not due yet
    assert payment_row(tenant, outcome.payment_id).state == "requires_action"


@pytest.fixture(autouse=True)
def _no_leftover_deliveries(engine) -> None:  # noqa: ANN001
    """Deliveries are global (the provider serves every tenant): start each test with none due."""
    with UnitOfWork(engine) as uow:
        uow.conn.execute(update(HOOKS).where(HOOKS.c.delivered_at.is_(None)).values(attempts=99))


def test_returning_customer_sees_the_answer_before_the_webhook(tenant: TenantCtx, client: TestClient) -> None:
    method = make_method(tenant)
    order, outcome = needs_confirmation(tenant, method)
    assert perform(tenant.engine, storefront(tenant), payments.sync_payment, order) == payments.PaymentOutcome(
        outcome.payment_id, "requires_action", outcome.action_url, "the customer must confirm the payment")
    answer(TestClient(client.app), outcome.action_url or "", "confirm")
    synced = perform(tenant.engine, storefront(tenant), payments.sync_payment, order)
    assert synced is not None and synced.state == "captured"
    before = [t for t, _ in events(tenant)]
    assert before == ["payment.action_required.v1", "payment.authorized.v1", "payment.captured.v1"]
    assert deliver_test_gateway_webhooks(tenant.engine, http=client).delivered == 1
    assert [t for t, _ in events(tenant)] == before  # the late webhook finds nothing new
    assert perform(tenant.engine, storefront(tenant), payments.sync_payment, order) is None

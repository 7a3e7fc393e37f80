"""The test gateway: a stand-in for a card network we cannot reach, strict and stateful like a real one.

It keeps its own books (`testgw_charges`, `testgw_webhooks`), so charges survive restarts and are shared by every
web process. Card numbers decide what happens:

    4242 4242 4242 4242   approved
    4000 0000 0000 0002   declined "card declined"
    4000 0000 0000 9995   declined "insufficient funds"
    4000 0000 0000 3220   needs the customer's confirmation (3-D Secure-like) on /pay/test/{reference}
    4000 0000 0000 0119   times out: the charge is made, but the answer never comes (GatewayTimeout)
    any other number      approved when it passes the Luhn check, else declined "invalid card number"

Expiry (not in the past) and CVC (3 or 4 digits) are checked too. The same idempotency key answers the same
again without a second charge; captures beyond the authorised amount and refunds beyond the captured amount are
refused. Results that happen later (the customer confirms or cancels, staff capture or refund in the provider's
"dashboard") are reported by signed webhooks, queued in `testgw_webhooks` and sent by
`deliver_test_gateway_webhooks`: `Stockyard-Test-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`.

Where the test gateway writes: calls made by our payment services run on the caller's connection, in the caller's
transaction (on SQLite a second writing connection would wait for the caller's write lock). So when a checkout
rolls back, the gateway's record of it goes too: to the rest of the system the provider never saw the request.
Confirmations, dashboard actions and webhook deliveries run in transactions of their own.
"""

import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, Row, func, select, update

from stockyard.billing.gateways import (
    AuthorizeRequest,
    CardInput,
    ChargeStatus,
    GatewayResult,
    GatewayTimeout,
    MethodConfig,
    WebhookEvent,
    WebhookRejected,
)
from stockyard.billing.models import PaymentMethod, TestGatewayCharge, TestGatewayWebhook
from stockyard.billing.rows import insert_or_skip
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.money import CENT
from stockyard.core.settings import get_settings
from stockyard.core.uow import UnitOfWork

log = logging.getLogger("stockyard.billing.test_gateway")

SIGNATURE_HEADER = "Stockyard-Test-Signature"
TOLERANCE_SECONDS = 300
DEFAULT_TIMEOUT_SECONDS = 2.0
MAX_ATTEMPTS = 10
CARDS: dict[str, tuple[str, str]] = {
    "4000000000000002": ("declined", "card declined"),
    "4000000000009995": ("declined", "insufficient funds"),
    "4000000000003220": ("requires_action", ""),
    "4000000000000119": ("timeout", ""),
}
_CHARGES = TestGatewayCharge.__table__
_HOOKS = TestGatewayWebhook.__table__
_METHODS = PaymentMethod.__table__


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_problem(card: CardInput, today: datetime) -> str | None:
    """Why the card is refused before it reaches the issuer, or None."""
    if not luhn_ok(card.digits):
        return "invalid card number"
    year = card.exp_year + 2000 if 0 <= card.exp_year < 100 else card.exp_year
    if not 1 <= card.exp_month <= 12 or year > today.year + 30:
        return "invalid expiry date"
    if (year, card.exp_month) < (today.year, today.month):
        return "card expired"
    if not (card.cvc.isdigit() and len(card.cvc) in (3, 4)):
        return "invalid security code"
    return None


def webhook_secret(method: MethodConfig) -> bytes:
    """The method's webhook signing secret; without one, a key derived from the server's secret key."""
    configured = method.secret("webhook_secret")
    if configured:
        return configured.encode()
    return hmac.new(get_settings().secret_key.encode(), f"stockyard-test-gateway-webhook/{method.id}".encode(),
                    hashlib.sha256).digest()


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: bytes, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={sign(secret, t, body)}"


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise WebhookRejected("an amount in the event is not a number") from None


def _amount_problem(amount: Decimal) -> str | None:
    if not amount.is_finite() or amount <= 0:
        return "the amount must be positive"
    if amount != amount.quantize(CENT):
        return "the amount has more than 2 decimal places"
    return None


class SimulatedCardGateway:
    key = "test"

    def __init__(self, conn: Connection, method: MethodConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.conn = conn
        self.method = method
        self.sleep = sleep
        self.outcome = str(method.settings.get("outcome") or "approve")
        self.timeout_seconds = float(method.settings.get("timeout_seconds") or DEFAULT_TIMEOUT_SECONDS)

    @classmethod
    def for_method(cls, conn: Connection, method: MethodConfig) -> "SimulatedCardGateway":
        return cls(conn, method)

    # ---- calls from our payment services ----

    def authorize(self, request: AuthorizeRequest) -> GatewayResult:
        problem = _amount_problem(request.amount)
        if problem is None and not (len(request.currency) == 3 and request.currency.isalpha()):
            problem = "the currency must be a 3-letter code"
        if problem is None and not request.idempotency_key:
            problem = "an idempotency key is required"
        if problem:
            return GatewayResult("error", message=problem)
        if request.card is None:
            return GatewayResult("error", message="the test gateway needs card details")
        now = utcnow()
        card = request.card
        behaviour, decline = CARDS.get(card.digits, ("approved", ""))
        refused = card_problem(card, now)
        if refused:
            behaviour, decline = "declined", refused
        elif self.outcome == "decline":
            behaviour, decline = "declined", "declined by the test gateway's settings"
        values: dict[str, Any] = {
            "tenant_id": self.method.tenant_id, "method_id": self.method.id, "reference": _new_reference(),
            "idempotency_key": request.idempotency_key, "amount": request.amount, "currency": request.currency.upper(),
            "captured": Decimal(0), "refunded": Decimal(0), "last4": card.digits[-4:],
            "description": request.description[:200], "return_url": request.return_url[:500],
            "capture_on_confirm": request.capture, "decline_message": decline, "created_at": now, "updated_at": now}
        if behaviour == "declined":
            values.update(result="declined", state="declined")
        elif behaviour == "requires_action":
            values.update(result="requires_action", state="requires_action")
        else:
            values.update(result="approved", state="authorized",
                          captured=request.amount if request.capture else Decimal(0))
        row = insert_or_skip(self.conn, _CHARGES, values, _CHARGES.c)
        if row is None:  # this idempotency key was seen before: answer as the first time, charge nothing
            return self._replay(self._by_key(request.idempotency_key), request)
        if behaviour == "timeout":
            # The charge is on the books; the answer is lost on the way back.
            self.sleep(self.timeout_seconds)
            raise GatewayTimeout("the test gateway did not answer in time")
        return _result_of(row)

    def capture(self, reference: str, amount: Decimal) -> GatewayResult:
        problem = _amount_problem(amount)
        if problem:
            return GatewayResult("error", reference, message=problem)
        row = self._charge(reference)
        if row is None:
            return GatewayResult("error", reference, message="no such charge")
        if row.state != "authorized":
            return GatewayResult("error", reference, message=f"the charge is {row.state}, not authorised")
        if row.refunded > 0:
            return GatewayResult("error", reference, message="the charge has refunds; it cannot be captured further")
        left = row.amount - row.captured
        if amount > left:
            return GatewayResult("error", reference,
                                 message=f"the capture exceeds the authorised amount ({left:.2f} left to capture)")
        # Limits are checked on exact decimals here (SQLite would do the sum in binary floating point); the update
        # only applies to the row as it was read, so two captures at once cannot both pass.
        if not self._update_if_unchanged(row, captured=row.captured + amount):
            return GatewayResult("error", reference, message="the charge changed meanwhile; try again")
        return GatewayResult("approved", reference, message="captured", captured=row.captured + amount)

    def void(self, reference: str) -> GatewayResult:
        row = self._charge(reference)
        if row is None:
            return GatewayResult("error", reference, message="no such charge")
        done = self.conn.execute(
            update(_CHARGES).where(_CHARGES.c.reference == reference,
                                   _CHARGES.c.state.in_(("authorized", "requires_action")), _CHARGES.c.captured == 0)
            .values(state="voided", updated_at=utcnow()))
        if done.rowcount != 1:
            why = "money was captured; refund it instead" if row.captured > 0 else f"the charge is {row.state}"
            return GatewayResult("error", reference, message=f"cannot void: {why}")
        return GatewayResult("approved", reference, message="voided")

    def void_by_key(self, idempotency_key: str) -> GatewayResult:
        """Reverses whatever the request with this key did: releases an authorisation, pays back a capture."""
        row = self._by_key(idempotency_key)
        if row is None:
            return GatewayResult("approved", message="no charge was made with this key")
        if row.state not in ("authorized", "requires_action"):
            return GatewayResult("approved", row.reference, message=f"nothing to reverse: the charge is {row.state}")
        self.conn.execute(update(_CHARGES).where(_CHARGES.c.id == row.id)
                          .values(state="voided", refunded=_CHARGES.c.captured, updated_at=utcnow()))
        return GatewayResult("approved", row.reference, message="reversed")

    def refund(self, reference: str, amount: Decimal) -> GatewayResult:
        problem = _amount_problem(amount)
        if problem:
            return GatewayResult("error", reference, message=problem)
        row = self._charge(reference)
        if row is None:
            return GatewayResult("error", reference, message="no such charge")
        left = row.captured - row.refunded
        if row.state != "authorized" or amount > left:
            return GatewayResult("error", reference,
                                 message=f"the refund exceeds the captured amount ({left:.2f} left to refund)")
        if not self._update_if_unchanged(row, refunded=row.refunded + amount):
            return GatewayResult("error", reference, message="the charge changed meanwhile; try again")
        return GatewayResult("approved", reference, message="refunded")

    def retrieve(self, reference: str) -> ChargeStatus | None:
        row = self.conn.execute(select(_CHARGES).where(_CHARGES.c.method_id == self.method.id,
                                                       _CHARGES.c.reference == reference)).first()
        if row is None:
            return None
        event = {"authorized": "captured" if row.captured > 0 else "authorized", "canceled": "failed",
                 "declined": "failed", "voided": "voided"}.get(row.state)
        return ChargeStatus(row.reference, event, row.amount, row.captured, row.refunded,  # type: ignore[arg-type]
                            row.currency, row.decline_message)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        value = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), None)
        if not value:
            raise WebhookRejected(f"the {SIGNATURE_HEADER} header is missing")
        parts: dict[str, list[str]] = {}
        for item in value.split(","):
            name, _, given = item.strip().partition("=")
            parts.setdefault(name, []).append(given)
        try:
            timestamp = int(parts.get("t", [""])[0])
        except ValueError:
            raise WebhookRejected("the signature has no timestamp") from None
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise WebhookRejected("the signature is too old (or from the future): a replayed delivery?")
        expected = sign(webhook_secret(self.method), timestamp, body)
        if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
            raise WebhookRejected("the signature does not match")
        try:
            event = json.loads(body)
            data = event["data"]
            kind = str(event["type"]).removeprefix("charge.")
            if kind not in ("authorized", "captured", "refunded", "voided", "failed"):
                raise WebhookRejected(f"unknown event type {event['type']!r}")
            if event.get("account") != self.method.id:
                raise WebhookRejected("the event is for another account")
            return WebhookEvent(str(event["id"]), kind, str(data["reference"]), _money(data["amount"]),  # type: ignore[arg-type]
                                _money(data["captured"]), _money(data["refunded"]), str(data["currency"]),
                                str(data.get("message", "")))
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("the body is not a test gateway event") from None

    # ---- the gateway's own books ----

    def _by_key(self, key: str) -> Row[Any] | None:
        return self.conn.execute(select(_CHARGES).where(_CHARGES.c.method_id == self.method.id,
                                                        _CHARGES.c.idempotency_key == key)).first()

    def _charge(self, reference: str) -> Row[Any] | None:
        return self.conn.execute(select(_CHARGES).where(_CHARGES.c.method_id == self.method.id,
                                                        _CHARGES.c.reference == reference)
                                 .with_for_update()).first()

    def _update_if_unchanged(self, row: Row[Any], **values: Any) -> bool:
        done = self.conn.execute(
            update(_CHARGES).where(_CHARGES.c.id == row.id, _CHARGES.c.state == row.state,
                                   _CHARGES.c.captured == row.captured, _CHARGES.c.refunded == row.refunded)
            .values(updated_at=utcnow(), **values))
        return done.rowcount == 1

    def _replay(self, row: Row[Any] | None, request: AuthorizeRequest) -> GatewayResult:
        if row is None:
            return GatewayResult("error", message="the charge for this idempotency key vanished")
        if row.amount != request.amount or row.currency != request.currency.upper():
            return GatewayResult("error", row.reference,
                                 message="this idempotency key was used for a different payment")
        return _result_of(row)


class SimulatedCardProvider:
    """The test gateway as the storefront checkout calls it, from outside any transaction of ours, as it would call
    a remote provider: each call is booked in a short transaction of its own and stays booked whatever becomes of
    the order; the timeout card's lost answer is waited for with no transaction open."""

    def __init__(self, engine: Engine, method: MethodConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.engine = engine
        self.method = method
        self.sleep = sleep

    def authorize(self, request: AuthorizeRequest) -> GatewayResult:
        with UnitOfWork(self.engine) as books:
            gateway = SimulatedCardGateway(books.conn, self.method, sleep=lambda _: None)
            try:
                return gateway.authorize(request)
            except GatewayTimeout as timeout:  # booked: commit it, then keep the caller waiting
                lost = timeout
        self.sleep(gateway.timeout_seconds)
        raise lost

    def void_by_key(self, idempotency_key: str) -> GatewayResult:
        with UnitOfWork(self.engine) as books:
            return SimulatedCardGateway(books.conn, self.method).void_by_key(idempotency_key)


def _new_reference() -> str:
    return "tch_" + secrets.token_urlsafe(18)


def _result_of(row: Row[Any]) -> GatewayResult:
    if row.result == "declined":
        return GatewayResult("declined", row.reference, message=row.decline_message or "declined")
    if row.state == "requires_action":
        return GatewayResult("requires_action", row.reference, action_url=confirmation_url(row.reference),
                             message="the customer must confirm the payment")
    if row.state == "canceled":
        return GatewayResult("declined", row.reference, message=row.decline_message or "cancelled by the customer")
    return GatewayResult("approved", row.reference, message="approved", captured=row.captured)


def confirmation_url(reference: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/pay/test/{reference}"


# ---- what happens later, at the provider: the customer's confirmation, dashboard actions, webhooks ----------------

@dataclass(frozen=True)
class ChargeView:
    reference: str
    amount: Decimal
    currency: str
    description: str
    last4: str
    state: str
    return_url: str


def charge_view(engine: Engine, reference: str) -> ChargeView:
    with UnitOfWork(engine, readonly=True) as uow:
        row = uow.conn.execute(select(_CHARGES).where(_CHARGES.c.reference == reference)).first()
    if row is None:
        raise NotFound("no such payment at the test gateway", field="reference")
    return ChargeView(row.reference, row.amount, row.currency, row.description, row.last4, row.state, row.return_url)


def confirm_charge(engine: Engine, reference: str, approve: bool) -> str:
    """The customer confirmed (or cancelled) on the confirmation page; returns where to send them back to."""
    with UnitOfWork(engine) as uow:
        row = uow.conn.execute(select(_CHARGES).where(_CHARGES.c.reference == reference)).first()
        if row is None:
            raise NotFound("no such payment at the test gateway", field="reference")
        values: dict[str, Any] = ({"state": "authorized", "captured": row.amount if row.capture_on_confirm else 0}
                                  if approve else
                                  {"state": "canceled", "decline_message": "the customer cancelled the confirmation"})
        done = uow.conn.execute(update(_CHARGES).where(_CHARGES.c.id == row.id, _CHARGES.c.state == "requires_action")
                                .values(updated_at=utcnow(), **values).returning(*_CHARGES.c)).first()
        if done is None:
            raise Conflict(f"this payment is {row.state} already", field="reference")
        kind = ("captured" if done.captured > 0 else "authorized") if approve else "failed"
        queue_webhook(uow.conn, done, kind)
        return row.return_url


def dashboard_capture(engine: Engine, reference: str, amount: Decimal) -> GatewayResult:
    """Staff capture in the provider's own dashboard; we learn of it by webhook."""
    return _dashboard(engine, reference, "captured", lambda gw: gw.capture(reference, amount))


def dashboard_refund(engine: Engine, reference: str, amount: Decimal) -> GatewayResult:
    """Staff refund in the provider's own dashboard; we learn of it by webhook."""
    return _dashboard(engine, reference, "refunded", lambda gw: gw.refund(reference, amount))


def _dashboard(engine: Engine, reference: str, kind: str,
               action: Callable[[SimulatedCardGateway], GatewayResult]) -> GatewayResult:
    with UnitOfWork(engine) as uow:
        method_id = uow.conn.execute(select(_CHARGES.c.method_id).where(_CHARGES.c.reference == reference)).scalar()
        if method_id is None:
            raise NotFound("no such payment at the test gateway", field="reference")
        gateway = SimulatedCardGateway(uow.conn, _method(uow.conn, method_id))
        result = action(gateway)
        if result.status == "approved":
            queue_webhook(uow.conn, gateway._charge(reference), kind)
        return result


def _method(conn: Connection, method_id: int) -> MethodConfig:
    row = conn.execute(select(_METHODS).where(_METHODS.c.id == method_id)).first()
    if row is None:
        raise NotFound(f"unknown payment method {method_id}", field="method_id")
    return MethodConfig(row.id, row.tenant_id, row.name, row.gateway, row.active, dict(row.settings or {}),
                        dict(row.secrets or {}))


def queue_webhook(conn: Connection, charge: Row[Any] | None, kind: str) -> str:
    if charge is None:
        raise NotFound("no such payment at the test gateway", field="reference")
    event_id = "evt_" + uuid.uuid4().hex
    now = utcnow()
    payload = {"id": event_id, "type": f"charge.{kind}", "created": int(time.time()), "account": charge.method_id,
               "data": {"reference": charge.reference, "amount": str(charge.amount), "captured": str(charge.captured),
                        "refunded": str(charge.refunded), "currency": charge.currency, "state": charge.state,
                        "message": charge.decline_message}}
    conn.execute(_HOOKS.insert().values(tenant_id=charge.tenant_id, method_id=charge.method_id, event_id=event_id,
                                        type=f"charge.{kind}", payload=payload, created_at=now, attempts=0,
                                        next_attempt_at=now, last_error=""))
    return event_id


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int
    failed: int


def deliver_test_gateway_webhooks(engine: Engine, *, http: httpx.Client | None = None, base_url: str = "",
                                  limit: int = 100) -> DeliveryReport:
    """Sends the queued webhooks that are due, oldest first; a failed one is retried later with backoff.

    With `base_url` (or an `http` client, such as a TestClient, whose own base URL points at the app) each event is
    POSTed to {base_url}/webhooks/payments/{method_id}, the way the remote provider would call us. Without either,
    the event is handed to the webhook handler in this process: same signature check, no network hop — the
    embedded default, where the app and the "provider" share one process.
    """
    now = utcnow()
    with UnitOfWork(engine, readonly=True) as uow:
        due = uow.conn.execute(
            select(_HOOKS.c.id, _HOOKS.c.method_id, _HOOKS.c.payload, _HOOKS.c.attempts, _HOOKS.c.next_attempt_at)
            .where(_HOOKS.c.delivered_at.is_(None), _HOOKS.c.next_attempt_at <= now,
                   _HOOKS.c.attempts < MAX_ATTEMPTS)
            .order_by(_HOOKS.c.id).limit(limit)).all()
    if not due:
        return DeliveryReport(0, 0)
    own_client = http is None and bool(base_url)
    client = httpx.Client(timeout=10.0) if own_client else http
    delivered = failed = 0
    try:
        for hook in due:
            with UnitOfWork(engine) as uow:  # claim it, so that another worker does not send it at the same time
                claimed = uow.conn.execute(
                    update(_HOOKS).where(_HOOKS.c.id == hook.id, _HOOKS.c.delivered_at.is_(None),
                                         _HOOKS.c.next_attempt_at == hook.next_attempt_at)
                    .values(next_attempt_at=now + timedelta(seconds=60), attempts=_HOOKS.c.attempts + 1)).rowcount
                secret = webhook_secret(_method(uow.conn, hook.method_id)) if claimed else b""
            if not claimed:
                continue
            body = json.dumps(hook.payload, separators=(",", ":"), sort_keys=True).encode()
            headers = {SIGNATURE_HEADER: signature_header(secret, body), "Content-Type": "application/json"}
            error = _send(engine, client, base_url, hook.method_id, headers, body)
            with UnitOfWork(engine) as uow:
                if error is None:
                    values: dict[str, Any] = {"delivered_at": utcnow(), "last_error": ""}
                    delivered += 1
                else:
                    backoff = min(3600, 10 * 2 ** hook.attempts)
                    values = {"next_attempt_at": utcnow() + timedelta(seconds=backoff), "last_error": error[:300]}
                    failed += 1
                    log.warning("test gateway webhook %s failed: %s", hook.id, error)
                uow.conn.execute(update(_HOOKS).where(_HOOKS.c.id == hook.id).values(**values))
    finally:
        if own_client and client is not None:
            client.close()
    return DeliveryReport(delivered, failed)


def _send(engine: Engine, client: httpx.Client | None, base_url: str, method_id: int, headers: dict[str, str],
          body: bytes) -> str | None:
    """None when the receiver took the event, else why not."""
    if client is not None:
        try:
            response = client.post(f"{base_url.rstrip('/')}/webhooks/payments/{method_id}", content=body,
                                   headers=headers)
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"
        return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}: {response.text[:200]}"
    from stockyard.billing.payments import handle_webhook

    try:
        handle_webhook(engine, method_id, headers, body)
    except Exception as error:  # the receiver refused it: keep it queued, as an HTTP error would
        return f"{type(error).__name__}: {error}"
    return None


def pending_webhooks(engine: Engine, method_id: int) -> int:
    with UnitOfWork(engine, readonly=True) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(_HOOKS).where(
            _HOOKS.c.method_id == method_id, _HOOKS.c.delivered_at.is_(None))).scalar() or 0)

"""Payment use cases. Each runs in the caller's unit of work (one transaction), checks a permission, writes the
payment, its append-only transaction log and `payment.*` outbox events, and never touches order tables: the sales
services call these inside their own transaction and move the order's state themselves (on the events, or on the
returned outcome).

Events: payment.pending.v1 (manual method, waiting for the money), payment.action_required.v1 (the customer must
confirm), payment.authorized.v1, payment.captured.v1, payment.refunded.v1, payment.voided.v1, payment.failed.v1.
"""

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Row, select, update

from stockyard.billing.errors import PaymentDeclined, PaymentFailed, PaymentTimedOut
from stockyard.billing.gateways import (
    AuthorizeRequest,
    CardInput,
    CheckoutGateway,
    Gateway,
    GatewayResult,
    GatewayTimeout,
    MethodConfig,
    WebhookEvent,
    build_gateway,
    checkout_gateway,
    load_method,
)
from stockyard.billing.models import Payment, PaymentMethod, PaymentTransaction
from stockyard.billing.payment_rules import CAPTURABLE, LIVE, REFUNDABLE, VOIDABLE, state_after
from stockyard.billing.rows import insert_or_skip
from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.money import CENT, round_money
from stockyard.core.outbox import add_events
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import (
    FULFILMENT_SHIP,
    ORDERS_CANCEL,
    ORDERS_MANAGE,
    ORDERS_PLACE,
    ORDERS_VIEW,
    RETURNS_REFUND,
)

_PAY = Payment.__table__
_TX = PaymentTransaction.__table__
_METHODS = PaymentMethod.__table__
TIMED_OUT = "the payment provider did not answer; you have not been charged. Please try again."


@dataclass(frozen=True)
class TakePayment:
    order_id: int
    method_id: int
    amount: Decimal
    currency: str
    idempotency_key: str
    card: CardInput | None = None
    token: str | None = None
    return_url: str = ""
    description: str = ""


@dataclass(frozen=True)
class PaymentOutcome:
    payment_id: int
    state: str
    action_url: str | None
    message: str


@dataclass(frozen=True)
class RefundPayment:
    order_id: int
    amount: Decimal | None = None  # None: everything captured and not yet refunded
    reason: str = ""


def _amount(value: Decimal, name: str = "amount") -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValidationFailed("must be a positive amount", field=name)
    if value != value.quantize(CENT):
        raise ValidationFailed("has more than 2 decimal places", field=name)
    return value


def _payload(row: Row[Any] | Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """What every payment event carries: the payment after the change."""
    values = {**(row._mapping if isinstance(row, Row) else row), **changes}
    return {"payment_id": values["id"], "order_id": values["order_id"], "method_id": values["method_id"],
            "gateway": values["gateway"], "state": values["state"], "currency": values["currency"],
            "authorized_amount": _m(values["amount"]), "captured_amount": _m(values["captured_amount"]),
            "refunded_amount": _m(values["refunded_amount"]), "reference": values["reference"]}


def _m(amount: Decimal) -> str:
    """An amount as events and JSON carry it: a string with two decimals."""
    return str(round_money(amount))


def _log(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    now = utcnow()
    base = {"tenant_id": uow.tenant_id, "amount": Decimal(0), "success": True, "message": "", "reference": None,
            "event_id": None, "created_at": now}
    uow.conn.execute(_TX.insert().values([{**base, **r} for r in rows]))  # one statement, however many rows


# ---- taking the payment at checkout ---------------------------------------------------------------------------

def payment_request(method: MethodConfig, amount: Decimal, currency: str, idempotency_key: str,
                    card: CardInput | None = None, token: str | None = None, description: str = "",
                    return_url: str = "") -> AuthorizeRequest:
    """What we ask the provider, checked first: a positive amount in cents, a currency, a key, an active method."""
    amount = _amount(amount)
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationFailed("must be a 3-letter currency code", field="currency")
    if not 1 <= len(idempotency_key) <= 80:
        raise ValidationFailed("must be 1 to 80 characters", field="idempotency_key")
    if not method.active:
        raise Conflict(f"the payment method '{method.name}' is not available", field="method_id")
    capture_now = method.capture_mode == "order" and not method.is_manual
    return AuthorizeRequest(amount, currency, idempotency_key, card, token, description, return_url,
                            capture=capture_now)


def _authorize(gateway: CheckoutGateway, request: AuthorizeRequest) -> GatewayResult:
    """The provider's answer; a decline, a failure or a timeout (reversed at once) raises."""
    try:
        result = gateway.authorize(request)
    except GatewayTimeout:
        _reverse(gateway, request.idempotency_key)
        raise PaymentTimedOut(TIMED_OUT, field="payment") from None
    if result.status == "declined":
        raise PaymentDeclined(f"the payment was declined: {result.message}", field="card")
    if result.status == "error":
        raise PaymentFailed(f"the payment could not be made: {result.message}", field="payment")
    return result  # approved, or pending (manual) / requires_action (the customer confirms first)


def take_payment(uow: UnitOfWork, cmd: TakePayment) -> PaymentOutcome:
    """Authorises (and, when the method captures at order, captures) the order's payment inside the caller's
    transaction (staff phone orders). A decline or a timeout raises PaymentDeclined / PaymentTimedOut, so the
    caller's transaction, and the order with it, rolls back. The storefront checkout asks the provider outside its
    transactions instead (authorize_at_checkout)."""
    uow.require(ORDERS_PLACE)
    method = load_method(uow, cmd.method_id)
    request = payment_request(method, cmd.amount, cmd.currency, cmd.idempotency_key, cmd.card, cmd.token,
                              cmd.description, cmd.return_url)
    result = _authorize(build_gateway(uow, method), request)
    return record_authorization(uow, cmd.order_id, method, request, result)


def authorize_at_checkout(engine: Engine, method: MethodConfig, request: AuthorizeRequest) -> GatewayResult:
    """The checkout's call to the provider, made while no transaction of ours is open (no lock is held however
    long the provider takes). Raises PaymentDeclined / PaymentFailed / PaymentTimedOut."""
    return _authorize(checkout_gateway(engine, method), request)


def reverse_at_checkout(engine: Engine, method: MethodConfig, idempotency_key: str) -> None:
    """Undo at the provider what the checkout's authorisation did, when its order could not be written."""
    _reverse(checkout_gateway(engine, method), idempotency_key)


def record_authorization(uow: UnitOfWork, order_id: int, method: MethodConfig, request: AuthorizeRequest,
                         result: GatewayResult,
                         events: list[tuple[str, dict[str, Any]]] | None = None) -> PaymentOutcome:
    """The payment of an order, as the provider answered `request`: its row, its log and its events (appended to
    `events` when given, for the caller to write with its own in one outbox statement)."""
    amount, currency = request.amount, request.currency
    state = state_after(amount, result.captured, Decimal(0)) if result.status == "approved" else result.status
    now = utcnow()
    values = {"tenant_id": uow.tenant_id, "order_id": order_id, "method_id": method.id, "gateway": method.gateway,
              "state": state, "amount": amount, "captured_amount": result.captured, "refunded_amount": Decimal(0),
              "currency": currency, "reference": result.reference, "idempotency_key": request.idempotency_key,
              "capture_mode": method.capture_mode, "action_url": result.action_url,
              "message": result.message[:300], "created_at": now, "updated_at": now}
    inserted = insert_or_skip(uow.conn, _PAY, values, [_PAY.c.id])
    if inserted is None:  # this idempotency key was paid before: the same answer, nothing charged again
        return _replayed(uow, order_id, request.idempotency_key)
    row = {**values, "id": inserted.id}
    log = [{"payment_id": row["id"], "kind": "authorize", "amount": amount, "reference": result.reference,
            "message": result.message[:300]}]
    emitted: list[tuple[str, dict[str, Any]]] = []
    if state in ("pending", "requires_action"):
        emitted.append((f"payment.{'pending' if state == 'pending' else 'action_required'}.v1", _payload(row)))
    else:
        emitted.append(("payment.authorized.v1", _payload(row, captured_amount=Decimal(0), state="authorized")))
        if result.captured > 0:
            log.append({"payment_id": row["id"], "kind": "capture", "amount": result.captured,
                        "reference": result.reference, "message": "captured at order"})
            emitted.append(("payment.captured.v1", {**_payload(row), "amount": _m(result.captured)}))
    _log(uow, log)
    if events is None:
        add_events(uow, emitted)
    else:
        events.extend(emitted)
    return PaymentOutcome(row["id"], state, result.action_url, result.message)


def _reverse(gateway: CheckoutGateway, key: str) -> None:
    """Best effort after a timeout: undo at the gateway whatever the unanswered request did."""
    with contextlib.suppress(GatewayTimeout):  # else the provider's expiry releases an uncaptured authorisation
        gateway.void_by_key(key)


def _replayed(uow: UnitOfWork, order_id: int, key: str) -> PaymentOutcome:
    row = uow.conn.execute(select(_PAY).where(_PAY.c.tenant_id == uow.tenant_id,
                                              _PAY.c.idempotency_key == key)).first()
    if row is None or row.order_id != order_id:
        raise Conflict("this idempotency key was used for another payment", field="idempotency_key")
    return PaymentOutcome(row.id, row.state, row.action_url, row.message)


# ---- after the order: capture, void, refund, mark paid --------------------------------------------------------

def _payment(uow: UnitOfWork, order_id: int, states: tuple[str, ...], doing: str) -> Row[Any]:
    """The order's newest payment in one of `states`, locked; a clear refusal when there is none."""
    rows = uow.conn.execute(
        select(_PAY).where(_PAY.c.tenant_id == uow.tenant_id, _PAY.c.order_id == order_id)
        .order_by(_PAY.c.id.desc()).with_for_update()).all()
    if not rows:
        raise NotFound(f"order {order_id} has no payment", field="order_id")
    for row in rows:
        if row.state in states:
            return row
    raise Conflict(f"cannot {doing}: the order's payment is {rows[0].state}", field="order_id")


def _save(uow: UnitOfWork, row: Row[Any], **values: Any) -> None:
    """Writes the payment's new values, if nobody changed it since it was read (the rowcount proves it)."""
    done = uow.conn.execute(
        update(_PAY).where(_PAY.c.id == row.id, _PAY.c.tenant_id == uow.tenant_id, _PAY.c.state == row.state,
                           _PAY.c.captured_amount == row.captured_amount,
                           _PAY.c.refunded_amount == row.refunded_amount)
        .values(updated_at=utcnow(), **values))
    if done.rowcount != 1:
        raise Conflict("the payment changed meanwhile; try again", field="payment")


def _gateway_of(uow: UnitOfWork, row: Row[Any]) -> Gateway:
    return build_gateway(uow, load_method(uow, row.method_id))


def _require_any(uow: UnitOfWork, *permissions: str) -> None:
    actor = uow.actor
    if actor is not None and any(actor.can(p) for p in permissions):
        return
    name = actor.name if actor else "nobody"
    raise PermissionDenied(f"'{name}' lacks the permission {' or '.join(permissions)}", field="permission")


def capture_payment(uow: UnitOfWork, order_id: int, amount: Decimal | None = None) -> PaymentOutcome:
    """Captures the authorised payment (at shipment): all that is left, or part of it; several partial captures
    may follow each other up to the authorised amount."""
    _require_any(uow, FULFILMENT_SHIP, ORDERS_MANAGE)
    row = _payment(uow, order_id, CAPTURABLE + ("pending",), "capture")
    if row.state == "pending":
        raise Conflict("a manual payment is not captured: mark it paid when the money arrives", field="order_id")
    return _capture(uow, row, None if amount is None else _amount(amount))


def capture_for_shipment(uow: UnitOfWork, order_id: int, amount: Decimal, final: bool = False) -> PaymentOutcome | None:
    """What shipping an order does to its payment: a payment captured at shipment is captured for the value that
    left (rounded to cents; at most what is left of the authorisation), and in full on the last shipment. Payments
    captured at order, manual payments (cash on delivery is marked paid) and orders without a payment: nothing."""
    _require_any(uow, FULFILMENT_SHIP, ORDERS_MANAGE)
    row = _live_payment(uow, order_id)
    if row is None or row.capture_mode != "shipment" or row.state not in CAPTURABLE:
        return None
    left = row.amount - row.captured_amount
    value = round_money(amount)
    part = left if final or value >= left else value
    return _capture(uow, row, part) if part > 0 else None


def _live_payment(uow: UnitOfWork, order_id: int) -> Row[Any] | None:
    return uow.conn.execute(
        select(_PAY).where(_PAY.c.tenant_id == uow.tenant_id, _PAY.c.order_id == order_id, _PAY.c.state.in_(LIVE))
        .order_by(_PAY.c.id.desc()).limit(1).with_for_update()).first()


def _capture(uow: UnitOfWork, row: Row[Any], amount: Decimal | None) -> PaymentOutcome:
    left = row.amount - row.captured_amount
    amount = left if amount is None else amount
    if amount > left:
        raise Conflict(f"cannot capture {amount:.2f} {row.currency}: {left:.2f} of the authorised "
                       f"{row.amount:.2f} is left", field="amount")
    try:
        result = _gateway_of(uow, row).capture(row.reference, amount)
    except GatewayTimeout:
        raise PaymentTimedOut("the payment provider did not answer; nothing was captured, try again",
                              field="payment") from None
    if result.status != "approved":
        raise Conflict(f"the payment provider refused the capture: {result.message}", field="amount")
    captured = row.captured_amount + amount
    state = state_after(row.amount, captured, row.refunded_amount)
    _save(uow, row, captured_amount=captured, state=state)
    _log(uow, [{"payment_id": row.id, "kind": "capture", "amount": amount, "reference": row.reference,
                "message": result.message[:300]}])
    add_events(uow, [("payment.captured.v1", {**_payload(row, captured_amount=captured, state=state),
                                              "amount": _m(amount)})])
    return PaymentOutcome(row.id, state, None, result.message)


def void_payment(uow: UnitOfWork, order_id: int) -> PaymentOutcome:
    """Releases an authorisation nobody captured (or drops a manual payment still waiting), e.g. on cancel."""
    uow.require(ORDERS_CANCEL)
    row = _payment(uow, order_id, VOIDABLE, "void the payment")
    try:
        result = _gateway_of(uow, row).void(row.reference or "")
    except GatewayTimeout:
        raise PaymentTimedOut("the payment provider did not answer; the payment was not voided, try again",
                              field="payment") from None
    if result.status != "approved":
        raise Conflict(f"the payment provider refused the void: {result.message}", field="order_id")
    message = result.message
    _save(uow, row, state="voided", action_url=None)
    _log(uow, [{"payment_id": row.id, "kind": "void", "reference": row.reference, "message": message[:300]}])
    add_events(uow, [("payment.voided.v1", _payload(row, state="voided"))])
    return PaymentOutcome(row.id, "voided", None, message)


def refund_payment(uow: UnitOfWork, cmd: RefundPayment) -> PaymentOutcome:
    """Pays back part or all of what was captured; several partial refunds up to the captured amount."""
    uow.require(RETURNS_REFUND)
    return _refund(uow, cmd)


def _refund(uow: UnitOfWork, cmd: RefundPayment) -> PaymentOutcome:
    row = _payment(uow, cmd.order_id, REFUNDABLE, "refund")
    left = row.captured_amount - row.refunded_amount
    amount = left if cmd.amount is None else _amount(cmd.amount)
    if amount > left:
        raise Conflict(f"cannot refund {amount:.2f} {row.currency}: {left:.2f} of the captured "
                       f"{row.captured_amount:.2f} is left to refund", field="amount")
    try:
        result = _gateway_of(uow, row).refund(row.reference or "", amount)
    except GatewayTimeout:
        raise PaymentTimedOut("the payment provider did not answer; nothing was refunded, try again",
                              field="payment") from None
    if result.status != "approved":
        raise Conflict(f"the payment provider refused the refund: {result.message}", field="amount")
    refunded = row.refunded_amount + amount
    state = state_after(row.amount, row.captured_amount, refunded)
    _save(uow, row, refunded_amount=refunded, state=state)
    reason = cmd.reason.strip()[:200]
    _log(uow, [{"payment_id": row.id, "kind": "refund", "amount": amount, "reference": row.reference,
                "message": "; ".join(m for m in (reason, result.message) if m)[:300]}])
    add_events(uow, [("payment.refunded.v1", {**_payload(row, refunded_amount=refunded, state=state),
                                              "amount": _m(amount), "reason": reason})])
    return PaymentOutcome(row.id, state, None, result.message)


def mark_paid(uow: UnitOfWork, order_id: int, reference: str) -> PaymentOutcome:
    """Staff record that the bank transfer arrived (or the courier brought the cash): the whole amount is paid."""
    uow.require(ORDERS_MANAGE)
    reference = reference.strip()
    if not 1 <= len(reference) <= 100:
        raise ValidationFailed("give the bank or receipt reference (at most 100 characters)", field="reference")
    row = _payment(uow, order_id, ("pending",), "mark it paid")
    _save(uow, row, state="captured", captured_amount=row.amount, reference=reference)
    _log(uow, [{"payment_id": row.id, "kind": "capture", "amount": row.amount, "reference": reference,
                "message": f"marked paid by {uow.actor.name if uow.actor else 'staff'}"[:300]}])
    add_events(uow, [("payment.captured.v1", {**_payload(row, captured_amount=row.amount, state="captured",
                                                         reference=reference),
                                              "amount": _m(row.amount), "manual": True})])
    return PaymentOutcome(row.id, "captured", None, "marked paid")


# ---- webhooks -------------------------------------------------------------------------------------------------

def handle_webhook(engine: Engine, method_id: int, headers: dict[str, str], body: bytes) -> str:
    """Verifies a gateway's webhook and applies it in a transaction of its own. Returns "processed", "duplicate"
    (this event was applied before: nothing changes) or "ignored" (no payment of ours has that charge).
    Raises WebhookRejected for a bad or stale signature, NotFound for an unknown payment method."""
    with UnitOfWork(engine, readonly=True) as lookup:
        tenant_id = lookup.conn.execute(select(_METHODS.c.tenant_id).where(_METHODS.c.id == method_id)).scalar()
    if tenant_id is None:
        raise NotFound(f"unknown payment method {method_id}", field="method_id")
    with UnitOfWork(engine, system_actor(tenant_id, "payment gateway webhook")) as uow:
        event = build_gateway(uow, load_method(uow, method_id)).verify_webhook(headers, body)
        row = uow.conn.execute(
            select(_PAY).where(_PAY.c.tenant_id == tenant_id, _PAY.c.method_id == method_id,
                               _PAY.c.reference == event.reference).with_for_update()).first()
        if row is None:
            return "ignored"
        seen = insert_or_skip(uow.conn, _TX, {
            "tenant_id": tenant_id, "payment_id": row.id, "kind": "webhook", "amount": Decimal(0), "success": True,
            "message": f"{event.type} reported by the gateway"[:300], "reference": event.reference,
            "event_id": event.id, "created_at": utcnow()}, [_TX.c.id])
        if seen is None:
            return "duplicate"
        _apply(uow, row, event)
        return "processed"


def _apply(uow: UnitOfWork, row: Row[Any], event: WebhookEvent) -> None:
    """Brings the payment up to what the gateway reports. Totals only grow, so an old or repeated event that
    reports less than we know changes nothing."""
    state, captured, refunded = row.state, row.captured_amount, row.refunded_amount
    events: list[tuple[str, dict[str, Any]]] = []
    log: list[dict[str, Any]] = []
    if event.type == "failed":
        if state in ("requires_action", "pending"):
            state = "failed"
            events.append(("payment.failed.v1", {**_payload(row, state=state), "message": event.message}))
    elif event.type == "voided":
        if state in VOIDABLE:
            state = "voided"
            events.append(("payment.voided.v1", _payload(row, state=state)))
    else:
        if state == "requires_action":
            state = "authorized"
            events.append(("payment.authorized.v1", _payload(row, state=state)))
        if state in CAPTURABLE + REFUNDABLE + ("refunded",):
            if captured < event.captured <= row.amount:
                delta, captured = event.captured - captured, event.captured
                log.append({"payment_id": row.id, "kind": "capture", "amount": delta, "reference": row.reference,
                            "message": "captured, reported by the gateway"})
                events.append(("payment.captured.v1", {**_payload(row, captured_amount=captured,
                                                                  state=state_after(row.amount, captured, refunded)),
                                                       "amount": _m(delta)}))
            if refunded < event.refunded <= captured:
                delta, refunded = event.refunded - refunded, event.refunded
                log.append({"payment_id": row.id, "kind": "refund", "amount": delta, "reference": row.reference,
                            "message": "refunded, reported by the gateway"})
                events.append(("payment.refunded.v1", {
                    **_payload(row, captured_amount=captured, refunded_amount=refunded,
                               state=state_after(row.amount, captured, refunded)), "amount": _m(delta),
                    "reason": "refunded at the payment provider"}))
            state = state_after(row.amount, captured, refunded)
    if (state, captured, refunded) == (row.state, row.captured_amount, row.refunded_amount):
        return
    _save(uow, row, state=state, captured_amount=captured, refunded_amount=refunded,
          action_url=None if state != "requires_action" else row.action_url)
    if log:
        _log(uow, log)
    add_events(uow, events)


def sync_payment(uow: UnitOfWork, order_id: int) -> PaymentOutcome | None:
    """Asks the gateway about a payment still waiting for the customer's confirmation and applies the answer, so the
    page the customer returns to is right before the webhook arrives (which then changes nothing). None when the
    order has no payment waiting."""
    uow.require(ORDERS_PLACE)
    row = uow.conn.execute(
        select(_PAY).where(_PAY.c.tenant_id == uow.tenant_id, _PAY.c.order_id == order_id,
                           _PAY.c.state == "requires_action").order_by(_PAY.c.id.desc()).with_for_update()).first()
    if row is None or row.reference is None:
        return None
    status = _gateway_of(uow, row).retrieve(row.reference)
    if status is None or status.event is None:
        return PaymentOutcome(row.id, row.state, row.action_url, row.message)
    _apply(uow, row, WebhookEvent("", status.event, status.reference, status.amount, status.captured,
                                  status.refunded, status.currency, status.message))
    after = uow.conn.execute(select(_PAY.c.state, _PAY.c.message).where(_PAY.c.id == row.id)).one()
    return PaymentOutcome(row.id, after.state, None, status.message or after.message)


def settle_cancelled_order(uow: UnitOfWork, order_id: int, reason: str = "order cancelled") -> PaymentOutcome | None:
    """For cancelling an order: voids its payment while nothing is captured, else refunds what was captured and not
    yet refunded. Part of the cancellation, so it needs orders.cancel only. None when there is nothing to release."""
    uow.require(ORDERS_CANCEL)
    rows = uow.conn.execute(select(_PAY.c.state).where(_PAY.c.tenant_id == uow.tenant_id,
                                                       _PAY.c.order_id == order_id)).all()
    states = {r.state for r in rows}
    if states & set(VOIDABLE):
        return void_payment(uow, order_id)
    if states & set(REFUNDABLE):
        return _refund(uow, RefundPayment(order_id, None, reason))
    return None


def adjust_amount(uow: UnitOfWork, order_id: int, new_total: Decimal) -> PaymentOutcome | None:
    """The order's total changed (lines edited before picking). A manual payment waiting for its money takes the new
    total; an uncaptured authorisation is lowered to it; money captured above it is refunded. A total above what a
    card authorised cannot be charged on that payment: refused. None when the order has no payment."""
    uow.require(ORDERS_MANAGE)
    new_total = _amount(round_money(new_total), "grand_total")
    row = _live_payment(uow, order_id)
    if row is None or new_total == row.amount:
        return None
    if row.state == "requires_action":
        raise Conflict("the customer has not confirmed the payment yet; change the order afterwards", field="payment")
    if new_total > row.amount and row.state != "pending":  # nothing was promised by a card yet: any total
        raise Conflict(f"the new total {new_total:.2f} is above the {row.amount:.2f} {row.currency} the payment "
                       "covers; cancel and take a new payment", field="grand_total")
    if row.captured_amount > new_total:  # money was taken beyond the new total: pay the difference back
        extra = row.captured_amount - row.refunded_amount - new_total
        outcome = _refund(uow, RefundPayment(order_id, extra, "order total lowered")) if extra > 0 else None
        return outcome
    state = row.state if row.state == "pending" else state_after(new_total, row.captured_amount,
                                                                  row.refunded_amount)
    _save(uow, row, amount=new_total, state=state)
    add_events(uow, [("payment.amount_changed.v1", {**_payload(row, amount=new_total, state=state),
                                                    "before": _m(row.amount), "after": _m(new_total)})])
    return PaymentOutcome(row.id, state, None, f"amount changed from {row.amount:.2f} to {new_total:.2f}")


# ---- read model -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TransactionView:
    id: int
    kind: str
    amount: Decimal
    success: bool
    message: str
    reference: str | None
    created_at: datetime


@dataclass(frozen=True)
class PaymentView:
    id: int
    method_id: int
    method_name: str
    gateway: str
    state: str
    amount: Decimal
    captured_amount: Decimal
    refunded_amount: Decimal
    currency: str
    reference: str | None
    capture_mode: str
    action_url: str | None
    message: str
    created_at: datetime
    updated_at: datetime
    transactions: list[TransactionView] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.state in LIVE

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "method_id": self.method_id, "method": self.method_name, "gateway": self.gateway,
                "state": self.state, "amount": _m(self.amount), "captured_amount": _m(self.captured_amount),
                "refunded_amount": _m(self.refunded_amount), "currency": self.currency, "reference": self.reference,
                "capture_mode": self.capture_mode, "action_url": self.action_url, "message": self.message,
                "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
                "transactions": [{"id": t.id, "kind": t.kind, "amount": _m(t.amount), "success": t.success,
                                  "message": t.message, "reference": t.reference,
                                  "created_at": t.created_at.isoformat()} for t in self.transactions]}


@requires(ORDERS_VIEW)
def payment_summary(uow: UnitOfWork, order_id: int) -> list[PaymentView]:
    """The order's payments, oldest first, each with its transaction log."""
    rows = uow.conn.execute(
        select(_PAY, _METHODS.c.name.label("method_name")).join(_METHODS, _METHODS.c.id == _PAY.c.method_id)
        .where(_PAY.c.tenant_id == uow.tenant_id, _PAY.c.order_id == order_id).order_by(_PAY.c.id)).all()
    if not rows:
        return []
    by_payment: dict[int, list[TransactionView]] = {r.id: [] for r in rows}
    for t in uow.conn.execute(select(_TX).where(_TX.c.tenant_id == uow.tenant_id,
                                                _TX.c.payment_id.in_(list(by_payment))).order_by(_TX.c.id)):
        by_payment[t.payment_id].append(TransactionView(t.id, t.kind, t.amount, t.success, t.message, t.reference,
                                                        t.created_at))
    return [PaymentView(r.id, r.method_id, r.method_name, r.gateway, r.state, r.amount, r.captured_amount,
                        r.refunded_amount, r.currency, r.reference, r.capture_mode, r.action_url, r.message,
                        r.created_at, r.updated_at, by_payment[r.id]) for r in rows]


def order_payment_state(uow: UnitOfWork, order_id: int) -> tuple[str | None, Decimal]:
    """The state of the order's latest payment and the amount captured (net of nothing), for other contexts'
    services that move the order on (sales: paid once the money is there). Part of those transitions, so it
    checks no permission of its own and reveals nothing a page shows."""
    rows = uow.conn.execute(select(_PAY.c.state, _PAY.c.captured_amount).where(
        _PAY.c.tenant_id == uow.tenant_id, _PAY.c.order_id == order_id).order_by(_PAY.c.id)).all()
    if not rows:
        return None, Decimal(0)
    return rows[-1].state, sum((r.captured_amount for r in rows), Decimal(0))

"""Payment services: taking the payment at checkout, capture at order or shipment, void, refunds, manual methods."""

from decimal import Decimal

import pytest

from stockyard.billing import payments
from stockyard.billing.errors import PaymentDeclined, PaymentTimedOut
from stockyard.billing.payments import RefundPayment, TakePayment
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from tests.billing.support import (
    APPROVE,
    CONFIRM,
    DECLINE,
    NO_FUNDS,
    TIMEOUT,
    card,
    events,
    make_method,
    make_order,
    payment_row,
    role,
    storefront,
    transactions,
)
from tests.conftest import TenantCtx
from tests.inventory.support import tenant_rows

D = Decimal


def take(ctx: TenantCtx, order_id: int, method_id: int, number: str | None = APPROVE, amount: str = "100.00",
         key: str | None = None) -> payments.PaymentOutcome:
    cmd = TakePayment(order_id, method_id, D(amount), "EUR", key or f"order-{order_id}",
                      card(number) if number else None, return_url="/checkout/done", description="Order")
    return perform(ctx.engine, storefront(ctx), payments.take_payment, cmd)


def test_approved_card_captured_at_order(tenant: TenantCtx) -> None:
    order, method = make_order(tenant), make_method(tenant)
    outcome = take(tenant, order, method)
    assert outcome.state == "captured" and outcome.action_url is None
    row = payment_row(tenant, outcome.payment_id)
    assert (row.amount, row.captured_amount, row.refunded_amount, row.capture_mode) == (D(100), D(100), D(0), "order")
    assert transactions(tenant, outcome.payment_id) == [("authorize", D(100), True), ("capture", D(100), True)]
    assert [t for t, _ in events(tenant)] == ["payment.authorized.v1", "payment.captured.v1"]
    assert events(tenant)[1][1]["amount"] == "100.00" and events(tenant)[1][1]["order_id"] == order


def test_capture_at_shipment_keeps_it_authorised_then_captures_in_parts(tenant: TenantCtx) -> None:
    order, method = make_order(tenant), make_method(tenant, capture="shipment")
    assert take(tenant, order, method).state == "authorized"
    shipper = role(tenant, "warehouse_operator")  # ships, so may capture
    first = perform(tenant.engine, shipper, payments.capture_payment, order, D("40.00"))
    assert first.state == "partially_captured"
    with pytest.raises(Conflict, match="60.00 of the authorised 100.00 is left"):
        perform(tenant.engine, shipper, payments.capture_payment, order, D("60.01"))
    rest = perform(tenant.engine, shipper, payments.capture_payment, order)  # what is left
    assert rest.state == "captured"
    assert payment_row(tenant, rest.payment_id).captured_amount == D(100)
    with pytest.raises(Conflict, match="payment is captured"):
        perform(tenant.engine, shipper, payments.capture_payment, order, D("1.00"))
    assert [t for t, _ in events(tenant)] == ["payment.authorized.v1", "payment.captured.v1", "payment.captured.v1"]


@pytest.mark.parametrize(("number", "message"), [(DECLINE, "card declined"), (NO_FUNDS, "insufficient funds"),
                                                 ("4242424242424241", "invalid card number")])
def test_decline_raises_and_leaves_nothing(tenant: TenantCtx, number: str, message: str) -> None:
    order, method = make_order(tenant), make_method(tenant)
    before = tenant_rows(tenant)
    with pytest.raises(PaymentDeclined, match=message) as error:
        take(tenant, order, method, number)
    assert error.value.field == "card"
    assert tenant_rows(tenant) == before  # no payment, no transaction, no event, no gateway record


def test_timeout_reverses_at_the_gateway_and_says_nobody_was_charged(tenant: TenantCtx) -> None:
    order, method = make_order(tenant), make_method(tenant)
    before = tenant_rows(tenant)
    with pytest.raises(PaymentTimedOut, match="did not answer; you have not been charged"):
        take(tenant, order, method, TIMEOUT)
    assert tenant_rows(tenant) == before
    # The customer tries again with another card and the same checkout key: it goes through once.
    assert take(tenant, order, method, APPROVE).state == "captured"


def test_same_idempotency_key_takes_the_money_once(tenant: TenantCtx) -> None:
    order, method = make_order(tenant), make_method(tenant)
    first = take(tenant, order, method, key="checkout-1")
    again = take(tenant, order, method, key="checkout-1")
    assert first == again
    assert len(transactions(tenant, first.payment_id)) == 2 and len(events(tenant)) == 2
    with pytest.raises(Conflict, match="another payment"):
        take(tenant, make_order(tenant), method, key="checkout-1")


def test_confirmation_step_leaves_the_payment_waiting(tenant: TenantCtx) -> None:
    order, method = make_order(tenant), make_method(tenant)
    outcome = take(tenant, order, method, CONFIRM)
    assert outcome.state == "requires_action" and outcome.action_url and "/pay/test/tch_" in outcome.action_url
    assert [t for t, _ in events(tenant)] == ["payment.action_required.v1"]
    voided = perform(tenant.engine, role(tenant, "sales"), payments.void_payment, order)  # e.g. the order lapses
    assert voided.state == "voided"


def test_refunds_partial_and_full_never_above_captured(tenant: TenantCtx) -> None:
    order, method = make_order(tenant), make_method(tenant)
    take(tenant, order, method)
    accountant = role(tenant, "accountant")
    part = perform(tenant.engine, accountant, payments.refund_payment, RefundPayment(order, D("30.00"), "damaged"))
    assert part.state == "partially_refunded"
    with pytest.raises(Conflict, match="70.00 of the captured 100.00 is left to refund"):
        perform(tenant.engine, accountant, payments.refund_payment, RefundPayment(order, D("70.01")))
    with pytest.raises(ValidationFailed):
        perform(tenant.engine, accountant, payments.refund_payment, RefundPayment(order, D("-1")))
    full = perform(tenant.engine, accountant, payments.refund_payment, RefundPayment(order, None, "returned"))
    assert full.state == "refunded"
    row = payment_row(tenant, full.payment_id)
    assert (row.captured_amount, row.refunded_amount) == (D(100), D(100))
    with pytest.raises(Conflict, match="payment is refunded"):
        perform(tenant.engine, accountant, payments.refund_payment, RefundPayment(order, D("1.00")))
    refunds = [p for t, p in events(tenant) if t == "payment.refunded.v1"]
    assert [(p["amount"], p["reason"], p["state"]) for p in refunds] == [
        ("30.00", "damaged", "partially_refunded"), ("70.00", "returned", "refunded")]


def test_void_only_before_capture(tenant: TenantCtx) -> None:
    captured_order, held_order = make_order(tenant), make_order(tenant)
    take(tenant, captured_order, make_method(tenant))
    take(tenant, held_order, make_method(tenant, capture="shipment"))
    sales = role(tenant, "sales")
    with pytest.raises(Conflict, match="cannot void the payment: the order's payment is captured"):
        perform(tenant.engine, sales, payments.void_payment, captured_order)
    assert perform(tenant.engine, sales, payments.void_payment, held_order).state == "voided"
    with pytest.raises(Conflict):
        perform(tenant.engine, role(tenant, "warehouse_operator"), payments.capture_payment, held_order)


@pytest.mark.parametrize("gateway", ["manual_bank_transfer", "cash_on_delivery"])
def test_manual_method_waits_until_marked_paid(tenant: TenantCtx, gateway: str) -> None:
    order, method = make_order(tenant), make_method(tenant, gateway)
    outcome = take(tenant, order, method, number=None)
    assert outcome.state == "pending" and "waiting for" in outcome.message
    with pytest.raises(Conflict, match="mark it paid"):
        perform(tenant.engine, tenant.actor, payments.capture_payment, order)
    with pytest.raises(PermissionDenied):
        perform(tenant.engine, role(tenant, "accountant"), payments.mark_paid, order, "BANK-123")
    with pytest.raises(ValidationFailed):
        perform(tenant.engine, role(tenant, "sales"), payments.mark_paid, order, "  ")
    paid = perform(tenant.engine, role(tenant, "sales"), payments.mark_paid, order, "BANK-123")
    assert paid.state == "captured"
    row = payment_row(tenant, paid.payment_id)
    assert (row.captured_amount, row.reference) == (D(100), "BANK-123")
    assert [t for t, _ in events(tenant)] == ["payment.pending.v1", "payment.captured.v1"]
    with pytest.raises(Conflict, match="payment is captured"):
        perform(tenant.engine, role(tenant, "sales"), payments.mark_paid, order, "BANK-123")


def test_permissions(tenant: TenantCtx) -> None:
    order, method = make_order(tenant), make_method(tenant, capture="shipment")
    cmd = TakePayment(order, method, D("10.00"), "EUR", "k", card())
    with pytest.raises(PermissionDenied):
        perform(tenant.engine, role(tenant, "read_only"), payments.take_payment, cmd)
    perform(tenant.engine, storefront(tenant), payments.take_payment, cmd)
    for denied, action, args in [
        ("read_only", payments.capture_payment, (order,)),
        ("warehouse_operator", payments.void_payment, (order,)),
        ("sales", payments.refund_payment, (RefundPayment(order),)),
        ("storefront", payments.capture_payment, (order,)),
    ]:
        actor = storefront(tenant) if denied == "storefront" else role(tenant, denied)
        with pytest.raises(PermissionDenied):
            perform(tenant.engine, actor, action, *args)
    with pytest.raises(PermissionDenied):
        read(tenant.engine, storefront(tenant), payments.payment_summary, order)


def test_bad_input(tenant: TenantCtx) -> None:
    order, method = make_order(tenant), make_method(tenant)
    for amount, currency, field in [(D("0"), "EUR", "amount"), (D("1.001"), "EUR", "amount"),
                                    (D("5"), "EURO", "currency")]:
        with pytest.raises(ValidationFailed) as error:
            perform(tenant.engine, storefront(tenant), payments.take_payment,
                    TakePayment(order, method, amount, currency, "k", card()))
        assert error.value.field == field
    with pytest.raises(NotFound):
        perform(tenant.engine, storefront(tenant), payments.take_payment,
                TakePayment(order, method + 999, D(5), "EUR", "k", card()))
    with pytest.raises(NotFound, match="has no payment"):
        perform(tenant.engine, tenant.actor, payments.capture_payment, order)


def test_summary_lists_payments_with_their_log(tenant: TenantCtx) -> None:
    order, method = make_order(tenant), make_method(tenant, name="Card")
    take(tenant, order, method)
    perform(tenant.engine, tenant.actor, payments.refund_payment, RefundPayment(order, D("5.00"), "goodwill"))
    [view] = read(tenant.engine, role(tenant, "read_only"), payments.payment_summary, order)
    assert (view.method_name, view.state, view.captured_amount, view.refunded_amount) == (
        "Card", "partially_refunded", D(100), D(5))
    assert [(t.kind, t.amount) for t in view.transactions] == [("authorize", D(100)), ("capture", D(100)),
                                                                ("refund", D(5))]
    assert view.as_json()["transactions"][2]["message"].startswith("goodwill")
    assert read(tenant.engine, tenant.actor, payments.payment_summary, make_order(tenant)) == []


def test_another_tenant_cannot_touch_the_payment(tenant: TenantCtx) -> None:
    from tests.conftest import new_tenant

    order, method = make_order(tenant), make_method(tenant)
    take(tenant, order, method)
    other = new_tenant(tenant.engine)
    with pytest.raises(NotFound):
        perform(tenant.engine, other.actor, payments.refund_payment, RefundPayment(order))
    with pytest.raises(NotFound):
        perform(tenant.engine, storefront(other), payments.take_payment,
                TakePayment(order, method, D(5), "EUR", "x", card()))
    assert read(tenant.engine, other.actor, payments.payment_summary, order) == []


def test_cancelling_voids_or_refunds_whatever_the_payment_is(tenant: TenantCtx) -> None:
    held, taken, manual, none = (make_order(tenant) for _ in range(4))
    take(tenant, held, make_method(tenant, capture="shipment"))
    take(tenant, taken, make_method(tenant))
    take(tenant, manual, make_method(tenant, "cash_on_delivery"), number=None)
    sales = role(tenant, "sales")  # may cancel orders, and so release their money, without returns.refund
    assert perform(tenant.engine, sales, payments.settle_cancelled_order, held).state == "voided"
    refunded = perform(tenant.engine, sales, payments.settle_cancelled_order, taken, "customer changed their mind")
    assert refunded.state == "refunded" and payment_row(tenant, refunded.payment_id).refunded_amount == D(100)
    assert perform(tenant.engine, sales, payments.settle_cancelled_order, manual).state == "voided"
    assert perform(tenant.engine, sales, payments.settle_cancelled_order, none) is None
    assert perform(tenant.engine, sales, payments.settle_cancelled_order, held) is None  # already released
    with pytest.raises(PermissionDenied):
        perform(tenant.engine, role(tenant, "accountant"), payments.settle_cancelled_order, taken)


def test_shipping_captures_what_left_and_the_rest_on_the_last_shipment(tenant: TenantCtx) -> None:
    at_shipment, at_order, manual = make_order(tenant), make_order(tenant), make_order(tenant)
    take(tenant, at_shipment, make_method(tenant, capture="shipment"))
    take(tenant, at_order, make_method(tenant))
    take(tenant, manual, make_method(tenant, "cash_on_delivery"), number=None)
    shipper = role(tenant, "warehouse_operator")
    first = perform(tenant.engine, shipper, payments.capture_for_shipment, at_shipment, D("33.33333"))
    assert first is not None and first.state == "partially_captured"
    assert payment_row(tenant, first.payment_id).captured_amount == D("33.33")  # cents
    last = perform(tenant.engine, shipper, payments.capture_for_shipment, at_shipment, D("50.00"), True)
    assert last is not None and last.state == "captured"
    assert payment_row(tenant, last.payment_id).captured_amount == D(100)  # everything left on the last one
    assert perform(tenant.engine, shipper, payments.capture_for_shipment, at_shipment, D("1"), True) is None
    assert perform(tenant.engine, shipper, payments.capture_for_shipment, at_order, D("100"), True) is None
    assert perform(tenant.engine, shipper, payments.capture_for_shipment, manual, D("100"), True) is None
    assert perform(tenant.engine, shipper, payments.capture_for_shipment, make_order(tenant), D("1")) is None


def test_changing_the_order_total(tenant: TenantCtx) -> None:
    held, taken, manual = make_order(tenant), make_order(tenant), make_order(tenant)
    take(tenant, held, make_method(tenant, capture="shipment"))
    take(tenant, taken, make_method(tenant))
    take(tenant, manual, make_method(tenant, "manual_bank_transfer"), number=None)
    staff = role(tenant, "sales")
    lowered = perform(tenant.engine, staff, payments.adjust_amount, held, D("80.00"))
    assert lowered is not None and payment_row(tenant, lowered.payment_id).amount == D(80)
    with pytest.raises(Conflict, match="above the 80.00 EUR the payment covers"):
        perform(tenant.engine, staff, payments.adjust_amount, held, D("90.00"))
    assert perform(tenant.engine, staff, payments.capture_payment, held).state == "captured"  # captures 80
    refunded = perform(tenant.engine, staff, payments.adjust_amount, taken, D("70.00"))
    assert refunded is not None and refunded.state == "partially_refunded"
    assert payment_row(tenant, refunded.payment_id).refunded_amount == D(30)
    grown = perform(tenant.engine, staff, payments.adjust_amount, manual, D("120.00"))  # nothing promised yet
    assert grown is not None and grown.state == "pending"
    assert payment_row(tenant, grown.payment_id).amount == D(120)
    assert perform(tenant.engine, staff, payments.adjust_amount, manual, D("120.00")) is None
    with pytest.raises(PermissionDenied):
        perform(tenant.engine, role(tenant, "warehouse_operator"), payments.adjust_amount, manual, D("1.00"))
    changes = [p for t, p in events(tenant) if t == "payment.amount_changed.v1"]
    assert [(p["before"], p["after"]) for p in changes] == [("100.00", "80.00"), ("100.00", "120.00")]

"""The test gateway behaves like a remote card network: card numbers decide, it keeps books, it is strict."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import select

from stockyard.billing.gateways import AuthorizeRequest, GatewayTimeout, gateway_for
from stockyard.billing.models import TestGatewayCharge
from stockyard.billing.test_gateway import SimulatedCardGateway, luhn_ok
from stockyard.core.uow import UnitOfWork
from tests.billing.support import APPROVE, CONFIRM, DECLINE, NO_FUNDS, TIMEOUT, card, make_method
from tests.conftest import TenantCtx


@contextmanager
def gateway(ctx: TenantCtx, method_id: int) -> Iterator[SimulatedCardGateway]:
    with ctx.uow() as uow:
        gw = gateway_for(uow, method_id)
        assert isinstance(gw, SimulatedCardGateway)
        yield gw


def charges(ctx: TenantCtx, method_id: int) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    table = TestGatewayCharge.__table__
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return [(r.state, r.amount, r.captured, r.refunded) for r in uow.conn.execute(
            select(table).where(table.c.method_id == method_id).order_by(table.c.id))]


def request(number: str = APPROVE, amount: str = "50.00", key: str = "k1", **kw: object) -> AuthorizeRequest:
    return AuthorizeRequest(Decimal(amount), "EUR", key, card(number, **kw), return_url="/done")  # type: ignore[arg-type]


@pytest.mark.parametrize(("number", "status", "message"), [
    (APPROVE, "approved", "approved"),
    ("4111 1111 1111 1111", "approved", "approved"),
    (DECLINE, "declined", "card declined"),
    (NO_FUNDS, "declined", "insufficient funds"),
    ("4242424242424241", "declined", "invalid card number"),
    ("12345", "declined", "invalid card number"),
])
def test_card_numbers_decide_the_answer(tenant: TenantCtx, number: str, status: str, message: str) -> None:
    method = make_method(tenant)
    with gateway(tenant, method) as gw:
        result = gw.authorize(request(number))
    assert (result.status, result.message) == (status, message)
    assert result.reference and result.reference.startswith("tch_")
    assert charges(tenant, method) == [("authorized" if status == "approved" else "declined", Decimal("50.00"),
                                        Decimal(0), Decimal(0))]


@pytest.mark.parametrize(("kw", "message"), [
    ({"exp_month": 1, "exp_year": 2020}, "card expired"),
    ({"exp_month": 13}, "invalid expiry date"),
    ({"cvc": "12"}, "invalid security code"),
    ({"cvc": "abc"}, "invalid security code"),
])
def test_expiry_and_security_code_are_checked(tenant: TenantCtx, kw: dict[str, object], message: str) -> None:
    method = make_method(tenant)
    with gateway(tenant, method) as gw:
        result = gw.authorize(request(APPROVE, **kw))
    assert (result.status, result.message) == ("declined", message)


def test_the_decline_setting_declines_good_cards(tenant: TenantCtx) -> None:
    method = make_method(tenant, outcome="decline")
    with gateway(tenant, method) as gw:
        assert gw.authorize(request(APPROVE)).status == "declined"


def test_confirmation_card_needs_the_customer(tenant: TenantCtx) -> None:
    method = make_method(tenant)
    with gateway(tenant, method) as gw:
        result = gw.authorize(request(CONFIRM))
        assert result.status == "requires_action"
        assert result.action_url == f"/pay/test/{result.reference}"
        # Nothing can be captured before the customer confirmed.
        assert gw.capture(result.reference or "", Decimal("1.00")).status == "error"


def test_same_idempotency_key_same_answer_and_one_charge(tenant: TenantCtx) -> None:
    method = make_method(tenant)
    with gateway(tenant, method) as gw:
        first = gw.authorize(request(APPROVE, key="same"))
        again = gw.authorize(request(APPROVE, key="same"))
        declined = gw.authorize(request(DECLINE, key="other"))
        declined_again = gw.authorize(request(DECLINE, key="other"))
        different = gw.authorize(request(APPROVE, amount="51.00", key="same"))
    assert first == again and first.status == "approved"
    assert declined == declined_again and declined.status == "declined"
    assert (different.status, different.message) == ("error", "this idempotency key was used for a different payment")
    assert len(charges(tenant, method)) == 2


def test_partial_captures_up_to_the_authorised_amount(tenant: TenantCtx) -> None:
    method = make_method(tenant)
    with gateway(tenant, method) as gw:
        ref = gw.authorize(request(APPROVE, amount="100.00")).reference or ""
        assert gw.capture(ref, Decimal("30.00")).captured == Decimal("30.00")
        assert gw.capture(ref, Decimal("60.00")).captured == Decimal("90.00")
        over = gw.capture(ref, Decimal("10.01"))
        assert over.status == "error" and "10.00 left to capture" in over.message
        assert gw.capture(ref, Decimal("0.001")).status == "error"
        assert gw.capture("tch_nope", Decimal("1")).message == "no such charge"
    assert charges(tenant, method) == [("authorized", Decimal("100.00"), Decimal("90.00"), Decimal(0))]


def test_partial_refunds_up_to_the_captured_amount(tenant: TenantCtx) -> None:
    method = make_method(tenant)
    with gateway(tenant, method) as gw:
        ref = gw.authorize(AuthorizeRequest(Decimal("80.00"), "EUR", "k", card(), capture=True)).reference or ""
        assert gw.refund(ref, Decimal("0.10")).status == "approved"
        assert gw.refund(ref, Decimal("0.20")).status == "approved"
        assert gw.refund(ref, Decimal("79.70")).status == "approved"
        over = gw.refund(ref, Decimal("0.01"))
        assert over.status == "error" and "0.00 left to refund" in over.message
        assert gw.capture(ref, Decimal("1.00")).status == "error"  # fully captured, and refunded
    assert charges(tenant, method) == [("authorized", Decimal("80.00"), Decimal("80.00"), Decimal("80.00"))]


def test_void_releases_an_uncaptured_authorisation_only(tenant: TenantCtx) -> None:
    method = make_method(tenant)
    with gateway(tenant, method) as gw:
        held = gw.authorize(request(APPROVE, key="a")).reference or ""
        taken = gw.authorize(AuthorizeRequest(Decimal("5.00"), "EUR", "b", card(), capture=True)).reference or ""
        assert gw.void(held).status == "approved"
        assert gw.capture(held, Decimal("1.00")).status == "error"
        refused = gw.void(taken)
        assert refused.status == "error" and "refund it instead" in refused.message
    assert [c[0] for c in charges(tenant, method)] == ["voided", "authorized"]


def test_timeout_records_the_charge_so_it_can_be_reversed_by_key(tenant: TenantCtx) -> None:
    method = make_method(tenant)
    slept: list[float] = []
    with tenant.uow() as uow:
        gw = gateway_for(uow, method)
        assert isinstance(gw, SimulatedCardGateway)
        gw.sleep = slept.append
        with pytest.raises(GatewayTimeout):
            gw.authorize(AuthorizeRequest(Decimal("20.00"), "EUR", "lost", card(TIMEOUT), capture=True))
        assert slept == [0.05]  # the configured delay
        assert charges(tenant, method) == []  # not committed yet: the gateway writes in our transaction
        assert gw.void_by_key("lost").message == "reversed"
        assert gw.void_by_key("never-sent").message == "no charge was made with this key"
    assert charges(tenant, method) == [("voided", Decimal("20.00"), Decimal("20.00"), Decimal("20.00"))]


def test_luhn() -> None:
    assert luhn_ok("4242424242424242") and luhn_ok("4000000000000002") and luhn_ok("4000000000003220")
    assert luhn_ok("4000000000000119") and luhn_ok("4000000000009995")
    assert not luhn_ok("4242424242424243") and not luhn_ok("") and not luhn_ok("42424242x4242424")

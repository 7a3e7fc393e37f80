"""Pure return rules: the state machine, returnable quantities, grades, and refund limits (hypothesis)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.core.errors import Conflict, ValidationFailed
from stockyard.returns.domain import (
    SUGGESTED,
    TRANSITIONS,
    Disposition,
    Grade,
    LineState,
    RefundLine,
    ReturnStatus,
    check_refund,
    check_request,
    check_transition,
    parse_grade,
    refund_limit,
    returnable,
)
from stockyard.sales.domain import PricedLine, order_totals

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2)
rates = st.sampled_from([Decimal(0), Decimal("0.07"), Decimal("0.19"), Decimal("0.2"), Decimal("0.255")])
shipping = st.decimals(min_value=Decimal(0), max_value=Decimal("50"), places=2)


@st.composite
def orders(draw: st.DrawFn) -> tuple[list[tuple[int, Decimal]], Decimal, Decimal, bool]:
    lines = draw(st.lists(st.tuples(st.integers(1, 20), prices), min_size=1, max_size=6))
    return lines, draw(shipping), draw(rates), draw(st.booleans())


def paid(lines: list[tuple[int, Decimal]], ship: Decimal, rate: Decimal, incl: bool) -> Decimal:
    return order_totals([PricedLine(0, q, p) for q, p in lines], ship, rate, incl).grand_total


@given(orders(), st.data())
def test_a_refund_never_exceeds_what_was_paid_for_the_returned_lines_and_shipping(order, data) -> None:  # noqa: ANN001
    lines, ship, rate, incl = order
    returned = [(data.draw(st.integers(0, q)), p) for q, p in lines]
    include_shipping = data.draw(st.booleans())
    total = paid(lines, ship, rate, incl)
    limit = refund_limit([RefundLine(q, p) for q, p in returned], tax_rate=rate, prices_include_tax=incl,
                         shipping=ship, include_shipping=include_shipping, order_total=total,
                         already_refunded=Decimal(0))
    # What the customer paid for exactly these units (and the shipping, if included), by the order's own rules.
    assert limit <= paid(returned, ship if include_shipping else Decimal(0), rate, incl)
    assert limit <= total
    assert limit >= 0


@given(orders(), st.data())
def test_refunds_of_several_returns_of_one_order_never_exceed_its_total(order, data) -> None:  # noqa: ANN001
    lines, ship, rate, incl = order
    total = paid(lines, ship, rate, incl)
    left = [q for q, _ in lines]
    refunded = Decimal(0)
    shipping_taken = False
    for _ in range(data.draw(st.integers(1, 4))):
        part = []
        for i, (_, p) in enumerate(lines):
            q = data.draw(st.integers(0, left[i]))
            left[i] -= q
            part.append(RefundLine(q, p))
        with_shipping = not shipping_taken and data.draw(st.booleans())
        shipping_taken = shipping_taken or with_shipping
        refunded += refund_limit(part, tax_rate=rate, prices_include_tax=incl, shipping=ship,
                                 include_shipping=with_shipping, order_total=total, already_refunded=refunded)
    assert refunded <= total


@given(orders())
def test_returning_everything_with_shipping_refunds_exactly_the_order_total(order) -> None:  # noqa: ANN001
    lines, ship, rate, incl = order
    total = paid(lines, ship, rate, incl)
    assert refund_limit([RefundLine(q, p) for q, p in lines], tax_rate=rate, prices_include_tax=incl, shipping=ship,
                        include_shipping=True, order_total=total, already_refunded=Decimal(0)) == total


def test_each_returned_line_is_refunded_with_the_tax_of_its_own_rate() -> None:
    """Prices without tax: 100.00 at 19 % and 100.00 at 7 % were paid as 119.00 + 107.00 (and 10.00 shipping, taxed
    half at each rate: 5.95 + 5.35). The order's fallback rate (20 %) applies to neither."""
    lines = [RefundLine(1, Decimal("100.00"), Decimal("0.19")), RefundLine(1, Decimal("100.00"), Decimal("0.07"))]

    def limit(returned: list[RefundLine], include_shipping: bool = False) -> Decimal:
        return refund_limit(returned, tax_rate=Decimal("0.20"), prices_include_tax=False, shipping=Decimal("10.00"),
                            include_shipping=include_shipping, order_total=Decimal("237.30"),
                            already_refunded=Decimal(0))

    assert limit(lines[:1]) == Decimal("119.00")
    assert limit(lines[1:]) == Decimal("107.00")
    assert limit(lines) == Decimal("226.00")
    assert limit(lines, include_shipping=True) == Decimal("237.30")


def test_check_refund_refuses_more_than_the_limit_and_nonsense() -> None:
    check_refund(Decimal("10.00"), Decimal("10.00"), "EUR")
    with pytest.raises(Conflict) as refused:
        check_refund(Decimal("10.01"), Decimal("10.00"), "EUR")
    assert refused.value.field == "amount" and "at most 10.00 EUR" in refused.value.message
    with pytest.raises(ValidationFailed):
        check_refund(Decimal("0"), Decimal("10.00"), "EUR")
    with pytest.raises(ValidationFailed):
        check_refund(Decimal("1.005"), Decimal("10.00"), "EUR")


@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50))
def test_returnable_is_never_negative_and_never_more_than_shipped(shipped: int, returned: int, open_: int) -> None:
    n = returnable(shipped, min(returned, shipped), open_)
    assert 0 <= n <= shipped
    assert n + min(returned, shipped) + open_ >= shipped or n == 0


@given(st.integers(1, 20), st.integers(0, 20), st.integers(0, 20), st.integers(1, 30))
def test_a_request_is_accepted_exactly_when_the_units_are_still_returnable(
        shipped: int, returned: int, open_: int, wanted: int) -> None:
    returned = min(returned, shipped)
    state = LineState(1, "SKU-1", shipped, returned, open_)
    if wanted <= state.returnable:
        check_request("delivered", {1: state}, [(1, wanted)])
    else:
        with pytest.raises(Conflict):
            check_request("delivered", {1: state}, [(1, wanted)])


@pytest.mark.parametrize("status", ["placed", "paid", "allocated", "shipped", "partially_shipped", "cancelled"])
def test_an_undelivered_order_cannot_be_returned(status: str) -> None:
    with pytest.raises(Conflict) as refused:
        check_request(status, {1: LineState(1, "SKU-1", 2, 0, 0)}, [(1, 1)])
    assert "only delivered orders can be returned" in refused.value.message


def test_a_fully_returned_line_says_so() -> None:
    with pytest.raises(Conflict) as refused:
        check_request("invoiced", {1: LineState(1, "SKU-1", 2, 2, 0)}, [(1, 1)])
    assert refused.value.message == "SKU-1: every delivered unit is already returned"
    with pytest.raises(ValidationFailed):
        check_request("closed", {1: LineState(1, "SKU-1", 2, 0, 0)}, [(2, 1)])
    with pytest.raises(ValidationFailed):
        check_request("closed", {1: LineState(1, "SKU-1", 2, 0, 0)}, [(1, 1), (1, 1)])


def test_every_action_moves_only_from_its_states() -> None:
    for action, (allowed, target) in TRANSITIONS.items():
        for status in ReturnStatus:
            if status in allowed:
                assert check_transition(action, status.value) == target
            else:
                with pytest.raises(Conflict):
                    check_transition(action, status.value)


def test_grades_by_letter_or_label_and_what_they_suggest() -> None:
    assert parse_grade("a") == Grade.A
    assert parse_grade("like-new") == Grade.B
    assert parse_grade("Like new") == Grade.B
    assert parse_grade("unusable") == Grade.D
    with pytest.raises(ValidationFailed):
        parse_grade("E")
    assert SUGGESTED[Grade.A] == Disposition.RESTOCK and SUGGESTED[Grade.D] == Disposition.SCRAP

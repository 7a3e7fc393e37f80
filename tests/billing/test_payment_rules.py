"""The pure rules of a payment's state."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.billing.payment_rules import CAPTURABLE, REFUNDABLE, STATES, VOIDABLE, state_after

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: Decimal(c) / 100)


@given(cents, cents, cents)
def test_state_follows_the_totals(a: Decimal, b: Decimal, c: Decimal) -> None:
    refunded, captured, amount = sorted((a, b, c))
    if amount == 0:
        return
    state = state_after(amount, captured, refunded)
    assert state in STATES
    assert (state in CAPTURABLE) == (refunded == 0 and captured < amount)
    assert (state in REFUNDABLE) == (captured > refunded)
    assert state not in VOIDABLE or captured == 0


def test_examples_and_impossible_totals() -> None:
    d = Decimal
    assert state_after(d(100), d(0), d(0)) == "authorized"
    assert state_after(d(100), d(40), d(0)) == "partially_captured"
    assert state_after(d(100), d(100), d(0)) == "captured"
    assert state_after(d(100), d(100), d(1)) == "partially_refunded"
    assert state_after(d(100), d(40), d(40)) == "refunded"
    for bad in [(d(100), d(101), d(0)), (d(100), d(10), d(11)), (d(100), d(-1), d(0))]:
        with pytest.raises(ValueError):
            state_after(*bad)

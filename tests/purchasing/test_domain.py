"""The purchase order state machine, receipt checks and the covering date (pure, with hypothesis)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.core.errors import Conflict, ValidationFailed
from stockyard.purchasing.domain import (
    TRANSITIONS,
    LineIn,
    OpenLine,
    POState,
    check_lines,
    check_receipt,
    check_transition,
    covering_date,
    state_after_receipt,
)


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_action_is_refused_from_every_state_it_does_not_start_from(action: str) -> None:
    allowed, _ = TRANSITIONS[action]
    for state in POState:
        if state in allowed:
            check_transition(action, state.value)
        else:
            with pytest.raises(Conflict, match=f"that is {state.value.replace('_', ' ')} cannot be"):
                check_transition(action, state.value)


def test_a_received_or_cancelled_order_is_final_for_receiving() -> None:
    for state in ("draft", "received", "closed", "cancelled"):
        with pytest.raises(Conflict):
            check_transition("receive", state)


def test_lines_need_a_sku_once_each() -> None:
    check_lines([LineIn(1, "A", 2), LineIn(2, "B", 1)])
    with pytest.raises(ValidationFailed, match="twice") as error:
        check_lines([LineIn(1, "A", 2), LineIn(1, "A", 1)])
    assert error.value.field == "lines[1].sku"
    with pytest.raises(ValidationFailed):
        check_lines([])


def test_over_receipt_is_refused_with_what_is_still_expected() -> None:
    lines = {7: OpenLine(7, "SKU-001", 10, 6)}
    check_receipt(lines, [(7, 4)])
    with pytest.raises(ValidationFailed, match="only 4 more are accepted: 10 ordered, 6 received") as error:
        check_receipt(lines, [(7, 5)])
    assert error.value.field == "lines[0].quantity"
    with pytest.raises(ValidationFailed, match="not on the purchase order"):
        check_receipt(lines, [(8, 1)])


def test_the_order_is_received_when_every_line_is_complete() -> None:
    assert state_after_receipt([OpenLine(1, "A", 2, 2), OpenLine(2, "B", 3, 3)]) == POState.RECEIVED
    assert state_after_receipt([OpenLine(1, "A", 2, 2), OpenLine(2, "B", 3, 1)]) == POState.PARTIALLY_RECEIVED


arrivals = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 50)), max_size=8)


@given(arrivals, st.integers(1, 300))
def test_the_covering_date_is_the_first_date_by_which_enough_arrives(found: list[tuple[int, int]],
                                                                     needed: int) -> None:
    start = date(2030, 1, 1)
    dated = [(start + timedelta(days=d), units) for d, units in found]
    day = covering_date(dated, needed)
    if sum(units for _, units in dated) < needed:
        assert day is None
        return
    assert day is not None
    assert sum(units for d, units in dated if d <= day) >= needed
    assert sum(units for d, units in dated if d < day) < needed

"""The order state machine and allocation strategies, as pure rules."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.core.errors import Conflict
from stockyard.sales.domain import (
    TRANSITIONS,
    Need,
    PricedLine,
    Status,
    WarehouseOption,
    check_transition,
    order_totals,
    plan_allocation,
)


def test_a_shipped_order_cannot_be_cancelled() -> None:
    with pytest.raises(Conflict, match="cannot cancel an order that is shipped"):
        check_transition("cancel", "shipped")


def test_every_transition_names_real_states() -> None:
    for allowed, target in TRANSITIONS.values():
        assert all(isinstance(s, Status) for s in allowed)
        assert target is None or isinstance(target, Status)


def test_tax_included_in_prices_is_extracted_not_added() -> None:
    totals = order_totals([PricedLine(1, 2, Decimal("12.00"))], Decimal("6.00"), Decimal("0.2"), True)
    assert totals.grand_total == Decimal("30.00")
    assert totals.tax == Decimal("5.00")


def test_tax_added_when_prices_exclude_it() -> None:
    totals = order_totals([PricedLine(1, 3, Decimal("10.00"))], Decimal("0"), Decimal("0.2"), False)
    assert totals.grand_total == Decimal("36.00")


def test_one_warehouse_serving_everything_wins_over_priority() -> None:
    needs = [Need(1, 10, 2), Need(2, 11, 1)]
    options = [WarehouseOption(1, priority=1, free={10: 5}), WarehouseOption(2, priority=2, free={10: 2, 11: 1})]
    plan = plan_allocation("priority", needs, options, allow_split=True)
    assert plan.takes == {1: [(2, 2)], 2: [(2, 1)]}
    assert not plan.short


def test_nearest_prefers_the_customers_zone() -> None:
    needs = [Need(1, 10, 1)]
    options = [WarehouseOption(1, 1, {10: 5}, distance=2), WarehouseOption(2, 9, {10: 5}, distance=0)]
    assert plan_allocation("nearest", needs, options, allow_split=True).takes == {1: [(2, 1)]}


def test_without_splitting_what_one_warehouse_lacks_is_backordered() -> None:
    needs = [Need(1, 10, 3)]
    options = [WarehouseOption(1, 1, {10: 2}), WarehouseOption(2, 2, {10: 2})]
    plan = plan_allocation("priority", needs, options, allow_split=False)
    assert plan.short == {1: 3}
    split = plan_allocation("priority", needs, options, allow_split=True)
    assert split.takes == {1: [(1, 2), (2, 1)]} and not split.short


@given(
    wanted=st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=4),
    stock=st.lists(st.lists(st.integers(min_value=0, max_value=15), min_size=4, max_size=4), min_size=1, max_size=3),
    strategy=st.sampled_from(["priority", "fewest_shipments", "nearest", "cheapest_shipping"]),
    split=st.booleans(),
)
def test_a_plan_never_takes_more_than_is_free_or_wanted(wanted: list[int], stock: list[list[int]], strategy: str,
                                                         split: bool) -> None:
    needs = [Need(i, 100 + i, q) for i, q in enumerate(wanted)]
    options = [WarehouseOption(w, w, {100 + i: free[i] for i in range(4)}, distance=w % 2)
               for w, free in enumerate(stock)]
    plan = plan_allocation(strategy, needs, options, allow_split=split)
    for need in needs:
        assert plan.allocated(need.line_id) + plan.short.get(need.line_id, 0) == need.quantity
        if not split:
            assert len(plan.takes.get(need.line_id, [])) <= 1
    for option in options:
        for sku, free in option.free.items():
            taken = sum(q for need in needs if need.sku_id == sku
                        for w, q in plan.takes.get(need.line_id, []) if w == option.warehouse_id)
            assert taken <= free

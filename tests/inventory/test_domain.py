"""The pure inventory rules (inventory/domain.py): no database, driven by examples and by hypothesis."""

from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.core.errors import ValidationFailed
from stockyard.inventory.domain import (
    STOCKED_USAGES,
    Candidate,
    LevelKey,
    Move,
    Place,
    Status,
    Usage,
    check_move,
    count_variance,
    level_deltas,
    plan_reservation,
    require_positive,
    shortage_transition,
    transfer_state,
)

SUPPLIER = Place(900, Usage.SUPPLIER, None)
CUSTOMER = Place(901, Usage.CUSTOMER, None)
BIN_1 = Place(1, Usage.INTERNAL, 10)
BIN_2 = Place(2, Usage.INTERNAL, 10)
TRANSIT = Place(3, Usage.TRANSIT, 20)

places = st.sampled_from([SUPPLIER, CUSTOMER, BIN_1, BIN_2, TRANSIT, Place(4, Usage.SCRAP, None)])
statuses = st.sampled_from(list(Status))


@st.composite
def moves(draw: st.DrawFn) -> Move:
    source = draw(places)
    target = draw(places)
    return Move(sku_id=draw(st.integers(1, 3)), quantity=draw(st.integers(1, 1000)), source=source, target=target,
                from_status=draw(statuses), to_status=draw(statuses), lot=draw(st.sampled_from(["", "L1", "L2"])))


# --- quantities and single moves -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, -500, True, False, 1.5, "3", None])
def test_a_quantity_must_be_a_positive_whole_number(bad: object) -> None:
    with pytest.raises(ValidationFailed) as info:
        require_positive(bad)  # type: ignore[arg-type]
    assert info.value.field == "quantity"


def test_a_positive_quantity_is_accepted_and_the_field_name_is_kept_in_errors() -> None:
    assert require_positive(7) == 7
    with pytest.raises(ValidationFailed) as info:
        require_positive(0, field="lines[2].quantity")
    assert info.value.field == "lines[2].quantity"


def test_a_move_needs_a_positive_quantity() -> None:
    with pytest.raises(ValidationFailed) as info:
        check_move(Move(1, 0, BIN_1, BIN_2, Status.SELLABLE, Status.SELLABLE))
    assert info.value.field == "quantity"


def test_a_move_to_the_same_location_and_status_moves_nothing_and_is_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        check_move(Move(1, 5, BIN_1, BIN_1, Status.SELLABLE, Status.SELLABLE))
    assert info.value.field == "to_location"


def test_a_status_change_in_place_is_a_valid_move() -> None:
    check_move(Move(1, 5, BIN_1, BIN_1, Status.QUARANTINE, Status.SELLABLE))


def test_a_move_between_two_outside_parties_is_refused() -> None:
    with pytest.raises(ValidationFailed) as info:
        check_move(Move(1, 5, SUPPLIER, CUSTOMER, Status.SELLABLE, Status.SELLABLE))
    assert info.value.field == "to_location"


def test_only_internal_and_transit_locations_hold_stock() -> None:
    assert {u for u in Usage if Place(1, u, None).stocked} == {Usage.INTERNAL, Usage.TRANSIT} == STOCKED_USAGES


# --- level deltas ----------------------------------------------------------------------------------------------


def test_a_receipt_adds_to_the_bin_only() -> None:
    assert level_deltas([Move(1, 5, SUPPLIER, BIN_1, Status.SELLABLE, Status.SELLABLE, "L1")]) == {
        LevelKey(1, BIN_1.location_id, "sellable", "L1"): 5
    }


def test_a_putaway_takes_from_one_bin_and_adds_to_the_other() -> None:
    assert level_deltas([Move(1, 3, BIN_1, BIN_2, Status.SELLABLE, Status.SELLABLE)]) == {
        LevelKey(1, 1, "sellable", ""): -3,
        LevelKey(1, 2, "sellable", ""): 3,
    }


def test_a_status_change_moves_between_the_status_rows_of_one_bin() -> None:
    assert level_deltas([Move(1, 4, BIN_1, BIN_1, Status.QUARANTINE, Status.SELLABLE)]) == {
        LevelKey(1, 1, "quarantine", ""): -4,
        LevelKey(1, 1, "sellable", ""): 4,
    }


def test_moves_that_cancel_out_leave_no_delta() -> None:
    there = Move(1, 3, BIN_1, BIN_2, Status.SELLABLE, Status.SELLABLE)
    back = Move(1, 3, BIN_2, BIN_1, Status.SELLABLE, Status.SELLABLE)
    assert level_deltas([there, back]) == {}


@given(st.lists(moves(), max_size=30))
def test_level_deltas_conserve_quantity(batch: list[Move]) -> None:
    """What the stocked rows gain in total is exactly what came in from outside minus what left to outside."""
    deltas = level_deltas(batch)
    inflow = sum(m.quantity for m in batch if m.target.stocked and not m.source.stocked)
    outflow = sum(m.quantity for m in batch if m.source.stocked and not m.target.stocked)
    assert sum(deltas.values()) == inflow - outflow


@given(st.lists(moves(), max_size=30))
def test_level_deltas_equal_the_moves_applied_one_by_one(batch: list[Move]) -> None:
    expected: dict[LevelKey, int] = defaultdict(int)
    for m in batch:
        if m.source.stocked:
            expected[LevelKey(m.sku_id, m.source.location_id, m.from_status, m.lot)] -= m.quantity
        if m.target.stocked:
            expected[LevelKey(m.sku_id, m.target.location_id, m.to_status, m.lot)] += m.quantity
    assert level_deltas(batch) == {k: v for k, v in expected.items() if v != 0}


@given(st.lists(moves(), max_size=30))
def test_level_deltas_come_in_lock_order_without_zeros_or_virtual_rows(batch: list[Move]) -> None:
    deltas = level_deltas(batch)
    keys = list(deltas)
    assert keys == sorted(keys, key=lambda k: (k.sku_id, k.location_id, k.status, k.lot))
    assert 0 not in deltas.values()
    stocked_ids = {p.location_id for p in (BIN_1, BIN_2, TRANSIT)}
    assert all(k.location_id in stocked_ids for k in keys)


# --- reservation plans -----------------------------------------------------------------------------------------


candidates_lists = st.lists(
    st.builds(Candidate, level_id=st.integers(1, 10_000), location_id=st.integers(1, 50),
              lot=st.sampled_from(["", "L1"]), free=st.integers(0, 50)),
    max_size=12,
    unique_by=lambda c: c.level_id,
)


@given(candidates_lists, st.integers(1, 300))
def test_plan_reservation_never_over_takes(candidates: list[Candidate], quantity: int) -> None:
    plan = plan_reservation(candidates, quantity)
    free = {c.level_id: c.free for c in candidates}
    if sum(free.values()) >= quantity:
        assert sum(take for _, take in plan) == quantity
    else:
        assert plan == []
    for level_id, take in plan:
        assert 0 < take <= free[level_id]
    assert len({level_id for level_id, _ in plan}) == len(plan)


@given(candidates_lists, st.integers(1, 300))
def test_plan_reservation_takes_in_preference_order(candidates: list[Candidate], quantity: int) -> None:
    """Every candidate before the last one used is emptied; nothing after it is touched."""
    plan = plan_reservation(candidates, quantity)
    if not plan:
        return
    order = [c.level_id for c in candidates if c.free > 0]
    used = [level_id for level_id, _ in plan]
    assert used == order[: len(used)]
    free = {c.level_id: c.free for c in candidates}
    assert all(take == free[level_id] for level_id, take in plan[:-1])


def test_plan_reservation_splits_only_when_it_must() -> None:
    rows = [Candidate(1, 1, "", 4), Candidate(2, 2, "", 10)]
    assert plan_reservation(rows, 3) == [(1, 3)]
    assert plan_reservation(rows, 9) == [(1, 4), (2, 5)]
    assert plan_reservation(rows, 15) == []
    assert plan_reservation([], 1) == []


# --- counts, transfers, shortages --------------------------------------------------------------------------------


@pytest.mark.parametrize(("counted", "system", "variance"), [(8, 10, -2), (12, 10, 2), (10, 10, 0), (0, 3, -3)])
def test_count_variance_is_what_must_be_added_to_match_the_count(counted: int, system: int, variance: int) -> None:
    assert count_variance(counted, system) == variance


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_adding_the_variance_lands_on_the_counted_quantity(counted: int, system: int) -> None:
    assert system + count_variance(counted, system) == counted


@pytest.mark.parametrize(
    ("lines", "state"),
    [
        ([(5, 0), (3, 0)], "in_transit"),
        ([(5, 2), (3, 0)], "partially_received"),
        ([(5, 5), (3, 0)], "partially_received"),
        ([(5, 5), (3, 3)], "received"),
    ],
)
def test_transfer_state_follows_what_was_received(lines: list[tuple[int, int]], state: str) -> None:
    assert transfer_state(lines) == state


@given(st.lists(st.integers(1, 100).flatmap(lambda q: st.tuples(st.just(q), st.integers(0, q))), min_size=1))
def test_a_transfer_is_received_exactly_when_every_line_is(lines: list[tuple[int, int]]) -> None:
    state = transfer_state(lines)
    assert (state == "received") == all(q == r for q, r in lines)
    assert (state == "in_transit") == all(r == 0 for _, r in lines)


@given(st.integers(-50, 200), st.integers(0, 100), st.booleans())
def test_after_a_shortage_transition_an_alert_is_open_exactly_while_short(available: int, minimum: int,
                                                                          alert_open: bool) -> None:
    change = shortage_transition(available, minimum, alert_open)
    now_open = {"open": True, "resolve": False, None: alert_open}[change]
    assert now_open == (available < minimum)
    assert change != ("open" if alert_open else "resolve")  # never opens twice nor resolves what is not open


def test_shortage_transition_examples() -> None:
    assert shortage_transition(4, 5, alert_open=False) == "open"
    assert shortage_transition(4, 5, alert_open=True) is None
    assert shortage_transition(5, 5, alert_open=True) == "resolve"
    assert shortage_transition(5, 5, alert_open=False) is None

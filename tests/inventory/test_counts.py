"""Cycle counts: open, record, review variances, approve (which posts adjustments), or cancel."""

import pytest
from pydantic import ValidationError

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.inventory import queries
from stockyard.inventory.counts import OpenCount, RecordCount, approve_count, cancel_count, open_count, record_count
from stockyard.inventory.movements import MoveStock, move_stock
from tests.conftest import TenantCtx
from tests.factories import World, build_world, receive
from tests.inventory.support import (
    assert_ledger_consistent,
    assert_refused,
    events,
    level,
    moves_of,
    role_actor,
)


def _open(ctx: TenantCtx, *locations: str, actor: Actor | None = None) -> int:
    return perform(ctx.engine, actor or ctx.actor, open_count, OpenCount(warehouse="MAIN", locations=list(locations)))


def _record(ctx: TenantCtx, count_id: int, location: str, sku: str, counted: int,
            actor: Actor | None = None) -> int:
    return perform(ctx.engine, actor or ctx.actor, record_count,
                   RecordCount(count_id=count_id, location=location, sku=sku, counted=counted))


def _lines(ctx: TenantCtx, count_id: int) -> dict[tuple[str, str], dict[str, int | None]]:
    head, lines = read(ctx.engine, ctx.actor, queries.count_detail, count_id)
    return {(x["location"], x["sku"]): {"expected": x["line"].expected, "counted": x["line"].counted,
                                        "system_qty": x["line"].system_qty, "variance": x["variance"]}
            for x in lines}


def _state(ctx: TenantCtx, count_id: int) -> str:
    head, _ = read(ctx.engine, ctx.actor, queries.count_detail, count_id)
    return head.state


@pytest.fixture
def world(tenant: TenantCtx) -> World:
    made = build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    receive(tenant, "SKU-002", "MAIN/A/02", 5)
    receive(tenant, "SKU-001", "MAIN/Q/01", 7)
    receive(tenant, "SKU-002", "NORTH/B/01", 9)
    return made


def test_opening_a_count_lists_what_the_ledger_expects_in_the_chosen_locations_and_below(tenant, world):
    count_id = _open(tenant, "MAIN/A")
    assert _lines(tenant, count_id) == {
        ("MAIN/A/01", "SKU-001"): {"expected": 10, "counted": None, "system_qty": None, "variance": None},
        ("MAIN/A/02", "SKU-002"): {"expected": 5, "counted": None, "system_qty": None, "variance": None},
    }
    assert _state(tenant, count_id) == "open"
    assert events(tenant, "count.opened.v1")[0]["lines"] == 2


def test_approval_posts_the_variances_as_adjustments(tenant, world):
    count_id = _open(tenant, "MAIN/A")
    _record(tenant, count_id, "MAIN/A/01", "SKU-001", 8)
    _record(tenant, count_id, "MAIN/A/02", "SKU-002", 6)
    lines = _lines(tenant, count_id)
    assert lines[("MAIN/A/01", "SKU-001")]["variance"] == -2
    assert lines[("MAIN/A/02", "SKU-002")]["variance"] == 1

    adjustments = perform(tenant.engine, tenant.actor, approve_count, count_id)

    assert adjustments == 2
    assert level(tenant, "SKU-001", "MAIN/A/01") == (8, 0)
    assert level(tenant, "SKU-002", "MAIN/A/02") == (6, 0)
    lost = moves_of(tenant, "SKU-001")[-1]
    assert (lost["from_path"], lost["to_path"], lost["quantity"], lost["reason"]) == (
        "MAIN/A/01", "@ADJUSTMENT", 2, "count_adjustment")
    assert (lost["document_type"], lost["document_id"]) == ("count", str(count_id))
    found = moves_of(tenant, "SKU-002")[-1]
    assert (found["from_path"], found["to_path"], found["quantity"]) == ("@ADJUSTMENT", "MAIN/A/02", 1)
    assert _state(tenant, count_id) == "approved"
    [approved] = events(tenant, "count.approved.v1")
    assert (approved["count_id"], approved["adjustments"]) == (count_id, 2)
    assert_ledger_consistent(tenant)


def test_a_count_that_matches_approves_without_moves(tenant, world):
    count_id = _open(tenant, "MAIN/A/01")
    _record(tenant, count_id, "MAIN/A/01", "SKU-001", 10)
    before = len(moves_of(tenant, "SKU-001"))
    assert perform(tenant.engine, tenant.actor, approve_count, count_id) == 0
    assert len(moves_of(tenant, "SKU-001")) == before
    assert _state(tenant, count_id) == "approved"


def test_stock_moved_between_recording_and_approval_is_kept(tenant, world):
    count_id = _open(tenant, "MAIN/A")
    _record(tenant, count_id, "MAIN/A/01", "SKU-001", 8)  # 2 missing
    receive(tenant, "SKU-001", "MAIN/A/01", 5)  # a delivery after the count...
    perform(tenant.engine, tenant.actor, move_stock,  # ... and a pick to another bin
            MoveStock(sku="SKU-001", from_location="MAIN/A/01", to_location="MAIN/A/02", quantity=3))
    assert level(tenant, "SKU-001", "MAIN/A/01") == (12, 0)

    perform(tenant.engine, tenant.actor, approve_count, count_id)

    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 0)  # 8 counted + 5 received - 3 moved
    assert level(tenant, "SKU-001", "MAIN/A/02") == (3, 0)
    assert_ledger_consistent(tenant)


def test_a_line_never_recorded_is_not_adjusted(tenant, world):
    count_id = _open(tenant, "MAIN/A")
    _record(tenant, count_id, "MAIN/A/01", "SKU-001", 9)
    assert perform(tenant.engine, tenant.actor, approve_count, count_id) == 1
    assert level(tenant, "SKU-002", "MAIN/A/02") == (5, 0)  # not counted is not zero
    assert [m["reason"] for m in moves_of(tenant, "SKU-002")] == ["receipt", "receipt"]


def test_a_sku_found_where_it_was_not_expected_is_added_and_booked_in(tenant, world):
    count_id = _open(tenant, "MAIN/A")
    _record(tenant, count_id, "MAIN/A/01", "SKU-002", 4)
    assert _lines(tenant, count_id)[("MAIN/A/01", "SKU-002")] == {
        "expected": 0, "counted": 4, "system_qty": 0, "variance": 4}
    perform(tenant.engine, tenant.actor, approve_count, count_id)
    assert level(tenant, "SKU-002", "MAIN/A/01") == (4, 0)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 0)
    assert_ledger_consistent(tenant)


def test_recording_again_replaces_the_earlier_figure(tenant, world):
    count_id = _open(tenant, "MAIN/A/01")
    first = _record(tenant, count_id, "MAIN/A/01", "SKU-001", 3)
    second = _record(tenant, count_id, "MAIN/A/01", "SKU-001", 11)
    assert first == second
    assert _lines(tenant, count_id)[("MAIN/A/01", "SKU-001")]["variance"] == 1
    perform(tenant.engine, tenant.actor, approve_count, count_id)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (11, 0)


def test_approving_needs_the_approve_permission(tenant, world):
    operator = role_actor(tenant, "warehouse_operator")
    count_id = _open(tenant, "MAIN/A", actor=operator)
    _record(tenant, count_id, "MAIN/A/01", "SKU-001", 1, actor=operator)
    assert_refused(tenant, PermissionDenied, "permission", approve_count, count_id, actor=operator)
    assert_refused(tenant, PermissionDenied, "permission", cancel_count, count_id, actor=operator)
    assert _state(tenant, count_id) == "open"

    perform(tenant.engine, role_actor(tenant, "warehouse_manager"), approve_count, count_id)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (1, 0)


def test_approving_with_nothing_counted_is_refused(tenant, world):
    count_id = _open(tenant, "MAIN/A")
    assert_refused(tenant, ValidationFailed, "lines", approve_count, count_id)


def test_a_closed_count_can_be_neither_recorded_nor_approved_again(tenant, world):
    approved = _open(tenant, "MAIN/A/01")
    _record(tenant, approved, "MAIN/A/01", "SKU-001", 9)
    perform(tenant.engine, tenant.actor, approve_count, approved)
    cancelled = _open(tenant, "MAIN/A/02")
    perform(tenant.engine, tenant.actor, cancel_count, cancelled)
    assert _state(tenant, cancelled) == "cancelled"
    for count_id in (approved, cancelled):
        assert_refused(tenant, Conflict, "count_id", approve_count, count_id)
        assert_refused(tenant, Conflict, "count_id", record_count,
                       RecordCount(count_id=count_id, location="MAIN/A/01", sku="SKU-001", counted=1))
    assert_refused(tenant, Conflict, "count_id", cancel_count, approved)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (9, 0)


BAD_RECORDINGS = [
    ({"location": "NORTH/B/01"}, ValidationFailed, "location"),  # another warehouse than the count's
    ({"location": "MAIN/A/77"}, NotFound, "location"),
    ({"sku": "NOPE"}, NotFound, "sku"),
    ({"count_id": 987_654_321}, NotFound, "count_id"),
]


def test_a_bad_recording_is_refused_and_changes_nothing(tenant, world, subtests):
    count_id = _open(tenant, "MAIN/A")
    for changes, error, field in BAD_RECORDINGS:
        with subtests.test(str(changes)):
            cmd = {"count_id": count_id, "location": "MAIN/A/01", "sku": "SKU-001", "counted": 3, **changes}
            assert_refused(tenant, error, field, record_count, RecordCount(**cmd))


def test_a_negative_count_is_refused():
    with pytest.raises(ValidationError) as info:
        RecordCount(count_id=1, location="MAIN/A/01", sku="SKU-001", counted=-1)
    assert [e["loc"] for e in info.value.errors()] == [("counted",)]


BAD_COUNT_LOCATIONS = [
    ({"warehouse": "MAIN", "locations": ["NORTH/B/01"]}, ValidationFailed, "locations[0]"),
    ({"warehouse": "MAIN", "locations": ["MAIN/A", "MAIN/X"]}, NotFound, "locations[1]"),
    ({"warehouse": "SOUTH", "locations": ["MAIN/A"]}, NotFound, "warehouse"),
]


def test_a_count_of_bad_locations_is_refused(tenant, world, subtests):
    for cmd, error, field in BAD_COUNT_LOCATIONS:
        with subtests.test(str(cmd)):
            assert_refused(tenant, error, field, open_count, OpenCount(**cmd))



def test_a_lot_tracked_sku_is_counted_lot_by_lot(tenant):
    build_world(tenant, tracking="lot")
    receive(tenant, "SKU-001", "MAIN/A/01", 6, lot="L1")
    receive(tenant, "SKU-001", "MAIN/A/01", 4, lot="L2")
    count_id = _open(tenant, "MAIN/A/01")
    assert {(x["line"].lot, x["line"].expected) for x in read(tenant.engine, tenant.actor, queries.count_detail,
                                                                count_id)[1]} == {("L1", 6), ("L2", 4)}
    # Counting the SKU without saying which lot would book the units in again as lot-less stock.
    assert_refused(tenant, ValidationFailed, "lot", record_count,
                   RecordCount(count_id=count_id, location="MAIN/A/01", sku="SKU-001", counted=10))
    perform(tenant.engine, tenant.actor, record_count,
            RecordCount(count_id=count_id, location="MAIN/A/01", sku="SKU-001", counted=5, lot="L1"))
    perform(tenant.engine, tenant.actor, approve_count, count_id)
    assert level(tenant, "SKU-001", "MAIN/A/01", lot="L1") == (5, 0)
    assert level(tenant, "SKU-001", "MAIN/A/01", lot="L2") == (4, 0)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (0, 0)
    assert_ledger_consistent(tenant)


def test_a_bin_already_counted_on_another_open_count_is_not_counted_twice(tenant, world):
    first = _open(tenant, "MAIN/A")
    second = _open(tenant, "MAIN/A/01")
    _record(tenant, first, "MAIN/A/01", "SKU-001", 8)
    error = assert_refused(tenant, Conflict, "sku", record_count,
                           RecordCount(count_id=second, location="MAIN/A/01", sku="SKU-001", counted=8))
    assert str(first) in error.message
    _record(tenant, second, "MAIN/A/02", "SKU-002", 5)  # other lines of the second count are fine
    perform(tenant.engine, tenant.actor, approve_count, first)
    _record(tenant, second, "MAIN/A/01", "SKU-001", 8)  # after approval the ledger already says 8
    perform(tenant.engine, tenant.actor, approve_count, second)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (8, 0)  # the 2 missing units were written off once
    assert_ledger_consistent(tenant)

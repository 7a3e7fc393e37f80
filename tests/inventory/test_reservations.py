"""Reservations: hold sellable stock, release it, consume it (ship it), and let unpaid holds expire."""

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from stockyard.core import clock
from stockyard.core.errors import Conflict, NotFound, PermissionDenied
from stockyard.core.uow import perform, read
from stockyard.inventory import jobs, queries
from stockyard.inventory import reservations as res
from stockyard.inventory.models import Reservation
from stockyard.inventory.reservations import ReserveStock, consume_reservation, release_reservation, reserve_stock
from tests.conftest import TenantCtx, new_tenant
from tests.factories import World, build_world, receive
from tests.inventory.support import (
    assert_ledger_consistent,
    assert_refused,
    events,
    level,
    moves_of,
    role_actor,
    sku_id,
)


def _reserve(ctx: TenantCtx, quantity: int, sku: str = "SKU-001", **kw: object) -> int:
    return perform(ctx.engine, ctx.actor, reserve_stock, ReserveStock(sku=sku, quantity=quantity, **kw))


def _reservation(ctx: TenantCtx, reservation_id: int) -> Reservation:
    page = read(ctx.engine, ctx.actor, queries.list_reservations, None, None, 1)
    return next(r for r, _, _ in page.items if r.id == reservation_id)


def _atp(ctx: TenantCtx, sku: str = "SKU-001") -> int:
    the_id = sku_id(ctx, sku)
    return read(ctx.engine, ctx.actor, queries.stock_for_skus, [the_id])[the_id].atp


@pytest.fixture
def world(tenant: TenantCtx) -> World:
    made = build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    return made


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Move the clock forward for the reservation services and the expiry job (they import `utcnow`)."""

    def set_offset(delta: timedelta) -> None:
        def shifted() -> datetime:
            return clock.utcnow() + delta

        monkeypatch.setattr(res, "utcnow", shifted)
        monkeypatch.setattr(jobs, "utcnow", shifted)

    return set_offset


def test_a_reservation_holds_stock_so_it_is_no_longer_available(tenant, world):
    reservation_id = _reserve(tenant, 4, reference="order-1001")

    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 4)
    assert _atp(tenant) == 6
    held = _reservation(tenant, reservation_id)
    assert (held.state, held.quantity, held.reference, held.warehouse_id, held.reserved_until) == (
        "active", 4, "order-1001", world.main, None)
    [event] = events(tenant, "stock.reserved.v1")
    assert (event["reservation_id"], event["quantity"], event["reference"]) == (reservation_id, 4, "order-1001")
    assert event["items"] == [{"sku_id": sku_id(tenant, "SKU-001"), "warehouse_id": world.main}]
    assert_ledger_consistent(tenant)


def test_reserving_more_than_is_available_is_refused(tenant, world):
    _reserve(tenant, 4)
    receive(tenant, "SKU-001", "MAIN/Q/01", 50, status="quarantine")  # not sellable: does not count
    error = assert_refused(tenant, Conflict, "quantity", reserve_stock, ReserveStock(sku="SKU-001", quantity=7))
    assert error.details == {"available": 6}
    _reserve(tenant, 6)
    assert_refused(tenant, Conflict, "quantity", reserve_stock, ReserveStock(sku="SKU-001", quantity=1))
    assert _atp(tenant) == 0


def test_stock_in_transit_cannot_be_reserved(tenant, world):
    from stockyard.inventory.transfers import DispatchTransfer, dispatch_transfer

    perform(tenant.engine, tenant.actor, dispatch_transfer, DispatchTransfer(
        from_warehouse="MAIN", to_warehouse="NORTH",
        lines=[{"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 10}]))
    assert_refused(tenant, Conflict, "quantity", reserve_stock, ReserveStock(sku="SKU-001", quantity=1))


def test_a_reservation_in_a_chosen_warehouse_uses_only_that_warehouse(tenant, world):
    receive(tenant, "SKU-001", "NORTH/B/01", 3)
    assert_refused(tenant, Conflict, "quantity", reserve_stock,
                   ReserveStock(sku="SKU-001", quantity=4, warehouse="NORTH"))
    reservation_id = _reserve(tenant, 3, warehouse="NORTH")
    assert _reservation(tenant, reservation_id).warehouse_id == world.north
    assert level(tenant, "SKU-001", "NORTH/B/01") == (3, 3)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 0)


def test_without_a_warehouse_one_that_covers_the_whole_quantity_is_preferred(tenant, world):
    receive(tenant, "SKU-002", "MAIN/A/01", 3)  # MAIN comes first by priority but has too few
    receive(tenant, "SKU-002", "NORTH/B/01", 10)
    whole = _reserve(tenant, 5, sku="SKU-002")
    assert _reservation(tenant, whole).warehouse_id == world.north
    assert level(tenant, "SKU-002", "MAIN/A/01") == (3, 0)
    assert level(tenant, "SKU-002", "NORTH/B/01") == (10, 5)

    split = _reserve(tenant, 8, sku="SKU-002")  # 5 left in NORTH + 3 in MAIN: split it
    assert level(tenant, "SKU-002", "MAIN/A/01") == (3, 3)
    assert level(tenant, "SKU-002", "NORTH/B/01") == (10, 10)
    perform(tenant.engine, tenant.actor, release_reservation, split)
    assert level(tenant, "SKU-002", "MAIN/A/01") == (3, 0)
    assert level(tenant, "SKU-002", "NORTH/B/01") == (10, 5)
    assert_ledger_consistent(tenant)


def test_a_reservation_spread_over_bins_is_released_from_each(tenant, world):
    receive(tenant, "SKU-001", "MAIN/A/02", 4)
    reservation_id = _reserve(tenant, 13)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 10)  # fullest row first: fewest splits
    assert level(tenant, "SKU-001", "MAIN/A/02") == (4, 3)
    perform(tenant.engine, tenant.actor, release_reservation, reservation_id)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 0)
    assert level(tenant, "SKU-001", "MAIN/A/02") == (4, 0)
    assert_ledger_consistent(tenant)


def test_release_gives_the_stock_back_once(tenant, world):
    reservation_id = _reserve(tenant, 4)
    perform(tenant.engine, tenant.actor, release_reservation, reservation_id)

    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 0)
    assert _reservation(tenant, reservation_id).state == "released"
    assert _reservation(tenant, reservation_id).ended_at is not None
    assert events(tenant, "stock.reservation_released.v1")[0]["reservation_ids"] == [reservation_id]
    assert_refused(tenant, Conflict, "reservation_id", release_reservation, reservation_id)
    assert_refused(tenant, Conflict, "reservation_id", consume_reservation, reservation_id)
    assert_refused(tenant, NotFound, "reservation_id", release_reservation, reservation_id + 10_000)


def test_consuming_a_reservation_ships_the_held_units_to_the_customer(tenant, world):
    reservation_id = _reserve(tenant, 4, reference="order-7")
    move_ids = perform(tenant.engine, tenant.actor, consume_reservation, reservation_id,
                       document_type="shipment", document_id="SH-7")

    assert len(move_ids) == 1
    assert level(tenant, "SKU-001", "MAIN/A/01") == (6, 0)
    assert _atp(tenant) == 6
    last = moves_of(tenant, "SKU-001")[-1]
    assert (last["from_path"], last["to_path"], last["quantity"], last["reason"]) == (
        "MAIN/A/01", "@CUSTOMER", 4, "shipment")
    assert (last["document_type"], last["document_id"]) == ("shipment", "SH-7")
    assert _reservation(tenant, reservation_id).state == "consumed"
    assert [e["reservation_id"] for e in events(tenant, "stock.reservation_consumed.v1")] == [reservation_id]
    assert_refused(tenant, Conflict, "reservation_id", consume_reservation, reservation_id)
    assert_ledger_consistent(tenant)


def test_consuming_uses_the_reservation_itself_when_no_document_is_given(tenant, world):
    reservation_id = _reserve(tenant, 10)
    perform(tenant.engine, tenant.actor, consume_reservation, reservation_id)
    last = moves_of(tenant, "SKU-001")[-1]
    assert (last["document_type"], last["document_id"]) == ("reservation", str(reservation_id))
    assert level(tenant, "SKU-001", "MAIN/A/01") == (0, 0)
    assert_ledger_consistent(tenant)


def test_the_expiry_job_releases_holds_whose_time_has_passed(tenant, world, later):
    expiring = _reserve(tenant, 4, ttl_seconds=60)
    lasting = _reserve(tenant, 2)
    assert _reservation(tenant, expiring).reserved_until is not None
    jobs.release_expired_reservations(tenant.engine)
    assert _reservation(tenant, expiring).state == "active"  # not yet

    later(timedelta(minutes=2))
    assert jobs.release_expired_reservations(tenant.engine) >= 1
    assert _reservation(tenant, expiring).state == "expired"
    assert _reservation(tenant, lasting).state == "active"  # a hold without a TTL never expires
    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 2)
    assert events(tenant, "stock.reservation_expired.v1")[0]["reservation_ids"] == [expiring]
    assert_ledger_consistent(tenant)


def test_an_expired_hold_is_released_on_the_spot_when_a_new_reservation_needs_its_stock(tenant, world, later):
    old = _reserve(tenant, 8, ttl_seconds=60)
    assert_refused(tenant, Conflict, "quantity", reserve_stock, ReserveStock(sku="SKU-001", quantity=5))

    later(timedelta(minutes=2))
    new = _reserve(tenant, 5)
    assert _reservation(tenant, old).state == "expired"
    assert _reservation(tenant, new).state == "active"
    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 5)
    assert_ledger_consistent(tenant)


def test_an_expired_hold_is_kept_while_there_is_enough_stock_without_it(tenant, world, later):
    old = _reserve(tenant, 2, ttl_seconds=60)
    later(timedelta(minutes=2))
    _reserve(tenant, 3)
    assert _reservation(tenant, old).state == "active"  # the job releases it; nobody needed it sooner
    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 5)


UNKNOWN_REFERENCES = [
    ({"sku": "NOPE"}, NotFound, "sku"),
    ({"sku": 987_654_321}, NotFound, "sku"),
    ({"warehouse": "SOUTH"}, NotFound, "warehouse"),
]


def test_a_reservation_with_unknown_references_is_refused(tenant, world, subtests):
    for cmd, error, field in UNKNOWN_REFERENCES:
        with subtests.test(str(cmd)):
            reserve = ReserveStock(**{"sku": "SKU-001", "quantity": 1, **cmd})
            assert_refused(tenant, error, field, reserve_stock, reserve)


def test_another_tenants_sku_cannot_be_reserved_by_id(tenant, world, engine):
    other = new_tenant(engine)
    build_world(other)
    receive(other, "SKU-001", "MAIN/A/01", 5)
    assert_refused(tenant, NotFound, "sku", reserve_stock, ReserveStock(sku=sku_id(other, "SKU-001"), quantity=1))
    assert level(other, "SKU-001", "MAIN/A/01") == (5, 0)


def test_reserving_needs_the_reserve_permission(tenant, world):
    assert_refused(tenant, PermissionDenied, "permission", reserve_stock, ReserveStock(sku="SKU-001", quantity=1),
                   actor=role_actor(tenant, "warehouse_operator"))
    perform(tenant.engine, role_actor(tenant, "sales"), reserve_stock, ReserveStock(sku="SKU-001", quantity=1))
    assert level(tenant, "SKU-001", "MAIN/A/01") == (10, 1)

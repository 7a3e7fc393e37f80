"""Transfers between warehouses in two steps: dispatch puts the stock in transit, receipts land it."""

import pytest

from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.inventory import queries, reservations
from stockyard.inventory.queries import SkuStock
from stockyard.inventory.transfers import (
    DispatchTransfer,
    ReceiveLine,
    ReceiveTransfer,
    dispatch_transfer,
    receive_transfer,
)
from tests.conftest import TenantCtx
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


def _stock(ctx: TenantCtx, sku: str) -> SkuStock:
    the_id = sku_id(ctx, sku)
    return read(ctx.engine, ctx.actor, queries.stock_for_skus, [the_id])[the_id]


def _dispatch(ctx: TenantCtx, quantity: int = 6, **changes: object) -> int:
    cmd = {"from_warehouse": "MAIN", "to_warehouse": "NORTH",
           "lines": [{"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": quantity}], **changes}
    return perform(ctx.engine, ctx.actor, dispatch_transfer, DispatchTransfer(**cmd))


def _line_id(ctx: TenantCtx, transfer_id: int, index: int = 0) -> int:
    _, lines = read(ctx.engine, ctx.actor, queries.transfer_detail, transfer_id)
    return lines[index][0].id


def _receipt(transfer_id: int, *lines: tuple[int, int, str]) -> ReceiveTransfer:
    return ReceiveTransfer(transfer_id=transfer_id,
                           lines=[ReceiveLine(line_id=i, quantity=q, to_location=loc) for i, q, loc in lines])


def _receive(ctx: TenantCtx, transfer_id: int, *lines: tuple[int, int, str]) -> str:
    return perform(ctx.engine, ctx.actor, receive_transfer, _receipt(transfer_id, *lines))


@pytest.fixture
def world(tenant: TenantCtx) -> World:
    made = build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    return made


def test_dispatch_takes_stock_out_of_the_source_and_puts_it_in_transit_to_the_destination(tenant, world):
    transfer_id = _dispatch(tenant, 6, note="weekly top-up")

    assert level(tenant, "SKU-001", "MAIN/A/01") == (4, 0)
    assert level(tenant, "SKU-001", "@TRANSIT/NORTH", "in_transit") == (6, 0)
    stock = _stock(tenant, "SKU-001")
    main, north = stock.warehouses[world.main], stock.warehouses[world.north]
    assert (main.on_hand, main.atp) == (4, 4)
    assert (north.on_hand, north.atp, north.in_transit) == (0, 0, 6)  # in transit is shown, never sold
    assert stock.atp == 4

    head, _ = read(tenant.engine, tenant.actor, queries.transfer_detail, transfer_id)
    assert (head.state, head.from_warehouse_id, head.to_warehouse_id) == ("in_transit", world.main, world.north)
    last = moves_of(tenant, "SKU-001")[-1]
    assert (last["from_path"], last["to_path"], last["from_status"], last["to_status"]) == (
        "MAIN/A/01", "@TRANSIT/NORTH", "sellable", "in_transit")
    assert (last["reason"], last["document_type"], last["document_id"]) == (
        "transfer_dispatch", "transfer", str(transfer_id))
    [dispatched] = events(tenant, "transfer.dispatched.v1")
    assert dispatched["transfer_id"] == transfer_id
    assert_ledger_consistent(tenant)


def test_a_partial_receipt_leaves_the_rest_in_transit(tenant, world):
    transfer_id = _dispatch(tenant, 6)
    line = _line_id(tenant, transfer_id)

    assert _receive(tenant, transfer_id, (line, 4, "NORTH/B/01")) == "partially_received"
    assert level(tenant, "SKU-001", "NORTH/B/01") == (4, 0)
    assert level(tenant, "SKU-001", "@TRANSIT/NORTH", "in_transit") == (2, 0)
    north = _stock(tenant, "SKU-001").warehouses[world.north]
    assert (north.atp, north.in_transit) == (4, 2)
    _, lines = read(tenant.engine, tenant.actor, queries.transfer_detail, transfer_id)
    assert (lines[0][0].quantity, lines[0][0].received) == (6, 4)

    assert _receive(tenant, transfer_id, (line, 2, "NORTH/B/01")) == "received"
    assert level(tenant, "SKU-001", "NORTH/B/01") == (6, 0)
    assert level(tenant, "SKU-001", "@TRANSIT/NORTH", "in_transit") == (0, 0)
    assert [e["state"] for e in events(tenant, "transfer.received.v1")] == ["partially_received", "received"]
    last = moves_of(tenant, "SKU-001")[-1]
    assert (last["reason"], last["document_id"], last["to_status"]) == ("transfer_receipt", str(transfer_id),
                                                                         "sellable")
    assert_ledger_consistent(tenant)


def test_a_transfer_of_several_lines_lands_each_line_where_it_is_put(tenant, world):
    receive(tenant, "SKU-002", "MAIN/A/02", 5)
    transfer_id = _dispatch(tenant, lines=[
        {"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 3},
        {"sku": "SKU-002", "from_location": "MAIN/A/02", "quantity": 5},
    ])
    first, second = _line_id(tenant, transfer_id, 0), _line_id(tenant, transfer_id, 1)
    assert _receive(tenant, transfer_id, (second, 5, "NORTH/B/01")) == "partially_received"
    assert _receive(tenant, transfer_id, (first, 1, "NORTH/B/01"), (first, 2, "NORTH/B/01")) == "received"
    assert level(tenant, "SKU-001", "NORTH/B/01") == (3, 0)
    assert level(tenant, "SKU-002", "NORTH/B/01") == (5, 0)
    assert level(tenant, "SKU-002", "MAIN/A/02") == (0, 0)
    assert_ledger_consistent(tenant)


def test_receiving_more_than_is_in_transit_is_refused(tenant, world):
    transfer_id = _dispatch(tenant, 6)
    line = _line_id(tenant, transfer_id)
    cmd = _receipt(transfer_id, (line, 7, "NORTH/B/01"))
    assert_refused(tenant, ValidationFailed, "lines[0].quantity", receive_transfer, cmd)
    # Two receipt lines for one transfer line count together.
    cmd = _receipt(transfer_id, (line, 4, "NORTH/B/01"), (line, 3, "NORTH/B/01"))
    assert_refused(tenant, ValidationFailed, "lines[1].quantity", receive_transfer, cmd)
    _receive(tenant, transfer_id, (line, 5, "NORTH/B/01"))
    cmd = _receipt(transfer_id, (line, 2, "NORTH/B/01"))
    assert_refused(tenant, ValidationFailed, "lines[0].quantity", receive_transfer, cmd)


def test_receiving_into_a_location_of_another_warehouse_is_refused(tenant, world):
    transfer_id = _dispatch(tenant, 6)
    line = _line_id(tenant, transfer_id)
    for path in ("MAIN/A/02", "@TRANSIT/NORTH"):
        cmd = _receipt(transfer_id, (line, 1, path))
        assert_refused(tenant, ValidationFailed if path.startswith("MAIN") else NotFound, "lines[0].to_location",
                       receive_transfer, cmd)


def test_a_received_transfer_cannot_be_received_again_and_unknown_ones_are_not_found(tenant, world):
    transfer_id = _dispatch(tenant, 2)
    line = _line_id(tenant, transfer_id)
    _receive(tenant, transfer_id, (line, 2, "NORTH/B/01"))
    again = _receipt(transfer_id, (line, 1, "NORTH/B/01"))
    assert_refused(tenant, Conflict, "transfer_id", receive_transfer, again)
    unknown = _receipt(transfer_id + 10_000, (line, 1, "NORTH/B/01"))
    assert_refused(tenant, NotFound, "transfer_id", receive_transfer, unknown)


def test_a_line_of_another_transfer_is_not_found(tenant, world):
    first = _dispatch(tenant, 2)
    second = _dispatch(tenant, 2)
    cmd = _receipt(second, (_line_id(tenant, first), 1, "NORTH/B/01"))
    assert_refused(tenant, NotFound, "lines[0].line_id", receive_transfer, cmd)


BAD_DISPATCHES = [
    ({"to_warehouse": "MAIN"}, ValidationFailed, "to_warehouse"),
    ({"to_warehouse": "SOUTH"}, NotFound, "to_warehouse"),
    ({"from_warehouse": "SOUTH"}, NotFound, "from_warehouse"),
    ({"lines": [{"sku": "SKU-001", "from_location": "NORTH/B/01", "quantity": 1}]}, ValidationFailed,
     "lines[0].from_location"),
    ({"lines": [{"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 1},
                {"sku": "NOPE", "from_location": "MAIN/A/01", "quantity": 1}]}, NotFound, "lines[1].sku"),
    ({"lines": [{"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 11}]}, Conflict, "quantity"),
    # 10 on hand, 3 reserved: only 7 may leave.
    ({"lines": [{"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 8}]}, Conflict, "quantity"),
]


def test_a_bad_dispatch_is_refused_and_changes_nothing(tenant, world, subtests):
    perform(tenant.engine, tenant.actor, reservations.reserve_stock,
            reservations.ReserveStock(sku="SKU-001", quantity=3))
    for changes, error, field in BAD_DISPATCHES:
        with subtests.test(str(changes)):
            cmd = {"from_warehouse": "MAIN", "to_warehouse": "NORTH",
                   "lines": [{"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 1}], **changes}
            assert_refused(tenant, error, field, dispatch_transfer, DispatchTransfer(**cmd))


def test_an_operator_of_one_warehouse_dispatches_from_it_but_not_from_another(tenant, world):
    main_only = role_actor(tenant, "warehouse_operator", warehouse_ids=[world.main])
    transfer_id = perform(tenant.engine, main_only, dispatch_transfer, DispatchTransfer(
        from_warehouse="MAIN", to_warehouse="NORTH",
        lines=[{"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 2}]))
    assert level(tenant, "SKU-001", "@TRANSIT/NORTH", "in_transit") == (2, 0)
    _receive(tenant, transfer_id, (_line_id(tenant, transfer_id), 2, "NORTH/B/01"))
    assert_refused(tenant, PermissionDenied, "warehouse", dispatch_transfer, DispatchTransfer(
        from_warehouse="NORTH", to_warehouse="MAIN", lines=[{"sku": "SKU-001", "from_location": "NORTH/B/01",
                                                            "quantity": 1}]), actor=main_only)


def test_an_operator_of_the_source_warehouse_cannot_receive_at_the_destination(tenant, world):
    transfer_id = _dispatch(tenant, 3)
    line = _line_id(tenant, transfer_id)
    main_only = role_actor(tenant, "warehouse_operator", warehouse_ids=[world.main])
    cmd = _receipt(transfer_id, (line, 3, "NORTH/B/01"))
    assert_refused(tenant, PermissionDenied, "warehouse", receive_transfer, cmd, actor=main_only)
    north_only = role_actor(tenant, "warehouse_operator", warehouse_ids=[world.north])
    assert perform(tenant.engine, north_only, receive_transfer, cmd) == "received"


def test_transfers_are_listed_with_their_progress(tenant, world):
    transfer_id = _dispatch(tenant, 6)
    _receive(tenant, transfer_id, (_line_id(tenant, transfer_id), 1, "NORTH/B/01"))
    page = read(tenant.engine, tenant.actor, queries.list_transfers, None, 1)
    [(head, source, target, quantity, received)] = page.items
    assert (head.id, source, target, int(quantity), int(received)) == (transfer_id, "MAIN", "NORTH", 6, 1)
    assert read(tenant.engine, tenant.actor, queries.list_transfers, "received", 1).items == []

"""Receipts, putaway and moves, write-offs and status changes, through the services on both backends."""

from decimal import Decimal

import pytest
from pydantic import ValidationError

from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.inventory import queries, reservations
from stockyard.inventory.movements import (
    ChangeStockStatus,
    MoveStock,
    ReceiveStock,
    WriteOffStock,
    change_stock_status,
    move_stock,
    move_stock_batch,
    receive_stock,
    receive_stock_batch,
    write_off_stock,
)
from tests.conftest import TenantCtx, new_tenant
from tests.factories import build_world, receive
from tests.inventory.support import (
    assert_ledger_consistent,
    assert_refused,
    events,
    level,
    location_id,
    moves_of,
    role_actor,
    sku_id,
    tenant_rows,
)


def _atp(ctx: TenantCtx, sku: str) -> int:
    the_id = sku_id(ctx, sku)
    return read(ctx.engine, ctx.actor, queries.stock_for_skus, [the_id])[the_id].atp


# --- receipts --------------------------------------------------------------------------------------------------


def test_a_receipt_puts_stock_in_the_bin_with_its_cost_lot_and_document(tenant):
    world = build_world(tenant, tracking="lot")
    perform(tenant.engine, tenant.actor, receive_stock, ReceiveStock(
        sku="SKU-001", location="MAIN/A/01", quantity=12, unit_cost=Decimal("3.5"), lot="LOT-7",
        document_type="purchase_order", document_id="PO-42", note="first delivery"))

    assert level(tenant, "SKU-001", "MAIN/A/01", lot="LOT-7") == (12, 0)
    [move] = moves_of(tenant, "SKU-001")
    assert (move["from_path"], move["to_path"], move["quantity"]) == ("@SUPPLIER", "MAIN/A/01", 12)
    assert (move["reason"], move["lot"], move["unit_cost"]) == ("receipt", "LOT-7", Decimal("3.5"))
    assert (move["document_type"], move["document_id"], move["note"]) == ("purchase_order", "PO-42", "first delivery")
    assert move["actor_name"] == "test setup"
    [event] = events(tenant, "stock.changed.v1")
    assert event["reason"] == "receipt" and event["document_id"] == "PO-42"
    assert event["items"] == [{"sku_id": sku_id(tenant, "SKU-001"), "warehouse_id": world.main}]
    assert_ledger_consistent(tenant)


def test_a_receipt_with_a_status_lands_in_that_status_and_is_not_available(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/Q/01", 5, status="quarantine")
    receive(tenant, "SKU-001", "MAIN/A/01", 2)

    assert level(tenant, "SKU-001", "MAIN/Q/01", "quarantine") == (5, 0)
    assert level(tenant, "SKU-001", "MAIN/Q/01", "sellable") == (0, 0)
    assert _atp(tenant, "SKU-001") == 2


def test_receipts_of_one_sku_add_up_in_one_level_row(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 5)
    receive(tenant, "SKU-001", "MAIN/A/01", 7)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (12, 0)
    assert len(moves_of(tenant, "SKU-001")) == 2


def test_a_lot_tracked_sku_needs_a_lot_and_keeps_lots_apart(tenant):
    build_world(tenant, tracking="lot")
    assert_refused(tenant, ValidationFailed, "lot", receive_stock,
                   ReceiveStock(sku="SKU-001", location="MAIN/A/01", quantity=3))
    assert_refused(tenant, ValidationFailed, "lot", receive_stock,
                   ReceiveStock(sku="SKU-001", location="MAIN/A/01", quantity=3, lot="   "))

    receive(tenant, "SKU-001", "MAIN/A/01", 3, lot="A1")
    receive(tenant, "SKU-001", "MAIN/A/01", 4, lot="B2")
    assert level(tenant, "SKU-001", "MAIN/A/01", lot="A1") == (3, 0)
    assert level(tenant, "SKU-001", "MAIN/A/01", lot="B2") == (4, 0)


BAD_RECEIPTS = [
    ({"sku": "NOPE-1"}, NotFound, "sku"),
    ({"sku": ""}, ValidationFailed, "sku"),
    ({"sku": 987_654_321}, NotFound, "sku"),
    ({"location": "MAIN/Z/99"}, NotFound, "location"),
    ({"location": "@SUPPLIER"}, NotFound, "location"),  # outside parties hold no stock
    ({"location": "@TRANSIT/MAIN"}, NotFound, "location"),  # only transfers put stock in transit
    ({"status": "in_transit"}, ValidationFailed, "status"),
]


def test_a_receipt_with_bad_references_is_refused_and_changes_nothing(tenant, subtests):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 5)
    for changes, error, field in BAD_RECEIPTS:
        with subtests.test(str(changes)):
            cmd = {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 2, **changes}
            assert_refused(tenant, error, field, receive_stock, ReceiveStock(**cmd))


def test_a_receipt_into_another_tenants_location_is_an_unknown_location(tenant, engine):
    build_world(tenant)
    other = new_tenant(engine)
    build_world(other)
    theirs = location_id(other, "MAIN/A/01")
    assert_refused(tenant, NotFound, "location", receive_stock,
                   ReceiveStock(sku="SKU-001", location=theirs, quantity=1))
    assert level(other, "SKU-001", "MAIN/A/01") == (0, 0)


@pytest.mark.parametrize("quantity", [0, -3, True])
def test_a_zero_negative_or_true_false_quantity_is_refused_before_anything_runs(quantity):
    for build in (
        lambda: ReceiveStock(sku="X", location="L", quantity=quantity),
        lambda: MoveStock(sku="X", from_location="L", to_location="M", quantity=quantity),
        lambda: WriteOffStock(sku="X", location="L", quantity=quantity, reason="lost"),
        lambda: ChangeStockStatus(sku="X", location="L", quantity=quantity, from_status="quarantine",
                                  to_status="sellable"),
    ):
        with pytest.raises(ValidationError) as info:
            build()
        assert [e["loc"] for e in info.value.errors()] == [("quantity",)]


def test_a_batch_of_receipts_is_all_or_nothing_and_names_the_bad_row(tenant):
    build_world(tenant)
    good = ReceiveStock(sku="SKU-001", location="MAIN/A/01", quantity=3)
    bad = ReceiveStock(sku="SKU-002", location="MAIN/NOPE", quantity=3)
    assert_refused(tenant, NotFound, "receipts[1].location", receive_stock_batch, [good, bad])

    ids = perform(tenant.engine, tenant.actor, receive_stock_batch,
                  [good, ReceiveStock(sku="SKU-002", location="NORTH/B/01", quantity=4)])
    assert len(ids) == 2
    assert level(tenant, "SKU-001", "MAIN/A/01") == (3, 0)
    assert level(tenant, "SKU-002", "NORTH/B/01") == (4, 0)
    assert_ledger_consistent(tenant)


def test_receiving_needs_the_receive_permission(tenant):
    build_world(tenant)
    cmd = ReceiveStock(sku="SKU-001", location="MAIN/A/01", quantity=1)
    assert_refused(tenant, PermissionDenied, "permission", receive_stock, cmd,
                   actor=role_actor(tenant, "read_only"))
    assert_refused(tenant, PermissionDenied, "permission", receive_stock, cmd, actor=role_actor(tenant, "sales"))


def test_an_operator_limited_to_one_warehouse_cannot_receive_into_another(tenant):
    world = build_world(tenant)
    operator = role_actor(tenant, "warehouse_operator", warehouse_ids=[world.main])
    assert_refused(tenant, PermissionDenied, "warehouse", receive_stock,
                   ReceiveStock(sku="SKU-001", location="NORTH/B/01", quantity=1), actor=operator)
    perform(tenant.engine, operator, receive_stock, ReceiveStock(sku="SKU-001", location="MAIN/A/01", quantity=1))
    assert level(tenant, "SKU-001", "MAIN/A/01") == (1, 0)


# --- putaway and moves -----------------------------------------------------------------------------------------


def test_putaway_moves_stock_between_bins_of_a_warehouse(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    perform(tenant.engine, tenant.actor, move_stock,
            MoveStock(sku="SKU-001", from_location="MAIN/A/01", to_location="MAIN/A/02", quantity=4, reason="putaway"))

    assert level(tenant, "SKU-001", "MAIN/A/01") == (6, 0)
    assert level(tenant, "SKU-001", "MAIN/A/02") == (4, 0)
    last = moves_of(tenant, "SKU-001")[-1]
    assert (last["from_path"], last["to_path"], last["reason"], last["quantity"]) == (
        "MAIN/A/01", "MAIN/A/02", "putaway", 4)
    assert _atp(tenant, "SKU-001") == 10  # a move inside a warehouse changes nothing sellable
    assert events(tenant, "stock.changed.v1")[-1]["reason"] == "putaway"
    assert_ledger_consistent(tenant)


def test_moving_the_whole_quantity_empties_the_source(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 3)
    perform(tenant.engine, tenant.actor, move_stock,
            MoveStock(sku="SKU-001", from_location="MAIN/A/01", to_location="MAIN/Q/01", quantity=3))
    assert level(tenant, "SKU-001", "MAIN/A/01") == (0, 0)
    assert level(tenant, "SKU-001", "MAIN/Q/01") == (3, 0)
    assert_ledger_consistent(tenant)


def test_a_move_to_another_warehouse_is_refused_in_favour_of_a_transfer(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    error = assert_refused(tenant, ValidationFailed, "to_location", move_stock,
                           MoveStock(sku="SKU-001", from_location="MAIN/A/01", to_location="NORTH/B/01", quantity=1))
    assert "transfer" in error.message


def test_a_move_to_the_same_location_is_refused(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    assert_refused(tenant, ValidationFailed, "to_location", move_stock,
                   MoveStock(sku="SKU-001", from_location="MAIN/A/01", to_location="MAIN/A/01", quantity=1))


BAD_MOVES = [
    ({"sku": "NOPE"}, NotFound, "sku"),
    ({"from_location": "MAIN/A/99"}, NotFound, "from_location"),
    ({"to_location": "MAIN/A/99"}, NotFound, "to_location"),
    ({"to_location": "@CUSTOMER"}, NotFound, "to_location"),
    ({"status": "in_transit"}, ValidationFailed, "status"),
    ({"quantity": 11}, Conflict, "quantity"),  # more than on hand
    ({"quantity": 8}, Conflict, "quantity"),  # on hand, but 3 are reserved
    ({"status": "quarantine"}, Conflict, "quantity"),  # nothing in that status
]


def test_a_bad_move_is_refused_and_changes_nothing(tenant, subtests):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    perform(tenant.engine, tenant.actor, reservations.reserve_stock,
            reservations.ReserveStock(sku="SKU-001", quantity=3))
    for changes, error, field in BAD_MOVES:
        with subtests.test(str(changes)):
            cmd = {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 1, **changes}
            assert_refused(tenant, error, field, move_stock, MoveStock(**cmd))


def test_a_shortfall_says_how_much_is_free(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    perform(tenant.engine, tenant.actor, reservations.reserve_stock,
            reservations.ReserveStock(sku="SKU-001", quantity=3))
    error = assert_refused(tenant, Conflict, "quantity", move_stock,
                           MoveStock(sku="SKU-001", from_location="MAIN/A/01", to_location="MAIN/A/02", quantity=8))
    assert error.details == {"location": "MAIN/A/01", "on_hand": 10, "reserved": 3, "needed": 8}
    assert "only 7 free" in error.message
    perform(tenant.engine, tenant.actor, move_stock,
            MoveStock(sku="SKU-001", from_location="MAIN/A/01", to_location="MAIN/A/02", quantity=7))
    assert level(tenant, "SKU-001", "MAIN/A/01") == (3, 3)
    assert_ledger_consistent(tenant)


def test_a_batch_of_moves_is_all_or_nothing(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 5)
    receive(tenant, "SKU-002", "MAIN/A/01", 5)
    ok = MoveStock(sku="SKU-001", from_location="MAIN/A/01", to_location="MAIN/A/02", quantity=5)
    too_many = MoveStock(sku="SKU-002", from_location="MAIN/A/01", to_location="MAIN/A/02", quantity=6)
    assert_refused(tenant, Conflict, "quantity", move_stock_batch, [ok, too_many])
    elsewhere = MoveStock(sku="SKU-002", from_location="MAIN/A/01", to_location="NORTH/B/01", quantity=1)
    assert_refused(tenant, ValidationFailed, "moves[1].to_location", move_stock_batch, [ok, elsewhere])

    perform(tenant.engine, tenant.actor, move_stock_batch,
            [ok, MoveStock(sku="SKU-002", from_location="MAIN/A/01", to_location="MAIN/A/02", quantity=5)])
    assert level(tenant, "SKU-001", "MAIN/A/02") == (5, 0)
    assert level(tenant, "SKU-002", "MAIN/A/02") == (5, 0)
    assert_ledger_consistent(tenant)


# --- write-offs ------------------------------------------------------------------------------------------------


def test_a_write_off_sends_stock_to_scrap_with_its_reason(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    perform(tenant.engine, tenant.actor, write_off_stock,
            WriteOffStock(sku="SKU-001", location="MAIN/A/01", quantity=2, reason="damaged", note="forklift"))

    assert level(tenant, "SKU-001", "MAIN/A/01") == (8, 0)
    last = moves_of(tenant, "SKU-001")[-1]
    assert (last["from_path"], last["to_path"], last["reason"]) == ("MAIN/A/01", "@SCRAP", "write_off")
    assert last["note"] == "damaged: forklift"
    assert _atp(tenant, "SKU-001") == 8
    assert_ledger_consistent(tenant)


def test_writing_off_more_than_is_free_is_refused(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    perform(tenant.engine, tenant.actor, reservations.reserve_stock,
            reservations.ReserveStock(sku="SKU-001", quantity=4))
    cmd = {"sku": "SKU-001", "location": "MAIN/A/01", "reason": "lost"}
    assert_refused(tenant, Conflict, "quantity", write_off_stock, WriteOffStock(**cmd, quantity=11))
    assert_refused(tenant, Conflict, "quantity", write_off_stock, WriteOffStock(**cmd, quantity=7))
    perform(tenant.engine, tenant.actor, write_off_stock, WriteOffStock(**cmd, quantity=6))
    assert level(tenant, "SKU-001", "MAIN/A/01") == (4, 4)


def test_a_write_off_needs_a_known_reason_and_the_adjust_permission(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    with pytest.raises(ValidationError) as info:
        WriteOffStock(sku="SKU-001", location="MAIN/A/01", quantity=1, reason="because")
    assert [e["loc"] for e in info.value.errors()] == [("reason",)]
    assert_refused(tenant, PermissionDenied, "permission", write_off_stock,
                   WriteOffStock(sku="SKU-001", location="MAIN/A/01", quantity=1, reason="lost"),
                   actor=role_actor(tenant, "warehouse_operator"))


# --- status changes ----------------------------------------------------------------------------------------------


def test_released_from_quarantine_stock_becomes_sellable(tenant):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/Q/01", 6, status="quarantine")
    assert _atp(tenant, "SKU-001") == 0
    perform(tenant.engine, tenant.actor, change_stock_status,
            ChangeStockStatus(sku="SKU-001", location="MAIN/Q/01", quantity=4, from_status="quarantine",
                              to_status="sellable", note="inspected"))

    assert level(tenant, "SKU-001", "MAIN/Q/01", "quarantine") == (2, 0)
    assert level(tenant, "SKU-001", "MAIN/Q/01", "sellable") == (4, 0)
    assert _atp(tenant, "SKU-001") == 4
    last = moves_of(tenant, "SKU-001")[-1]
    assert (last["from_status"], last["to_status"], last["reason"]) == ("quarantine", "sellable", "status_change")
    assert last["from_path"] == last["to_path"] == "MAIN/Q/01"
    assert_ledger_consistent(tenant)


BAD_STATUS_CHANGES = [
    ({"to_status": "quarantine"}, "to_status", ValidationFailed),
    ({"to_status": "in_transit"}, "to_status", ValidationFailed),
    ({"from_status": "in_transit"}, "from_status", ValidationFailed),
    ({"quantity": 7}, "quantity", Conflict),
    ({"from_status": "damaged"}, "quantity", Conflict),
    ({"location": "MAIN/A/01"}, "quantity", Conflict),
]


def test_a_bad_status_change_is_refused_and_changes_nothing(tenant, subtests):
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/Q/01", 6, status="quarantine")
    for changes, field, error in BAD_STATUS_CHANGES:
        with subtests.test(str(changes)):
            cmd = {"sku": "SKU-001", "location": "MAIN/Q/01", "quantity": 2, "from_status": "quarantine",
                   "to_status": "sellable", **changes}
            assert_refused(tenant, error, field, change_stock_status, ChangeStockStatus(**cmd))


def test_a_failed_call_writes_no_event_and_a_good_one_writes_its_event_with_the_change(tenant):
    build_world(tenant)
    before = tenant_rows(tenant)["outbox"]
    with pytest.raises(Conflict):
        perform(tenant.engine, tenant.actor, move_stock,
                MoveStock(sku="SKU-001", from_location="MAIN/A/01", to_location="MAIN/A/02", quantity=1))
    assert tenant_rows(tenant)["outbox"] == before
    receive(tenant, "SKU-001", "MAIN/A/01", 1)
    assert [e["type"] for e in events(tenant)][len(before):] == ["stock.changed.v1"]

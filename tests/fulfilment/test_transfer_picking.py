"""Transfers picked through the pick flow: the units are held in the source warehouse's bins (they cannot be sold
meanwhile), picked by scanning like any pick list, and dispatched as one transfer of exactly what was picked when the
list is done; a short pick lets go of the missing units' hold and records the discrepancy. Both backends."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from stockyard.core.errors import Conflict, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.fulfilment import picking
from stockyard.fulfilment.execution_models import PickDiscrepancy
from stockyard.fulfilment.picking import ConfirmPick, CreateTransferPick, ReportShortPick
from stockyard.inventory import queries
from stockyard.inventory.reservations import ReserveStock, reserve_stock
from stockyard.inventory.transfers import ReceiveLine, ReceiveTransfer, receive_transfer
from tests.conftest import Api, TenantCtx
from tests.factories import receive
from tests.fulfilment.execution_scene import BARCODES, build_scene
from tests.fulfilment.test_packing_api import signed_in
from tests.inventory.support import assert_ledger_consistent, assert_refused, level


def _setup(tenant: TenantCtx) -> None:
    build_scene(tenant, stock={})
    receive(tenant, "SKU-001", "MAIN/A/03", 3)
    receive(tenant, "SKU-001", "MAIN/A/01", 2)
    receive(tenant, "SKU-002", "MAIN/A/02", 4)


def _create(tenant: TenantCtx, lines: dict[str, int]) -> picking.PickListView:
    list_id = perform(tenant.engine, tenant.actor, picking.create_transfer_pick, CreateTransferPick(
        from_warehouse="MAIN", to_warehouse="NORTH", lines=[{"sku": s, "quantity": q} for s, q in lines.items()],
        note="top up North"))
    return read(tenant.engine, tenant.actor, picking.pick_list, list_id)


def _atp(tenant: TenantCtx, sku: str) -> int:
    return read(tenant.engine, tenant.actor, queries.atp_for_sku, sku).atp


def _pick(tenant: TenantCtx, plist: picking.PickListView, quantity: int | None = None) -> picking.PickProgress:
    line = plist.next_line
    assert line is not None
    return perform(tenant.engine, tenant.actor, picking.confirm_pick, ConfirmPick(
        pick_list_id=plist.id, line_id=line.id, location_code=line.location, scanned_barcode=BARCODES[line.sku],
        quantity=line.remaining if quantity is None else quantity))


def _reload(tenant: TenantCtx, plist: picking.PickListView) -> picking.PickListView:
    return read(tenant.engine, tenant.actor, picking.pick_list, plist.id)


def _transfer_lines(tenant: TenantCtx, transfer_id: int) -> tuple[str, list[tuple[str, str, int]]]:
    transfer, lines = read(tenant.engine, tenant.actor, queries.transfer_detail, transfer_id)
    return transfer.state, sorted((code, path, line.quantity) for line, code, path in lines)


def test_lines_are_planned_in_walking_order_and_held(tenant: TenantCtx) -> None:
    _setup(tenant)
    assert (_atp(tenant, "SKU-001"), _atp(tenant, "SKU-002")) == (5, 4)
    plist = _create(tenant, {"SKU-001": 5, "SKU-002": 3})
    assert (plist.kind, plist.state, plist.warehouse, plist.to_warehouse) == ("transfer", "open", "MAIN", "NORTH")
    assert [(line.location, line.sku, line.quantity) for line in plist.lines] == [
        ("MAIN/A/01", "SKU-001", 2), ("MAIN/A/02", "SKU-002", 3), ("MAIN/A/03", "SKU-001", 3)]
    assert [line.position for line in plist.lines] == [1, 2, 3]
    # held: nobody can sell or reserve them meanwhile
    assert (_atp(tenant, "SKU-001"), _atp(tenant, "SKU-002")) == (0, 1)
    assert level(tenant, "SKU-001", "MAIN/A/03") == (3, 3)
    assert_refused(tenant, Conflict, "quantity", reserve_stock, ReserveStock(sku="SKU-001", quantity=1))
    assert_ledger_consistent(tenant)


def test_not_enough_stock_names_the_line_and_changes_nothing(tenant: TenantCtx) -> None:
    _setup(tenant)
    err = assert_refused(tenant, Conflict, "lines[1].quantity", picking.create_transfer_pick, CreateTransferPick(
        from_warehouse="MAIN", to_warehouse="NORTH",
        lines=[{"sku": "SKU-001", "quantity": 2}, {"sku": "SKU-002", "quantity": 5}]))
    assert "line 2" in str(err) and "SKU-002" in str(err) and "4 free" in str(err)
    assert_refused(tenant, ValidationFailed, "to_warehouse", picking.create_transfer_pick, CreateTransferPick(
        from_warehouse="MAIN", to_warehouse="MAIN", lines=[{"sku": "SKU-001", "quantity": 1}]))


def test_wrong_scans_are_refused_and_change_nothing(tenant: TenantCtx) -> None:
    _setup(tenant)
    plist = _create(tenant, {"SKU-001": 2})
    line = plist.lines[0]
    good = {"pick_list_id": plist.id, "line_id": line.id, "location_code": line.location,
            "scanned_barcode": BARCODES["SKU-001"], "quantity": 1}
    err = assert_refused(tenant, ValidationFailed, "location_code", picking.confirm_pick,
                         ConfirmPick(**{**good, "location_code": "MAIN/A/02"}))
    assert f"pick this line from {line.location}" in str(err)
    err = assert_refused(tenant, ValidationFailed, "scanned_barcode", picking.confirm_pick,
                         ConfirmPick(**{**good, "scanned_barcode": BARCODES["SKU-002"]}))
    assert "this line needs SKU-001" in str(err)


def test_complete_pick_dispatches_one_transfer_that_the_destination_receives(tenant: TenantCtx) -> None:
    _setup(tenant)
    plist = _create(tenant, {"SKU-001": 5, "SKU-002": 3})
    _pick(tenant, plist, quantity=1)  # in steps, like any pick list
    plist = _reload(tenant, plist)
    while plist.next_line is not None:
        progress = _pick(tenant, plist)
        plist = _reload(tenant, plist)
    assert progress.list_done and plist.state == "picked" and plist.transfer_id is not None
    state, lines = _transfer_lines(tenant, plist.transfer_id)
    assert state == "in_transit"
    assert lines == [("SKU-001", "MAIN/A/01", 2), ("SKU-001", "MAIN/A/03", 3), ("SKU-002", "MAIN/A/02", 3)]
    assert level(tenant, "SKU-001", "MAIN/A/03") == (0, 0)
    assert level(tenant, "SKU-002", "MAIN/A/02") == (1, 0)
    assert level(tenant, "SKU-001", "@TRANSIT/NORTH", "in_transit") == (5, 0)
    assert _atp(tenant, "SKU-002") == 1
    assert_ledger_consistent(tenant)

    transfer, detail = read(tenant.engine, tenant.actor, queries.transfer_detail, plist.transfer_id)
    state = perform(tenant.engine, tenant.actor, receive_transfer, ReceiveTransfer(
        transfer_id=transfer.id, lines=[ReceiveLine(line_id=row[0].id, quantity=row[0].quantity,
                                                    to_location="NORTH/B/01") for row in detail]))
    assert state == "received"
    assert level(tenant, "SKU-001", "NORTH/B/01") == (5, 0)
    assert level(tenant, "SKU-002", "NORTH/B/01") == (3, 0)
    assert_ledger_consistent(tenant)


def test_short_pick_sends_what_was_found_and_records_the_discrepancy(tenant: TenantCtx) -> None:
    _setup(tenant)
    plist = _create(tenant, {"SKU-001": 5})
    second = plist.lines[1]  # MAIN/A/01 × 2, then MAIN/A/03 × 3
    _pick(tenant, plist)
    result = perform(tenant.engine, tenant.actor, picking.report_short_pick, ReportShortPick(
        pick_list_id=plist.id, line_id=second.id, location_code="MAIN/A/03", found=1))
    assert result.missing == 2 and "2 fewer sent" in result.outcome
    plist = _reload(tenant, plist)
    assert plist.state == "picked" and plist.transfer_id is not None
    assert [(line.state, line.picked) for line in plist.lines] == [("picked", 2), ("short", 1)]
    _, lines = _transfer_lines(tenant, plist.transfer_id)
    assert lines == [("SKU-001", "MAIN/A/01", 2), ("SKU-001", "MAIN/A/03", 1)]
    # the 2 missing units are quarantined in the bin, not held and not sellable
    assert level(tenant, "SKU-001", "MAIN/A/03") == (0, 0)
    assert level(tenant, "SKU-001", "MAIN/A/03", "quarantine") == (2, 0)
    assert level(tenant, "SKU-001", "@TRANSIT/NORTH", "in_transit") == (3, 0)
    with tenant.uow() as uow:
        d = uow.conn.execute(select(PickDiscrepancy.__table__).where(
            PickDiscrepancy.__table__.c.pick_line_id == second.id)).one()
    assert (d.expected, d.found, d.missing, d.state) == (3, 1, 2, "open")
    assert_ledger_consistent(tenant)


def test_short_pick_of_an_open_list_lets_go_of_the_missing_hold_only(tenant: TenantCtx) -> None:
    _setup(tenant)
    plist = _create(tenant, {"SKU-001": 5})
    perform(tenant.engine, tenant.actor, picking.report_short_pick, ReportShortPick(
        pick_list_id=plist.id, line_id=plist.lines[1].id, location_code="MAIN/A/03", found=0))
    plist = _reload(tenant, plist)
    assert plist.state == "open" and plist.transfer_id is None
    assert level(tenant, "SKU-001", "MAIN/A/01") == (2, 2)  # still held for the open line
    assert level(tenant, "SKU-001", "MAIN/A/03", "quarantine") == (3, 0)
    assert_ledger_consistent(tenant)


def test_api_and_pages_create_pick_and_show_the_destination(tenant: TenantCtx, client: TestClient,
                                                            app_for: Any) -> None:
    _setup(tenant)
    _, key = tenant.user("warehouse_manager")
    api = Api(client, {"Authorization": f"Bearer {key}"})
    short = api.post("/api/v1/fulfilment/transfer-picks", {
        "from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [{"sku": "SKU-002", "quantity": 9}]})
    assert short.status_code == 409 and short.json()["error"]["field"] == "lines[0].quantity", short.text
    made = api.post("/api/v1/fulfilment/transfer-picks", {
        "from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines": [{"sku": "SKU-002", "quantity": 2}]})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["kind"], body["to_warehouse"], body["transfer_id"]) == ("transfer", "NORTH", None)

    browser, csrf = signed_in(tenant, app_for, "warehouse_manager")
    refused = browser.post("/erp/transfers/new", data={
        "csrf_token": csrf, "from_warehouse": "MAIN", "to_warehouse": "NORTH", "pick_first": "1",
        "lines.1.sku": "SKU-001", "lines.1.quantity": "6"}, follow_redirects=False)
    assert refused.status_code == 409 and "not enough sellable SKU-001" in refused.text
    created = browser.post("/erp/transfers/new", data={
        "csrf_token": csrf, "from_warehouse": "MAIN", "to_warehouse": "NORTH", "pick_first": "1",
        "lines.0.sku": "SKU-001", "lines.0.quantity": "2"}, follow_redirects=False)
    assert created.status_code == 303 and "/erp/fulfilment/pick-lists/" in created.headers["location"]
    page = browser.get(created.headers["location"])
    assert "transfer to NORTH" in page.text
    assert level(tenant, "SKU-001", "MAIN/A/03") == (3, 2)  # held, nothing dispatched yet

    # the mobile pick screen names the destination, and the last scan dispatches the transfer
    list_id = int(created.headers["location"].rsplit("/", 1)[1])
    mobile = browser.get(f"/m/MAIN/pick?pick=PL-{list_id}")
    assert mobile.status_code == 200 and "transfer to NORTH" in mobile.text
    state = api.get(f"/api/v1/mobile/warehouses/MAIN/picking?pick=PL-{list_id}").json()
    assert state["to_warehouse"] == "NORTH"
    line = state["lines"][0]
    done = api.post(f"/api/v1/mobile/warehouses/MAIN/pick-lists/{list_id}/picks", {
        "line_id": line["line_id"], "location": line["location"], "sku": BARCODES["SKU-001"], "quantity": 2})
    assert done.status_code == 200 and done.json()["state"] == "picked", done.text
    assert level(tenant, "SKU-001", "@TRANSIT/NORTH", "in_transit") == (2, 0)
    transfer_id = read(tenant.engine, tenant.actor, picking.pick_list, list_id).transfer_id
    assert transfer_id is not None and f"/erp/transfers/{transfer_id}" in browser.get(
        created.headers["location"]).text
    assert_ledger_consistent(tenant)


def test_calling_off_a_transfer_pick_lets_go_of_its_holds(tenant: TenantCtx) -> None:
    _setup(tenant)
    plist = _create(tenant, {"SKU-001": 4, "SKU-002": 1})
    _pick(tenant, plist)  # one line picked: the units are still in their bin
    assert (_atp(tenant, "SKU-001"), _atp(tenant, "SKU-002")) == (1, 3)
    perform(tenant.engine, tenant.actor, picking.cancel_transfer_pick, plist.id)
    assert _reload(tenant, plist).state == "cancelled"
    assert (_atp(tenant, "SKU-001"), _atp(tenant, "SKU-002")) == (5, 4)  # free to sell again, nothing moved
    assert (level(tenant, "SKU-001", "MAIN/A/03"), level(tenant, "SKU-001", "MAIN/A/01")) == ((3, 0), (2, 0))
    assert_refused(tenant, Conflict, "pick_list_id", picking.cancel_transfer_pick, plist.id)  # once only
    assert_refused(tenant, Conflict, "pick_list_id", picking.confirm_pick, ConfirmPick(
        pick_list_id=plist.id, line_id=plist.lines[-1].id, location_code=plist.lines[-1].location,
        scanned_barcode=BARCODES[plist.lines[-1].sku], quantity=1))
    assert_ledger_consistent(tenant)

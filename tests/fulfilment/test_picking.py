"""Picking with scan validation: the wrong location, a location of another warehouse, the wrong item, an unknown
barcode or too many units are refused and change nothing; short picks quarantine the missing units, record the
discrepancy and re-allocate or backorder; replenishment tasks move stock to the pick location. Both backends."""

from sqlalchemy import select

from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform
from stockyard.fulfilment import picking
from stockyard.fulfilment.execution_models import PickDiscrepancy
from stockyard.fulfilment.picking import ConfirmPick, ReportShortPick
from stockyard.sales import orders
from tests.conftest import TenantCtx
from tests.factories import receive
from tests.fulfilment.execution_scene import BARCODES, build_scene
from tests.inventory.support import assert_ledger_consistent, assert_refused, level
from tests.sales.order_fixtures import detail


def scan(plist: picking.PickListView, **changes: object) -> ConfirmPick:
    line = plist.next_line
    assert line is not None
    values: dict[str, object] = {"pick_list_id": plist.id, "line_id": line.id, "location_code": line.location,
                                 "scanned_barcode": BARCODES[line.sku], "quantity": line.remaining}
    return ConfirmPick(**{**values, **changes})


def test_bad_scans_are_refused_and_change_nothing(tenant: TenantCtx) -> None:
    sc = build_scene(tenant)
    receive(tenant, "SKU-002", "NORTH/B/01", 2)
    order_id = sc.order({"SKU-001": 2})
    sc.wave()
    plist = sc.list_for(order_id)
    err = assert_refused(tenant, ValidationFailed, "location_code", picking.confirm_pick,
                         scan(plist, location_code="MAIN/A/02"))
    assert "pick this line from MAIN/A/01" in str(err)
    err = assert_refused(tenant, ValidationFailed, "location_code", picking.confirm_pick,
                         scan(plist, location_code="NORTH/B/01"))
    assert "another warehouse" in str(err)
    assert_refused(tenant, NotFound, "location_code", picking.confirm_pick, scan(plist, location_code="MAIN/Z/99"))
    err = assert_refused(tenant, ValidationFailed, "scanned_barcode", picking.confirm_pick,
                         scan(plist, scanned_barcode=BARCODES["SKU-002"]))
    assert "this line needs SKU-001" in str(err)
    assert_refused(tenant, NotFound, "scanned_barcode", picking.confirm_pick, scan(plist, scanned_barcode="0000"))
    err = assert_refused(tenant, ValidationFailed, "quantity", picking.confirm_pick, scan(plist, quantity=3))
    assert "only 2 more" in str(err)


def test_picking_in_steps_reports_progress_and_the_next_line(tenant: TenantCtx) -> None:
    sc = build_scene(tenant)
    order_id = sc.order({"SKU-001": 2, "SKU-002": 1})
    sc.wave()
    plist = sc.list_for(order_id)
    progress = perform(tenant.engine, tenant.actor, picking.confirm_pick, scan(plist, quantity=1))
    assert (progress.picked, progress.remaining, progress.list_done) == (1, 1, False)
    plist = sc.pick_all(order_id)
    assert plist.state == "picked" and plist.next_line is None
    assert all(line.state == "picked" for line in plist.lines)
    # picked units stay reserved in their bin until shipped
    assert level(tenant, "SKU-001", "MAIN/A/01") == (5, 2)
    assert_refused(tenant, Conflict, "pick_list_id", picking.confirm_pick, ConfirmPick(
        pick_list_id=plist.id, line_id=plist.lines[0].id, location_code="MAIN/A/01", scanned_barcode="SKU-001"))
    assert_ledger_consistent(tenant)


def discrepancies(tenant: TenantCtx) -> list[tuple[int, int, int, str]]:
    d = PickDiscrepancy.__table__
    with tenant.uow() as uow:
        return [tuple(r) for r in uow.conn.execute(select(d.c.expected, d.c.found, d.c.missing, d.c.outcome).where(
            d.c.tenant_id == tenant.tenant_id))]


def test_a_short_pick_is_reallocated_from_another_bin_and_the_bin_is_flagged(tenant: TenantCtx) -> None:
    sc = build_scene(tenant, stock={"SKU-001": 3, "SKU-002": 0})
    receive(tenant, "SKU-001", "MAIN/A/03", 2)
    order_id = sc.order({"SKU-001": 3})
    sc.wave()
    plist = sc.list_for(order_id)
    line = plist.next_line
    assert line is not None and line.location == "MAIN/A/01" and line.quantity == 3
    result = perform(tenant.engine, tenant.actor, picking.report_short_pick, ReportShortPick(
        pick_list_id=plist.id, line_id=line.id, location_code="MAIN/A/01", found=1))
    assert (result.missing, result.reallocated, result.backordered) == (2, 3, 0)
    # the missing units can no longer be promised: quarantined in the bin, awaiting a count
    assert level(tenant, "SKU-001", "MAIN/A/01", "quarantine") == (2, 0)
    [(expected, found, missing, outcome)] = discrepancies(tenant)
    assert (expected, found, missing) == (3, 1, 2) and "2 missing" in outcome
    plist = sc.list_for(order_id)
    open_lines = [(li.location, li.quantity, li.picked) for li in plist.lines if li.state in ("open", "picked")]
    # the unit found stays counted where the new allocation takes it from the same bin
    assert sorted(open_lines) == [("MAIN/A/01", 1, 1), ("MAIN/A/03", 2, 0)]
    sc.pick_all(order_id)
    assert detail(sc.shop, order_id).status == "picking"
    assert_ledger_consistent(tenant)


def test_a_short_pick_with_no_stock_anywhere_is_backordered(tenant: TenantCtx) -> None:
    sc = build_scene(tenant, stock={"SKU-001": 2, "SKU-002": 0})
    order_id = sc.order({"SKU-001": 2})
    sc.wave()
    plist = sc.list_for(order_id)
    line = plist.next_line
    assert line is not None
    result = perform(tenant.engine, tenant.actor, picking.report_short_pick, ReportShortPick(
        pick_list_id=plist.id, line_id=line.id, location_code=line.location, found=1))
    assert (result.missing, result.reallocated, result.backordered) == (1, 1, 1)
    view = detail(sc.shop, order_id)
    assert view.lines[0].allocated == 1
    assert sc.list_for(order_id).state == "picked"
    assert_ledger_consistent(tenant)


def test_a_short_pick_that_is_not_short_is_refused(tenant: TenantCtx) -> None:
    sc = build_scene(tenant)
    order_id = sc.order({"SKU-001": 2})
    sc.wave()
    plist = sc.list_for(order_id)
    line = plist.next_line
    assert line is not None
    assert_refused(tenant, ValidationFailed, "found", picking.report_short_pick, ReportShortPick(
        pick_list_id=plist.id, line_id=line.id, location_code=line.location, found=2))


def test_a_replenishment_task_moves_units_to_the_pick_location_through_the_ledger(tenant: TenantCtx) -> None:
    build_scene(tenant)
    list_id = perform(tenant.engine, tenant.actor, picking.create_replenishment, picking.CreateReplenishment(
        warehouse_id="MAIN", sku="SKU-001", from_location="MAIN/A/01", to_location="MAIN/P/01", quantity=3))
    assert_refused(tenant, ValidationFailed, "to_location", picking.create_replenishment,
                   picking.CreateReplenishment(warehouse_id="MAIN", sku="SKU-001", from_location="MAIN/A/01",
                                               to_location="MAIN/A/02", quantity=3))
    from stockyard.core.uow import read

    plist = read(tenant.engine, tenant.actor, picking.pick_list, list_id)
    assert plist.kind == "replenishment" and plist.to_location == "MAIN/P/01"
    perform(tenant.engine, tenant.actor, picking.confirm_pick, scan(plist))
    assert level(tenant, "SKU-001", "MAIN/P/01") == (3, 0)
    assert level(tenant, "SKU-001", "MAIN/A/01") == (2, 0)
    assert read(tenant.engine, tenant.actor, picking.pick_list, list_id).state == "picked"
    assert_ledger_consistent(tenant)


def test_an_order_cancelled_or_held_while_picking_is_not_picked_on(tenant: TenantCtx) -> None:
    sc = build_scene(tenant)
    held = sc.order({"SKU-001": 1})
    cancelled = sc.order({"SKU-002": 1})
    sc.wave()
    perform(tenant.engine, tenant.actor, orders.hold_order, held, "address check")
    perform(tenant.engine, tenant.actor, orders.cancel_order, cancelled, "customer changed their mind")
    err = assert_refused(tenant, Conflict, "pick_list_id", picking.confirm_pick, scan(sc.list_for(held)))
    assert "on hold" in str(err)
    assert_refused(tenant, Conflict, "pick_list_id", picking.confirm_pick, scan(sc.list_for(cancelled)))
    assert level(tenant, "SKU-002", "MAIN/A/01") == (3, 0)  # the cancelled order's units are free again
    assert_ledger_consistent(tenant)

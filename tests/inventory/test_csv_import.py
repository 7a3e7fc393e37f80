"""Receiving stock from a CSV file: every row lands, or a row-level report and nothing changes."""

import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import func, select
from typer.testing import CliRunner

from stockyard.catalog.services import CreateProduct, add_barcode, create_product
from stockyard.cli import app
from stockyard.core.errors import PermissionDenied, RowErrors
from stockyard.core.settings import get_settings
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.identity.services import actor_for_user
from stockyard.inventory import queries
from stockyard.inventory.csv_import import import_stock
from stockyard.inventory.models import Location, StockLevel, StockMove
from stockyard.inventory.verify import verify_levels
from tests.conftest import TenantCtx, new_tenant
from tests.factories import build_world

SKU1_EAN = "4006633012348"
HEADER = "sku,location,quantity,status,unit_cost,lot,note"


def _world(ctx: TenantCtx) -> None:
    """MAIN (A/01, A/02, quarantine Q/01), NORTH (B/01); SKU-001, SKU-002 (SKU-001 also by barcode),
    FLUID-1, tracked by lot, and TESTER-1, tracked by serial number."""
    build_world(ctx)
    perform(ctx.engine, ctx.actor, add_barcode, sku="SKU-001", code=SKU1_EAN, kind="ean13")
    perform(ctx.engine, ctx.actor, create_product,
            CreateProduct(name="Brake fluid DOT 4", skus=[{"code": "FLUID-1", "tracking": "lot"}]))
    perform(ctx.engine, ctx.actor, create_product,
            CreateProduct(name="Diagnostic tester", skus=[{"code": "TESTER-1", "tracking": "serial"}]))


def _snapshot(uow: UnitOfWork) -> tuple[list[tuple[object, ...]], int]:
    levels = uow.execute(select(StockLevel.sku_id, Location.path, StockLevel.status, StockLevel.lot,
                                StockLevel.on_hand, StockLevel.reserved)
                         .join(Location, Location.id == StockLevel.location_id)
                         .order_by(StockLevel.sku_id, Location.path, StockLevel.status)).all()
    moves = uow.execute(select(func.count()).select_from(StockMove)).scalar_one()
    return [tuple(row) for row in levels], moves


def _stock(ctx: TenantCtx) -> tuple[list[tuple[object, ...]], int]:
    return read(ctx.engine, ctx.actor, _snapshot)


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _on_hand(ctx: TenantCtx, code: str, warehouse: str) -> dict[str, int]:
    page = read(ctx.engine, ctx.actor, queries.search_stock, code)
    row = next(r for r in page.items if r.code == code).as_dict()
    return next(w for w in row["warehouses"] if w["warehouse"] == warehouse)


def test_a_valid_file_is_received_in_full_with_costs_lots_and_notes(tenant: TenantCtx) -> None:
    _world(tenant)
    data = _csv(HEADER,
                "SKU-001,MAIN/A/01,10,,12.50,,",
                f"{SKU1_EAN},main/a/02,4,sellable,3,,first delivery",
                "SKU-002,MAIN/Q/01,2,quarantine,,,",
                "FLUID-1,NORTH/B/01,6,,7.25,L2405-1,",
                "TESTER-1,MAIN/A/01,1,,450,SN-0001,",
                "TESTER-1,MAIN/A/01,1,,450,SN-0002,")

    assert import_stock(tenant.engine, tenant.actor, data) == 6

    moves = read(tenant.engine, tenant.actor, queries.movement_history,
                 queries.MoveFilter(document_type="csv_import")).items
    by_target = {(m.sku_code, m.to_path): m[0] for m in moves}
    assert set(by_target) == {("SKU-001", "MAIN/A/01"), ("SKU-001", "MAIN/A/02"), ("SKU-002", "MAIN/Q/01"),
                              ("FLUID-1", "NORTH/B/01"), ("TESTER-1", "MAIN/A/01")}
    assert by_target[("SKU-001", "MAIN/A/01")].unit_cost == Decimal("12.50")
    assert by_target[("SKU-001", "MAIN/A/02")].note == "first delivery"
    assert by_target[("SKU-002", "MAIN/Q/01")].to_status == "quarantine"
    assert by_target[("FLUID-1", "NORTH/B/01")].lot == "L2405-1"
    assert all(m.reason == "receipt" for m in by_target.values())
    main = _on_hand(tenant, "SKU-001", "MAIN")
    assert (main["on_hand"], main["available_to_promise"]) == (14, 14)
    assert _on_hand(tenant, "SKU-002", "MAIN")["quarantine"] == 2
    assert _on_hand(tenant, "FLUID-1", "NORTH")["on_hand"] == 6
    assert _on_hand(tenant, "TESTER-1", "MAIN")["on_hand"] == 2
    assert verify_levels(tenant.engine, tenant.tenant_id) == []


def test_blank_lines_bom_and_crlf_are_accepted(tenant: TenantCtx) -> None:
    _world(tenant)
    data = "\ufeffSKU,Location,Quantity\r\n\r\nSKU-001,MAIN/A/01,3\r\n".encode()
    assert import_stock(tenant.engine, tenant.actor, data) == 1
    assert _on_hand(tenant, "SKU-001", "MAIN")["on_hand"] == 3


BAD_ROWS = [
    ("NOPE,MAIN/A/01,1,,,,", "sku", "unknown SKU 'NOPE'"),
    (",MAIN/A/01,1,,,,", "sku", "is required"),
    ("SKU-001,MAIN/Z/99,1,,,,", "location", "unknown location 'MAIN/Z/99'"),
    ("SKU-001,@SUPPLIER,1,,,,", "location", "unknown location"),
    ("SKU-001,MAIN/A/01,0,,,,", "quantity", "at least 1"),
    ("SKU-001,MAIN/A/01,-3,,,,", "quantity", "whole number"),
    ("SKU-001,MAIN/A/01,1.5,,,,", "quantity", "whole number"),
    ("SKU-001,MAIN/A/01,ten,,,,", "quantity", "whole number"),
    ("SKU-001,MAIN/A/01,,,,,", "quantity", "is required"),
    ("SKU-001,MAIN/A/01,1,broken,,,", "status", "must be one of sellable, quarantine"),
    ("SKU-001,MAIN/A/01,1,in_transit,,,", "status", "must be one of"),
    ("SKU-001,MAIN/A/01,1,,-1,,", "unit_cost", "zero or more"),
    ("SKU-001,MAIN/A/01,1,,abc,,", "unit_cost", "must be a number"),
    ('SKU-001,MAIN/A/01,1,,"12,50",,', "unit_cost", "must be a number"),
    ("SKU-001,MAIN/A/01,1,,1.23456,,", "unit_cost", "more than 4 decimal places"),
    ("FLUID-1,MAIN/A/01,1,,,,", "lot", "a lot is required"),
    ("SKU-001,MAIN/A/01,1,,," + "L" * 65 + ",", "lot", "longer than 64"),
    ("TESTER-1,MAIN/A/01,2,,,SN-7,", "quantity", "one row per unit, with quantity 1"),
    ("TESTER-1,MAIN/A/01,1,,,SN-1,", "lot", "serial number SN-1 of SKU TESTER-1 is also on line 2"),
    ("SKU-001,MAIN/A/01", "row", "has 2 values; the header has 7 columns"),
]


@pytest.mark.parametrize(("row", "field", "message"), BAD_ROWS, ids=[f"{f}:{r}"[:40] for r, f, _ in BAD_ROWS])
def test_a_bad_row_is_reported_by_line_and_field_and_nothing_is_received(
        tenant: TenantCtx, row: str, field: str, message: str) -> None:
    _world(tenant)
    before = _stock(tenant)
    data = _csv(HEADER, "TESTER-1,MAIN/A/01,1,,,SN-1,", row, "SKU-002,MAIN/A/02,1,,,,")

    with pytest.raises(RowErrors) as caught:
        import_stock(tenant.engine, tenant.actor, data)

    assert caught.value.message == "1 of 3 rows are invalid"
    assert [(line, f) for line, f, _ in caught.value.rows] == [(3, field)]
    assert message in caught.value.rows[0][2]
    assert _stock(tenant) == before


def test_every_bad_row_is_reported_at_once(tenant: TenantCtx) -> None:
    _world(tenant)
    before = _stock(tenant)
    data = _csv(HEADER,
                "NOPE,MAIN/A/01,5,,,,",
                "SKU-001,MAIN/A/01,5,,,,",
                "SKU-002,MAIN/X/01,0,,,,",
                "FLUID-1,MAIN/A/01,2,,oops,,",
                '"SKU-002",MAIN/A/02,1,,,,')

    with pytest.raises(RowErrors) as caught:
        import_stock(tenant.engine, tenant.actor, data)

    assert caught.value.message == "3 of 5 rows are invalid"
    assert [(line, field) for line, field, _ in caught.value.rows] == [
        (2, "sku"), (4, "location"), (4, "quantity"), (5, "lot"), (5, "unit_cost")]
    assert _stock(tenant) == before


def test_line_numbers_follow_the_file_across_blank_lines_and_multi_line_values(tenant: TenantCtx) -> None:
    _world(tenant)
    data = _csv(HEADER, "", "SKU-001,MAIN/A/01,1,,,,\"a note\nover two lines\"", "NOPE,MAIN/A/01,1,,,,")
    with pytest.raises(RowErrors) as caught:
        import_stock(tenant.engine, tenant.actor, data)
    assert [(line, field) for line, field, _ in caught.value.rows] == [(5, "sku")]


BAD_FILES = [
    (b"", 1, "file", "is empty"),
    (b"\n\n", 1, "file", "is empty"),
    (b"sku,location,quantity\nSKU-001,MAIN/A/01,1\n\xff\xfe", 3, "file", "not UTF-8"),
    (b"PK\x03\x04\x14\x00\x06\x00", 1, "file", "spreadsheet workbook"),
    (b"sku,location,quantity\x00\x00", 1, "file", "binary data"),
    (b"sku,location,quantity\n", 1, "file", "no rows"),
    (b"sku;location;quantity\nSKU-001;MAIN/A/01;1\n", 1, "header", "separated by commas"),
    (b"sku,location,quantity,colour\nSKU-001,MAIN/A/01,1,red\n", 1, "colour", "unknown column"),
    (b"sku,quantity\nSKU-001,1\n", 1, "location", "required column is missing"),
    (b"sku,location,quantity,sku\nSKU-001,MAIN/A/01,1,SKU-001\n", 1, "sku", "appears twice"),
    (b'sku,location,quantity\nSKU-001,"MAIN/A/01"x,1\n', 2, "file", "cannot be read as CSV"),
]


@pytest.mark.parametrize(("data", "line", "field", "message"), BAD_FILES, ids=[m for *_, m in BAD_FILES])
def test_a_file_that_is_not_a_stock_csv_is_refused_and_nothing_is_received(
        tenant: TenantCtx, data: bytes, line: int, field: str, message: str) -> None:
    _world(tenant)
    before = _stock(tenant)
    with pytest.raises(RowErrors) as caught:
        import_stock(tenant.engine, tenant.actor, data)
    assert (caught.value.rows[0][0], caught.value.rows[0][1]) == (line, field)
    assert message in caught.value.rows[0][2]
    assert _stock(tenant) == before


def test_a_user_limited_to_one_warehouse_cannot_import_into_another(tenant: TenantCtx) -> None:
    _world(tenant)
    north = read(tenant.engine, tenant.actor, queries.list_warehouses)[1].id
    user_id, _ = tenant.user("warehouse_operator", warehouse_ids=[north])
    operator = actor_for_user(tenant.engine, user_id)
    before = _stock(tenant)

    with pytest.raises(RowErrors) as caught:
        import_stock(tenant.engine, operator, _csv("sku,location,quantity", "SKU-001,NORTH/B/01,1",
                                                   "SKU-001,MAIN/A/01,1"))

    assert [(line, field) for line, field, _ in caught.value.rows] == [(3, "location")]
    assert "may not work in warehouse" in caught.value.rows[0][2]
    assert _stock(tenant) == before
    assert import_stock(tenant.engine, operator, _csv("sku,location,quantity", "SKU-001,NORTH/B/01,1")) == 1


def test_a_user_without_the_receive_permission_is_refused(tenant: TenantCtx) -> None:
    _world(tenant)
    user_id, _ = tenant.user("read_only")
    before = _stock(tenant)
    with pytest.raises(PermissionDenied):
        import_stock(tenant.engine, actor_for_user(tenant.engine, user_id),
                     _csv("sku,location,quantity", "SKU-001,MAIN/A/01,1"))
    assert _stock(tenant) == before


def test_the_progress_bar_runs_to_the_end(tenant: TenantCtx) -> None:
    _world(tenant)
    rows = [f"SKU-00{1 + i % 2},MAIN/A/0{1 + i % 2},{1 + i}" for i in range(30)]
    progress = Progress(console=Console(file=io.StringIO()))
    with progress:
        assert import_stock(tenant.engine, tenant.actor, _csv("sku,location,quantity", *rows), progress) == 30
    tasks = {task.description: (task.completed, task.total) for task in progress.tasks}
    assert tasks == {"Checking rows": (30, 30), "Receiving stock": (1, 1)}


@pytest.fixture
def cli_database(sqlite_engine: object) -> Iterator[dict[str, str]]:
    """Environment for `stockyard ...` run in-process against the migrated test SQLite database."""
    get_settings.cache_clear()
    yield {"STOCKYARD_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False)}  # type: ignore[attr-defined]
    get_settings.cache_clear()


def _words(output: str) -> str:
    """The CLI's output as plain words: the report table may wrap a long message over several lines."""
    return " ".join(output.replace("\u2502", " ").split())


def test_stockyard_import_stock_reports_a_bad_file_and_accepts_a_good_one(
        sqlite_engine: object, cli_database: dict[str, str], tmp_path: object) -> None:
    ctx = new_tenant(sqlite_engine)  # type: ignore[arg-type]
    _world(ctx)
    before = _stock(ctx)
    bad = tmp_path / "bad.csv"  # type: ignore[operator]
    bad.write_text("sku,location,quantity\nSKU-001,MAIN/A/01,4\nNOPE,MAIN/A/01,2\nSKU-002,MAIN/A/02,x\n")
    runner = CliRunner()

    result = runner.invoke(app, ["import", "stock", str(bad), "--tenant", ctx.slug], env=cli_database)

    assert result.exit_code == 1, result.output
    assert "unknown SKU 'NOPE'" in _words(result.output)
    assert "must be a whole number" in _words(result.output)
    assert "2 of 3 rows are invalid; nothing was imported" in _words(result.output)
    assert _stock(ctx) == before

    good = tmp_path / "good.csv"  # type: ignore[operator]
    good.write_text("sku,location,quantity,unit_cost\nSKU-001,MAIN/A/01,4,2.50\nSKU-002,MAIN/A/02,7,\n")
    result = runner.invoke(app, ["import", "stock", str(good), "--tenant", ctx.slug], env=cli_database)

    assert result.exit_code == 0, result.output
    assert "imported 2 rows" in _words(result.output)
    assert _on_hand(ctx, "SKU-002", "MAIN")["on_hand"] == 7
    assert verify_levels(ctx.engine, ctx.tenant_id) == []

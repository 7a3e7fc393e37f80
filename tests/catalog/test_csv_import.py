"""Creating products from a CSV file: every row lands, or a row-level report and nothing is created."""

import io
from collections.abc import Iterator

import pytest
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import func, select
from typer.testing import CliRunner

from stockyard.catalog import queries
from stockyard.catalog.csv_import import import_products
from stockyard.catalog.models import Barcode, Brand, Category, Product, Sku
from stockyard.catalog.services import CreateProduct, create_product
from stockyard.cli import app
from stockyard.core.errors import PermissionDenied, RowErrors
from stockyard.core.settings import get_settings
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.identity.services import actor_for_user
from stockyard.inventory.csv_import import import_stock
from stockyard.inventory.verify import verify_levels
from tests.conftest import TenantCtx, new_tenant
from tests.factories import build_world

HEADER = "name,sku,brand,category,part_number,description,unit,weight_g,length_mm,width_mm,height_mm,tracking,barcode"
EAN_1 = "4548916012343"
EAN_2 = "4548916012350"
TAKEN_EAN = "4006633012348"


def _counts(uow: UnitOfWork) -> dict[str, int]:
    return {model.__name__: uow.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Product, Sku, Barcode, Brand, Category)}


def _catalog(ctx: TenantCtx) -> dict[str, int]:
    return read(ctx.engine, ctx.actor, _counts)


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _existing(ctx: TenantCtx) -> None:
    perform(ctx.engine, ctx.actor, create_product, CreateProduct(
        name="Oil filter", brand="Mann-Filter", skus=[{"code": "MANN-W712", "barcodes": [
            {"code": TAKEN_EAN, "kind": "ean13"}]}]))


def _sku(ctx: TenantCtx, code: str) -> dict[str, object]:
    found = read(ctx.engine, ctx.actor, queries.sku_detail, code)
    assert found is not None, code
    return found


def test_a_valid_file_creates_products_grouping_pack_sizes_of_one_part(tenant: TenantCtx) -> None:
    data = _csv(HEADER,
                f'"Spark plug, iridium",NGK-9001,NGK,Ignition/Spark plugs,101905601B,Fits VW,pcs,55,90,25,25,,{EAN_1}',
                f'"Spark plug, iridium",NGK-9001-4,NGK,Ignition/Spark plugs,101905601B,Fits VW,,220,90,50,25,,{EAN_2}',
                '"Spark plug, iridium",BOS-0242236562,Bosch,Ignition/Spark plugs,101905601B,,,,,,,,',
                '"Brake fluid DOT 4, 1 l",ATE-039901,ATE,Fluids/Brake fluid,,,bottle,1100,,,,lot,')

    assert import_products(tenant.engine, tenant.actor, data) == 3

    single, pack, bosch, fluid = (_sku(tenant, c) for c in ("NGK-9001", "NGK-9001-4", "BOS-0242236562",
                                                            "ATE-039901"))
    assert single["product_id"] == pack["product_id"] != bosch["product_id"]
    assert single["part_number"] == bosch["part_number"] == "101905601B"
    assert (single["brand"], bosch["brand"], fluid["brand"]) == ("NGK", "Bosch", "ATE")
    assert single["barcodes"] == [{"code": EAN_1, "kind": "ean13"}]
    assert (pack["weight_g"], pack["width_mm"]) == (220, 50)
    assert (fluid["tracking"], fluid["unit"], fluid["weight_g"]) == ("lot", "bottle", 1100)
    by_oem = read(tenant.engine, tenant.actor, queries.search_skus, "101905601B")
    assert {s["code"] for s in by_oem.items} == {"NGK-9001", "NGK-9001-4", "BOS-0242236562"}
    paths = set(read(tenant.engine, tenant.actor, queries.category_paths).values())
    assert {"Ignition/Spark plugs", "Fluids/Brake fluid"} <= paths


def test_imported_parts_can_be_stocked_by_barcode_right_away(tenant: TenantCtx) -> None:
    build_world(tenant)
    import_products(tenant.engine, tenant.actor, _csv("name,sku,barcode", f"Spark plug,NGK-9001,{EAN_1}"))
    assert import_stock(tenant.engine, tenant.actor, _csv("sku,location,quantity", f"{EAN_1},MAIN/A/01,12")) == 1
    assert verify_levels(tenant.engine, tenant.tenant_id) == []


BAD_ROWS = [
    ("Plug,NGK-1,,,,,,,,,,,", "sku", "SKU NGK-1 is also on line 2"),
    ("Oil filter,MANN-W712,,,,,,,,,,,", "sku", "SKU MANN-W712 already exists"),
    (",NGK-2,,,,,,,,,,,", "name", "is required"),
    ("Plug,,,,,,,,,,,,", "sku", "is required"),
    ("Plug,NGK 2,,,,,,,,,,,", "sku", "must not contain spaces"),
    ("Plug,NGK-2,,,,,,,,,,,4548916012344", "barcode", "wrong check digit; it should end in 3"),
    ("Plug,NGK-2,,,,,,,,,,," + EAN_1, "barcode", f"barcode {EAN_1} is also on line 2"),
    ("Plug,NGK-2,,,,,,,,,,," + TAKEN_EAN, "barcode", "already used by SKU MANN-W712"),
    ("Plug,NGK-2,,,,,,-5,,,,,", "weight_g", "whole number"),
    ("Plug,NGK-2,,,,,,,12.5,,,,", "length_mm", "whole number"),
    ("Plug,NGK-2,,,,,,,,,heavy,,", "height_mm", "whole number"),
    ("Plug,NGK-2,,,,,,,,,,batch,", "tracking", "must be one of none, lot, serial"),
    ("Plug,NGK-2,,," + "P" * 81 + ",,,,,,,,", "part_number", "longer than 80"),
    ("Plug,NGK-2,,,,," + "u" * 17 + ",,,,,,", "unit", "longer than 16"),
    ("Plug,NGK-2,,,,,,", "row", "has 8 values; the header has 13 columns"),
]


@pytest.mark.parametrize(("row", "field", "message"), BAD_ROWS, ids=[f"{f}:{m}"[:40] for _, f, m in BAD_ROWS])
def test_a_bad_row_is_reported_by_line_and_field_and_nothing_is_created(
        tenant: TenantCtx, row: str, field: str, message: str) -> None:
    _existing(tenant)
    before = _catalog(tenant)
    data = _csv(HEADER, f"Plug,NGK-1,NGK,Ignition,,,,,,,,,{EAN_1}", row, "Wiper,BOS-3397,Bosch,Wipers,,,,,,,,,")

    with pytest.raises(RowErrors) as caught:
        import_products(tenant.engine, tenant.actor, data)

    assert caught.value.message == "1 of 3 rows are invalid"
    assert [(line, f) for line, f, _ in caught.value.rows] == [(3, field)]
    assert message in caught.value.rows[0][2]
    assert _catalog(tenant) == before


def test_rows_of_one_product_must_agree_on_category_and_description(tenant: TenantCtx) -> None:
    before = _catalog(tenant)
    data = _csv("name,sku,brand,part_number,category",
                "Spark plug,NGK-1,NGK,101905601B,Ignition/Spark plugs",
                "Spark plug,NGK-1-4,NGK,101905601B,Ignition")
    with pytest.raises(RowErrors) as caught:
        import_products(tenant.engine, tenant.actor, data)
    assert [(line, field) for line, field, _ in caught.value.rows] == [(3, "category")]
    assert "differs from line 2" in caught.value.rows[0][2]
    assert _catalog(tenant) == before


def test_every_bad_row_is_reported_at_once(tenant: TenantCtx) -> None:
    _existing(tenant)
    before = _catalog(tenant)
    data = _csv("name,sku,weight_g,barcode",
                "Plug,NGK-1,55,",
                "Plug,MANN-W712,55,",
                "Disc,BRM-1,heavy,4548916012344",
                "Pad,BRM-2,900,",
                "Pad,BRM-2,900,")
    with pytest.raises(RowErrors) as caught:
        import_products(tenant.engine, tenant.actor, data)
    assert caught.value.message == "3 of 5 rows are invalid"
    assert [(line, field) for line, field, _ in caught.value.rows] == [
        (3, "sku"), (4, "barcode"), (4, "weight_g"), (6, "sku")]
    assert _catalog(tenant) == before


BAD_FILES = [
    (b"", 1, "file", "is empty"),
    ("name,sku\nBremsbel\u00e4ge,X-1\n".encode("latin-1"), 2, "file", "not UTF-8"),
    (b"name,sku\n", 1, "file", "no rows"),
    (b"sku,brand\nX-1,Bosch\n", 1, "name", "required column is missing"),
    (b"name,sku,colour\nPlug,X-1,red\n", 1, "colour", "unknown column"),
]


@pytest.mark.parametrize(("data", "line", "field", "message"), BAD_FILES, ids=[m for *_, m in BAD_FILES])
def test_a_file_that_is_not_a_products_csv_is_refused(tenant: TenantCtx, data: bytes, line: int, field: str,
                                                     message: str) -> None:
    before = _catalog(tenant)
    with pytest.raises(RowErrors) as caught:
        import_products(tenant.engine, tenant.actor, data)
    assert (caught.value.rows[0][0], caught.value.rows[0][1]) == (line, field)
    assert message in caught.value.rows[0][2]
    assert _catalog(tenant) == before


def test_a_user_without_the_catalog_edit_permission_is_refused(tenant: TenantCtx) -> None:
    user_id, _ = tenant.user("warehouse_operator")
    with pytest.raises(PermissionDenied):
        import_products(tenant.engine, actor_for_user(tenant.engine, user_id), _csv("name,sku", "Plug,NGK-1"))
    assert _catalog(tenant)["Product"] == 0


def test_the_progress_bar_runs_to_the_end(tenant: TenantCtx) -> None:
    rows = [f"Part {i},P-{i:04d}" for i in range(150)]
    progress = Progress(console=Console(file=io.StringIO()))
    with progress:
        assert import_products(tenant.engine, tenant.actor, _csv("name,sku", *rows), progress) == 150
    tasks = {task.description: (task.completed, task.total) for task in progress.tasks}
    assert tasks == {"Checking rows": (150, 150), "Creating products": (2, 2)}
    assert _catalog(tenant)["Sku"] == 150


@pytest.fixture
def cli_database(sqlite_engine: object) -> Iterator[dict[str, str]]:
    """Environment for `stockyard ...` run in-process against the migrated test SQLite database."""
    get_settings.cache_clear()
    yield {"STOCKYARD_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False)}  # type: ignore[attr-defined]
    get_settings.cache_clear()


def _words(output: str) -> str:
    """The CLI's output as plain words: the report table may wrap a long message over several lines."""
    return " ".join(output.replace("\u2502", " ").split())


def test_stockyard_import_products_reports_a_bad_file_and_accepts_a_good_one(
        sqlite_engine: object, cli_database: dict[str, str], tmp_path: object) -> None:
    ctx = new_tenant(sqlite_engine)  # type: ignore[arg-type]
    bad = tmp_path / "bad.csv"  # type: ignore[operator]
    bad.write_text(f"name,sku,barcode\nSpark plug,NGK-1,{EAN_1}\nSpark plug,NGK-1,\nWiper,BOS-1,4548916012344\n")
    runner = CliRunner()

    result = runner.invoke(app, ["import", "products", str(bad), "--tenant", ctx.slug], env=cli_database)

    assert result.exit_code == 1, result.output
    assert "SKU NGK-1 is also on line 2" in _words(result.output)
    assert "should end in 3" in _words(result.output)
    assert "2 of 3 rows are invalid; nothing was imported" in _words(result.output)
    assert _catalog(ctx)["Product"] == 0

    good = tmp_path / "good.csv"  # type: ignore[operator]
    good.write_text(f"name,sku,brand,part_number,barcode\nSpark plug,NGK-1,NGK,101905601B,{EAN_1}\n"
                    "Spark plug,NGK-1-4,NGK,101905601B,\nWiper,BOS-1,Bosch,,\n")
    result = runner.invoke(app, ["import", "products", str(good), "--tenant", ctx.slug], env=cli_database)

    assert result.exit_code == 0, result.output
    assert "imported 2 products" in _words(result.output)
    assert _catalog(ctx)["Sku"] == 3

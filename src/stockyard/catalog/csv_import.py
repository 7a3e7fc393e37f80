"""Create products and their SKUs from a CSV file, all or nothing.

Columns: `name,sku[,brand,category,part_number,description,unit,weight_g,length_mm,width_mm,height_mm,
tracking,barcode,tax_class]`, one row per SKU. `category` is a path such as Brakes/Pads (missing levels are created),
`tracking` is none, lot or serial, `barcode` one EAN-13, UPC-A or Code128 per SKU.

Grouping: rows with the same name, brand and a non-empty part_number become ONE product with several SKUs
(a spark plug sold singly and as a set of four). Brand is part of the key because a parts distributor sells
the same OEM part number under several brands, each its own product. A row without a part_number is a
product of its own. `tax_class` is one of the tenant's tax class codes (standard when empty). Within a group,
category, description and tax_class must agree; a disagreement is reported on
the later row.

Every row is checked first (including SKU codes and barcodes that appear twice in the file or already
exist); if any row is bad, the report lists every bad row (line, field, problem) and nothing is written.
A valid file is written in ONE transaction through `services.create_product`.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy import Engine, select

from stockyard.billing.tax_domain import DEFAULT_TAX_CLASS
from stockyard.catalog.domain import gs1_check_digit, guess_barcode_kind, validate_barcode
from stockyard.catalog.models import Barcode, Sku
from stockyard.catalog.services import BarcodeIn, CreateProduct, SkuIn, create_product
from stockyard.core.actor import Actor
from stockyard.core.csv_rows import CsvRow, RowProblems, parse_whole, read_csv
from stockyard.core.errors import DomainError, RowErrors, ValidationFailed
from stockyard.core.progress import Advance, Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.identity.domain import CATALOG_EDIT

if TYPE_CHECKING:
    from rich.progress import Progress

REQUIRED = ("name", "sku")
OPTIONAL = ("brand", "category", "part_number", "description", "unit", "weight_g", "length_mm", "width_mm",
            "height_mm", "tracking", "barcode", "tax_class")
SIZES = ("weight_g", "length_mm", "width_mm", "height_mm")
TRACKING = ("none", "lot", "serial")
PRODUCT_FIELDS = ("category", "description", "tax_class")
CHUNK = 100
_LOOKUP_CHUNK = 500
_LIMITS = {"name": 255, "sku": 64, "brand": 120, "part_number": 80, "unit": 16}


@dataclass
class _Product:
    lines: list[int]
    row: CsvRow
    skus: list[SkuIn] = field(default_factory=list)

    def command(self) -> CreateProduct:
        values = self.row.values
        return CreateProduct(name=values["name"], description=values["description"],
                             brand=values["brand"] or None, category=values["category"] or None,
                             part_number=values["part_number"],
                             tax_class=values["tax_class"].strip().lower() or DEFAULT_TAX_CLASS, skus=self.skus)


def import_products(engine: Engine, actor: Actor, data: bytes, progress: "Progress | None" = None) -> int:
    """Create every product of the file, or raise RowErrors and create nothing. Returns the number of products."""
    actor.require(CATALOG_EDIT)
    steps = Steps(progress)
    problems = RowProblems()
    table = read_csv(data, REQUIRED, OPTIONAL, problems)
    advance = steps.task("Checking rows", table.total)
    products: dict[tuple[str, str, str] | int, _Product] = {}
    first_line_of: dict[str, dict[str, int]] = {"sku": {}, "barcode": {}}
    for row in table.rows:
        sku = _check_row(row, problems, first_line_of)
        if sku is not None:
            _add_to_product(products, row, sku, problems)
        advance(1)
    advance(table.total - len(table.rows))
    read(engine, actor, _check_existing, first_line_of, problems)
    problems.raise_if_any(table.total)
    groups = list(products.values())
    chunks = [groups[i : i + CHUNK] for i in range(0, len(groups), CHUNK)]
    perform(engine, actor, _create_all, chunks, table.total, steps.task("Creating products", len(chunks)))
    return len(groups)


def _check_row(row: CsvRow, problems: RowProblems, first_line_of: dict[str, dict[str, int]]) -> SkuIn | None:
    before = len(problems.rows)
    line = row.line

    def fail(column: str, message: str) -> None:
        problems.add(line, column, message)

    for column in REQUIRED:
        if not row.get(column):
            fail(column, "is required")
    for column, limit in _LIMITS.items():
        if len(row.get(column)) > limit:
            fail(column, f"is longer than {limit} characters")
    code = row.get("sku")
    if code and any(c.isspace() for c in code):
        fail("sku", "must not contain spaces")
    _check_duplicate(first_line_of["sku"], code, line, "sku", "SKU", problems)
    for part in row.get("category").split("/"):
        if len(part.strip()) > 120:
            fail("category", "a category name is longer than 120 characters")
    sizes: dict[str, int] = {}
    for column in SIZES:
        try:
            sizes[column] = parse_whole(row.get(column), minimum=0) if row.get(column) else 0
        except ValueError as error:
            fail(column, str(error))
    tracking = (row.get("tracking") or "none").lower()
    if tracking not in TRACKING:
        fail("tracking", f"must be one of {', '.join(TRACKING)}, not {row.get('tracking')!r}")
    barcodes = []
    if row.get("barcode"):
        try:
            barcodes.append(_barcode(row.get("barcode")))
        except ValidationFailed as error:
            fail("barcode", error.message)
        _check_duplicate(first_line_of["barcode"], row.get("barcode"), line, "barcode", "barcode", problems)
    if len(problems.rows) > before:
        return None
    try:
        return SkuIn(code=code, unit=row.get("unit") or "pcs", tracking=tracking, barcodes=barcodes, **sizes)
    except ValidationError as error:
        for detail in error.errors():
            fail(str(detail["loc"][0]) if detail["loc"] else "row", detail["msg"])
        return None


def _barcode(text: str) -> BarcodeIn:
    kind = guess_barcode_kind(text)
    try:
        code = validate_barcode(text, kind)
    except ValidationFailed as error:
        if kind in ("ean13", "upca"):
            raise ValidationFailed(f"{error.message}; it should end in {gs1_check_digit(text[:-1])}",
                                   field="barcode") from None
        raise
    return BarcodeIn(code=code, kind=kind)


def _check_duplicate(seen: dict[str, int], value: str, line: int, column: str, what: str,
                     problems: RowProblems) -> None:
    if not value:
        return
    if value in seen:
        problems.add(line, column, f"{what} {value} is also on line {seen[value]}")
    else:
        seen[value] = line


def _add_to_product(products: dict[tuple[str, str, str] | int, _Product], row: CsvRow, sku: SkuIn,
                    problems: RowProblems) -> None:
    values = row.values
    key: tuple[str, str, str] | int = (
        (values["name"], values["brand"], values["part_number"]) if values["part_number"] else row.line
    )
    product = products.get(key)
    if product is None:
        products[key] = _Product([row.line], row, [sku])
        return
    for column in PRODUCT_FIELDS:
        if values[column] != product.row.values[column]:
            problems.add(row.line, column, f"differs from line {product.lines[0]}, which has the same name, "
                                           "brand and part_number (one product)")
            return
    product.lines.append(row.line)
    product.skus.append(sku)


def _check_existing(uow: UnitOfWork, first_line_of: dict[str, dict[str, int]], problems: RowProblems) -> None:
    codes = list(first_line_of["sku"])
    for start in range(0, len(codes), _LOOKUP_CHUNK):
        chunk = codes[start : start + _LOOKUP_CHUNK]
        for code in uow.execute(select(Sku.code).where(Sku.code.in_(chunk))).scalars():
            problems.add(first_line_of["sku"][code], "sku", f"SKU {code} already exists")
    barcodes = list(first_line_of["barcode"])
    for start in range(0, len(barcodes), _LOOKUP_CHUNK):
        chunk = barcodes[start : start + _LOOKUP_CHUNK]
        for code, owner in uow.execute(select(Barcode.code, Sku.code).join(Sku, Sku.id == Barcode.sku_id)
                                       .where(Barcode.code.in_(chunk))):
            problems.add(first_line_of["barcode"][code], "barcode", f"barcode {code} is already used by SKU {owner}")


def _create_all(uow: UnitOfWork, chunks: list[list[_Product]], total: int, advance: Advance) -> None:
    for chunk in chunks:
        for product in chunk:
            try:
                create_product(uow, product.command())
            except DomainError as error:
                # Something changed between checking and writing (another user created the SKU, say).
                raise RowErrors(f"1 of {total} rows could not be imported", field="rows",
                                rows=[(product.lines[0], _column(error.field), error.message)]) from error
        advance(1)


def _column(service_field: str | None) -> str:
    """The CSV column behind a field name of CreateProduct ('skus[0].barcodes[0].code' is the barcode)."""
    if not service_field:
        return "row"
    if "barcodes" in service_field:
        return "barcode"
    if service_field.startswith("skus"):
        return "sku"
    return service_field

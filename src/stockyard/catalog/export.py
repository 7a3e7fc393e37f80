"""Every product and SKU as a CSV file that `csv_import.import_products` reads back (one row per SKU).

The import takes one barcode per SKU, so the first barcode (oldest) is exported; further barcodes of a SKU
are not part of this file.
"""

import csv
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

from sqlalchemy import Engine, func, select

from stockyard.catalog.admin_queries import category_tree
from stockyard.catalog.csv_import import OPTIONAL, REQUIRED
from stockyard.catalog.models import Barcode, Brand, Product, Sku
from stockyard.core.actor import Actor
from stockyard.core.progress import Steps
from stockyard.core.uow import UnitOfWork, read
from stockyard.identity.domain import CATALOG_VIEW

if TYPE_CHECKING:
    from rich.progress import Progress

COLUMNS = (*REQUIRED, *OPTIONAL)
BATCH = 500


def _count(uow: UnitOfWork) -> int:
    uow.require(CATALOG_VIEW)
    return uow.execute(select(func.count()).select_from(Sku)).scalar_one()


def _batch(uow: UnitOfWork, after_id: int, paths: dict[int, str]) -> list[dict[str, str]]:
    uow.require(CATALOG_VIEW)
    first_barcode = (select(Barcode.sku_id, func.min(Barcode.id).label("barcode_id"))
                     .group_by(Barcode.sku_id).subquery())
    stmt = (select(Sku, Product, Brand.name, Barcode.code).join(Product, Product.id == Sku.product_id)
            .outerjoin(Brand, Brand.id == Product.brand_id)
            .outerjoin(first_barcode, first_barcode.c.sku_id == Sku.id)
            .outerjoin(Barcode, Barcode.id == first_barcode.c.barcode_id)
            .where(Sku.id > after_id).order_by(Sku.id).limit(BATCH))
    rows = []
    for sku, product, brand, barcode in uow.execute(stmt).all():
        rows.append({"_id": str(sku.id), "name": product.name, "sku": sku.code, "brand": brand or "",
                     "category": paths.get(product.category_id or 0, ""), "part_number": product.part_number,
                     "description": product.description, "unit": sku.unit, "weight_g": str(sku.weight_g),
                     "length_mm": str(sku.length_mm), "width_mm": str(sku.width_mm), "height_mm": str(sku.height_mm),
                     "tracking": sku.tracking, "barcode": barcode or "", "tax_class": product.tax_class})
    return rows


def product_rows(engine: Engine, actor: Actor, progress: "Progress | None" = None) -> Iterator[dict[str, str]]:
    """The rows in SKU order, read in batches (each its own short read transaction)."""
    actor.require(CATALOG_VIEW)
    total = read(engine, actor, _count)
    advance = Steps(progress).task("Exporting SKUs", total)
    paths = {node.id: node.path for node in read(engine, actor, category_tree)}
    after = 0
    while True:
        rows = read(engine, actor, _batch, after, paths)
        if not rows:
            return
        after = int(rows[-1]["_id"])
        yield from rows
        advance(len(rows))


def write_products_csv(engine: Engine, actor: Actor, out: TextIO, progress: "Progress | None" = None) -> int:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in product_rows(engine, actor, progress):
        writer.writerow(row)
        count += 1
    return count


def products_csv(engine: Engine, actor: Actor) -> bytes:
    out = io.StringIO()
    write_products_csv(engine, actor, out)
    return out.getvalue().encode("utf-8")

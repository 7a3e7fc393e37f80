"""The product export reads back through the product import into another tenant unchanged."""

import csv
import io

from stockyard.catalog.csv_import import import_products
from stockyard.catalog.export import COLUMNS, products_csv
from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.uow import perform
from tests.conftest import TenantCtx, new_tenant


def test_export_round_trips_through_the_import(tenant: TenantCtx) -> None:
    perform(tenant.engine, tenant.actor, create_product, CreateProduct(
        name="Spark plug", brand="NGK", category="Engine/Ignition", part_number="BKR6E",
        description="<p>Nickel, <strong>gap 0.8</strong></p>",
        skus=[{"code": "SP-1", "weight_g": 40, "barcodes": [{"code": "4006381333931", "kind": "ean13"}]},
              {"code": "SP-4", "unit": "set", "tracking": "lot"}]))
    data = products_csv(tenant.engine, tenant.actor)
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert tuple(rows[0]) == COLUMNS
    assert [(r["sku"], r["category"], r["barcode"], r["unit"]) for r in rows] == [
        ("SP-1", "Engine/Ignition", "4006381333931", "pcs"), ("SP-4", "Engine/Ignition", "", "set")]
    other = new_tenant(tenant.engine)
    assert import_products(other.engine, other.actor, data) == 1
    assert products_csv(other.engine, other.actor) == data

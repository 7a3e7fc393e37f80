"""Documents benchmark: the time to generate N invoices and N barcode labels (issue 5), and N documents issued
through the service (gapless number, PDF, file store, row) on SQLite and, with --pg-url, on PostgreSQL.

    stockyard bench documents [--n 1000] [--pg-url URL]

Figures (wall and CPU seconds, per item in ms, items/s, output size) are printed, never asserted. `measure(n)`
returns them for other scripts (bench/warehouse.py).
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fresh_database  # noqa: E402

from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.actor import system_actor
from stockyard.core.db import create_db_engine
from stockyard.core.files import LocalFileStore
from stockyard.core.migrate import upgrade
from stockyard.core.uow import perform
from stockyard.documents.barcodes import Symbology
from stockyard.documents.labels_layout import LabelItem, layout_for
from stockyard.documents.labels_pdf import render_labels_pdf
from stockyard.documents.labels_zpl import render_labels_zpl
from stockyard.documents.pdf_invoice import InvoiceData, render_invoice_pdf
from stockyard.documents.pdf_layout import DocumentLine
from stockyard.documents.services import issue_document
from stockyard.identity.services import create_tenant
from stockyard.inventory import movements, transfers, warehouses


@dataclass(frozen=True)
class Figure:
    name: str
    items: int
    wall: float
    cpu: float
    size_bytes: int

    @property
    def per_item_ms(self) -> float:
        return self.wall / self.items * 1000

    @property
    def rate(self) -> float:
        return self.items / self.wall if self.wall else 0.0


def timed(name: str, items: int, work: Callable[[], int]) -> Figure:
    """Runs `work` (which returns the bytes it produced) and measures it."""
    wall, cpu = time.perf_counter(), time.process_time()
    size = work()
    return Figure(name, items, time.perf_counter() - wall, time.process_time() - cpu, size)


ADDRESS = {"name": "Erika Mustermann", "line1": "Hafenstraße 1", "postcode": "20095", "city": "Hamburg",
           "country": "DE"}


def invoice(i: int) -> InvoiceData:
    lines = [DocumentLine(f"BRK-{i % 97:03d}-{k}", f"Brake pad set, front axle, ceramic {k}", k + 1,
                          Decimal("24.90") + k, (Decimal("24.90") + k) * (k + 1)) for k in range(5)]
    subtotal = sum((line.total for line in lines), Decimal(0))
    return InvoiceData(f"INV-2026-{i:06d}", date(2026, 12, 4), f"SO-{i:06d}", "erika@example.com", lines, subtotal,
                       Decimal("4.90"), (subtotal + Decimal("4.90")) * Decimal("0.19") / Decimal("1.19"),
                       subtotal + Decimal("4.90"), "EUR", seller="Acme Parts GmbH", billing_address=ADDRESS,
                       shipping_address=ADDRESS, payment_method="Card", payment_state="captured")


def labels(n: int, symbology: Symbology) -> list[LabelItem]:
    if symbology is Symbology.EAN13:
        from stockyard.documents.barcodes import ean13_check_digit

        values = [f"400638{i:06d}" for i in range(n)]
        values = [v + str(ean13_check_digit(v)) for v in values]
    else:
        values = [f"MAIN/A/{i // 100:02d}/{i % 100:02d}" if symbology is Symbology.QR else f"BRK-PAD-{i:05d}"
                  for i in range(n)]
    return [LabelItem(v, symbology, f"Part {i}", "Acme") for i, v in enumerate(values)]


def rendering(n: int) -> list[Figure]:
    out = [timed(f"{n} invoices (PDF, 5 lines each)", n, lambda: sum(len(render_invoice_pdf(invoice(i)))
                                                                      for i in range(n)))]
    for symbology in Symbology:
        out.append(timed(f"{n} {symbology.value} labels, A4 3×8 (one PDF)", n,
                         lambda s=symbology: len(render_labels_pdf(labels(n, s), layout_for("a4-3x8")))))
    out.append(timed(f"{n} code128 labels, 57×32 mm (one PDF)", n,
                     lambda: len(render_labels_pdf(labels(n, Symbology.CODE128), layout_for("57x32")))))
    out.append(timed(f"{n} code128 labels, one PDF each (100×150)", n, lambda: sum(
        len(render_labels_pdf([item], layout_for("100x150"))) for item in labels(n, Symbology.CODE128))))
    out.append(timed(f"{n} code128 labels (ZPL)", n,
                     lambda: len(render_labels_zpl(labels(n, Symbology.CODE128), layout_for("57x32")))))
    return out


def issuing(n: int, url: str, workdir: Path, backend: str) -> Figure:
    """N transfer documents issued one by one: next number, PDF, file store, documents row, outbox event."""
    engine = create_db_engine(url, pool_size=5, max_overflow=5)
    upgrade(engine)
    tenant_id = create_tenant(engine, f"bench-docs-{os.getpid()}", "Bench documents")
    actor = system_actor(tenant_id, "bench")
    for code in ("MAIN", "NORTH"):
        perform(engine, actor, warehouses.create_warehouse, warehouses.CreateWarehouse(code=code, name=code.title()))
        perform(engine, actor, warehouses.create_location, warehouses.CreateLocation(warehouse=code, code="A"))
    perform(engine, actor, create_product, CreateProduct(name="Brake pad", brand="Acme", category="Parts",
                                                         skus=[{"code": "BRK-1"}]))
    perform(engine, actor, movements.receive_stock, movements.ReceiveStock(sku="BRK-1", location="MAIN/A",
                                                                           quantity=100))
    transfer = perform(engine, actor, transfers.dispatch_transfer, transfers.DispatchTransfer(
        from_warehouse="MAIN", to_warehouse="NORTH", lines=[{"sku": "BRK-1", "from_location": "MAIN/A",
                                                            "quantity": 5}]))
    store = LocalFileStore(workdir / f"objects-{backend}")

    def work() -> int:
        size = 0
        for _ in range(n):
            size += perform(engine, actor, issue_document, store, "transfer", transfer, again=True).size_bytes
        return size

    figure = timed(f"{n} documents issued on {backend} (number, PDF, store, row)", n, work)
    engine.dispose()
    return figure


def measure(n: int = 1000, pg_url: str | None = None) -> list[Figure]:
    figures = rendering(n)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        figures.append(issuing(n, fresh_database("sqlite", None, workdir, "bench_documents"), workdir, "sqlite"))
        if pg_url:
            figures.append(issuing(n, fresh_database("postgresql", pg_url, workdir, "stockyard_bench_documents"),
                                   workdir, "postgresql"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL"))
    args = parser.parse_args()
    table = Table(title=f"Documents and labels ({os.cpu_count()} cores)")
    for column in ("what", "wall s", "CPU s", "ms each", "per s", "output"):
        table.add_column(column, justify="left" if column == "what" else "right")
    for f in measure(args.n, args.pg_url):
        table.add_row(f.name, f"{f.wall:.2f}", f"{f.cpu:.2f}", f"{f.per_item_ms:.2f}", f"{f.rate:,.0f}",
                      f"{f.size_bytes / 1e6:.1f} MB")
    Console().print(table)


if __name__ == "__main__":
    main()

"""Storefront catalog benchmark: a generated catalog of 100,000 SKUs, then category pages of 20 products (with
prices, stock labels and facets) and searches over HTTP, at concurrency 1 and 8: p50/p95 and requests/s, CPU
per request (server process + PostgreSQL processes).

    stockyard bench catalog [--backend sqlite|postgresql|both] [--pg-url URL] [--skus N] [--requests N]

The catalog is written with bulk Core inserts (brands, a category tree, products, SKUs, barcodes, attributes,
a price list with quantity tiers); stock is received through the inventory service in batches, so the ledger
explains every level. The search index is filled by the migration's triggers as the rows go in. PostgreSQL is
used when --pg-url or STOCKYARD_BENCH_PG_URL is given (the benchmark creates and drops its own database
`stockyard_bench_catalog`). Figures are printed, never asserted.
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, create_engine, insert, text, update
from sqlalchemy.engine import make_url

from stockyard.catalog.domain import gs1_check_digit
from stockyard.catalog.listings import refresh_stale_channels
from stockyard.catalog.models import Attribute, Barcode, Brand, Category, Product, Sku, SkuAttributeValue
from stockyard.catalog.pricing_models import PriceList, PriceTier
from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.db import create_db_engine
from stockyard.core.migrate import upgrade
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity.services import create_tenant
from stockyard.inventory import movements, warehouses
from stockyard.sales.channels import ChannelIn, create_channel
from stockyard.sales.models import Channel

console = Console(width=160)  # whole tables also when the output is a file
CONCURRENCY = (1, 8)
HOST = "shop.bench.test"
BRANDS = 60
TOP_CATEGORIES = 10
SUB_CATEGORIES = 10  # per top category: 100 leaves of about 1,000 SKUs each
WORDS = ("brake", "pad", "disc", "filter", "oil", "air", "cabin", "fuel", "spark", "plug", "coil", "belt", "timing",
         "pump", "water", "bearing", "wheel", "shock", "absorber", "clutch", "kit", "wiper", "blade", "bulb",
         "sensor", "hose", "gasket", "mount", "bush", "link", "arm", "joint", "seal", "thermostat", "radiator")
VEHICLES = ("Golf", "Passat", "Octavia", "A4", "320i", "C200", "Focus", "Astra", "Clio", "308", "Corolla", "XC60")
CHUNK = 2000  # rows per multi-row insert (SQLite allows 32,766 bound values per statement)


@dataclass
class Catalog:
    engine: Engine
    url: str
    tenant_id: int
    slug: str
    leaf_ids: list[int] = field(default_factory=list)
    top_ids: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    part_numbers: list[str] = field(default_factory=list)
    brand_names: list[str] = field(default_factory=list)
    build_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Result:
    name: str
    latencies: list[float]
    seconds: float
    failures: int
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else 0.0


# ---------------------------------------------------------------- CPU accounting (server + database processes)

def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def cpu_snapshot(server_pid: int) -> float:
    return _proc_cpu(server_pid) + sum(_proc_cpu(pid) for pid in _postgres_pids())


# ---------------------------------------------------------------- the catalog

def fresh_database(backend: str, pg_url: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'catalog.db'}"
    base = make_url(pg_url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "stockyard_bench_catalog" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "stockyard_bench_catalog"'))
    admin.dispose()
    return base.set(database="stockyard_bench_catalog").render_as_string(hide_password=False)


def _ids(conn: Any, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Inserts the rows (batched by SQLAlchemy) and returns their ids in the order given."""
    return [row[0] for row in conn.execute(insert(table).returning(table.id, sort_by_parameter_order=True), rows)]


def build(url: str, skus: int, rng: random.Random) -> Catalog:
    engine = create_db_engine(url, pool_size=20, max_overflow=10)
    upgrade(engine, "heads")
    slug = f"bench-{rng.randrange(10**6)}"
    tenant_id = create_tenant(engine, slug, "Catalog benchmark")
    actor = system_actor(tenant_id, "bench")
    cat = Catalog(engine, url, tenant_id, slug)
    t0 = time.perf_counter()
    for code, priority in (("MAIN", 10), ("NORTH", 20)):
        perform(engine, actor, warehouses.create_warehouse,
                warehouses.CreateWarehouse(code=code, name=f"{code.title()} warehouse", priority=priority))
        perform(engine, actor, warehouses.create_location, warehouses.CreateLocation(warehouse=code, code="A",
                                                                                      kind="zone"))
        perform(engine, actor, warehouses.create_location, warehouses.CreateLocation(warehouse=code, code="01",
                                                                                      parent=f"{code}/A"))
    with UnitOfWork(engine, actor) as uow:
        channel_id = create_channel(uow, ChannelIn(code="web", name="Bench parts shop", currency="EUR"))
        uow.conn.execute(update(Channel).where(Channel.id == channel_id).values(domain=HOST))
    now = utcnow()
    t = tenant_id
    with engine.begin() as conn:
        cat.brand_names = [f"Brand{n:02d}" for n in range(BRANDS)]
        brand_ids = _ids(conn, Brand, [{"tenant_id": t, "name": name, "created_at": now} for name in cat.brand_names])
        cat.top_ids = _ids(conn, Category, [{"tenant_id": t, "name": f"Group {n}", "parent_id": None, "position": n,
                                             "created_at": now} for n in range(TOP_CATEGORIES)])
        cat.leaf_ids = _ids(conn, Category, [{"tenant_id": t, "name": f"Kind {top}.{n}", "parent_id": top,
                                              "position": n, "created_at": now}
                                             for top in cat.top_ids for n in range(SUB_CATEGORIES)])
        attrs = _ids(conn, Attribute, [
            {"tenant_id": t, "name": "Position", "type": "choice", "unit": "", "choices": "front\nrear",
             "created_at": now},
            {"tenant_id": t, "name": "Diameter", "type": "number", "unit": "mm", "choices": "", "created_at": now},
            {"tenant_id": t, "name": "Vehicle", "type": "text", "unit": "", "choices": "", "created_at": now}])
        list_id = conn.execute(insert(PriceList).returning(PriceList.id).values(
            tenant_id=t, name="Retail", channel_id=channel_id, currency="EUR", priority=0, active=True,
            created_at=now)).scalar_one()
    cat.build_seconds["setup"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    receipts: list[movements.ReceiveStock] = []
    for start in range(0, skus, CHUNK):
        n = range(start, min(skus, start + CHUNK))
        products, sku_rows, barcodes, values, tiers = [], [], [], [], []
        for i in n:
            name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {rng.choice(WORDS)}"
            part = f"{rng.randrange(10**6):06d}{rng.choice('ABCDEFGH')}{rng.randrange(100):02d}"
            cat.part_numbers.append(part)
            brand = rng.randrange(BRANDS)
            products.append({"tenant_id": t, "name": name, "brand_id": brand_ids[brand],
                             "category_id": cat.leaf_ids[i % len(cat.leaf_ids)], "part_number": part,
                             "description": f"{cat.brand_names[brand]} {name.lower()} for the "
                                            f"{rng.choice(VEHICLES)}. OEM {part}.", "created_at": now})
        with engine.begin() as conn:
            product_ids = _ids(conn, Product, products)
            for i, product_id in zip(n, product_ids, strict=True):
                code = f"BX-{i:06d}"
                cat.codes.append(code)
                sku_rows.append({"tenant_id": t, "product_id": product_id, "code": code, "name": products[i - start]
                                 ["name"], "created_at": now, "backorderable": i % 50 == 0})
            sku_ids = _ids(conn, Sku, sku_rows)
            for i, sku_id in zip(n, sku_ids, strict=True):
                digits = f"20{i:010d}"
                barcodes.append({"tenant_id": t, "sku_id": sku_id, "code": digits + str(gs1_check_digit(digits)),
                                 "kind": "ean13"})
                values.append({"tenant_id": t, "sku_id": sku_id, "attribute_id": attrs[0],
                               "value": rng.choice(("front", "rear")), "number": None})
                if i % 3 == 0:
                    mm = rng.choice((256, 280, 300, 312, 340))
                    values.append({"tenant_id": t, "sku_id": sku_id, "attribute_id": attrs[1], "value": str(mm),
                                   "number": Decimal(mm)})
                values.append({"tenant_id": t, "sku_id": sku_id, "attribute_id": attrs[2],
                               "value": rng.choice(VEHICLES), "number": None})
                price = Decimal(rng.randrange(300, 30000)).scaleb(-2)
                tiers.append({"tenant_id": t, "price_list_id": list_id, "sku_id": sku_id, "min_quantity": 1,
                              "unit_price": price})
                if i % 4 == 0:
                    tiers.append({"tenant_id": t, "price_list_id": list_id, "sku_id": sku_id, "min_quantity": 10,
                                  "unit_price": (price * Decimal("0.9")).quantize(Decimal("0.01"))})
                roll = rng.random()
                if roll < 0.7:
                    receipts.append(movements.ReceiveStock(sku=sku_id, location="MAIN/A/01",
                                                           quantity=rng.choice((1, 2, 3, 5, 8, 20, 60))))
                if 0.5 < roll < 0.8:
                    receipts.append(movements.ReceiveStock(sku=sku_id, location="NORTH/A/01",
                                                           quantity=rng.choice((1, 4, 10))))
            conn.execute(insert(Barcode), barcodes)
            conn.execute(insert(SkuAttributeValue), values)
            conn.execute(insert(PriceTier), tiers)
    cat.build_seconds["catalog (bulk inserts, search triggers)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for start in range(0, len(receipts), 5000):
        perform(engine, actor, movements.receive_stock_batch, receipts[start:start + 5000])
    cat.build_seconds[f"stock ({len(receipts):,} receipts through the service)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    refresh_stale_channels(engine, cat.tenant_id)  # the tiers went in by bulk insert, not through the services
    cat.build_seconds["listing prices (sku_listings)"] = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return cat


# ---------------------------------------------------------------- HTTP load

def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, STOCKYARD_DATABASE_URL=url, STOCKYARD_PORT=str(port), STOCKYARD_LOG_LEVEL="warning",
               STOCKYARD_DB_POOL_SIZE="20", STOCKYARD_DB_MAX_OVERFLOW="10")
    proc = subprocess.Popen([sys.executable, "-m", "stockyard.cli", "serve", "--port", str(port)], env=env)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def shows_cards(response: httpx.Response) -> bool:
    return response.status_code == 200 and 'class="card"' in response.text


async def load_pages(port: int, paths: list[str], concurrency: int,
                     page_ok: Callable[[httpx.Response], bool] = shows_cards) -> tuple[list[float], int, float]:
    """GETs `paths` with `concurrency` clients at once: (latencies, pages not ok, seconds)."""
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Host": HOST}, limits=limits,
                                 timeout=60) as client:
        remaining = iter(paths)

        async def worker() -> None:
            nonlocal failures
            for path in remaining:
                t0 = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - t0)
                failures += not page_ok(response)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, failures, time.perf_counter() - t0


def measure(name: str, server: subprocess.Popen[bytes], port: int, paths: list[str], concurrency: int) -> Result:
    asyncio.run(load_pages(port, paths[: max(20, len(paths) // 10)], concurrency))  # warm up
    cpu0 = cpu_snapshot(server.pid)
    latencies, failures, seconds = asyncio.run(load_pages(port, paths, concurrency))
    return Result(f"{name}, c={concurrency}", latencies, seconds, failures, cpu_snapshot(server.pid) - cpu0)


def workloads(cat: Catalog, n: int, rng: random.Random) -> dict[str, list[str]]:
    searches = []
    for _ in range(n):
        kind = rng.randrange(5)
        if kind == 0:
            searches.append(f"/search?q={rng.choice(cat.codes)}")  # an exact SKU code
        elif kind == 1:
            searches.append(f"/search?q={rng.choice(cat.part_numbers)[:5]}")  # a part-number prefix
        elif kind == 2:
            searches.append(f"/search?q={rng.choice(WORDS)}+{rng.choice(WORDS)}")
        elif kind == 3:
            searches.append(f"/search?q={rng.choice(cat.brand_names)}+{rng.choice(WORDS)}")
        else:
            searches.append(f"/search?q={rng.choice(WORDS)}+{rng.choice(VEHICLES)}&in_stock=1")
    return {
        "category page (leaf, ~1,000 SKUs)": [f"/c/{rng.choice(cat.leaf_ids)}" for _ in range(n)],
        "category page (top, ~10,000 SKUs)": [f"/c/{rng.choice(cat.top_ids)}" for _ in range(max(n // 4, 20))],
        "search": searches,
    }


def run_backend(backend: str, pg_url: str, skus: int, requests: int) -> None:
    rng = random.Random(20261123)
    workdir = Path(tempfile.mkdtemp(prefix="stockyard-bench-catalog-"))
    url = fresh_database(backend, pg_url, workdir)
    console.rule(f"[bold]{backend}[/bold] — {skus:,} SKUs, {os.cpu_count()} cores")
    cat = build(url, skus, rng)
    for step, seconds in cat.build_seconds.items():
        console.print(f"  built {step} in {seconds:.1f} s")
    port = 19000 + rng.randrange(1000)
    server = start_server(url, port)
    results = []
    try:
        for name, paths in workloads(cat, requests, rng).items():
            for concurrency in CONCURRENCY:
                results.append(measure(name, server, port, paths, concurrency))
    finally:
        server.terminate()
        server.wait(10)
    table = Table("workload", "requests", "req/s", "p50 ms", "p95 ms", "failed", "CPU ms/req")
    for r in results:
        table.add_row(r.name, str(len(r.latencies)), f"{r.rate:,.0f}", f"{r.pct(0.5):.1f}", f"{r.pct(0.95):.1f}",
                      str(r.failures), f"{r.cpu_seconds / len(r.latencies) * 1000:.2f}" if r.latencies else "-")
    console.print(table)
    cat.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL", ""))
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000, help="requests per workload and concurrency level")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "postgresql" and not args.pg_url:
            console.print("[yellow]PostgreSQL skipped: pass --pg-url or set STOCKYARD_BENCH_PG_URL[/yellow]")
            continue
        run_backend(backend, args.pg_url, args.skus, args.requests)


if __name__ == "__main__":
    main()

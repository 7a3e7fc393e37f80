"""Inventory benchmark: reservations/s through the service layer and through HTTP, latency percentiles,
stock-move throughput, CPU per operation, the serving process's memory, and oversold units (must be 0).

    stockyard bench inventory [--backend sqlite|postgresql|both] [--pg-url URL] [--ops N]

Figures are printed, never asserted. PostgreSQL is used when --pg-url or STOCKYARD_BENCH_PG_URL is given (the
benchmark creates and drops its own database `stockyard_bench` on that server).
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Result, cpu_snapshot, fresh_database, rss_mb, start_server  # noqa: E402

from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.actor import Actor, system_actor
from stockyard.core.db import create_db_engine
from stockyard.core.errors import Conflict
from stockyard.core.migrate import upgrade
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity.services import create_api_key, create_tenant, create_user
from stockyard.inventory import movements, reservations, warehouses
from stockyard.inventory.models import StockLevel
from stockyard.inventory.verify import verify_levels

console = Console()
CONCURRENCY = (1, 8, 32)
SKUS = 200
BINS = 20


@dataclass
class Setup:
    engine: Engine
    url: str
    actor: Actor
    tenant_slug: str
    warehouse_id: int
    sku_ids: list[int]
    api_key: str = ""


# ---------------------------------------------------------------- setup

def build(url: str, units_per_sku: int) -> Setup:
    engine = create_db_engine(url, pool_size=40, max_overflow=10)
    upgrade(engine)
    try:
        from stockyard.demo import build_demo

        build_demo(engine, None)  # the serving process's memory is measured with the demo data loaded
    except ImportError:
        console.print("[yellow]demo data not available; memory is measured without it[/yellow]")
    slug = f"bench-{random.randrange(10**6)}"
    tenant_id = create_tenant(engine, slug, "Benchmark")
    actor = system_actor(tenant_id, "bench")
    wh = perform(engine, actor, warehouses.create_warehouse, warehouses.CreateWarehouse(code="BW", name="Bench"))
    perform(engine, actor, warehouses.create_location,
            warehouses.CreateLocation(warehouse=wh, code="Z", kind="zone"))
    for b in range(BINS):
        perform(engine, actor, warehouses.create_location,
                warehouses.CreateLocation(warehouse=wh, code=f"{b:02d}", parent="BW/Z"))
    codes = []
    for i in range(SKUS):
        code = f"B-{i:04d}"
        perform(engine, actor, create_product, CreateProduct(name=f"Bench part {i}", skus=[{"code": code}]))
        codes.append(code)
    receipts = [movements.ReceiveStock(sku=code, location=f"BW/Z/{(i + k) % BINS:02d}", quantity=units_per_sku // 2)
                for i, code in enumerate(codes) for k in range(2)]
    perform(engine, actor, movements.receive_stock_batch, receipts)
    with UnitOfWork(engine, actor, readonly=True) as uow:
        from stockyard.inventory.refs import resolve_sku

        sku_ids = [resolve_sku(uow, c).id for c in codes]
    with UnitOfWork(engine, actor) as uow:
        user = create_user(uow, email="bench@example.com", name="Bench", password="bench-password", role="owner")
        key = create_api_key(uow, user_id=user, name="bench")
    return Setup(engine, url, actor, slug, wh, sku_ids, key)


# ---------------------------------------------------------------- service-layer reservations

def run_threads(concurrency: int, ops: int, action: Callable[[int], bool]) -> Result:
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    counter = iter(range(ops))
    barrier = threading.Barrier(concurrency)

    def worker() -> None:
        nonlocal failures
        barrier.wait()
        mine: list[float] = []
        bad = 0
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            t0 = time.perf_counter()
            ok = action(i)
            mine.append(time.perf_counter() - t0)
            bad += 0 if ok else 1
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    cpu0 = cpu_snapshot(None)
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return Result("", ops, elapsed, latencies, failures, cpu_snapshot(None) - cpu0)


def reserve_via_service(s: Setup, concurrency: int, ops: int) -> Result:
    def action(i: int) -> bool:
        cmd = reservations.ReserveStock(sku=random.choice(s.sku_ids), quantity=1, warehouse=s.warehouse_id)
        try:
            perform(s.engine, s.actor, reservations.reserve_stock, cmd)
            return True
        except Conflict:
            return False

    result = run_threads(concurrency, ops, action)
    result.name = f"reserve, service, c={concurrency}"
    return result


# ---------------------------------------------------------------- HTTP reservations

async def _http_load(s: Setup, port: int, concurrency: int, ops: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    failures = 0
    headers = {"Authorization": f"Bearer {s.api_key}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits,
                                 timeout=60) as client:
        remaining = iter(range(ops))

        async def worker() -> None:
            nonlocal failures
            for _ in remaining:
                body = {"sku": random.choice(s.sku_ids), "quantity": 1, "warehouse": s.warehouse_id}
                t0 = time.perf_counter()
                response = await client.post("/api/v1/inventory/reservations", json=body)
                latencies.append(time.perf_counter() - t0)
                if response.status_code != 201:
                    failures += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return latencies, failures, time.perf_counter() - t0


def reserve_via_http(s: Setup, server: subprocess.Popen[bytes], port: int, concurrency: int, ops: int) -> Result:
    cpu0 = cpu_snapshot(server.pid)
    latencies, failures, elapsed = asyncio.run(_http_load(s, port, concurrency, ops))
    return Result(f"reserve, HTTP, c={concurrency}", ops, elapsed, latencies, failures,
                  cpu_snapshot(server.pid) - cpu0)


# ---------------------------------------------------------------- moves

def receive_one_by_one(s: Setup, ops: int) -> Result:
    def action(i: int) -> bool:
        cmd = movements.ReceiveStock(sku=s.sku_ids[i % SKUS], location=f"BW/Z/{i % BINS:02d}", quantity=1)
        perform(s.engine, s.actor, movements.receive_stock, cmd)
        return True

    result = run_threads(1, ops, action)
    result.name = "receive, one per transaction"
    return result


def batch(s: Setup, name: str, service: Callable[..., object], cmds: list[object]) -> Result:
    cpu0 = cpu_snapshot(None)
    t0 = time.perf_counter()
    perform(s.engine, s.actor, service, cmds)
    elapsed = time.perf_counter() - t0
    return Result(name, len(cmds), elapsed, [elapsed], 0, cpu_snapshot(None) - cpu0)


def moves_batch(s: Setup, n: int) -> list[movements.MoveStock]:
    return [movements.MoveStock(sku=s.sku_ids[i % SKUS], from_location=f"BW/Z/{i % BINS:02d}",
                                to_location=f"BW/Z/{(i + 7) % BINS:02d}", quantity=1) for i in range(n)]


def oversold_units(s: Setup) -> int:
    with UnitOfWork(s.engine, s.actor, readonly=True) as uow:
        t = StockLevel.__table__
        over = uow.conn.execute(select(func.coalesce(func.sum(t.c.reserved - t.c.on_hand), 0))
                                .where(t.c.tenant_id == s.actor.tenant_id, t.c.reserved > t.c.on_hand)).scalar_one()
    return int(over)


def hot_sku_race(s: Setup, concurrency: int) -> tuple[int, int]:
    """`concurrency` buyers keep reserving one SKU with 100 units; returns (successes, units available)."""
    code = f"HOT-{random.randrange(10**6)}"
    perform(s.engine, s.actor, create_product, CreateProduct(name="Hot item", skus=[{"code": code}]))
    perform(s.engine, s.actor, movements.receive_stock_batch,
            [movements.ReceiveStock(sku=code, location="BW/Z/00", quantity=60),
             movements.ReceiveStock(sku=code, location="BW/Z/01", quantity=40)])

    def action(i: int) -> bool:
        try:
            perform(s.engine, s.actor, reservations.reserve_stock, reservations.ReserveStock(sku=code, quantity=1))
            return True
        except Conflict:
            return False

    result = run_threads(concurrency, 300, action)
    return result.ops - result.failures, 100


# ---------------------------------------------------------------- report

def run_backend(backend: str, pg_url: str | None, ops: int, http_ops: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="stockyard-bench-"))
    url = fresh_database(backend, pg_url, workdir)
    console.rule(f"[bold]{backend}[/bold] — {os.cpu_count()} cores")
    s = build(url, units_per_sku=max(ops * 2, 2000))
    results: list[Result] = []
    for c in CONCURRENCY:
        results.append(reserve_via_service(s, c, ops))
    port = 18000 + random.randrange(1000)
    server = start_server(s.url, port)
    try:
        for c in CONCURRENCY:
            results.append(reserve_via_http(s, server, port, c, http_ops))
        for path in ("/api/v1/inventory/stock?per_page=100", "/api/v1/inventory/value"):
            httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {s.api_key}"})
        memory = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    results.append(receive_one_by_one(s, min(ops, 1000)))
    results.append(batch(s, "receive, 2,000 as one batch", movements.receive_stock_batch,
                         [movements.ReceiveStock(sku=s.sku_ids[i % SKUS], location=f"BW/Z/{i % BINS:02d}", quantity=1)
                          for i in range(2000)]))
    results.append(batch(s, "move, 2,000 as one batch", movements.move_stock_batch, moves_batch(s, 2000)))
    won, stock = hot_sku_race(s, 32)

    table = Table("operation", "ops", "ops/s", "p50 ms", "p95 ms", "refused", "CPU ms/op")
    for r in results:
        cpu = f"{r.cpu_seconds / r.ops * 1000:.2f}" if r.cpu_seconds is not None and r.ops else "-"
        table.add_row(r.name, str(r.ops), f"{r.rate:,.0f}", f"{r.pct(0.5):.2f}", f"{r.pct(0.95):.2f}",
                      str(r.failures), cpu)
    console.print(table)
    console.print(f"serving process resident memory after the run: {memory:.0f} MB")
    console.print(f"hot SKU, 32 buyers, 300 attempts on 100 units: {won} reservations succeeded")
    diffs = verify_levels(s.engine)
    console.print(f"oversold units: {oversold_units(s) + max(0, won - stock)}; verify differences: {len(diffs)}")
    s.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL", ""))
    parser.add_argument("--ops", type=int, default=3000, help="service-layer reservations per concurrency level")
    parser.add_argument("--http-ops", type=int, default=2000, help="HTTP reservations per concurrency level")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "postgresql" and not args.pg_url:
            console.print("[yellow]PostgreSQL skipped: pass --pg-url or set STOCKYARD_BENCH_PG_URL[/yellow]")
            continue
        run_backend(backend, args.pg_url, args.ops, args.http_ops)


if __name__ == "__main__":
    main()

"""Warehouse benchmark (issue 5): scans processed per second through the mobile API, and document generation.

Against a `stockyard serve` subprocess on PostgreSQL (or SQLite), with an operator's API key, at concurrency 1 and 8:
- receive: a blind receipt of one scanned item into a bin (POST /api/v1/mobile/warehouses/BW/receipts);
- move: one unit of a scanned item from its bin to the next (POST .../moves);
- pick: one pick line confirmed with its scanned location and item (POST .../pick-lists/{id}/picks), on pick lists
  of waves made from storefront orders placed over HTTP beforehand (not timed).
Each scan is one request; p50/p95 are per request. Then the time to generate 1,000 invoices and 1,000 labels
(bench/documents.py). `stockyard verify` style books check: the ledger must still explain every level.

    stockyard bench warehouse [--pg-url URL] [--backend postgresql|sqlite] [--scans N] [--documents N]

Figures are printed, never asserted.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkout import BINS, STEPS, Shop, build, checkout  # noqa: E402
from common import CpuMeter, Result, fresh_database, start_server  # noqa: E402

from documents import measure  # noqa: E402
from stockyard.core.uow import UnitOfWork, perform  # noqa: E402
from stockyard.fulfilment import waves  # noqa: E402
from stockyard.identity.services import create_api_key, create_user  # noqa: E402
from stockyard.inventory.verify import verify_levels  # noqa: E402

console = Console(width=160)
CONCURRENCY = (1, 8)
MOBILE = "/api/v1/mobile/warehouses/BW"
Scan = Callable[[httpx.AsyncClient, int], Awaitable[bool]]


def operator_key(shop: Shop) -> str:
    with UnitOfWork(shop.engine, shop.actor) as uow:
        user_id = create_user(uow, email="picker@bench.example", name="Bench picker", password="bench password 1",
                              role="warehouse_manager")
        return create_api_key(uow, user_id=user_id, name="scanner")


async def run_scans(base_url: str, key: str, name: str, concurrency: int, scans: int, scan: Scan) -> Result:
    latencies: list[float] = []
    failures = 0
    todo = iter(range(scans))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, limits=limits,
                                 timeout=60) as client:

        async def worker() -> None:
            nonlocal failures
            for i in todo:
                t0 = time.perf_counter()
                ok = await scan(client, i)
                latencies.append(time.perf_counter() - t0)
                failures += not ok

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Result(name, scans, time.perf_counter() - t0, latencies, failures)


def receive_scan(shop: Shop) -> Scan:
    async def scan(client: httpx.AsyncClient, i: int) -> bool:
        r = await client.post(f"{MOBILE}/receipts", json={
            "sku": shop.codes[i % (len(shop.codes) - 1)], "quantity": 1, "location": f"BW/Z/{i % BINS:02d}"})
        return r.status_code == 201
    return scan


def move_scan(shop: Shop) -> Scan:
    async def scan(client: httpx.AsyncClient, i: int) -> bool:
        n = i % (len(shop.codes) - 1)  # checkout.build put SKU n in bin n % BINS
        r = await client.post(f"{MOBILE}/moves", json={
            "sku": shop.codes[n], "from_location": f"BW/Z/{n % BINS:02d}",
            "to_location": f"BW/Z/{(n + 1) % BINS:02d}", "quantity": 1})
        return r.status_code == 201
    return scan


async def place_orders(base_url: str, shop: Shop, orders: int) -> dict[str, int]:
    timings: dict[str, list[float]] = {s: [] for s in STEPS}
    outcomes: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=base_url, headers={"Host": shop.host}, timeout=60) as client:
        todo = iter(range(orders))

        async def worker() -> None:
            for i in todo:
                outcome = await checkout(client, shop, shop.codes[i % (len(shop.codes) - 1)], timings)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

        await asyncio.gather(*(worker() for _ in range(8)))
    return outcomes


async def pick_lines(base_url: str, key: str) -> list[tuple[int, dict[str, object]]]:
    """Every open pick line of the warehouse, as (pick list id, the body of its pick scan)."""
    lines = []
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        lists = (await client.get(f"{MOBILE}/picking")).json()["pick_lists"]
        for plist in lists:
            view = (await client.get(f"{MOBILE}/picking", params={"pick": plist["code"]})).json()
            lines += [(view["id"], {"line_id": line["line_id"], "location": line["location"], "sku": line["sku"],
                                    "quantity": line["remaining"]}) for line in view["lines"] if line["remaining"]]
    return lines


def pick_scan(lines: list[tuple[int, dict[str, object]]]) -> Scan:
    async def scan(client: httpx.AsyncClient, i: int) -> bool:
        list_id, body = lines[i]
        r = await client.post(f"{MOBILE}/pick-lists/{list_id}/picks", json=body)
        return r.status_code in (200, 201)
    return scan


def make_waves(shop: Shop) -> int:
    made = 0
    while True:
        try:
            perform(shop.engine, shop.actor, waves.create_pick_wave, waves.CreateWave(warehouse_id="BW",
                                                                                       max_orders=500))
        except Exception:  # noqa: BLE001 - "nothing to pick" ends the loop, whatever its error class
            return made
        made += 1


def run_backend(backend: str, pg_url: str | None, scans: int) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(backend, pg_url, Path(tmp), "stockyard_bench_warehouse")
        host = "bench.warehouse.test"
        shop = build(url, 10_000, host)
        key = operator_key(shop)
        port = 8600 + os.getpid() % 300
        server = start_server(url, port)
        base = f"http://127.0.0.1:{port}"
        meter = CpuMeter(server.pid, url if backend == "postgresql" else None)
        try:
            for name, scan in (("receive", receive_scan(shop)), ("move", move_scan(shop))):
                for c in CONCURRENCY:
                    meter.start()
                    result = asyncio.run(run_scans(base, key, f"{name} c={c}", c, scans, scan))
                    result.cpu_seconds = meter.stop().total
                    results.append(result)
            t0 = time.perf_counter()
            placed = asyncio.run(place_orders(base, shop, scans * len(CONCURRENCY)))
            made = make_waves(shop)
            console.print(f"[dim]{backend}: storefront orders {placed} and {made} waves made in "
                          f"{time.perf_counter() - t0:.1f} s (not timed below)[/dim]")
            lines = asyncio.run(pick_lines(base, key))
            for n, c in enumerate(CONCURRENCY):
                batch = lines[n * scans:(n + 1) * scans]
                meter.start()
                result = asyncio.run(run_scans(base, key, f"pick c={c}", c, len(batch), pick_scan(batch)))
                result.cpu_seconds = meter.stop().total
                results.append(result)
        finally:
            server.terminate()
            server.wait(timeout=30)
            meter.close()
        problems = verify_levels(shop.engine)
        console.print(f"[dim]{backend}: books after the run: "
                      f"{'levels match the ledger' if not problems else f'{len(problems)} differences'}[/dim]")
        shop.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5433/postgres"))
    parser.add_argument("--scans", type=int, default=300, help="scans per operation and concurrency")
    parser.add_argument("--documents", type=int, default=1000, help="invoices and labels to generate")
    args = parser.parse_args()
    results = run_backend(args.backend, args.pg_url if args.backend == "postgresql" else None, args.scans)
    table = Table(title=f"Mobile API scans ({args.backend})")
    for col in ("scan", "scans", "scans/s", "p50 ms", "p95 ms", "failed", "CPU ms/scan"):
        table.add_column(col, justify="left" if col == "scan" else "right")
    for r in results:
        cpu = f"{r.cpu_seconds / r.ops * 1000:.2f}" if r.cpu_seconds is not None and r.ops else "-"
        table.add_row(r.name, str(r.ops), f"{r.rate:.0f}", f"{r.pct(0.5):.1f}", f"{r.pct(0.95):.1f}",
                      str(r.failures), cpu)
    console.print(table)
    figures = measure(args.documents, args.pg_url if args.backend == "postgresql" else None)
    docs = Table(title=f"Documents ({args.documents} each)")
    for col in ("what", "items", "wall s", "ms/item", "CPU s"):
        docs.add_column(col, justify="left" if col == "what" else "right")
    for f in figures:
        docs.add_row(f.name, str(f.items), f"{f.wall:.2f}", f"{f.per_item_ms:.2f}", f"{f.cpu:.2f}")
    console.print(docs)


if __name__ == "__main__":
    main()

"""What the read cache buys: storefront catalog pages (category listings, product pages, searches) over HTTP with
the cache off, in-process, and in Redis: requests/s, p50/p95/p99 latency and CPU per request (server process plus
PostgreSQL processes), on the generated catalog of bench/catalog.py.

    stockyard bench cache [--backend sqlite|postgresql] [--pg-url URL] [--redis-url URL] [--skus N]
                          [--requests N] [--pages N] [--concurrency N]

The requests go round a fixed set of distinct pages (--pages, a shop's popular pages), so after the first pass a
cache answers them; nothing changes stock during the run (with orders coming in, every stock event would make the
tenant's pages be computed again). Redis is STOCKYARD_BENCH_REDIS_URL or --redis-url (default
redis://127.0.0.1:6379/0); the mode is skipped if it does not answer. Figures are printed, never asserted.
"""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import redis
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Result, cpu_snapshot, fresh_database  # noqa: E402

from catalog import WORDS, Catalog, build, load_pages  # noqa: E402

console = Console(width=160)
# The server runs no background jobs: nothing invalidates the cache while it is measured.
MODES = {"no cache": {"STOCKYARD_READ_CACHE_SECONDS": "0", "STOCKYARD_REDIS_URL": ""},
         "in-process": {"STOCKYARD_READ_CACHE_SECONDS": "300", "STOCKYARD_REDIS_URL": ""},
         "Redis": {"STOCKYARD_READ_CACHE_SECONDS": "300"}}


def pages(cat: Catalog, count: int, rng: random.Random) -> dict[str, list[str]]:
    third = max(count // 3, 1)
    return {
        "category page": [f"/c/{rng.choice(cat.leaf_ids)}" for _ in range(third)],
        "product page": [f"/p/{code}" for code in rng.sample(cat.codes, third)],
        "search": [f"/search?q={rng.choice(WORDS)}+{rng.choice(WORDS)}" for _ in range(third)],
    }


def ok(response: httpx.Response) -> bool:
    return response.status_code == 200


def measure(name: str, server_pid: int, port: int, distinct: list[str], requests: int, concurrency: int,
            rng: random.Random) -> Result:
    asyncio.run(load_pages(port, distinct, concurrency, ok))  # every page once: what a cache then holds
    paths = [rng.choice(distinct) for _ in range(requests)]
    cpu0 = cpu_snapshot(server_pid)
    latencies, failures, seconds = asyncio.run(load_pages(port, paths, concurrency, ok))
    return Result(name, len(latencies), seconds, latencies, failures, cpu_snapshot(server_pid) - cpu0)


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, STOCKYARD_DATABASE_URL=url, STOCKYARD_LOG_LEVEL="warning", STOCKYARD_DB_POOL_SIZE="20",
               STOCKYARD_DB_MAX_OVERFLOW="10")
    proc = subprocess.Popen([sys.executable, "-m", "stockyard.cli", "serve", "--port", str(port)], env=env)
    deadline = time.monotonic() + 180  # a loaded machine imports slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the server did not start")


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def run(backend: str, pg_url: str, redis_url: str, skus: int, requests: int, count: int, concurrency: int) -> None:
    rng = random.Random(20261204)
    workdir = Path(tempfile.mkdtemp(prefix="stockyard-bench-cache-"))
    url = fresh_database(backend, pg_url, workdir, "stockyard_bench_cache")
    console.rule(f"[bold]{backend}[/bold] — {skus:,} SKUs, {count} distinct pages, {requests} requests per workload, "
                 f"concurrency {concurrency}, {os.cpu_count()} cores")
    cat = build(url, skus, rng)
    workloads = pages(cat, count, rng)
    results: list[Result] = []
    for mode, env in MODES.items():
        if mode == "Redis":
            if not redis_answers(redis_url):
                console.print(f"[yellow]Redis skipped: {redis_url} does not answer[/yellow]")
                continue
            env = env | {"STOCKYARD_REDIS_URL": redis_url}
        os.environ.update(env | {"STOCKYARD_SERVE_JOBS": "false"})
        port = 19500 + rng.randrange(400)
        server = start_server(url, port)
        try:
            for name, distinct in workloads.items():
                results.append(measure(f"{name}, {mode}", server.pid, port, distinct, requests, concurrency, rng))
        finally:
            server.terminate()
            server.wait(10)
    table = Table("workload, cache", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "failed", "CPU ms/req")
    for r in sorted(results, key=lambda r: r.name):
        table.add_row(r.name, str(r.ops), f"{r.rate:,.0f}", f"{r.pct(0.5):.1f}", f"{r.pct(0.95):.1f}",
                      f"{r.pct(0.99):.1f}", str(r.failures),
                      f"{(r.cpu_seconds or 0) / r.ops * 1000:.2f}" if r.ops else "-")
    console.print(table)
    cat.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL", ""))
    parser.add_argument("--redis-url", default=os.environ.get("STOCKYARD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--skus", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=600, help="requests per workload and cache mode")
    parser.add_argument("--pages", type=int, default=150, help="distinct pages the requests go round")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    if args.backend == "postgresql" and not args.pg_url:
        parser.error("--backend postgresql needs --pg-url or STOCKYARD_BENCH_PG_URL")
    run(args.backend, args.pg_url, args.redis_url, args.skus, args.requests, args.pages, args.concurrency)


if __name__ == "__main__":
    main()

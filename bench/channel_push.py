"""Channel push benchmark: p50/p95 latency from a stock change (its transaction committed) to a connected store
receiving the push with the new figure, through a real `stockyard worker` process (embedded profile: the worker
dispatches the outbox to the channel consumers and runs the push job every --interval seconds).

    python bench/channel_push.py [--backend sqlite|postgresql] [--pg-url URL] [--changes N] [--interval S]
                                 [--debounce S] [--burst K]

The store is a real HTTP server on a loopback port (the generic contract). Each change receives one unit of a SKU
and waits until the store shows it; with --burst K, K changes are committed back to back and the latency of the
last one is measured (they coalesce into one push). Figures are printed, never asserted.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import fresh_database  # noqa: E402
from tests.integration.channels.store_server import running_store  # noqa: E402

from stockyard.catalog.services import CreateProduct, create_product  # noqa: E402
from stockyard.core.actor import system_actor  # noqa: E402
from stockyard.core.db import create_db_engine  # noqa: E402
from stockyard.core.migrate import upgrade  # noqa: E402
from stockyard.core.uow import perform  # noqa: E402
from stockyard.identity.services import create_tenant  # noqa: E402
from stockyard.integration.channels.connections import ConnectionIn, create_connection  # noqa: E402
from stockyard.integration.channels.mapping import MapSku, SyncSettingsIn, map_sku, set_sync_settings  # noqa: E402
from stockyard.inventory import movements, warehouses  # noqa: E402
from stockyard.sales.channels import ChannelIn, create_channel  # noqa: E402

console = Console()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL"))
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.2, help="the worker's jobs interval, seconds")
    parser.add_argument("--debounce", type=int, default=0, help="the connection's debounce, seconds")
    parser.add_argument("--burst", type=int, default=1)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="channel-bench-"))
    url = fresh_database(args.backend, args.pg_url, workdir, "stockyard_channel_bench")
    engine = create_db_engine(url, pool_size=5, max_overflow=5)
    upgrade(engine)
    tenant_id = create_tenant(engine, "bench", "Bench")
    actor = system_actor(tenant_id, "bench")
    perform(engine, actor, warehouses.create_warehouse, warehouses.CreateWarehouse(code="MAIN", name="Main"))
    perform(engine, actor, warehouses.create_location, warehouses.CreateLocation(warehouse="MAIN", code="A"))
    perform(engine, actor, create_product, CreateProduct(name="Brake pad", skus=[{"code": "BP-1"}]))
    channel_id = perform(engine, actor, create_channel, ChannelIn(code="SITE", name="Site", kind="marketplace",
                                                                   currency="EUR"))
    with running_store() as store:
        connection_id = perform(engine, actor, create_connection, ConnectionIn(
            channel_id=channel_id, name="Bench store", adapter="generic", base_url=store.url)).id
        perform(engine, actor, set_sync_settings, connection_id, SyncSettingsIn(debounce_seconds=args.debounce,
                                                                                push_prices=False))
        perform(engine, actor, map_sku, connection_id, MapSku(sku="BP-1", external_id="BP-1"))
        env = dict(os.environ, STOCKYARD_DATABASE_URL=url, STOCKYARD_JOBS_INTERVAL_SECONDS=str(args.interval),
                   STOCKYARD_LOG_LEVEL="warning")
        worker = subprocess.Popen([sys.executable, "-m", "stockyard.cli", "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        latencies: list[float] = []
        try:
            deadline = time.monotonic() + 60
            while store.shows("BP-1") != 0 and time.monotonic() < deadline:  # the mapping's first push
                time.sleep(0.01)
            expected = 0
            for _ in range(args.changes):
                for _ in range(args.burst):
                    perform(engine, actor, movements.receive_stock, movements.ReceiveStock(
                        sku="BP-1", location="MAIN/A", quantity=1))
                    expected += 1
                committed = time.monotonic()
                while store.shows("BP-1") != expected:
                    if time.monotonic() - committed > 60:
                        raise RuntimeError(f"the store never showed {expected} (it shows {store.shows('BP-1')})")
                    time.sleep(0.002)
                arrived = next(p.at for p in reversed(store.pushes) if p.body["items"][0]["available"] == expected)
                latencies.append(arrived - committed)
        finally:
            worker.terminate()
            worker.wait(10)
    ms = [x * 1000 for x in latencies]
    table = Table(title=f"stock change → store receives the push ({args.backend}, worker every {args.interval}s, "
                        f"debounce {args.debounce}s, burst {args.burst})")
    for column in ("changes", "p50 ms", "p95 ms", "max ms", "mean ms", "pushes received"):
        table.add_column(column, justify="right")
    table.add_row(str(len(ms)), f"{percentile(ms, 50):.0f}", f"{percentile(ms, 95):.0f}", f"{max(ms):.0f}",
                  f"{statistics.mean(ms):.0f}", str(len(store.pushes)))
    console.print(table)
    engine.dispose()


if __name__ == "__main__":
    main()

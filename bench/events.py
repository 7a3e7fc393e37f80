"""Events benchmark: outbox → (RabbitMQ →) consumer, through real `stockyard worker` processes.

For the scale-out profile with 1 and 2 workers, and the embedded profile (no broker: the worker dispatches from the
outbox in-process) with 1 and 2 workers, it prints
- events per second for a burst (N events committed at once, until the consumer handled all of them), and
- p50/p95 latency from an event's commit to its consumer's commit, for events written one per transaction at a
  steady pace (--rate per second) while the workers are idle otherwise.

    stockyard bench events [--backend sqlite|postgresql] [--pg-url URL] [--broker-url URL] [--events N]
                           [--rate R] [--seconds S]

Figures are printed, never asserted.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pika
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Result, fresh_database  # noqa: E402
from event_consumer import PING, handled, metadata  # noqa: E402

from stockyard.core.actor import system_actor  # noqa: E402
from stockyard.core.db import create_db_engine  # noqa: E402
from stockyard.core.migrate import upgrade  # noqa: E402
from stockyard.core.outbox import OutboxEvent, add_events  # noqa: E402
from stockyard.core.uow import UnitOfWork  # noqa: E402
from stockyard.identity.services import create_tenant  # noqa: E402

console = Console()
BENCH_DIR = Path(__file__).resolve().parent
_outbox = OutboxEvent.__table__


def start_workers(count: int, url: str, broker_url: str, prefix: str, workdir: Path) -> list[subprocess.Popen[bytes]]:
    env = dict(os.environ, PYTHONPATH=str(BENCH_DIR), STOCKYARD_DATABASE_URL=url, STOCKYARD_BROKER_URL=broker_url,
               STOCKYARD_BROKER_PREFIX=prefix, STOCKYARD_CONSUMER_MODULES="event_consumer",
               STOCKYARD_VAR_DIR=str(workdir), STOCKYARD_JOBS_INTERVAL_SECONDS="3600",
               STOCKYARD_DISPATCH_POLL_SECONDS="0.02", STOCKYARD_LOG_LEVEL="warning")
    return [subprocess.Popen([sys.executable, "-m", "stockyard.cli", "worker"], env=env,
                             stdout=subprocess.DEVNULL, stderr=(workdir / f"worker-{prefix}-{n}.log").open("wb"))
            for n in range(count)]


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()


def delete_topology(broker_url: str, prefix: str) -> None:
    with pika.BlockingConnection(pika.URLParameters(broker_url)) as connection:
        channel = connection.channel()
        for queue in (f"{prefix}.consumer.bench.events", f"{prefix}.dead-letters"):
            channel.queue_delete(queue)
        for exchange in (f"{prefix}.events", f"{prefix}.dead"):
            channel.exchange_delete(exchange)


def handled_count(engine: Engine, ids: list[str]) -> int:
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.conn.execute(select(func.count()).select_from(handled)
                                .where(handled.c.event_id.in_(ids))).scalar_one()


def wait_handled(engine: Engine, ids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while handled_count(engine, ids) < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {handled_count(engine, ids)} of {len(ids)} events handled in {timeout}s")
        time.sleep(0.01)


def latencies(engine: Engine, ids: list[str]) -> list[float]:
    with UnitOfWork(engine, readonly=True) as uow:
        rows = uow.conn.execute(select(_outbox.c.created_at, handled.c.handled_at)
                                .join(handled, handled.c.event_id == _outbox.c.event_id)
                                .where(_outbox.c.event_id.in_(ids))).all()
    return [(done - written).total_seconds() for written, done in rows]


def warm_up(engine: Engine, tenant_id: int) -> None:
    """One event through, so the workers are connected and their queues exist before the clock starts."""
    with UnitOfWork(engine, system_actor(tenant_id, "bench")) as uow:
        ids = add_events(uow, [(PING, {"warm": True})])
    wait_handled(engine, ids, 60)


def run_profile(name: str, engine: Engine, url: str, tenant_id: int, broker_url: str, workers: int,
                args: argparse.Namespace, workdir: Path) -> tuple[Result, Result]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    running = start_workers(workers, url, broker_url, prefix, workdir)
    try:
        warm_up(engine, tenant_id)
        actor = system_actor(tenant_id, "bench")
        started = time.perf_counter()
        with UnitOfWork(engine, actor) as uow:
            burst = add_events(uow, [(PING, {"n": n}) for n in range(args.events)])
        wait_handled(engine, burst, 600)
        throughput = Result(f"{name}, {workers} worker(s): burst", len(burst), time.perf_counter() - started,
                            latencies(engine, burst))
        paced: list[str] = []
        interval, next_at = 1 / args.rate, time.perf_counter()
        until = next_at + args.seconds
        while next_at < until:
            with UnitOfWork(engine, actor) as uow:
                paced += add_events(uow, [(PING, {"paced": True})])
            next_at += interval
            time.sleep(max(0.0, next_at - time.perf_counter()))
        wait_handled(engine, paced, 120)
        latency = Result(f"{name}, {workers} worker(s): {args.rate}/s, one per transaction", len(paced),
                         args.seconds, latencies(engine, paced))
        return throughput, latency
    finally:
        stop(running)
        if broker_url:
            delete_topology(broker_url, prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL"))
    parser.add_argument("--broker-url", default=os.environ.get("STOCKYARD_BENCH_BROKER_URL",
                                                               "amqp://guest:guest@127.0.0.1:5672/%2F"))
    parser.add_argument("--events", type=int, default=3000, help="events in the burst")
    parser.add_argument("--rate", type=float, default=50.0, help="events per second for the latency run")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the latency run")
    args = parser.parse_args()
    backend = args.backend
    if backend == "postgresql" and not args.pg_url:
        console.print("[yellow]no --pg-url / STOCKYARD_BENCH_PG_URL: running on SQLite[/yellow]")
        backend = "sqlite"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = fresh_database(backend, args.pg_url, workdir, name="stockyard_bench_events")
        engine = create_db_engine(url, pool_size=5, max_overflow=5)
        upgrade(engine)
        metadata.create_all(engine)
        tenant_id = create_tenant(engine, f"bench-{uuid.uuid4().hex[:6]}", "Events bench")
        results: list[Result] = []
        for name, broker_url in (("RabbitMQ", args.broker_url), ("embedded", "")):
            for workers in (1, 2):
                console.print(f"{name}, {workers} worker(s) …")
                results += run_profile(name, engine, url, tenant_id, broker_url, workers, args, workdir)
        engine.dispose()
    table = Table(title=f"Events: outbox → consumer ({backend})")
    for column in ("run", "events", "events/s", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for r in results:
        table.add_row(r.name, str(r.ops), f"{r.rate:,.0f}", f"{r.pct(0.50):,.1f}", f"{r.pct(0.95):,.1f}")
    console.print(table)
    console.print("Latency: from the event's commit (outbox created_at) to the consumer's commit (its own clock, "
                  "same machine). The burst's percentiles include the time events waited in the queue.")


if __name__ == "__main__":
    main()

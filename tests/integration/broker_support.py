"""RabbitMQ and `stockyard worker` subprocesses for the scale-out profile's tests.

The broker comes from STOCKYARD_TEST_BROKER_URL (skipped without it; a failure with CI=true). Each test gets its
own exchange/queue prefix, so runs never see each other's messages, and its queues are deleted afterwards. The
worker subprocesses use a database of the test module's own (PostgreSQL when STOCKYARD_TEST_DATABASE_URL is set,
else a SQLite file), and the test consumers of tests/integration/backbone_consumers.py.
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pika
import pytest
from sqlalchemy import Engine, text

from stockyard.core.uow import UnitOfWork
from tests.conftest import IN_CI, PG_URL, private_engine
from tests.integration import backbone_consumers

BROKER_URL = os.environ.get("STOCKYARD_TEST_BROKER_URL", "")
ROOT = Path(__file__).resolve().parents[2]
STOCKYARD = Path(sys.executable).parent / "stockyard"
RABBITMQ_ENV = {"RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1", "ERL_EPMD_ADDRESS": "127.0.0.1",
                "RABBITMQ_SERVER_START_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}"}


def require_broker() -> str:
    if not BROKER_URL:
        if IN_CI:
            pytest.fail("CI=true but STOCKYARD_TEST_BROKER_URL is not set")
        pytest.skip("broker tests need STOCKYARD_TEST_BROKER_URL (RabbitMQ)")
    try:
        pika.BlockingConnection(pika.URLParameters(BROKER_URL)).close()
    except pika.exceptions.AMQPError as error:
        if IN_CI:
            pytest.fail(f"RabbitMQ at {BROKER_URL} is unreachable: {error}")
        pytest.skip(f"RabbitMQ unreachable: {error}")
    return BROKER_URL


def worker_database(tmp: Path) -> Iterator[Engine]:
    """A migrated database for the worker subprocesses (their own, so nothing else's events are relayed)."""
    with private_engine("postgresql" if PG_URL else "sqlite", tmp, "broker") as engine:
        backbone_consumers.create_tables(engine)
        yield engine


@dataclass
class Workers:
    engine: Engine
    broker_url: str
    var_dir: Path
    prefix: str = field(default_factory=lambda: f"sytest-{uuid.uuid4().hex[:10]}")
    running: list[subprocess.Popen[bytes]] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(ROOT),
                "STOCKYARD_DATABASE_URL": self.engine.url.render_as_string(hide_password=False),
                "STOCKYARD_BROKER_URL": self.broker_url, "STOCKYARD_BROKER_PREFIX": self.prefix,
                "STOCKYARD_CONSUMER_MODULES": backbone_consumers.MODULE, "STOCKYARD_VAR_DIR": str(self.var_dir),
                "STOCKYARD_JOBS_INTERVAL_SECONDS": "60", "STOCKYARD_DISPATCH_POLL_SECONDS": "0.05",
                "STOCKYARD_CONSUMER_RETRY_BASE_SECONDS": "0.1", "STOCKYARD_RELAY_BATCH_SIZE": "50",
                **self.settings}

    def start(self) -> subprocess.Popen[bytes]:
        log = (self.var_dir / f"worker-{len(self.running)}.log").open("wb")
        process = subprocess.Popen([str(STOCKYARD), "worker"], env=self.env(), cwd=self.var_dir, stdout=log,
                                   stderr=subprocess.STDOUT)
        self.running.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.var_dir.glob("worker-*.log")))

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
        for process in self.running:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def delete_queues(self) -> None:
        listed = subprocess.run(["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name"],
                                capture_output=True, text=True, timeout=60)
        names = [n.strip() for n in listed.stdout.splitlines() if n.strip().startswith(self.prefix + ".")]
        with pika.BlockingConnection(pika.URLParameters(self.broker_url)) as connection:
            channel = connection.channel()
            for name in names:
                channel.queue_delete(name)
            for exchange in (f"{self.prefix}.events", f"{self.prefix}.dead"):
                channel.exchange_delete(exchange)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, workers: Workers | None = None,
             every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" +
                         (f"\nworker logs:\n{workers.logs()}" if workers else ""))


def stop_rabbitmq() -> None:
    subprocess.run(["rabbitmqctl", "stop"], check=True, capture_output=True, timeout=120)


def start_rabbitmq() -> None:
    subprocess.run(["rabbitmq-server", "-detached"], env={**os.environ, **RABBITMQ_ENV}, check=True,
                   capture_output=True, timeout=60)
    deadline = time.monotonic() + 120
    while True:  # `-detached` returns before the node answers; await_startup fails until it does
        waited = subprocess.run(["rabbitmqctl", "await_startup"], capture_output=True, timeout=120)
        if waited.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"RabbitMQ did not start: {waited.stderr.decode(errors='replace')}")
        time.sleep(0.5)


def count(engine: Engine, sql: str, **params: object) -> int:
    with UnitOfWork(engine, readonly=True) as uow:
        return int(uow.conn.execute(text(sql), params).scalar_one())

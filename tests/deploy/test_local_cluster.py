"""deploy/local-cluster.sh: the scale-out topology from native processes (nginx, web processes, two workers) on
the CI's PostgreSQL (a fresh database), RabbitMQ (a prefix of its own) and Redis. An order goes through nginx;
the workers handle its events (the confirmation e-mail, the shop's stock figure that Redis caches for every web
process); each web process serves requests; the cluster stops cleanly.

In the "rabbitmq" xdist group: the broker tests stop and start RabbitMQ, which this test must not meet.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pika
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from stockyard.core.db import create_db_engine
from stockyard.core.mail import stored_mail
from tests.conftest import IN_CI, PG_URL, _admin, new_tenant
from tests.core.redis_support import redis_url
from tests.integration.broker_support import require_broker
from tests.sales.shop_setup import build_shop

pytestmark = [pytest.mark.xdist_group("rabbitmq")]
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "local-cluster.sh"
STOCKYARD = Path(sys.executable).parent / "stockyard"


def _require(condition: bool, why: str) -> None:
    if not condition:
        if IN_CI:
            pytest.fail(f"CI=true but {why}")
        pytest.skip(why)


def _free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65535:
            continue
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


@dataclass
class Cluster:
    url: str
    state: Path
    engine: Engine
    ports: list[int]
    layered: bool


def _script(command: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=timeout)


def _delete_broker_objects(broker: str, prefix: str) -> None:
    listed = subprocess.run(["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "name"],
                            capture_output=True, text=True, timeout=60, env=os.environ | {"PATH": os.environ.get(
                                "PATH", "") + ":/usr/sbin:/sbin"})
    names = [n.strip() for n in listed.stdout.splitlines() if n.strip().startswith(prefix + ".")]
    with pika.BlockingConnection(pika.URLParameters(broker)) as connection:
        channel = connection.channel()
        for name in names:
            channel.queue_delete(name)
        for exchange in (f"{prefix}.events", f"{prefix}.dead"):
            channel.exchange_delete(exchange)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    _require(bool(PG_URL), "STOCKYARD_TEST_DATABASE_URL is not set (the cluster needs PostgreSQL)")
    broker = require_broker()
    cache = redis_url()
    _require(shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists(), "nginx is not installed")
    name = f"stockyard_cluster_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    database = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    state = tmp_path_factory.mktemp("cluster")
    port = _free_ports(4)
    prefix = f"cluster-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOCKYARD_")} | {
        "STOCKYARD_CLUSTER_DIR": str(state), "STOCKYARD_CLUSTER_PORT": str(port),
        "STOCKYARD_CLUSTER_DATABASE_URL": database, "STOCKYARD_CLUSTER_BROKER_URL": broker,
        "STOCKYARD_CLUSTER_REDIS_URL": cache, "STOCKYARD_CLUSTER_BROKER_PREFIX": prefix,
        "STOCKYARD_BIN": str(STOCKYARD), "STOCKYARD_LOG_LEVEL": "warning",
        "STOCKYARD_ARGON2_TIME_COST": "1", "STOCKYARD_ARGON2_MEMORY_KIB": "1024"}
    engine = create_db_engine(database, pool_size=5, max_overflow=5)
    try:
        started = _script("start", env, timeout=180)
        assert started.returncode == 0, f"start failed:\n{started.stderr}\n{_logs(state)}"
        url = started.stdout.strip().splitlines()[-1]
        assert url == f"http://127.0.0.1:{port}"
        yield Cluster(url, state, engine, [port + 1, port + 2, port + 3], (state / "pids" / "web-backoffice.pid")
                      .exists())
        stopped = _script("stop", env, timeout=60)
        assert stopped.returncode == 0, stopped.stderr
        assert _script("status", env, timeout=30).returncode != 0  # nothing runs any more
    finally:
        if (state / "pids").is_dir() and any((state / "pids").iterdir()):
            _script("stop", env, timeout=60)
        engine.dispose()
        _delete_broker_objects(broker, prefix)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _logs(state: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                     for p in sorted((state / "logs").glob("*.log")))


def _wait_for(condition, seconds: float, what: str, cluster: Cluster) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{_logs(cluster.state)}")


def test_an_order_goes_through_nginx_the_web_processes_and_the_workers(cluster: Cluster) -> None:
    shop = build_shop(new_tenant(cluster.engine))
    served: list[str] = []
    client = httpx.Client(base_url=cluster.url, headers={"Host": shop.domain}, timeout=30,
                          event_hooks={"response": [lambda r: served.append(r.headers.get("x-stockyard-upstream",
                                                                                             ""))]})
    with client:
        assert "Only 5 left" in client.get("/p/SKU-001").text
        api = "/api/v1/storefront"
        added = client.post(f"{api}/carts", json={"sku": "SKU-001", "quantity": 2})
        assert added.status_code == 201, added.text
        token = added.json()["token"]
        address = shop.address().model_dump()
        options = client.post(f"{api}/carts/{token}/shipping-options", json=address)
        assert options.status_code == 200 and options.json(), options.text
        email = f"cluster-{uuid.uuid4().hex[:8]}@example.com"
        body = {"idempotency_key": uuid.uuid4().hex, "email": email, "shipping_address": address,
                "shipping_method_id": options.json()[0]["method_id"], "payment_method_id": shop.card_method_id,
                "card": shop.card()}
        key = {"Idempotency-Key": uuid.uuid4().hex}
        placed = client.post(f"{api}/carts/{token}/orders", json=body, headers=key)
        assert placed.status_code == 201 and placed.json()["status"] == "allocated", placed.text
        replayed = client.post(f"{api}/carts/{token}/orders", json=body, headers=key)  # the other web process
        assert replayed.headers.get("idempotent-replayed") == "true" and replayed.json() == placed.json()

        mailbox = cluster.state / "var" / "mail"
        _wait_for(lambda: any(m.to == email for m in stored_mail(mailbox, shop.ctx.tenant_id)), 30,
                  "the workers' confirmation e-mail", cluster)
        # The shop's page comes from Redis; a worker's handling of the order's stock events refreshes it for all.
        _wait_for(lambda: "Only 3 left" in client.get("/p/SKU-001").text, 30, "the shop to show the new stock",
                  cluster)
        backoffice = client.get("/erp", follow_redirects=False)
        assert backoffice.status_code in (200, 303)

    storefront = {f"127.0.0.1:{p}" for p in cluster.ports[:2]}
    assert storefront <= set(served), served  # both web processes served the shop and the API
    if cluster.layered:
        assert served[-1] == f"127.0.0.1:{cluster.ports[2]}"  # /erp went to the back-office process
        assert f"127.0.0.1:{cluster.ports[2]}" not in served[:-1]

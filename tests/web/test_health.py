"""/healthz answers without I/O; /readyz checks the database, and the broker and Redis when configured."""

import socket

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from stockyard.core.settings import Settings
from stockyard.web.app import create_app


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def client_for(engine, **settings: str) -> TestClient:  # noqa: ANN001
    return TestClient(create_app(Settings(secret_key="test-secret", **settings), engine, run_jobs=False))


def test_healthz_and_readyz_when_all_is_well(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "down": [], "checks": {"database": {"ok": True}}}


def test_readyz_names_a_broker_that_is_down(sqlite_engine) -> None:  # noqa: ANN001
    client = client_for(sqlite_engine, broker_url=f"amqp://guest:guest@127.0.0.1:{closed_port()}/%2F")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable" and body["down"] == ["broker"]
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["broker"]["error"]
    assert client.get("/healthz").status_code == 200  # alive all the same: restarting would not bring the broker back


def test_readyz_names_redis_and_the_database_when_down(tmp_path) -> None:  # noqa: ANN001
    unreachable = create_engine(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite")
    client = client_for(unreachable, redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["down"] == ["database", "redis"]


def test_readyz_with_a_reachable_broker(sqlite_engine) -> None:  # noqa: ANN001
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 5672)) != 0:
            pytest.skip("RabbitMQ is not running on 127.0.0.1:5672")
    ready = client_for(sqlite_engine, broker_url="amqp://guest:guest@127.0.0.1:5672/%2F").get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["broker"] == {"ok": True}

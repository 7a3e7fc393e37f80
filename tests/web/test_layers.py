"""`stockyard serve --only ...`: a process serves only its layers' routes (the others are 404), plus what every
process needs (login, static files, health, metrics); all layers together serve everything."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.routing import Match
from typer.testing import CliRunner

from stockyard.core.settings import Settings
from stockyard.web.app import LAYERS, create_app, parse_layers

# GETs each layer's process routes (the others answer 404).
PROBES = {
    "storefront": ["/cart", "/checkout"],
    "admin": ["/admin", "/admin/orders"],
    "erp": ["/erp/purchasing/orders"],
    "mobile": ["/m", "/api/v1/mobile/warehouses"],
    "api": ["/api/v1/orders", "/api/v1/inventory/warehouses", "/docs", "/api/v1/openapi.json"],
}
EVERY_PROCESS = ["/login", "/healthz", "/readyz", "/metrics", "/static/htmx/htmx.min.js", "/account/security"]


@pytest.fixture(scope="module")
def layer_clients(sqlite_engine) -> dict[str, TestClient]:  # noqa: ANN001
    settings = Settings(secret_key="test-secret")
    clients = {name: TestClient(create_app(settings, sqlite_engine, run_jobs=False, layers=name),
                                follow_redirects=False) for name in LAYERS}
    clients["all"] = TestClient(create_app(settings, sqlite_engine, run_jobs=False), follow_redirects=False)
    return clients


def routes(client: TestClient, path: str) -> bool:
    """Whether a route of the app matches GET `path` (a page may still answer 404 for an unknown shop)."""
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] != Match.NONE for route in client.app.router.routes)


def test_every_layer_has_probes() -> None:
    assert set(PROBES) == set(LAYERS)


def test_a_layer_process_serves_its_routes_and_not_the_others(layer_clients: dict[str, TestClient]) -> None:
    for layer, client in layer_clients.items():
        if layer == "all":
            continue
        for owner, paths in PROBES.items():
            for path in paths:
                if owner == layer:
                    assert routes(client, path), (layer, path)
                else:
                    assert not routes(client, path) and client.get(path).status_code == 404, (layer, path)
        for path in EVERY_PROCESS:
            assert client.get(path).status_code in (200, 303), (layer, path)


def test_all_layers_serve_everything(layer_clients: dict[str, TestClient]) -> None:
    everything = layer_clients["all"]
    for path in [p for paths in PROBES.values() for p in paths] + EVERY_PROCESS:
        assert routes(everything, path), path


def test_openapi_only_where_the_api_is_served(layer_clients: dict[str, TestClient]) -> None:
    paths = layer_clients["api"].get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/orders" in paths and not any(p.startswith("/api/v1/mobile") for p in paths)
    assert "/api/v1/mobile/warehouses" in layer_clients["all"].get("/api/v1/openapi.json").json()["paths"]


def test_layer_names_are_checked() -> None:
    assert parse_layers("erp, admin,erp") == ("erp", "admin")
    assert parse_layers(None) == parse_layers("") == tuple(LAYERS)
    with pytest.raises(ValueError, match="unknown layer"):
        parse_layers("erp,shop")
    from stockyard.cli import app

    result = CliRunner().invoke(app, ["serve", "--only", "erp,shop"])
    assert result.exit_code == 2 and "unknown layer" in result.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_only_runs_one_layer_as_its_own_process(tmp_path: Path) -> None:
    """The real command: `stockyard serve --only api --no-jobs` answers the API and not the shop, logs JSON."""
    port = free_port()
    env = {**os.environ, "STOCKYARD_DATABASE_URL": f"sqlite:///{tmp_path}/layer.db", "STOCKYARD_LOG_FORMAT": "json",
           "STOCKYARD_SECRET_KEY": "test-secret", "PYTHONUNBUFFERED": "1"}
    for name in ("STOCKYARD_SERVE_LAYERS", "STOCKYARD_SERVE_JOBS", "STOCKYARD_BROKER_URL", "STOCKYARD_REDIS_URL"):
        env.pop(name, None)
    command = [sys.executable, "-m", "stockyard.cli", "serve", "--only", "api", "--no-jobs", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90  # generous: a loaded CI machine imports slowly
        while True:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=5)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"the server did not start: {process.communicate(timeout=15)[0]}")
                time.sleep(0.2)
        assert ready.status_code == 200
        assert httpx.get(f"{base}/api/v1/openapi.json").status_code == 200
        assert httpx.get(f"{base}/cart").status_code == 404
        assert httpx.get(f"{base}/admin").status_code == 404
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    access = [json.loads(line) for line in output.splitlines()
              if line.startswith("{") and json.loads(line).get("logger") == "stockyard.access"]
    assert {(line["path"], line["status"]) for line in access} >= {("/readyz", 200), ("/cart", 404)}

"""/metrics in Prometheus text format: HTTP series by route template, business counters, outbox lag, dead letters
and the connection pool, after a little traffic."""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from stockyard.core.outbox import OutboxEvent
from stockyard.core.settings import Settings
from stockyard.integration.consumers import Consumer
from stockyard.integration.dispatch import event_from_row, record_failure
from stockyard.web.app import create_app
from tests.conftest import Api, TenantCtx
from tests.sales.shop_setup import build_shop
from tests.web.test_layers import free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client) -> Samples:  # noqa: ANN001
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


def _fail(*_: object) -> None:
    raise RuntimeError("boom")


def test_metrics_after_an_order_a_refused_reservation_and_a_failing_consumer(tenant: TenantCtx, api: Api) -> None:
    shop = build_shop(tenant)
    before = scrape(api.client)
    created = api.post("/api/v1/orders", json={
        "channel_id": shop.channel_id, "email": "m@example.com", "shipping_address": shop.address().model_dump(),
        "lines": [{"sku": "SKU-001", "quantity": 1}], "shipping_method_id": shop.method_id,
        "payment_method_id": shop.bank_method_id, "idempotency_key": "metrics-order-1"})
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    assert api.get(f"/api/v1/orders/{number}").status_code == 200
    refused = api.post("/api/v1/inventory/reservations", json={"sku": "SKU-001", "quantity": 1_000_000})
    assert refused.status_code == 409
    assert api.client.get("/no/such/page/4711").status_code == 404
    assert api.client.get("/static/htmx/htmx.min.js").status_code == 200
    with tenant.engine.connect() as conn:
        row = conn.execute(select(OutboxEvent.__table__).where(OutboxEvent.__table__.c.tenant_id == tenant.tenant_id)
                           .order_by(OutboxEvent.__table__.c.id.desc()).limit(1)).one()
    consumer = Consumer(f"metrics-test-{tenant.slug}", frozenset({"*"}), _fail, max_attempts=1)
    record_failure(tenant.engine, consumer, event_from_row(row), row.id, RuntimeError("boom"), Settings())
    after = scrape(api.client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("stockyard_http_requests_total", method="POST", route="/api/v1/orders", status="201") == 1
    assert delta("stockyard_http_requests_total", method="GET", route="/api/v1/orders/{number}", status="200") == 1
    assert delta("stockyard_http_requests_total", method="POST", route="/api/v1/inventory/reservations",
                 status="409") == 1
    assert delta("stockyard_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert delta("stockyard_http_requests_total", method="GET", route="/static/htmx/{path}", status="200") == 1
    routes = {dict(labels).get("route") for _, labels in after}
    assert not any(number in (route or "") or "4711" in (route or "") for route in routes)  # templates, not paths
    assert delta("stockyard_http_request_duration_seconds_count", method="POST", route="/api/v1/orders") == 1
    assert value(after, "stockyard_http_request_duration_seconds_bucket", method="POST", route="/api/v1/orders",
                 le="+Inf") >= 1
    assert delta("stockyard_orders_placed_total", source="staff") == 1
    assert delta("stockyard_reservations_refused_total") == 1
    assert delta("stockyard_consumer_failures_total", consumer=consumer.name, dead="true") == 1
    assert delta("stockyard_dead_letters") >= 1
    # No relay runs in the test app: the order's events wait in the outbox.
    assert value(after, "stockyard_outbox_unpublished") >= 1
    assert value(after, "stockyard_outbox_oldest_unpublished_age_seconds") >= 0
    assert {"stockyard_db_pool_checked_out", "stockyard_db_pool_size", "stockyard_db_pool_overflow"} <= names(after)
    assert value(after, "stockyard_db_pool_size") >= 1


def test_each_app_has_its_own_registry(tenant: TenantCtx) -> None:
    from fastapi.testclient import TestClient

    settings = Settings(secret_key="test-secret")
    first = TestClient(create_app(settings, tenant.engine, run_jobs=False, layers="api"))
    second = TestClient(create_app(settings, tenant.engine, run_jobs=False, layers="api"))
    for _ in range(3):
        first.get("/healthz")
    assert value(scrape(first), "stockyard_http_requests_total", method="GET", route="/healthz", status="200") == 3
    assert value(scrape(second), "stockyard_http_requests_total", method="GET", route="/healthz", status="200") == 0


def test_the_worker_serves_its_metrics(sqlite_engine, tmp_path: Path) -> None:  # noqa: ANN001
    """`stockyard worker --metrics-port` on a copy of the migrated test database."""
    copy = tmp_path / "worker.db"
    with sqlite3.connect(sqlite_engine.url.database) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    port = free_port()
    env = {**os.environ, "STOCKYARD_DATABASE_URL": f"sqlite:///{copy}", "STOCKYARD_JOBS_INTERVAL_SECONDS": "30"}
    for name in ("STOCKYARD_BROKER_URL", "STOCKYARD_REDIS_URL"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "-m", "stockyard.cli", "worker", "--metrics-port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90  # generous: a loaded CI machine imports slowly
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "the worker did not serve metrics"
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert response.status_code == 200
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"stockyard_outbox_unpublished", "stockyard_dead_letters", "stockyard_db_pool_size",
            "stockyard_reservations_refused"} <= names
    assert "stockyard_http_requests" not in names  # a worker serves no HTTP of its own


def test_metrics_behind_a_token_when_one_is_set(sqlite_engine) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    app = create_app(Settings(secret_key="test-secret", metrics_token="s3cret"), sqlite_engine, run_jobs=False)
    client = TestClient(app)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert allowed.status_code == 200 and "stockyard_http_requests_total" in allowed.text

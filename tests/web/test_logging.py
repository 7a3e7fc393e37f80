"""Structured logs: one JSON access line per request with request id, tenant, user, method, path, status and
duration; plain text when STOCKYARD_LOG_FORMAT=text."""

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient

from stockyard.core.settings import Settings
from stockyard.core.structured_logging import configure_logging, formatter
from tests.conftest import TenantCtx
from tests.sales.shop_setup import build_shop


@pytest.fixture
def log_lines(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the stdout handler writes, captured (the handler is removed afterwards)."""
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    root = logging.getLogger()
    level = root.level
    handler = configure_logging("json", "info")
    yield out
    root.removeHandler(handler)
    root.setLevel(level)


def access_lines(out: io.StringIO) -> list[dict]:
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return [line for line in lines if line["logger"] == "stockyard.access"]


def test_one_json_access_line_per_request_with_who_and_how_long(tenant: TenantCtx, client: TestClient,
                                                                 log_lines: io.StringIO) -> None:
    user_id, key = tenant.user("owner")
    response = client.get("/api/v1/orders", headers={"Authorization": f"Bearer {key}", "X-Request-ID": "req-log-1"})
    assert response.status_code == 200
    health_id = client.get("/healthz").headers["X-Request-ID"]
    lines = access_lines(log_lines)
    assert len(lines) == 2
    line = lines[0]
    assert (line["request_id"], line["tenant_id"], line["user_id"]) == ("req-log-1", tenant.tenant_id, user_id)
    assert (line["method"], line["path"], line["route"], line["status"]) == ("GET", "/api/v1/orders",
                                                                             "/api/v1/orders", 200)
    assert line["duration_ms"] >= 0 and line["level"] == "INFO" and line["time"]
    health = lines[1]
    assert (health["path"], health["request_id"], health["tenant_id"], health["user_id"]) == (
        "/healthz", health_id, None, None)


def test_a_refused_request_is_logged_with_its_status(client: TestClient, log_lines: io.StringIO) -> None:
    assert client.get("/api/v1/orders").status_code == 401
    (line,) = access_lines(log_lines)
    assert line["status"] == 401 and line["tenant_id"] is None


def test_text_format_and_an_unknown_one() -> None:
    record = logging.LogRecord("stockyard.access", logging.INFO, __file__, 1, "GET / 200", None, None)
    record.request_id, record.tenant_id, record.user_id = "abc", None, None
    assert "[abc] GET / 200" in formatter("text").format(record)
    with pytest.raises(ValueError):
        formatter("xml")
    assert Settings(log_format="text").log_format == "text"
    with pytest.raises(ValueError):
        Settings(log_format="xml")


def test_a_shop_request_is_logged_with_the_shops_tenant(tenant: TenantCtx, client: TestClient,
                                                         log_lines: io.StringIO) -> None:
    shop = build_shop(tenant)
    assert client.get("/cart", headers={"Host": shop.domain}).status_code == 200
    (line,) = access_lines(log_lines)
    assert (line["path"], line["tenant_id"], line["user_id"]) == ("/cart", tenant.tenant_id, None)

"""Observability overhead: what the metrics middleware and the JSON access log add to each HTTP request, measured
on a bare ASGI endpoint (no database, no routing) so nothing else is counted; and the time to render /metrics.

    python bench/observability.py [--requests N]

Figures are printed, never asserted.
"""

import argparse
import asyncio
import io
import logging
import sys
import time

from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import create_engine
from starlette.types import Message, Receive, Scope, Send

from stockyard.core.migrate import upgrade
from stockyard.core.structured_logging import configure_logging
from stockyard.web.access_log import AccessLogMiddleware
from stockyard.web.metrics import HttpMetrics, MetricsMiddleware, process_registry


class _Route:
    path = "/api/v1/orders/{number}"


async def endpoint(scope: Scope, _: Receive, send: Send) -> None:
    scope["route"], scope["path_params"] = _Route, {"number": "SO-000001"}
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _discard(_: Message) -> None:
    return None


async def _receive() -> Message:
    return {"type": "http.request", "body": b""}


async def per_request_us(app, n: int) -> float:  # noqa: ANN001
    started = time.perf_counter()
    for _ in range(n):
        await app({"type": "http", "method": "GET", "path": "/api/v1/orders/SO-000001", "headers": []},
                  _receive, _discard)
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    n = parser.parse_args().requests
    stdout = sys.stdout
    sys.stdout = io.StringIO()  # the access lines go here, as they would go to a pipe
    handler = configure_logging("json", "info")
    metrics = HttpMetrics(CollectorRegistry())
    variants = {
        "bare endpoint": endpoint,
        "+ metrics": MetricsMiddleware(endpoint, metrics),
        "+ JSON access log": AccessLogMiddleware(endpoint),
        "+ both": AccessLogMiddleware(MetricsMiddleware(endpoint, metrics)),
    }
    results = {name: asyncio.run(per_request_us(app, n)) for name, app in variants.items()}
    logging.getLogger().removeHandler(handler)
    sys.stdout = stdout
    print(f"{n} requests per variant")
    for name, us in results.items():
        print(f"{name:20} {us:8.1f} µs/request")
    engine = create_engine("sqlite://")
    upgrade(engine)
    registry = process_registry(engine)
    for _ in range(200):
        metrics.observe("GET", "/api/v1/orders/{number}", 200, 0.01)
    started = time.perf_counter()
    for _ in range(100):
        generate_latest(registry)
    print(f"{'/metrics render':20} {(time.perf_counter() - started) * 10:8.2f} ms (process series incl. 2 queries)")


if __name__ == "__main__":
    main()

"""Prometheus metrics: a registry per process (web app or worker), never the library's global one, so several apps
in one test process do not collide.

Each registry holds the HTTP series of its app (requests by method, route template and status; latency), the
business counters of core/metrics.py, and gauges read when scraped: the outbox's unpublished events and the age
of the oldest, the dead letters, and the database connection pool.
"""

import logging
import secrets
import time
from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockyard.core import metrics as business
from stockyard.core.clock import utcnow
from stockyard.integration.dispatch import unpublished
from stockyard.integration.models import Delivery

log = logging.getLogger("stockyard.metrics")
_deliveries = Delivery.__table__
UNMATCHED = "unmatched"  # the route label of a request no route matched (404s), so raw paths never become labels


class BusinessCounters(Collector):
    """The process-wide business counters, exposed through each registry."""

    def collect(self) -> Iterator[Metric]:
        yield from business.REGISTRY.collect()

    def describe(self) -> list[Metric]:
        return []


class OutboxGauges(Collector):
    """Read at scrape time, every tenant together: what the relay has yet to publish, and the dead letters."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            with self.engine.connect() as conn:
                count, oldest = unpublished(conn)
                dead = conn.execute(select(func.count()).where(_deliveries.c.state == "dead")).scalar_one()
        except SQLAlchemyError as error:  # the scrape still answers; /readyz says the database is down
            log.warning("metrics: outbox gauges unavailable: %s", error)
            return
        yield GaugeMetricFamily("stockyard_outbox_unpublished", "Outbox events not yet published", value=count)
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily("stockyard_outbox_oldest_unpublished_age_seconds",
                                "Age of the oldest unpublished outbox event (0 when none waits)", value=max(age, 0.0))
        yield GaugeMetricFamily("stockyard_dead_letters", "Event deliveries a consumer gave up on", value=dead)

    def describe(self) -> list[Metric]:
        return []


class PoolGauges(Collector):
    """The SQLAlchemy engine's connection pool (a pool without these counts, e.g. SQLite in memory, is skipped)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        pool = self.engine.pool
        for name, help_text, method in (
            ("stockyard_db_pool_checked_out", "Connections in use", "checkedout"),
            ("stockyard_db_pool_size", "Connections the pool keeps", "size"),
            ("stockyard_db_pool_overflow", "Connections beyond the pool size (negative: room left below it)",
             "overflow"),
        ):
            read = getattr(pool, method, None)
            if callable(read):
                yield GaugeMetricFamily(name, help_text, value=read())

    def describe(self) -> list[Metric]:
        return []


def process_registry(engine: Engine) -> CollectorRegistry:
    """What every process exposes: business counters, outbox and dead-letter gauges, the pool."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BusinessCounters())
    registry.register(OutboxGauges(engine))
    registry.register(PoolGauges(engine))
    return registry


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("stockyard_http_requests", "HTTP requests served",
                                ["method", "route", "status"], registry=registry)
        self.latency = Histogram("stockyard_http_request_duration_seconds", "Time to serve an HTTP request",
                                 ["method", "route"], registry=registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


def route_template(scope: Scope) -> str:
    """The matched route's path template (/api/v1/orders/{number}), not the raw path: the path with each path
    parameter's value put back as its name. (A route object's own `path` lacks the prefixes of the routers that
    include it.)"""
    if scope.get("route") is None:  # a mounted app (static files) sets only its endpoint and root path
        mounted = scope.get("root_path", "")
        return f"{mounted}/{{path}}" if scope.get("endpoint") is not None and mounted else UNMATCHED
    params = {str(value): name for name, value in (scope.get("path_params") or {}).items()}
    if not params:
        return scope["path"]
    segments = [f"{{{params[segment]}}}" if segment in params else segment for segment in scope["path"].split("/")]
    template = "/".join(segments)
    for value, name in params.items():  # a {path}-style parameter spans several segments
        if "/" in value and value in template:
            template = template.replace(value, f"{{{name}}}")
    return template


class MetricsMiddleware:
    """Pure ASGI: counts and times every HTTP request by the route it matched."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self.metrics.observe(scope["method"], route_template(scope), status, time.perf_counter() - started)


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if token and not secrets.compare_digest(request.headers.get("authorization", ""), f"Bearer {token}"):
        return Response("metrics need 'Authorization: Bearer <STOCKYARD_METRICS_TOKEN>'\n", status_code=401,
                        media_type="text/plain", headers={"WWW-Authenticate": "Bearer"})
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)

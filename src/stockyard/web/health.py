"""Liveness and readiness, for load balancers and orchestrators.

/healthz: the process answers (no I/O). /readyz: what it depends on answers too: the database (`SELECT 1`), the
broker when STOCKYARD_BROKER_URL is set, Redis when STOCKYARD_REDIS_URL is set. 200 with each check's outcome, or
503 naming what is down.
"""

import logging
from collections.abc import Callable

import pika
import redis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from stockyard.core.settings import Settings

log = logging.getLogger("stockyard.health")
TIMEOUT_SECONDS = 2.0

router = APIRouter(include_in_schema=False)


def check_database(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def check_broker(url: str) -> None:
    params = pika.URLParameters(url)
    params.socket_timeout = TIMEOUT_SECONDS
    params.blocked_connection_timeout = TIMEOUT_SECONDS
    params.stack_timeout = TIMEOUT_SECONDS
    params.connection_attempts = 1
    pika.BlockingConnection(params).close()


def check_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


def readiness_checks(engine: Engine, settings: Settings) -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {"database": lambda: check_database(engine)}
    broker_url = getattr(settings, "broker_url", "")
    if broker_url:
        checks["broker"] = lambda: check_broker(broker_url)
    redis_url = getattr(settings, "redis_url", "")
    if redis_url:
        checks["redis"] = lambda: check_redis(redis_url)
    return checks


def readiness(engine: Engine, settings: Settings) -> tuple[bool, dict[str, object]]:
    """(ready, body): every check's outcome, and the names of those down."""
    results: dict[str, dict[str, object]] = {}
    for name, check in readiness_checks(engine, settings).items():
        try:
            check()
            results[name] = {"ok": True}
        except Exception as error:  # any failure means "not ready"; the reason goes in the answer and the log
            reason = f"{type(error).__name__}: {error}".strip().rstrip(":")
            log.warning("readiness: %s is down: %s", name, reason)
            results[name] = {"ok": False, "error": reason}
    down = [name for name, result in results.items() if not result["ok"]]
    return not down, {"status": "ready" if not down else "unavailable", "down": down, "checks": results}


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    ready, body = readiness(request.app.state.engine, request.app.state.settings)
    return JSONResponse(body, status_code=200 if ready else 503)

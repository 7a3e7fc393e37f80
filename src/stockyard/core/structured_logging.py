"""Logs to stdout, one JSON object a line (STOCKYARD_LOG_FORMAT=json, the default of `serve` and `worker`) or plain
text. Every record carries the request id, and the tenant and user once the request's actor is resolved."""

import logging
import sys
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from stockyard.core.actor import Actor
from stockyard.core.audit import REQUEST_ID

# One mutable dict per request, made by the access-log middleware: the actor is resolved deeper down (possibly in
# a worker thread, which sees a copy of the context but the same dict), and the access line is written after.
REQUEST_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("stockyard_request_context", default=None)
FORMATS = ("json", "text")
_HANDLER_NAME = "stockyard-stdout"


def note_actor(actor: Actor) -> Actor:
    """Record who acts in this request, for its log lines; returns the actor."""
    context = REQUEST_CONTEXT.get()
    if context is not None:
        context["tenant_id"] = actor.tenant_id
        context["user_id"] = actor.user_id
    return actor


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = REQUEST_CONTEXT.get() or {}
        record.request_id = REQUEST_ID.get() or None
        record.tenant_id = context.get("tenant_id")
        record.user_id = context.get("user_id")
        return True


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter("{asctime}{levelname}{name}{message}{request_id}{tenant_id}{user_id}", style="{",
                             rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
    if log_format == "text":
        return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {log_format!r}")


def configure_logging(log_format: str = "json", level: str = "info") -> logging.Handler:
    """One stdout handler on the root logger (replacing ours if configured before); uvicorn's loggers propagate
    to it when uvicorn is started with log_config=None."""
    handler = logging.StreamHandler(sys.stdout)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler

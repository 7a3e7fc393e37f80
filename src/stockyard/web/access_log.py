"""One access log line per HTTP request: method, path, route template, status, duration, and (through the log
filter of core/structured_logging) request id, tenant and user."""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockyard.core.structured_logging import REQUEST_CONTEXT
from stockyard.web.metrics import route_template

log = logging.getLogger("stockyard.access")


class AccessLogMiddleware:
    """Pure ASGI, inside RequestIdMiddleware (the request id is set) and outside the session middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = REQUEST_CONTEXT.set({})
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
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            log.info("%s %s %s %.1fms", scope["method"], scope["path"], status, duration_ms,
                     extra={"method": scope["method"], "path": scope["path"], "route": route_template(scope),
                            "status": status, "duration_ms": duration_ms})
            REQUEST_CONTEXT.reset(token)

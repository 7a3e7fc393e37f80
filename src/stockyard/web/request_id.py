"""Every HTTP request gets an id: the caller's `X-Request-ID` when it is sane, else a new one. It is echoed in the
response and recorded with every audit row written while serving the request (core/audit.REQUEST_ID)."""

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockyard.core.audit import REQUEST_ID

HEADER = "X-Request-ID"
# Letters, digits and a few separators, as UUIDs and tracing ids use; anything else is replaced, not trusted.
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def request_id_from(value: str | None) -> str:
    if value and SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI, so the context variable is set in the task that runs the endpoint (and copied into the
    threadpool for sync endpoints)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                sent = value.decode("latin-1")
                break
        request_id = request_id_from(sent)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)

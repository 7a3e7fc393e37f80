"""Idempotency keys for the JSON API: a client that may retry a POST under /api/v1 sends an `Idempotency-Key`
header (up to 255 characters, e.g. a UUID), and the request takes effect at most once.

- The first request with a key runs; its response (status, body, content type) is kept for 24 hours per (caller,
  key, method, path). The caller is the request's credential: its Authorization header, else its session cookie,
  else the host (an anonymous storefront client; such clients must use unguessable keys, as they should anyway).
- A repeat with the same body gets that response again, with the header `Idempotent-Replayed: true`, without
  running the request.
- A repeat with a different body (or query string) is refused with 422 (the key was used for another request).
- A repeat while the first is still running is refused with 409 (retry later).
- A server error (5xx) or a crash is not kept: the claim is released, so a retry runs the request again.

The store is the "idempotency" cache of core/cache.py: Redis in the scale-out profile (SET NX with a TTL, shared
by every web process), in-process otherwise.
"""

import base64
import hashlib
import json
from typing import Any

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockyard.core.cache import Cache, shared_cache
from stockyard.core.settings import Settings

HEADER = "idempotency-key"
REPLAYED = "Idempotent-Replayed"
KEEP_SECONDS = 24 * 3600
IN_FLIGHT_SECONDS = 120  # a claim whose request died (process killed) is given up after this long
MAX_KEY_LENGTH = 255
SESSION_COOKIE = "stockyard_session"


def idempotency_store(engine: Engine, settings: Settings) -> Cache:
    return shared_cache(engine, settings.redis_url, "idempotency", max_entries=200_000)


def _caller(headers: Headers) -> str:
    authorization = headers.get("authorization")
    if authorization:
        return "auth:" + authorization
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return "session:" + value
    return "host:" + headers.get("host", "")


def record_key(headers: Headers, method: str, path: str, key: str) -> str:
    caller = hashlib.sha256(_caller(headers).encode()).hexdigest()[:32]
    digest = hashlib.sha256(f"{method} {path} {key}".encode()).hexdigest()[:32]
    return f"idem:{caller}:{digest}"


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, "field": "Idempotency-Key"}}


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: Cache) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/api/v1/"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            await _json(send, 422, _error("validation", f"must be 1 to {MAX_KEY_LENGTH} characters"))
            return
        body, more = await _read_body(receive)
        fingerprint = hashlib.sha256(scope.get("query_string", b"") + b"?" + body).hexdigest()
        name = record_key(headers, scope["method"], scope["path"], key)
        claim = json.dumps({"state": "running", "fingerprint": fingerprint}).encode()
        found = await run_in_threadpool(self._claim_or_find, name, claim)
        if found is not None:
            await self._answer_repeat(found, fingerprint, send)
            return
        await self._run_and_keep(scope, _replaying(body, more, receive), send, name, fingerprint)

    def _claim_or_find(self, name: str, claim: bytes) -> dict[str, Any] | None:
        """None when this request claimed the key; else the record of the earlier request."""
        for _ in range(3):  # the earlier record may expire between the two calls
            if self.store.add(name, claim, IN_FLIGHT_SECONDS):
                return None
            existing = self.store.get(name)
            if existing is not None:
                return json.loads(existing)  # type: ignore[no-any-return]
        raise RuntimeError("idempotency record neither claimable nor readable")

    async def _answer_repeat(self, found: dict[str, Any], fingerprint: str, send: Send) -> None:
        if found["fingerprint"] != fingerprint:
            await _json(send, 422, _error("validation", "this key was already used for a request with another body"))
        elif found["state"] == "running":
            await _json(send, 409, _error("conflict", "a request with this key is still running; retry later"))
        else:
            data = base64.b64decode(found["body"])
            await send({"type": "http.response.start", "status": found["status"], "headers": [
                (b"content-type", found["content_type"].encode()), (b"content-length", str(len(data)).encode()),
                (REPLAYED.lower().encode(), b"true")]})
            await send({"type": "http.response.body", "body": data})

    async def _run_and_keep(self, scope: Scope, receive: Receive, send: Send, name: str, fingerprint: str) -> None:
        """Runs the request, keeping its response before the last of it reaches the client: a client that repeats
        the request as soon as it has the answer must find the answer kept, not the claim of a request running."""
        status = 500
        content_type = ""
        chunks: list[bytes] = []
        settled = False

        async def keep() -> None:
            if status >= 500:  # not kept: a retry runs the request again
                await run_in_threadpool(self.store.delete, [name])
                return
            record = json.dumps({"state": "done", "fingerprint": fingerprint, "status": status,
                                 "content_type": content_type, "body": base64.b64encode(b"".join(chunks)).decode()})
            await run_in_threadpool(self.store.set, name, record.encode(), KEEP_SECONDS)

        async def capture(message: Message) -> None:
            nonlocal status, content_type, settled
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and not settled:
                    await keep()
                    settled = True
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            if not settled:
                await run_in_threadpool(self.store.delete, [name])
            raise
        if not settled:  # the app ended without finishing its response
            await run_in_threadpool(self.store.delete, [name])


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole request body; False if the client disconnected before sending it all."""
    parts: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(parts), False
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts), True


def _replaying(body: bytes, complete: bool, receive: Receive) -> Receive:
    """A receive that hands the app the body read already, then waits on the real one (for a disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if complete:
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}
        return await receive()

    return again

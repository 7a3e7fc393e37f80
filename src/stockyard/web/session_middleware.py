"""ASGI middleware giving every request `request.session` (a plain dict) backed by the server-side store.

The cookie carries only a random id. The session is written back only when its content changed, and its
last-seen time at most once per `touch_every`. When the signed-in user changes (sign-in, sign-out) the
session gets a new id, so an id planted before sign-in is worthless after it; an emptied session is deleted.
"""

import json
from http.cookies import SimpleCookie
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockyard.identity.sessions import USER_KEY, SessionStore, StoredSession

SESSION_HASH_SCOPE_KEY = "stockyard.session_hash"


def current_session_hash(connection: HTTPConnection) -> str | None:
    """The stored hash of this request's session id (None for a new session)."""
    return connection.scope.get(SESSION_HASH_SCOPE_KEY)


CUSTOMER_KEY = "customer_id"  # the storefront's signed-in customer (web/storefront/account_views.py)


class ServerSessionMiddleware:
    def __init__(self, app: ASGIApp, store: SessionStore, *, cookie_name: str = "stockyard_session",
                 secure: bool = False, skip_prefixes: tuple[str, ...] = ("/static/",)) -> None:
        self.app = app
        self.store = store
        self.cookie_name = cookie_name
        self.secure = secure
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        sent_id = HTTPConnection(scope).cookies.get(self.cookie_name)
        stored = await run_in_threadpool(self.store.load, sent_id) if sent_id else None
        # A copy through JSON, so that changes made in place (a list appended to) are noticed too.
        scope["session"] = json.loads(json.dumps(stored.data)) if stored else {}
        scope[SESSION_HASH_SCOPE_KEY] = stored.id_hash if stored else None

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = await run_in_threadpool(self._persist, scope["session"], stored, sent_id is not None)
                if cookie:
                    MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _persist(self, data: dict[str, Any], stored: StoredSession | None, cookie_sent: bool) -> str | None:
        """Writes what changed; returns the Set-Cookie value to send, if any."""
        if stored is None:
            if data:
                return self._cookie(self.store.create(data)[0])
            return self._cookie("", expire=True) if cookie_sent else None
        if not data:
            self.store.delete(stored.id_hash)
            return self._cookie("", expire=True)
        # Signing in or out (staff or shop customer) gets a new session id, so a planted id is worth nothing.
        if any(data.get(key) != stored.data.get(key) for key in (USER_KEY, CUSTOMER_KEY)):
            self.store.delete(stored.id_hash)
            return self._cookie(self.store.create(data)[0])
        if data != stored.data:
            self.store.save(stored.id_hash, data)
        elif self.store.needs_touch(stored):
            self.store.touch(stored.id_hash)
        return None

    def _cookie(self, value: str, *, expire: bool = False) -> str:
        cookie: SimpleCookie = SimpleCookie()
        cookie[self.cookie_name] = value
        morsel = cookie[self.cookie_name]
        morsel["path"] = "/"
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        morsel["max-age"] = 0 if expire else int(self.store.policy.lifetime.total_seconds())
        if self.secure:
            morsel["secure"] = True
        return morsel.OutputString()

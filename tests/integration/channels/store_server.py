"""A small external store for the channel tests: a real HTTP server on a loopback port that implements the generic
contract (integration/channels/adapters/generic_push.py): it takes stock pushes and order status, answers with
the levels it shows, and sends signed order webhooks to Stockyard (adapters/generic.py)."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from stockyard.integration.channels.adapters.generic import GenericAdapter


@dataclass
class Received:
    at: float  # time.monotonic() when the store took it
    body: dict[str, Any]
    path: str


@dataclass
class Store:
    url: str = ""
    levels: dict[str, int] = field(default_factory=dict)
    pushes: list[Received] = field(default_factory=list)
    statuses: list[Received] = field(default_factory=list)
    fail_next: int = 0  # answer this many calls with HTTP 503
    lock: threading.Lock = field(default_factory=threading.Lock)

    def shows(self, external_id: str) -> int | None:
        with self.lock:
            return self.levels.get(external_id)

    def send_order(self, app_url: str, connection_id: int, secret: str, order: dict[str, Any]) -> httpx.Response:
        body = json.dumps(order).encode()
        headers = {"Content-Type": "application/json", **GenericAdapter().sign(body, secret)}
        return httpx.post(f"{app_url}/api/v1/channels/{connection_id}/orders", content=body, headers=headers,
                          timeout=30)


def wait_for(check: Callable[[], Any], timeout: float = 20.0, step: Callable[[], Any] | None = None) -> Any:
    """Call `step` (our jobs) and poll `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        if step is not None:
            step()
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _handler(store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return None

        def _answer(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _failing(self) -> bool:
            with store.lock:
                if store.fail_next:
                    store.fail_next -= 1
                    return True
            return False

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            if url.path != "/inventory":
                return self._answer(404, {"error": "not found"})
            wanted = [i for i in parse_qs(url.query).get("external_ids", [""])[0].split(",") if i]
            with store.lock:
                items = [{"external_id": i, "available": store.levels[i]} for i in wanted if i in store.levels]
            self._answer(200, {"items": items})

        def do_POST(self) -> None:  # noqa: N802
            at = time.monotonic()
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self._failing():
                return self._answer(503, {"error": "maintenance"})
            path = urlparse(self.path).path
            if path == "/inventory":
                with store.lock:
                    for item in body["items"]:
                        store.levels[item["external_id"]] = item["available"]
                    store.pushes.append(Received(at, body, path))
                return self._answer(204)
            if path.startswith("/orders/") and path.endswith("/status"):
                with store.lock:
                    store.statuses.append(Received(at, body, path))
                return self._answer(200, {"ok": True})
            return self._answer(404, {"error": "not found"})

    return Handler


@contextmanager
def running_store() -> Iterator[Store]:
    store = Store()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(store))
    store.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="channel-store", daemon=True)
    thread.start()
    try:
        yield store
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)

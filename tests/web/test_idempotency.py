"""Idempotency keys on POST /api/v1: the first response is kept and replayed, another body under the same key is
refused (422), a repeat while the first still runs is refused (409); in-process and in Redis (shared by processes)."""

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.datastructures import Headers

from stockyard.core.cache import Cache, InProcessCache, RedisCache
from stockyard.web.idempotency import IdempotencyMiddleware, record_key
from tests.asyncio_support import run_in_own_loop
from tests.conftest import Api
from tests.core.redis_support import redis_url


def store_for(kind: str) -> Cache:
    if kind == "in-process":
        return InProcessCache()
    return RedisCache(redis.Redis.from_url(redis_url()), f"test:{uuid.uuid4().hex}:idempotency:")


class Counter:
    """A tiny API whose POST counts how often it ran (a side effect a replay must not repeat)."""

    def __init__(self, store: Cache) -> None:
        self.runs = 0
        self.release = threading.Event()
        self.release.set()
        app = FastAPI()

        @app.post("/api/v1/things", status_code=201)
        async def create(request: Request) -> dict[str, object]:
            body = await request.json()
            self.runs += 1
            await asyncio.to_thread(self.release.wait, 5)
            if body.get("explode"):
                raise RuntimeError("boom")
            return {"run": self.runs, "name": body.get("name")}

        @app.post("/api/v1/refused", status_code=409)
        async def refused() -> dict[str, str]:
            self.runs += 1
            return {"error": "out of stock"}

        app.add_middleware(IdempotencyMiddleware, store=store)
        self.client = TestClient(app, raise_server_exceptions=False)
        self.app = app


@pytest.fixture(params=["in-process", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[Cache]:
    yield store_for(request.param)


def post(api: Counter, key: str | None, body: dict[str, object], path: str = "/api/v1/things",
         auth: str = "Bearer one") -> httpx.Response:
    headers = {"Authorization": auth}
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.client.post(path, json=body, headers=headers)


def test_a_repeat_gets_the_first_response_without_running_again(store: Cache) -> None:
    api = Counter(store)
    first = post(api, "k-1", {"name": "a"})
    again = post(api, "k-1", {"name": "a"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"run": 1, "name": "a"}
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.headers["content-type"] == first.headers["content-type"]
    assert api.runs == 1


def test_without_a_key_every_request_runs(store: Cache) -> None:
    api = Counter(store)
    post(api, None, {"name": "a"})
    post(api, None, {"name": "a"})
    assert api.runs == 2


def test_the_same_key_with_another_body_is_refused(store: Cache) -> None:
    api = Counter(store)
    post(api, "k-2", {"name": "a"})
    other = post(api, "k-2", {"name": "b"})
    assert other.status_code == 422
    assert other.json()["error"]["field"] == "Idempotency-Key"
    assert api.runs == 1


def test_keys_are_per_caller_and_per_path(store: Cache) -> None:
    api = Counter(store)
    post(api, "k-3", {"name": "a"})
    assert post(api, "k-3", {"name": "a"}, auth="Bearer two").json()["run"] == 2  # another API key
    assert post(api, "k-3", {}, path="/api/v1/refused").status_code == 409  # another path
    assert api.runs == 3


def test_a_refusal_is_kept_too_but_a_server_error_is_not(store: Cache) -> None:
    api = Counter(store)
    refused = post(api, "k-4", {}, path="/api/v1/refused")
    assert post(api, "k-4", {}, path="/api/v1/refused").headers.get("Idempotent-Replayed") == "true"
    assert refused.status_code == 409 and api.runs == 1
    assert post(api, "k-5", {"explode": True}).status_code == 500
    assert post(api, "k-5", {"explode": True}).status_code == 500  # ran again: nothing was kept
    assert api.runs == 3


def test_a_duplicate_while_the_first_still_runs_is_refused_with_409(store: Cache) -> None:
    api = Counter(store)
    api.release.clear()
    answers: list[httpx.Response] = []
    first = threading.Thread(target=lambda: answers.append(post(api, "k-6", {"name": "slow"})))
    first.start()
    for _ in range(200):
        if api.runs:
            break
        threading.Event().wait(0.01)
    duplicate = post(api, "k-6", {"name": "slow"})
    api.release.set()
    first.join()
    assert duplicate.status_code == 409
    assert answers[0].status_code == 201 and api.runs == 1
    assert post(api, "k-6", {"name": "slow"}).json() == answers[0].json()


def test_two_processes_sharing_redis_replay_each_others_responses() -> None:
    prefix = f"test:{uuid.uuid4().hex}:idempotency:"
    one, two = (Counter(RedisCache(redis.Redis.from_url(redis_url()), prefix)) for _ in range(2))
    first = post(one, "k-7", {"name": "a"})
    again = post(two, "k-7", {"name": "a"})
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert (one.runs, two.runs) == (1, 0)


def test_an_overlong_key_is_refused() -> None:
    api = Counter(InProcessCache())
    assert post(api, "x" * 256, {"name": "a"}).status_code == 422
    assert api.runs == 0


def test_the_api_replays_a_created_product(api: Api) -> None:
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"name": "Idempotent part", "skus": [{"code": f"IDEM-{uuid.uuid4().hex[:6]}"}]}
    first = api.client.post("/api/v1/catalog/products", json=body, headers=api.headers | key)
    again = api.client.post("/api/v1/catalog/products", json=body, headers=api.headers | key)
    assert first.status_code == again.status_code == 201
    assert json.loads(again.content) == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = api.client.post("/api/v1/catalog/products", json=body | {"name": "Another"}, headers=api.headers | key)
    assert other.status_code == 422


def test_the_response_is_kept_before_its_last_part_reaches_the_client(store: Cache) -> None:
    """A client that repeats the request the moment it has the answer (through another web process) must find the
    answer, not the claim of a request still running: the record is written before the response's end is sent."""
    api = Counter(store)
    seen_at_end: list[bytes | None] = []
    name = record_key(Headers({"authorization": "Bearer one"}), "POST", "/api/v1/things", "k-race")
    body = json.dumps({"name": "first"}).encode()
    scope = {"type": "http", "method": "POST", "path": "/api/v1/things", "raw_path": b"/api/v1/things",
             "query_string": b"", "root_path": "", "scheme": "http", "server": ("test", 80), "client": ("test", 1),
             "http_version": "1.1", "headers": [(b"authorization", b"Bearer one"), (b"idempotency-key", b"k-race"),
                                                (b"content-type", b"application/json")]}

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            seen_at_end.append(store.get(name))

    run_in_own_loop(lambda: api.app(scope, receive, send))  # type: ignore[arg-type]
    [record] = seen_at_end
    assert record is not None and json.loads(record)["state"] == "done"
    again = api.client.post("/api/v1/things", content=body, headers={
        "Authorization": "Bearer one", "Idempotency-Key": "k-race", "Content-Type": "application/json"})
    assert again.headers.get("Idempotent-Replayed") == "true" and api.runs == 1

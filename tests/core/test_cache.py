"""The read cache's two implementations behave alike: entries with a TTL, store-if-absent, counters that outlive
entries; the in-process one is bounded; the Redis one is shared by every client of the same database namespace."""

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
import redis
from sqlalchemy import create_engine

from stockyard.core.cache import Cache, InProcessCache, RedisCache, namespace_for, redis_client, shared_cache
from stockyard.core.cache_codec import cacheable, dumps, loads
from tests.core.redis_support import redis_url


@pytest.fixture(params=["in-process", "redis"])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    if request.param == "in-process":
        yield InProcessCache(max_entries=100)
        return
    client = redis.Redis.from_url(redis_url())
    prefix = f"test:{uuid.uuid4().hex}:"
    yield RedisCache(client, prefix)
    for name in client.scan_iter(match=prefix + "*"):
        client.delete(name)


def test_an_entry_is_read_back_until_its_ttl_passes(cache: Cache) -> None:
    cache.set("a", b"one", ttl=0.3)
    assert cache.get("a") == b"one"
    assert cache.get("b") is None
    time.sleep(0.35)
    assert cache.get("a") is None


def test_add_stores_only_when_the_key_is_absent(cache: Cache) -> None:
    assert cache.add("claim", b"first", ttl=10)
    assert not cache.add("claim", b"second", ttl=10)
    assert cache.get("claim") == b"first"
    cache.delete(["claim"])
    assert cache.add("claim", b"third", ttl=10)


def test_counters_start_at_zero_and_count_bumps(cache: Cache) -> None:
    assert cache.counter("gen") == 0
    assert cache.bump("gen") == 1
    assert cache.bump("gen") == 2
    assert cache.counters(["gen", "other"]) == [2, 0]
    cache.delete(["unrelated"])
    assert cache.counter("gen") == 2


def test_the_in_process_cache_drops_the_least_recently_used_entries_past_its_bound() -> None:
    cache = InProcessCache(max_entries=3)
    for key in "abc":
        cache.set(key, key.encode(), ttl=60)
    assert cache.get("a") == b"a"  # a is now the most recently used
    cache.set("d", b"d", ttl=60)
    assert cache.get("b") is None
    assert [cache.get(k) for k in "acd"] == [b"a", b"c", b"d"]
    assert len(cache) == 3


def test_the_in_process_cache_expires_by_its_clock() -> None:
    now = [100.0]
    cache = InProcessCache(clock=lambda: now[0])
    cache.set("a", b"x", ttl=5)
    now[0] = 104.9
    assert cache.get("a") == b"x"
    now[0] = 105.0
    assert cache.get("a") is None


def test_too_many_counters_drop_every_entry_with_them() -> None:
    """No entry may outlive the counter it was stored under (it would be served again at the counter's old value)."""
    cache = InProcessCache(max_counters=2)
    cache.bump("v1")
    cache.set("page-under-v1", b"x", ttl=60)
    cache.bump("v2")
    cache.bump("v3")
    assert cache.counter("v1") == 0
    assert cache.get("page-under-v1") is None


def test_one_cache_per_database_and_purpose_in_a_process(tmp_path) -> None:  # noqa: ANN001
    first = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    second = create_engine(f"sqlite:///{tmp_path / 'b.db'}")
    assert shared_cache(first, "") is shared_cache(first, "")
    assert shared_cache(first, "") is not shared_cache(second, "")
    assert shared_cache(first, "", "idempotency") is not shared_cache(first, "")
    assert namespace_for(first) != namespace_for(second)


def test_two_databases_sharing_a_redis_never_see_each_others_entries(tmp_path) -> None:  # noqa: ANN001
    url = redis_url()
    first = shared_cache(create_engine(f"sqlite:///{tmp_path / 'a.db'}"), url)
    second = shared_cache(create_engine(f"sqlite:///{tmp_path / 'b.db'}"), url)
    first.set("catalog:1:0:page", b"tenant 1 of database a", ttl=30)
    assert second.get("catalog:1:0:page") is None
    assert first.get("catalog:1:0:page") == b"tenant 1 of database a"
    assert redis_client(url) is redis_client(url)


def test_a_redis_that_does_not_answer_is_a_miss_not_an_error() -> None:
    down = RedisCache(redis_client("redis://127.0.0.1:1/0"), "x:")  # the clients the app makes
    started = time.monotonic()
    assert down.get("anything") is None
    down.set("anything", b"x", ttl=5)  # dropped, logged
    assert time.monotonic() - started < 2  # no seconds of backoff before the page is read from the database


@cacheable
@dataclass(frozen=True)
class _Line:
    code: str
    price: Decimal
    on: date
    at: datetime | None
    tags: tuple[str, ...]
    stock: dict[int, int]


class _NotRegistered:
    pass


def test_the_codec_round_trips_dataclasses_decimals_dates_and_tuples_exactly() -> None:
    value = [_Line("A-1", Decimal("10.50"), date(2026, 3, 1), datetime(2026, 3, 1, 12, 30), ("x", "y"), {3: 4}),
             {"nested": _Line("B", Decimal("0.01"), date(2026, 1, 1), None, (), {})}]
    again = loads(dumps(value))
    assert again == value
    assert isinstance(again[0].price, Decimal) and again[0].price == Decimal("10.50")


def test_the_codec_builds_registered_types_only() -> None:
    with pytest.raises(TypeError):
        dumps(_NotRegistered())
    with pytest.raises(ValueError, match="unknown cached type"):
        loads(b'{"~t":"os.system","f":{}}')

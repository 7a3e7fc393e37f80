"""A small key/value cache for read paths: in this process (the embedded profile) or in Redis (the scale-out
profile, `STOCKYARD_REDIS_URL`), behind one interface.

Values are bytes with a time to live. Counters (`counter`/`bump`) never expire and are never evicted: readers put
a counter's value into their keys, writers bump it, and every entry under the old value is unreachable at once (it
expires by its TTL). `add` stores only when the key is absent (SET NX), for claims such as idempotency keys.

Keys are namespaced by the database they cache (`namespace_for(engine)`), so test runs or installations sharing one
Redis never see each other's entries, and one process's in-process caches for two databases stay apart.
The cache serves display only: nothing that decides (reservations, orders, payments) reads it.
"""

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Engine

log = logging.getLogger("stockyard.cache")


class Cache(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl: float) -> None: ...

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Store only if the key is absent; True if stored."""
        ...

    def delete(self, keys: Iterable[str]) -> None: ...

    def counter(self, key: str) -> int:
        """The counter's value (0 if it was never bumped)."""
        ...

    def counters(self, keys: list[str]) -> list[int]: ...

    def bump(self, key: str) -> int:
        """Add one to the counter; its new value."""
        ...


class InProcessCache:
    """A bounded LRU with a TTL per entry, in this process's memory; thread-safe. Past `max_entries` the least
    recently used entries go. Counters live apart from the entries and are dropped (all of them, with every entry)
    only if there are more than `max_counters`, so that no entry can outlive the counter it was stored under."""

    def __init__(self, max_entries: int = 10_000, max_counters: int = 1_000_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.max_counters = max_counters
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> bytes | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if found[0] <= now:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return found[1]

    def _put(self, key: str, value: bytes, ttl: float, now: float) -> None:
        self._entries[key] = (now + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._live(key, self.clock())

    def set(self, key: str, value: bytes, ttl: float) -> None:
        with self._lock:
            self._put(key, value, ttl, self.clock())

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        now = self.clock()
        with self._lock:
            if self._live(key, now) is not None:
                return False
            self._put(key, value, ttl, now)
            return True

    def delete(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def counter(self, key: str) -> int:
        with self._lock:
            return self._counters.get(key, 0)

    def counters(self, keys: list[str]) -> list[int]:
        with self._lock:
            return [self._counters.get(key, 0) for key in keys]

    def bump(self, key: str) -> int:
        with self._lock:
            if key not in self._counters and len(self._counters) >= self.max_counters:
                self._counters.clear()
                self._entries.clear()
            value = self._counters[key] = self._counters.get(key, 0) + 1
            return value

    def __len__(self) -> int:
        return len(self._entries)


class RedisCache:
    """The same interface on Redis, shared by every process that uses the same URL and database. A Redis that does
    not answer makes `get` a miss and `set` a no-op (the page is read from the database); `add`, the counters and
    `delete` raise, since their callers rely on them."""

    def __init__(self, client: "redis.Redis", prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _k(self, key: str) -> str:
        return self.prefix + key

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get(self._k(key))  # type: ignore[return-value]
        except redis.RedisError as error:
            log.warning("cache read failed, reading through: %s", error)
            return None

    def set(self, key: str, value: bytes, ttl: float) -> None:
        try:
            self.client.set(self._k(key), value, px=max(int(ttl * 1000), 1))
        except redis.RedisError as error:
            log.warning("cache write failed: %s", error)

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        return bool(self.client.set(self._k(key), value, px=max(int(ttl * 1000), 1), nx=True))

    def delete(self, keys: Iterable[str]) -> None:
        names = [self._k(key) for key in keys]
        if names:
            self.client.delete(*names)

    def counter(self, key: str) -> int:
        return self.counters([key])[0]

    def counters(self, keys: list[str]) -> list[int]:
        if not keys:
            return []
        values = self.client.mget([self._k(key) for key in keys])
        return [int(v) if v is not None else 0 for v in values]  # type: ignore[union-attr]

    def bump(self, key: str) -> int:
        return int(self.client.incr(self._k(key)))  # type: ignore[arg-type]


def namespace_for(engine: Engine) -> str:
    """A short stable name of the database the engine reads (its URL without the password)."""
    url = engine.url.render_as_string(hide_password=True)
    return hashlib.sha256(url.encode()).hexdigest()[:12]


_CLIENTS: dict[str, "redis.Redis"] = {}
_CACHES: dict[tuple[str, str, str], Cache] = {}
_LOCK = threading.Lock()


def redis_client(url: str) -> "redis.Redis":
    """One client (with its connection pool) per Redis URL in this process."""
    with _LOCK:
        client = _CLIENTS.get(url)
        if client is None:
            # One immediate retry (a dropped pooled connection), not redis-py's default backoff of several seconds:
            # a Redis that is down must not hold up every page that could be read from the database instead.
            client = _CLIENTS[url] = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0,
                                                          health_check_interval=30, retry=Retry(NoBackoff(), 1))
        return client


def shared_cache(engine: Engine, redis_url: str, purpose: str = "read", max_entries: int = 2_000) -> Cache:
    """The process's cache for this database and purpose ("read" for pages and stock figures, "idempotency" for API
    replays): Redis when `redis_url` is set, else one in-process cache, the same object on every call. In process,
    at most `max_entries` entries (a listing page is some 10-30 kB)."""
    key = (redis_url, namespace_for(engine), purpose)
    with _LOCK:
        found = _CACHES.get(key)
        if found is not None:
            return found
    made: Cache
    if redis_url:
        made = RedisCache(redis_client(redis_url), f"stockyard:{key[1]}:{purpose}:")
    else:
        made = InProcessCache(max_entries=max_entries)
    with _LOCK:
        return _CACHES.setdefault(key, made)

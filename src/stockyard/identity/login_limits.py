"""Login rate limiting: after N failures within a window, further attempts for that account or from that
address are refused without checking the password, until the window has passed.

`LoginLimiter` is the interface; `InProcessLoginLimiter` is the embedded default; `RedisLoginLimiter` takes over
when STOCKYARD_REDIS_URL is set, so that several web processes share the counts (ARCHITECTURE §1). `limiter_for`
chooses by the settings.
"""

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

import redis
from sqlalchemy import Engine

from stockyard.core.cache import namespace_for, redis_client
from stockyard.core.errors import DomainError
from stockyard.core.settings import Settings


class TooManyAttempts(DomainError):
    """Sign-in refused for now because of earlier failures."""


def account_key(tenant: str | int, email: str) -> str:
    return f"account:{str(tenant).strip().lower()}:{email.strip().lower()}"


def address_key(client_ip: str) -> str:
    return f"ip:{client_ip}"


class LoginLimiter(Protocol):
    def blocked(self, keys: Iterable[str]) -> bool:
        """True when any of the keys has reached the limit within the window."""
        ...

    def record_failure(self, keys: Iterable[str]) -> None: ...

    def reset(self, key: str) -> None: ...


class InProcessLoginLimiter:
    """Failure times per key in a sliding window, in this process's memory."""

    MAX_KEYS = 100_000

    def __init__(self, max_failures: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> int:
        times = self._failures.get(key)
        if times is None:
            return 0
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0
        return len(times)

    def blocked(self, keys: Iterable[str]) -> bool:
        now = self.clock()
        with self._lock:
            return any(self._recent(key, now) >= self.max_failures for key in keys)

    def record_failure(self, keys: Iterable[str]) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= self.MAX_KEYS:
                for key in list(self._failures):
                    self._recent(key, now)
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class RedisLoginLimiter:
    """The same sliding window in Redis, shared by every web process: one sorted set of failure times per key.
    Recording a failure adds its time, drops those that left the window and sets the key to expire with the window,
    in one MULTI/EXEC transaction; `blocked` counts the times within the window. Times are the wall clock
    (`time.time`), which the processes share."""

    def __init__(self, client: "redis.Redis", prefix: str, max_failures: int, window_seconds: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.prefix = prefix
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock

    def blocked(self, keys: Iterable[str]) -> bool:
        since = self.clock() - self.window
        names = list(keys)
        if not names:
            return False
        pipe = self.client.pipeline(transaction=False)
        for key in names:
            pipe.zcount(self.prefix + key, f"({since}", "+inf")
        return any(int(n) >= self.max_failures for n in pipe.execute())

    def record_failure(self, keys: Iterable[str]) -> None:
        now = self.clock()
        ttl_ms = max(int(self.window * 1000), 1)
        pipe = self.client.pipeline(transaction=True)
        for key in keys:
            name = self.prefix + key
            pipe.zadd(name, {f"{now!r}:{uuid.uuid4().hex[:8]}": now})
            pipe.zremrangebyscore(name, "-inf", now - self.window)
            pipe.pexpire(name, ttl_ms)
        pipe.execute()

    def reset(self, key: str) -> None:
        self.client.delete(self.prefix + key)


def limiter_for(settings: Settings, engine: Engine) -> LoginLimiter:
    """Redis when STOCKYARD_REDIS_URL is set (several web processes share the counts), else in-process."""
    if settings.redis_url:
        return RedisLoginLimiter(redis_client(settings.redis_url), f"stockyard:{namespace_for(engine)}:login:",
                                 settings.login_max_failures, settings.login_window_seconds)
    return InProcessLoginLimiter(settings.login_max_failures, settings.login_window_seconds)

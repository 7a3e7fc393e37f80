"""Login rate limiting: after N failures within a window, further attempts for that account or from that
address are refused without checking the password, until the window has passed.

`LoginLimiter` is the interface; `InProcessLoginLimiter` is the embedded default. A Redis implementation
takes over when several web processes share the load (ARCHITECTURE §1).
"""

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from stockyard.core.errors import DomainError


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

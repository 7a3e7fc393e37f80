"""The login limiter in Redis keeps the in-process one's sliding window, and shares the count between every web
process: failures recorded by one process block sign-in at another."""

import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from stockyard.identity.login_limits import InProcessLoginLimiter, LoginLimiter, RedisLoginLimiter
from tests.conftest import TenantCtx
from tests.core.redis_support import redis_url
from tests.identity.auth_support import browser, login, make_app, new_user


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def redis_limiter(max_failures: int, window: float, clock: Callable[[], float] | None = None,
                  prefix: str | None = None) -> RedisLoginLimiter:
    client = redis.Redis.from_url(redis_url())
    prefix = prefix or f"test:{uuid.uuid4().hex}:login:"
    if clock is None:
        return RedisLoginLimiter(client, prefix, max_failures, window)
    return RedisLoginLimiter(client, prefix, max_failures, window, clock)


@pytest.fixture(params=["in-process", "redis"])
def make(request: pytest.FixtureRequest) -> Callable[[int, float, Clock], LoginLimiter]:
    if request.param == "in-process":
        return lambda n, window, clock: InProcessLoginLimiter(n, window, clock)
    return lambda n, window, clock: redis_limiter(n, window, clock)


def test_n_failures_within_the_window_block_until_the_oldest_leaves_it(make) -> None:  # noqa: ANN001
    clock = Clock()
    limiter = make(3, 60, clock)
    keys = ["account:t:a@example.com", "ip:10.0.0.1"]
    limiter.record_failure(keys)
    clock.now += 30
    limiter.record_failure(keys)
    assert not limiter.blocked(keys)
    clock.now += 10
    limiter.record_failure(["account:t:a@example.com"])
    assert limiter.blocked(["account:t:a@example.com"])
    assert limiter.blocked(keys)  # any key at the limit blocks
    assert not limiter.blocked(["ip:10.0.0.1"])  # two failures only
    clock.now += 21  # the first failure (61 s ago) has left the window
    assert not limiter.blocked(["account:t:a@example.com"])


def test_reset_forgets_one_key(make) -> None:  # noqa: ANN001
    limiter = make(2, 60, Clock())
    limiter.record_failure(["a", "b"])
    limiter.record_failure(["a", "b"])
    limiter.reset("a")
    assert not limiter.blocked(["a"]) and limiter.blocked(["b"])


def test_processes_share_the_count_and_concurrent_failures_all_count() -> None:
    prefix = f"test:{uuid.uuid4().hex}:login:"
    processes = [redis_limiter(40, 60, prefix=prefix) for _ in range(2)]

    def fail(limiter: RedisLoginLimiter) -> None:
        for _ in range(5):
            limiter.record_failure(["account:t:x@example.com"])

    threads = [threading.Thread(target=fail, args=(processes[i % 2],)) for i in range(7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not processes[0].blocked(["account:t:x@example.com"])  # 35 of 40
    fail(processes[1])
    assert processes[0].blocked(["account:t:x@example.com"]) and processes[1].blocked(["account:t:x@example.com"])


def test_failures_at_one_web_process_block_sign_in_at_another(tenant: TenantCtx, tmp_path: Path) -> None:
    url = redis_url()
    _, email = new_user(tenant)
    first = make_app(tenant, tmp_path, login_max_failures=3, redis_url=url)
    second = make_app(tenant, tmp_path, login_max_failures=3, redis_url=url)
    assert isinstance(first.state.login_limiter, RedisLoginLimiter)
    for app in (first, second, first):
        assert login(browser(app), tenant, email, "wrong password").status_code == 401
    assert login(browser(second), tenant, email).status_code == 429  # the right password, refused everywhere

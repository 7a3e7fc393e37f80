"""The Redis the scale-out tests use: STOCKYARD_TEST_REDIS_URL (CI sets it). Absent locally, those tests skip;
with CI=true a missing or unreachable Redis fails them."""

import os

import pytest
import redis

REDIS_URL = os.environ.get("STOCKYARD_TEST_REDIS_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"


def redis_url() -> str:
    """The test Redis URL, after checking that it answers; skips (fails in CI) without one."""
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("CI=true but STOCKYARD_TEST_REDIS_URL is not set")
        pytest.skip("Redis tests need STOCKYARD_TEST_REDIS_URL")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable: {error}")
        pytest.skip(f"Redis unreachable: {error}")
    return REDIS_URL

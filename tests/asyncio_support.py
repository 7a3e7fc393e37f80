"""Running a coroutine to completion from a test, whatever the test process's thread already runs."""

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def run_in_own_loop(main: Callable[[], Awaitable[T]]) -> T:
    """asyncio.run in a thread of its own: an earlier test may have left an event loop running in this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()  # type: ignore[arg-type]

"""The background job runner of `stockyard serve`: shutting down waits for the round in progress, so no job goes on
writing to the database after the app has stopped."""

import asyncio
import threading
import time

import pytest

from stockyard.web import jobs
from tests.asyncio_support import run_in_own_loop


def test_stopping_waits_for_the_round_in_progress_and_starts_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    started = threading.Event()
    rounds: list[tuple[float, float]] = []

    def slow_round(engine: object) -> list[str]:
        began = time.monotonic()
        started.set()
        time.sleep(0.3)
        rounds.append((began, time.monotonic()))
        return []

    monkeypatch.setattr(jobs, "run_jobs_once", slow_round)

    async def run() -> float:
        runner = jobs.JobRunner(engine=None, interval=0.01)  # type: ignore[arg-type]
        runner.start()
        await asyncio.to_thread(started.wait, 5)
        await runner.stop()
        return time.monotonic()

    stopped_at = run_in_own_loop(run)
    assert len(rounds) == 1
    assert rounds[0][1] <= stopped_at  # the round had finished when stop() returned
    time.sleep(0.1)
    assert len(rounds) == 1


def test_a_stopped_runner_sleeping_between_rounds_stops_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(jobs, "run_jobs_once", lambda engine: calls.append(1) or [])

    async def run() -> float:
        runner = jobs.JobRunner(engine=None, interval=60)  # type: ignore[arg-type]
        runner.start()
        while not calls:
            await asyncio.sleep(0.01)
        began = time.monotonic()
        await runner.stop()
        return time.monotonic() - began

    assert run_in_own_loop(run) < 30  # not the 60 s interval
    assert calls == [1]

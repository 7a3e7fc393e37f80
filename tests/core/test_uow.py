"""The unit of work's after-commit effects: they happen once for a transaction that commits, however often the
database made us retry it, and never for one that rolled back."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from stockyard.core.uow import UnitOfWork, perform


def test_a_retried_transaction_runs_its_after_commit_effects_once(sqlite_engine: Engine) -> None:
    counted: list[str] = []
    attempts: list[int] = []

    def action(uow: UnitOfWork) -> int:
        uow.conn.execute(text("SELECT 1"))
        uow.after_commit(lambda: counted.append("placed"))
        attempts.append(1)
        if len(attempts) < 3:  # the database rolled us back twice, as SQLite does when it is busy
            raise OperationalError("INSERT ...", {}, Exception("database is locked"))
        return len(attempts)

    assert perform(sqlite_engine, None, action) == 3
    assert counted == ["placed"]


def test_a_transaction_that_fails_runs_no_after_commit_effect(sqlite_engine: Engine) -> None:
    counted: list[str] = []

    def action(uow: UnitOfWork) -> None:
        uow.after_commit(lambda: counted.append("placed"))
        raise ValueError("refused")

    with pytest.raises(ValueError):
        perform(sqlite_engine, None, action)
    assert counted == []


def test_effects_run_after_the_commit_when_the_rows_are_visible(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'probe.db'}")
    seen: list[int] = []

    def look() -> None:
        with engine.connect() as other:
            seen.append(other.execute(text("SELECT count(*) FROM probe")).scalar_one())

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
    with UnitOfWork(engine) as uow:
        uow.conn.execute(text("INSERT INTO probe DEFAULT VALUES"))
        uow.after_commit(look)
    assert seen == [1]
    engine.dispose()

"""`stockyard demo --if-empty` (what `make run` calls) on a database that has data already: it adds nothing, and
still shows how to sign in, so every `make run` prints the credentials."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from stockyard.catalog.models import Product
from stockyard.cli import app
from stockyard.core.db import create_db_engine
from stockyard.core.migrate import upgrade
from stockyard.core.settings import get_settings
from stockyard.core.uow import UnitOfWork
from stockyard.identity.services import create_tenant


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Engine, dict[str, str]]]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'run.db'}")
    upgrade(engine)
    get_settings.cache_clear()
    yield engine, {"STOCKYARD_DATABASE_URL": engine.url.render_as_string(hide_password=False),
                   "STOCKYARD_HOST": "127.0.0.1", "STOCKYARD_PORT": "8123"}
    get_settings.cache_clear()
    engine.dispose()


def _words(output: str) -> str:
    return " ".join(output.split())


def _products(engine: Engine) -> int:
    with UnitOfWork(engine, readonly=True) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(Product)).scalar_one())


def test_a_later_run_prints_how_to_sign_in_to_the_demo(database: tuple[Engine, dict[str, str]]) -> None:
    engine, env = database
    create_tenant(engine, "demo", "Demo Parts Co.")  # as the first `make run` left it

    result = CliRunner().invoke(app, ["demo", "--if-empty"], env=env)

    out = _words(result.output)
    assert result.exit_code == 0, result.output
    assert "already present" in out and "nothing was added" in out
    assert "http://127.0.0.1:8123/login" in out and "tenant 'demo'" in out and "'stockyard-demo'" in out
    for email in ("owner@demo.test", "manager@demo.test", "operator@demo.test"):
        assert email in out
    assert "cannot be shown again" in out and "http://127.0.0.1:8123/admin/api-keys" in out
    assert _products(engine) == 0


def test_a_database_without_the_demo_tenant_gets_no_demo_credentials(
        database: tuple[Engine, dict[str, str]]) -> None:
    engine, env = database
    create_tenant(engine, "acme", "Acme Ltd")

    result = CliRunner().invoke(app, ["demo", "--if-empty"], env=env)

    out = _words(result.output)
    assert result.exit_code == 0, result.output
    assert "no demo tenant" in out and "stockyard-demo" not in out and "owner@demo.test" not in out
    assert _products(engine) == 0

"""`stockyard import settlements FILE`: a bad file is reported row by row and changes nothing; a good one is
imported once, and imported again it is recognised."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from stockyard.billing.settlements_models import Settlement
from stockyard.cli import app
from stockyard.core.settings import get_settings
from stockyard.core.uow import UnitOfWork
from tests.conftest import new_tenant

HEADER = "settlement_id,date,payment_reference,type,gross,fee,net,currency\n"


@pytest.fixture
def cli_database(sqlite_engine: Engine) -> Iterator[dict[str, str]]:
    get_settings.cache_clear()
    yield {"STOCKYARD_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False)}
    get_settings.cache_clear()


def _words(output: str) -> str:
    return " ".join(output.replace("\u2502", " ").split())


def test_import_settlements_from_the_command_line(sqlite_engine: Engine, cli_database: dict[str, str],
                                                  tmp_path: Path) -> None:
    ctx = new_tenant(sqlite_engine)
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "ST-7,2026-12-01,ch_1,charge,10.00,0.30,9.00,EUR\n")
    result = runner.invoke(app, ["import", "settlements", str(bad), "--tenant", ctx.slug], env=cli_database)
    assert result.exit_code == 1 and "must be gross − fee = 9.70" in _words(result.output)
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "ST-7,2026-12-01,ch_1,charge,10.00,0.30,9.70,EUR\n")
    result = runner.invoke(app, ["import", "settlements", str(good), "--tenant", ctx.slug], env=cli_database)
    assert result.exit_code == 0 and "imported settlement ST-7: 1 lines, payout 9.70 EUR" in _words(result.output)
    result = runner.invoke(app, ["import", "settlements", str(good), "--tenant", ctx.slug], env=cli_database)
    assert result.exit_code == 0 and "ST-7 was imported before" in _words(result.output)
    with UnitOfWork(sqlite_engine, ctx.actor, readonly=True) as uow:
        assert uow.conn.execute(select(func.count()).select_from(Settlement).where(
            Settlement.tenant_id == ctx.tenant_id)).scalar_one() == 1

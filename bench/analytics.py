"""Analytics benchmark (issue 7): how long each KPI of /erp/analytics takes to compute over the demo's data.

Against a database holding the demo (`stockyard demo`); with an empty one it builds the demo first (about 1.5
minutes on SQLite). For the last 90 days by week, each registered KPI is computed N times in a read-only unit of
work as the demo's owner; p50 and max are printed, then the whole index (every KPI in one unit of work, as the page
does) and ABC over a year.

    python bench/analytics.py --url sqlite:///var/demo.db [--runs 5]

Figures are printed, never asserted.
"""

import argparse
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from stockyard.analytics.abc import abc_report  # noqa: E402
from stockyard.analytics.kpi import Period  # noqa: E402
from stockyard.analytics.kpi_pages import overview  # noqa: E402
from stockyard.analytics.registry import all_kpis  # noqa: E402
from stockyard.core.clock import utcnow  # noqa: E402
from stockyard.core.db import create_db_engine  # noqa: E402
from stockyard.core.migrate import upgrade  # noqa: E402
from stockyard.core.uow import read  # noqa: E402
from stockyard.demo import TENANT_SLUG, build_demo  # noqa: E402
from stockyard.identity.models import Tenant, User  # noqa: E402
from stockyard.identity.services import actor_for_user  # noqa: E402
from stockyard.inventory.models import StockMove  # noqa: E402

console = Console(width=120)


def timed(runs: int, action: object, *args: object) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        action(*args)  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="database URL holding (or to hold) the demo")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    engine = create_db_engine(args.url, pool_size=5, max_overflow=5)
    upgrade(engine)
    with engine.connect() as conn:
        tenant_id = conn.execute(select(Tenant.id).where(Tenant.slug == TENANT_SLUG)).scalar()
    if tenant_id is None:
        console.print("building the demo ...")
        build_demo(engine)
    with engine.connect() as conn:
        tenant_id = conn.execute(select(Tenant.id).where(Tenant.slug == TENANT_SLUG)).scalar_one()
        user_id = conn.execute(select(User.id).where(User.tenant_id == tenant_id).order_by(User.id).limit(1)
                               ).scalar_one()
        moves = conn.execute(select(func.count()).select_from(StockMove).where(StockMove.tenant_id == tenant_id)
                             ).scalar_one()
    owner = actor_for_user(engine, user_id)
    today = utcnow().date()
    period = Period(today - timedelta(days=89), today, "week")
    table = Table(title=f"KPIs over 90 days by week, {moves:,} stock moves, {args.runs} runs each")
    for column in ("KPI", "headline", "p50 ms", "max ms"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    for key, kpi in sorted(all_kpis().items()):
        value = read(engine, owner, kpi.compute, period).value
        times = timed(args.runs, read, engine, owner, kpi.compute, period)
        table.add_row(key, "–" if value is None else f"{value:g}", f"{statistics.median(times):.0f}",
                      f"{max(times):.0f}")
    index = timed(args.runs, read, engine, owner, overview, period)
    table.add_row("[b]index page (every KPI)[/b]", "", f"{statistics.median(index):.0f}", f"{max(index):.0f}")
    year = Period(today - timedelta(days=364), today, "month")
    abc = timed(args.runs, read, engine, owner, abc_report, year, Decimal(80), Decimal(95))
    table.add_row("ABC over 365 days", "", f"{statistics.median(abc):.0f}", f"{max(abc):.0f}")
    console.print(table)


if __name__ == "__main__":
    main()

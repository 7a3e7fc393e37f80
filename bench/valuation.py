"""Valuation benchmark (issue 7): how fast the ledger replays through FIFO and moving average.

Pure replay of a synthetic ledger (receipts at varying costs, shipments, transfers between three warehouses) for
each method, then, with --url, the valuation report over a database's tenant (e.g. the demo's) N times.

    python bench/valuation.py [--moves 100000] [--skus 500] [--url sqlite:///var/demo.db --tenant demo --runs 5]

Figures are printed, never asserted.
"""

import argparse
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from stockyard.billing import valuation  # noqa: E402
from stockyard.billing.valuation_domain import LedgerMove, Method, Valuation  # noqa: E402
from stockyard.core.actor import system_actor  # noqa: E402
from stockyard.core.clock import utcnow  # noqa: E402
from stockyard.core.db import create_db_engine  # noqa: E402
from stockyard.core.uow import read  # noqa: E402
from stockyard.identity.models import Tenant  # noqa: E402

WAREHOUSES = (1, 2, 3)


def ledger(n: int, skus: int, rng: random.Random) -> list[LedgerMove]:
    held: dict[tuple[int, int], int] = {}
    moves: list[LedgerMove] = []
    for i in range(n):
        sku, wh = rng.randrange(skus), rng.choice(WAREHOUSES)
        have = held.get((sku, wh), 0)
        roll = rng.random()
        if roll < 0.35 or have == 0:
            q = rng.randint(5, 50)
            moves.append(LedgerMove(i, sku, q, None, wh, Decimal(rng.randint(100, 5000)) / 100))
            held[(sku, wh)] = have + q
        elif roll < 0.9:
            q = rng.randint(1, have)
            moves.append(LedgerMove(i, sku, q, wh, None))
            held[(sku, wh)] = have - q
        else:
            to = rng.choice([w for w in WAREHOUSES if w != wh])
            q = rng.randint(1, have)
            moves.append(LedgerMove(i, sku, q, wh, to))
            held[(sku, wh)] = have - q
            held[(sku, to)] = held.get((sku, to), 0) + q
    return moves


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=100_000)
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--url", default="")
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    moves = ledger(args.moves, args.skus, random.Random(7))
    for method in Method:
        started = time.perf_counter()
        v = Valuation(method)
        for m in moves:
            v.move(m)
        took = time.perf_counter() - started
        print(f"{method.value:8} replay of {len(moves):,} moves: {took:.2f} s ({len(moves) / took:,.0f} moves/s), "
              f"value {v.total():,.2f}")
    if args.url:
        engine = create_db_engine(args.url)
        with engine.connect() as conn:
            tenant_id = conn.execute(select(Tenant.id).where(Tenant.slug == args.tenant)).scalar_one()
        actor = system_actor(tenant_id, "bench")
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            report = read(engine, actor, valuation.valuation_report, utcnow().date())
            times.append(time.perf_counter() - started)
        print(f"valuation report of tenant {args.tenant}: {len(report.rows)} rows, total {report.total_value:,.2f}; "
              f"p50 {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {args.runs} runs")


if __name__ == "__main__":
    main()

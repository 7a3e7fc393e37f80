"""Checkout benchmark: the whole storefront checkout over HTTP (add to cart → shipping quote → place order and pay
with the test gateway), through the headless storefront API, at concurrency 1, 8 and 32, on SQLite and PostgreSQL.

Prints orders per second, p50/p95 per step, CPU per complete order (the server process, plus on PostgreSQL the
bench database's backends), SQL statements per complete flow and per step (counted in-process on the same code
path; BEGIN/COMMIT excluded), oversold units per SKU from the books (sold + free + held − received, must be 0),
and a race of 50 buyers for 10 units: units sold (at most 10) and units left unsold while buyers were refused
(must be 0).

    stockyard bench checkout [--backend sqlite|postgresql|both] [--pg-url URL] [--orders N] [--statements]
                             [--workers N]

`--statements` (or STOCKYARD_BENCH_STATEMENTS=1) also prints every SQL statement of the counted flow, by step.

Figures are printed, never asserted.
"""

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CpuMeter, CpuUsage, Result, fresh_database, start_server  # noqa: E402

from stockyard.billing.config import PaymentMethodIn, create_payment_method  # noqa: E402
from stockyard.catalog.pricing import PriceListIn, SetSkuPrices, TierIn, create_price_list, set_sku_prices  # noqa: E402
from stockyard.catalog.services import CreateProduct, create_product  # noqa: E402
from stockyard.core.actor import Actor, system_actor  # noqa: E402
from stockyard.core.db import create_db_engine  # noqa: E402
from stockyard.core.migrate import upgrade  # noqa: E402
from stockyard.core.settings import Settings  # noqa: E402
from stockyard.core.uow import UnitOfWork, perform  # noqa: E402
from stockyard.fulfilment.config import (  # noqa: E402
    BandIn,
    CarrierIn,
    MethodIn,
    SetRateTable,
    ZoneIn,
    create_carrier,
    create_method,
    create_zone,
    set_rate_table,
)
from stockyard.identity.services import create_tenant  # noqa: E402
from stockyard.inventory import movements, warehouses  # noqa: E402
from stockyard.inventory.domain import Reason  # noqa: E402
from stockyard.inventory.models import Reservation, StockLevel, StockMove  # noqa: E402
from stockyard.inventory.verify import verify_levels  # noqa: E402
from stockyard.sales.channels import ChannelIn, create_channel  # noqa: E402
from stockyard.sales.domain import Status  # noqa: E402
from stockyard.sales.models import Order, OrderLine  # noqa: E402
from stockyard.web.app import create_app  # noqa: E402

console = Console(width=160)  # whole tables also when the output is a file
CONCURRENCY = (1, 8, 32)
SKUS = 100
BINS = 10
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
ADDRESS = {"name": "Bench Buyer", "line1": "1 Main St", "city": "Berlin", "postcode": "10115", "country": "DE"}


@dataclass
class Shop:
    engine: Engine
    url: str
    actor: Actor
    host: str
    codes: list[str]
    payment_method_id: int


def build(url: str, units_per_sku: int, host: str) -> Shop:
    engine = create_db_engine(url, pool_size=40, max_overflow=10)
    upgrade(engine)
    tenant_id = create_tenant(engine, f"bench-{random.randrange(10**6)}", "Checkout benchmark")
    actor = system_actor(tenant_id, "bench")
    wh = perform(engine, actor, warehouses.create_warehouse, warehouses.CreateWarehouse(code="BW", name="Bench"))
    perform(engine, actor, warehouses.create_location, warehouses.CreateLocation(warehouse=wh, code="Z",
                                                                                kind="zone"))
    for b in range(BINS):
        perform(engine, actor, warehouses.create_location,
                warehouses.CreateLocation(warehouse=wh, code=f"{b:02d}", parent="BW/Z"))
    codes = [f"C-{i:04d}" for i in range(SKUS)] + ["RACE-1"]
    for code in codes:
        perform(engine, actor, create_product, CreateProduct(name=f"Part {code}", skus=[{"code": code,
                                                                                        "weight_g": 800}]))
    perform(engine, actor, movements.receive_stock_batch,
            [movements.ReceiveStock(sku=code, location=f"BW/Z/{i % BINS:02d}", quantity=units_per_sku)
             for i, code in enumerate(codes[:-1])] +
            [movements.ReceiveStock(sku="RACE-1", location="BW/Z/00", quantity=10)])
    perform(engine, actor, create_channel, ChannelIn(code="web", name="Bench shop", currency="EUR", domain=host,
                                                     tax_rate=Decimal("0.19"), hold_minutes=15))
    price_list = perform(engine, actor, create_price_list, PriceListIn(name="Retail", channel="web"))
    for code in codes:
        perform(engine, actor, set_sku_prices, price_list,
                SetSkuPrices(sku=code, tiers=[TierIn(min_quantity=1, unit_price=Decimal("19.90"))]))
    zone = perform(engine, actor, create_zone, ZoneIn(name="Germany", countries=["DE"]))
    perform(engine, actor, create_carrier, CarrierIn(code="post", name="Post"))
    method = perform(engine, actor, create_method, MethodIn(carrier="post", code="std", name="Standard",
                                                            currency="EUR"))
    perform(engine, actor, set_rate_table, method, SetRateTable(zone_id=zone, basis="weight", bands=[
        BandIn(lower=Decimal(0), upper=Decimal(5000), price=Decimal("4.90")),
        BandIn(lower=Decimal(5000), price=Decimal("9.90"))]))
    payment = perform(engine, actor, create_payment_method, PaymentMethodIn(
        name="Card (test)", gateway="test", settings={"outcome": "approve", "capture": "order"}))
    return Shop(engine, url, actor, host, codes, payment)


# ---------------------------------------------------------------- one buyer's checkout

# Paying is not a request of its own: POST /carts/{token}/orders places the order and pays it with the test
# gateway (prepare, authorise, record: sales/checkout.py), so the last step's timing covers both (the report says so).
STEPS = ("add to cart", "quote", "place order + pay")


async def checkout(client: httpx.AsyncClient, shop: Shop, sku: str, timings: dict[str, list[float]]) -> str:
    """Returns 'ok', or the refusal's error code."""
    t0 = time.perf_counter()
    r = await client.post("/api/v1/storefront/carts", json={"sku": sku, "quantity": 1})
    timings[STEPS[0]].append(time.perf_counter() - t0)
    if r.status_code != 201:
        return f"add:{r.status_code}"
    token = r.json()["token"]
    t0 = time.perf_counter()
    r = await client.post(f"/api/v1/storefront/carts/{token}/shipping-options", json=ADDRESS)
    timings[STEPS[1]].append(time.perf_counter() - t0)
    if r.status_code != 200 or not r.json():
        return f"quote:{r.status_code}"
    method_id = r.json()[0]["method_id"]
    t0 = time.perf_counter()
    r = await client.post(f"/api/v1/storefront/carts/{token}/orders", json={
        "idempotency_key": uuid.uuid4().hex, "email": "buyer@example.com", "shipping_address": ADDRESS,
        "shipping_method_id": method_id, "payment_method_id": shop.payment_method_id, "card": CARD})
    timings[STEPS[2]].append(time.perf_counter() - t0)
    return "ok" if r.status_code == 201 and r.json()["status"] in ("allocated", "paid") else f"place:{r.status_code}"


async def _load(shop: Shop, base_url: str, concurrency: int, orders: int, skus: list[str]
                ) -> tuple[dict[str, list[float]], dict[str, int], float]:
    timings: dict[str, list[float]] = {s: [] for s in STEPS}
    outcomes: dict[str, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, headers={"Host": shop.host}, limits=limits, timeout=60) as client:
        todo = iter(range(orders))

        async def worker() -> None:
            for i in todo:
                outcome = await checkout(client, shop, skus[i % len(skus)], timings)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return timings, outcomes, time.perf_counter() - t0


# ---------------------------------------------------------------- SQL statements per order

@dataclass
class FlowStatements:
    per_step: dict[str, int]
    statements: list[tuple[str, str]]  # (step, SQL) in execution order

    @property
    def total(self) -> int:
        return sum(self.per_step.values())


def statements_per_flow(shop: Shop) -> FlowStatements:
    """Runs one complete checkout in-process with a statement counter on the engine (after one warm-up checkout
    that fills the shop resolver and shipping configuration caches, as in a running server)."""
    counts: dict[str, int] = {s: 0 for s in STEPS}
    seen: list[tuple[str, str]] = []
    current = {"step": ""}

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        if current["step"] and head not in ("BEGIN", "COMMIT", "ROLLBACK"):
            counts[current["step"]] += 1
            seen.append((current["step"], " ".join(statement.split())))

    event.listen(shop.engine, "before_cursor_execute", count)
    app = create_app(Settings(secret_key="bench", var_dir=Path(tempfile.mkdtemp())), shop.engine, run_jobs=False)

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{shop.host}") as client:
            await checkout(client, shop, shop.codes[0], {s: [] for s in STEPS})

            steps = iter(STEPS)
            current["step"] = next(steps)

            async def hook(response: httpx.Response) -> None:
                current["step"] = next(steps, "")

            client.event_hooks["response"] = [hook]
            outcome = await checkout(client, shop, shop.codes[1], {s: [] for s in STEPS})
            if outcome != "ok":
                raise RuntimeError(f"the counted checkout failed: {outcome}")

    try:
        asyncio.run(run())
    finally:
        event.remove(shop.engine, "before_cursor_execute", count)
    return FlowStatements(counts, seen)


# ---------------------------------------------------------------- race: 50 buyers, 10 units

RACE_BUYERS = 50
RACE_UNITS = 10


async def _race(shop: Shop, base_url: str) -> dict[str, int]:
    timings: dict[str, list[float]] = {s: [] for s in STEPS}
    async with httpx.AsyncClient(base_url=base_url, headers={"Host": shop.host}, timeout=60) as client:
        outcomes = await asyncio.gather(*(checkout(client, shop, "RACE-1", timings) for _ in range(RACE_BUYERS)))
    tally: dict[str, int] = {}
    for o in outcomes:
        tally[o] = tally.get(o, 0) + 1
    return tally


# ---------------------------------------------------------------- the books after the run

@dataclass
class SkuBooks:
    received: int  # units received into stock (receipt moves)
    sold: int  # units on the order lines of orders that were not cancelled
    free: int  # sellable on hand not reserved
    held: int  # units of active reservations that belong to no order (cart holds, even lapsed ones)

    @property
    def difference(self) -> int:
        """sold + free + held − received: positive = sold beyond what was received, negative = units lost."""
        return self.sold + self.free + self.held - self.received


def books(shop: Shop) -> dict[str, SkuBooks]:
    """Per SKU, from four independent places: the ledger's receipts, the order lines, the free stock on the levels
    and the live holds. Units reserved for orders are the sold units not yet shipped, so they are not added again;
    shipped units have left on_hand and are still sold, so the sum holds after shipping too."""
    from stockyard.catalog.models import Sku

    t = shop.actor.tenant_id
    skus, moves, levels = Sku.__table__, StockMove.__table__, StockLevel.__table__
    orders, lines, res = Order.__table__, OrderLine.__table__, Reservation.__table__
    with UnitOfWork(shop.engine, shop.actor, readonly=True) as uow:
        codes = dict(uow.conn.execute(select(skus.c.id, skus.c.code).where(skus.c.tenant_id == t)).all())
        received = dict(uow.conn.execute(
            select(moves.c.sku_id, func.sum(moves.c.quantity))
            .where(moves.c.tenant_id == t, moves.c.reason == Reason.RECEIPT.value).group_by(moves.c.sku_id)).all())
        sold = dict(uow.conn.execute(
            select(lines.c.sku_id, func.sum(lines.c.quantity)).join(orders, orders.c.id == lines.c.order_id)
            .where(orders.c.tenant_id == t, lines.c.tenant_id == t, orders.c.status != Status.CANCELLED.value)
            .group_by(lines.c.sku_id)).all())
        free = dict(uow.conn.execute(
            select(levels.c.sku_id, func.sum(levels.c.on_hand - levels.c.reserved))
            .where(levels.c.tenant_id == t, levels.c.status == "sellable").group_by(levels.c.sku_id)).all())
        held = dict(uow.conn.execute(
            select(res.c.sku_id, func.sum(res.c.quantity))
            .where(res.c.tenant_id == t, res.c.state == "active", res.c.reference.not_like("order:%"))
            .group_by(res.c.sku_id)).all())
    return {code: SkuBooks(int(received.get(i) or 0), int(sold.get(i) or 0), int(free.get(i) or 0),
                           int(held.get(i) or 0)) for i, code in codes.items()}


# ---------------------------------------------------------------- report

def _cpu_note(cpu: CpuUsage, backend: str) -> str:
    if backend == "sqlite":
        return "server process (SQLite runs inside it)"
    note = f"server process + {cpu.backends} backends of the bench database"
    return note + (f"; {cpu.gone} backends ended during the run, their CPU is missing" if cpu.gone else "")


def run_backend(backend: str, pg_url: str | None, orders: int, show_statements: bool, workers: int = 1) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="stockyard-bench-checkout-"))
    url = fresh_database(backend, pg_url, workdir, name="stockyard_bench_checkout")
    console.rule(f"[bold]{backend}[/bold] — {os.cpu_count()} cores, {workers} web process(es)")
    host = "bench.shop.test"
    shop = build(url, units_per_sku=orders * len(CONCURRENCY) + 100, host=host)
    flow = statements_per_flow(shop)
    port = 19000 + random.randrange(1000)
    server = start_server(url, port, workers=workers)
    base_url = f"http://127.0.0.1:{port}"
    meter = CpuMeter(server.pid, url if make_url(url).get_backend_name() == "postgresql" else None)
    table = Table(title=f"checkout over HTTP, {backend}")
    for column in ("concurrency", "orders", "orders/s", "CPU ms/order", "server / db ms", "refused",
                   *(f"{s} p50/p95 ms" for s in STEPS)):
        table.add_column(column, justify="right")
    notes: list[str] = []
    try:
        for c in CONCURRENCY:
            meter.start()
            timings, outcomes, elapsed = asyncio.run(_load(shop, base_url, c, orders, shop.codes[:-1]))
            cpu = meter.stop()
            done = outcomes.get("ok", 0)
            per = 1000 / max(done, 1)
            steps = [Result(s, len(timings[s]), elapsed, timings[s]) for s in STEPS]
            table.add_row(str(c), str(done), f"{done / elapsed:,.1f}", f"{cpu.total * per:,.1f}",
                          f"{cpu.server * per:,.1f} / {cpu.database * per:,.1f}",
                          str(sum(v for k, v in outcomes.items() if k != "ok")),
                          *(f"{r.pct(0.5):,.1f} / {r.pct(0.95):,.1f}" for r in steps))
            notes.append(f"c={c}: CPU of {_cpu_note(cpu, backend)}")
            refused = {k: v for k, v in outcomes.items() if k != "ok"}
            if refused:
                console.print(f"[yellow]c={c} refusals: {refused}[/yellow]")
        race = asyncio.run(_race(shop, base_url))
    finally:
        server.terminate()
        server.wait(timeout=30)
        meter.close()
    console.print(table)
    for note in notes:
        console.print(f"  {note}")
    console.print("  'place order + pay' is one request (POST /api/v1/storefront/carts/{token}/orders places the "
                  "order and pays it with the test gateway, then mails the confirmation after the response): pay is "
                  "not timed separately.")
    console.print(f"SQL statements for one complete checkout (BEGIN/COMMIT excluded): {flow.total} — "
                  + ", ".join(f"{k}: {v}" for k, v in flow.per_step.items()))
    if show_statements:
        for step in STEPS:
            console.rule(f"{step}: {flow.per_step[step]} statements", style="dim")
            for i, statement in enumerate((sql for st, sql in flow.statements if st == step), 1):
                console.print(f"{i:3d}. {statement}", markup=False, highlight=False, soft_wrap=True)

    ledger = books(shop)
    r = ledger.pop("RACE-1")
    won = race.get("ok", 0)
    refused = RACE_BUYERS - won
    unsold = r.free + r.held
    why = {k: v for k, v in race.items() if k != "ok"}
    console.print(f"race, {RACE_BUYERS} buyers for {RACE_UNITS} units: {won} orders ({r.sold} units sold by the "
                  f"books, must be ≤ {RACE_UNITS}), {refused} refused {why}; "
                  f"units left unsold while buyers were refused: {unsold if refused else 0} "
                  f"(free {r.free} + held by carts without an order {r.held}; holds of failed checkouts that are still "
                  f"active count as unsold, lapsed or not){'' if r.sold <= RACE_UNITS else ' — OVERSOLD'}")
    ledger["RACE-1"] = r
    over = {code: b.difference for code, b in ledger.items() if b.difference > 0}
    lost = {code: -b.difference for code, b in ledger.items() if b.difference < 0}
    console.print(f"oversold units (sold + free + held − received, summed where positive over {len(ledger)} SKUs): "
                  f"{sum(over.values())}" + (f" {over}" if over else "")
                  + (f"; units missing from the books: {sum(lost.values())} {lost}" if lost else ""))
    differences = verify_levels(shop.engine, shop.actor.tenant_id)
    console.print(f"verify (levels rebuilt from the ledger) differences: {len(differences)}")
    shop.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL"))
    parser.add_argument("--orders", type=int, default=300, help="orders per concurrency level")
    parser.add_argument("--workers", type=int, default=1, help="web processes (stockyard serve --workers)")
    parser.add_argument("--statements", action="store_true",
                        default=os.environ.get("STOCKYARD_BENCH_STATEMENTS", "") not in ("", "0"),
                        help="print every SQL statement of the counted checkout, by step")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "postgresql" and not args.pg_url:
            console.print("[yellow]PostgreSQL skipped: give --pg-url or STOCKYARD_BENCH_PG_URL[/yellow]")
            continue
        run_backend(backend, args.pg_url, args.orders, args.statements, args.workers)


if __name__ == "__main__":
    main()

"""Real threads, each service call on its own connection and transaction (`perform`), on both backends.

What must hold whatever the interleaving: no oversell (reserved never exceeds on hand), nothing but the
domain `Conflict` reaches a caller, no deadlock or lock timeout happens at all (rows are locked in one
order), quantities are conserved, and the ledger rebuilds the levels exactly.
"""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import DBAPIError

from stockyard.catalog.models import Sku
from stockyard.core import uow as uow_module
from stockyard.core.errors import Conflict
from stockyard.core.uow import UnitOfWork, perform
from stockyard.inventory import movements, reservations
from stockyard.inventory.models import Location, Reservation, StockLevel
from stockyard.inventory.verify import verify_levels
from tests.conftest import TenantCtx
from tests.factories import build_world, receive

pytestmark = pytest.mark.concurrency

# A hang guard only (a thread stuck on a lock nobody releases); no test measures time.
HANG_GUARD_SECONDS = 300


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None


def run_together(count: int, work: Callable[[int], Any]) -> list[Outcome]:
    """Start `count` threads that call work(i) at the same moment (released by a barrier)."""
    outcomes = [Outcome() for _ in range(count)]
    barrier = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i].value = work(i)
        except BaseException as error:  # every escape is inspected by the test
            outcomes[i].error = error

    threads = [threading.Thread(target=run, args=(i,), name=f"worker-{i}") for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_GUARD_SECONDS)
    assert not any(t.is_alive() for t in threads), "a worker thread hung"
    return outcomes


def unexpected(outcomes: list[Outcome]) -> list[BaseException]:
    return [o.error for o in outcomes if o.error is not None and not isinstance(o.error, Conflict)]


def levels_of(ctx: TenantCtx, sku: str) -> dict[tuple[str, str], tuple[int, int]]:
    """{(location path, status): (on_hand, reserved)} of one SKU, as committed right now."""
    lv, loc, s = StockLevel.__table__, Location.__table__, Sku.__table__
    with UnitOfWork(ctx.engine, ctx.actor, readonly=True) as uow:
        rows = uow.conn.execute(
            select(loc.c.path, lv.c.status, lv.c.on_hand, lv.c.reserved)
            .join(loc, loc.c.id == lv.c.location_id).join(s, s.c.id == lv.c.sku_id)
            .where(lv.c.tenant_id == ctx.tenant_id, s.c.code == sku))
        return {(r.path, r.status): (r.on_hand, r.reserved) for r in rows}


@dataclass
class Watcher:
    """Reads the levels over and over while the workers run, recording any over-reservation it sees."""

    ctx: TenantCtx
    skus: list[str]
    reads: int = 0
    violations: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "Watcher":
        self._thread = threading.Thread(target=self._watch, name="watcher")
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(HANG_GUARD_SECONDS)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for sku in self.skus:
                for key, (on_hand, reserved) in levels_of(self.ctx, sku).items():
                    if not 0 <= reserved <= on_hand:
                        self.violations.append(f"{sku} {key}: reserved {reserved}, on hand {on_hand}")
            self.reads += 1
            time.sleep(0.002)  # leave the workers most of the interpreter


@pytest.fixture
def retried(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every database error `perform` caught, retried or not (deadlock, serialization failure, "database is
    locked", constraint violation). Rows are locked in one order, so even a retried deadlock is a failure."""
    seen: list[str] = []
    real = uow_module.is_retryable

    def spy(error: DBAPIError) -> bool:
        seen.append(str(error.orig).splitlines()[0])
        return real(error)

    monkeypatch.setattr(uow_module, "is_retryable", spy)
    return seen


def test_fifty_buyers_for_the_last_ten_units_oversell_nothing(tenant: TenantCtx, retried: list[str]) -> None:
    world = build_world(tenant)
    sku = world.skus[0]
    receive(tenant, sku, "MAIN/A/01", 6)
    receive(tenant, sku, "MAIN/A/02", 4)

    def buy(i: int) -> int:
        return perform(tenant.engine, tenant.actor, reservations.reserve_stock,
                       reservations.ReserveStock(sku=sku, quantity=1, reference=f"buyer-{i}"))

    with Watcher(tenant, [sku]) as watcher:
        outcomes = run_together(50, buy)

    assert unexpected(outcomes) == []
    winners = [o.value for o in outcomes if o.error is None]
    losers = [o.error for o in outcomes if o.error is not None]
    assert len(winners) == 10 and len(set(winners)) == 10
    assert len(losers) == 40
    assert all(e.field == "quantity" and "not enough stock" in e.message for e in losers)  # type: ignore[union-attr]
    assert watcher.reads > 0 and watcher.violations == []
    assert levels_of(tenant, sku) == {("MAIN/A/01", "sellable"): (6, 6), ("MAIN/A/02", "sellable"): (4, 4)}
    assert active_reservations(tenant) == (10, 10)
    assert retried == []
    assert verify_levels(tenant.engine, tenant.tenant_id) == []


def active_reservations(ctx: TenantCtx) -> tuple[int, int]:
    """(how many, units held) of the tenant's active reservations."""
    r = Reservation.__table__
    with UnitOfWork(ctx.engine, ctx.actor, readonly=True) as uow:
        count, units = uow.conn.execute(select(func.count(), func.coalesce(func.sum(r.c.quantity), 0)).where(
            r.c.tenant_id == ctx.tenant_id, r.c.state == "active")).one()
    return count, units


def test_buyers_of_several_units_split_over_bins_neither_oversell_nor_deadlock(
        tenant: TenantCtx, retried: list[str]) -> None:
    """Forty buyers of 3 units; 21 units spread 7/7/7 over three bins (two rounds, one per SKU). Once the
    bins are part-used a reservation spans two rows, and a buyer who loses a race on one row plans again: it
    must not keep a row locked out of order meanwhile, or two buyers deadlock."""
    world = build_world(tenant)
    bins = ("MAIN/A/01", "MAIN/A/02", "MAIN/Q/01")
    for sku in world.skus:
        for path in bins:
            receive(tenant, sku, path, 7)

        def buy(i: int, sku: str = sku) -> int:
            return perform(tenant.engine, tenant.actor, reservations.reserve_stock,
                           reservations.ReserveStock(sku=sku, quantity=3, reference=f"buyer-{i}"))

        with Watcher(tenant, [sku]) as watcher:
            outcomes = run_together(40, buy)

        assert unexpected(outcomes) == []
        assert retried == []
        # 21 units, 3 each, and a reservation may combine rows: exactly seven buyers are served, none short.
        assert len([o for o in outcomes if o.error is None]) == 7
        assert watcher.violations == []
        assert levels_of(tenant, sku) == {(path, "sellable"): (7, 7) for path in bins}
    assert active_reservations(tenant) == (14, 42)
    assert verify_levels(tenant.engine, tenant.tenant_id) == []


@dataclass
class Tally:
    """What one worker's successful operations did to the totals."""

    written_off: Counter[str] = field(default_factory=Counter)
    consumed: Counter[str] = field(default_factory=Counter)
    held: dict[int, tuple[str, int]] = field(default_factory=dict)  # active reservation id -> (sku, quantity)
    done: Counter[str] = field(default_factory=Counter)
    conflicts: Counter[str] = field(default_factory=Counter)
    unexpected: list[BaseException] = field(default_factory=list)


def test_mixed_writers_on_the_same_skus_conserve_stock(tenant: TenantCtx, retried: list[str]) -> None:
    world = build_world(tenant)
    skus = world.skus
    bins = ["MAIN/A/01", "MAIN/A/02"]
    received: Counter[str] = Counter()
    for sku in skus:
        for path in bins:
            receive(tenant, sku, path, 100)
            received[sku] += 100
    engine, actor = tenant.engine, tenant.actor

    def step(rng: random.Random, tally: Tally) -> None:
        kind = rng.choice(["move", "move", "reserve", "reserve", "release", "consume", "write_off"])
        if kind in ("release", "consume") and not tally.held:
            kind = "reserve"
        try:
            if kind == "move":
                # Both SKUs in one transaction, in random order and opposite directions: the ledger must lock
                # the rows in one fixed order or two such batches deadlock.
                lines = []
                for sku in rng.sample(skus, len(skus)):
                    source, target = rng.sample(bins, 2)
                    lines.append(movements.MoveStock(sku=sku, from_location=source, to_location=target,
                                                     quantity=rng.randint(1, 6)))
                perform(engine, actor, movements.move_stock_batch, lines)
            elif kind == "reserve":
                sku, quantity = rng.choice(skus), rng.randint(1, 5)
                rid = perform(engine, actor, reservations.reserve_stock,
                              reservations.ReserveStock(sku=sku, quantity=quantity, warehouse="MAIN"))
                tally.held[rid] = (sku, quantity)
            elif kind == "release":
                rid = rng.choice(sorted(tally.held))
                perform(engine, actor, reservations.release_reservation, rid)
                del tally.held[rid]
            elif kind == "consume":
                rid = rng.choice(sorted(tally.held))
                perform(engine, actor, reservations.consume_reservation, rid)
                sku, quantity = tally.held.pop(rid)
                tally.consumed[sku] += quantity
            else:
                sku, quantity = rng.choice(skus), rng.randint(1, 3)
                perform(engine, actor, movements.write_off_stock, movements.WriteOffStock(
                    sku=sku, location=rng.choice(bins), quantity=quantity, reason="damaged"))
                tally.written_off[sku] += quantity
            tally.done[kind] += 1
        except Conflict:
            tally.conflicts[kind] += 1
        except BaseException as error:  # anything else is a failure the test reports
            tally.unexpected.append(error)

    workers, steps = 16, 25
    tallies = [Tally() for _ in range(workers)]

    def work(i: int) -> None:
        rng = random.Random(i)
        for _ in range(steps):
            step(rng, tallies[i])

    with Watcher(tenant, skus) as watcher:
        outcomes = run_together(workers, work)

    assert [o.error for o in outcomes if o.error is not None] == []
    assert [e for t in tallies for e in t.unexpected] == []
    assert retried == []
    done = sum((t.done for t in tallies), Counter())
    assert all(done[kind] > 0 for kind in ("move", "reserve", "release", "consume", "write_off")), done
    # Only a shortage may refuse an operation; a worker's own active reservation is always released/consumed.
    conflicts = sum((t.conflicts for t in tallies), Counter())
    assert conflicts["release"] == conflicts["consume"] == 0, conflicts
    assert watcher.violations == []
    for sku in skus:
        levels = levels_of(tenant, sku)
        written_off = sum(t.written_off[sku] for t in tallies)
        consumed = sum(t.consumed[sku] for t in tallies)
        assert sum(on_hand for on_hand, _ in levels.values()) == received[sku] - written_off - consumed
        held = sum(q for t in tallies for s, q in t.held.values() if s == sku)
        assert sum(reserved for _, reserved in levels.values()) == held
    assert verify_levels(engine, tenant.tenant_id) == []


def test_a_buyer_who_read_a_free_unit_loses_it_cleanly_to_a_faster_buyer(
        tenant: TenantCtx, monkeypatch: pytest.MonkeyPatch) -> None:
    """Buyer 1 reads the candidate rows (one free unit). Before its conditional UPDATE runs, buyer 2 reserves
    that unit in another thread. Exactly one of them must get it and the other a clean Conflict.

    PostgreSQL: buyer 1 holds no lock after its read, so buyer 2 commits first; buyer 1's UPDATE then finds
    no free stock (rowcount 0) and buyer 1 is refused: the conditional UPDATE decided, not the stale read.
    SQLite: buyer 1's BEGIN IMMEDIATE already holds the write lock, so buyer 2 cannot even start until buyer 1
    commits; buyer 1 wins and buyer 2 reads zero free. The test proves that order instead of waiting for a
    writer that cannot proceed."""
    world = build_world(tenant)
    sku = world.skus[0]
    receive(tenant, sku, "MAIN/A/01", 1)
    engine, actor = tenant.engine, tenant.actor
    postgres = engine.dialect.name == "postgresql"
    first = threading.get_ident()
    log: list[str] = []
    lock = threading.Lock()

    def note(entry: str) -> None:
        with lock:
            log.append(entry)

    def who() -> str:
        return "buyer1" if threading.get_ident() == first else "buyer2"

    real_candidates = reservations._candidates
    real_add_reserved = reservations.add_reserved
    second = Outcome()
    second_asked = threading.Event()

    def buyer2() -> None:
        try:
            second.value = perform(engine, actor, reservations.reserve_stock,
                                   reservations.ReserveStock(sku=sku, quantity=1, reference="buyer-2"))
        except BaseException as error:  # inspected below
            second.error = error
        note("buyer2 done")

    competitor = threading.Thread(target=buyer2, name="buyer2")
    injected: list[bool] = []

    def candidates(uow: UnitOfWork, *args: Any) -> Any:
        found = real_candidates(uow, *args)
        note(f"{who()} read {len(found)} candidate rows")
        if who() == "buyer1" and not injected:
            injected.append(True)
            competitor.start()
            if postgres:
                competitor.join(HANG_GUARD_SECONDS)  # buyer 2 runs to its commit right here
            else:
                second_asked.wait(HANG_GUARD_SECONDS)  # buyer 2 is asking for the write lock...
                time.sleep(0.2)  # ...and, given a moment, is parked in SQLite's busy handler
        return found

    def add_reserved(uow: UnitOfWork, level_id: int, quantity: int) -> bool:
        won = real_add_reserved(uow, level_id, quantity)
        note(f"{who()} update {'claimed' if won else 'found nothing free'}")
        return won

    def on_sql(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if who() == "buyer2" and statement.startswith("BEGIN IMMEDIATE"):
            note("buyer2 asks for the write lock")
            second_asked.set()

    def on_commit(conn: Any) -> None:
        note(f"{who()} commit")

    monkeypatch.setattr(reservations, "_candidates", candidates)
    monkeypatch.setattr(reservations, "add_reserved", add_reserved)
    event.listen(engine, "before_cursor_execute", on_sql)
    event.listen(engine, "commit", on_commit)
    try:
        try:
            first_value: int | None = perform(engine, actor, reservations.reserve_stock,
                                              reservations.ReserveStock(sku=sku, quantity=1, reference="buyer-1"))
            first_error: BaseException | None = None
        except BaseException as error:  # inspected below
            first_value, first_error = None, error
        competitor.join(HANG_GUARD_SECONDS)
    finally:
        event.remove(engine, "before_cursor_execute", on_sql)
        event.remove(engine, "commit", on_commit)

    assert not competitor.is_alive()
    if postgres:
        winner, loser_error = second.value, first_error
        assert first_value is None and second.error is None
        assert log[:2] == ["buyer1 read 1 candidate rows", "buyer2 read 1 candidate rows"], log
        # Both saw the unit; buyer 2 committed first; buyer 1's conditional UPDATE then found it gone.
        assert log.index("buyer2 commit") < log.index("buyer1 update found nothing free"), log
        assert "buyer1 update claimed" not in log
    else:
        winner, loser_error = first_value, second.error
        assert second.value is None and first_error is None
        # Buyer 2 asked for the lock between buyer 1's read and UPDATE, and read only after buyer 1 committed.
        assert log.index("buyer2 asks for the write lock") < log.index("buyer1 update claimed"), log
        assert log.index("buyer1 commit") < log.index("buyer2 read 0 candidate rows"), log
        assert not any(entry.startswith("buyer2 update") for entry in log), log
    assert isinstance(winner, int)
    assert isinstance(loser_error, Conflict) and loser_error.field == "quantity", loser_error
    assert levels_of(tenant, sku) == {("MAIN/A/01", "sellable"): (1, 1)}
    r = Reservation.__table__
    with UnitOfWork(engine, actor, readonly=True) as uow:
        active = list(uow.conn.execute(select(r.c.id).where(r.c.tenant_id == tenant.tenant_id,
                                                            r.c.state == "active")).scalars())
    assert active == [winner]
    assert verify_levels(engine, tenant.tenant_id) == []

"""Random sequences of inventory operations against the real services, checked against a simple model.

Each hypothesis example runs in a fresh tenant with the factory world (MAIN: A/01, A/02, Q/01; NORTH:
B/01; SKU-001, SKU-002). The model keeps the expected on-hand per (sku, location, status), the active
reservations (which level rows they hold), transfers and counts. An operation the model says must fail
has to raise the named domain error and leave everything as it was; after every step the stored levels,
documents and ledger must agree with the model and `verify_levels` must find nothing.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, func, select

from stockyard.catalog.models import Sku
from stockyard.core.errors import Conflict, DomainError, ValidationFailed
from stockyard.core.uow import UnitOfWork, perform
from stockyard.inventory import counts, movements, reservations, transfers
from stockyard.inventory.domain import WRITE_OFF_REASONS
from stockyard.inventory.models import (
    Location,
    Reservation,
    ReservationLine,
    StockCount,
    StockCountLine,
    StockLevel,
    StockMove,
    Transfer,
    TransferLine,
)
from stockyard.inventory.verify import verify_levels
from tests.conftest import TenantCtx, new_tenant
from tests.factories import build_world

SKUS = ["SKU-001", "SKU-002"]
BINS = {"MAIN/A/01": "MAIN", "MAIN/A/02": "MAIN", "MAIN/Q/01": "MAIN", "NORTH/B/01": "NORTH"}
TRANSIT = {"MAIN": "@TRANSIT/MAIN", "NORTH": "@TRANSIT/NORTH"}
# Locations a count may be opened for, per warehouse, and the bins each one covers.
COUNT_ROOTS = {
    "MAIN": {"MAIN/A": ["MAIN/A/01", "MAIN/A/02"], "MAIN/A/01": ["MAIN/A/01"], "MAIN/A/02": ["MAIN/A/02"],
             "MAIN/Q": ["MAIN/Q/01"]},
    "NORTH": {"NORTH/B": ["NORTH/B/01"], "NORTH/B/01": ["NORTH/B/01"]},
}
SELLABLE = "sellable"
HOLDING_STATUSES = ["sellable", "quarantine", "damaged", "return_pending"]

skus = st.sampled_from(SKUS)
bins = st.sampled_from(list(BINS))
# Sellable is listed more than once so that more of the stock is reservable.
statuses = st.sampled_from([SELLABLE, SELLABLE, *HOLDING_STATUSES])
quantities = st.integers(min_value=1, max_value=8)
Key = tuple[str, str, str]  # (sku code, location path, status)
Refusal = tuple[type[DomainError], str]  # the error a refused call must raise, and the input field it names
SHORT: Refusal = (Conflict, "quantity")


@dataclass
class ModelReservation:
    sku: str
    lines: list[tuple[str, int]]  # (bin path, quantity), all sellable
    state: str = "active"


@dataclass
class ModelTransfer:
    to_warehouse: str
    lines: dict[int, list[Any]]  # line id -> [sku, quantity, received]

    @property
    def state(self) -> str:
        if all(received == quantity for _, quantity, received in self.lines.values()):
            return "received"
        if any(received > 0 for _, _, received in self.lines.values()):
            return "partially_received"
        return "in_transit"


@dataclass
class ModelCount:
    warehouse: str
    state: str = "open"
    recorded: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # (sku, bin) -> (counted, system)


@dataclass
class Snapshot:
    levels: dict[Key, tuple[int, int]]
    reservations: dict[int, str]
    transfers: dict[int, str]
    counts: dict[int, str]
    moves: int


def _snapshot(uow: UnitOfWork) -> Snapshot:
    tid = uow.tenant_id
    lv, sku, loc = StockLevel.__table__, Sku.__table__, Location.__table__
    levels = {
        (r.code, r.path, r.status): (r.on_hand, r.reserved)
        for r in uow.conn.execute(
            select(sku.c.code, loc.c.path, lv.c.status, lv.c.on_hand, lv.c.reserved)
            .join(sku, sku.c.id == lv.c.sku_id).join(loc, loc.c.id == lv.c.location_id)
            .where(lv.c.tenant_id == tid))
    }

    def states(table: Any) -> dict[int, str]:
        return dict(uow.conn.execute(select(table.c.id, table.c.state).where(table.c.tenant_id == tid)).all())

    moves = uow.conn.execute(select(func.count()).select_from(StockMove.__table__)
                             .where(StockMove.__table__.c.tenant_id == tid)).scalar_one()
    return Snapshot(levels, states(Reservation.__table__), states(Transfer.__table__), states(StockCount.__table__),
                    moves)


def _reservation_lines(uow: UnitOfWork, reservation_id: int) -> list[tuple[str, str, str, int]]:
    """(sku code, location path, status, quantity) of each line a reservation holds."""
    rl, lv, sku, loc = ReservationLine.__table__, StockLevel.__table__, Sku.__table__, Location.__table__
    return [tuple(r) for r in uow.conn.execute(
        select(sku.c.code, loc.c.path, lv.c.status, rl.c.quantity)
        .join(lv, lv.c.id == rl.c.level_id).join(sku, sku.c.id == lv.c.sku_id)
        .join(loc, loc.c.id == lv.c.location_id)
        .where(rl.c.tenant_id == uow.tenant_id, rl.c.reservation_id == reservation_id))]


def _transfer_line_ids(uow: UnitOfWork, transfer_id: int) -> list[int]:
    tl = TransferLine.__table__
    return list(uow.conn.execute(select(tl.c.id).where(tl.c.tenant_id == uow.tenant_id, tl.c.transfer_id == transfer_id)
                                 .order_by(tl.c.id)).scalars())


def _count_lines(uow: UnitOfWork, count_id: int) -> dict[tuple[str, str], int]:
    cl, sku, loc = StockCountLine.__table__, Sku.__table__, Location.__table__
    return {(r.code, r.path): r.expected for r in uow.conn.execute(
        select(sku.c.code, loc.c.path, cl.c.expected).join(sku, sku.c.id == cl.c.sku_id)
        .join(loc, loc.c.id == cl.c.location_id)
        .where(cl.c.tenant_id == uow.tenant_id, cl.c.count_id == count_id))}


def make_machine(engine: Engine) -> type[RuleBasedStateMachine]:
    class InventoryMachine(RuleBasedStateMachine):
        reservation_ids = Bundle("reservations")
        transfer_ids = Bundle("transfers")
        count_ids = Bundle("counts")

        def __init__(self) -> None:
            super().__init__()
            self.ctx: TenantCtx = new_tenant(engine)
            build_world(self.ctx)
            self.on_hand: Counter[Key] = Counter()
            self.reservations: dict[int, ModelReservation] = {}
            self.transfers: dict[int, ModelTransfer] = {}
            self.counts: dict[int, ModelCount] = {}
            self.moves = 0

        # -- helpers ------------------------------------------------------------------------------------

        def call(self, expected: Refusal | None, service: Any, *args: Any) -> Any:
            """Run one service call; when the model expects a refusal, it must be exactly that error, naming
            exactly that field."""
            if expected is None:
                return perform(engine, self.ctx.actor, service, *args)
            with pytest.raises(DomainError) as caught:
                perform(engine, self.ctx.actor, service, *args)
            assert (type(caught.value), caught.value.field) == expected, caught.value
            return None

        def query(self, fn: Any, *args: Any) -> Any:
            with UnitOfWork(engine, self.ctx.actor, readonly=True) as uow:
                return fn(uow, *args)

        def reserved(self) -> Counter[Key]:
            held: Counter[Key] = Counter()
            for r in self.reservations.values():
                if r.state == "active":
                    for path, quantity in r.lines:
                        held[(r.sku, path, SELLABLE)] += quantity
            return held

        def free(self, key: Key) -> int:
            return self.on_hand[key] - self.reserved()[key]

        def free_in(self, sku: str, warehouse: str) -> int:
            return sum(self.free((sku, path, SELLABLE)) for path, wh in BINS.items() if wh == warehouse)

        def covers(self, needs: Counter[Key]) -> bool:
            return all(self.free(key) >= quantity for key, quantity in needs.items())

        # -- rules --------------------------------------------------------------------------------------

        @initialize(opening=st.lists(
            st.tuples(st.integers(min_value=0, max_value=15), st.sampled_from(HOLDING_STATUSES[1:]),
                      st.integers(min_value=0, max_value=6)),
            min_size=len(SKUS) * len(BINS), max_size=len(SKUS) * len(BINS)))
        def opening_stock(self, opening: list[tuple[int, str, int]]) -> None:
            """Stock in every bin, received as one batch, so that most operations have something to use."""
            lots: list[tuple[Key, int]] = []
            for (sku, path), (sellable, other_status, other) in zip(
                    [(sku, path) for sku in SKUS for path in BINS], opening, strict=True):
                lots += [((sku, path, SELLABLE), sellable), ((sku, path, other_status), other)]
            lots = [(key, quantity) for key, quantity in lots if quantity > 0]
            if not lots:
                return
            move_ids = self.call(None, movements.receive_stock_batch, [
                movements.ReceiveStock(sku=sku, location=path, status=status, quantity=quantity)
                for (sku, path, status), quantity in lots])
            assert len(move_ids) == len(lots)
            for key, quantity in lots:
                self.on_hand[key] += quantity
            self.moves += len(lots)

        @rule(sku=skus, path=bins, status=statuses, quantity=st.integers(min_value=1, max_value=20))
        def receive(self, sku: str, path: str, status: str, quantity: int) -> None:
            self.call(None, movements.receive_stock,
                      movements.ReceiveStock(sku=sku, location=path, quantity=quantity, status=status))
            self.on_hand[(sku, path, status)] += quantity
            self.moves += 1

        @rule(sku=skus, source=bins, status=statuses, quantity=quantities, data=st.data())
        def move(self, sku: str, source: str, status: str, quantity: int, data: st.DataObject) -> None:
            # Mostly another bin of the same warehouse; sometimes any bin (itself or another warehouse: refused).
            neighbours = sorted(p for p, wh in BINS.items() if wh == BINS[source] and p != source)
            dest = data.draw((st.sampled_from(neighbours) | bins) if neighbours else bins, label="dest")
            if source == dest or BINS[source] != BINS[dest]:
                expected: Refusal | None = (ValidationFailed, "to_location")
            else:
                expected = None if self.free((sku, source, status)) >= quantity else SHORT
            self.call(expected, movements.move_stock, movements.MoveStock(
                sku=sku, from_location=source, to_location=dest, quantity=quantity, status=status))
            if expected is None:
                self.on_hand[(sku, source, status)] -= quantity
                self.on_hand[(sku, dest, status)] += quantity
                self.moves += 1

        @rule(target=transfer_ids, source_wh=st.sampled_from(["MAIN", "NORTH"]), data=st.data())
        def dispatch_transfer(self, source_wh: str, data: st.DataObject) -> Any:
            target_wh = "NORTH" if source_wh == "MAIN" else "MAIN"
            source_bins = [path for path, wh in BINS.items() if wh == source_wh]
            lines = data.draw(st.lists(st.tuples(skus, st.sampled_from(source_bins), quantities),
                                       min_size=1, max_size=2), label="lines")
            needs: Counter[Key] = Counter()
            for sku, path, quantity in lines:
                needs[(sku, path, SELLABLE)] += quantity
            expected = None if self.covers(needs) else SHORT
            transfer_id = self.call(expected, transfers.dispatch_transfer, transfers.DispatchTransfer(
                from_warehouse=source_wh, to_warehouse=target_wh,
                lines=[transfers.TransferLineIn(sku=s, from_location=p, quantity=q) for s, p, q in lines]))
            if expected is not None:
                return multiple()
            line_ids = self.query(_transfer_line_ids, transfer_id)
            assert len(line_ids) == len(lines)
            self.transfers[transfer_id] = ModelTransfer(
                target_wh, {lid: [sku, quantity, 0] for lid, (sku, _, quantity) in zip(line_ids, lines, strict=True)})
            for key, quantity in needs.items():
                self.on_hand[key] -= quantity
            for sku, _, quantity in lines:
                self.on_hand[(sku, TRANSIT[target_wh], "in_transit")] += quantity
            self.moves += len(lines)
            return transfer_id

        @rule(transfer_id=transfer_ids, data=st.data())
        def receive_transfer(self, transfer_id: int, data: st.DataObject) -> None:
            transfer = self.transfers[transfer_id]
            line_id = data.draw(st.sampled_from(sorted(transfer.lines)), label="line")
            sku, quantity, received = transfer.lines[line_id]
            # Mostly a part of what is outstanding into a bin of the receiving warehouse; sometimes too much,
            # or a bin elsewhere (both refused).
            outstanding = quantity - received
            take = data.draw((st.integers(min_value=1, max_value=outstanding) if outstanding else st.nothing())
                             | st.integers(min_value=1, max_value=outstanding + 2), label="take")
            own = sorted(path for path, wh in BINS.items() if wh == transfer.to_warehouse)
            dest = data.draw(st.sampled_from(own) | bins, label="dest")
            if transfer.state == "received":
                expected: Refusal | None = (Conflict, "transfer_id")
            elif take > outstanding:
                expected = (ValidationFailed, "lines[0].quantity")
            elif BINS[dest] != transfer.to_warehouse:
                expected = (ValidationFailed, "lines[0].to_location")
            else:
                expected = None
            state = self.call(expected, transfers.receive_transfer, transfers.ReceiveTransfer(
                transfer_id=transfer_id, lines=[transfers.ReceiveLine(line_id=line_id, quantity=take,
                                                                      to_location=dest)]))
            if expected is None:
                transfer.lines[line_id][2] += take
                self.on_hand[(sku, TRANSIT[transfer.to_warehouse], "in_transit")] -= take
                self.on_hand[(sku, dest, SELLABLE)] += take
                self.moves += 1
                assert state == transfer.state

        @rule(sku=skus, path=bins, status=statuses, quantity=quantities, reason=st.sampled_from(WRITE_OFF_REASONS))
        def write_off(self, sku: str, path: str, status: str, quantity: int, reason: str) -> None:
            expected = None if self.free((sku, path, status)) >= quantity else SHORT
            self.call(expected, movements.write_off_stock, movements.WriteOffStock(
                sku=sku, location=path, quantity=quantity, reason=reason, status=status))
            if expected is None:
                self.on_hand[(sku, path, status)] -= quantity
                self.moves += 1

        @rule(sku=skus, path=bins, from_status=statuses, to_status=statuses, quantity=quantities)
        def change_status(self, sku: str, path: str, from_status: str, to_status: str, quantity: int) -> None:
            if from_status == to_status:
                expected: Refusal | None = (ValidationFailed, "to_status")
            else:
                expected = None if self.free((sku, path, from_status)) >= quantity else SHORT
            self.call(expected, movements.change_stock_status, movements.ChangeStockStatus(
                sku=sku, location=path, quantity=quantity, from_status=from_status, to_status=to_status))
            if expected is None:
                self.on_hand[(sku, path, from_status)] -= quantity
                self.on_hand[(sku, path, to_status)] += quantity
                self.moves += 1

        @rule(target=reservation_ids, sku=skus, quantity=st.integers(min_value=1, max_value=15),
              warehouse=st.sampled_from([None, "MAIN", "NORTH"]))
        def reserve(self, sku: str, quantity: int, warehouse: str | None) -> Any:
            main, north = self.free_in(sku, "MAIN"), self.free_in(sku, "NORTH")
            available = {"MAIN": main, "NORTH": north, None: main + north}[warehouse]
            if quantity > available:
                with pytest.raises(Conflict) as caught:
                    perform(engine, self.ctx.actor, reservations.reserve_stock,
                            reservations.ReserveStock(sku=sku, quantity=quantity, warehouse=warehouse))
                assert caught.value.field == "quantity" and caught.value.details["available"] == available
                return multiple()
            reservation_id = self.call(None, reservations.reserve_stock,
                                       reservations.ReserveStock(sku=sku, quantity=quantity, warehouse=warehouse))
            lines = self.query(_reservation_lines, reservation_id)
            assert sum(q for *_, q in lines) == quantity
            assert len({path for _, path, _, _ in lines}) == len(lines), "one line per level row"
            for code, path, status, q in lines:
                assert (code, status) == (sku, SELLABLE) and path in BINS
                assert q <= self.free((sku, path, SELLABLE)), f"reserved {q} at {path}, more than was free"
            used = {BINS[path] for _, path, _, _ in lines}
            if warehouse is not None:
                assert used == {warehouse}
            elif main >= quantity:
                assert used == {"MAIN"}, "the whole quantity fits in MAIN, the first-priority warehouse"
            elif north >= quantity:
                assert used == {"NORTH"}, "the whole quantity fits in NORTH; no split shipment"
            self.reservations[reservation_id] = ModelReservation(sku, [(path, q) for _, path, _, q in lines])
            return reservation_id

        @rule(reservation_id=reservation_ids)
        def release(self, reservation_id: int) -> None:
            r = self.reservations[reservation_id]
            expected = None if r.state == "active" else (Conflict, "reservation_id")
            self.call(expected, reservations.release_reservation, reservation_id)
            if expected is None:
                r.state = "released"

        @rule(reservation_id=reservation_ids)
        def consume(self, reservation_id: int) -> None:
            r = self.reservations[reservation_id]
            expected = None if r.state == "active" else (Conflict, "reservation_id")
            move_ids = self.call(expected, reservations.consume_reservation, reservation_id)
            if expected is None:
                assert len(move_ids) == len(r.lines)
                r.state = "consumed"
                for path, quantity in r.lines:
                    self.on_hand[(r.sku, path, SELLABLE)] -= quantity
                self.moves += len(r.lines)

        @rule(target=count_ids, warehouse=st.sampled_from(["MAIN", "NORTH"]), data=st.data())
        def open_count(self, warehouse: str, data: st.DataObject) -> int:
            roots = data.draw(st.lists(st.sampled_from(sorted(COUNT_ROOTS[warehouse])), min_size=1, max_size=2,
                                       unique=True), label="roots")
            count_id = self.call(None, counts.open_count, counts.OpenCount(warehouse=warehouse, locations=roots))
            covered = {path for root in roots for path in COUNT_ROOTS[warehouse][root]}
            expected_lines = {(sku, path): self.on_hand[(sku, path, SELLABLE)] for sku in SKUS for path in covered
                              if self.on_hand[(sku, path, SELLABLE)] > 0}
            assert self.query(_count_lines, count_id) == expected_lines
            self.counts[count_id] = ModelCount(warehouse)
            # The counter usually starts on the floor at once; more lines may be recorded later.
            for _ in range(data.draw(st.integers(min_value=0, max_value=3), label="recorded now")):
                self.record(count_id, data)
            return count_id

        def record(self, count_id: int, data: st.DataObject) -> None:
            count = self.counts[count_id]
            sku = data.draw(skus, label="sku")
            # Mostly a bin of the count's warehouse; sometimes any bin (another warehouse's is refused).
            own = sorted(path for path, wh in BINS.items() if wh == count.warehouse)
            path = data.draw(st.sampled_from(own) | bins, label="path")
            # Mostly close to the ledger (small gains and losses), sometimes anything.
            system = self.on_hand[(sku, path, SELLABLE)]
            counted = data.draw(st.integers(min_value=-4, max_value=4).map(lambda d: max(system + d, 0))
                                | st.integers(min_value=0, max_value=30), label="counted")
            if count.state != "open":
                expected: Refusal | None = (Conflict, "count_id")
            elif BINS[path] != count.warehouse:
                expected = (ValidationFailed, "location")
            elif any(other.state == "open" and (sku, path) in other.recorded
                     for other_id, other in self.counts.items() if other_id != count_id):
                expected = (Conflict, "sku")  # counted on another open count: its variance would post twice
            else:
                expected = None
            self.call(expected, counts.record_count, counts.RecordCount(count_id=count_id, location=path, sku=sku,
                                                                        counted=counted))
            if expected is None:
                count.recorded[(sku, path)] = (counted, system)

        @rule(count_id=count_ids, data=st.data())
        def record_count(self, count_id: int, data: st.DataObject) -> None:
            self.record(count_id, data)

        @rule(count_id=count_ids)
        def approve_count(self, count_id: int) -> None:
            count = self.counts[count_id]
            variances = {(sku, path, SELLABLE): counted - system
                         for (sku, path), (counted, system) in count.recorded.items() if counted != system}
            if count.state != "open":
                expected: Refusal | None = (Conflict, "count_id")
            elif not count.recorded:
                expected = (ValidationFailed, "lines")
            else:
                shortfalls = Counter({key: -v for key, v in variances.items() if v < 0})
                expected = None if self.covers(shortfalls) else SHORT
            adjustments = self.call(expected, counts.approve_count, count_id)
            if expected is None:
                assert adjustments == len(variances)
                for key, variance in variances.items():
                    self.on_hand[key] += variance
                count.state = "approved"
                self.moves += len(variances)

        @rule(count_id=count_ids)
        def cancel_count(self, count_id: int) -> None:
            count = self.counts[count_id]
            expected = None if count.state == "open" else (Conflict, "count_id")
            self.call(expected, counts.cancel_count, count_id)
            if expected is None:
                count.state = "cancelled"

        # -- invariants ---------------------------------------------------------------------------------

        @invariant()
        def database_matches_model(self) -> None:
            snap = self.query(_snapshot)
            for key, (on_hand, reserved) in snap.levels.items():
                assert 0 <= reserved <= on_hand, f"{key}: reserved {reserved}, on hand {on_hand}"
            held = self.reserved()
            expected = {key: (self.on_hand[key], held[key]) for key in set(self.on_hand) | set(held)
                        if self.on_hand[key] or held[key]}
            stored = {key: value for key, value in snap.levels.items() if value != (0, 0)}
            assert stored == expected
            assert snap.reservations == {i: r.state for i, r in self.reservations.items()}
            assert snap.transfers == {i: t.state for i, t in self.transfers.items()}
            assert snap.counts == {i: c.state for i, c in self.counts.items()}
            assert snap.moves == self.moves

        @invariant()
        def ledger_rebuilds_the_levels(self) -> None:
            assert verify_levels(engine, self.ctx.tenant_id) == []

    return InventoryMachine


def test_random_operation_sequences_keep_levels_model_and_ledger_in_agreement(engine: Engine) -> None:
    run_state_machine_as_test(
        make_machine(engine),
        settings=settings(max_examples=25, stateful_step_count=35, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )

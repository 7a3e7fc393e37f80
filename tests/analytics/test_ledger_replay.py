"""The ledger replay behind the inventory KPIs: FIFO layers across warehouses and stock-out days."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from stockyard.analytics.ledger_replay import (
    LedgerMove,
    age_bucket,
    day_start,
    replay_fifo,
    stock_out_days,
    value_of,
)

D = Decimal


def move(i: int, at: datetime, qty: int, src: int | None, dst: int | None, cost: str | None = None,
         reason: str = "receipt") -> LedgerMove:
    return LedgerMove(i, at, 1, qty, src, dst, src is not None, dst is not None, reason,
                      None if cost is None else D(cost))


def test_a_transfer_carries_cost_and_age_and_a_sale_takes_the_oldest_first() -> None:
    moves = [move(1, datetime(2025, 1, 1), 5, None, 10, "2.00"),
             move(2, datetime(2025, 2, 1), 5, None, 10, "3.00"),
             move(3, datetime(2025, 2, 10), 6, 10, 20, reason="transfer_dispatch"),  # 5 @ 2 (Jan) + 1 @ 3 (Feb)
             move(4, datetime(2025, 3, 1), 2, None, 20, reason="return_receipt"),  # no cost: the last one, 3.00
             move(5, datetime(2025, 3, 2), 7, 20, None, reason="shipment")]
    result = replay_fifo(moves, [datetime(2025, 2, 11), datetime(2025, 4, 1)])
    assert value_of(result.snapshots[datetime(2025, 2, 11)]) == {(1, 10): D(12), (1, 20): D(13)}
    # Warehouse 20 holds 5 @ 2 (1 Jan), 1 @ 3 (1 Feb), 2 @ 3 (1 Mar); the sale of 7 takes 5 @ 2 and 2 @ 3.
    [sale] = result.issues
    assert (sale.warehouse_id, sale.cost) == (20, D(16))
    left = result.snapshots[datetime(2025, 4, 1)][(1, 20)]
    assert [(layer.received_at.date(), layer.quantity, layer.unit_cost) for layer in left] == [
        (date(2025, 3, 1), 1, D(3))]
    assert age_bucket(left[0].received_at, date(2025, 5, 31)) == "90+ days"
    assert age_bucket(left[0].received_at, date(2025, 5, 30)) == "61-90 days"


def test_a_day_is_out_of_stock_when_the_quantity_touched_zero() -> None:
    moves = [move(1, datetime(2025, 1, 2, 9), 2, None, 10, "1.00"),
             move(2, datetime(2025, 1, 3, 9), 2, 10, 10, reason="putaway"),  # bin to bin: never empty
             move(3, datetime(2025, 1, 4, 10), 2, 10, None, reason="shipment"),
             move(4, datetime(2025, 1, 4, 15), 3, None, 10, "1.00")]  # refilled the same afternoon
    [(pair, days)] = stock_out_days(moves, date(2025, 1, 1), date(2025, 1, 5)).items()
    assert pair == (1, 10)
    assert days.first == date(2025, 1, 2)  # not stocked on the 1st
    assert days.out == [date(2025, 1, 4)]
    assert days.stocked_between(date(2025, 1, 1), date(2025, 1, 5)) == 4


def _naive_out_days(moves: list[LedgerMove], start: date, end: date) -> dict[tuple[int, int], list[date]]:
    """The definition, day by day and move by move, for one SKU in warehouse 10 (receipts and shipments only)."""
    arrived = min((m.at.date() for m in moves if m.to_warehouse == 10), default=None)
    if arrived is None or arrived > end:
        return {}
    out = []
    day = start
    while day <= end:
        before = sum(m.quantity if m.to_warehouse else -m.quantity for m in moves if m.at < day_start(day))
        levels = [before] if day != arrived else []
        running = before
        for m in sorted((m for m in moves if m.at.date() == day), key=lambda m: m.at):
            running += m.quantity if m.to_warehouse else -m.quantity
            levels.append(running)
        if day >= arrived and levels and min(levels) <= 0:
            out.append(day)
        day += timedelta(days=1)
    return {(1, 10): out}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 23), st.integers(-3, 4)), max_size=12))
def test_stock_out_days_match_the_day_by_day_definition(steps: list[tuple[int, int, int]]) -> None:
    moves, level = [], 0
    for i, (offset, hour, change) in enumerate(sorted(steps)):
        change = max(change, -level)  # never below zero, as the database guarantees
        if change == 0:
            continue
        level += change
        at = datetime(2025, 1, 1, hour) + timedelta(days=offset)
        moves.append(move(i, at, abs(change), None if change > 0 else 10, 10 if change > 0 else None, "1.00"))
    start, end = date(2025, 1, 5), date(2025, 2, 5)
    found = {pair: d.out for pair, d in stock_out_days(moves, start, end).items()}
    assert found == _naive_out_days(moves, start, end)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["in", "out", "transfer"]), st.integers(1, 6), st.integers(1, 9)),
                max_size=15))
def test_fifo_value_is_conserved(steps: list[tuple[str, int, int]]) -> None:
    """What came in at cost either left (issued at FIFO cost) or is still on hand, in whichever warehouse."""
    moves, on_hand, received = [], {10: 0, 20: 0}, Decimal(0)
    for i, (kind, quantity, cost) in enumerate(steps):
        at = datetime(2025, 1, 1) + timedelta(hours=i)
        if kind == "in":
            moves.append(move(i, at, quantity, None, 10, f"{cost}.00"))
            on_hand[10] += quantity
            received += quantity * cost
        elif kind == "out" and on_hand[20] >= quantity:
            moves.append(move(i, at, quantity, 20, None, reason="shipment"))
            on_hand[20] -= quantity
        elif kind == "transfer" and on_hand[10] >= quantity:
            moves.append(move(i, at, quantity, 10, 20, reason="transfer_dispatch"))
            on_hand[10] -= quantity
            on_hand[20] += quantity
    end = datetime(2026, 1, 1)
    result = replay_fifo(moves, [end])
    left = result.snapshots[end]
    assert {wh: sum(layer.quantity for layer in left.get((1, wh), [])) for wh in (10, 20)} == on_hand
    assert sum(issue.cost for issue in result.issues) + sum(value_of(left).values(), Decimal(0)) == received

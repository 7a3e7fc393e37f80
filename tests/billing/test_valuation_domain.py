"""Valuation by FIFO and moving average against hand-worked examples, landed costs, the largest-remainder split,
and properties over random ledgers (value never negative, quantities as the ledger's, both methods agreeing when
every receipt costs the same)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockyard.billing.valuation_domain import LandedCharge, LedgerMove, Method, Valuation, allocate

D = Decimal
SKU, MAIN, EAST = 1, 10, 20


def receipt(move_id: int, qty: int, cost: str, wh: int = MAIN) -> LedgerMove:
    return LedgerMove(move_id, SKU, qty, None, wh, D(cost))


def issue(move_id: int, qty: int, wh: int = MAIN) -> LedgerMove:
    return LedgerMove(move_id, SKU, qty, wh, None)


def run(method: Method, moves: list[LedgerMove]) -> Valuation:
    v = Valuation(method)
    for m in moves:
        v.move(m)
    return v


# Worked example, the same ledger for both methods:
#   1. receive 10 @ 4.00   = 40.00
#   2. receive 10 @ 6.00   = 60.00
#   3. ship 15
#   4. receive  5 @ 7.00   = 35.00
#   5. ship 6
EXAMPLE = [receipt(1, 10, "4.00"), receipt(2, 10, "6.00"), issue(3, 15), receipt(4, 5, "7.00"), issue(5, 6)]


def test_fifo_worked_example() -> None:
    # ship 15: the 10 @ 4.00 (40.00) and 5 of the 10 @ 6.00 (30.00) → 70.00; left 5 @ 6.00 = 30.00
    # receive 5 @ 7.00: layers 5 @ 6.00, 5 @ 7.00 = 65.00
    # ship 6: 5 @ 6.00 (30.00) + 1 @ 7.00 (7.00) → 37.00; left 4 @ 7.00 = 28.00
    v = run(Method.FIFO, EXAMPLE)
    assert v.move_values[3] == D("70.00")
    assert v.move_values[5] == D("37.00")
    [row] = v.stock()
    assert (row.quantity, row.value, row.unit_cost) == (4, D("28.00"), D("7.0000"))


def test_moving_average_worked_example() -> None:
    # after both receipts: 20 units worth 100.00, average 5.00
    # ship 15: 100.00 × 15/20 = 75.00; left 5 worth 25.00 (5.00)
    # receive 5 @ 7.00: 10 units worth 60.00, average 6.00
    # ship 6: 60.00 × 6/10 = 36.00; left 4 worth 24.00 (6.00)
    v = run(Method.AVERAGE, EXAMPLE)
    assert v.move_values[3] == D("75.00")
    assert v.move_values[5] == D("36.00")
    [row] = v.stock()
    assert (row.quantity, row.value, row.unit_cost) == (4, D("24.00"), D("6.0000"))


def test_moving_average_rounds_to_cents_and_the_last_unit_takes_the_rest() -> None:
    # 3 units worth 10.00: one unit is 3.33, the next 3.34 (6.67 × 1/2 = 3.335 → 3.34 half-even), the last 3.33
    v = run(Method.AVERAGE, [receipt(1, 3, "3.3333"), issue(2, 1), issue(3, 1), issue(4, 1)])
    assert [v.move_values[i] for i in (2, 3, 4)] == [D("3.33"), D("3.34"), D("3.33")]
    assert v.total() == 0


def test_a_transfer_carries_its_fifo_cost_to_the_other_warehouse() -> None:
    # 10 @ 4.00 then 10 @ 6.00 in MAIN; 12 go to EAST: 10 @ 4.00 + 2 @ 6.00 = 52.00; MAIN keeps 8 @ 6.00 = 48.00
    # EAST ships 11: 10 @ 4.00 + 1 @ 6.00 = 46.00, keeps 1 @ 6.00
    v = run(Method.FIFO, [receipt(1, 10, "4.00"), receipt(2, 10, "6.00"), LedgerMove(3, SKU, 12, MAIN, EAST),
                          issue(4, 11, EAST)])
    assert v.move_values[3] == D("52.00")
    assert v.move_values[4] == D("46.00")
    assert {(r.warehouse_id, r.quantity, r.value) for r in v.stock()} == {(MAIN, 8, D("48.00")), (EAST, 1, D("6.00"))}


def test_a_return_without_a_cost_comes_back_at_the_current_unit_cost() -> None:
    v = run(Method.AVERAGE, [receipt(1, 10, "5.00"), issue(2, 10), LedgerMove(3, SKU, 2, None, MAIN)])
    assert v.move_values[3] == D("10.00") and 3 not in v.uncosted


def test_landed_cost_revalues_units_on_hand_and_sends_the_rest_to_cogs() -> None:
    # 10 received @ 4.00, 4 shipped; 30.00 freight on that receipt: 6/10 on hand → 18.00 inventory, 12.00 COGS
    # FIFO: the 6 left are worth 24.00 + 18.00 = 42.00 (7.00 each); the next shipment of 3 costs 21.00
    v = run(Method.FIFO, [receipt(1, 10, "4.00"), issue(2, 4)])
    split = v.landed(LandedCharge(1, 1, D("30.00")))
    assert (split.on_hand_quantity, split.inventory, split.cogs) == (6, D("18.00"), D("12.00"))
    v.move(issue(3, 3))
    assert v.move_values[3] == D("21.00")
    assert v.total() == D("21.00")


def test_switching_method_keeps_the_value_on_hand() -> None:
    v = run(Method.AVERAGE, [receipt(1, 10, "4.00"), receipt(2, 10, "6.00")])
    v.switch(Method.FIFO)
    assert v.total() == D("100.00")
    v.move(issue(3, 10))
    assert v.move_values[3] == D("50.00")  # the average 5.00 carried onto both layers


def test_allocate_adds_up_exactly_by_largest_remainder() -> None:
    # 100.00 over 1:1:1 → 33.33 each and one cent left, going to the first (ties go to the earlier weight)
    assert allocate(D("100.00"), [D(1), D(1), D(1)]) == [D("33.34"), D("33.33"), D("33.33")]
    # 10.00 over 1:2:7 with no remainder
    assert allocate(D("10.00"), [D(1), D(2), D(7)]) == [D("1.00"), D("2.00"), D("7.00")]
    with pytest.raises(ValueError):
        allocate(D("1.00"), [D(0), D(0)])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=1000, places=2)
                .filter(lambda d: d > 0), min_size=1, max_size=8),
       st.decimals(min_value=0, max_value=100000, places=2))
def test_allocations_always_add_up(weights: list[Decimal], total: Decimal) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total and all(p >= 0 for p in parts)


flows = st.lists(st.tuples(st.sampled_from(["in", "out", "move"]), st.integers(1, 20),
                           st.sampled_from([MAIN, EAST]), st.sampled_from(["1.00", "2.50", "3.3333", "9.99"])),
                 max_size=30)


def ledger(flow: list[tuple[str, int, int, str]], same_cost: str | None = None) -> list[LedgerMove]:
    """Random moves that never take more than a warehouse holds (as the stock levels guarantee)."""
    held = {MAIN: 0, EAST: 0}
    moves: list[LedgerMove] = []
    for i, (kind, qty, wh, cost) in enumerate(flow, start=1):
        other = EAST if wh == MAIN else MAIN
        if kind == "in":
            moves.append(receipt(i, qty, same_cost or cost, wh))
            held[wh] += qty
        elif held[wh]:
            q = min(qty, held[wh])
            moves.append(issue(i, q, wh) if kind == "out" else LedgerMove(i, SKU, q, wh, other))
            held[wh] -= q
            if kind == "move":
                held[other] += q
    return moves


@settings(max_examples=80, deadline=None)
@given(flows, st.sampled_from(list(Method)))
def test_value_never_negative_and_quantity_matches_the_ledger(flow: list[tuple[str, int, int, str]],
                                                              method: Method) -> None:
    moves = ledger(flow)
    v = Valuation(method)
    for m in moves:
        v.move(m)
        assert all(b.value >= 0 for b in v.buckets.values())
    for wh in (MAIN, EAST):
        expected = sum(m.quantity for m in moves if m.target == wh) - sum(m.quantity for m in moves if m.source == wh)
        assert v.buckets.get((SKU, wh)) is None or v.buckets[(SKU, wh)].quantity == expected
    received = sum(v.move_values[m.id] for m in moves if m.source is None)
    issued = sum(v.move_values[m.id] for m in moves if m.target is None)
    assert v.total() == received - issued  # what the journal posts in and out is what the report holds


@settings(max_examples=60, deadline=None)
@given(flows, st.sampled_from(["2.00", "7.25"]))
def test_fifo_and_average_agree_when_every_receipt_costs_the_same(flow: list[tuple[str, int, int, str]],
                                                                  cost: str) -> None:
    moves = ledger(flow, same_cost=cost)
    fifo, average = run(Method.FIFO, moves), run(Method.AVERAGE, moves)
    assert fifo.stock() == average.stock()
    assert fifo.move_values == average.move_values


@settings(max_examples=60, deadline=None)
@given(flows, st.sampled_from(list(Method)), st.lists(st.tuples(st.integers(0, 29), st.integers(1, 5000)),
                                                      max_size=5))
def test_landed_costs_split_exactly_and_the_books_still_match(flow: list[tuple[str, int, int, str]], method: Method,
                                                              charges: list[tuple[int, int]]) -> None:
    moves = ledger(flow)
    v = Valuation(method)
    landed_inventory = D(0)
    for m in moves:
        v.move(m)
        for n, (at, cents_amount) in enumerate(charges):
            receipts = [r for r in moves if r.source is None and r.id <= m.id]
            if at == m.id % 30 and receipts:
                amount = D(cents_amount) / 100
                split = v.landed(LandedCharge(n, receipts[at % len(receipts)].id, amount))
                assert split.inventory + split.cogs == amount and split.inventory >= 0 and split.cogs >= 0
                landed_inventory += split.inventory
        assert all(b.value >= 0 for b in v.buckets.values())
    received = sum(v.move_values[m.id] for m in moves if m.source is None)
    issued = sum(v.move_values[m.id] for m in moves if m.target is None)
    assert v.total() == received - issued + landed_inventory


@pytest.mark.parametrize("method", list(Method))
def test_units_issued_before_they_came_are_settled_by_the_next_receipt(method: Method) -> None:
    # ship 3 from nothing (a backdated issue): no cost, 3 uncosted, quantity −3; receive 10 @ 2.00: the first 3
    # (6.00) settle the shortfall, 7 @ 2.00 = 14.00 stay; the ledger's quantity is 7
    v = run(method, [issue(1, 3), receipt(2, 10, "2.00")])
    assert v.move_values[1] == 0 and v.uncosted[1] == 3
    assert v.shortfall_costs[2] == D("6.00")
    [row] = v.stock()
    assert (row.quantity, row.value) == (7, D("14.00"))
    v.move(issue(3, 7))
    assert v.move_values[3] == D("14.00") and v.stock() == []

"""The ledger replay behind the inventory KPIs: FIFO layers across warehouses and stock-out days."""

from datetime import date, datetime
from decimal import Decimal

from stockyard.analytics.ledger_replay import LedgerMove, age_bucket, replay_fifo, stock_out_days, value_of

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

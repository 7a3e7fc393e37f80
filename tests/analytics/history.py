"""A small known history for the inventory KPIs, built through the real services and then dated: each step's
ledger moves, shipments and counted lines are given the step's date, as if it had happened then.

    2024-10-01  receive SKU-003 ×3 @ 2.00 into NORTH                        (old stock: 90+ days by February)
    2025-01-06  receive SKU-001 ×10 @ 4.00 and SKU-002 ×4 @ 10.00 into MAIN, SKU-002 ×2 @ 10.00 into NORTH
    2025-01-20  receive SKU-001 ×10 @ 6.00 into MAIN
    2025-01-27  order A: SKU-001 ×12, shipped whole from MAIN (FIFO cost 10 × 4 + 2 × 6 = 52)
                order B: SKU-002 ×5, allocated 4 in MAIN and 1 in NORTH; the 4 ship (cost 40); MAIN is out of SKU-002
    2025-01-29  order B's last unit ships from NORTH (cost 10)
    2025-02-03  counts: SKU-001 in MAIN/A/01 counted 7 where the ledger had 8 (a loss of one, at 6.00);
                SKU-002 in NORTH/B/01 counted 1, exact. Both approved.

The period of the tests is 2025-01-13 .. 2025-02-11 (30 days).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Engine, Table, func, select, update

from stockyard.core.uow import perform
from stockyard.fulfilment.models import Shipment
from stockyard.inventory import counts
from stockyard.inventory.models import StockCountLine, StockMove
from stockyard.sales import orders
from tests.conftest import TenantCtx, new_tenant
from tests.factories import receive
from tests.sales.order_fixtures import checkout_order
from tests.sales.shop_setup import Shop, build_shop

START, END = date(2025, 1, 13), date(2025, 2, 11)


@dataclass
class History:
    shop: Shop
    order_a: str
    order_b: str

    @property
    def ctx(self) -> TenantCtx:
        return self.shop.ctx


def _high(ctx: TenantCtx, table: Table) -> int:
    with ctx.uow() as uow:
        return int(uow.conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())


@contextmanager
def on(ctx: TenantCtx, when: datetime) -> Iterator[None]:
    """Whatever the block writes to the ledger, ships or counts is dated `when` (recorded and business time)."""
    moves, shipments, lines = StockMove.__table__, Shipment.__table__, StockCountLine.__table__
    marks = {moves: _high(ctx, moves), shipments: _high(ctx, shipments)}
    with ctx.uow() as uow:
        counted = set(uow.conn.execute(select(lines.c.id).where(lines.c.tenant_id == ctx.tenant_id,
                                                                lines.c.counted.is_not(None))).scalars())
    yield
    with ctx.uow() as uow:
        uow.conn.execute(update(moves).where(moves.c.tenant_id == ctx.tenant_id, moves.c.id > marks[moves])
                         .values(created_at=when, occurred_at=when))
        uow.conn.execute(update(shipments).where(shipments.c.tenant_id == ctx.tenant_id,
                                                 shipments.c.id > marks[shipments])
                         .values(created_at=when, shipped_at=when))
        recorded = [i for i in uow.conn.execute(select(lines.c.id).where(
            lines.c.tenant_id == ctx.tenant_id, lines.c.counted.is_not(None))).scalars() if i not in counted]
        if recorded:
            uow.conn.execute(update(lines).where(lines.c.id.in_(recorded)).values(counted_at=when))


def build_history(engine: Engine) -> History:
    ctx = new_tenant(engine)
    shop = build_shop(ctx, stock={})
    cost = Decimal
    with on(ctx, datetime(2024, 10, 1, 9)):
        receive(ctx, "SKU-003", "NORTH/B/01", 3, unit_cost=cost("2.00"))
    with on(ctx, datetime(2025, 1, 6, 9)):
        receive(ctx, "SKU-001", "MAIN/A/01", 10, unit_cost=cost("4.00"))
        receive(ctx, "SKU-002", "MAIN/A/01", 4, unit_cost=cost("10.00"))
        receive(ctx, "SKU-002", "NORTH/B/01", 2, unit_cost=cost("10.00"))
    with on(ctx, datetime(2025, 1, 20, 9)):
        receive(ctx, "SKU-001", "MAIN/A/01", 10, unit_cost=cost("6.00"))
    a = checkout_order(shop, {"SKU-001": 12})
    b = checkout_order(shop, {"SKU-002": 5})
    with on(ctx, datetime(2025, 1, 27, 14)):
        perform(ctx.engine, ctx.actor, orders.ship_order, a.order_id)
        perform(ctx.engine, ctx.actor, orders.ship_order, b.order_id, shop.world.main)
    with on(ctx, datetime(2025, 1, 29, 10)):
        perform(ctx.engine, ctx.actor, orders.ship_order, b.order_id, shop.world.north)
    with on(ctx, datetime(2025, 2, 3, 11)):
        for warehouse, location, sku, found in (("MAIN", "MAIN/A/01", "SKU-001", 7),
                                                ("NORTH", "NORTH/B/01", "SKU-002", 1)):
            count_id = perform(ctx.engine, ctx.actor, counts.open_count,
                               counts.OpenCount(warehouse=warehouse, locations=[location]))
            perform(ctx.engine, ctx.actor, counts.record_count,
                    counts.RecordCount(count_id=count_id, location=location, sku=sku, counted=found))
            perform(ctx.engine, ctx.actor, counts.approve_count, count_id)
    return History(shop, a.number, b.number)

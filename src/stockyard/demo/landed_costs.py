"""Demo: the freight invoice for the largest delivery into the main warehouse arrives after some of its parts were
sold, so the landed-cost pages and the valuation show a real split: the units still on hand are revalued, the
share of those sold goes to cost of goods sold."""

from decimal import Decimal

from sqlalchemy import Engine, func, select

from stockyard.billing.landed_cost import ApplyLandedCost, apply_landed_cost
from stockyard.core.actor import Actor
from stockyard.core.progress import Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.inventory.models import StockMove

DOCUMENT_TYPE = "delivery_note"  # demo/stock.py receives deliveries under delivery notes
FREIGHT = Decimal("85.00")
MOST_PARTS = 12


def _delivery(uow: UnitOfWork) -> list[int]:
    moves = StockMove.__table__
    parts = func.count(func.distinct(moves.c.sku_id))
    # the delivery of most parts, up to a dozen (a page one reads through), ties to the earliest
    first = uow.conn.execute(
        select(moves.c.document_id).where(
            moves.c.tenant_id == uow.tenant_id, moves.c.reason == "receipt", moves.c.document_type == DOCUMENT_TYPE,
            moves.c.unit_cost.is_not(None)).group_by(moves.c.document_id)
        .having(parts <= MOST_PARTS).order_by(parts.desc(), func.min(moves.c.id)).limit(1)).scalar()
    if first is None:
        return []
    return list(uow.conn.execute(select(moves.c.id).where(
        moves.c.tenant_id == uow.tenant_id, moves.c.reason == "receipt", moves.c.document_type == DOCUMENT_TYPE,
        moves.c.document_id == first).order_by(moves.c.id)).scalars())


def apply_freight(engine: Engine, accountant: Actor, steps: Steps) -> None:
    advance = steps.task("Freight on a delivery (landed cost)", 1)
    move_ids = read(engine, accountant, _delivery)
    if move_ids:
        perform(engine, accountant, apply_landed_cost, ApplyLandedCost(
            kind="freight", amount=FREIGHT, basis="value", move_ids=move_ids,
            reference="DHL Freight 4711-0815", note="Sea and road freight, Hamburg port to the main warehouse"))
    advance(1)

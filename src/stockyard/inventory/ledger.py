"""Posting moves: the only code that writes `stock_moves` and changes `stock_levels.on_hand`.

A batch of moves is posted in one transaction: the touched level rows are locked in lock order, every
decrease is checked against free stock (on hand minus reserved), levels are updated relatively and the
moves are inserted with one multi-row INSERT. Any shortfall raises before anything is written.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.inventory.domain import LevelKey, Move, check_move, level_deltas
from stockyard.inventory.locks import LockedLevel, lock_levels
from stockyard.inventory.models import Location, StockLevel, StockMove


@dataclass(frozen=True)
class Posting:
    """What every move in a batch shares: why it happened and which document caused it."""

    reason: str
    document_type: str = ""
    document_id: str = ""
    note: str = ""
    occurred_at: datetime | None = None  # the business time, when it is not now (a backdated write-off)


def post_moves(
    uow: UnitOfWork,
    moves: list[Move],
    posting: Posting,
    unit_costs: list[Decimal | None] | None = None,
    *,
    consumes_reserved: dict[LevelKey, int] | None = None,
) -> list[int]:
    """Post `moves`; returns the new move ids. `consumes_reserved` lets reserved units leave (a shipment
    consuming its reservation): those units are taken from `reserved` as well as from `on_hand`."""
    for move in moves:
        check_move(move)
    deltas = level_deltas(moves)
    consumes = consumes_reserved or {}
    locked = lock_levels(uow, list(deltas))
    _check_free(uow, deltas, locked, consumes)
    _apply(uow, deltas, locked, consumes, _warehouses_of(moves))
    ids = _insert_moves(uow, moves, posting, unit_costs)
    pairs = sorted({(m.sku_id, p.warehouse_id) for m in moves for p in (m.source, m.target) if p.stocked})
    add_event(
        uow,
        "stock.changed.v1",
        {
            "reason": posting.reason,
            "document_type": posting.document_type,
            "document_id": posting.document_id,
            "items": [{"sku_id": s, "warehouse_id": w} for s, w in pairs],
            "move_ids": ids,
        },
    )
    # Imported late: min_stock reads levels and this module is what changes them.
    from stockyard.inventory.min_stock import check_min_stock

    check_min_stock(uow, pairs)
    return ids


def _warehouses_of(moves: list[Move]) -> dict[int, int]:
    found: dict[int, int] = {}
    for move in moves:
        for place in (move.source, move.target):
            if place.stocked and place.warehouse_id is not None:
                found[place.location_id] = place.warehouse_id
    return found


def _check_free(
    uow: UnitOfWork, deltas: dict[LevelKey, int], locked: dict[LevelKey, LockedLevel], consumes: dict[LevelKey, int]
) -> None:
    for key, delta in deltas.items():
        if delta >= 0:
            continue
        level = locked.get(key)
        on_hand = level.on_hand if level else 0
        reserved = level.reserved if level else 0
        usable = on_hand - reserved + consumes.get(key, 0)
        if usable < -delta:
            path = uow.conn.execute(select(Location.path).where(Location.id == key.location_id)).scalar()
            lot = f", lot {key.lot}" if key.lot else ""
            raise Conflict(
                f"only {max(usable, 0)} free at {path} ({key.status}{lot}; on hand {on_hand}, reserved "
                f"{reserved}); {-delta} needed",
                field="quantity",
                details={"location": path, "on_hand": on_hand, "reserved": reserved, "needed": -delta},
            )


def _apply(
    uow: UnitOfWork,
    deltas: dict[LevelKey, int],
    locked: dict[LevelKey, LockedLevel],
    consumes: dict[LevelKey, int],
    warehouses: dict[int, int],
) -> None:
    t = StockLevel.__table__
    decreases = []
    increases_existing = []
    creates = []
    for key, delta in deltas.items():
        level = locked.get(key)
        if delta < 0:
            decreases.append({"lid": level.id, "d": delta, "r": consumes.get(key, 0)})
        elif level is not None:
            increases_existing.append({"lid": level.id, "d": delta})
        else:
            creates.append(
                {
                    "tenant_id": uow.tenant_id,
                    "sku_id": key.sku_id,
                    "location_id": key.location_id,
                    "warehouse_id": warehouses[key.location_id],
                    "status": key.status,
                    "lot": key.lot,
                    "on_hand": delta,
                    "reserved": 0,
                }
            )
    if decreases:
        stmt = (
            update(t)
            .where(t.c.id == bindparam("lid"), t.c.on_hand - t.c.reserved + bindparam("r") + bindparam("d") >= 0)
            .values(on_hand=t.c.on_hand + bindparam("d"), reserved=t.c.reserved - bindparam("r"))
        )
        result = uow.conn.execute(stmt, decreases)
        if result.rowcount != len(decreases):
            raise Conflict("stock changed while this move was being posted; try again", field="quantity")
    if increases_existing:
        stmt = update(t).where(t.c.id == bindparam("lid")).values(on_hand=t.c.on_hand + bindparam("d"))
        uow.conn.execute(stmt, increases_existing)
    if creates:
        _upsert_levels(uow, creates)


def _upsert_levels(uow: UnitOfWork, rows: list[dict[str, object]]) -> None:
    """Insert new level rows; a row created meanwhile by another transaction is added to instead."""
    t = StockLevel.__table__
    dialect_insert = pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert
    stmt = dialect_insert(t)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.tenant_id, t.c.sku_id, t.c.location_id, t.c.status, t.c.lot],
        set_={"on_hand": t.c.on_hand + stmt.excluded.on_hand},
    )
    uow.conn.execute(stmt, rows)


def _insert_moves(
    uow: UnitOfWork, moves: list[Move], posting: Posting, unit_costs: list[Decimal | None] | None
) -> list[int]:
    now = utcnow()
    actor = uow.actor
    rows = [
        {
            "tenant_id": uow.tenant_id,
            "sku_id": m.sku_id,
            "quantity": m.quantity,
            "from_location_id": m.source.location_id,
            "to_location_id": m.target.location_id,
            "from_status": m.from_status,
            "to_status": m.to_status,
            "lot": m.lot,
            "reason": posting.reason,
            "note": posting.note,
            "document_type": posting.document_type,
            "document_id": posting.document_id,
            "unit_cost": unit_costs[i] if unit_costs else None,
            "actor_id": actor.user_id if actor else None,
            "actor_name": actor.name if actor else "",
            "created_at": now,
            "occurred_at": posting.occurred_at,
        }
        for i, m in enumerate(moves)
    ]
    t = StockMove.__table__
    if len(rows) == 1:
        return [uow.conn.execute(insert(t).returning(t.c.id), rows[0]).scalar_one()]
    result = uow.conn.execute(insert(t).returning(t.c.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())

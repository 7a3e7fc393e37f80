"""Every row lock on stock levels is taken here, always in LevelKey order (sku, location, status, lot).

Two transactions that lock levels through this module cannot deadlock on them. On PostgreSQL the rows
are locked with SELECT ... FOR UPDATE; on SQLite, BEGIN IMMEDIATE already serialises writers.
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, select, tuple_, update

from stockyard.core.uow import UnitOfWork
from stockyard.inventory.domain import LevelKey
from stockyard.inventory.models import StockLevel

_CHUNK = 500


@dataclass
class LockedLevel:
    id: int
    on_hand: int
    reserved: int

    @property
    def free(self) -> int:
        return self.on_hand - self.reserved


def lock_levels(uow: UnitOfWork, keys: list[LevelKey]) -> dict[LevelKey, LockedLevel]:
    """Lock the existing level rows for `keys` in lock order and return them; missing keys are absent."""
    ordered = sorted(set(keys))
    found: dict[LevelKey, LockedLevel] = {}
    t = StockLevel.__table__
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        stmt = (
            select(t.c.id, t.c.sku_id, t.c.location_id, t.c.status, t.c.lot, t.c.on_hand, t.c.reserved)
            .where(
                t.c.tenant_id == uow.tenant_id,
                tuple_(t.c.sku_id, t.c.location_id, t.c.status, t.c.lot).in_(
                    [(k.sku_id, k.location_id, k.status, k.lot) for k in chunk]
                ),
            )
            .order_by(t.c.sku_id, t.c.location_id, t.c.status, t.c.lot)
            .with_for_update()
        )
        for row in uow.conn.execute(stmt):
            key = LevelKey(row.sku_id, row.location_id, row.status, row.lot)
            found[key] = LockedLevel(row.id, row.on_hand, row.reserved)
    return found


def lock_level_ids(uow: UnitOfWork, level_ids: list[int]) -> dict[int, LockedLevel]:
    """Lock level rows by id, in lock order (by key, which for one tenant follows the key, not the id)."""
    if not level_ids:
        return {}
    t = StockLevel.__table__
    stmt = (
        select(t.c.id, t.c.on_hand, t.c.reserved)
        .where(t.c.tenant_id == uow.tenant_id, t.c.id.in_(sorted(set(level_ids))))
        .order_by(t.c.sku_id, t.c.location_id, t.c.status, t.c.lot)
        .with_for_update()
    )
    return {row.id: LockedLevel(row.id, row.on_hand, row.reserved) for row in uow.conn.execute(stmt)}


_t = StockLevel.__table__
_ADD_RESERVED = (
    update(_t)
    .where(_t.c.id == bindparam("b_level"), _t.c.tenant_id == bindparam("b_tenant"),
           _t.c.on_hand - _t.c.reserved >= bindparam("b_quantity"))
    .values(reserved=_t.c.reserved + bindparam("b_quantity"))
)


def add_reserved(uow: UnitOfWork, level_id: int, quantity: int) -> bool:
    """Reserve on one row if it has the free stock: the conditional UPDATE that makes oversell impossible."""
    result = uow.conn.execute(_ADD_RESERVED, {"b_level": level_id, "b_tenant": uow.tenant_id, "b_quantity": quantity})
    return result.rowcount == 1

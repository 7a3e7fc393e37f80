"""Rebuild every level's on-hand from the ledger, and reserved from active reservations; list differences."""

from dataclasses import dataclass

from sqlalchemy import Engine, func, select, union_all

from stockyard.core.uow import UnitOfWork
from stockyard.inventory.domain import STOCKED_USAGES
from stockyard.inventory.models import Location, Reservation, ReservationLine, StockLevel, StockMove


@dataclass(frozen=True)
class Difference:
    tenant_id: int
    sku_id: int
    location_id: int
    status: str
    lot: str
    field: str
    stored: int
    rebuilt: int


def verify_levels(engine: Engine, tenant_id: int | None = None) -> list[Difference]:
    with UnitOfWork(engine, readonly=True) as uow:
        return _differences(uow, tenant_id)


def _differences(uow: UnitOfWork, tenant_id: int | None) -> list[Difference]:
    m = StockMove.__table__
    loc = Location.__table__
    stocked = select(loc.c.id).where(loc.c.usage.in_([u.value for u in STOCKED_USAGES]))
    incoming = select(m.c.tenant_id, m.c.sku_id, m.c.to_location_id.label("location_id"),
                      m.c.to_status.label("status"), m.c.lot, m.c.quantity.label("qty")).where(
        m.c.to_location_id.in_(stocked))
    outgoing = select(m.c.tenant_id, m.c.sku_id, m.c.from_location_id.label("location_id"),
                      m.c.from_status.label("status"), m.c.lot, (-m.c.quantity).label("qty")).where(
        m.c.from_location_id.in_(stocked))
    if tenant_id is not None:
        incoming = incoming.where(m.c.tenant_id == tenant_id)
        outgoing = outgoing.where(m.c.tenant_id == tenant_id)
    flows = union_all(incoming, outgoing).subquery()
    key = (flows.c.tenant_id, flows.c.sku_id, flows.c.location_id, flows.c.status, flows.c.lot)
    rebuilt = {tuple(r[:5]): int(r[5]) for r in uow.conn.execute(select(*key, func.sum(flows.c.qty)).group_by(*key))}

    lv = StockLevel.__table__
    level_stmt = select(lv.c.tenant_id, lv.c.sku_id, lv.c.location_id, lv.c.status, lv.c.lot, lv.c.on_hand,
                        lv.c.reserved, lv.c.id)
    if tenant_id is not None:
        level_stmt = level_stmt.where(lv.c.tenant_id == tenant_id)
    stored = {tuple(r[:5]): r for r in uow.conn.execute(level_stmt)}

    rl = ReservationLine.__table__
    rs = Reservation.__table__
    held_stmt = (select(rl.c.level_id, func.sum(rl.c.quantity)).join(rs, rs.c.id == rl.c.reservation_id)
                 .where(rs.c.state == "active").group_by(rl.c.level_id))
    if tenant_id is not None:
        held_stmt = held_stmt.where(rs.c.tenant_id == tenant_id)
    held = {level_id: int(q) for level_id, q in uow.conn.execute(held_stmt)}

    diffs: list[Difference] = []
    for key in sorted(set(rebuilt) | set(stored)):
        row = stored.get(key)
        on_hand = row.on_hand if row is not None else 0
        if on_hand != rebuilt.get(key, 0):
            diffs.append(Difference(*key, field="on_hand", stored=on_hand, rebuilt=rebuilt.get(key, 0)))
        if row is not None and row.reserved != held.get(row.id, 0):
            diffs.append(Difference(*key, field="reserved", stored=row.reserved, rebuilt=held.get(row.id, 0)))
        if row is not None and not 0 <= row.reserved <= row.on_hand:
            diffs.append(Difference(*key, field="reserved_within_on_hand", stored=row.reserved,
                                    rebuilt=row.on_hand))
    return diffs

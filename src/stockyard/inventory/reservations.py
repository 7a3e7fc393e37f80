"""Reservations: hold sellable stock for an order or cart, then release it or consume it (ship it).

Reserving never reads and writes back: each level row is claimed by one conditional UPDATE that only
succeeds while `on_hand - reserved` still covers the quantity (locks.add_reserved). Rows are claimed
in lock order. A hold with `reserved_until` in the past is released by the expiry job, and also on the
spot when a new reservation would otherwise fail for want of stock.
"""

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, insert, select, update

from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INVENTORY_RESERVE
from stockyard.inventory.domain import (
    Candidate,
    LevelKey,
    Move,
    Place,
    Reason,
    Status,
    Usage,
    plan_reservation,
)
from stockyard.inventory.ledger import Posting, post_moves
from stockyard.inventory.locks import add_reserved
from stockyard.inventory.min_stock import check_min_stock
from stockyard.inventory.models import Location, Reservation, ReservationLine, StockLevel, Warehouse
from stockyard.inventory.refs import resolve_sku, resolve_warehouse, virtual_place

_MAX_ATTEMPTS = 5


class ReserveStock(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: int | str
    quantity: int = Field(gt=0)
    warehouse: int | str | None = None
    reference: str = Field(default="", max_length=100)
    ttl_seconds: int | None = Field(default=None, gt=0)


def reserve_stock(uow: UnitOfWork, cmd: ReserveStock) -> int:
    uow.require(INVENTORY_RESERVE)
    sku_id = cmd.sku if isinstance(cmd.sku, int) else resolve_sku(uow, cmd.sku).id
    warehouse_id = None if cmd.warehouse is None else resolve_warehouse(uow, cmd.warehouse)
    plan = _claim(uow, sku_id, warehouse_id, cmd.quantity)
    if plan is None:
        released = release_expired_for_sku(uow, sku_id)
        plan = _claim(uow, sku_id, warehouse_id, cmd.quantity) if released else None
    if plan is None:
        if isinstance(cmd.sku, int):
            resolve_sku(uow, cmd.sku)  # an unknown SKU is NotFound, not a shortage
        raise Conflict(
            f"not enough stock to reserve {cmd.quantity} of SKU {cmd.sku}",
            field="quantity",
            details={"available": _free_total(uow, sku_id, warehouse_id)},
        )
    reserved_warehouse = plan[0][2]
    until = utcnow() + timedelta(seconds=cmd.ttl_seconds) if cmd.ttl_seconds else None
    reservation_id = uow.conn.execute(
        insert(Reservation.__table__)
        .values(tenant_id=uow.tenant_id, sku_id=sku_id, warehouse_id=reserved_warehouse, quantity=cmd.quantity,
                reference=cmd.reference, reserved_until=until, created_at=utcnow())
        .returning(Reservation.__table__.c.id)
    ).scalar_one()
    uow.conn.execute(
        insert(ReservationLine.__table__),
        [{"tenant_id": uow.tenant_id, "reservation_id": reservation_id, "level_id": level_id, "quantity": take}
         for level_id, take, _ in plan],
    )
    pairs = sorted({(sku_id, wh) for _, _, wh in plan})
    add_event(uow, "stock.reserved.v1", {"reservation_id": reservation_id, "sku_id": sku_id,
                                         "quantity": cmd.quantity, "reference": cmd.reference,
                                         "items": [{"sku_id": s, "warehouse_id": w} for s, w in pairs]})
    check_min_stock(uow, pairs)
    return reservation_id


def _candidates(uow: UnitOfWork, sku_id: int, warehouse_id: int | None) -> list[tuple[Candidate, int]]:
    levels = StockLevel.__table__
    warehouses = Warehouse.__table__
    locations = Location.__table__
    stmt = (
        select(levels.c.id, levels.c.location_id, levels.c.lot, levels.c.warehouse_id,
               (levels.c.on_hand - levels.c.reserved).label("free"))
        .join(warehouses, warehouses.c.id == levels.c.warehouse_id)
        .join(locations, locations.c.id == levels.c.location_id)
        .where(
            levels.c.tenant_id == uow.tenant_id,
            levels.c.sku_id == sku_id,
            levels.c.status == Status.SELLABLE.value,
            levels.c.on_hand > levels.c.reserved,
            locations.c.usage == Usage.INTERNAL.value,
            warehouses.c.active.is_(True),
        )
        # Preference: the warehouse's priority, then fewest splits (fullest row first), then lock order.
        .order_by(warehouses.c.priority, levels.c.warehouse_id, (levels.c.on_hand - levels.c.reserved).desc(),
                  levels.c.location_id, levels.c.lot)
    )
    if warehouse_id is not None:
        stmt = stmt.where(levels.c.warehouse_id == warehouse_id)
    return [(Candidate(r.id, r.location_id, r.lot, r.free), r.warehouse_id) for r in uow.conn.execute(stmt)]


def _claim(uow: UnitOfWork, sku_id: int, warehouse_id: int | None, quantity: int) -> list[tuple[int, int, int]] | None:
    """Claim `quantity` with conditional UPDATEs; returns (level_id, take, warehouse_id) or None if short.

    A lost race (another buyer took the row between our read and our UPDATE) undoes what this attempt
    claimed and plans again from fresh numbers."""
    for _ in range(_MAX_ATTEMPTS):
        found = _candidates(uow, sku_id, warehouse_id)
        if warehouse_id is None and found:
            # Prefer covering the whole quantity from one warehouse (fewest shipments).
            by_wh: dict[int, list[Candidate]] = {}
            for cand, wh in found:
                by_wh.setdefault(wh, []).append(cand)
            whole = next((c for c in by_wh.values() if sum(x.free for x in c) >= quantity), None)
            candidates = whole if whole is not None else [c for c, _ in found]
        else:
            candidates = [c for c, _ in found]
        plan = plan_reservation(candidates, quantity)
        if not plan:
            return None
        warehouse_of = {c.level_id: wh for c, wh in found}
        location_of = {c.level_id: (c.location_id, c.lot) for c, _ in found}
        ordered = sorted(plan, key=lambda p: LevelKey(sku_id, location_of[p[0]][0], Status.SELLABLE, location_of[p[0]][1]))
        claimed: list[tuple[int, int]] = []
        for level_id, take in ordered:
            if not add_reserved(uow, level_id, take):
                break
            claimed.append((level_id, take))
        else:
            return [(level_id, take, warehouse_of[level_id]) for level_id, take in claimed]
        _unreserve(uow, claimed)
    return None


def _unreserve(uow: UnitOfWork, claimed: list[tuple[int, int]]) -> None:
    t = StockLevel.__table__
    for level_id, take in claimed:
        uow.conn.execute(update(t).where(t.c.id == level_id).values(reserved=t.c.reserved - take))


def _free_total(uow: UnitOfWork, sku_id: int, warehouse_id: int | None) -> int:
    return sum(c.free for c, _ in _candidates(uow, sku_id, warehouse_id))


def _load_active(uow: UnitOfWork, reservation_id: int) -> tuple[object, list[tuple[int, int]]]:
    r = Reservation.__table__
    row = uow.conn.execute(
        select(r).where(r.c.tenant_id == uow.tenant_id, r.c.id == reservation_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"unknown reservation {reservation_id}", field="reservation_id")
    if row.state != "active":
        raise Conflict(f"reservation {reservation_id} is {row.state}", field="reservation_id")
    lines = ReservationLine.__table__
    held = [(x.level_id, x.quantity) for x in uow.conn.execute(
        select(lines.c.level_id, lines.c.quantity).where(lines.c.reservation_id == reservation_id)
        .order_by(lines.c.id))]
    return row, held


def release_reservation(uow: UnitOfWork, reservation_id: int) -> None:
    uow.require(INVENTORY_RESERVE)
    row, held = _load_active(uow, reservation_id)
    _end(uow, [(row, held)], "released")


def consume_reservation(uow: UnitOfWork, reservation_id: int, *, document_type: str = "",
                        document_id: str = "") -> list[int]:
    """The reserved units leave for the customer (a shipment): moves bin → customer, reserved and on_hand
    both go down. Returns the move ids."""
    uow.require(INVENTORY_RESERVE)
    row, held = _load_active(uow, reservation_id)
    levels = StockLevel.__table__
    level_rows = {r.id: r for r in uow.conn.execute(
        select(levels.c.id, levels.c.sku_id, levels.c.location_id, levels.c.warehouse_id, levels.c.status,
               levels.c.lot).where(levels.c.id.in_([level_id for level_id, _ in held])))}
    customer = virtual_place(uow, Usage.CUSTOMER)
    moves, consumes = [], {}
    for level_id, quantity in held:
        lvl = level_rows[level_id]
        moves.append(Move(lvl.sku_id, quantity, Place(lvl.location_id, Usage.INTERNAL, lvl.warehouse_id), customer,
                          lvl.status, lvl.status, lvl.lot))
        key = LevelKey(lvl.sku_id, lvl.location_id, lvl.status, lvl.lot)
        consumes[key] = consumes.get(key, 0) + quantity
    ids = post_moves(uow, moves, Posting(Reason.SHIPMENT, document_type or "reservation",
                                         document_id or str(reservation_id)), consumes_reserved=consumes)
    uow.conn.execute(update(Reservation.__table__).where(Reservation.__table__.c.id == reservation_id)
                     .values(state="consumed", ended_at=utcnow()))
    add_event(uow, "stock.reservation_consumed.v1", {"reservation_id": reservation_id, "sku_id": row.sku_id})
    return ids


def _end(uow: UnitOfWork, items: list[tuple[object, list[tuple[int, int]]]], state: str) -> None:
    levels = StockLevel.__table__
    r = Reservation.__table__
    now = utcnow()
    per_level: dict[int, int] = {}
    for _, held in items:
        for level_id, quantity in held:
            per_level[level_id] = per_level.get(level_id, 0) + quantity
    rows = {x.id: x for x in uow.conn.execute(
        select(levels.c.id, levels.c.sku_id, levels.c.location_id, levels.c.status, levels.c.lot,
               levels.c.warehouse_id).where(levels.c.id.in_(list(per_level))))}
    for level_id in sorted(per_level, key=lambda i: LevelKey(rows[i].sku_id, rows[i].location_id, rows[i].status,
                                                              rows[i].lot)):
        uow.conn.execute(update(levels).where(levels.c.id == level_id, levels.c.reserved >= per_level[level_id])
                         .values(reserved=levels.c.reserved - per_level[level_id]))
    ids = [row.id for row, _ in items]  # type: ignore[attr-defined]
    uow.conn.execute(update(r).where(r.c.id.in_(ids)).values(state=state, ended_at=now))
    pairs = sorted({(x.sku_id, x.warehouse_id) for x in rows.values()})
    add_event(uow, f"stock.reservation_{state}.v1", {"reservation_ids": ids,
                                                      "items": [{"sku_id": s, "warehouse_id": w} for s, w in pairs]})
    check_min_stock(uow, pairs)


def release_expired_for_sku(uow: UnitOfWork, sku_id: int | None = None, limit: int = 500) -> int:
    """Release holds whose `reserved_until` has passed; returns how many. Run by the expiry job, and by
    reserve_stock when stock looks short."""
    r = Reservation.__table__
    stmt = (select(r.c.id).where(r.c.tenant_id == uow.tenant_id, r.c.state == "active",
                                 and_(r.c.reserved_until.is_not(None), r.c.reserved_until < utcnow()))
            .order_by(r.c.id).limit(limit).with_for_update(skip_locked=True))
    if sku_id is not None:
        stmt = stmt.where(r.c.sku_id == sku_id)
    ids = list(uow.conn.execute(stmt).scalars())
    if not ids:
        return 0
    lines = ReservationLine.__table__
    held: dict[int, list[tuple[int, int]]] = {i: [] for i in ids}
    for x in uow.conn.execute(select(lines.c.reservation_id, lines.c.level_id, lines.c.quantity)
                              .where(lines.c.reservation_id.in_(ids))):
        held[x.reservation_id].append((x.level_id, x.quantity))
    rows = list(uow.conn.execute(select(r).where(r.c.id.in_(ids))))
    _end(uow, [(row, held[row.id]) for row in rows], "expired")
    return len(ids)

"""Reservations: hold sellable stock for an order or cart, then release it or consume it (ship it).

Reserving never reads and writes back: each level row is claimed by one conditional UPDATE that only
succeeds while `on_hand - reserved` still covers the quantity (locks.add_reserved). Rows are claimed
in lock order. A hold with `reserved_until` in the past is released by the expiry job, and also on the
spot when a new reservation would otherwise fail for want of stock.
"""

from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, bindparam, insert, select, update

from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.metrics import RESERVATIONS_REFUSED
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INVENTORY_MOVE, INVENTORY_RESERVE
from stockyard.inventory.domain import (
    Candidate,
    LevelKey,
    Move,
    Place,
    Reason,
    Status,
    Usage,
    WholeNumber,
    plan_reservation,
)
from stockyard.inventory.ledger import Posting, post_moves
from stockyard.inventory.locks import add_reserved
from stockyard.inventory.min_stock import check_min_stock
from stockyard.inventory.models import MinStockRule, Reservation, ReservationLine, StockLevel, Warehouse
from stockyard.inventory.refs import resolve_sku, resolve_warehouse, virtual_place

_MAX_ATTEMPTS = 5


class ReserveStock(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: int | str
    quantity: WholeNumber = Field(gt=0)
    warehouse: int | str | None = None
    reference: str = Field(default="", max_length=100)
    ttl_seconds: int | None = Field(default=None, gt=0)


def reserve_stock(uow: UnitOfWork, cmd: ReserveStock) -> int:
    actor = uow.require(INVENTORY_RESERVE)
    sku_id = cmd.sku if isinstance(cmd.sku, int) else resolve_sku(uow, cmd.sku).id
    if isinstance(cmd.warehouse, int):
        # An unknown or foreign id simply has no candidate rows; it is named in the error path below.
        actor.require_warehouse(cmd.warehouse)
        warehouse_id: int | None = cmd.warehouse
    else:
        warehouse_id = None if cmd.warehouse is None else resolve_warehouse(uow, cmd.warehouse)
    plan = _claim(uow, sku_id, warehouse_id, cmd.quantity)
    if plan is None:
        released = release_expired_for_sku(uow, sku_id)
        plan = _claim(uow, sku_id, warehouse_id, cmd.quantity) if released else None
    if plan is None:
        if isinstance(cmd.sku, int):
            resolve_sku(uow, cmd.sku)  # an unknown SKU is NotFound, not a shortage
        if isinstance(cmd.warehouse, int):
            resolve_warehouse(uow, cmd.warehouse)
        RESERVATIONS_REFUSED.inc()
        raise Conflict(
            f"not enough stock to reserve {cmd.quantity} of SKU {cmd.sku}",
            field="quantity",
            details={"available": _free_total(uow, sku_id, warehouse_id)},
        )
    now = utcnow()
    until = now + timedelta(seconds=cmd.ttl_seconds) if cmd.ttl_seconds else None
    reservation_id = uow.conn.execute(_INSERT_RESERVATION, {
        "tenant_id": uow.tenant_id, "sku_id": sku_id, "warehouse_id": plan[0].warehouse_id,
        "quantity": cmd.quantity, "state": "active", "reference": cmd.reference, "reserved_until": until,
        "created_at": now}).scalar_one()
    lines = [{"tenant_id": uow.tenant_id, "reservation_id": reservation_id, "level_id": c.level_id,
              "quantity": c.take} for c in plan]
    uow.conn.execute(_INSERT_LINE, lines if len(lines) > 1 else lines[0])
    pairs = sorted({(sku_id, c.warehouse_id) for c in plan})
    add_event(uow, "stock.reserved.v1", {"reservation_id": reservation_id, "sku_id": sku_id,
                                         "quantity": cmd.quantity, "reference": cmd.reference,
                                         "items": [{"sku_id": s, "warehouse_id": w} for s, w in pairs]})
    ruled = sorted({(sku_id, c.warehouse_id) for c in plan if c.has_rule})
    if ruled:
        check_min_stock(uow, ruled)
    return reservation_id


@dataclass(frozen=True)
class Claimed:
    level_id: int
    take: int
    warehouse_id: int
    has_rule: bool


_levels = StockLevel.__table__
_warehouses = Warehouse.__table__
_rules = MinStockRule.__table__
_has_rule = (
    select(_rules.c.id)
    .where(_rules.c.tenant_id == _levels.c.tenant_id, _rules.c.sku_id == _levels.c.sku_id,
           _rules.c.warehouse_id == _levels.c.warehouse_id)
    .exists()
)
# Sellable levels only exist at internal locations (transit holds in_transit), so no location join is needed.
_CANDIDATES = (
    select(_levels.c.id, _levels.c.location_id, _levels.c.lot, _levels.c.warehouse_id,
           (_levels.c.on_hand - _levels.c.reserved).label("free"), _has_rule.label("has_rule"))
    .join(_warehouses, _warehouses.c.id == _levels.c.warehouse_id)
    .where(
        _levels.c.tenant_id == bindparam("tenant_id"),
        _levels.c.sku_id == bindparam("sku_id"),
        _levels.c.status == Status.SELLABLE.value,
        _levels.c.on_hand > _levels.c.reserved,
        _warehouses.c.active.is_(True),
    )
    # Preference: the warehouse's priority, then fewest splits (fullest row first), then lock order.
    .order_by(_warehouses.c.priority, _levels.c.warehouse_id, (_levels.c.on_hand - _levels.c.reserved).desc(),
              _levels.c.location_id, _levels.c.lot)
)
_CANDIDATES_IN_WAREHOUSE = _CANDIDATES.where(_levels.c.warehouse_id == bindparam("warehouse_id"))
_INSERT_RESERVATION = insert(Reservation.__table__).returning(Reservation.__table__.c.id)
_INSERT_LINE = insert(ReservationLine.__table__)


def _candidates(uow: UnitOfWork, sku_id: int, warehouse_id: int | None) -> list[tuple[Candidate, int, bool]]:
    params = {"tenant_id": uow.tenant_id, "sku_id": sku_id}
    if warehouse_id is None:
        rows = uow.conn.execute(_CANDIDATES, params)
    else:
        rows = uow.conn.execute(_CANDIDATES_IN_WAREHOUSE, {**params, "warehouse_id": warehouse_id})
    return [(Candidate(r.id, r.location_id, r.lot, r.free), r.warehouse_id, bool(r.has_rule)) for r in rows]


def _claim(uow: UnitOfWork, sku_id: int, warehouse_id: int | None, quantity: int) -> list[Claimed] | None:
    """Claim `quantity` with conditional UPDATEs; None when the stock is short.

    A lost race (another buyer took the row between our read and our UPDATE) undoes what this attempt
    claimed and plans again from fresh numbers. Each attempt runs in a savepoint whose rollback also releases
    the row locks the attempt took, so the next attempt again locks in lock order. (On PostgreSQL even an
    UPDATE that matched nothing holds the row lock if it had to wait for another buyer: it locks the newest
    version before rechecking the WHERE.) Keeping those locks would let two buyers each hold a row the other
    wants: a deadlock.

    On SQLite a single-row claim (a cart hold, nearly always) needs no savepoint: there are no row locks, and
    BEGIN IMMEDIATE keeps other writers out between our read and our UPDATE, so there is nothing to undo. On
    PostgreSQL the savepoint stays even for one row, for the lock it lets go (tests/inventory/test_concurrency.py)."""
    lock_free = uow.conn.dialect.name == "sqlite"
    for _ in range(_MAX_ATTEMPTS):
        found = _candidates(uow, sku_id, warehouse_id)
        candidates = [c for c, _, _ in found]
        if warehouse_id is None and found:
            # Prefer covering the whole quantity from one warehouse (fewest shipments).
            by_wh: dict[int, list[Candidate]] = {}
            for cand, wh, _ in found:
                by_wh.setdefault(wh, []).append(cand)
            whole = next((c for c in by_wh.values() if sum(x.free for x in c) >= quantity), None)
            candidates = whole if whole is not None else candidates
        plan = plan_reservation(candidates, quantity)
        if not plan:
            return None
        info = {c.level_id: (c, wh, has_rule) for c, wh, has_rule in found}
        ordered = sorted(plan, key=lambda p: LevelKey(sku_id, info[p[0]][0].location_id, Status.SELLABLE,
                                                      info[p[0]][0].lot))
        if lock_free and len(ordered) == 1:
            level_id, take = ordered[0]
            if add_reserved(uow, level_id, take):
                return [Claimed(level_id, take, info[level_id][1], info[level_id][2])]
            continue
        savepoint = uow.conn.begin_nested()
        claimed: list[tuple[int, int]] = []
        for level_id, take in ordered:
            if not add_reserved(uow, level_id, take):
                break
            claimed.append((level_id, take))
        else:
            savepoint.commit()
            return [Claimed(level_id, take, info[level_id][1], info[level_id][2]) for level_id, take in claimed]
        savepoint.rollback()
    return None


def _free_total(uow: UnitOfWork, sku_id: int, warehouse_id: int | None) -> int:
    return sum(c.free for c, _, _ in _candidates(uow, sku_id, warehouse_id))


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


def release_units(uow: UnitOfWork, reservation_id: int, level_id: int, quantity: int) -> None:
    """Let go of `quantity` of the units a reservation holds at one level, keeping the rest held (a short pick of
    a transfer: the missing units are not there to send). Releasing all it holds ends the reservation."""
    uow.require(INVENTORY_RESERVE)
    row, held = _load_active(uow, reservation_id)
    at_level = sum(q for held_level, q in held if held_level == level_id)
    if quantity <= 0 or quantity > at_level:
        raise Conflict(f"reservation {reservation_id} holds {at_level} there, not {quantity}", field="quantity")
    if quantity == sum(q for _, q in held):
        _end(uow, [(row, held)], "released")
        return
    levels, lines, r = StockLevel.__table__, ReservationLine.__table__, Reservation.__table__
    level = uow.conn.execute(select(levels.c.sku_id, levels.c.warehouse_id).where(levels.c.id == level_id)).one()
    uow.conn.execute(update(levels).where(levels.c.id == level_id, levels.c.reserved >= quantity)
                     .values(reserved=levels.c.reserved - quantity))
    left = quantity
    for line_id, line_quantity in list(uow.conn.execute(
            select(lines.c.id, lines.c.quantity).where(lines.c.reservation_id == reservation_id,
                                                       lines.c.level_id == level_id).order_by(lines.c.id.desc()))):
        take = min(left, line_quantity)
        if take == line_quantity:
            uow.conn.execute(lines.delete().where(lines.c.id == line_id))
        else:
            uow.conn.execute(update(lines).where(lines.c.id == line_id).values(quantity=lines.c.quantity - take))
        left -= take
        if not left:
            break
    uow.conn.execute(update(r).where(r.c.id == reservation_id).values(quantity=r.c.quantity - quantity))
    # Units were freed: the same event as a release, so that channels push the new availability.
    add_event(uow, "stock.reservation_released.v1", {"reservation_id": reservation_id, "sku_id": level.sku_id,
                                                      "items": [{"sku_id": level.sku_id,
                                                                 "warehouse_id": level.warehouse_id}]})
    check_min_stock(uow, [(level.sku_id, level.warehouse_id)])


def consume_reservation(uow: UnitOfWork, reservation_id: int, *, document_type: str = "",
                        document_id: str = "") -> list[int]:
    """The reserved units leave for the customer (a shipment): moves bin → customer, reserved and on_hand
    both go down. Returns the move ids. Shipping moves stock, so it needs inventory.move as well."""
    uow.require(INVENTORY_RESERVE)
    uow.require(INVENTORY_MOVE)
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

"""Cycle counts: open a count for locations, record what is there, review variances, approve.

When a line is recorded, the ledger's quantity at that moment is kept as `system_qty`; approval posts
`counted - system_qty` as an adjustment. Stock moved after the recording (a pick, a receipt) is thus
kept on top of the count instead of being overwritten by it.
"""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, select, update

from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INVENTORY_COUNT, INVENTORY_COUNT_APPROVE
from stockyard.inventory.domain import Move, Place, Reason, Status, Usage, WholeNumber, count_variance
from stockyard.inventory.ledger import Posting, post_moves
from stockyard.inventory.models import Location, StockCount, StockCountLine, StockLevel
from stockyard.inventory.movements import business_time
from stockyard.inventory.refs import resolve_location, resolve_sku, resolve_warehouse, virtual_place


class OpenCount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    warehouse: int | str
    locations: list[int | str] = Field(min_length=1)
    note: str = ""


class RecordCount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    count_id: int
    location: int | str
    sku: int | str
    counted: WholeNumber = Field(ge=0)
    lot: str = Field(default="", max_length=64)


def open_count(uow: UnitOfWork, cmd: OpenCount) -> int:
    """Lists every sellable level in the chosen locations (and their sub-locations) as a line to count."""
    actor = uow.require(INVENTORY_COUNT)
    warehouse_id = resolve_warehouse(uow, cmd.warehouse)
    roots = [resolve_location(uow, ref, f"locations[{i}]", warehouse_id=warehouse_id)
             for i, ref in enumerate(cmd.locations)]
    loc = Location.__table__
    location_ids: set[int] = set()
    for root in roots:
        location_ids.update(uow.conn.execute(
            select(loc.c.id).where(loc.c.tenant_id == uow.tenant_id, loc.c.usage == Usage.INTERNAL.value,
                                   (loc.c.path == root.path) | loc.c.path.startswith(root.path + "/"))).scalars())
    count_id = uow.conn.execute(
        insert(StockCount.__table__).values(tenant_id=uow.tenant_id, warehouse_id=warehouse_id, note=cmd.note,
                                            created_by=actor.user_id, created_by_name=actor.name,
                                            created_at=utcnow())
        .returning(StockCount.__table__.c.id)).scalar_one()
    lv = StockLevel.__table__
    levels = uow.conn.execute(
        select(lv.c.location_id, lv.c.sku_id, lv.c.lot, lv.c.on_hand)
        .where(lv.c.tenant_id == uow.tenant_id, lv.c.status == Status.SELLABLE.value,
               lv.c.location_id.in_(sorted(location_ids)), lv.c.on_hand > 0)
        .order_by(lv.c.location_id, lv.c.sku_id, lv.c.lot)).all()
    if levels:
        uow.conn.execute(insert(StockCountLine.__table__), [
            {"tenant_id": uow.tenant_id, "count_id": count_id, "location_id": x.location_id, "sku_id": x.sku_id,
             "lot": x.lot, "expected": x.on_hand} for x in levels])
    add_event(uow, "count.opened.v1", {"count_id": count_id, "warehouse_id": warehouse_id,
                                       "lines": len(levels)})
    return count_id


def _open_count_row(uow: UnitOfWork, count_id: int) -> object:
    c = StockCount.__table__
    row = uow.conn.execute(select(c).where(c.c.tenant_id == uow.tenant_id, c.c.id == count_id)
                           .with_for_update()).first()
    if row is None:
        raise NotFound(f"unknown count {count_id}", field="count_id")
    if row.state != "open":
        raise Conflict(f"count {count_id} is {row.state}", field="count_id")
    if uow.actor is not None:
        uow.actor.require_warehouse(row.warehouse_id)
    return row


def _sellable_on_hand(uow: UnitOfWork, sku_id: int, location_id: int, lot: str) -> int:
    lv = StockLevel.__table__
    return uow.conn.execute(
        select(func.coalesce(func.sum(lv.c.on_hand), 0)).where(
            lv.c.tenant_id == uow.tenant_id, lv.c.sku_id == sku_id, lv.c.location_id == location_id,
            lv.c.status == Status.SELLABLE.value, lv.c.lot == lot)).scalar_one()


def record_count(uow: UnitOfWork, cmd: RecordCount) -> int:
    """Record what was found; a SKU not listed on the count (found where it was not expected) is added."""
    actor = uow.require(INVENTORY_COUNT)
    count = _open_count_row(uow, cmd.count_id)
    location = resolve_location(uow, cmd.location, warehouse_id=count.warehouse_id)  # type: ignore[attr-defined]
    sku = resolve_sku(uow, cmd.sku)
    lot = cmd.lot.strip()
    if sku.tracking != "none" and not lot:
        raise ValidationFailed(f"SKU {sku.code} is tracked by {sku.tracking}; count it lot by lot", field="lot")
    lines = StockCountLine.__table__
    heads = StockCount.__table__
    # Two open counts each adjusting from the same snapshot would post the variance twice.
    elsewhere = uow.conn.execute(select(lines.c.count_id).join(heads, heads.c.id == lines.c.count_id).where(
        lines.c.tenant_id == uow.tenant_id, lines.c.count_id != cmd.count_id, heads.c.state == "open",
        lines.c.location_id == location.id, lines.c.sku_id == sku.id, lines.c.lot == lot,
        lines.c.counted.is_not(None))).scalar()
    if elsewhere is not None:
        raise Conflict(f"{sku.code} at {location.path} is already counted on open count {elsewhere}; approve or "
                       "cancel that count first", field="sku")
    system_qty = _sellable_on_hand(uow, sku.id, location.id, lot)
    values = {"counted": cmd.counted, "system_qty": system_qty, "counted_by_name": actor.name,
              "counted_at": utcnow()}
    line_id = uow.conn.execute(select(lines.c.id).where(
        lines.c.count_id == cmd.count_id, lines.c.location_id == location.id, lines.c.sku_id == sku.id,
        lines.c.lot == lot)).scalar()
    if line_id is None:
        line_id = uow.conn.execute(insert(lines).values(
            tenant_id=uow.tenant_id, count_id=cmd.count_id, location_id=location.id, sku_id=sku.id, lot=lot,
            expected=0, **values).returning(lines.c.id)).scalar_one()
    else:
        uow.conn.execute(update(lines).where(lines.c.id == line_id).values(**values))
    add_event(uow, "count.line_recorded.v1", {"count_id": cmd.count_id, "line_id": line_id, "sku_id": sku.id,
                                              "location_id": location.id, "counted": cmd.counted})
    return line_id


def approve_count(uow: UnitOfWork, count_id: int, effective_on: date | None = None) -> int:
    """Post the variances as count adjustments; returns the number of adjustment moves. Lines never
    recorded are left unadjusted (not counted is not zero). `effective_on`: the day the count was taken, when not
    today (refused in a closed accounting period)."""
    actor = uow.require(INVENTORY_COUNT_APPROVE)
    occurred_at = business_time(uow, effective_on)
    count = _open_count_row(uow, count_id)
    lines = StockCountLine.__table__
    recorded = uow.conn.execute(select(lines).where(lines.c.count_id == count_id, lines.c.counted.is_not(None))
                                .order_by(lines.c.sku_id, lines.c.location_id, lines.c.lot)).all()
    if not recorded:
        raise ValidationFailed("nothing has been counted yet", field="lines")
    adjustment = virtual_place(uow, Usage.ADJUSTMENT)
    loc = Location.__table__
    places = {r.id: r for r in uow.conn.execute(select(loc.c.id, loc.c.warehouse_id).where(
        loc.c.id.in_({x.location_id for x in recorded})))}
    moves = []
    for line in recorded:
        variance = count_variance(line.counted, line.system_qty)
        if variance == 0:
            continue
        bin_place = Place(line.location_id, Usage.INTERNAL, places[line.location_id].warehouse_id)
        source, target = (adjustment, bin_place) if variance > 0 else (bin_place, adjustment)
        moves.append(Move(line.sku_id, abs(variance), source, target, Status.SELLABLE, Status.SELLABLE, line.lot))
    if moves:
        post_moves(uow, moves, Posting(Reason.COUNT_ADJUSTMENT, "count", str(count_id),
                                         occurred_at=occurred_at))
    uow.conn.execute(update(StockCount.__table__).where(StockCount.__table__.c.id == count_id)
                     .values(state="approved", approved_by_name=actor.name, approved_at=utcnow()))
    add_event(uow, "count.approved.v1", {"count_id": count_id, "adjustments": len(moves),
                                         "warehouse_id": count.warehouse_id})  # type: ignore[attr-defined]
    return len(moves)


def cancel_count(uow: UnitOfWork, count_id: int) -> None:
    uow.require(INVENTORY_COUNT_APPROVE)
    _open_count_row(uow, count_id)
    uow.conn.execute(update(StockCount.__table__).where(StockCount.__table__.c.id == count_id)
                     .values(state="cancelled"))
    add_event(uow, "count.cancelled.v1", {"count_id": count_id})

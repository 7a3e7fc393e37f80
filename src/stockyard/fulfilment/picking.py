"""Picking with scan validation, short picks, and replenishment tasks that use the same pick flow.

    pick_list(uow, pick_list_id) -> PickListView                 lines in walking order, `next_line` to pick
    confirm_pick(uow, ConfirmPick(pick_list_id, line_id, location_code, scanned_barcode, quantity)) -> PickProgress
    report_short_pick(uow, ReportShortPick(pick_list_id, line_id, location_code, found)) -> ShortPickResult
    create_replenishment(uow, CreateReplenishment(warehouse_id, sku, from_location, to_location, quantity)) -> id
    create_transfer_pick(uow, CreateTransferPick(from_warehouse, to_warehouse, lines=[{sku, quantity}], note)) -> id

Scans are checked before anything changes: the location scanned must be the line's location (a location of another
warehouse is named as such), the item scanned (a catalog barcode or the SKU code) must be the line's SKU, and the
quantity at most what the line still needs.

Stock while picking: for an order, picked units stay reserved in the bin they came from and the pick line records
that they were picked; the shipment consumes the reservation (bin → customer) when the packed order ships. The
ledger, the levels and the reservations therefore always agree (`stockyard verify`), and an order that is cancelled
while picking simply releases its reservation. A replenishment task is different: it has no reservation, and
confirming its line moves the units from the storage bin to the pick location through the ledger at once.
A transfer list holds its units like an order (one reservation per SKU, referenced "pick_list:<id>", so they
cannot be sold meanwhile); when its last line is picked or short, the holds are released and what was picked is
dispatched as ONE transfer (inventory/transfers.py) in the same transaction, and the list records the transfer.
The destination receives it with the transfer's own receive flow.

A short pick (the bin holds fewer units than the line needs; `found` is what the picker can still take there) is
never a silent drift: the missing units are moved to quarantine status in the same bin (so they cannot be
promised again), a discrepancy is recorded with a suggestion for the bin (count it, or write the quarantined units
off), and an order's allocation is let go and allocated again (sales.orders.reallocate_short_pick): from another bin of
this warehouse (new lines on the same list, with the units the picker already holds counted in), from another
warehouse (picked there by a later wave) or, where no warehouse has them, backordered on the order line. Units the
picker holds that the new allocation does not need back in the same bin are listed to be put back. For a
transfer, the missing units' hold is let go and the transfer carries what was found.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, select, update

from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.execution_models import PickDiscrepancy, PickLine, PickList, PickWave
from stockyard.fulfilment.walking_order import walking_order
from stockyard.fulfilment.waves import add_order_lines, renumber
from stockyard.identity.domain import FULFILMENT_PICK, INVENTORY_MOVE, INVENTORY_RESERVE, INVENTORY_TRANSFER
from stockyard.inventory.domain import Move, Reason, Status
from stockyard.inventory.ledger import Posting, post_moves
from stockyard.inventory.models import Location, Reservation, ReservationLine, StockLevel, Warehouse
from stockyard.inventory.refs import LocationRef, resolve_location, resolve_sku, resolve_warehouse
from stockyard.inventory.reservations import ReserveStock, release_reservation, release_units, reserve_stock
from stockyard.inventory.transfers import DispatchTransfer, TransferLineIn, dispatch_transfer
from stockyard.sales import orders as sales_orders
from stockyard.sales.models import Order, OrderAllocation

DOCUMENT = "pick_list"
_pl, _pk, _loc, _sku = PickLine.__table__, PickList.__table__, Location.__table__, Sku.__table__


class ConfirmPick(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pick_list_id: int
    line_id: int
    location_code: str = Field(min_length=1, max_length=200, description="the location path scanned")
    scanned_barcode: str = Field(min_length=1, max_length=64, description="the item's barcode (or SKU code)")
    quantity: int = Field(default=1, gt=0, le=100_000)


class ReportShortPick(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pick_list_id: int
    line_id: int
    location_code: str = Field(min_length=1, max_length=200, description="the location path scanned")
    found: int = Field(ge=0, le=100_000, description="units the picker can still take from the bin now")


class CreateReplenishment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    warehouse_id: int | str
    sku: int | str
    from_location: int | str
    to_location: int | str
    quantity: int = Field(gt=0, le=100_000)


class TransferPickLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: int | str
    quantity: int = Field(gt=0, le=100_000)


class CreateTransferPick(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    from_warehouse: int | str
    to_warehouse: int | str
    lines: list[TransferPickLine] = Field(min_length=1, max_length=500)
    note: str = Field(default="", max_length=500)


@dataclass(frozen=True)
class PickLineView:
    id: int
    position: int
    location_id: int
    location: str
    sku_id: int
    sku: str
    name: str
    lot: str
    quantity: int
    picked: int
    state: str

    @property
    def remaining(self) -> int:
        return self.quantity - self.picked if self.state == "open" else 0


@dataclass(frozen=True)
class PickListView:
    id: int
    wave_id: int | None
    kind: str
    state: str
    warehouse_id: int
    warehouse: str
    order_id: int | None
    order_number: str
    order_status: str
    to_location: str
    created_at: datetime
    lines: list[PickLineView]
    to_warehouse: str = ""  # transfer: the destination warehouse's code
    transfer_id: int | None = None  # transfer: set once the list is picked and dispatched

    @property
    def next_line(self) -> PickLineView | None:
        return next((line for line in self.lines if line.remaining > 0), None)

    @property
    def done(self) -> bool:
        return self.next_line is None


@dataclass(frozen=True)
class PickProgress:
    line_id: int
    picked: int
    remaining: int
    list_done: bool
    next_line_id: int | None


@dataclass(frozen=True)
class ShortPickResult:
    discrepancy_id: int
    missing: int
    reallocated: int
    backordered: int
    new_line_ids: list[int] = field(default_factory=list)
    put_back: list[tuple[str, str, int]] = field(default_factory=list)  # (location path, SKU code, units)
    outcome: str = ""


# ---- read model -------------------------------------------------------------------------------------------------

def pick_list(uow: UnitOfWork, pick_list_id: int) -> PickListView:
    uow.require(FULFILMENT_PICK)
    o, w = Order.__table__, Warehouse.__table__
    to_loc, to_wh = _loc.alias("to_loc"), w.alias("to_wh")
    head = uow.conn.execute(
        select(_pk.c.id, _pk.c.wave_id, _pk.c.kind, _pk.c.state, _pk.c.warehouse_id, w.c.code, _pk.c.order_id,
               o.c.number, o.c.status, to_loc.c.path, _pk.c.created_at, to_wh.c.code.label("to_warehouse"),
               _pk.c.transfer_id)
        .join(w, w.c.id == _pk.c.warehouse_id).outerjoin(o, o.c.id == _pk.c.order_id)
        .outerjoin(to_loc, to_loc.c.id == _pk.c.to_location_id)
        .outerjoin(to_wh, to_wh.c.id == _pk.c.to_warehouse_id)
        .where(_pk.c.tenant_id == uow.tenant_id, _pk.c.id == pick_list_id)).first()
    if head is None:
        raise NotFound(f"unknown pick list {pick_list_id}", field="pick_list_id")
    lines = [PickLineView(*r) for r in uow.conn.execute(
        select(_pl.c.id, _pl.c.position, _pl.c.location_id, _loc.c.path, _pl.c.sku_id, _sku.c.code, _sku.c.name,
               _pl.c.lot, _pl.c.quantity, _pl.c.picked, _pl.c.state)
        .join(_loc, _loc.c.id == _pl.c.location_id).join(_sku, _sku.c.id == _pl.c.sku_id)
        .where(_pl.c.tenant_id == uow.tenant_id, _pl.c.pick_list_id == pick_list_id)
        .order_by(_pl.c.position, _pl.c.id))]
    return PickListView(head.id, head.wave_id, head.kind, head.state, head.warehouse_id, head.code, head.order_id,
                        head.number or "", head.status or "", head.path or "", head.created_at, lines,
                        head.to_warehouse or "", head.transfer_id)


# ---- scans ------------------------------------------------------------------------------------------------------

def _open_list(uow: UnitOfWork, pick_list_id: int) -> Any:
    actor = uow.require(FULFILMENT_PICK)
    row = uow.conn.execute(select(_pk).where(_pk.c.tenant_id == uow.tenant_id, _pk.c.id == pick_list_id)
                           .with_for_update()).first()
    if row is None:
        raise NotFound(f"unknown pick list {pick_list_id}", field="pick_list_id")
    actor.require_warehouse(row.warehouse_id)
    if row.state != "open":
        raise Conflict(f"pick list {pick_list_id} is {row.state}", field="pick_list_id")
    if row.order_id is not None:  # a held or cancelled order is not picked on
        o = Order.__table__
        number, status = uow.conn.execute(select(o.c.number, o.c.status).where(o.c.id == row.order_id)).one()
        if status != "picking":
            raise Conflict(f"order {number} is {status.replace('_', ' ')}: stop picking it", field="pick_list_id")
    return row


def _open_line(uow: UnitOfWork, pick_list_id: int, line_id: int) -> Any:
    row = uow.conn.execute(select(_pl, _loc.c.path).join(_loc, _loc.c.id == _pl.c.location_id).where(
        _pl.c.tenant_id == uow.tenant_id, _pl.c.pick_list_id == pick_list_id, _pl.c.id == line_id)
        .with_for_update(of=_pl)).first()
    if row is None:
        raise NotFound(f"pick list {pick_list_id} has no line {line_id}", field="line_id")
    if row.state != "open":
        raise Conflict(f"line {line_id} is {row.state} already", field="line_id")
    return row


def _scanned_location(uow: UnitOfWork, plist: Any, line: Any, code: str) -> LocationRef:
    try:
        where = resolve_location(uow, code, "location_code")
    except NotFound:
        raise NotFound(f"no location '{code.strip()}'", field="location_code") from None
    if where.warehouse_id != plist.warehouse_id:
        wh = uow.conn.execute(select(Warehouse.__table__.c.code).where(
            Warehouse.__table__.c.id == plist.warehouse_id)).scalar_one()
        raise ValidationFailed(f"{where.path} is in another warehouse; this pick list is for {wh}",
                               field="location_code")
    if where.id != line.location_id:
        raise ValidationFailed(f"wrong location {where.path}: pick this line from {line.path}",
                               field="location_code")
    return where


def _scanned_item(uow: UnitOfWork, line: Any, code: str) -> None:
    try:
        sku = resolve_sku(uow, code, "scanned_barcode")
    except NotFound:
        raise NotFound(f"unknown barcode '{code.strip()}'", field="scanned_barcode") from None
    if sku.id != line.sku_id:
        wanted = uow.conn.execute(select(_sku.c.code).where(_sku.c.id == line.sku_id)).scalar_one()
        raise ValidationFailed(f"wrong item {sku.code}: this line needs {wanted}", field="scanned_barcode")


def _next_open(uow: UnitOfWork, pick_list_id: int) -> int | None:
    return uow.conn.execute(select(_pl.c.id).where(_pl.c.pick_list_id == pick_list_id, _pl.c.state == "open")
                            .order_by(_pl.c.position, _pl.c.id).limit(1)).scalar()


def _finish_list_if_done(uow: UnitOfWork, plist: Any) -> bool:
    if _next_open(uow, plist.id) is not None:
        return False
    uow.conn.execute(update(_pk).where(_pk.c.id == plist.id).values(state="picked", picked_at=utcnow()))
    wave_id = plist.wave_id
    if wave_id is not None:
        still = uow.conn.execute(select(func.count()).select_from(_pk).where(
            _pk.c.wave_id == wave_id, _pk.c.state == "open")).scalar_one()
        if not still:
            uow.conn.execute(update(PickWave.__table__).where(PickWave.__table__.c.id == wave_id)
                             .values(state="done"))
    if plist.kind == "transfer":
        _dispatch_picked(uow, plist)
    add_event(uow, "fulfilment.pick_list_picked.v1", {"pick_list_id": plist.id,
                                                       "order_id": plist.order_id})
    return True


def confirm_pick(uow: UnitOfWork, cmd: ConfirmPick) -> PickProgress:
    """The picker scanned the location and the item and confirms how many units were taken."""
    plist = _open_list(uow, cmd.pick_list_id)
    line = _open_line(uow, cmd.pick_list_id, cmd.line_id)
    where = _scanned_location(uow, plist, line, cmd.location_code)
    _scanned_item(uow, line, cmd.scanned_barcode)
    remaining = line.quantity - line.picked
    if cmd.quantity > remaining:
        raise ValidationFailed(f"only {remaining} more to pick on this line", field="quantity")
    if plist.kind == "replenishment":
        target = resolve_location(uow, plist.to_location_id, "to_location")
        post_moves(uow, [Move(line.sku_id, cmd.quantity, where.place, target.place, Status.SELLABLE,
                              Status.SELLABLE, line.lot)],
                   Posting(Reason.MOVE, DOCUMENT, str(plist.id), "replenishment of a pick location"))
    picked = line.picked + cmd.quantity
    changed = uow.conn.execute(update(_pl).where(_pl.c.id == line.id, _pl.c.picked == line.picked).values(
        picked=picked, state="picked" if picked == line.quantity else "open",
        picked_by_name=uow.actor.name if uow.actor else "", picked_at=utcnow())).rowcount
    if changed != 1:
        raise Conflict("the line changed while you were scanning; scan again", field="line_id")
    add_event(uow, "fulfilment.picked.v1", {"pick_list_id": plist.id, "line_id": line.id,
                                            "sku_id": line.sku_id, "location_id": line.location_id,
                                            "quantity": cmd.quantity})
    done = _finish_list_if_done(uow, plist)
    return PickProgress(line.id, picked, line.quantity - picked, done, _next_open(uow, plist.id))


def report_short_pick(uow: UnitOfWork, cmd: ReportShortPick) -> ShortPickResult:
    """The bin holds fewer units than the line needs: `found` of the remaining units are taken, the rest is
    quarantined in the bin, recorded as a discrepancy, and re-allocated or backordered (see the module docstring)."""
    plist = _open_list(uow, cmd.pick_list_id)
    line = _open_line(uow, cmd.pick_list_id, cmd.line_id)
    where = _scanned_location(uow, plist, line, cmd.location_code)
    remaining = line.quantity - line.picked
    if cmd.found >= remaining:
        raise ValidationFailed(f"{cmd.found} found is not short: the line needs {remaining} more; confirm the pick "
                               "instead", field="found")
    missing = remaining - cmd.found
    now = utcnow()
    name = uow.actor.name if uow.actor else ""
    if plist.kind == "order":
        # The order's holds are the picker's to hand back and re-make: no inventory.reserve of their own needed.
        with uow.granting({INVENTORY_RESERVE}, because=FULFILMENT_PICK):
            # Let go of the order's reservation before quarantining, so that the missing units are free to move.
            if uow.conn.execute(select(Reservation.__table__.c.state).where(
                    Reservation.__table__.c.id == line.reservation_id)).scalar_one() == "active":
                release_reservation(uow, line.reservation_id)
            quarantined = _quarantine(uow, line, where, missing, plist.id)
            result = _reallocate(uow, plist, line, cmd.found, missing, now, name)
    elif plist.kind == "transfer":
        with uow.granting({INVENTORY_RESERVE}, because=FULFILMENT_PICK):
            # The missing units are not there to send: let go of their hold so they can be quarantined.
            release_units(uow, line.reservation_id, _level_id(uow, line), missing)
        quarantined = _quarantine(uow, line, where, missing, plist.id)
        uow.conn.execute(update(_pl).where(_pl.c.id == line.id).values(
            state="short", picked=line.picked + cmd.found, picked_by_name=name, picked_at=now))
        result = ShortPickResult(0, missing, 0, 0, outcome=f"transfer short: {missing} fewer sent")
    else:
        quarantined = _quarantine(uow, line, where, missing, plist.id)
        uow.conn.execute(update(_pl).where(_pl.c.id == line.id).values(
            state="short", picked_by_name=name, picked_at=now))
        if cmd.found:
            target = resolve_location(uow, plist.to_location_id, "to_location")
            post_moves(uow, [Move(line.sku_id, cmd.found, where.place, target.place, Status.SELLABLE,
                                  Status.SELLABLE, line.lot)],
                       Posting(Reason.MOVE, DOCUMENT, str(plist.id), "replenishment of a pick location (short)"))
            uow.conn.execute(update(_pl).where(_pl.c.id == line.id).values(picked=line.picked + cmd.found))
        result = ShortPickResult(0, missing, 0, 0, outcome="replenishment short: pick location under-filled")
    suggestion = (f"count {where.path}: {quarantined} unit(s) moved to quarantine status there; write them off if "
                  "the count confirms they are gone")
    if quarantined < missing:
        suggestion += f" ({missing - quarantined} more are missing but held for other orders: check those too)"
    discrepancy_id = uow.conn.execute(insert(PickDiscrepancy.__table__).values(
        tenant_id=uow.tenant_id, pick_line_id=line.id, warehouse_id=plist.warehouse_id, location_id=where.id,
        sku_id=line.sku_id, lot=line.lot, expected=remaining, found=cmd.found, missing=missing,
        outcome=result.outcome[:300], suggestion=suggestion[:300], state="open", actor_name=name)
        .returning(PickDiscrepancy.__table__.c.id)).scalar_one()
    add_event(uow, "fulfilment.short_pick.v1", {"discrepancy_id": discrepancy_id, "pick_list_id": plist.id,
                                                "line_id": line.id, "location_id": where.id, "sku_id": line.sku_id,
                                                "expected": remaining, "found": cmd.found, "missing": missing,
                                                "outcome": result.outcome})
    _finish_list_if_done(uow, plist)
    return ShortPickResult(discrepancy_id, missing, result.reallocated, result.backordered, result.new_line_ids,
                           result.put_back, result.outcome)


def _quarantine(uow: UnitOfWork, line: Any, where: LocationRef, missing: int, list_id: int) -> int:
    """Move what the bin cannot have (at most its free sellable units) to quarantine status in place."""
    lv = StockLevel.__table__
    free = uow.conn.execute(select(lv.c.on_hand - lv.c.reserved).where(
        lv.c.tenant_id == uow.tenant_id, lv.c.sku_id == line.sku_id, lv.c.location_id == where.id,
        lv.c.status == Status.SELLABLE.value, lv.c.lot == line.lot)).scalar() or 0
    quantity = min(missing, int(free))
    if quantity > 0:
        post_moves(uow, [Move(line.sku_id, quantity, where.place, where.place, Status.SELLABLE, Status.QUARANTINE,
                              line.lot)],
                   Posting(Reason.STATUS_CHANGE, DOCUMENT, str(list_id), f"short pick at {where.path}: to be counted"))
    return quantity


def _reallocate(uow: UnitOfWork, plist: Any, line: Any, found: int, missing: int, now: datetime,
                name: str) -> ShortPickResult:
    # What the picker holds of this allocation (this line with what was found, and its other lines' picks) is
    # counted into the new lines where they name the same bin; the rest goes back.
    siblings = list(uow.conn.execute(select(_pl.c.id, _pl.c.sku_id, _pl.c.location_id, _pl.c.lot, _pl.c.picked)
                                     .where(_pl.c.pick_list_id == plist.id, _pl.c.allocation_id == line.allocation_id,
                                            _pl.c.state.in_(("open", "picked")))))
    holding: dict[tuple[int, int, str], int] = {}
    for s in siblings:
        units = s.picked + (found if s.id == line.id else 0)
        if units:
            key = (s.sku_id, s.location_id, s.lot)
            holding[key] = holding.get(key, 0) + units
    uow.conn.execute(update(_pl).where(_pl.c.id.in_([s.id for s in siblings]), _pl.c.id != line.id)
                     .values(state="replaced"))
    uow.conn.execute(update(_pl).where(_pl.c.id == line.id).values(
        state="short", picked=line.picked + found, picked_by_name=name, picked_at=now))
    outcome = sales_orders.reallocate_short_pick(uow, plist.order_id, line.allocation_id)
    a = OrderAllocation.__table__
    here = list(uow.conn.execute(select(a.c.id).where(a.c.id.in_(outcome.new_allocation_ids),
                                                      a.c.warehouse_id == plist.warehouse_id)).scalars())
    elsewhere = len(outcome.new_allocation_ids) - len(here)
    new_ids = add_order_lines(uow, plist.id, plist.order_id, plist.warehouse_id, here, holding) if here else []
    if not here:
        renumber(uow, plist.id)
    put_back = []
    for (sku_id, location_id, _lot), units in sorted(holding.items()):
        if units > 0:
            path = uow.conn.execute(select(_loc.c.path).where(_loc.c.id == location_id)).scalar_one()
            code = uow.conn.execute(select(_sku.c.code).where(_sku.c.id == sku_id)).scalar_one()
            put_back.append((path, code, units))
    words = [f"{missing} missing"]
    if outcome.reallocated:
        words.append(f"{outcome.reallocated} re-allocated" + (" (partly in another warehouse)" if elsewhere else ""))
    if outcome.backordered:
        words.append(f"{outcome.backordered} backordered")
    if put_back:
        words.append("put back " + ", ".join(f"{u} × {c} at {p}" for p, c, u in put_back))
    return ShortPickResult(0, missing, outcome.reallocated, outcome.backordered, new_ids, put_back, "; ".join(words))


def create_replenishment(uow: UnitOfWork, cmd: CreateReplenishment) -> int:
    """A task to bring units from a storage bin to a pick location, picked through the same flow (one line)."""
    uow.require(FULFILMENT_PICK)
    uow.require(INVENTORY_MOVE)
    warehouse_id = resolve_warehouse(uow, cmd.warehouse_id, "warehouse_id")
    sku = resolve_sku(uow, cmd.sku, "sku")
    source = resolve_location(uow, cmd.from_location, "from_location", warehouse_id=warehouse_id)
    target = resolve_location(uow, cmd.to_location, "to_location", warehouse_id=warehouse_id)
    if source.id == target.id:
        raise ValidationFailed("is the location the units come from", field="to_location")
    if target.type != "picking":
        raise ValidationFailed(f"{target.path} is a {target.type} location, not a pick location", field="to_location")
    list_id = uow.conn.execute(insert(_pk).values(
        tenant_id=uow.tenant_id, warehouse_id=warehouse_id, kind="replenishment", to_location_id=target.id,
        state="open").returning(_pk.c.id)).scalar_one()
    uow.conn.execute(insert(_pl).values(tenant_id=uow.tenant_id, pick_list_id=list_id, position=1, sku_id=sku.id,
                                        location_id=source.id, lot="", quantity=cmd.quantity, picked=0,
                                        state="open", picked_by_name=""))
    add_event(uow, "fulfilment.replenishment_created.v1", {"pick_list_id": list_id, "sku_id": sku.id,
                                                           "from_location_id": source.id,
                                                           "to_location_id": target.id, "quantity": cmd.quantity})
    return int(list_id)


def create_transfer_pick(uow: UnitOfWork, cmd: CreateTransferPick) -> int:
    """Units for another warehouse, picked through the pick flow: each SKU's quantity is held (reserved) in the
    source warehouse's bins, one pick line per held bin in walking order; the list is dispatched as one transfer
    when it is picked (see the module docstring). Not enough stock for a line fails the whole request."""
    uow.require(INVENTORY_TRANSFER)
    source = resolve_warehouse(uow, cmd.from_warehouse, "from_warehouse")
    target = resolve_warehouse(uow, cmd.to_warehouse, "to_warehouse", works_in=False)
    if source == target:
        raise ValidationFailed("is the same warehouse as from_warehouse", field="to_warehouse")
    skus = [resolve_sku(uow, line.sku, f"lines[{i}].sku") for i, line in enumerate(cmd.lines)]
    seen: set[int] = set()
    for i, sku in enumerate(skus):
        if sku.id in seen:
            raise ValidationFailed(f"{sku.code} is on an earlier line already", field=f"lines[{i}].sku")
        seen.add(sku.id)
    list_id = uow.conn.execute(insert(_pk).values(
        tenant_id=uow.tenant_id, warehouse_id=source, kind="transfer", to_warehouse_id=target,
        state="open").returning(_pk.c.id)).scalar_one()
    planned: list[tuple[str, dict[str, Any]]] = []
    rl, lv = ReservationLine.__table__, StockLevel.__table__
    with uow.granting({INVENTORY_RESERVE}, because=INVENTORY_TRANSFER):
        for i, (line, sku) in enumerate(zip(cmd.lines, skus, strict=True)):
            try:
                reservation_id = reserve_stock(uow, ReserveStock(sku=sku.id, quantity=line.quantity,
                                                                 warehouse=source, reference=f"{DOCUMENT}:{list_id}"))
            except Conflict as error:
                available = (error.details or {}).get("available", 0)
                raise Conflict(f"line {i + 1}: not enough sellable {sku.code} in the source warehouse to send "
                               f"{line.quantity} ({available} free)", field=f"lines[{i}].quantity",
                               details={"available": available}) from None
            for held in uow.conn.execute(
                    select(lv.c.location_id, lv.c.lot, func.sum(rl.c.quantity).label("quantity"), _loc.c.path)
                    .join(lv, lv.c.id == rl.c.level_id).join(_loc, _loc.c.id == lv.c.location_id)
                    .where(rl.c.reservation_id == reservation_id)
                    .group_by(lv.c.location_id, lv.c.lot, _loc.c.path)):
                planned.append((held.path, {
                    "tenant_id": uow.tenant_id, "pick_list_id": list_id, "sku_id": sku.id,
                    "location_id": held.location_id, "lot": held.lot, "quantity": int(held.quantity), "picked": 0,
                    "state": "open", "picked_by_name": "", "reservation_id": reservation_id}))
    rows = [row for _, row in walking_order(planned, lambda item: item[0])]
    for position, row in enumerate(rows, start=1):
        row["position"] = position
    uow.conn.execute(insert(_pl), rows)
    return int(list_id)


def cancel_transfer_pick(uow: UnitOfWork, pick_list_id: int) -> None:
    """The transfer is called off before its list is finished: every hold of the list is let go and the list is
    cancelled. Picked units are still in their bins (picks are flags until dispatch), so nothing moves."""
    actor = uow.require(INVENTORY_TRANSFER)
    plist = uow.conn.execute(select(_pk.c.id, _pk.c.kind, _pk.c.state, _pk.c.warehouse_id).where(
        _pk.c.tenant_id == uow.tenant_id, _pk.c.id == pick_list_id)).first()
    if plist is None or plist.kind != "transfer":
        raise NotFound(f"no transfer pick list {pick_list_id}", field="pick_list_id")
    actor.require_warehouse(plist.warehouse_id)
    if uow.conn.execute(update(_pk).where(_pk.c.id == plist.id, _pk.c.state == "open")
                        .values(state="cancelled")).rowcount != 1:
        raise Conflict(f"pick list {pick_list_id} is {plist.state}: only an open list can be cancelled",
                       field="pick_list_id")
    r = Reservation.__table__
    held = uow.conn.execute(select(_pl.c.reservation_id).where(_pl.c.pick_list_id == plist.id,
                                                               _pl.c.reservation_id.is_not(None))).scalars().all()
    active = uow.conn.execute(select(r.c.id).where(r.c.id.in_(sorted(set(held))), r.c.state == "active")
                              .order_by(r.c.id)).scalars().all()
    with uow.granting({INVENTORY_RESERVE}, because=INVENTORY_TRANSFER):  # the list's own holds
        for reservation_id in active:
            release_reservation(uow, reservation_id)
    add_event(uow, "fulfilment.pick_list_cancelled.v1", {"pick_list_id": plist.id, "kind": "transfer",
                                                         "released_reservations": list(active)})


def _level_id(uow: UnitOfWork, line: Any) -> int:
    lv = StockLevel.__table__
    return int(uow.conn.execute(select(lv.c.id).where(
        lv.c.tenant_id == uow.tenant_id, lv.c.sku_id == line.sku_id, lv.c.location_id == line.location_id,
        lv.c.status == Status.SELLABLE.value, lv.c.lot == line.lot)).scalar_one())


def _dispatch_picked(uow: UnitOfWork, plist: Any) -> None:
    """The transfer list is picked: let go of its holds and send what was picked as one transfer."""
    lines = list(uow.conn.execute(select(_pl.c.sku_id, _pl.c.location_id, _pl.c.lot, _pl.c.picked,
                                         _pl.c.reservation_id)
                                  .where(_pl.c.pick_list_id == plist.id).order_by(_pl.c.position, _pl.c.id)))
    r = Reservation.__table__
    held = sorted({line.reservation_id for line in lines if line.reservation_id is not None})
    active = list(uow.conn.execute(select(r.c.id).where(r.c.id.in_(held), r.c.state == "active")).scalars())
    sent = [TransferLineIn(sku=line.sku_id, from_location=line.location_id, quantity=line.picked, lot=line.lot)
            for line in lines if line.picked > 0]
    # Creating the list needed inventory.transfer; the picker finishing it carries that decision out.
    with uow.granting({INVENTORY_RESERVE, INVENTORY_TRANSFER}, because=FULFILMENT_PICK):
        for reservation_id in active:
            release_reservation(uow, reservation_id)
        if not sent:
            return
        transfer_id = dispatch_transfer(uow, DispatchTransfer(
            from_warehouse=plist.warehouse_id, to_warehouse=plist.to_warehouse_id, lines=sent,
            note=f"pick list {plist.id}"))
    uow.conn.execute(update(_pk).where(_pk.c.id == plist.id).values(transfer_id=transfer_id))

"""Receiving: goods arrive against a purchase order, against an advance shipping notice (ASN) of one, or blind (no
order). Every receipt is one goods receipt (GR-000001, gapless per tenant) with its lines, posted to the ledger
through inventory.movements (supplier → the receiving location) at the order's unit cost, in one unit of work.

Services (stable names; the mobile pages and the API call them):
- `receive_on_order(uow, order_id, ReceivePurchaseOrder)` (also `services.receive_purchase_order_lines`);
- `create_asn(uow, order_id, CreateAsn)`, `cancel_asn(uow, asn_id)`, `receive_asn(uow, asn_id, ReceiveAsn)`;
- `receive_blind(uow, BlindReceipt)`.
A line may be named by its purchase order line id or by its SKU (code or barcode, as scanned). The location may be
left out: the warehouse's receiving location (the first active location of type "receiving") is used.

Over-receipt: a line may receive more than ordered only within the supplier's tolerance (percent of the line,
over all its receipts); the surplus is counted in the line's `over_received` and the receipt line's, never in
`received`. Beyond it the receipt is refused with the numbers, and nothing changes.

Permissions: purchasing.receive (and inventory.receive, checked by the stock receipt) to receive; purchasing.edit
to announce or cancel an ASN.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlalchemy import case, insert, select, update

from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.numbering import next_number
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import PURCHASING_EDIT, PURCHASING_RECEIVE
from stockyard.inventory.domain import WholeNumber
from stockyard.inventory.models import Location
from stockyard.inventory.movements import ReceiveStock, receive_stock_batch
from stockyard.inventory.refs import LocationRef, resolve_location, resolve_sku, resolve_skus, resolve_warehouse
from stockyard.purchasing.domain import (
    OPEN_STATES,
    OpenLine,
    POState,
    check_expected,
    check_receipt,
    check_transition,
    state_after_receipt,
)
from stockyard.purchasing.models import (
    Asn,
    AsnLine,
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrderLine,
    ReceiptNumber,
    Supplier,
    SupplierSku,
)
from stockyard.purchasing.services import (
    Receipt,
    ReceivedLine,
    ReceivePurchaseOrder,
    Ref,
    _Command,
    _load,
    _open_lines,
    _Order,
    _supplier,
    _transition,
)

_lines = PurchaseOrderLine.__table__
_asns = Asn.__table__
_asn_lines = AsnLine.__table__
_receipts = GoodsReceipt.__table__
_receipt_lines = GoodsReceiptLine.__table__
_supplier_skus = SupplierSku.__table__
_locations = Location.__table__
_skus = Sku.__table__


class AnnouncedLine(_Command):
    line_id: int | None = None
    sku: Ref | None = None
    quantity: WholeNumber = Field(gt=0, le=1_000_000)


class CreateAsn(_Command):
    expected_on: date  # when the delivery arrives (ETA)
    reference: str = Field(default="", max_length=64)  # the supplier's delivery note number
    carrier: str = Field(default="", max_length=80)
    tracking: str = Field(default="", max_length=120)
    # Empty: everything still open on the order.
    lines: list[AnnouncedLine] = Field(default_factory=list, max_length=500)
    note: str = Field(default="", max_length=500)


class ReceiveAsn(_Command):
    location: Ref | None = None
    # Empty: everything the notice announced and is not received yet, as announced.
    lines: list[ReceivedLine] = Field(default_factory=list, max_length=500)
    note: str = Field(default="", max_length=500)


class BlindLine(_Command):
    sku: Ref
    quantity: WholeNumber = Field(gt=0, le=1_000_000)
    # None: the supplier's price for the SKU when a supplier is given and sells it, else no cost.
    unit_cost: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=4)
    lot: str = Field(default="", max_length=64)


class BlindReceipt(_Command):
    warehouse: Ref
    location: Ref | None = None
    supplier: Ref | None = None
    lines: list[BlindLine] = Field(min_length=1, max_length=500)
    note: str = Field(default="", max_length=500)


def receiving_location(uow: UnitOfWork, warehouse_id: int, ref: Ref | None, field: str = "location") -> LocationRef:
    """The location named (it must be in the warehouse), or the warehouse's receiving location: its first receiving
    bin by path, else its first receiving zone."""
    if ref is not None and (not isinstance(ref, str) or ref.strip()):
        return resolve_location(uow, ref, field, warehouse_id=warehouse_id)
    found = uow.conn.execute(select(_locations.c.id).where(
        _locations.c.tenant_id == uow.tenant_id, _locations.c.warehouse_id == warehouse_id,
        _locations.c.usage == "internal", _locations.c.type == "receiving", _locations.c.active.is_(True))
        .order_by(case((_locations.c.kind == "bin", 0), else_=1), _locations.c.path).limit(1)).scalar()
    if found is None:
        raise ValidationFailed("choose where the goods go: the warehouse has no receiving location", field=field)
    return resolve_location(uow, found, field, warehouse_id=warehouse_id)


def _tolerance(uow: UnitOfWork, supplier_id: int) -> Decimal:
    t = Supplier.__table__
    found = uow.conn.execute(select(t.c.over_receipt_tolerance_pct).where(
        t.c.tenant_id == uow.tenant_id, t.c.id == supplier_id)).scalar()
    return Decimal(found or 0)


def _line_ids(uow: UnitOfWork, lines: dict[int, OpenLine], given: list[Any]) -> list[int]:
    """The order line each given line names (by id or by SKU), with the field at fault when none."""
    by_sku: dict[int, int] | None = None
    out = []
    for index, line in enumerate(given):
        if line.line_id is not None:
            out.append(line.line_id)
            continue
        sku = resolve_sku(uow, line.sku, f"lines[{index}].sku")
        if by_sku is None:
            by_sku = {r.sku_id: r.id for r in uow.conn.execute(select(_lines.c.id, _lines.c.sku_id).where(
                _lines.c.tenant_id == uow.tenant_id, _lines.c.id.in_(list(lines))))}
        if sku.id not in by_sku:
            raise ValidationFailed(f"{sku.code} is not on this purchase order", field=f"lines[{index}].sku")
        out.append(by_sku[sku.id])
    return out


def _number(uow: UnitOfWork) -> str:
    return next_number(uow, ReceiptNumber.__table__, "GR")


def _record(uow: UnitOfWork, number: str, kind: str, warehouse_id: int, location: LocationRef, note: str,
            rows: list[dict[str, Any]], *, order_id: int | None = None, asn_id: int | None = None,
            supplier_id: int | None = None) -> int:
    actor = uow.actor
    receipt_id = uow.conn.execute(insert(_receipts).returning(_receipts.c.id), {
        "tenant_id": uow.tenant_id, "number": number, "kind": kind, "purchase_order_id": order_id,
        "asn_id": asn_id, "supplier_id": supplier_id, "warehouse_id": warehouse_id, "location_id": location.id,
        "note": note, "actor_name": actor.name if actor is not None else "", "created_at": utcnow()}).scalar_one()
    uow.conn.execute(insert(_receipt_lines), [{"tenant_id": uow.tenant_id, "receipt_id": receipt_id, **row}
                                              for row in rows])
    return receipt_id


def _receive(uow: UnitOfWork, order: _Order, given: list[ReceivedLine], location_ref: Ref | None, note: str,
             asn_id: int | None = None) -> tuple[Receipt, dict[int, int]]:
    check_transition("receive", order.state)
    lines = _open_lines(uow, order.id)
    line_ids = _line_ids(uow, lines, given)
    tolerance = _tolerance(uow, order.supplier_id)
    splits = check_receipt(lines, [(line_id, g.quantity) for line_id, g in zip(line_ids, given, strict=True)],
                           tolerance)
    location = receiving_location(uow, order.warehouse_id, location_ref)
    terms = {r.id: r for r in uow.conn.execute(select(_lines.c.id, _lines.c.sku_id, _lines.c.unit_cost).where(
        _lines.c.purchase_order_id == order.id))}
    for index, (line_id, split) in enumerate(zip(line_ids, splits, strict=True)):
        seen = lines[line_id]
        # The database has the last word: a concurrent receipt of the same line makes this refuse, not exceed.
        counted = uow.conn.execute(update(_lines).where(
            _lines.c.id == line_id, _lines.c.received == seen.received,
            _lines.c.over_received == seen.over_received).values(
            received=_lines.c.received + split.fill, over_received=_lines.c.over_received + split.extra))
        if counted.rowcount != 1:
            raise Conflict(f"{seen.sku_code} was received meanwhile; reload", field=f"lines[{index}].quantity")
    move_ids = receive_stock_batch(uow, [
        ReceiveStock(sku=terms[line_id].sku_id, location=location.id, quantity=g.quantity,
                     unit_cost=terms[line_id].unit_cost, lot=g.lot, document_type="purchase_order",
                     document_id=order.number, note=note)
        for line_id, g in zip(line_ids, given, strict=True)])
    number = _number(uow)
    receipt_id = _record(uow, number, "asn" if asn_id else "purchase_order", order.warehouse_id, location, note, [
        {"po_line_id": line_id, "sku_id": terms[line_id].sku_id, "quantity": g.quantity, "over_received": split.extra,
         "unit_cost": terms[line_id].unit_cost, "lot": g.lot.strip(), "move_id": move_id}
        for line_id, g, split, move_id in zip(line_ids, given, splits, move_ids, strict=True)],
        order_id=order.id, asn_id=asn_id, supplier_id=order.supplier_id)
    arrived = {line_id: split.fill for line_id, split in zip(line_ids, splits, strict=True)}
    after = [OpenLine(line.line_id, line.sku_code, line.quantity, line.received + arrived.get(line.line_id, 0))
             for line in lines.values()]
    target = state_after_receipt(after)
    over = sum(split.extra for split in splits)
    _transition(uow, order, "receive", target, {
        "location": location.path, "move_ids": move_ids, "receipt": number, "asn_id": asn_id, "over_received": over,
        "lines": [{"line_id": line_id, "sku": lines[line_id].sku_code, "quantity": g.quantity,
                   "over_received": split.extra} for line_id, g, split in zip(line_ids, given, splits, strict=True)]})
    units = {}
    for line_id, g in zip(line_ids, given, strict=True):
        units[line_id] = units.get(line_id, 0) + g.quantity
    return Receipt(target.value, move_ids, receipt_id, number, over), units


def receive_on_order(uow: UnitOfWork, order_id: int, cmd: ReceivePurchaseOrder) -> Receipt:
    """Units that arrived for a purchase order, as one goods receipt (see the module's docstring)."""
    uow.require(PURCHASING_RECEIVE)
    order = _load(uow, order_id)
    receipt, _ = _receive(uow, order, list(cmd.lines), cmd.location, cmd.note)
    return receipt


# ---- advance shipping notices -----------------------------------------------------------------------------------

def create_asn(uow: UnitOfWork, order_id: int, cmd: CreateAsn) -> int:
    """The supplier announced a delivery for an open order: which lines, how many, by which carrier, when. The
    units announced may exceed what is open only within the supplier's over-receipt tolerance. A line announced
    in full is expected on the notice's date from now on (inbound and backorder dates follow)."""
    uow.require(PURCHASING_EDIT)
    order = _load(uow, order_id)
    if POState(order.state) not in OPEN_STATES:
        raise Conflict(f"a purchase order that is {order.state.replace('_', ' ')} expects no delivery; "
                       "send it first", field="state")
    check_expected(cmd.expected_on, utcnow().date())
    lines = _open_lines(uow, order.id)
    if cmd.lines:
        line_ids = _line_ids(uow, lines, list(cmd.lines))
        wanted = [(line_id, given.quantity) for line_id, given in zip(line_ids, cmd.lines, strict=True)]
    else:
        wanted = [(line.line_id, line.open) for line in lines.values() if line.open > 0]
        if not wanted:
            raise ValidationFailed("every line of the order is received already", field="lines")
    check_receipt(lines, wanted, _tolerance(uow, order.supplier_id))
    asn_id = uow.conn.execute(insert(_asns).returning(_asns.c.id), {
        "tenant_id": uow.tenant_id, "purchase_order_id": order.id, "reference": cmd.reference, "carrier": cmd.carrier,
        "tracking": cmd.tracking, "expected_on": cmd.expected_on, "state": "open", "note": cmd.note,
        "created_at": utcnow()}).scalar_one()
    uow.conn.execute(insert(_asn_lines), [{"tenant_id": uow.tenant_id, "asn_id": asn_id, "po_line_id": line_id,
                                           "quantity": units, "received": 0} for line_id, units in wanted])
    # A line the notice brings in full now arrives on the notice's date: inbound and backorder dates follow it.
    dated = [line_id for line_id, units in wanted if units >= lines[line_id].open > 0]
    if dated:
        uow.conn.execute(update(_lines).where(_lines.c.id.in_(dated)).values(expected_on=cmd.expected_on))
    add_event(uow, "asn.created.v1", {
        "asn_id": asn_id, "purchase_order_id": order.id, "number": order.number, "reference": cmd.reference,
        "carrier": cmd.carrier, "tracking": cmd.tracking, "expected_on": cmd.expected_on.isoformat(),
        "lines": [{"line_id": line_id, "sku": lines[line_id].sku_code, "quantity": units,
                   "expected_on_changed": line_id in dated} for line_id, units in wanted]})
    return asn_id


def _load_asn(uow: UnitOfWork, asn_id: int) -> Any:
    row = uow.conn.execute(select(_asns.c.id, _asns.c.purchase_order_id, _asns.c.state, _asns.c.reference).where(
        _asns.c.tenant_id == uow.tenant_id, _asns.c.id == asn_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"unknown shipping notice {asn_id}", field="asn")
    return row


def cancel_asn(uow: UnitOfWork, asn_id: int) -> None:
    """The announced delivery is not coming (nothing of it received yet); the order stays as it is."""
    uow.require(PURCHASING_EDIT)
    asn = _load_asn(uow, asn_id)
    if asn.state != "open":
        raise Conflict(f"a shipping notice that is {asn.state.replace('_', ' ')} cannot be cancelled",
                       field="state")
    uow.conn.execute(update(_asns).where(_asns.c.id == asn.id).values(state="cancelled"))
    add_event(uow, "asn.cancelled.v1", {"asn_id": asn.id, "purchase_order_id": asn.purchase_order_id})


def receive_asn(uow: UnitOfWork, asn_id: int, cmd: ReceiveAsn) -> Receipt:
    """Receive a delivery announced by a shipping notice: the lines given (only lines it announced), or, with
    none given, everything it announced that is not received yet. Receipts count on the order as usual."""
    uow.require(PURCHASING_RECEIVE)
    asn = _load_asn(uow, asn_id)
    if asn.state not in ("open", "partially_received"):
        raise Conflict(f"a shipping notice that is {asn.state.replace('_', ' ')} cannot be received", field="state")
    order = _load(uow, asn.purchase_order_id)
    announced = {r.po_line_id: r for r in uow.conn.execute(
        select(_asn_lines.c.id, _asn_lines.c.po_line_id, _asn_lines.c.quantity, _asn_lines.c.received)
        .where(_asn_lines.c.asn_id == asn.id).order_by(_asn_lines.c.id))}
    given = list(cmd.lines) or [ReceivedLine(line_id=r.po_line_id, quantity=r.quantity - r.received)
                                for r in announced.values() if r.quantity > r.received]
    if not given:
        raise ValidationFailed("everything announced is received already", field="lines")
    for index, line_id in enumerate(_line_ids(uow, _open_lines(uow, order.id), given)):
        if line_id not in announced:
            raise ValidationFailed("this line is not on the shipping notice", field=f"lines[{index}].line_id")
    receipt, units = _receive(uow, order, given, cmd.location, cmd.note, asn_id=asn.id)
    for line_id, quantity in units.items():
        uow.conn.execute(update(_asn_lines).where(_asn_lines.c.id == announced[line_id].id).values(
            received=_asn_lines.c.received + quantity))
    complete = all(r.received + units.get(line_id, 0) >= r.quantity for line_id, r in announced.items())
    state = "received" if complete else "partially_received"
    uow.conn.execute(update(_asns).where(_asns.c.id == asn.id).values(state=state))
    add_event(uow, "asn.received.v1", {"asn_id": asn.id, "purchase_order_id": order.id, "receipt": receipt.number,
                                       "state": state})
    return receipt


# ---- blind receipts ---------------------------------------------------------------------------------------------

def receive_blind(uow: UnitOfWork, cmd: BlindReceipt) -> Receipt:
    """Goods that came without an order (or whose order is unknown): received into the warehouse at the cost
    given, else at the supplier's price for the SKU when a supplier is named. State "blind" in the result."""
    uow.require(PURCHASING_RECEIVE)
    warehouse_id = resolve_warehouse(uow, cmd.warehouse)
    supplier = _supplier(uow, cmd.supplier) if cmd.supplier not in (None, "") else None
    location = receiving_location(uow, warehouse_id, cmd.location)
    skus = resolve_skus(uow, [line.sku for line in cmd.lines], [f"lines[{i}].sku" for i in range(len(cmd.lines))])
    prices: dict[int, Decimal] = {}
    if supplier is not None:
        prices = dict(uow.conn.execute(select(_supplier_skus.c.sku_id, _supplier_skus.c.unit_cost).where(
            _supplier_skus.c.tenant_id == uow.tenant_id, _supplier_skus.c.supplier_id == supplier.id,
            _supplier_skus.c.sku_id.in_([s.id for s in skus]))).all())
    costs = [line.unit_cost if line.unit_cost is not None else prices.get(sku.id)
             for sku, line in zip(skus, cmd.lines, strict=True)]
    number = _number(uow)
    move_ids = receive_stock_batch(uow, [
        ReceiveStock(sku=sku.id, location=location.id, quantity=line.quantity, unit_cost=cost, lot=line.lot,
                     document_type="goods_receipt", document_id=number, note=cmd.note)
        for sku, line, cost in zip(skus, cmd.lines, costs, strict=True)])
    receipt_id = _record(uow, number, "blind", warehouse_id, location, cmd.note, [
        {"po_line_id": None, "sku_id": sku.id, "quantity": line.quantity, "over_received": 0, "unit_cost": cost,
         "lot": line.lot.strip(), "move_id": move_id}
        for sku, line, cost, move_id in zip(skus, cmd.lines, costs, move_ids, strict=True)],
        supplier_id=supplier.id if supplier is not None else None)
    add_event(uow, "goods_receipt.blind.v1", {
        "receipt_id": receipt_id, "number": number, "supplier": supplier.code if supplier is not None else None,
        "warehouse_id": warehouse_id, "location": location.path, "move_ids": move_ids,
        "lines": [{"sku": sku.code, "quantity": line.quantity, "unit_cost": None if cost is None else str(cost)}
                  for sku, line, cost in zip(skus, cmd.lines, costs, strict=True)]})
    return Receipt("blind", move_ids, receipt_id, number, 0)


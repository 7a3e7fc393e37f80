"""Return use cases: request → authorise (or reject) → receive → inspect with disposition → refund, exchange or
close. Each runs in one unit of work: the return's state (a conditional UPDATE on its status), the stock moves
(through the inventory services), the order's timeline and the outbox events change together or not at all.

Permissions: a customer requests a return of their own order (the storefront passes `customer_id` from the
session); staff need returns.manage for requesting, authorising, receiving, inspecting, exchanging and closing,
and returns.refund for refunds. Receiving also needs inventory.receive and inspecting inventory.adjust (the
inventory services check them: the stock moves are theirs), and an exchange needs orders.manage (it places an
order)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, Row, func, insert, select, update

from stockyard.billing.payments import RefundPayment, refund_payment
from stockyard.catalog.images import EXTENSIONS, check_image
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.files import FileStore
from stockyard.core.numbering import next_number
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity.domain import RETURNS_MANAGE, RETURNS_REFUND
from stockyard.inventory.domain import Status as StockStatus
from stockyard.inventory.domain import WholeNumber
from stockyard.inventory.movements import ChangeStockStatus, WriteOffStock, change_stock_status, write_off_stock
from stockyard.inventory.refs import resolve_location, resolve_sku
from stockyard.inventory.return_receipts import ReceiveReturn, receive_return
from stockyard.returns.domain import (
    OPEN_STATUSES,
    REASONS,
    SUGGESTED,
    TARGET_STATUS,
    Disposition,
    Grade,
    LineState,
    RefundLine,
    check_refund,
    check_request,
    check_transition,
    parse_grade,
    refund_limit,
)
from stockyard.returns.models import ReturnAuthorization, ReturnEvent, ReturnLine, ReturnNumber, ReturnPhoto
from stockyard.sales.models import Order, OrderLine
from stockyard.sales.orders import log_event
from stockyard.sales.staff_orders import CreateExchangeOrder, ExchangeLine, create_exchange_order, record_returned

_returns = ReturnAuthorization.__table__
_rlines = ReturnLine.__table__
_photos = ReturnPhoto.__table__
_revents = ReturnEvent.__table__
_numbers = ReturnNumber.__table__
_orders = Order.__table__
_olines = OrderLine.__table__

MAX_PHOTOS = 5


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReturnLineIn(_Command):
    order_line_id: int
    quantity: WholeNumber = Field(gt=0, le=100_000)


class RequestReturn(_Command):
    order_id: int
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    reason: Literal[tuple(REASONS)]  # type: ignore[valid-type]
    reason_text: str = Field(default="", max_length=2000)


class Decision(_Command):
    note: str = Field(default="", max_length=500)


class ReceivedLineIn(_Command):
    return_line_id: int
    quantity: WholeNumber = Field(ge=0, le=100_000)


class ReceiveItems(_Command):
    location: int | str
    # Units that arrived per line; None: everything that was authorised.
    lines: list[ReceivedLineIn] | None = None
    note: str = Field(default="", max_length=500)


class InspectLineIn(_Command):
    return_line_id: int
    grade: str = Field(min_length=1, max_length=20)
    # None: what the grade suggests (returns.domain.SUGGESTED).
    disposition: Disposition | None = None
    note: str = Field(default="", max_length=500)


class InspectReturn(_Command):
    lines: list[InspectLineIn] = Field(min_length=1)


class RefundReturn(_Command):
    # None: everything the returned items (and, if asked, the shipping) were paid with.
    amount: Decimal | None = Field(default=None, max_digits=14, decimal_places=2)
    include_shipping: bool = False
    note: str = Field(default="", max_length=200)


class ExchangeLineIn(_Command):
    return_line_id: int
    # The replacement SKU (id or code); None: the same item again.
    sku: int | str | None = None


class ExchangeReturn(_Command):
    lines: list[ExchangeLineIn] | None = None  # None: every received item, like for like
    note: str = Field(default="", max_length=500)


@dataclass(frozen=True)
class StoredPhoto:
    original_key: str
    small_key: str
    content_type: str
    width: int
    height: int
    size_bytes: int


@dataclass(frozen=True)
class RequestedReturn:
    id: int
    number: str


# ---- helpers --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Return:
    id: int
    number: str
    order_id: int
    status: str
    location_id: int | None


def _load(uow: UnitOfWork, return_id: int) -> _Return:
    row = uow.conn.execute(select(_returns.c.id, _returns.c.number, _returns.c.order_id, _returns.c.status,
                                  _returns.c.location_id).where(
        _returns.c.tenant_id == uow.tenant_id, _returns.c.id == return_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"unknown return {return_id}", field="return")
    return _Return(*row)


def _order(uow: UnitOfWork, order_id: int) -> Row[Any]:
    row = uow.conn.execute(select(_orders.c.id, _orders.c.number, _orders.c.status, _orders.c.customer_id,
                                  _orders.c.currency, _orders.c.shipping_total, _orders.c.grand_total,
                                  _orders.c.prices_include_tax).where(
        _orders.c.tenant_id == uow.tenant_id, _orders.c.id == order_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"unknown order {order_id}", field="order_id")
    return row


def _lines(uow: UnitOfWork, return_id: int) -> list[Row[Any]]:
    return list(uow.conn.execute(
        select(_rlines.c.id, _rlines.c.order_line_id, _rlines.c.sku_id, _rlines.c.quantity, _rlines.c.received,
               _rlines.c.grade, _rlines.c.disposition, _olines.c.sku_code, _olines.c.unit_price, _olines.c.tax_rate)
        .join(_olines, _olines.c.id == _rlines.c.order_line_id)
        .where(_rlines.c.return_id == return_id).order_by(_rlines.c.id)))


def _timeline(uow: UnitOfWork, ret: _Return, from_status: str | None, to_status: str, note: str) -> None:
    """The return's own timeline, and an entry on the order's (whose status a return never changes)."""
    uow.conn.execute(_revents.insert(), {"tenant_id": uow.tenant_id, "return_id": ret.id, "from_status": from_status,
                                         "to_status": to_status, "note": note[:500],
                                         "actor_name": uow.actor.name if uow.actor else "", "at": utcnow()})
    order_status = uow.conn.execute(select(_orders.c.status).where(_orders.c.id == ret.order_id)).scalar_one()
    log_event(uow, ret.order_id, order_status, order_status, f"return {ret.number}: {note}")


def _move(uow: UnitOfWork, ret: _Return, action: str, note: str, payload: dict[str, Any],
          **values: Any) -> None:
    """One transition: a conditional UPDATE on the status (rowcount checked), the timelines and the event."""
    target = check_transition(action, ret.status)
    changed = uow.conn.execute(update(_returns).where(
        _returns.c.id == ret.id, _returns.c.status == ret.status).values(status=target.value, updated_at=utcnow(),
                                                                         **values))
    if changed.rowcount != 1:
        raise Conflict("the return changed while you were looking at it; reload", field="status")
    _timeline(uow, ret, ret.status, target.value, note)
    event = {"authorize": "authorized", "reject": "rejected", "receive": "received", "inspect": "inspected",
             "refund": "refunded", "exchange": "exchanged", "close": "closed"}[action]
    add_event(uow, f"return.{event}.v1", {"return_id": ret.id, "number": ret.number, "order_id": ret.order_id,
                                          "from": ret.status, "to": target.value, **payload})


def _next_number(uow: UnitOfWork) -> str:
    return next_number(uow, _numbers, "RMA")


def line_states(uow: UnitOfWork, order_id: int) -> dict[int, LineState]:
    """Per order line: shipped, returned, and units in returns still on their way back."""
    open_requests = (select(_rlines.c.order_line_id, func.sum(_rlines.c.quantity).label("units"))
                     .join(_returns, _returns.c.id == _rlines.c.return_id)
                     .where(_returns.c.tenant_id == uow.tenant_id, _returns.c.order_id == order_id,
                            _returns.c.status.in_([s.value for s in OPEN_STATUSES]))
                     .group_by(_rlines.c.order_line_id).subquery())
    rows = uow.conn.execute(
        select(_olines.c.id, _olines.c.sku_code, _olines.c.shipped, _olines.c.returned,
               func.coalesce(open_requests.c.units, 0).label("requested"))
        .outerjoin(open_requests, open_requests.c.order_line_id == _olines.c.id)
        .where(_olines.c.tenant_id == uow.tenant_id, _olines.c.order_id == order_id).order_by(_olines.c.id))
    return {r.id: LineState(r.id, r.sku_code, r.shipped, r.returned, int(r.requested)) for r in rows}


# ---- request ----------------------------------------------------------------------------------------------------

def request_return(uow: UnitOfWork, cmd: RequestReturn, *, customer_id: int | None = None,
                   photos: Sequence[StoredPhoto] = ()) -> RequestedReturn:
    """A customer asks to send delivered items back (`customer_id`: the signed-in customer, who must own the
    order), or staff record such a request (returns.manage)."""
    if customer_id is None:
        uow.require(RETURNS_MANAGE)
    if uow.actor is None:
        raise ValidationFailed("a return needs someone acting", field="actor")
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(f"at most {MAX_PHOTOS} photos", field="photos")
    order = _order(uow, cmd.order_id)
    if customer_id is not None and order.customer_id != customer_id:
        raise NotFound(f"unknown order {cmd.order_id}", field="order_id")
    states = line_states(uow, order.id)
    check_request(order.status, states, [(line.order_line_id, line.quantity) for line in cmd.lines])
    now = utcnow()
    number = _next_number(uow)
    return_id = uow.conn.execute(insert(_returns).returning(_returns.c.id), {
        "tenant_id": uow.tenant_id, "number": number, "order_id": order.id, "customer_id": order.customer_id,
        "status": "requested", "initiated_by": "customer" if customer_id is not None else "staff",
        "reason": cmd.reason, "reason_text": cmd.reason_text.strip(), "decision_note": "", "refunded_amount": 0,
        "refunded_shipping": False, "updated_at": now, "created_at": now}).scalar_one()
    skus = dict(uow.conn.execute(select(_olines.c.id, _olines.c.sku_id).where(_olines.c.order_id == order.id)).all())
    uow.conn.execute(insert(_rlines), [
        {"tenant_id": uow.tenant_id, "return_id": return_id, "order_line_id": line.order_line_id,
         "sku_id": skus[line.order_line_id], "quantity": line.quantity, "received": 0, "inspection_note": ""}
        for line in cmd.lines])
    if photos:
        uow.conn.execute(insert(_photos), [
            {"tenant_id": uow.tenant_id, "return_id": return_id, "original_key": p.original_key,
             "small_key": p.small_key, "content_type": p.content_type, "width": p.width, "height": p.height,
             "size_bytes": p.size_bytes, "created_at": now} for p in photos])
    units = ", ".join(f"{line.quantity} × {states[line.order_line_id].sku_code}" for line in cmd.lines)
    ret = _Return(return_id, number, order.id, "requested", None)
    who = "the customer" if customer_id is not None else uow.actor.name
    _timeline(uow, ret, None, "requested", f"return requested by {who} ({REASONS[cmd.reason]}): {units}")
    add_event(uow, "return.requested.v1", {
        "return_id": return_id, "number": number, "order_id": order.id, "order_number": order.number,
        "initiated_by": "customer" if customer_id is not None else "staff", "reason": cmd.reason,
        "lines": [{"order_line_id": line.order_line_id, "quantity": line.quantity} for line in cmd.lines],
        "photos": len(photos)})
    return RequestedReturn(return_id, number)


def store_photos(store: FileStore, tenant_id: int, uploads: Sequence[bytes], *, max_bytes: int,
                 max_pixels: int) -> list[StoredPhoto]:
    """Checks every upload as an image (catalog/images.check_image) before writing any, then writes the original
    and a small thumbnail of each. The caller deletes them again (discard_photos) if the request fails."""
    if len(uploads) > MAX_PHOTOS:
        raise ValidationFailed(f"at most {MAX_PHOTOS} photos", field="photos")
    checked = []
    for data in uploads:
        try:
            checked.append(check_image(data, max_bytes=max_bytes, max_pixels=max_pixels))
        except ValidationFailed as error:
            raise ValidationFailed(error.message, field="photos") from None
    stored: list[StoredPhoto] = []
    try:
        for image in checked:
            stem = f"t{tenant_id}/returns/{uuid.uuid4().hex}"
            photo = StoredPhoto(f"{stem}.{EXTENSIONS[image.format]}", f"{stem}-160.webp", image.content_type,
                                image.width, image.height, len(image.data))
            store.put(photo.original_key, image.data, image.content_type)
            store.put(photo.small_key, image.thumbnails["small"], "image/webp")
            stored.append(photo)
    except BaseException:
        discard_photos(store, stored)
        raise
    return stored


def discard_photos(store: FileStore, photos: Sequence[StoredPhoto]) -> None:
    for photo in photos:
        store.delete(photo.original_key)
        store.delete(photo.small_key)


def request_return_with_photos(engine: Engine, actor: Actor, store: FileStore, cmd: RequestReturn,
                               uploads: Sequence[bytes], *, customer_id: int | None, max_bytes: int,
                               max_pixels: int) -> RequestedReturn:
    """The photos are written to the file store first; if the request is refused they are deleted again, so a
    refused request leaves nothing behind."""
    photos = store_photos(store, actor.tenant_id, uploads, max_bytes=max_bytes, max_pixels=max_pixels)
    try:
        return perform(engine, actor, request_return, cmd, customer_id=customer_id, photos=photos)
    except BaseException:
        discard_photos(store, photos)
        raise


# ---- staff decisions ----------------------------------------------------------------------------------------------

def authorize_return(uow: UnitOfWork, return_id: int, cmd: Decision) -> None:
    uow.require(RETURNS_MANAGE)
    ret = _load(uow, return_id)
    note = cmd.note.strip()
    _move(uow, ret, "authorize", "authorised" + (f": {note}" if note else ""), {"note": note},
          decision_note=note)


def reject_return(uow: UnitOfWork, return_id: int, cmd: Decision) -> None:
    uow.require(RETURNS_MANAGE)
    note = cmd.note.strip()
    if not note:
        raise ValidationFailed("say why the return is rejected (the customer sees this)", field="note")
    ret = _load(uow, return_id)
    _move(uow, ret, "reject", f"rejected: {note}", {"note": note}, decision_note=note)


# ---- receipt ------------------------------------------------------------------------------------------------------

def receive_items(uow: UnitOfWork, return_id: int, cmd: ReceiveItems) -> list[int]:
    """The parcel arrived: the units land in `location` as return_pending stock and count as returned on the
    order. Returns the stock move ids."""
    uow.require(RETURNS_MANAGE)
    ret = _load(uow, return_id)
    check_transition("receive", ret.status)
    location = resolve_location(uow, cmd.location)
    lines = _lines(uow, ret.id)
    by_id = {line.id: line for line in lines}
    arrived = {line.id: line.quantity for line in lines}
    if cmd.lines is not None:
        arrived = {line.id: 0 for line in lines}
        for index, given in enumerate(cmd.lines):
            line = by_id.get(given.return_line_id)
            if line is None:
                raise ValidationFailed("this item is not on the return", field=f"lines[{index}].return_line_id")
            if given.quantity > line.quantity:
                raise ValidationFailed(f"only {line.quantity} unit(s) were authorised",
                                       field=f"lines[{index}].quantity")
            arrived[line.id] = given.quantity
    if not any(arrived.values()):
        raise ValidationFailed("nothing arrived? enter the units received", field="lines")
    move_ids = receive_return(uow, ReceiveReturn(
        warehouse=location.warehouse_id, location=location.id, document_id=ret.number, note=cmd.note.strip(),
        lines=[(by_id[lid].sku_id, q) for lid, q in arrived.items() if q > 0]))
    record_returned(uow, ret.order_id, {by_id[lid].order_line_id: q for lid, q in arrived.items() if q > 0})
    for lid, quantity in arrived.items():
        uow.conn.execute(update(_rlines).where(_rlines.c.id == lid).values(received=quantity))
    units = ", ".join(f"{q} × {by_id[lid].sku_code}" for lid, q in arrived.items() if q > 0)
    _move(uow, ret, "receive", f"received {units} into {location.path}",
          {"location": location.path, "lines": [{"return_line_id": lid, "received": q} for lid, q in arrived.items()],
           "move_ids": move_ids}, location_id=location.id)
    return move_ids


# ---- inspection and disposition -------------------------------------------------------------------------------------

def inspect_return(uow: UnitOfWork, return_id: int, cmd: InspectReturn) -> list[int]:
    """A grade and a disposition for every received line; the return_pending units move accordingly: restock →
    sellable, quarantine → quarantine, damaged → damaged, refurbish → quarantine (noted 'refurbish': the inventory
    has no refurbish status), scrap → written off. Returns the stock move ids."""
    uow.require(RETURNS_MANAGE)
    ret = _load(uow, return_id)
    check_transition("inspect", ret.status)
    if ret.location_id is None:
        raise Conflict("the return was never received", field="status")
    lines = {line.id: line for line in _lines(uow, ret.id) if line.received > 0}
    given: dict[int, InspectLineIn] = {}
    for index, item in enumerate(cmd.lines):
        if item.return_line_id not in lines:
            raise ValidationFailed("this item was not received on this return",
                                   field=f"lines[{index}].return_line_id")
        given[item.return_line_id] = item
    missing = [lines[lid].sku_code for lid in lines if lid not in given]
    if missing:
        raise ValidationFailed(f"grade every received item ({', '.join(missing)} missing)", field="lines")
    move_ids: list[int] = []
    summary = []
    for index, item in enumerate(cmd.lines):
        line = lines[item.return_line_id]
        grade = parse_grade(item.grade, field=f"lines[{index}].grade")
        disposition = item.disposition or SUGGESTED[grade]
        note = f"return {ret.number}: {disposition.value}" + (f" ({item.note.strip()})" if item.note.strip() else "")
        target = TARGET_STATUS[disposition]
        if target is None:
            move_ids.append(write_off_stock(uow, WriteOffStock(
                sku=line.sku_id, location=ret.location_id, quantity=line.received,
                reason="damaged" if grade in (Grade.C, Grade.D) else "other",
                status=StockStatus.RETURN_PENDING, note=note)))
        else:
            move_ids.append(change_stock_status(uow, ChangeStockStatus(
                sku=line.sku_id, location=ret.location_id, quantity=line.received,
                from_status=StockStatus.RETURN_PENDING, to_status=StockStatus(target), note=note)))
        uow.conn.execute(update(_rlines).where(_rlines.c.id == line.id).values(
            grade=grade.value, disposition=disposition.value, inspection_note=item.note.strip()))
        summary.append({"return_line_id": line.id, "sku": line.sku_code, "quantity": line.received,
                        "grade": grade.value, "disposition": disposition.value})
    text = ", ".join(f"{s['quantity']} × {s['sku']} grade {s['grade']} → {s['disposition']}" for s in summary)
    _move(uow, ret, "inspect", f"inspected: {text}", {"lines": summary, "move_ids": move_ids})
    return move_ids


# ---- settlement -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RefundQuote:
    goods: Decimal  # the most for the returned items alone
    with_shipping: Decimal  # the most with the shipping charge (equal to goods when it cannot be refunded)
    shipping_refundable: bool
    currency: str


def refund_quote(uow: UnitOfWork, return_id: int) -> RefundQuote:
    """What may be refunded for this return (read-only; the refund itself checks again under lock)."""
    ret = uow.conn.execute(select(_returns.c.id, _returns.c.order_id).where(
        _returns.c.tenant_id == uow.tenant_id, _returns.c.id == return_id)).first()
    if ret is None:
        raise NotFound(f"unknown return {return_id}", field="return")
    order = uow.conn.execute(select(_orders).where(_orders.c.id == ret.order_id)).one()
    return _quote(uow, ret.id, order)


def _quote(uow: UnitOfWork, return_id: int, order: Row[Any]) -> RefundQuote:
    lines = _lines(uow, return_id)
    others = uow.conn.execute(select(func.coalesce(func.sum(_returns.c.refunded_amount), 0),
                                     func.count().filter(_returns.c.refunded_shipping.is_(True))).where(
        _returns.c.tenant_id == uow.tenant_id, _returns.c.order_id == order.id)).one()
    already, shipping_taken = Decimal(others[0]), int(others[1] or 0) > 0
    refund_lines = [RefundLine(line.received, line.unit_price, line.tax_rate) for line in lines]
    rate = lines[0].tax_rate if lines else Decimal(0)

    def limit(include_shipping: bool) -> Decimal:
        return refund_limit(refund_lines, tax_rate=rate, prices_include_tax=order.prices_include_tax,
                            shipping=order.shipping_total, include_shipping=include_shipping,
                            order_total=order.grand_total, already_refunded=already)

    shipping_ok = not shipping_taken and order.shipping_total > 0
    return RefundQuote(limit(False), limit(shipping_ok), shipping_ok, order.currency)


def refund_return(uow: UnitOfWork, return_id: int, cmd: RefundReturn) -> Decimal:
    """Pays back the returned items (and the shipping charge, once per order, when asked) through the order's
    payment gateway. Refuses more than was paid for them. Returns the amount refunded."""
    uow.require(RETURNS_REFUND)
    ret = _load(uow, return_id)
    check_transition("refund", ret.status)
    order = _order(uow, ret.order_id)
    quote = _quote(uow, ret.id, order)
    if cmd.include_shipping and not quote.shipping_refundable:
        raise Conflict("the shipping charge was already refunded with another return (or there was none)",
                       field="include_shipping")
    limit = quote.with_shipping if cmd.include_shipping else quote.goods
    amount = limit if cmd.amount is None else cmd.amount
    check_refund(amount, limit, quote.currency)
    note = cmd.note.strip()
    refund_payment(uow, RefundPayment(order_id=ret.order_id, amount=amount,
                                      reason=f"return {ret.number}" + (f": {note}" if note else "")))
    _move(uow, ret, "refund", f"refunded {amount} {quote.currency}" + (" incl. shipping" if cmd.include_shipping
                                                                         else "") + (f": {note}" if note else ""),
          {"amount": str(amount), "currency": quote.currency, "include_shipping": cmd.include_shipping},
          refunded_amount=amount, refunded_shipping=cmd.include_shipping)
    return amount


def exchange_return(uow: UnitOfWork, return_id: int, cmd: ExchangeReturn) -> int:
    """Instead of money, the customer gets replacement items: a new order (sales/staff_orders.py), paid by the
    returned goods. Returns the new order's id."""
    uow.require(RETURNS_MANAGE)
    ret = _load(uow, return_id)
    check_transition("exchange", ret.status)
    lines = {line.id: line for line in _lines(uow, ret.id) if line.received > 0}
    wanted = cmd.lines if cmd.lines is not None else [ExchangeLineIn(return_line_id=lid) for lid in lines]
    if not wanted:
        raise ValidationFailed("choose at least one item to replace", field="lines")
    replacements = []
    for index, item in enumerate(wanted):
        line = lines.get(item.return_line_id)
        if line is None:
            raise ValidationFailed("this item was not received on this return", field=f"lines[{index}].return_line_id")
        sku_id = line.sku_id if item.sku in (None, "") else resolve_sku(uow, item.sku, f"lines[{index}].sku").id
        price = Decimal(0) if sku_id == line.sku_id else line.unit_price
        replacements.append(ExchangeLine(sku_id, line.received, price))
    created = create_exchange_order(uow, CreateExchangeOrder(ret.order_id, ret.number, replacements))
    note = cmd.note.strip()
    _move(uow, ret, "exchange", f"exchanged: replacement order {created.number}" + (f" ({note})" if note else ""),
          {"exchange_order_id": created.id, "exchange_order_number": created.number}, exchange_order_id=created.id)
    return created.id


def close_return(uow: UnitOfWork, return_id: int, cmd: Decision) -> None:
    """Settle an inspected return without refund or exchange (the items were not eligible, say)."""
    uow.require(RETURNS_MANAGE)
    note = cmd.note.strip()
    if not note:
        raise ValidationFailed("say why the return is closed without refund or exchange", field="note")
    ret = _load(uow, return_id)
    _move(uow, ret, "close", f"closed: {note}", {"note": note}, decision_note=note)

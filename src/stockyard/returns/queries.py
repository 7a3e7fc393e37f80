"""Read models for the returns queue, a return's detail, and the customer's own returns."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound
from stockyard.core.pagination import Page, paginate
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import RETURNS_VIEW
from stockyard.inventory.models import Location
from stockyard.returns.domain import OPEN_STATUSES, RETURNABLE_ORDER_STATUSES, ReturnStatus
from stockyard.returns.models import ReturnAuthorization, ReturnEvent, ReturnLine, ReturnPhoto
from stockyard.returns.services import RefundQuote, line_states, refund_quote
from stockyard.sales.models import Order, OrderLine

_returns = ReturnAuthorization.__table__
_rlines = ReturnLine.__table__
_photos = ReturnPhoto.__table__
_revents = ReturnEvent.__table__
_orders = Order.__table__
_olines = OrderLine.__table__
_locations = Location.__table__


@dataclass(frozen=True)
class ReturnRow:
    id: int
    number: str
    order_number: str
    email: str
    status: str
    reason: str
    initiated_by: str
    units: int
    created_at: datetime
    updated_at: datetime

    @property
    def age_days(self) -> int:
        return max((utcnow() - self.created_at).days, 0)


_LIST = (
    select(_returns.c.id, _returns.c.number, _orders.c.number.label("order_number"), _orders.c.email,
           _returns.c.status, _returns.c.reason, _returns.c.initiated_by,
           select(func.coalesce(func.sum(_rlines.c.quantity), 0)).where(_rlines.c.return_id == _returns.c.id)
           .scalar_subquery().label("units"),
           _returns.c.created_at, _returns.c.updated_at)
    .join(_orders, _orders.c.id == _returns.c.order_id)
)


@requires(RETURNS_VIEW)
def list_returns(uow: UnitOfWork, *, status: str | None = None, older_than_days: int | None = None,
                 q: str = "", page: int = 1, per_page: int = 50) -> Page[ReturnRow]:
    """The queue: oldest first among the open ones (they wait for someone), filtered by status and age."""
    stmt = _LIST.where(_returns.c.tenant_id == uow.tenant_id)
    if status == "open":
        stmt = stmt.where(_returns.c.status.in_(["requested", "authorized", "received", "inspected"]))
    elif status:
        stmt = stmt.where(_returns.c.status == ReturnStatus(status).value)
    if older_than_days:
        stmt = stmt.where(_returns.c.created_at <= utcnow() - timedelta(days=older_than_days))
    text = q.strip()
    if text:
        like = f"%{text}%"
        stmt = stmt.where(_returns.c.number.ilike(like) | _orders.c.number.ilike(like) | _orders.c.email.ilike(like))
    result = paginate(uow.conn.execute, stmt.order_by(_returns.c.created_at, _returns.c.id), page, per_page)
    return Page([ReturnRow(**r._mapping) for r in result.items], result.total, result.page, result.per_page)


@dataclass(frozen=True)
class DetailLine:
    id: int
    order_line_id: int
    sku_id: int
    sku_code: str
    name: str
    quantity: int
    received: int
    unit_price: Decimal
    grade: str | None
    disposition: str | None
    inspection_note: str


@dataclass(frozen=True)
class Photo:
    id: int
    width: int
    height: int


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    from_status: str | None
    to_status: str
    note: str
    actor_name: str


@dataclass(frozen=True)
class ReturnDetail:
    id: int
    number: str
    status: str
    order_id: int
    order_number: str
    order_status: str
    customer_id: int | None
    email: str
    currency: str
    initiated_by: str
    reason: str
    reason_text: str
    decision_note: str
    location: str | None
    refunded_amount: Decimal
    refunded_shipping: bool
    exchange_order_id: int | None
    exchange_order_number: str | None
    created_at: datetime
    lines: list[DetailLine]
    photos: list[Photo]
    timeline: list[TimelineEntry]
    quote: RefundQuote | None


def _detail(uow: UnitOfWork, return_id: int, customer_id: int | None = None) -> ReturnDetail:
    exchange = _orders.alias("exchange")
    stmt = (select(_returns, _orders.c.number.label("order_number"), _orders.c.status.label("order_status"),
                   _orders.c.email, _orders.c.currency, _locations.c.path.label("location"),
                   exchange.c.number.label("exchange_order_number"))
            .join(_orders, _orders.c.id == _returns.c.order_id)
            .outerjoin(_locations, _locations.c.id == _returns.c.location_id)
            .outerjoin(exchange, exchange.c.id == _returns.c.exchange_order_id)
            .where(_returns.c.tenant_id == uow.tenant_id, _returns.c.id == return_id))
    if customer_id is not None:
        stmt = stmt.where(_returns.c.customer_id == customer_id)
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"unknown return {return_id}", field="return")
    lines = [DetailLine(**r._mapping) for r in uow.conn.execute(
        select(_rlines.c.id, _rlines.c.order_line_id, _rlines.c.sku_id, _olines.c.sku_code, _olines.c.name,
               _rlines.c.quantity, _rlines.c.received, _olines.c.unit_price, _rlines.c.grade, _rlines.c.disposition,
               _rlines.c.inspection_note)
        .join(_olines, _olines.c.id == _rlines.c.order_line_id)
        .where(_rlines.c.return_id == return_id).order_by(_rlines.c.id))]
    photos = [Photo(*r) for r in uow.conn.execute(select(_photos.c.id, _photos.c.width, _photos.c.height)
                                                  .where(_photos.c.return_id == return_id).order_by(_photos.c.id))]
    timeline = [TimelineEntry(*r) for r in uow.conn.execute(
        select(_revents.c.at, _revents.c.from_status, _revents.c.to_status, _revents.c.note, _revents.c.actor_name)
        .where(_revents.c.return_id == return_id).order_by(_revents.c.at, _revents.c.id))]
    m = row._mapping
    quote = refund_quote(uow, return_id) if m["status"] == ReturnStatus.INSPECTED.value else None
    return ReturnDetail(
        id=m["id"], number=m["number"], status=m["status"], order_id=m["order_id"], order_number=m["order_number"],
        order_status=m["order_status"], customer_id=m["customer_id"], email=m["email"], currency=m["currency"],
        initiated_by=m["initiated_by"], reason=m["reason"], reason_text=m["reason_text"],
        decision_note=m["decision_note"], location=m["location"], refunded_amount=m["refunded_amount"],
        refunded_shipping=m["refunded_shipping"], exchange_order_id=m["exchange_order_id"],
        exchange_order_number=m["exchange_order_number"], created_at=m["created_at"], lines=lines, photos=photos,
        timeline=timeline, quote=quote)


@requires(RETURNS_VIEW)
def return_detail(uow: UnitOfWork, return_id: int) -> ReturnDetail:
    return _detail(uow, return_id)


@requires(RETURNS_VIEW)
def return_id_by_number(uow: UnitOfWork, number: str) -> int:
    found = uow.conn.execute(select(_returns.c.id).where(_returns.c.tenant_id == uow.tenant_id,
                                                         _returns.c.number == number.strip().upper())).scalar()
    if found is None:
        raise NotFound(f"unknown return {number}", field="return")
    return found


@requires(RETURNS_VIEW)
def photo_file(uow: UnitOfWork, photo_id: int, size: str = "small") -> tuple[str, str]:
    """(object key, content type) of a return photo, for staff."""
    return _photo(uow, photo_id, size, None)


def customer_photo_file(uow: UnitOfWork, customer_id: int, photo_id: int, size: str = "small",
                        number: str | None = None) -> tuple[str, str]:
    """The same for the customer who sent it, on the return it belongs to."""
    return _photo(uow, photo_id, size, customer_id, number)


def _photo(uow: UnitOfWork, photo_id: int, size: str, customer_id: int | None,
           number: str | None = None) -> tuple[str, str]:
    stmt = (select(_photos.c.original_key, _photos.c.small_key, _photos.c.content_type)
            .join(_returns, _returns.c.id == _photos.c.return_id)
            .where(_photos.c.tenant_id == uow.tenant_id, _photos.c.id == photo_id))
    if customer_id is not None:
        stmt = stmt.where(_returns.c.customer_id == customer_id)
    if number is not None:
        stmt = stmt.where(_returns.c.number == number)
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise NotFound("unknown photo", field="photo")
    return (row.small_key, "image/webp") if size == "small" else (row.original_key, row.content_type)


# ---- the customer's side --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReturnableLine:
    order_line_id: int
    sku_code: str
    name: str
    shipped: int
    returned: int
    returnable: int


@dataclass(frozen=True)
class ReturnableOrder:
    order_id: int
    number: str
    status: str
    can_return: bool
    lines: list[ReturnableLine]


def returnable_order(uow: UnitOfWork, customer_id: int, order_number: str) -> ReturnableOrder:
    """One of the customer's orders with what each line may still send back (the return request form)."""
    return _returnable(uow, order_number, customer_id)


@requires(RETURNS_VIEW)
def staff_returnable_order(uow: UnitOfWork, order_number: str) -> ReturnableOrder:
    """Any order of the tenant, for staff recording a return."""
    return _returnable(uow, order_number.strip().upper(), None)


def _returnable(uow: UnitOfWork, order_number: str, customer_id: int | None) -> ReturnableOrder:
    stmt = select(_orders.c.id, _orders.c.number, _orders.c.status).where(
        _orders.c.tenant_id == uow.tenant_id, _orders.c.number == order_number)
    if customer_id is not None:
        stmt = stmt.where(_orders.c.customer_id == customer_id)
    order = uow.conn.execute(stmt).first()
    if order is None:
        raise NotFound(f"unknown order {order_number}", field="order")
    states = line_states(uow, order.id)
    names = dict(uow.conn.execute(select(_olines.c.id, _olines.c.name).where(_olines.c.order_id == order.id)).all())
    lines = [ReturnableLine(s.order_line_id, s.sku_code, names[s.order_line_id], s.shipped, s.returned, s.returnable)
             for s in states.values()]
    can = order.status in RETURNABLE_ORDER_STATUSES and any(line.returnable for line in lines)
    return ReturnableOrder(order.id, order.number, order.status, can, lines)


@dataclass(frozen=True)
class CustomerReturn:
    number: str
    order_number: str
    status: str
    created_at: datetime
    units: int


def customer_returns(uow: UnitOfWork, customer_id: int, limit: int = 100) -> list[CustomerReturn]:
    rows = uow.conn.execute(_LIST.where(_returns.c.tenant_id == uow.tenant_id, _returns.c.customer_id == customer_id)
                            .order_by(_returns.c.created_at.desc(), _returns.c.id.desc()).limit(limit))
    return [CustomerReturn(r.number, r.order_number, r.status, r.created_at, int(r.units)) for r in rows]


def customer_return(uow: UnitOfWork, customer_id: int, number: str) -> ReturnDetail:
    found = uow.conn.execute(select(_returns.c.id).where(
        _returns.c.tenant_id == uow.tenant_id, _returns.c.customer_id == customer_id,
        _returns.c.number == number.strip().upper())).scalar()
    if found is None:
        raise NotFound(f"unknown return {number}", field="return")
    return _detail(uow, found, customer_id)


def open_return_count(uow: UnitOfWork) -> int:
    return uow.conn.execute(select(func.count()).select_from(_returns).where(
        _returns.c.tenant_id == uow.tenant_id, _returns.c.status.in_([s.value for s in OPEN_STATUSES]))).scalar_one()


def locations_for_receipt(uow: UnitOfWork) -> list[tuple[int, str]]:
    """Bins a return can be received into (id, path), as the actor may work in them."""
    rows = uow.conn.execute(select(_locations.c.id, _locations.c.path, _locations.c.warehouse_id).where(
        _locations.c.tenant_id == uow.tenant_id, _locations.c.usage == "internal", _locations.c.kind == "bin",
        _locations.c.active.is_(True)).order_by(_locations.c.path))
    actor = uow.actor
    return [(r.id, r.path) for r in rows
            if actor is None or actor.warehouse_ids is None or r.warehouse_id in actor.warehouse_ids]


def as_json(detail: ReturnDetail) -> dict[str, Any]:
    quote = detail.quote
    return {
        "id": detail.id, "number": detail.number, "status": detail.status, "order_id": detail.order_id,
        "order_number": detail.order_number, "initiated_by": detail.initiated_by, "reason": detail.reason,
        "reason_text": detail.reason_text, "decision_note": detail.decision_note, "location": detail.location,
        "refunded_amount": str(detail.refunded_amount), "refunded_shipping": detail.refunded_shipping,
        "exchange_order_id": detail.exchange_order_id, "exchange_order_number": detail.exchange_order_number,
        "currency": detail.currency, "created_at": detail.created_at.isoformat(),
        "lines": [{"id": line.id, "order_line_id": line.order_line_id, "sku": line.sku_code, "name": line.name,
                   "quantity": line.quantity, "received": line.received, "unit_price": str(line.unit_price),
                   "grade": line.grade, "disposition": line.disposition} for line in detail.lines],
        "photos": [{"id": p.id, "width": p.width, "height": p.height} for p in detail.photos],
        "timeline": [{"at": t.at.isoformat(), "from": t.from_status, "to": t.to_status, "note": t.note,
                      "actor": t.actor_name} for t in detail.timeline],
        "refund_limit": None if quote is None else {
            "goods": str(quote.goods), "with_shipping": str(quote.with_shipping),
            "shipping_refundable": quote.shipping_refundable},
    }

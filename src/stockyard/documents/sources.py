"""What each document type prints, read from the object it belongs to (read-only; the other contexts' read models
where they have one, a few joins where they do not). Each source returns a Draft: the object's reference, the
object's own number where the document carries it, and a function that renders the PDF once the number is known.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from stockyard.billing import invoices
from stockyard.billing.tax_domain import TaxLine, summed, tax_breakdown
from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.money import round_money
from stockyard.core.uow import UnitOfWork
from stockyard.documents.kinds import DocType, Subject
from stockyard.documents.pdf_count_sheet import CountItem, CountSheetData, render_count_sheet_pdf
from stockyard.documents.pdf_credit_note import CreditNoteData, render_credit_note_pdf
from stockyard.documents.pdf_goods_receipt import GoodsReceiptData, ReceivedLine, render_goods_receipt_pdf
from stockyard.documents.pdf_layout import DocumentLine
from stockyard.documents.pdf_packing import ItemLine, PackingData, render_delivery_note_pdf, render_packing_slip_pdf
from stockyard.documents.pdf_pick_list import PickLine, PickListData, render_pick_list_pdf
from stockyard.documents.pdf_purchase_order import PurchaseOrderData, render_purchase_order_pdf
from stockyard.documents.pdf_transfer import TransferData, TransferItem, render_transfer_pdf
from stockyard.fulfilment.models import Carrier, Shipment, ShippingMethod
from stockyard.identity.models import Tenant
from stockyard.inventory import queries as stock_queries
from stockyard.inventory.models import (
    Location,
    Reservation,
    ReservationLine,
    StockCount,
    StockLevel,
    Transfer,
    Warehouse,
)
from stockyard.purchasing.models import PurchaseOrder
from stockyard.purchasing.queries import purchase_order_detail
from stockyard.returns.models import ReturnAuthorization
from stockyard.returns.queries import return_detail
from stockyard.sales.models import Channel, Order, OrderAllocation, OrderLine
from stockyard.sales.queries import order_detail


@dataclass(frozen=True)
class Draft:
    subject_ref: str
    own_number: str | None  # the object's number, for the types that print it as theirs (invoice, purchase order)
    render: Callable[[str], bytes]  # the document's number -> the PDF


def _tenant_name(uow: UnitOfWork) -> str:
    return str(uow.conn.execute(select(Tenant.name).where(Tenant.id == uow.tenant_id)).scalar() or "")


def _sku_names(uow: UnitOfWork, sku_ids: set[int]) -> dict[int, str]:
    if not sku_ids:
        return {}
    return {r.id: r.name for r in uow.conn.execute(select(Sku.id, Sku.name).where(
        Sku.tenant_id == uow.tenant_id, Sku.id.in_(sorted(sku_ids))))}


# ---- orders ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _OrderLine:
    id: int
    sku_code: str
    name: str
    quantity: int
    allocated: int
    shipped: int

    @property
    def to_ship(self) -> int:
        return self.allocated - self.shipped


@dataclass(frozen=True)
class _Order:
    """What the warehouse documents of an order print. Read here rather than through sales' order_detail, which
    needs orders.view: pick lists, packing slips and delivery notes are printed by warehouse staff who hold the
    document's own permission (fulfilment.pick/pack/ship, checked by issue_document) but may not browse orders."""

    id: int
    number: str
    email: str
    channel_name: str
    shipping_address: dict[str, Any]
    shipping_method: str
    lines: list[_OrderLine]
    warehouses: dict[int, str]  # where its units are allocated: id -> code
    carriers: list[str]
    tracking_numbers: list[str]


def _order(uow: UnitOfWork, order_id: int) -> _Order:
    t = uow.tenant_id
    o, ch, sm = Order.__table__, Channel.__table__, ShippingMethod.__table__
    row = uow.conn.execute(
        select(o.c.id, o.c.number, o.c.email, o.c.shipping_address, o.c.shipping_quote, ch.c.name.label("channel"),
               sm.c.name.label("method")).join(ch, ch.c.id == o.c.channel_id)
        .outerjoin(sm, sm.c.id == o.c.shipping_method_id).where(o.c.tenant_id == t, o.c.id == order_id)).first()
    if row is None:
        raise NotFound(f"unknown order {order_id}", field="order")
    ol = OrderLine.__table__
    lines = [_OrderLine(r.id, r.sku_code, r.name, r.quantity, r.allocated, r.shipped) for r in uow.conn.execute(
        select(ol).where(ol.c.tenant_id == t, ol.c.order_id == order_id).order_by(ol.c.id))]
    a, w = OrderAllocation.__table__, Warehouse.__table__
    warehouses = {r.id: r.code for r in uow.conn.execute(
        select(w.c.id, w.c.code).join(a, a.c.warehouse_id == w.c.id)
        .where(a.c.tenant_id == t, a.c.order_id == order_id, a.c.state == "allocated").distinct().order_by(w.c.code))}
    sh, ca = Shipment.__table__, Carrier.__table__
    shipments = uow.conn.execute(
        select(sh.c.tracking_number, func.coalesce(ca.c.name, sh.c.carrier_code).label("carrier"))
        .outerjoin(ca, (ca.c.tenant_id == sh.c.tenant_id) & (ca.c.code == sh.c.carrier_code))
        .where(sh.c.tenant_id == t, sh.c.order_id == order_id, sh.c.status != "cancelled").order_by(sh.c.id)).all()
    method = row.method or str((row.shipping_quote or {}).get("name", ""))
    return _Order(row.id, row.number, row.email, row.channel, dict(row.shipping_address or {}), method, lines,
                  warehouses, sorted({s.carrier for s in shipments}), [s.tracking_number for s in shipments])


def _invoice(uow: UnitOfWork, order_id: int) -> Draft:
    order = order_detail(uow, order_id)
    invoice = invoices.invoice_for_order(uow, order_id)
    if invoice is None:
        raise Conflict(f"order {order.number} has no invoice yet: invoice the order first", field="order")
    return Draft(order.number, invoice.number, lambda _number: invoices.invoice_pdf(uow, invoice.id))


def _packed_lines(order: _Order) -> list[ItemLine]:
    """The units in the parcel: those allocated and not shipped yet, or, once all is shipped, those shipped."""
    to_ship = [ItemLine(line.sku_code, line.name, line.to_ship, line.quantity) for line in order.lines
               if line.to_ship > 0]
    lines = to_ship or [ItemLine(line.sku_code, line.name, line.shipped, line.quantity) for line in order.lines
                        if line.shipped > 0]
    if not lines:
        raise Conflict(f"order {order.number} has nothing allocated or shipped yet", field="order")
    return lines


def _packing(render: Callable[[PackingData], bytes]) -> Callable[[UnitOfWork, int], Draft]:
    def source(uow: UnitOfWork, order_id: int) -> Draft:
        order = _order(uow, order_id)
        lines = _packed_lines(order)
        data = dict(issued_on=utcnow().date(), order_number=order.number, lines=lines, seller=order.channel_name,
                    ship_to=order.shipping_address, ship_from=", ".join(order.warehouses.values()),
                    shipping_method=order.shipping_method, customer_email=order.email,
                    carrier=", ".join(order.carriers), tracking_numbers=order.tracking_numbers)
        return Draft(order.number, None, lambda number: render(PackingData(number=number, **data)))

    return source


def _pick_list(uow: UnitOfWork, order_id: int) -> Draft:
    order = _order(uow, order_id)
    t = uow.tenant_id
    names = {line.id: (line.sku_code, line.name) for line in order.lines}
    rows = uow.conn.execute(
        select(OrderAllocation.order_line_id, OrderAllocation.warehouse_id, Location.path, StockLevel.lot,
               ReservationLine.quantity)
        .join(Reservation, Reservation.id == OrderAllocation.reservation_id)
        .join(ReservationLine, ReservationLine.reservation_id == Reservation.id)
        .join(StockLevel, StockLevel.id == ReservationLine.level_id)
        .join(Location, Location.id == StockLevel.location_id)
        .where(OrderAllocation.tenant_id == t, OrderAllocation.order_id == order_id,
               OrderAllocation.state == "allocated", Reservation.tenant_id == t, Reservation.state == "active")
        .order_by(OrderAllocation.warehouse_id, Location.path, OrderAllocation.order_line_id)).all()
    if not rows:
        raise Conflict(f"order {order.number} has no allocated stock to pick", field="order")
    lines = [PickLine(r.path, *names[r.order_line_id], int(r.quantity), lot=r.lot) for r in rows]
    warehouses = ", ".join(dict.fromkeys(order.warehouses.get(r.warehouse_id, str(r.warehouse_id)) for r in rows))
    return Draft(order.number, None, lambda number: render_pick_list_pdf(PickListData(
        number=number, issued_on=utcnow().date(), warehouse=warehouses, reference=f"Order {order.number}",
        lines=lines, seller=order.channel_name)))


# ---- returns --------------------------------------------------------------------------------------------------

def _credited_tax(order: Any, returned: list[Any], subtotal: Decimal, goods: Decimal,
                  shipping: Decimal) -> list[TaxLine]:
    """The credit's tax per rate: each returned line at the rate its order line was taxed at (a partial refund of
    the goods scales them), refunded shipping following those goods (billing/tax_domain.py). Empty for orders
    placed before lines kept their rate's name (the tax is then the credited share of the order's)."""
    rates = {line.sku_code: line.tax for line in order.lines if line.tax is not None and order.tax_lines}
    if not returned or any(line.sku_code not in rates for line in returned):
        return []
    share = subtotal / goods if goods > 0 and subtotal < goods else Decimal(1)
    credited = [(rates[line.sku_code], round_money(line.unit_price * (line.received or line.quantity) * share))
                for line in returned]
    return tax_breakdown(credited, shipping, order.prices_include_tax, credited[0][0])


def _credit_note(uow: UnitOfWork, return_id: int) -> Draft:
    ret = return_detail(uow, return_id)
    if ret.refunded_amount <= 0:
        raise Conflict(f"return {ret.number} has not been refunded: a credit note follows the refund",
                       field="return")
    order = order_detail(uow, ret.order_id)
    invoice = invoices.invoice_for_order(uow, ret.order_id)
    lines = [DocumentLine(line.sku_code, line.name, line.received or line.quantity, line.unit_price,
                          round_money(line.unit_price * (line.received or line.quantity))) for line in ret.lines]
    goods = sum((line.total for line in lines), Decimal(0))
    total = ret.refunded_amount
    shipping = max(total - goods, Decimal(0)) if ret.refunded_shipping else Decimal(0)
    subtotal = total - shipping
    tax = (round_money(order.tax_total * total / order.grand_total) if order.grand_total > 0 else Decimal(0))
    tax_lines = _credited_tax(order, ret.lines, subtotal, goods, shipping)
    if tax_lines:
        tax = summed(tax_lines)
    if subtotal < goods:  # a partial refund of the goods: one line says what was credited
        lines = [*lines, DocumentLine("", "Less: not refunded", 1, subtotal - goods, subtotal - goods)]
    return Draft(ret.number, None, lambda number: render_credit_note_pdf(CreditNoteData(
        number=number, issued_on=utcnow().date(), invoice_number=invoice.number if invoice else "",
        order_number=order.number, customer_email=order.email, lines=lines, subtotal=subtotal, shipping=shipping,
        tax=tax, total=total, currency=ret.currency, seller=order.channel_name, return_number=ret.number,
        prices_include_tax=order.prices_include_tax, billing_address=order.billing_address or order.shipping_address,
        reason=ret.reason_text or ret.reason, tax_lines=tax_lines)))


# ---- purchasing -----------------------------------------------------------------------------------------------

def _warehouse(uow: UnitOfWork, warehouse_id: int) -> Any:
    found = uow.conn.execute(select(Warehouse).where(Warehouse.tenant_id == uow.tenant_id,
                                                     Warehouse.id == warehouse_id)).first()
    if found is None:
        raise NotFound(f"unknown warehouse {warehouse_id}", field="warehouse")
    return found


def _purchase_order(uow: UnitOfWork, purchase_order_id: int) -> Draft:
    po = purchase_order_detail(uow, purchase_order_id)
    head = po.order
    warehouse = _warehouse(uow, po.warehouse_id)
    lines = [DocumentLine(line.sku_code, line.sku_name, line.quantity, line.unit_cost,
                          round_money(line.unit_cost * line.quantity)) for line in po.lines]
    deliver_to = [warehouse.name, *[p for p in (warehouse.address or "").splitlines() if p.strip()],
                  " ".join(p for p in (warehouse.postcode, warehouse.country) if p)]
    buyer = _tenant_name(uow)
    return Draft(head.number, head.number, lambda number: render_purchase_order_pdf(PurchaseOrderData(
        number=number, issued_on=(po.sent_at or head.created_at).date(), expected_on=head.expected_on,
        supplier=f"{head.supplier_name} ({head.supplier_code})", currency=head.currency, lines=lines,
        buyer=buyer, deliver_to=[p for p in deliver_to if p], note=po.note)))


def _goods_receipt(uow: UnitOfWork, purchase_order_id: int) -> Draft:
    po = purchase_order_detail(uow, purchase_order_id)
    head = po.order
    received = [ReceivedLine(line.sku_code, line.sku_name, line.quantity, line.received, line.unit_cost)
                for line in po.lines if line.received > 0]
    if not received:
        raise Conflict(f"nothing has been received against {head.number} yet", field="purchase_order")
    warehouse = _warehouse(uow, po.warehouse_id)
    seller = _tenant_name(uow)
    return Draft(head.number, None, lambda number: render_goods_receipt_pdf(GoodsReceiptData(
        number=number, issued_on=utcnow().date(), supplier=f"{head.supplier_name} ({head.supplier_code})",
        warehouse=f"{warehouse.code} {warehouse.name}", currency=head.currency, lines=received,
        purchase_order=head.number, seller=seller)))


# ---- inventory ------------------------------------------------------------------------------------------------

def _transfer(uow: UnitOfWork, transfer_id: int) -> Draft:
    found = stock_queries.transfer_detail(uow, transfer_id)
    if found is None:
        raise NotFound(f"unknown transfer {transfer_id}", field="transfer")
    head, rows = found
    names = _sku_names(uow, {line.sku_id for line, _code, _path in rows})
    lines = [TransferItem(code, names.get(line.sku_id, code), line.quantity, path, line.received, line.lot)
             for line, code, path in rows]
    source, target = _warehouse(uow, head.from_warehouse_id), _warehouse(uow, head.to_warehouse_id)
    seller = _tenant_name(uow)
    return Draft(f"Transfer {head.id}", None, lambda number: render_transfer_pdf(TransferData(
        number=number, issued_on=utcnow().date(), reference=f"Transfer {head.id}",
        from_warehouse=f"{source.code} {source.name}", to_warehouse=f"{target.code} {target.name}", lines=lines,
        state=head.state, seller=seller, dispatched_by=head.actor_name, notes=[head.note] if head.note else [])))


def _count_sheet(uow: UnitOfWork, count_id: int) -> Draft:
    found = stock_queries.count_detail(uow, count_id)
    if found is None:
        raise NotFound(f"unknown count {count_id}", field="count")
    head, rows = found
    names = _sku_names(uow, {row["line"].sku_id for row in rows})
    lines = [CountItem(row["location"], row["sku"], names.get(row["line"].sku_id, ""), row["line"].expected,
                       row["line"].counted, row["line"].lot) for row in rows]
    warehouse = _warehouse(uow, head.warehouse_id)
    seller = _tenant_name(uow)
    return Draft(f"Count {head.id}", None, lambda number: render_count_sheet_pdf(CountSheetData(
        number=number, issued_on=utcnow().date(), reference=f"Count {head.id}",
        warehouse=f"{warehouse.code} {warehouse.name}", lines=lines, seller=seller,
        notes=[head.note] if head.note else [])))


SOURCES: dict[DocType, Callable[[UnitOfWork, int], Draft]] = {
    DocType.INVOICE: _invoice,
    DocType.CREDIT_NOTE: _credit_note,
    DocType.PACKING_SLIP: _packing(render_packing_slip_pdf),
    DocType.DELIVERY_NOTE: _packing(render_delivery_note_pdf),
    DocType.PICK_LIST: _pick_list,
    DocType.GOODS_RECEIPT: _goods_receipt,
    DocType.PURCHASE_ORDER: _purchase_order,
    DocType.TRANSFER: _transfer,
    DocType.COUNT_SHEET: _count_sheet,
}


def subject_ref(uow: UnitOfWork, subject: Subject, subject_id: int) -> str:
    """How the object is called (SO-000012, RMA-000003, PO-000007, Transfer 5, Count 9); NotFound when the tenant
    has no such object."""
    t = uow.tenant_id
    tables: dict[Subject, tuple[Any, Any]] = {
        Subject.ORDER: (Order.__table__, Order.__table__.c.number),
        Subject.RETURN: (ReturnAuthorization.__table__, ReturnAuthorization.__table__.c.number),
        Subject.PURCHASE_ORDER: (PurchaseOrder.__table__, PurchaseOrder.__table__.c.number),
        Subject.TRANSFER: (Transfer.__table__, Transfer.__table__.c.id),
        Subject.COUNT: (StockCount.__table__, StockCount.__table__.c.id),
    }
    table, label = tables[subject]
    found = uow.conn.execute(select(label).where(table.c.tenant_id == t, table.c.id == subject_id)).first()
    if found is None:
        raise NotFound(f"unknown {subject.value.replace('_', ' ')} {subject_id}", field="subject_id")
    if subject is Subject.TRANSFER:
        return f"Transfer {found[0]}"
    if subject is Subject.COUNT:
        return f"Count {found[0]}"
    return str(found[0])

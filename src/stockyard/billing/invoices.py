"""Invoices: issued once per order with the next number of a gapless yearly sequence per tenant (INV-2026-000001),
as a snapshot of the lines the caller (the sales context) hands over; billing never reads order tables.

The number comes from `invoice_sequences`, incremented by an UPDATE in the issuing transaction: concurrent issuers
queue on that row, and a transaction that rolls back gives its number back, so no number is skipped or repeated.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from stockyard.billing.models import Invoice, InvoiceLine, InvoiceSequence, Payment, PaymentMethod
from stockyard.billing.payment_rules import LIVE
from stockyard.billing.rows import insert_or_skip
from stockyard.billing.tax_domain import LineRate, TaxLine, percent, summed, tax_breakdown
from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.money import round_money
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, requires
from stockyard.documents.pdf_invoice import InvoiceData, render_invoice_pdf
from stockyard.documents.pdf_layout import DocumentLine
from stockyard.identity.domain import ORDERS_MANAGE, ORDERS_VIEW

_INV = Invoice.__table__
_LINES = InvoiceLine.__table__
_SEQ = InvoiceSequence.__table__
_PAY = Payment.__table__
_METHODS = PaymentMethod.__table__


@dataclass(frozen=True)
class InvoiceLineIn:
    sku_code: str
    name: str
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class IssueInvoice:
    order_id: int
    order_number: str
    currency: str
    lines: list[InvoiceLineIn]
    shipping_total: Decimal = Decimal(0)
    tax_total: Decimal = Decimal(0)
    # True: unit prices include tax and tax_total is the part of the total that is tax (B2C); False: tax is added.
    prices_include_tax: bool = True
    email: str = ""
    seller: str = ""
    billing_address: Mapping[str, Any] | None = None
    shipping_address: Mapping[str, Any] | None = None
    # When given, the computed total must equal it (the order's grand total): a mismatch is refused.
    expected_total: Decimal | None = None
    # The tax per rate (the order's breakdown); they must add up to tax_total. Empty: worked out from the lines'
    # rates (tax_domain.tax_breakdown) and kept only when that agrees with tax_total (orders from before tax lines).
    tax_lines: list[TaxLine] = field(default_factory=list)


def _money(value: Decimal, name: str, *, positive: bool = False) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0 or (positive and value == 0):
        raise ValidationFailed("must be a positive amount" if positive else "must not be negative", field=name)
    return value


def _lines(cmd: IssueInvoice) -> list[dict[str, Any]]:
    if not cmd.lines:
        raise ValidationFailed("an invoice needs at least one line", field="lines")
    out = []
    for i, line in enumerate(cmd.lines):
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            raise ValidationFailed("must be a positive whole number", field=f"lines[{i}].quantity")
        if not line.sku_code.strip() or not line.name.strip():
            raise ValidationFailed("every line needs its SKU and name", field=f"lines[{i}]")
        price = _money(line.unit_price, f"lines[{i}].unit_price")
        rate = _money(line.tax_rate, f"lines[{i}].tax_rate")
        out.append({"position": i + 1, "sku_code": line.sku_code.strip()[:64], "name": line.name.strip()[:255],
                    "quantity": line.quantity, "unit_price": price, "tax_rate": rate,
                    "line_total": round_money(price * line.quantity)})
    return out


def _tax_lines(cmd: IssueInvoice, lines: list[dict[str, Any]], shipping: Decimal,
               tax: Decimal) -> list[TaxLine] | None:
    if cmd.tax_lines:
        if summed(cmd.tax_lines) != round_money(tax):
            raise ValidationFailed(f"the tax lines add up to {summed(cmd.tax_lines):.2f}, not {tax:.2f}",
                                   field="tax_lines")
        return list(cmd.tax_lines)
    rates = [(LineRate(line["tax_rate"], f"Tax {percent(line['tax_rate'])}%"), line["line_total"]) for line in lines]
    if not rates:
        return None
    worked = tax_breakdown(rates, shipping, cmd.prices_include_tax, rates[0][0])
    return worked if summed(worked) == round_money(tax) else None


def _next_number(uow: UnitOfWork, year: int) -> int:
    """The next number of the tenant's sequence for `year`; the row stays locked until this transaction ends."""
    bump = (update(_SEQ).where(_SEQ.c.tenant_id == uow.tenant_id, _SEQ.c.year == year)
            .values(last=_SEQ.c.last + 1).returning(_SEQ.c.last))
    number = uow.conn.execute(bump).scalar()
    if number is None:
        first = insert_or_skip(uow.conn, _SEQ, {"tenant_id": uow.tenant_id, "year": year, "last": 1}, [_SEQ.c.last])
        number = first.last if first is not None else uow.conn.execute(bump).scalar()
    if number is None:
        raise RuntimeError("the invoice sequence row vanished")
    return int(number)


def issue_invoice(uow: UnitOfWork, cmd: IssueInvoice) -> int:
    """Issues the order's invoice and returns its id; an order that has one already gets that one back."""
    uow.require(ORDERS_MANAGE)
    existing = uow.conn.execute(select(_INV.c.id).where(_INV.c.tenant_id == uow.tenant_id,
                                                        _INV.c.order_id == cmd.order_id)).scalar()
    if existing is not None:
        return int(existing)
    currency = cmd.currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationFailed("must be a 3-letter currency code", field="currency")
    lines = _lines(cmd)
    shipping = _money(cmd.shipping_total, "shipping_total")
    tax = _money(cmd.tax_total, "tax_total")
    subtotal = sum((line["line_total"] for line in lines), Decimal(0))
    total = subtotal + shipping + (Decimal(0) if cmd.prices_include_tax else tax)
    if cmd.expected_total is not None and round_money(cmd.expected_total) != round_money(total):
        raise ValidationFailed(f"the lines, shipping and tax add up to {total:.2f}, not {cmd.expected_total:.2f}",
                               field="expected_total")
    breakdown = _tax_lines(cmd, lines, shipping, tax)
    now = utcnow()
    sequence = _next_number(uow, now.year)
    number = f"INV-{now.year}-{sequence:06d}"
    invoice_id = uow.conn.execute(_INV.insert().values(
        tenant_id=uow.tenant_id, order_id=cmd.order_id, number=number, order_number=cmd.order_number[:32],
        seller=cmd.seller[:200], issued_at=now, currency=currency, email=cmd.email[:254],
        billing_address=dict(cmd.billing_address) if cmd.billing_address else None,
        shipping_address=dict(cmd.shipping_address) if cmd.shipping_address else None,
        prices_include_tax=cmd.prices_include_tax, subtotal=subtotal, shipping_total=shipping, tax_total=tax,
        grand_total=total, tax_lines=None if breakdown is None else [t.as_json() for t in breakdown])
        .returning(_INV.c.id)).scalar_one()
    uow.conn.execute(_LINES.insert(), [{"tenant_id": uow.tenant_id, "invoice_id": invoice_id, **line}
                                       for line in lines])
    add_event(uow, "invoice.issued.v1", {"invoice_id": invoice_id, "number": number, "order_id": cmd.order_id,
                                         "order_number": cmd.order_number, "currency": currency,
                                         "subtotal": str(subtotal), "shipping_total": str(shipping),
                                         "tax_total": str(tax), "grand_total": str(total)})
    return int(invoice_id)


# ---- read models ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceView:
    id: int
    number: str
    order_id: int
    order_number: str
    seller: str
    issued_at: datetime
    currency: str
    email: str
    billing_address: dict[str, Any] | None
    shipping_address: dict[str, Any] | None
    prices_include_tax: bool
    subtotal: Decimal
    shipping_total: Decimal
    tax_total: Decimal
    grand_total: Decimal
    lines: list[DocumentLine] = field(default_factory=list)
    payment_method: str = ""
    payment_state: str = ""
    tax_lines: list[TaxLine] = field(default_factory=list)


def _invoice(uow: UnitOfWork, invoice_id: int) -> InvoiceView:
    row = uow.conn.execute(select(_INV).where(_INV.c.tenant_id == uow.tenant_id, _INV.c.id == invoice_id)).first()
    if row is None:
        raise NotFound(f"unknown invoice {invoice_id}", field="invoice_id")
    lines = [DocumentLine(r.sku_code, r.name, r.quantity, r.unit_price, r.line_total) for r in uow.conn.execute(
        select(_LINES).where(_LINES.c.tenant_id == uow.tenant_id, _LINES.c.invoice_id == invoice_id)
        .order_by(_LINES.c.position))]
    payment = uow.conn.execute(
        select(_METHODS.c.name, _PAY.c.state).join(_METHODS, _METHODS.c.id == _PAY.c.method_id)
        .where(_PAY.c.tenant_id == uow.tenant_id, _PAY.c.order_id == row.order_id, _PAY.c.state.in_(LIVE))
        .order_by(_PAY.c.id.desc()).limit(1)).first()
    return InvoiceView(row.id, row.number, row.order_id, row.order_number, row.seller, row.issued_at, row.currency,
                       row.email, row.billing_address, row.shipping_address, row.prices_include_tax, row.subtotal,
                       row.shipping_total, row.tax_total, row.grand_total, lines,
                       payment.name if payment else "", payment.state if payment else "",
                       [TaxLine.from_json(t) for t in row.tax_lines or []])


@requires(ORDERS_VIEW)
def get_invoice(uow: UnitOfWork, invoice_id: int) -> InvoiceView:
    return _invoice(uow, invoice_id)


@requires(ORDERS_VIEW)
def invoice_for_order(uow: UnitOfWork, order_id: int) -> InvoiceView | None:
    invoice_id = uow.conn.execute(select(_INV.c.id).where(_INV.c.tenant_id == uow.tenant_id,
                                                          _INV.c.order_id == order_id)).scalar()
    return None if invoice_id is None else _invoice(uow, invoice_id)


@requires(ORDERS_VIEW)
def invoice_pdf(uow: UnitOfWork, invoice_id: int) -> bytes:
    inv = _invoice(uow, invoice_id)
    return render_invoice_pdf(InvoiceData(
        number=inv.number, issued_on=inv.issued_at.date(), order_number=inv.order_number, customer_email=inv.email,
        lines=inv.lines, subtotal=inv.subtotal, shipping=inv.shipping_total, tax=inv.tax_total,
        total=inv.grand_total, currency=inv.currency, seller=inv.seller, prices_include_tax=inv.prices_include_tax,
        billing_address=inv.billing_address, shipping_address=inv.shipping_address,
        payment_method=inv.payment_method, payment_state=inv.payment_state, tax_lines=inv.tax_lines))

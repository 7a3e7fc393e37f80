"""Billing JSON API: invoices (as JSON and as PDF)."""

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from stockyard.billing import invoices
from stockyard.core.money import round_money
from stockyard.core.uow import read
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(prefix="/invoices", tags=["billing"])


def _money(amount: Decimal) -> str:
    return str(round_money(amount))


def _price(amount: Decimal) -> str:
    """Two decimals, or more when a unit price really has them (7.3333)."""
    return _money(amount) if amount == round_money(amount) else str(amount.normalize())


@router.get("/{invoice_id}.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "the invoice as a PDF"}})
def invoice_pdf(invoice_id: int, engine: EngineDep, actor: ApiActor) -> Response:
    pdf = read(engine, actor, invoices.invoice_pdf, invoice_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="invoice-{invoice_id}.pdf"'})


@router.get("/{invoice_id}")
def invoice(invoice_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    inv = read(engine, actor, invoices.get_invoice, invoice_id)
    return {"id": inv.id, "number": inv.number, "order_id": inv.order_id, "order_number": inv.order_number,
            "issued_at": inv.issued_at.isoformat(), "currency": inv.currency, "email": inv.email,
            "billing_address": inv.billing_address, "shipping_address": inv.shipping_address,
            "prices_include_tax": inv.prices_include_tax, "subtotal": _money(inv.subtotal),
            "shipping_total": _money(inv.shipping_total), "tax_total": _money(inv.tax_total),
            "grand_total": _money(inv.grand_total), "payment_method": inv.payment_method,
            "payment_state": inv.payment_state,
            "tax_lines": [{"name": t.name, "rate": str(t.rate), "base": _money(t.base), "tax": _money(t.tax)}
                          for t in inv.tax_lines],
            "lines": [{"sku": li.sku, "name": li.name, "quantity": li.quantity, "unit_price": _price(li.unit_price),
                       "line_total": _money(li.total)} for li in inv.lines]}

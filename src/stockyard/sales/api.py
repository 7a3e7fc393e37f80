"""JSON API for staff order management under /api/v1/orders: the list (filters as on the admin page), one order,
its receipt PDF, phone orders (POST /orders) and the transitions (hold, release, cancel, mark-paid, allocate,
reallocate, ship, deliver, invoice, close, lines). Each action answers with the order as it is afterwards."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.uow import perform, read
from stockyard.sales import orders, queries, staff_order
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(prefix="/orders", tags=["orders"])


def _filters(status: str | None = None, channel_id: int | None = None,
             warehouse_id: int | None = None, placed_after: str | None = None, placed_before: str | None = None,
             older_than_days: int | None = None, q: str = "", sort: str = "-placed", page: int = 1,
             per_page: int = 50) -> queries.OrderFilter:
    values = {"status": status, "channel_id": channel_id, "warehouse_id": warehouse_id,
              "placed_after": placed_after, "placed_before": placed_before, "older_than_days": older_than_days,
              "q": q, "sort": sort, "page": page, "per_page": per_page}
    return queries.OrderFilter(**{k: v for k, v in values.items() if v is not None})


def order_json(o: queries.OrderView) -> dict[str, Any]:
    return {
        "id": o.id, "number": o.number, "status": o.status, "held_from": o.held_from, "source": o.source,
        "channel": {"id": o.channel_id, "code": o.channel_code, "name": o.channel_name},
        "customer": {"id": o.customer_id, "name": o.customer_name, "phone": o.customer_phone, "email": o.email},
        "placed_at": o.placed_at.isoformat(), "updated_at": o.updated_at.isoformat(), "currency": o.currency,
        "subtotal": str(o.subtotal), "shipping_total": str(o.shipping_total), "tax_total": str(o.tax_total),
        "grand_total": str(o.grand_total), "prices_include_tax": o.prices_include_tax,
        "shipping_address": o.shipping_address, "billing_address": o.billing_address,
        "shipping_method": {"id": o.shipping_method_id, "name": o.shipping_method, "promised_date": o.promised_date},
        "payment_method": o.payment_method, "note": o.note,
        "lines": [{"id": line.id, "sku": line.sku_code, "name": line.name, "quantity": line.quantity,
                   "unit_price": str(line.unit_price), "line_total": str(line.line_total),
                   "allocated": line.allocated, "shipped": line.shipped, "returned": line.returned,
                   "backordered": line.backordered,
                   "backorder_expected_on": line.backorder_expected_on.isoformat()
                   if line.backorder_expected_on else None} for line in o.lines],
        "allocations": [{"id": a.id, "line_id": a.line_id, "sku": a.sku_code, "warehouse_id": a.warehouse_id,
                         "warehouse": a.warehouse_code, "quantity": a.quantity, "state": a.state,
                         "reason": a.reason} for a in o.allocations],
        "timeline": [{"at": e.at.isoformat(), "from": e.from_status, "to": e.to_status, "note": e.note,
                      "by": e.actor_name} for e in o.timeline],
        "payments": [p.as_json() for p in o.payments],
        "shipments": [{"id": s.id, "warehouse": s.warehouse_code, "carrier": s.carrier_code,
                       "carrier_name": s.carrier_name, "tracking_number": s.tracking_number,
                       "tracking_url": s.tracking_url, "status": s.status, "cost": str(s.cost),
                       "currency": s.currency, "weight_g": s.weight_g,
                       "shipped_at": s.shipped_at.isoformat() if s.shipped_at else None,
                       "delivered_at": s.delivered_at.isoformat() if s.delivered_at else None,
                       "label_url": s.label_url,
                       "events": [{"at": e.at.isoformat(), "status": e.status, "note": e.note} for e in s.events]}
                      for s in o.shipments],
        "invoices": [{"id": i.id, "number": i.number, "issued_at": i.issued_at.isoformat(),
                      "grand_total": str(i.grand_total), "currency": i.currency, "pdf_url": i.pdf_url}
                     for i in o.invoices],
        "documents": [{"label": d.label, "url": d.url} for d in o.documents],
        "actions": sorted(o.actions),
    }


@router.get("")
def list_orders(engine: EngineDep, actor: ApiActor,
                filters: Annotated[queries.OrderFilter, Depends(_filters)]) -> dict[str, Any]:
    result = read(engine, actor, queries.list_orders, filters)
    return {"items": [{"id": r.id, "number": r.number, "status": r.status, "channel": r.channel_code,
                       "email": r.email, "customer_name": r.customer_name, "source": r.source,
                       "placed_at": r.placed_at.isoformat(), "grand_total": str(r.grand_total),
                       "currency": r.currency, "items": r.items} for r in result.page.items],
            "total": result.page.total, "page": result.page.page, "per_page": result.page.per_page,
            "counts": result.counts}


@router.post("", status_code=201)
def create_order(body: staff_order.StaffOrder, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """A phone order (manual payment; stock allocated at once, shortages backordered)."""
    placed = perform(engine, actor, staff_order.create_staff_order, body)
    return {"replayed": placed.replayed, "backordered": placed.backordered,
            **order_json(read(engine, actor, queries.order_detail, placed.order_id))}


@router.get("/{number}")
def get_order(number: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return order_json(read(engine, actor, queries.order_detail, number))


@router.get("/{number}/receipt.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "the order's receipt"}})
def receipt_pdf(number: str, engine: EngineDep, actor: ApiActor) -> Response:
    pdf = read(engine, actor, queries.order_receipt_pdf, number)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="receipt-{number}.pdf"'})


class ReasonIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = Field(default="", max_length=300)


class ReferenceIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: str = Field(min_length=1, max_length=100)


class ShipIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    warehouse_id: int | None = Field(default=None, description="ship what is allocated here (default: everywhere)")


def _do(engine: Engine, actor: Actor, number: str, service: Any, *args: Any) -> dict[str, Any]:
    order_id = read(engine, actor, queries.order_id_for, number)
    perform(engine, actor, service, order_id, *args)
    return order_json(read(engine, actor, queries.order_detail, order_id))


@router.post("/{number}/hold")
def hold(number: str, body: ReasonIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _do(engine, actor, number, orders.hold_order, body.reason)


@router.post("/{number}/release")
def release(number: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _do(engine, actor, number, orders.release_hold)


@router.post("/{number}/cancel")
def cancel(number: str, engine: EngineDep, actor: ApiActor, body: ReasonIn | None = None) -> dict[str, Any]:
    return _do(engine, actor, number, orders.cancel_order, body.reason if body else "")


@router.post("/{number}/mark-paid")
def mark_paid(number: str, body: ReferenceIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _do(engine, actor, number, orders.mark_paid, body.reference)


@router.post("/{number}/allocate")
def allocate(number: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _do(engine, actor, number, orders.allocate_order)


@router.post("/{number}/reallocate")
def reallocate(number: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _do(engine, actor, number, orders.reallocate_order)


@router.post("/{number}/ship")
def ship(number: str, engine: EngineDep, actor: ApiActor, body: ShipIn | None = None) -> dict[str, Any]:
    return _do(engine, actor, number, orders.ship_order, body.warehouse_id if body else None)


@router.post("/{number}/deliver")
def deliver(number: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _do(engine, actor, number, orders.mark_delivered)


@router.post("/{number}/invoice")
def invoice(number: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _do(engine, actor, number, orders.invoice_order)


@router.post("/{number}/close")
def close(number: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _do(engine, actor, number, orders.close_order)


@router.post("/{number}/lines")
def edit_lines(number: str, body: orders.EditLines, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _do(engine, actor, number, orders.edit_lines, body)

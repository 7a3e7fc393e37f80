"""JSON API for purchasing at /api/v1/purchasing: suppliers (list, create) and purchase orders (list, detail,
create, send, cancel, reschedule, receive, close). Bodies are the services' own commands."""

from typing import Any

from fastapi import APIRouter

from stockyard.core.actor import Actor
from stockyard.core.uow import perform, read
from stockyard.identity.domain import PURCHASING_VIEW
from stockyard.purchasing import queries, services
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(prefix="/purchasing", tags=["purchasing"])


def _detail(engine: Any, actor: Actor, order_id: int) -> dict[str, Any]:
    return queries.as_json(read(engine, actor, queries.purchase_order_detail, order_id))


def _viewer(actor: Actor) -> Actor:
    """Every step answers with the order, so the caller must be allowed to see it: checked before anything
    changes."""
    actor.require(PURCHASING_VIEW)
    return actor


@router.get("/suppliers")
def list_suppliers(engine: EngineDep, actor: ApiActor, q: str = "", page: int = 1,
                   per_page: int = 50) -> dict[str, Any]:
    found = read(engine, actor, queries.list_suppliers, q=q, page=page, per_page=per_page)
    return {"total": found.total, "page": found.page, "per_page": found.per_page, "items": [
        {"id": s.id, "code": s.code, "name": s.name, "currency": s.currency, "lead_time_days": s.lead_time_days,
         "active": s.active} for s in found.items]}


@router.post("/suppliers", status_code=201)
def create_supplier(body: services.CreateSupplier, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    supplier_id = perform(engine, actor, services.create_supplier, body)
    return {"id": supplier_id, **body.model_dump()}


@router.get("/purchase-orders")
def list_purchase_orders(engine: EngineDep, actor: ApiActor, state: str | None = None,
                         supplier_id: int | None = None, sku: str | None = None, page: int = 1,
                         per_page: int = 50) -> dict[str, Any]:
    """Newest first; `state` may be `open` (sent or partially received)."""
    found = read(engine, actor, queries.list_purchase_orders, state=state, supplier_id=supplier_id, sku=sku,
                 page=page, per_page=per_page)
    return {"total": found.total, "page": found.page, "per_page": found.per_page,
            "items": [queries.row_json(o) for o in found.items]}


@router.get("/purchase-orders/{purchase_order_id}")
def get_purchase_order(purchase_order_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _detail(engine, actor, purchase_order_id)


@router.post("/purchase-orders", status_code=201)
def create_purchase_order(body: services.CreatePurchaseOrder, engine: EngineDep,
                          actor: ApiActor) -> dict[str, Any]:
    """A draft; `expected_on` empty: today plus the supplier's lead time."""
    _viewer(actor)
    created = perform(engine, actor, services.create_purchase_order, body)
    return _detail(engine, actor, created.id)


@router.post("/purchase-orders/{purchase_order_id}/send")
def send(purchase_order_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    _viewer(actor)
    perform(engine, actor, services.send_purchase_order, purchase_order_id)
    return _detail(engine, actor, purchase_order_id)


@router.post("/purchase-orders/{purchase_order_id}/cancel")
def cancel(purchase_order_id: int, body: services.Reason, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    _viewer(actor)
    perform(engine, actor, services.cancel_purchase_order, purchase_order_id, body)
    return _detail(engine, actor, purchase_order_id)


@router.post("/purchase-orders/{purchase_order_id}/expected-dates")
def reschedule(purchase_order_id: int, body: services.Reschedule, engine: EngineDep,
               actor: ApiActor) -> dict[str, Any]:
    """A new expected date for the order and/or some of its lines."""
    _viewer(actor)
    perform(engine, actor, services.reschedule_purchase_order, purchase_order_id, body)
    return _detail(engine, actor, purchase_order_id)


@router.post("/purchase-orders/{purchase_order_id}/receive")
def receive(purchase_order_id: int, body: services.ReceivePurchaseOrder, engine: EngineDep,
            actor: ApiActor) -> dict[str, Any]:
    """Units that arrived, per line, into a location of the order's warehouse; more than still expected is
    refused."""
    _viewer(actor)
    receipt = perform(engine, actor, services.receive_purchase_order_lines, purchase_order_id, body)
    return {**_detail(engine, actor, purchase_order_id), "move_ids": receipt.move_ids}


@router.post("/purchase-orders/{purchase_order_id}/close")
def close(purchase_order_id: int, body: services.Reason, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """No more deliveries are coming for this order."""
    _viewer(actor)
    perform(engine, actor, services.close_purchase_order, purchase_order_id, body)
    return _detail(engine, actor, purchase_order_id)

"""JSON API for purchasing at /api/v1/purchasing: suppliers (list, create, detail, update, the SKUs they sell),
purchase orders (list, detail, create, send, cancel, reschedule, receive, close), advance shipping notices (create,
receive, cancel), blind receipts, putaway (suggestions, what awaits putaway, the move, rules, location capacities),
replenishment suggestions and the draft orders made from them. Bodies are the services' own commands."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from stockyard.core.actor import Actor
from stockyard.core.uow import perform, read
from stockyard.identity.domain import PURCHASING_VIEW
from stockyard.inventory.warehouses import set_location_capacity as set_capacity
from stockyard.purchasing import putaway, queries, receiving, replenishment, services, suppliers
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
                         per_page: int = 50, sort: str = "-number") -> dict[str, Any]:
    """Newest first, or by `sort` (number, expected_on, supplier, state; "-" first: descending); `state` may be
    `open` (sent or partially received)."""
    found = read(engine, actor, queries.list_purchase_orders, state=state, supplier_id=supplier_id, sku=sku,
                 page=page, per_page=per_page, sort=sort)
    return {"total": found.total, "page": found.page, "per_page": found.per_page, "sort": found.sort,
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


# ---- supplier terms, ASNs, blind receipts, putaway, replenishment (issue 5) --------------------------------------

@router.get("/suppliers/{supplier_id}")
def get_supplier(supplier_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    s = read(engine, actor, queries.supplier_detail, supplier_id)
    return {"id": s.id, "code": s.code, "name": s.name, "currency": s.currency, "lead_time_days": s.lead_time_days,
            "over_receipt_tolerance_pct": str(s.over_receipt_tolerance_pct), "active": s.active,
            "skus": [{"sku_id": x.sku_id, "sku": x.sku_code, "supplier_code": x.supplier_code,
                      "unit_cost": str(x.unit_cost), "pack_size": x.pack_size, "min_order_qty": x.min_order_qty,
                      "preferred": x.preferred} for x in s.skus]}


@router.put("/suppliers/{supplier_id}")
def update_supplier(supplier_id: int, body: suppliers.UpdateSupplier, engine: EngineDep,
                    actor: ApiActor) -> dict[str, Any]:
    _viewer(actor)
    perform(engine, actor, suppliers.update_supplier, supplier_id, body)
    return get_supplier(supplier_id, engine, actor)


@router.put("/suppliers/{supplier_id}/skus")
def set_supplier_sku(supplier_id: int, body: suppliers.SetSupplierSku, engine: EngineDep,
                     actor: ApiActor) -> dict[str, Any]:
    """Adds a SKU to what the supplier sells, or changes its terms."""
    _viewer(actor)
    perform(engine, actor, suppliers.set_supplier_sku, supplier_id, body)
    return get_supplier(supplier_id, engine, actor)


@router.post("/purchase-orders/{purchase_order_id}/asns", status_code=201)
def create_asn(purchase_order_id: int, body: receiving.CreateAsn, engine: EngineDep,
               actor: ApiActor) -> dict[str, Any]:
    """An advance shipping notice; no lines: everything still open on the order. Answers the notice's id and the
    order."""
    _viewer(actor)
    asn_id = perform(engine, actor, receiving.create_asn, purchase_order_id, body)
    return {"id": asn_id, "purchase_order": _detail(engine, actor, purchase_order_id)}


@router.post("/asns/{asn_id}/receive")
def receive_asn(asn_id: int, body: receiving.ReceiveAsn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """Receive what a notice announced (no lines: all of it that is not received yet)."""
    receipt = perform(engine, actor, receiving.receive_asn, asn_id, body)
    return _receipt(receipt)


@router.post("/asns/{asn_id}/cancel")
def cancel_asn(asn_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, receiving.cancel_asn, asn_id)
    return {"id": asn_id, "state": "cancelled"}


@router.post("/receipts/blind", status_code=201)
def receive_blind(body: receiving.BlindReceipt, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """Goods without a purchase order; the supplier is optional."""
    return _receipt(perform(engine, actor, receiving.receive_blind, body))


def _receipt(receipt: services.Receipt) -> dict[str, Any]:
    return {"receipt_id": receipt.receipt_id, "number": receipt.number, "state": receipt.state,
            "move_ids": receipt.move_ids, "over_received": receipt.over_received}


@router.get("/putaway-suggestions")
def putaway_suggestions(engine: EngineDep, actor: ApiActor, warehouse_id: int, sku_id: int,
                        quantity: int = 1) -> dict[str, Any]:
    found = read(engine, actor, putaway.suggest_putaway, warehouse_id, sku_id, quantity)
    return {"items": [{"location_id": s.location_id, "path": s.path, "free": s.free, "sku_on_hand": s.sku_on_hand,
                       "reasons": list(s.reasons)} for s in found]}


@router.post("/putaway")
def put_away(body: putaway.PutAway, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """Move received units to the bin given, or to the best suggestion."""
    done = perform(engine, actor, putaway.put_away, body)
    return {"move_id": done.move_id, "to_location_id": done.to_location_id, "to_location": done.to_path}


@router.get("/replenishment")
def replenishment_suggestions(engine: EngineDep, actor: ApiActor, warehouse_id: int | None = None, days: int = 30,
                              cover_days: int = 30, demand: str = "forecast") -> dict[str, Any]:
    """`demand`: "forecast" uses a SKU's demand forecast where one was made, else its sales of the last `days`;
    "history" always the sales."""
    rows = read(engine, actor, replenishment.replenishment_suggestions, warehouse_id, days, cover_days, demand)
    return {"items": [{"sku_id": r.sku_id, "sku": r.sku_code, "warehouse_id": r.warehouse_id,
                       "warehouse": r.warehouse_code, "available": r.available, "inbound": r.inbound,
                       "minimum": r.minimum, "safety_stock": r.safety_stock, "shipped": r.shipped,
                       "velocity_per_day": str(round(float(r.velocity), 3)), "reorder_point": r.reorder_point,
                       "target": r.target, "need": r.need, "quantity": r.quantity, "supplier": r.supplier_code or None,
                       "lead_time_days": r.lead_time_days, "pack_size": r.pack_size,
                       "min_order_qty": r.min_order_qty,
                       "unit_cost": None if r.unit_cost is None else str(r.unit_cost),
                       "demand_source": r.demand_source, "forecast_method": r.forecast_method or None,
                       "forecast_wape": None if r.forecast_wape is None else str(r.forecast_wape)} for r in rows]}


@router.post("/replenishment/orders", status_code=201)
def create_replenishment_orders(body: replenishment.CreateReplenishmentOrders, engine: EngineDep,
                                actor: ApiActor) -> dict[str, Any]:
    """Draft purchase orders for the items, one per supplier and warehouse."""
    _viewer(actor)
    created = perform(engine, actor, replenishment.create_replenishment_orders, body)
    return {"items": [_detail(engine, actor, c.id) for c in created]}


@router.get("/putaway/awaiting")
def awaiting_putaway(engine: EngineDep, actor: ApiActor, warehouse_id: int | None = None) -> dict[str, Any]:
    """Stock lying in receiving locations, each with the best bin for it."""
    rows = read(engine, actor, putaway.awaiting_putaway, warehouse_id)
    return {"items": [{"sku_id": r.sku_id, "sku": r.sku_code, "warehouse_id": r.warehouse_id,
                       "location_id": r.location_id, "location": r.location_path, "lot": r.lot,
                       "quantity": r.on_hand, "suggested_location": r.suggestion.path if r.suggestion else None,
                       "reasons": list(r.suggestion.reasons) if r.suggestion else []} for r in rows]}


@router.get("/putaway-rules")
def list_putaway_rules(engine: EngineDep, actor: ApiActor, warehouse_id: int | None = None) -> dict[str, Any]:
    return {"items": [{"id": r.id, "warehouse": r.warehouse_code, "category_id": r.category_id,
                       "category": r.category_name, "location": r.location_path}
                      for r in read(engine, actor, putaway.putaway_rules, warehouse_id)]}


@router.put("/putaway-rules")
def set_putaway_rule(body: putaway.SetPutawayRule, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """SKUs of the category (and its subcategories without a rule) go under the location; replaces the
    warehouse's rule for the category."""
    return {"id": perform(engine, actor, putaway.set_putaway_rule, body)}


@router.delete("/putaway-rules/{rule_id}", status_code=204)
def remove_putaway_rule(rule_id: int, engine: EngineDep, actor: ApiActor) -> None:
    perform(engine, actor, putaway.remove_putaway_rule, rule_id)


class LocationCapacity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location: int | str
    capacity: int | None  # None: not limited


@router.put("/location-capacities")
def set_location_capacity(body: LocationCapacity, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """How many units a location holds at most, for putaway suggestions (inventory.configure)."""
    location_id = perform(engine, actor, set_capacity, body.location, body.capacity)
    return {"location_id": location_id, "capacity": body.capacity}

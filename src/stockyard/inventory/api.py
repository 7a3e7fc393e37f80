"""JSON API for inventory at /api/v1/inventory. Thin: translate, call a service or query, answer."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, Field

from stockyard.core.errors import NotFound
from stockyard.core.uow import perform, read
from stockyard.inventory import atp_cache, counts, min_stock, movements, queries, reservations, transfers, warehouses
from stockyard.inventory.domain import WholeNumber
from stockyard.web.deps import ApiActor, EngineDep
from stockyard.web.read_cache import read_cache, read_cache_seconds

router = APIRouter(prefix="/inventory", tags=["inventory"])


class Created(BaseModel):
    id: int


class MoveIds(BaseModel):
    move_ids: list[int]


class MoveBatch(BaseModel):
    moves: list[movements.MoveStock] = Field(min_length=1, max_length=10_000)


class MinStockIn(BaseModel):
    sku: int | str
    warehouse: int | str
    minimum: int = Field(ge=0)
    safety_stock: int = Field(default=0, ge=0)


class ConsumeIn(BaseModel):
    document_type: str = ""
    document_id: str = ""


def _warehouse(w: Any) -> dict[str, Any]:
    return {"id": w.id, "code": w.code, "name": w.name, "address": w.address, "country": w.country,
            "postcode": w.postcode, "priority": w.priority, "handling_days": w.handling_days, "active": w.active}


@router.get("/warehouses")
def list_warehouses(engine: EngineDep, actor: ApiActor) -> list[dict[str, Any]]:
    return [_warehouse(w) for w in read(engine, actor, queries.list_warehouses)]


@router.post("/warehouses", status_code=status.HTTP_201_CREATED)
def create_warehouse(cmd: warehouses.CreateWarehouse, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, warehouses.create_warehouse, cmd))


@router.put("/warehouses/{warehouse}")
def update_warehouse(warehouse: str, cmd: warehouses.UpdateWarehouse, engine: EngineDep,
                     actor: ApiActor) -> dict[str, Any]:
    """Replaces the warehouse's changeable fields; `warehouse` is its id (digits) or its code."""
    ref: int | str = int(warehouse) if warehouse.isdigit() else warehouse
    warehouse_id = perform(engine, actor, warehouses.update_warehouse, ref, cmd)
    return _warehouse(read(engine, actor, queries.get_warehouse, warehouse_id))


@router.get("/warehouses/{warehouse_id}/locations")
def list_locations(warehouse_id: int, engine: EngineDep, actor: ApiActor) -> list[dict[str, Any]]:
    if read(engine, actor, queries.get_warehouse, warehouse_id) is None:
        raise NotFound(f"unknown warehouse {warehouse_id}", field="warehouse_id")
    tree = read(engine, actor, queries.location_tree, warehouse_id)
    return [{"id": n["location"].id, "path": n["location"].path, "parent_id": n["location"].parent_id,
             "kind": n["location"].kind, "type": n["location"].type, "depth": n["depth"], "on_hand": n["on_hand"]}
            for n in tree]


@router.post("/locations", status_code=status.HTTP_201_CREATED)
def create_location(cmd: warehouses.CreateLocation, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, warehouses.create_location, cmd))


@router.post("/receipts", status_code=status.HTTP_201_CREATED)
def receive(cmd: movements.ReceiveStock, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, movements.receive_stock, cmd))


@router.post("/moves", status_code=status.HTTP_201_CREATED)
def move(cmd: movements.MoveStock, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, movements.move_stock, cmd))


@router.post("/moves/batch", status_code=status.HTTP_201_CREATED)
def move_batch(body: MoveBatch, engine: EngineDep, actor: ApiActor) -> MoveIds:
    return MoveIds(move_ids=perform(engine, actor, movements.move_stock_batch, list(body.moves)))


@router.post("/write-offs", status_code=status.HTTP_201_CREATED)
def write_off(cmd: movements.WriteOffStock, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, movements.write_off_stock, cmd))


@router.post("/status-changes", status_code=status.HTTP_201_CREATED)
def change_status(cmd: movements.ChangeStockStatus, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, movements.change_stock_status, cmd))


@router.post("/transfers", status_code=status.HTTP_201_CREATED)
def dispatch(cmd: transfers.DispatchTransfer, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, transfers.dispatch_transfer, cmd))


class ReceiveTransferIn(BaseModel):
    lines: list[transfers.ReceiveLine] = Field(min_length=1)


@router.post("/transfers/{transfer_id}/receipts")
def receive_transfer(transfer_id: int, body: ReceiveTransferIn, engine: EngineDep, actor: ApiActor) -> dict[str, str]:
    cmd = transfers.ReceiveTransfer(transfer_id=transfer_id, lines=body.lines)
    return {"state": perform(engine, actor, transfers.receive_transfer, cmd)}


@router.get("/transfers")
def list_transfers(engine: EngineDep, actor: ApiActor, state: str | None = None, page: int = 1) -> dict[str, Any]:
    result = read(engine, actor, queries.list_transfers, state, page)
    return {"total": result.total, "page": result.page, "items": [
        {"id": t.id, "from": f, "to": to, "state": t.state, "quantity": int(q), "received": int(r),
         "created_at": t.created_at} for t, f, to, q, r in result.items]}


@router.get("/transfers/{transfer_id}")
def get_transfer(transfer_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    found = read(engine, actor, queries.transfer_detail, transfer_id)
    if found is None:
        raise NotFound(f"unknown transfer {transfer_id}", field="transfer_id")
    head, lines = found
    return {"id": head.id, "state": head.state, "from_warehouse_id": head.from_warehouse_id,
            "to_warehouse_id": head.to_warehouse_id, "lines": [
                {"line_id": line.id, "sku": code, "from_location": path, "lot": line.lot, "quantity": line.quantity,
                 "received": line.received} for line, code, path in lines]}


@router.post("/reservations", status_code=status.HTTP_201_CREATED)
def reserve(cmd: reservations.ReserveStock, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, reservations.reserve_stock, cmd))


@router.post("/reservations/{reservation_id}/release", status_code=status.HTTP_204_NO_CONTENT)
def release(reservation_id: int, engine: EngineDep, actor: ApiActor) -> None:
    perform(engine, actor, reservations.release_reservation, reservation_id)


@router.post("/reservations/{reservation_id}/consume")
def consume(reservation_id: int, engine: EngineDep, actor: ApiActor, body: ConsumeIn | None = None) -> MoveIds:
    body = body or ConsumeIn()
    ids = perform(engine, actor, reservations.consume_reservation, reservation_id,
                  document_type=body.document_type, document_id=body.document_id)
    return MoveIds(move_ids=ids)


@router.get("/reservations")
def list_reservations(engine: EngineDep, actor: ApiActor, state: str | None = "active",
                      page: int = 1) -> dict[str, Any]:
    result = read(engine, actor, queries.list_reservations, state, None, page)
    return {"total": result.total, "page": result.page, "items": [
        {"id": r.id, "sku": code, "warehouse": wh, "quantity": r.quantity, "state": r.state,
         "reference": r.reference, "reserved_until": r.reserved_until} for r, code, wh in result.items]}


@router.post("/counts", status_code=status.HTTP_201_CREATED)
def open_count(cmd: counts.OpenCount, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, counts.open_count, cmd))


class RecordIn(BaseModel):
    location: int | str
    sku: int | str
    counted: WholeNumber = Field(ge=0)
    lot: str = ""


@router.post("/counts/{count_id}/lines")
def record(count_id: int, body: RecordIn, engine: EngineDep, actor: ApiActor) -> Created:
    cmd = counts.RecordCount(count_id=count_id, **body.model_dump())
    return Created(id=perform(engine, actor, counts.record_count, cmd))


@router.post("/counts/{count_id}/approve")
def approve(count_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, int]:
    return {"adjustments": perform(engine, actor, counts.approve_count, count_id)}


@router.post("/counts/{count_id}/cancel", status_code=status.HTTP_204_NO_CONTENT)
def cancel(count_id: int, engine: EngineDep, actor: ApiActor) -> None:
    perform(engine, actor, counts.cancel_count, count_id)


@router.get("/counts/{count_id}")
def get_count(count_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    found = read(engine, actor, queries.count_detail, count_id)
    if found is None:
        raise NotFound(f"unknown count {count_id}", field="count_id")
    head, lines = found
    return {"id": head.id, "state": head.state, "warehouse_id": head.warehouse_id, "lines": [
        {"line_id": x["line"].id, "location": x["location"], "sku": x["sku"], "lot": x["line"].lot,
         "expected": x["line"].expected, "counted": x["line"].counted, "system_qty": x["line"].system_qty,
         "variance": x["variance"]} for x in lines]}


@router.put("/min-stock-rules", status_code=status.HTTP_200_OK)
def set_rule(body: MinStockIn, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, min_stock.set_min_stock_rule, **body.model_dump()))


@router.get("/alerts")
def alerts(engine: EngineDep, actor: ApiActor, state: str = "open") -> list[dict[str, Any]]:
    return [{"id": a.id, "sku": code, "name": name, "warehouse": wh, "available": a.available,
             "minimum": a.minimum, "state": a.state, "created_at": a.created_at}
            for a, code, name, wh in read(engine, actor, queries.list_alerts, state)]


@router.get("/atp")
def available_to_promise(request: Request, engine: EngineDep, actor: ApiActor, sku: str) -> dict[str, Any]:
    return read(engine, actor, atp_cache.atp_for_sku, read_cache(request), sku,
                read_cache_seconds(request)).as_dict()


@router.get("/stock")
def stock(engine: EngineDep, actor: ApiActor, q: str = "", warehouse: str | None = None, page: int = 1,
          per_page: int = Query(default=50, le=500)) -> dict[str, Any]:
    result = read(engine, actor, queries.search_stock_in, q, warehouse, page, per_page)
    return {"total": result.total, "page": result.page, "items": [s.as_dict() for s in result.items]}


@router.get("/locations/{location:path}/stock")
def stock_at_location(location: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    path, rows = read(engine, actor, queries.stock_at_location_ref, location)
    return {"location": path, "items": [
        {"sku": code, "name": name, "status": lvl.status, "lot": lvl.lot, "on_hand": lvl.on_hand,
         "reserved": lvl.reserved} for lvl, code, name in rows]}


@router.get("/moves")
def history(engine: EngineDep, actor: ApiActor, sku: str | None = None, location: str | None = None,
            reason: str | None = None, document_type: str | None = None, document_id: str | None = None,
            since: datetime | None = None, until: datetime | None = None, page: int = 1,
            per_page: int = Query(default=50, le=500)) -> dict[str, Any]:
    f = queries.MoveFilter(reason=reason, document_type=document_type, document_id=document_id, since=since,
                           until=until)
    result = read(engine, actor, queries.find_moves, f, sku or "", location or "", page, per_page)
    return {"total": result.total, "page": result.page, "items": [
        {"id": m.id, "sku": code, "quantity": m.quantity, "from": src, "to": dst, "from_status": m.from_status,
         "to_status": m.to_status, "lot": m.lot, "reason": m.reason, "document_type": m.document_type,
         "document_id": m.document_id, "unit_cost": m.unit_cost, "actor": m.actor_name, "note": m.note,
         "created_at": m.created_at} for m, code, src, dst in result.items]}


@router.get("/value")
def value(engine: EngineDep, actor: ApiActor) -> list[dict[str, Any]]:
    return read(engine, actor, queries.inventory_value)

"""JSON API for warehouse execution at /api/v1/fulfilment (native apps and the mobile pages /m use it):

    GET  /fulfilment/waves                              waves, newest first (warehouse_id, state, page)
    GET  /fulfilment/waves/groups?warehouse_id=         orders waiting, by carrier cut-off and priority
    POST /fulfilment/waves                              {warehouse_id, cutoff?, priority?, max_orders?} → the wave
    GET  /fulfilment/waves/{wave_id}                    the wave with its pick lists
    GET  /fulfilment/pick-lists                         open pick lists (warehouse_id, kind)
    GET  /fulfilment/pick-lists/{pick_list_id}          lines in walking order and the next line to pick
    POST /fulfilment/pick-lists/{pick_list_id}/confirm  {line_id, location_code, scanned_barcode, quantity}
    POST /fulfilment/pick-lists/{pick_list_id}/short    {line_id, location_code, found}
    POST /fulfilment/replenishments                     {warehouse_id, sku, from_location, to_location, quantity}
    POST /fulfilment/transfer-picks                     {from_warehouse, to_warehouse, lines: [{sku, quantity}], note}
                                                        a pick list whose picked units leave as one transfer
    POST /fulfilment/transfer-picks/{id}/cancel         call it off: its holds are let go, the list is cancelled
    GET  /fulfilment/discrepancies                      short picks (state, page)
    GET  /fulfilment/orders/{order_id}/pack             the pack station: picked, packed, parcels, and once packed
                                                        the carrier services for the parcels, cheapest first
    POST /fulfilment/orders/{order_id}/pack             {parcel_no, scanned_barcode, quantity}
    POST /fulfilment/orders/{order_id}/parcels/{parcel_no}/close   {weight_grams, length_mm, width_mm, height_mm}
    POST /fulfilment/orders/{order_id}/ship             {method_id?} → shipments with tracking; the customer is told

Errors are the usual JSON errors naming the field (a wrong scan is 422, a conflict 409) and change nothing.
"""

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from stockyard.core.files import file_store
from stockyard.core.uow import perform, read
from stockyard.fulfilment import execution_queries as q
from stockyard.fulfilment import packing, picking, waves
from stockyard.fulfilment.shipments import shipments_for_order
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(prefix="/fulfilment", tags=["fulfilment"])


class ConfirmIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_id: int
    location_code: str = Field(min_length=1, max_length=200)
    scanned_barcode: str = Field(min_length=1, max_length=64)
    quantity: int = Field(default=1, gt=0, le=100_000)


class ShortIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line_id: int
    location_code: str = Field(min_length=1, max_length=200)
    found: int = Field(ge=0, le=100_000)


class PackIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    parcel_no: int = Field(default=1, gt=0, le=999)
    scanned_barcode: str = Field(min_length=1, max_length=64)
    quantity: int = Field(default=1, gt=0, le=100_000)


class CloseIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    weight_grams: int = Field(gt=0, le=1_000_000)
    length_mm: int = Field(gt=0, le=10_000)
    width_mm: int = Field(gt=0, le=10_000)
    height_mm: int = Field(gt=0, le=10_000)


class ShipIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    method_id: int | None = None


def pick_list_json(view: picking.PickListView) -> dict[str, Any]:
    def line(li: picking.PickLineView) -> dict[str, Any]:
        return {"id": li.id, "position": li.position, "location": li.location, "sku": li.sku, "name": li.name,
                "lot": li.lot, "quantity": li.quantity, "picked": li.picked, "remaining": li.remaining,
                "state": li.state}

    nxt = view.next_line
    return {"id": view.id, "wave_id": view.wave_id, "kind": view.kind, "state": view.state,
            "warehouse": view.warehouse, "order_id": view.order_id, "order_number": view.order_number,
            "order_status": view.order_status, "to_location": view.to_location or None,
            "to_warehouse": view.to_warehouse or None, "transfer_id": view.transfer_id,
            "lines": [line(li) for li in view.lines], "next_line": line(nxt) if nxt else None, "done": view.done}


def _wave_json(detail: q.WaveDetail) -> dict[str, Any]:
    return {"id": detail.id, "state": detail.state, "warehouse": detail.warehouse, "cutoff": detail.cutoff,
            "priority": detail.priority, "created_by": detail.created_by_name,
            "created_at": detail.created_at.isoformat(),
            "pick_lists": [{"id": r.id, "state": r.state, "order_id": r.order_id, "order_number": r.number,
                            "order_status": r.status, "lines": r.lines, "units": int(r.units),
                            "picked": int(r.picked)} for r in detail.lists]}


def station_json(station: q.PackStation) -> dict[str, Any]:
    return {"order_id": station.order_id, "number": station.number, "status": station.status,
            "method_id": station.method_id, "method": station.method, "left_to_pack": station.left_to_pack,
            "next_parcel_no": station.next_parcel_no,
            "lines": [{"sku": li.sku, "name": li.name, "ordered": li.ordered, "picked": li.picked,
                       "packed": li.packed, "left": li.left} for li in station.lines],
            "parcels": [{**asdict(p), "items": [{"sku": s, "quantity": n} for s, n in p.items]}
                        for p in station.parcels],
            "rates": [rate_json(r) for r in station.rates]}


def rate_json(rate: packing.ParcelRate) -> dict[str, Any]:
    return {"method_id": rate.method_id, "code": rate.code, "name": rate.name, "carrier": rate.carrier,
            "cost": str(rate.cost), "currency": rate.currency}


@router.get("/waves")
def list_waves(engine: EngineDep, actor: ApiActor, warehouse_id: int | None = None, state: str = "",
               page: int = 1, per_page: int = 50) -> dict[str, Any]:
    found = read(engine, actor, q.list_waves, warehouse_id, state, page, per_page)
    return {"total": found.total, "page": found.page, "per_page": found.per_page, "items": [
        {"id": w.id, "state": w.state, "warehouse": w.warehouse, "cutoff": w.cutoff, "priority": w.priority,
         "pick_lists": int(w.lists), "picked": int(w.picked), "created_at": w.created_at.isoformat(),
         "created_by": w.created_by_name} for w in found.items]}


@router.get("/waves/groups")
def wave_groups(warehouse_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    code, groups = read(engine, actor, q.waiting_groups, warehouse_id)
    return {"warehouse": code, "items": [{"cutoff": g.cutoff, "priority": g.priority, "orders": g.orders}
                                         for g in groups]}


@router.post("/waves", status_code=201)
def create_wave(body: waves.CreateWave, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    wave_id = perform(engine, actor, waves.create_pick_wave, body)
    return _wave_json(read(engine, actor, q.wave_detail, wave_id))


@router.get("/waves/{wave_id}")
def get_wave(wave_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _wave_json(read(engine, actor, q.wave_detail, wave_id))


@router.get("/pick-lists")
def list_pick_lists(engine: EngineDep, actor: ApiActor, warehouse_id: int | None = None,
                    kind: str = "") -> dict[str, Any]:
    rows = read(engine, actor, q.open_pick_lists, warehouse_id, kind)
    return {"items": [{"id": r.id, "kind": r.kind, "wave_id": r.wave_id, "order_id": r.order_id,
                       "order_number": r.number, "warehouse": r.warehouse, "created_at": r.created_at.isoformat()}
                      for r in rows]}


@router.get("/pick-lists/{pick_list_id}")
def get_pick_list(pick_list_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return pick_list_json(read(engine, actor, picking.pick_list, pick_list_id))


@router.post("/pick-lists/{pick_list_id}/confirm")
def confirm_pick(pick_list_id: int, body: ConfirmIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    progress = perform(engine, actor, picking.confirm_pick, picking.ConfirmPick(pick_list_id=pick_list_id,
                                                                                **body.model_dump()))
    return {"progress": asdict(progress), "pick_list": pick_list_json(read(engine, actor, picking.pick_list,
                                                                           pick_list_id))}


@router.post("/pick-lists/{pick_list_id}/short")
def report_short(pick_list_id: int, body: ShortIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    result = perform(engine, actor, picking.report_short_pick, picking.ReportShortPick(pick_list_id=pick_list_id,
                                                                                       **body.model_dump()))
    return {"short": {**asdict(result), "put_back": [{"location": p, "sku": s, "quantity": n}
                                                     for p, s, n in result.put_back]},
            "pick_list": pick_list_json(read(engine, actor, picking.pick_list, pick_list_id))}


@router.post("/replenishments", status_code=201)
def create_replenishment(body: picking.CreateReplenishment, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    list_id = perform(engine, actor, picking.create_replenishment, body)
    return pick_list_json(read(engine, actor, picking.pick_list, list_id))


@router.post("/transfer-picks", status_code=201)
def create_transfer_pick(body: picking.CreateTransferPick, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    list_id = perform(engine, actor, picking.create_transfer_pick, body)
    return pick_list_json(read(engine, actor, picking.pick_list, list_id))


@router.post("/transfer-picks/{pick_list_id}/cancel")
def cancel_transfer_pick(pick_list_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, picking.cancel_transfer_pick, pick_list_id)
    return pick_list_json(read(engine, actor, picking.pick_list, pick_list_id))


@router.get("/discrepancies")
def list_discrepancies(engine: EngineDep, actor: ApiActor, state: str = "open", page: int = 1,
                       per_page: int = 50) -> dict[str, Any]:
    found = read(engine, actor, q.list_discrepancies, state, page, per_page)
    return {"total": found.total, "page": found.page, "per_page": found.per_page, "items": [
        {"id": d.id, "state": d.state, "location": d.location, "sku": d.sku, "expected": d.expected,
         "found": d.found, "missing": d.missing, "outcome": d.outcome, "suggestion": d.suggestion,
         "pick_list_id": d.pick_list_id, "created_at": d.created_at.isoformat(), "by": d.actor_name}
        for d in found.items]}


@router.get("/orders/{order_id}/pack")
def get_pack_station(order_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return station_json(read(engine, actor, q.pack_station, order_id))


@router.post("/orders/{order_id}/pack")
def pack_item(order_id: int, body: PackIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    result = perform(engine, actor, packing.pack_item, packing.PackItem(order_id=order_id, **body.model_dump()))
    return {"packed": asdict(result), "station": station_json(read(engine, actor, q.pack_station, order_id))}


@router.post("/orders/{order_id}/parcels/{parcel_no}/close")
def close_parcel(order_id: int, parcel_no: int, body: CloseIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    status = perform(engine, actor, packing.close_parcel, packing.CloseParcel(order_id=order_id, parcel_no=parcel_no,
                                                                              **body.model_dump()))
    return {"order_status": status, "station": station_json(read(engine, actor, q.pack_station, order_id))}


@router.post("/orders/{order_id}/ship")
def ship(order_id: int, body: ShipIn, request: Request, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    ids = perform(engine, actor, packing.ship_packed_order, packing.ShipPacked(order_id=order_id,
                                                                               method_id=body.method_id),
                  file_store(request.app.state.settings))
    packing.send_shipment_notice(request.app.state.settings, engine, actor, order_id)
    shipped = [s for s in read(engine, actor, shipments_for_order, order_id) if s["id"] in ids]
    return {"shipments": [{"id": s["id"], "carrier": s["carrier_code"], "tracking_number": s["tracking_number"],
                           "label_url": f"/api/v1/shipments/{s['id']}/label", "status": s["status"]}
                          for s in shipped]}

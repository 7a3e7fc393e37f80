"""JSON API for shipping: quotes (/api/v1/shipping/quote) and shipment labels (/api/v1/shipments/{id}/label)."""

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from stockyard.core.files import file_store
from stockyard.core.uow import read
from stockyard.fulfilment import shipments
from stockyard.fulfilment.quotes import Destination, QuoteLine, QuoteRequest, quote_details
from stockyard.identity.domain import SETTINGS_VIEW
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(tags=["shipping"])


class QuoteLineIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str = Field(min_length=1, max_length=64, description="SKU code")
    quantity: int = Field(gt=0, le=100_000)


class QuoteIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    address: Destination
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=500)
    order_value: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    currency: str = Field(min_length=3, max_length=3)
    warehouse_id: int | None = Field(default=None, description="ship from this warehouse (default: the first by "
                                                                "priority)")


@router.post("/shipping/quote")
def shipping_quote(body: QuoteIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """Every shipping option for the lines to the address, cheapest first, each with how its price was built.
    Staff who may view settings also see why the other methods were not offered."""
    req = QuoteRequest(destination=body.address, lines=[QuoteLine(sku=line.sku, quantity=line.quantity)
                                                        for line in body.lines],
                       order_value=body.order_value, currency=body.currency, origin_warehouse_id=body.warehouse_id)
    result = read(engine, actor, quote_details, req)
    out: dict[str, Any] = {"zone": result.zone_name, "options": [
        {"method_id": o.method_id, "code": o.code, "name": o.name, "carrier": {"code": o.carrier_code,
                                                                                "name": o.carrier_name},
         "cost": str(o.cost), "currency": o.currency, "promised_date": o.promised_date.isoformat(),
         "explanation": o.explanation} for o in result.options]}
    if actor.can(SETTINGS_VIEW):
        out["not_offered"] = result.not_offered
    return out


@router.get("/shipments/{shipment_id}/label", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def shipment_label(shipment_id: int, request: Request, engine: EngineDep, actor: ApiActor) -> Response:
    store = file_store(request.app.state.settings)
    found = read(engine, actor, shipments.shipment_label, shipment_id, store)
    return Response(found.data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{found.filename}"'})

"""JSON API for price lists (/api/v1/price-lists) and the price lookup (/api/v1/prices)."""

from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from stockyard.catalog import pricing
from stockyard.catalog.pricing_models import PriceList
from stockyard.core.uow import perform, read
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(tags=["pricing"])


class Created(BaseModel):
    id: int


def _list_json(price_list: PriceList, channel_code: str, sku_count: int | None = None) -> dict[str, Any]:
    out = pricing.price_list_dict(price_list)
    out["channel"] = channel_code
    if sku_count is not None:
        out["sku_count"] = sku_count
    return out


@router.get("/price-lists")
def list_price_lists(engine: EngineDep, actor: ApiActor, q: str = "", page: int = Query(default=1, ge=1),
                     per_page: int = Query(default=50, ge=1, le=500)) -> dict[str, Any]:
    result = read(engine, actor, pricing.list_price_lists, q, None, page, per_page)
    return {"total": result.total, "page": result.page,
            "items": [_list_json(p, code, count) for p, code, count in result.items]}


@router.post("/price-lists", status_code=status.HTTP_201_CREATED)
def create_price_list(cmd: pricing.PriceListIn, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, pricing.create_price_list, cmd))


@router.get("/price-lists/{list_id}")
def get_price_list(list_id: int, engine: EngineDep, actor: ApiActor, page: int = Query(default=1, ge=1),
                   per_page: int = Query(default=100, ge=1, le=500)) -> dict[str, Any]:
    found = read(engine, actor, pricing.price_list_detail, list_id, "", page, per_page)
    out = _list_json(found["price_list"], found["channel"].code)
    prices = found["prices"]
    out["prices"] = {"total": prices.total, "page": prices.page, "items": [
        {"sku": row["sku"], "tiers": [{"min_quantity": t.min_quantity, "unit_price": str(t.unit_price)}
                                      for t in row["tiers"]]} for row in prices.items]}
    return out


@router.put("/price-lists/{list_id}")
def update_price_list(list_id: int, cmd: pricing.PriceListIn, engine: EngineDep, actor: ApiActor) -> Created:
    perform(engine, actor, pricing.update_price_list, list_id, cmd)
    return Created(id=list_id)


@router.delete("/price-lists/{list_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_price_list(list_id: int, engine: EngineDep, actor: ApiActor) -> Response:
    perform(engine, actor, pricing.delete_price_list, list_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/price-lists/{list_id}/prices")
def set_prices(list_id: int, cmd: pricing.SetSkuPrices, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, pricing.set_sku_prices, list_id, cmd)
    return {"sku": cmd.sku, "tiers": read(engine, actor, pricing.sku_tiers, list_id, cmd.sku)}


@router.get("/prices")
def lookup_price(engine: EngineDep, actor: ApiActor, sku: str = Query(min_length=1),
                 channel: str = Query(min_length=1), quantity: int = Query(default=1, ge=1),
                 currency: str | None = None, on: date | None = Query(default=None, alias="date")) -> dict[str, Any]:
    return read(engine, actor, pricing.lookup_price, sku, channel, quantity, currency, on)

"""JSON API for the catalog at /api/v1/catalog (products, SKUs, barcodes)."""

from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from stockyard.catalog import queries, services
from stockyard.core.errors import NotFound
from stockyard.core.uow import perform, read
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(prefix="/catalog", tags=["catalog"])


class Created(BaseModel):
    id: int


@router.post("/products", status_code=status.HTTP_201_CREATED)
def create_product(cmd: services.CreateProduct, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, services.create_product, cmd))


@router.get("/skus")
def list_skus(engine: EngineDep, actor: ApiActor, q: str = "", page: int = 1,
              per_page: int = Query(default=50, le=500)) -> dict[str, Any]:
    result = read(engine, actor, queries.search_skus, q, page, per_page)
    return {"total": result.total, "page": result.page, "items": result.items}


@router.get("/skus/{code}")
def get_sku(code: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    found = read(engine, actor, queries.sku_detail, code)
    if found is None:
        raise NotFound(f"unknown SKU '{code}'", field="code")
    return found


class BarcodeIn(BaseModel):
    code: str
    kind: str


@router.post("/skus/{code}/barcodes", status_code=status.HTTP_201_CREATED)
def add_barcode(code: str, body: BarcodeIn, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, services.add_barcode, sku=code, code=body.code, kind=body.kind))

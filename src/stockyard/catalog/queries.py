"""Catalog read models."""

from typing import Any

from sqlalchemy import or_, select

from stockyard.catalog.models import Barcode, Brand, Category, Product, Sku
from stockyard.core.pagination import Page, paginate
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import CATALOG_VIEW


def _sku_dict(sku: Sku, product: Product, brand: str | None, barcodes: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": sku.id, "code": sku.code, "name": sku.name, "product_id": product.id, "product": product.name,
            "part_number": product.part_number, "tax_class": product.tax_class, "brand": brand, "unit": sku.unit,
            "weight_g": sku.weight_g,
            "length_mm": sku.length_mm, "width_mm": sku.width_mm, "height_mm": sku.height_mm,
            "tracking": sku.tracking, "barcodes": barcodes}


@requires(CATALOG_VIEW)
def search_skus(uow: UnitOfWork, q: str = "", page: int = 1, per_page: int = 50) -> Page[dict[str, Any]]:
    stmt = (select(Sku, Product, Brand.name).join(Product, Product.id == Sku.product_id)
            .outerjoin(Brand, Brand.id == Product.brand_id).order_by(Sku.code))
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Sku.code.ilike(like), Sku.name.ilike(like), Product.part_number.ilike(like),
                              Sku.id.in_(select(Barcode.sku_id).where(Barcode.code == q.strip()))))
    result = paginate(uow.execute, stmt, page, per_page)
    ids = [row[0].id for row in result.items]
    codes: dict[int, list[dict[str, str]]] = {i: [] for i in ids}
    for b in uow.execute(select(Barcode).where(Barcode.sku_id.in_(ids)).order_by(Barcode.id)).scalars():
        codes[b.sku_id].append({"code": b.code, "kind": b.kind})
    items = [_sku_dict(sku, product, brand, codes[sku.id]) for sku, product, brand in result.items]
    return Page(items, result.total, result.page, result.per_page)


@requires(CATALOG_VIEW)
def sku_detail(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    row = uow.execute(select(Sku, Product, Brand.name).join(Product, Product.id == Sku.product_id)
                      .outerjoin(Brand, Brand.id == Product.brand_id).where(Sku.code == code)).first()
    if row is None:
        return None
    sku, product, brand = row
    barcodes = [{"code": b.code, "kind": b.kind}
                for b in uow.execute(select(Barcode).where(Barcode.sku_id == sku.id)).scalars()]
    return _sku_dict(sku, product, brand, barcodes)


@requires(CATALOG_VIEW)
def category_paths(uow: UnitOfWork) -> dict[int, str]:
    cats = {c.id: c for c in uow.execute(select(Category)).scalars()}

    def path(cid: int) -> str:
        c = cats[cid]
        return c.name if c.parent_id is None else f"{path(c.parent_id)}/{c.name}"

    return {cid: path(cid) for cid in cats}

"""Read models for the catalog admin pages."""

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from stockyard.catalog.attributes import parse_choices
from stockyard.catalog.models import (
    Attribute,
    Barcode,
    Brand,
    Category,
    EquivalentMember,
    Product,
    ProductImage,
    RelatedItem,
    Replacement,
    Sku,
    SkuAttributeValue,
)
from stockyard.catalog.relations import equivalents_of
from stockyard.core.pagination import Page, paginate, sorted_by
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import CATALOG_VIEW

PRODUCT_SORTS = {"name": Product.name, "-name": Product.name.desc(), "part_number": Product.part_number,
                 "-created": Product.id.desc(), "created": Product.id}


@dataclass(frozen=True)
class CategoryNode:
    id: int
    name: str
    parent_id: int | None
    depth: int
    path: str
    position: int


@requires(CATALOG_VIEW)
def category_tree(uow: UnitOfWork) -> list[CategoryNode]:
    """Every category, depth first, siblings in their order."""
    children: dict[int | None, list[Category]] = {}
    for c in uow.execute(select(Category).order_by(Category.position, Category.name, Category.id)).scalars():
        children.setdefault(c.parent_id, []).append(c)
    out: list[CategoryNode] = []

    def walk(parent: int | None, depth: int, prefix: str) -> None:
        for c in children.get(parent, []):
            path = f"{prefix}/{c.name}" if prefix else c.name
            out.append(CategoryNode(c.id, c.name, c.parent_id, depth, path, c.position))
            walk(c.id, depth + 1, path)

    walk(None, 0, "")
    return out


def _subtree(tree: list[CategoryNode], category_id: int) -> set[int]:
    ids = {category_id}
    for node in tree:  # depth first: a parent is always listed before its children
        if node.parent_id in ids:
            ids.add(node.id)
    return ids


@requires(CATALOG_VIEW)
def list_products(uow: UnitOfWork, q: str = "", brand_id: int | None = None, category_id: int | None = None,
                  sort: str = "name", page: int = 1, per_page: int = 25) -> Page[dict[str, Any]]:
    skus = (select(Sku.product_id, func.count().label("n"), func.min(Sku.code).label("first"))
            .group_by(Sku.product_id).subquery())
    stmt = (select(Product, Brand.name, skus.c.n, skus.c.first).outerjoin(Brand, Brand.id == Product.brand_id)
            .outerjoin(skus, skus.c.product_id == Product.id))
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Product.name.ilike(like), Product.part_number.ilike(like),
                              Product.id.in_(select(Sku.product_id).where(Sku.code.ilike(like))),
                              Product.id.in_(select(Sku.product_id).join(Barcode, Barcode.sku_id == Sku.id)
                                             .where(Barcode.code == q.strip()))))
    if brand_id is not None:
        stmt = stmt.where(Product.brand_id == brand_id)
    tree = category_tree(uow)
    if category_id is not None:
        stmt = stmt.where(Product.category_id.in_(_subtree(tree, category_id)))
    stmt = stmt.order_by(PRODUCT_SORTS.get(sort, Product.name), Product.id)
    result = paginate(uow.execute, stmt, page, per_page)
    paths = {n.id: n.path for n in tree}
    ids = [row[0].id for row in result.items]
    images = dict(uow.execute(select(ProductImage.product_id, func.min(ProductImage.id))
                              .where(ProductImage.product_id.in_(ids), ProductImage.position == 0)
                              .group_by(ProductImage.product_id)).all())
    items = [{"id": p.id, "name": p.name, "part_number": p.part_number, "brand": brand or "",
              "category": paths.get(p.category_id, "") if p.category_id else "", "skus": n or 0,
              "first_sku": first or "", "image_id": images.get(p.id)}
             for p, brand, n, first in result.items]
    return Page(items, result.total, result.page, result.per_page)


@requires(CATALOG_VIEW)
def product_detail(uow: UnitOfWork, product_id: int) -> dict[str, Any] | None:
    row = uow.execute(select(Product, Brand.name).outerjoin(Brand, Brand.id == Product.brand_id)
                      .where(Product.id == product_id)).first()
    if row is None:
        return None
    product, brand = row
    skus = list(uow.execute(select(Sku).where(Sku.product_id == product_id).order_by(Sku.code)).scalars())
    barcodes: dict[int, list[str]] = {s.id: [] for s in skus}
    for b in uow.execute(select(Barcode).where(Barcode.sku_id.in_(list(barcodes))).order_by(Barcode.id)).scalars():
        barcodes[b.sku_id].append(b.code)
    images = list(uow.execute(select(ProductImage).where(ProductImage.product_id == product_id)
                              .order_by(ProductImage.position, ProductImage.id)).scalars())
    paths = {n.id: n.path for n in category_tree(uow)}
    return {"product": product, "brand": brand or "", "category": paths.get(product.category_id or 0, ""),
            "skus": [{"sku": s, "barcodes": barcodes[s.id]} for s in skus], "images": images}


@requires(CATALOG_VIEW)
def sku_detail(uow: UnitOfWork, sku_id: int) -> dict[str, Any] | None:
    row = uow.execute(select(Sku, Product).join(Product, Product.id == Sku.product_id).where(Sku.id == sku_id)).first()
    if row is None:
        return None
    sku, product = row
    barcodes = list(uow.execute(select(Barcode).where(Barcode.sku_id == sku_id).order_by(Barcode.id)).scalars())
    values = {v.attribute_id: v.value for v in uow.execute(
        select(SkuAttributeValue).where(SkuAttributeValue.sku_id == sku_id)).scalars()}
    attributes = [{"attribute": a, "value": values.get(a.id, ""), "choices": parse_choices(a.choices)}
                  for a in uow.execute(select(Attribute).order_by(Attribute.name)).scalars()]
    successor = aliased(Sku)
    replacement = uow.execute(select(Replacement, successor.code).join(successor, successor.id ==
                                                                       Replacement.replaced_by_id)
                              .where(Replacement.sku_id == sku_id)).first()
    predecessors = list(uow.execute(select(Sku.code, Replacement.effective_on)
                                    .join(Replacement, Replacement.sku_id == Sku.id)
                                    .where(Replacement.replaced_by_id == sku_id).order_by(Sku.code)).all())
    related = list(uow.execute(select(RelatedItem.id, RelatedItem.kind, Sku.code, Sku.name)
                               .join(Sku, Sku.id == RelatedItem.related_id)
                               .where(RelatedItem.sku_id == sku_id).order_by(RelatedItem.kind, Sku.code)).all())
    in_group = uow.execute(select(EquivalentMember.id).where(EquivalentMember.sku_id == sku_id)).first() is not None
    return {"sku": sku, "product": product, "barcodes": barcodes, "attributes": attributes,
            "equivalents": equivalents_of(uow, sku_id), "in_group": in_group,
            "replacement": ({"code": replacement[1], "effective_on": replacement[0].effective_on}
                            if replacement else None),
            "predecessors": predecessors, "related": related}


@requires(CATALOG_VIEW)
def list_brands(uow: UnitOfWork, q: str = "", page: int = 1, per_page: int = 50, sort: str = "") -> Page[Any]:
    """Rows (brand, product count); `sort` "name" or "products" ("-" descending), by name when it is neither."""
    counts = select(Product.brand_id, func.count().label("n")).group_by(Product.brand_id).subquery()
    stmt, sort = sorted_by(select(Brand, counts.c.n).outerjoin(counts, counts.c.brand_id == Brand.id), sort,
                           {"name": Brand.name, "products": func.coalesce(counts.c.n, 0)}, "name")
    stmt = stmt.order_by(Brand.name, Brand.id)
    if q.strip():
        stmt = stmt.where(Brand.name.ilike(f"%{q.strip()}%"))
    return paginate(uow.execute, stmt, page, per_page, sort)


@requires(CATALOG_VIEW)
def brand_options(uow: UnitOfWork) -> list[tuple[int, str]]:
    return [(b.id, b.name) for b in uow.execute(select(Brand).order_by(Brand.name)).scalars()]


@requires(CATALOG_VIEW)
def get_brand(uow: UnitOfWork, brand_id: int) -> Brand | None:
    return uow.execute(select(Brand).where(Brand.id == brand_id)).scalar()


@requires(CATALOG_VIEW)
def page_attributes(uow: UnitOfWork, q: str = "", page: int = 1, per_page: int = 50,
                    sort: str = "") -> Page[tuple[Attribute, int]]:
    """The attributes page: rows (attribute, SKUs with a value) searched by name or unit, sorted by "name", "type",
    "unit" or "skus" ("-" descending; by name when `sort` is none of them)."""
    counts = (select(SkuAttributeValue.attribute_id, func.count().label("n"))
              .group_by(SkuAttributeValue.attribute_id).subquery())
    skus = func.coalesce(counts.c.n, 0)
    stmt = select(Attribute, skus).outerjoin(counts, counts.c.attribute_id == Attribute.id)
    stmt, sort = sorted_by(stmt, sort, {"name": Attribute.name, "type": Attribute.type, "unit": Attribute.unit,
                                        "skus": skus}, "name")
    if q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Attribute.name).like(like), func.lower(Attribute.unit).like(like)))
    result = paginate(uow.execute, stmt.order_by(Attribute.name, Attribute.id), page, per_page, sort)
    return replace(result, items=[(a, n) for a, n in result.items])


@requires(CATALOG_VIEW)
def get_attribute(uow: UnitOfWork, attribute_id: int) -> Attribute | None:
    return uow.execute(select(Attribute).where(Attribute.id == attribute_id)).scalar()

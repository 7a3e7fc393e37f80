"""The storefront's read models: category and brand listings with facets, the product page, stock labels.

A listing shows the SKUs of one shop (a sales channel of a tenant) that its price lists price today for one unit
(the channel's assortment). Filters: category (a category includes its subcategories; it is the page's scope),
brands, attribute values (number attributes as ranges, choice and text attributes as value lists), a price range
and "in stock only" (available to promise > 0). Facet counts for each dimension are computed with the other
filters applied, so that ticking a brand does not hide the other brands.

Hot path: SQLAlchemy Core on `uow.conn`, every table filtered by tenant explicitly. A listing page costs four
statements: the category tree, whether the channel's listing prices (sku_listings, catalog/listings.py) are exact
today, one UNION ALL statement over a materialised CTE of the scope (page of hits, total, every facet; prices read
from sku_listings when exact, else resolved per SKU) and the details of the page's SKUs with their stock.

Available to promise (ATP) per warehouse = sellable on hand − reserved − safety stock, never below zero, over
active warehouses (as inventory/queries.py stock_for_skus, limited to active warehouses).

An out-of-stock SKU that an open purchase order brings says "Back in stock on <date>" (the earliest expected date,
today or later, of its open purchase order lines: purchasing/queries.next_arrival_subquery, joined into the details
statement); without one it says "Out of stock" (or "Backorderable"), never a made-up date.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Numeric,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement, Select

from stockyard.catalog.listings import SKU_LISTINGS, is_fresh
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
from stockyard.catalog.pricing_domain import PRICE_QUANTUM, ListForSku, Tier, resolve_price
from stockyard.catalog.pricing_models import PriceList, PriceTier
from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import CATALOG_VIEW
from stockyard.inventory.models import MinStockRule, StockLevel, Warehouse
from stockyard.purchasing.queries import next_arrival_subquery

SKUS = Sku.__table__
PRODUCTS = Product.__table__
BRANDS = Brand.__table__
CATEGORIES = Category.__table__
ATTRIBUTES = Attribute.__table__
VALUES = SkuAttributeValue.__table__
IMAGES = ProductImage.__table__
LISTS = PriceList.__table__
TIERS = PriceTier.__table__
LEVELS = StockLevel.__table__
WAREHOUSES = Warehouse.__table__
RULES = MinStockRule.__table__
BARCODES = Barcode.__table__

SORTS = ("relevance", "price_asc", "price_desc", "name", "newest")
MAX_PER_PAGE = 100
SELLABLE = "sellable"


@dataclass(frozen=True)
class Shop:
    """One storefront: a sales channel of a tenant."""

    tenant_id: int
    channel_id: int
    channel_code: str
    name: str
    currency: str
    prices_include_tax: bool


@dataclass(frozen=True)
class AttributeFilter:
    attribute_id: int
    values: tuple[str, ...] = ()
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass(frozen=True)
class Filters:
    category_id: int | None = None
    brand_ids: tuple[int, ...] = ()
    attributes: tuple[AttributeFilter, ...] = ()
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool = False


@dataclass(frozen=True)
class Browse:
    shop: Shop
    filters: Filters = Filters()
    sort: str = "name"
    page: int = 1
    per_page: int = 20
    low_stock: int = 5  # "Only N left" at or below this


@dataclass(frozen=True)
class StockLabel:
    kind: str  # in_stock | low | backorder | out
    text: str
    back_on: date | None = None  # out of stock: when an open purchase order brings more


def stock_label(atp: int, backorderable: bool, low_stock: int, back_on: date | None = None) -> StockLabel:
    if atp > low_stock:
        return StockLabel("in_stock", "In stock")
    if atp > 0:
        return StockLabel("low", f"Only {atp} left")
    if back_on is None:
        return StockLabel("backorder", "Backorderable") if backorderable else StockLabel("out", "Out of stock")
    when = f"back in stock on {back_on.day} {back_on:%b %Y}"
    if backorderable:
        return StockLabel("backorder", f"Backorderable, {when}", back_on)
    return StockLabel("out", when[0].upper() + when[1:], back_on)


@dataclass(frozen=True)
class Item:
    sku_id: int
    code: str
    name: str
    product_id: int
    brand: str | None
    price: Decimal
    currency: str
    atp: int
    backorderable: bool
    image_id: int | None
    stock: StockLabel


@dataclass(frozen=True)
class FacetValue:
    key: str
    label: str
    count: int
    selected: bool = False


@dataclass(frozen=True)
class AttributeFacet:
    attribute_id: int
    name: str
    type: str
    unit: str
    values: list[FacetValue] = field(default_factory=list)  # choice and text attributes
    low: Decimal | None = None  # number attributes: the range of the values present
    high: Decimal | None = None
    selected_low: Decimal | None = None
    selected_high: Decimal | None = None


@dataclass(frozen=True)
class Facets:
    categories: list[FacetValue]
    brands: list[FacetValue]
    attributes: list[AttributeFacet]
    price_low: Decimal | None
    price_high: Decimal | None
    in_stock: int


@dataclass(frozen=True)
class CategoryNode:
    id: int
    parent_id: int | None
    name: str
    position: int


@dataclass(frozen=True)
class Listing:
    hits: list[Item]
    total: int
    page: int
    per_page: int
    facets: Facets
    category: CategoryNode | None
    trail: list[CategoryNode]  # root → current category

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# ---- building blocks ------------------------------------------------------------------------------------------
# Statements are built once per shape (which filters are present, the sort, the kind of search) with bind
# parameters for every value, and kept: executing a kept statement skips SQLAlchemy's construction and cache-key
# work, which otherwise costs more than the database does on a listing page.

TENANT = bindparam("tenant_id", type_=Integer)
CHANNEL = bindparam("channel_id", type_=Integer)
CURRENCY = bindparam("currency", type_=String)
DAY = bindparam("day", type_=Date)
SKU_IDS = bindparam("sku_ids", expanding=True)
_KEPT: dict[tuple[Any, ...], Any] = {}
_KEEP_AT_MOST = 1000


def kept(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """The statement for `key`, built on first use."""
    found = _KEPT.get(key)
    if found is None:
        if len(_KEPT) >= _KEEP_AT_MOST:  # many shapes (odd filter combinations): start over rather than grow
            _KEPT.clear()
        found = _KEPT[key] = build()
    return found


def shop_params(uow: UnitOfWork, shop: Shop) -> dict[str, Any]:
    return {"tenant_id": uow.tenant_id, "channel_id": shop.channel_id, "currency": shop.currency,
            "day": utcnow().date()}


def listing_price(sku_id: ColumnElement[int]) -> Any:
    """The unit price of one unit of the SKU on :day: the channel's highest-ranked active list in its currency,
    valid on the day, that has a tier from quantity 1 (pricing_domain.resolve_price for quantity 1)."""
    return (select(TIERS.c.unit_price)
            .join(LISTS, LISTS.c.id == TIERS.c.price_list_id)
            .where(TIERS.c.tenant_id == TENANT, TIERS.c.sku_id == sku_id, TIERS.c.min_quantity == 1,
                   LISTS.c.tenant_id == TENANT, LISTS.c.channel_id == CHANNEL, LISTS.c.currency == CURRENCY,
                   LISTS.c.active.is_(True), or_(LISTS.c.valid_from.is_(None), LISTS.c.valid_from <= DAY),
                   or_(LISTS.c.valid_to.is_(None), LISTS.c.valid_to >= DAY))
            .order_by(LISTS.c.priority.desc(), func.coalesce(LISTS.c.valid_from, date.min).desc(), LISTS.c.id.desc())
            .limit(1).scalar_subquery())


def _levels() -> Any:
    return LEVELS.join(WAREHOUSES, WAREHOUSES.c.id == LEVELS.c.warehouse_id).outerjoin(
        RULES, and_(RULES.c.tenant_id == TENANT, RULES.c.sku_id == LEVELS.c.sku_id,
                    RULES.c.warehouse_id == LEVELS.c.warehouse_id))


def _in_stock(sku_id: ColumnElement[int]) -> Any:
    """ATP > 0 in at least one active warehouse."""
    per_warehouse = (
        select(literal(1)).select_from(_levels())
        .where(LEVELS.c.tenant_id == TENANT, LEVELS.c.sku_id == sku_id, LEVELS.c.status == SELLABLE,
               WAREHOUSES.c.active.is_(True))
        .group_by(LEVELS.c.warehouse_id)
        .having(func.sum(LEVELS.c.on_hand - LEVELS.c.reserved) > func.coalesce(func.max(RULES.c.safety_stock), 0)))
    return case((exists(per_warehouse), 1), else_=0)


def _build_categories() -> Any:
    return (select(CATEGORIES.c.id, CATEGORIES.c.parent_id, CATEGORIES.c.name, CATEGORIES.c.position)
            .where(CATEGORIES.c.tenant_id == TENANT).order_by(CATEGORIES.c.position, CATEGORIES.c.name))


def categories(uow: UnitOfWork) -> list[CategoryNode]:
    rows = uow.conn.execute(kept(("categories",), _build_categories), {"tenant_id": uow.tenant_id}).all()
    return [CategoryNode(r.id, r.parent_id, r.name, r.position) for r in rows]


def _subtree(tree: list[CategoryNode], root: int) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for node in tree:
        children.setdefault(node.parent_id, []).append(node.id)
    out, todo = [], [root]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


def _trail(tree: list[CategoryNode], category_id: int) -> list[CategoryNode]:
    by_id = {n.id: n for n in tree}
    trail: list[CategoryNode] = []
    current: int | None = category_id
    while current is not None and current in by_id and len(trail) < 50:
        trail.append(by_id[current])
        current = by_id[current].parent_id
    return list(reversed(trail))


def _build_details() -> Any:
    per = (select(LEVELS.c.sku_id, LEVELS.c.warehouse_id,
                  (func.sum(LEVELS.c.on_hand - LEVELS.c.reserved)
                   - func.coalesce(func.max(RULES.c.safety_stock), 0)).label("atp"))
           .select_from(_levels())
           .where(LEVELS.c.tenant_id == TENANT, LEVELS.c.sku_id.in_(SKU_IDS), LEVELS.c.status == SELLABLE,
                  WAREHOUSES.c.active.is_(True))
           .group_by(LEVELS.c.sku_id, LEVELS.c.warehouse_id).subquery())
    atp = (select(per.c.sku_id, func.sum(case((per.c.atp > 0, per.c.atp), else_=0)).label("atp"))
           .group_by(per.c.sku_id).subquery())
    image = (select(IMAGES.c.id).where(IMAGES.c.tenant_id == TENANT, IMAGES.c.product_id == PRODUCTS.c.id)
             .order_by(IMAGES.c.position, IMAGES.c.id).limit(1).correlate(PRODUCTS).scalar_subquery())
    inbound = next_arrival_subquery(TENANT, SKU_IDS, DAY)
    return (select(SKUS.c.id, SKUS.c.code, SKUS.c.name, SKUS.c.backorderable, PRODUCTS.c.id.label("product_id"),
                   BRANDS.c.name.label("brand"), image.label("image_id"), func.coalesce(atp.c.atp, 0).label("atp"),
                   inbound.c.back_on)
            .select_from(SKUS.join(PRODUCTS, PRODUCTS.c.id == SKUS.c.product_id)
                         .outerjoin(BRANDS, BRANDS.c.id == PRODUCTS.c.brand_id)
                         .outerjoin(atp, atp.c.sku_id == SKUS.c.id)
                         .outerjoin(inbound, inbound.c.sku_id == SKUS.c.id))
            .where(SKUS.c.tenant_id == TENANT, PRODUCTS.c.tenant_id == TENANT, SKUS.c.id.in_(SKU_IDS)))


def item_details(uow: UnitOfWork, shop: Shop, prices: dict[int, Decimal], low_stock: int) -> dict[int, Item]:
    """Codes, names, brand, main image, total ATP and next inbound date of the SKUs whose prices are given (one
    statement)."""
    if not prices:
        return {}
    rows = uow.conn.execute(kept(("details",), _build_details), {"tenant_id": uow.tenant_id,
                                                                 "sku_ids": list(prices), "day": utcnow().date()}).all()
    return {r.id: Item(r.id, r.code, r.name, r.product_id, r.brand, prices[r.id].quantize(PRICE_QUANTUM),
                       shop.currency, int(r.atp), bool(r.backorderable), r.image_id,
                       stock_label(int(r.atp), bool(r.backorderable), low_stock, _day(r.back_on)))
            for r in rows}


def _day(value: Any) -> date | None:
    """A date column of a subquery's MIN(): SQLite hands it back as text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ---- listings -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Matches:
    """Search hits for a listing (catalog/search.py): `build()` makes a SELECT of (sku_id, score, exact) with bind
    parameters, the same for every query of the same `shape`; `params` are this query's values."""

    shape: tuple[Any, ...]
    build: Callable[[], Select[Any]]
    params: dict[str, Any]


def _check(query: Browse) -> None:
    if query.sort not in SORTS:
        raise ValidationFailed(f"is one of {', '.join(SORTS)}", field="sort")
    if query.page < 1:
        raise ValidationFailed("must be at least 1", field="page")
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        raise ValidationFailed(f"must be between 1 and {MAX_PER_PAGE}", field="per_page")
    f = query.filters
    if f.price_min is not None and f.price_max is not None and f.price_min > f.price_max:
        raise ValidationFailed("must not be above the highest price", field="price_min")


@dataclass(frozen=True)
class _Shape:
    category: bool
    brands: bool
    price_min: bool
    price_max: bool
    in_stock: bool
    attributes: tuple[tuple[bool, bool, bool], ...]  # per attribute filter: values, low, high
    sort: str
    matches: tuple[Any, ...] | None
    projected: bool  # prices from sku_listings (catalog/listings.py), else resolved per SKU


def _row(kind: str, id_: Any = None, label: Any = None, value: Any = None, meta: Any = None, n: Any = None,
         lo: Any = None, hi: Any = None) -> list[Any]:
    def typed(x: Any, type_: Any) -> Any:
        return cast(null(), type_) if x is None else cast(x, type_)

    return [literal(kind, String).label("kind"), typed(id_, Integer).label("id"),
            typed(label, String).label("label"), typed(value, String).label("value"),
            typed(meta, String).label("meta"), typed(n, Integer).label("n"), typed(lo, Numeric(18, 6)).label("lo"),
            typed(hi, Numeric(18, 6)).label("hi")]


def _build_listing(shape: _Shape, matches: Matches | None) -> Any:
    """One UNION ALL over a materialised CTE of the scope: the page of hits, the total and every facet."""
    price = SKU_LISTINGS.c.price if shape.projected else listing_price(SKUS.c.id)
    columns: list[Any] = [SKUS.c.id.label("sku_id"), PRODUCTS.c.brand_id, PRODUCTS.c.category_id, SKUS.c.name,
                          SKUS.c.created_at, price.label("price"), _in_stock(SKUS.c.id).label("in_stock")]
    source: Any = SKUS.join(PRODUCTS, PRODUCTS.c.id == SKUS.c.product_id)
    if matches is not None:  # search hits first (a materialised CTE), then their SKUs by primary key
        found = matches.build().cte("matches").prefix_with("MATERIALIZED")
        columns += [found.c.score, found.c.exact]
        source = found.join(SKUS, SKUS.c.id == found.c.sku_id).join(PRODUCTS, PRODUCTS.c.id == SKUS.c.product_id)
    if shape.projected:  # only the SKUs the channel prices today
        source = source.join(SKU_LISTINGS, and_(SKU_LISTINGS.c.channel_id == CHANNEL,
                                                SKU_LISTINGS.c.sku_id == SKUS.c.id, SKU_LISTINGS.c.tenant_id == TENANT))
    scope = select(*columns).select_from(source).where(SKUS.c.tenant_id == TENANT, PRODUCTS.c.tenant_id == TENANT,
                                                       SKUS.c.active.is_(True))
    if shape.category:
        scope = scope.where(PRODUCTS.c.category_id.in_(bindparam("category_ids", expanding=True)))
    base = scope.cte("base").prefix_with("MATERIALIZED")

    def where(skip: str = "") -> list[Any]:
        conds: list[Any] = [base.c.price.is_not(None)]
        if shape.brands and skip != "brand":
            conds.append(base.c.brand_id.in_(bindparam("brand_ids", expanding=True)))
        if shape.price_min and skip != "price":
            conds.append(base.c.price >= bindparam("price_min", type_=Numeric(18, 6)))
        if shape.price_max and skip != "price":
            conds.append(base.c.price <= bindparam("price_max", type_=Numeric(18, 6)))
        if shape.in_stock and skip != "in_stock":
            conds.append(base.c.in_stock == 1)
        for i, (values, low, high) in enumerate(shape.attributes):
            if skip == f"attr:{i}":
                continue
            v = VALUES.alias(f"filter_{i}")
            value_match = [v.c.value.in_(bindparam(f"attr_{i}_values", expanding=True))] if values else []
            if low:
                value_match.append(v.c.number >= bindparam(f"attr_{i}_low", type_=Numeric(18, 6)))
            if high:
                value_match.append(v.c.number <= bindparam(f"attr_{i}_high", type_=Numeric(18, 6)))
            conds.append(exists(select(literal(1)).select_from(v).where(
                v.c.tenant_id == TENANT, v.c.sku_id == base.c.sku_id,
                v.c.attribute_id == bindparam(f"attr_{i}", type_=Integer), *value_match)))
        return conds

    order = {
        "relevance": [base.c.exact.desc(), base.c.score.desc()] if matches is not None else [],
        "price_asc": [base.c.price.asc()],
        "price_desc": [base.c.price.desc()],
        "name": [],
        "newest": [base.c.created_at.desc(), base.c.sku_id.desc()],
    }[shape.sort] + [base.c.name.asc(), base.c.sku_id.asc()]
    numbered = select(base.c.sku_id, base.c.price, func.row_number().over(order_by=order).label("rn")) \
        .where(*where()).subquery()
    parts: list[Select[Any]] = [
        select(*_row("hit", numbered.c.sku_id, n=numbered.c.rn, lo=numbered.c.price))
        .where(numbered.c.rn > bindparam("first", type_=Integer), numbered.c.rn <= bindparam("last", type_=Integer)),
        select(*_row("total", n=func.count())).select_from(base).where(*where()),
        select(*_row("brand", base.c.brand_id, BRANDS.c.name, n=func.count()))
        .select_from(base.join(BRANDS, BRANDS.c.id == base.c.brand_id)).where(*where("brand"))
        .group_by(base.c.brand_id, BRANDS.c.name),
        select(*_row("category", base.c.category_id, n=func.count())).select_from(base).where(*where())
        .group_by(base.c.category_id),
        select(*_row("in_stock", n=func.count())).select_from(base).where(*where("in_stock"), base.c.in_stock == 1),
        select(*_row("price", lo=func.min(base.c.price), hi=func.max(base.c.price))).select_from(base)
        .where(*where("price")),
    ]
    attr_source = base.join(VALUES, and_(VALUES.c.tenant_id == TENANT, VALUES.c.sku_id == base.c.sku_id)) \
        .join(ATTRIBUTES, ATTRIBUTES.c.id == VALUES.c.attribute_id)
    attr_cols = ("attr", VALUES.c.attribute_id, ATTRIBUTES.c.name, VALUES.c.value,
                 ATTRIBUTES.c.type + literal("|") + ATTRIBUTES.c.unit)
    attr_group = (VALUES.c.attribute_id, ATTRIBUTES.c.name, VALUES.c.value, ATTRIBUTES.c.type, ATTRIBUTES.c.unit,
                  VALUES.c.number)
    unfiltered = select(*_row(*attr_cols, n=func.count(), lo=VALUES.c.number)).select_from(attr_source) \
        .where(*where()).group_by(*attr_group)
    if shape.attributes:
        unfiltered = unfiltered.where(VALUES.c.attribute_id.not_in(bindparam("filtered_attrs", expanding=True)))
    parts.append(unfiltered)
    for i in range(len(shape.attributes)):
        parts.append(select(*_row(*attr_cols, n=func.count(), lo=VALUES.c.number)).select_from(attr_source)
                     .where(*where(f"attr:{i}"), VALUES.c.attribute_id == bindparam(f"attr_{i}", type_=Integer))
                     .group_by(*attr_group))
    return union_all(*parts)


def listing(uow: UnitOfWork, query: Browse, matches: Matches | None = None) -> Listing:
    """One page of the shop's items within the filters, with total and facets; `matches` narrows the scope to
    search hits and ranks them. Four statements: the category tree, the freshness of the listing prices, the
    listing, the page's details."""
    _check(query)
    shop, f = query.shop, query.filters
    if shop.tenant_id != uow.tenant_id:
        raise ValidationFailed("the shop belongs to another tenant", field="shop")
    tree = categories(uow)
    category = None
    if f.category_id is not None:
        category = next((n for n in tree if n.id == f.category_id), None)
        if category is None:
            raise NotFound(f"unknown category {f.category_id}", field="category")
    shape = _Shape(category is not None, bool(f.brand_ids), f.price_min is not None, f.price_max is not None,
                   f.in_stock, tuple((bool(a.values), a.low is not None, a.high is not None) for a in f.attributes),
                   query.sort, matches.shape if matches is not None else None,
                   is_fresh(uow, shop, utcnow().date()))
    params = shop_params(uow, shop) | {"first": (query.page - 1) * query.per_page,
                                       "last": query.page * query.per_page}
    if category is not None:
        params["category_ids"] = _subtree(tree, category.id)
    if f.brand_ids:
        params["brand_ids"] = list(f.brand_ids)
    if f.price_min is not None:
        params["price_min"] = f.price_min
    if f.price_max is not None:
        params["price_max"] = f.price_max
    for i, a in enumerate(f.attributes):
        params[f"attr_{i}"] = a.attribute_id
        params |= {f"attr_{i}_values": list(a.values)} if a.values else {}
        params |= {f"attr_{i}_low": a.low} if a.low is not None else {}
        params |= {f"attr_{i}_high": a.high} if a.high is not None else {}
    if f.attributes:
        params["filtered_attrs"] = [a.attribute_id for a in f.attributes]
    if matches is not None:
        params |= matches.params
    statement = kept(("listing", shape), lambda: _build_listing(shape, matches))
    rows = uow.conn.execute(statement, params).all()

    hits: list[tuple[int, int, Decimal]] = []
    total = in_stock = 0
    price_low = price_high = None
    brand_counts: list[FacetValue] = []
    category_counts: dict[int, int] = {}
    attr_rows: dict[int, list[Any]] = {}
    for r in rows:
        if r.kind == "hit":
            hits.append((r.n, r.id, Decimal(r.lo)))
        elif r.kind == "total":
            total = int(r.n)
        elif r.kind == "brand":
            brand_counts.append(FacetValue(str(r.id), r.label, int(r.n), r.id in f.brand_ids))
        elif r.kind == "category" and r.id is not None:
            category_counts[r.id] = int(r.n)
        elif r.kind == "in_stock":
            in_stock = int(r.n)
        elif r.kind == "price":
            price_low, price_high = _money(r.lo), _money(r.hi)
        elif r.kind == "attr":
            attr_rows.setdefault(r.id, []).append(r)
    hits.sort()
    details = item_details(uow, shop, {sku_id: price for _, sku_id, price in hits}, query.low_stock)
    items = [details[sku_id] for _, sku_id, _ in hits if sku_id in details]
    facets = Facets(_category_facet(tree, category, category_counts), sorted(brand_counts, key=lambda b: b.label),
                    _attribute_facets(attr_rows, f), price_low, price_high, in_stock)
    trail = _trail(tree, category.id) if category else []
    return Listing(items, total, query.page, query.per_page, facets, category, trail)


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _category_facet(tree: list[CategoryNode], current: CategoryNode | None,
                    counts: dict[int, int]) -> list[FacetValue]:
    """The children of the current category (or the top level) with the hits in each one's subtree."""
    parent = current.id if current else None
    out = []
    for node in tree:
        if node.parent_id == parent:
            n = sum(counts.get(c, 0) for c in _subtree(tree, node.id))
            if n:
                out.append(FacetValue(str(node.id), node.name, n))
    return out


def _attribute_facets(rows: dict[int, list[Any]], f: Filters) -> list[AttributeFacet]:
    chosen = {a.attribute_id: a for a in f.attributes}
    facets = []
    for attribute_id, group in rows.items():
        kind, _, unit = group[0].meta.partition("|")
        picked = chosen.get(attribute_id)
        if kind == "number":
            numbers = [Decimal(r.lo) for r in group if r.lo is not None]
            if not numbers:
                continue
            facets.append(AttributeFacet(attribute_id, group[0].label, kind, unit, [], min(numbers).normalize(),
                                         max(numbers).normalize(), picked.low if picked else None,
                                         picked.high if picked else None))
            continue
        counts: dict[str, int] = {}
        for r in group:
            counts[r.value] = counts.get(r.value, 0) + int(r.n)
        values = [FacetValue(v, v, n, bool(picked and v in picked.values))
                  for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        facets.append(AttributeFacet(attribute_id, group[0].label, kind, unit, values))
    return sorted(facets, key=lambda a: a.name.lower())


@requires(CATALOG_VIEW)
def browse(uow: UnitOfWork, query: Browse) -> Listing:
    """A category page, a brand page or the whole assortment (no category)."""
    return listing(uow, query)


def _build_newest() -> Any:
    """The most recently added SKUs that the shop prices (walking the primary key backwards: no scan)."""
    priced = (select(SKUS.c.id, listing_price(SKUS.c.id).label("price"))
              .where(SKUS.c.tenant_id == TENANT, SKUS.c.active.is_(True)).order_by(SKUS.c.id.desc())
              .subquery())
    return select(priced.c.id, priced.c.price).where(priced.c.price.is_not(None)).limit(bindparam("limit"))


def _build_brands() -> Any:
    return select(BRANDS.c.id, BRANDS.c.name).where(BRANDS.c.tenant_id == TENANT).order_by(BRANDS.c.name)


@dataclass(frozen=True)
class Home:
    categories: list[CategoryNode]  # the top level
    brands: list[FacetValue]
    newest: list[Item]


@requires(CATALOG_VIEW)
def shop_home(uow: UnitOfWork, shop: Shop, low_stock: int, newest: int = 8) -> Home:
    """The top-level categories, the brands and the newest items (cheap at any catalog size: no counting)."""
    tree = categories(uow)
    brands = uow.conn.execute(kept(("brands",), _build_brands), {"tenant_id": uow.tenant_id}).all()
    rows = uow.conn.execute(kept(("newest",), _build_newest), shop_params(uow, shop) | {"limit": newest}).all()
    prices = {r.id: Decimal(r.price) for r in rows}
    details = item_details(uow, shop, prices, low_stock)
    return Home([n for n in tree if n.parent_id is None], [FacetValue(str(b.id), b.name, 0) for b in brands],
                [details[r.id] for r in rows if r.id in details])


@requires(CATALOG_VIEW)
def brand_name(uow: UnitOfWork, brand_id: int) -> str:
    name = uow.conn.execute(select(BRANDS.c.name).where(BRANDS.c.tenant_id == uow.tenant_id,
                                                        BRANDS.c.id == brand_id)).scalar()
    if name is None:
        raise NotFound(f"unknown brand {brand_id}", field="brand")
    return name


# ---- the product page -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WarehouseOffer:
    warehouse: str
    atp: int
    promise: str


@dataclass(frozen=True)
class PriceStep:
    min_quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class ProductPage:
    item: Item
    product_name: str
    description: str
    part_number: str
    barcodes: list[str]
    trail: list[CategoryNode]
    images: list[dict[str, Any]]
    attributes: list[dict[str, str]]
    tiers: list[PriceStep]
    offers: list[WarehouseOffer]
    equivalents: list[Item]
    replaced_by: dict[str, Any] | None
    replaces: list[Item]
    related: list[dict[str, Any]]
    variants: list[Item]

    @property
    def in_stock_equivalent(self) -> Item | None:
        """The equivalent to offer when this item is out of stock: the in-stock one with the most stock."""
        if self.item.atp > 0:
            return None
        candidates = [e for e in self.equivalents if e.atp > 0]
        return max(candidates, key=lambda e: (e.atp, -e.price)) if candidates else None


def promise(handling_days: int) -> str:
    if handling_days <= 0:
        return "ships today"
    if handling_days == 1:
        return "ships within 1 working day"
    return f"ships within {handling_days} working days"


def _build_priced() -> Any:
    return (select(SKUS.c.id, listing_price(SKUS.c.id).label("price"))
            .where(SKUS.c.tenant_id == TENANT, SKUS.c.id.in_(SKU_IDS), SKUS.c.active.is_(True)))


def _priced(uow: UnitOfWork, shop: Shop, sku_ids: list[int]) -> dict[int, Decimal]:
    if not sku_ids:
        return {}
    rows = uow.conn.execute(kept(("priced",), _build_priced), shop_params(uow, shop) | {"sku_ids": sku_ids}).all()
    return {r.id: Decimal(r.price) for r in rows if r.price is not None}


def _tiers(uow: UnitOfWork, shop: Shop, sku_id: int, day: date) -> list[PriceStep]:
    """Each quantity break with the unit price that applies from it (as lookup_price would resolve it)."""
    rows = uow.conn.execute(
        select(LISTS.c.id, LISTS.c.name, LISTS.c.priority, LISTS.c.valid_from, LISTS.c.valid_to, LISTS.c.active,
               TIERS.c.min_quantity, TIERS.c.unit_price)
        .join(TIERS, TIERS.c.price_list_id == LISTS.c.id)
        .where(LISTS.c.tenant_id == uow.tenant_id, TIERS.c.tenant_id == uow.tenant_id, TIERS.c.sku_id == sku_id,
               LISTS.c.channel_id == shop.channel_id)).all()
    lists: dict[int, tuple[Any, list[Tier]]] = {}
    for r in rows:
        lists.setdefault(r.id, (r, []))[1].append(Tier(r.min_quantity, r.unit_price))
    candidates = [ListForSku(r.id, r.name, shop.channel_id, shop.currency, r.priority, r.valid_from, r.valid_to,
                             r.active, tuple(tiers)) for r, tiers in lists.values()]
    steps: list[PriceStep] = []
    for quantity in sorted({r.min_quantity for r in rows}):
        resolved = resolve_price(candidates, shop.channel_id, shop.currency, quantity, day)
        if resolved is not None and (not steps or steps[-1].unit_price != resolved.tier.unit_price):
            steps.append(PriceStep(quantity, resolved.tier.unit_price))
    return steps


@requires(CATALOG_VIEW)
def product_page(uow: UnitOfWork, shop: Shop, sku_code: str, low_stock: int) -> ProductPage:
    t = uow.tenant_id
    day = utcnow().date()
    head = uow.conn.execute(
        select(SKUS.c.id, PRODUCTS.c.id.label("product_id"), PRODUCTS.c.name, PRODUCTS.c.description,
               PRODUCTS.c.part_number, PRODUCTS.c.category_id)
        .join(PRODUCTS, PRODUCTS.c.id == SKUS.c.product_id)
        .where(SKUS.c.tenant_id == t, PRODUCTS.c.tenant_id == t, SKUS.c.code == sku_code.strip(),
               SKUS.c.active.is_(True))).first()
    if head is None:
        raise NotFound(f"no product {sku_code!r} in this shop", field="sku")
    # Everything related to the SKU, by id, in one statement: equivalents, successor, predecessors, related items
    # and the product's other SKUs.
    group = select(EquivalentMember.group_id).where(EquivalentMember.tenant_id == t,
                                                    EquivalentMember.sku_id == head.id).scalar_subquery()
    links = uow.conn.execute(union_all(
        select(literal("equivalent").label("kind"), EquivalentMember.sku_id.label("id"), null().label("extra"))
        .where(EquivalentMember.tenant_id == t, EquivalentMember.group_id == group,
               EquivalentMember.sku_id != head.id),
        select(literal("replaced_by"), Replacement.replaced_by_id, cast(Replacement.effective_on, String))
        .where(Replacement.tenant_id == t, Replacement.sku_id == head.id),
        select(literal("replaces"), Replacement.sku_id, cast(Replacement.effective_on, String))
        .where(Replacement.tenant_id == t, Replacement.replaced_by_id == head.id),
        select(literal("related"), RelatedItem.related_id, RelatedItem.kind)
        .where(RelatedItem.tenant_id == t, RelatedItem.sku_id == head.id),
        select(literal("variant"), SKUS.c.id, null())
        .where(SKUS.c.tenant_id == t, SKUS.c.product_id == head.product_id, SKUS.c.id != head.id),
    )).all()
    ids = [head.id, *{r.id for r in links}]
    prices = _priced(uow, shop, ids)
    if head.id not in prices:
        raise NotFound(f"{sku_code} is not sold in this shop", field="sku")
    items = item_details(uow, shop, prices, low_stock)
    item = items[head.id]

    def linked(kind: str) -> list[Item]:
        return sorted((items[r.id] for r in links if r.kind == kind and r.id in items), key=lambda i: i.code)

    successor = next((r for r in links if r.kind == "replaced_by"), None)
    replaced_by = None
    if successor is not None:
        effective = date.fromisoformat(str(successor.extra)[:10])
        replaced_by = {"item": items.get(successor.id), "effective_on": effective, "in_effect": effective <= day,
                       "code": _code(uow, successor.id)}
    offers = [WarehouseOffer(r.name, max(int(r.atp), 0), promise(r.handling_days)) for r in uow.conn.execute(
        select(WAREHOUSES.c.name, WAREHOUSES.c.handling_days, WAREHOUSES.c.priority, func.sum(
            LEVELS.c.on_hand - LEVELS.c.reserved).label("on_hand"),
            (func.sum(LEVELS.c.on_hand - LEVELS.c.reserved) - func.coalesce(func.max(RULES.c.safety_stock), 0))
            .label("atp"))
        .select_from(LEVELS.join(WAREHOUSES, WAREHOUSES.c.id == LEVELS.c.warehouse_id)
                     .outerjoin(RULES, and_(RULES.c.sku_id == LEVELS.c.sku_id,
                                            RULES.c.warehouse_id == LEVELS.c.warehouse_id, RULES.c.tenant_id == t)))
        .where(LEVELS.c.tenant_id == t, LEVELS.c.sku_id == head.id, LEVELS.c.status == SELLABLE,
               WAREHOUSES.c.active.is_(True))
        .group_by(WAREHOUSES.c.id, WAREHOUSES.c.name, WAREHOUSES.c.handling_days, WAREHOUSES.c.priority)
        .order_by(WAREHOUSES.c.handling_days, WAREHOUSES.c.priority, WAREHOUSES.c.name)) if int(r.atp) > 0]
    images = [{"id": r.id, "alt": r.alt or head.name} for r in uow.conn.execute(
        select(IMAGES.c.id, IMAGES.c.alt).where(IMAGES.c.tenant_id == t, IMAGES.c.product_id == head.product_id)
        .order_by(IMAGES.c.position, IMAGES.c.id))]
    attributes = [{"name": r.name, "value": f"{r.value} {r.unit}".strip()} for r in uow.conn.execute(
        select(ATTRIBUTES.c.name, ATTRIBUTES.c.unit, VALUES.c.value)
        .join(ATTRIBUTES, ATTRIBUTES.c.id == VALUES.c.attribute_id)
        .where(VALUES.c.tenant_id == t, VALUES.c.sku_id == head.id).order_by(ATTRIBUTES.c.name))]
    barcodes = list(uow.conn.execute(select(BARCODES.c.code).where(BARCODES.c.tenant_id == t,
                                                                  BARCODES.c.sku_id == head.id)
                                     .order_by(BARCODES.c.code)).scalars())
    related = [{"item": items[r.id], "kind": str(r.extra).replace("_", " ")} for r in links
               if r.kind == "related" and r.id in items]
    return ProductPage(item, head.name, head.description, head.part_number, barcodes,
                       _trail(categories(uow), head.category_id) if head.category_id else [], images, attributes,
                       _tiers(uow, shop, head.id, day), offers, linked("equivalent"), replaced_by, linked("replaces"),
                       related, linked("variant"))


def _code(uow: UnitOfWork, sku_id: int) -> str:
    return str(uow.conn.execute(select(SKUS.c.code).where(SKUS.c.tenant_id == uow.tenant_id,
                                                          SKUS.c.id == sku_id)).scalar_one())


@requires(CATALOG_VIEW)
def image_of_shop(uow: UnitOfWork, image_id: int) -> bool:
    """Whether the image belongs to a product of this tenant that has an active SKU (what the shop may show)."""
    return uow.conn.execute(
        select(literal(1)).select_from(IMAGES.join(SKUS, SKUS.c.product_id == IMAGES.c.product_id))
        .where(IMAGES.c.tenant_id == uow.tenant_id, IMAGES.c.id == image_id, SKUS.c.active.is_(True))
        .limit(1)).first() is not None

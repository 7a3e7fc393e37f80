"""Storefront pages: home, search, category and brand listings with a filter sidebar, the product page, and the
shop's product images. Every page works without JavaScript (filters are a GET form, sorting and paging links)."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from stockyard.catalog import images, search, storefront_queries
from stockyard.catalog.admin_views import store_for
from stockyard.catalog.storefront_queries import SORTS, AttributeFilter, Browse, Filters, Listing, Shop
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.money import round_money
from stockyard.core.uow import read
from stockyard.web.pages import page_route
from stockyard.web.read_cache import catalog_read
from stockyard.web.storefront.context import shop_actor, shop_render, storefront_for

router = APIRouter(route_class=page_route("shop/error.html"), include_in_schema=False)
PER_PAGE = 20
SORT_LABELS = {"relevance": "Best match", "name": "Name", "price_asc": "Price, low to high",
               "price_desc": "Price, high to low", "newest": "Newest"}
_ATTR = re.compile(r"^attr\.(\d+)(?:\.(min|max))?$")


def _low_stock(request: Request) -> int:
    return int(request.app.state.settings.storefront_low_stock)


LABELS = {"price_min": "the lowest price", "price_max": "the highest price", "page": "the page number",
          "brand": "the brand", "category": "the category"}


def _label(field: str) -> str:
    return LABELS.get(field, "a filter value")


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(f"{_label(field)} must be a whole number", field=field) from None


def _amount(value: str, field: str) -> Decimal | None:
    if not value.strip():
        return None
    try:
        amount = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        raise ValidationFailed(f"{_label(field)} must be a number", field=field) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationFailed(f"{_label(field)} must be a number of at least 0", field=field)
    return amount


def parse_filters(request: Request, category_id: int | None = None, brand_id: int | None = None) -> Filters:
    """Filters from the query string: brand=<id> (repeatable), attr.<id>=<value> (repeatable), attr.<id>.min and
    .max for number attributes, price_min, price_max, in_stock=1."""
    params = request.query_params
    brands = {_int(v, "brand") for v in params.getlist("brand") if v.strip()}
    if brand_id is not None:
        brands.add(brand_id)
    values: dict[int, list[str]] = {}
    ranges: dict[int, dict[str, Decimal | None]] = {}
    for key, value in params.multi_items():
        found = _ATTR.match(key)
        if not found or not value.strip():
            continue
        attribute_id = int(found.group(1))
        if found.group(2):
            ranges.setdefault(attribute_id, {})[found.group(2)] = _amount(value, key)
        else:
            values.setdefault(attribute_id, []).append(value.strip())
    attributes = tuple(
        AttributeFilter(a, tuple(values.get(a, ())), ranges.get(a, {}).get("min"), ranges.get(a, {}).get("max"))
        for a in sorted(set(values) | set(ranges)))
    if category_id is None and params.get("category", "").strip():
        category_id = _int(params["category"], "category")
    return Filters(category_id, tuple(sorted(brands)), attributes, _amount(params.get("price_min", ""), "price_min"),
                   _amount(params.get("price_max", ""), "price_max"), params.get("in_stock") == "1")


def _paging(request: Request, default_sort: str) -> tuple[str, int]:
    sort = request.query_params.get("sort") or default_sort
    if sort not in SORTS:
        raise ValidationFailed(f"sort by one of {', '.join(SORTS)}", field="sort")
    return sort, _int(request.query_params.get("page", "1") or "1", "page")


def url_with(request: Request, drop: tuple[str, ...] = (), **changes: Any) -> str:
    """This page's address with some parameters replaced or dropped; filtering or sorting restarts at page 1."""
    keep = [(k, v) for k, v in request.query_params.multi_items()
            if k not in changes and k not in drop and k != "page"]
    keep += [(k, str(v)) for k, v in changes.items() if v is not None]
    query = urlencode(keep)
    return request.url.path + (f"?{query}" if query else "")


def money(amount: Decimal | None) -> str:
    return "" if amount is None else f"{round_money(amount):,.2f}"


def _listing_page(request: Request, shop: Shop, listing: Listing, title: str, sort: str, sorts: list[str],
                  **extra: Any) -> HTMLResponse:
    def category_url(category_id: str) -> str:
        if request.url.path.startswith("/c/"):  # a category page: its subcategory's page, same filters
            rest = url_with(request, drop=("category",)).partition("?")[2]
            return f"/c/{category_id}" + (f"?{rest}" if rest else "")
        return url_with(request, category=category_id)

    return shop_render(request, shop, "shop/listing.html", with_csrf=False, listing=listing, title=title, sort=sort,
                       sorts=[(s, SORT_LABELS[s]) for s in sorts], url_with=lambda **kw: url_with(request, **kw),
                       category_url=category_url, params=request.query_params, money=money, **extra)


@router.get("/")
def home(request: Request) -> HTMLResponse:
    shop = storefront_for(request)
    found = catalog_read(request, shop_actor(shop), storefront_queries.shop_home, shop, _low_stock(request))
    return shop_render(request, shop, "shop/home.html", with_csrf=False, home=found, money=money)


@router.get("/search")
def search_page(request: Request, q: str = "") -> HTMLResponse:
    shop = storefront_for(request)
    sort, page = _paging(request, "relevance" if q.strip() else "name")
    query = search.SearchQuery(shop, q, parse_filters(request), sort, page, PER_PAGE, _low_stock(request))
    found = catalog_read(request, shop_actor(shop), search.search_products, query)
    title = f"Results for “{q.strip()}”" if q.strip() else "All products"
    sorts = list(SORTS) if q.strip() else [s for s in SORTS if s != "relevance"]
    return _listing_page(request, shop, found, title, sort, sorts, q=q.strip(), action="/search")


@router.get("/c/{category_id}")
def category_page(request: Request, category_id: int) -> HTMLResponse:
    shop = storefront_for(request)
    sort, page = _paging(request, "name")
    query = Browse(shop, parse_filters(request, category_id=category_id), sort, page, PER_PAGE, _low_stock(request))
    found = catalog_read(request, shop_actor(shop), storefront_queries.browse, query)
    assert found.category is not None
    return _listing_page(request, shop, found, found.category.name, sort, [s for s in SORTS if s != "relevance"],
                         action=request.url.path)


@router.get("/b/{brand_id}")
def brand_page(request: Request, brand_id: int) -> HTMLResponse:
    shop = storefront_for(request)
    sort, page = _paging(request, "name")
    engine, actor = request.app.state.engine, shop_actor(shop)
    name = read(engine, actor, storefront_queries.brand_name, brand_id)
    query = Browse(shop, parse_filters(request, brand_id=brand_id), sort, page, PER_PAGE, _low_stock(request))
    found = catalog_read(request, actor, storefront_queries.browse, query)
    return _listing_page(request, shop, found, name, sort, [s for s in SORTS if s != "relevance"],
                         action=request.url.path, fixed_brand=brand_id)


@router.get("/p/{sku_code:path}")
def product_page(request: Request, sku_code: str) -> HTMLResponse:
    shop = storefront_for(request)
    found = catalog_read(request, shop_actor(shop), storefront_queries.product_page, shop, sku_code,
                         _low_stock(request))
    return shop_render(request, shop, "shop/product.html", page=found, item=found.item, money=money)


@router.get("/shop/images/{image_id}/{size}")
def image(request: Request, image_id: int, size: str) -> Response:
    """A product image of this shop's tenant (the same file-store objects the admin shows)."""
    shop = storefront_for(request)
    engine, actor = request.app.state.engine, shop_actor(shop)
    if not read(engine, actor, storefront_queries.image_of_shop, image_id):
        raise NotFound(f"unknown image {image_id}", field="image_id")
    key, content_type = read(engine, actor, images.image_file, image_id, size)
    store = store_for(request)
    url = store.url(key)
    if url:
        return RedirectResponse(url, status_code=307)
    try:
        data = store.get(key)
    except FileNotFoundError:
        raise NotFound(f"the file of image {image_id} is missing", field="image_id") from None
    return Response(data, media_type=content_type, headers={"Cache-Control": "public, max-age=3600",
                                                            "X-Content-Type-Options": "nosniff"})

"""Catalog admin pages for brands, the category tree and attribute definitions (mounted by admin_views)."""

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from stockyard.catalog import admin_queries, attributes, taxonomy
from stockyard.core.actor import Actor
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.web.admin import admin_page
from stockyard.web.admin_crud import submit
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, given, page_route, run, see_other

ATTRIBUTE_FIELDS = ("name", "type", "unit", "choices")
CATEGORY_FIELDS = ("name", "parent_id")
ATTRIBUTE_TYPES = ["text", "number", "choice"]

# Included by admin_views under /admin/catalog.
router = APIRouter(route_class=page_route("admin/error.html"))


# ---- brands ---------------------------------------------------------------------------------------------------

def _brand_in(form: Mapping[str, Any]) -> taxonomy.BrandIn:
    return taxonomy.BrandIn(**given(form, "name"))


def _brands_page(request: Request, engine: Engine, actor: Actor, q: str = "", page_no: int = 1,
                 form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
                 status_code: int = 200, sort: str = "") -> Response:
    return admin_page(request, actor, "admin/catalog/brands.html", status_code, section="catalog",
                      result=read(engine, actor, admin_queries.list_brands, q, page_no, sort=sort), q=q,
                      form=dict(form or {}), errors=errors or {})


@router.get("/brands", response_class=HTMLResponse)
def brand_list(request: Request, engine: EngineDep, actor: PageActor, q: str = "", sort: str = "",
               page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return _brands_page(request, engine, actor, q, page_no, sort=sort)


@router.post("/brands")
async def brand_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, taxonomy.create_brand,
                        lambda form: (_brand_in(form),), known={"name"},
                        again=partial(_brands_page, request, engine, actor),
                        message="Brand {name} created", to="/admin/catalog/brands")


def _brand_page(request: Request, engine: Engine, actor: Actor, brand_id: int, form: Mapping[str, Any] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    brand = read(engine, actor, admin_queries.get_brand, brand_id)
    if brand is None:
        raise NotFound(f"unknown brand {brand_id}", field="brand_id")
    return admin_page(request, actor, "admin/catalog/brand.html", status_code, section="catalog", brand=brand,
                      form={"name": brand.name, **(form or {})}, errors=errors or {})


@router.get("/brands/{brand_id}", response_class=HTMLResponse)
def brand_detail(brand_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _brand_page(request, engine, actor, brand_id)


@router.post("/brands/{brand_id}")
async def brand_update(brand_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, taxonomy.rename_brand,
                        lambda form: (brand_id, _brand_in(form)), known={"name"},
                        again=partial(_brand_page, request, engine, actor, brand_id),
                        message="Brand renamed to {name}", to="/admin/catalog/brands")


# ---- categories -----------------------------------------------------------------------------------------------

def _categories_page(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any] | None = None,
                     errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return admin_page(request, actor, "admin/catalog/categories.html", status_code, section="catalog",
                      tree=read(engine, actor, admin_queries.category_tree), form=dict(form or {}),
                      errors=errors or {})


def _category_in(form: Mapping[str, Any]) -> taxonomy.CategoryIn:
    parent = str(form.get("parent_id", "")).strip()
    return taxonomy.CategoryIn(**given(form, "name"), parent_id=int(parent) if parent.isdigit() else None)


@router.get("/categories", response_class=HTMLResponse)
def category_list(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _categories_page(request, engine, actor)


@router.post("/categories")
async def category_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, taxonomy.create_category,
                        lambda form: (_category_in(form),), known=CATEGORY_FIELDS,
                        again=partial(_categories_page, request, engine, actor),
                        message="Category {name} created", to="/admin/catalog/categories")


def _category_page(request: Request, engine: Engine, actor: Actor, category_id: int,
                   form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
                   status_code: int = 200) -> Response:
    tree = read(engine, actor, admin_queries.category_tree)
    node = next((n for n in tree if n.id == category_id), None)
    if node is None:
        raise NotFound(f"unknown category {category_id}", field="category_id")
    return admin_page(request, actor, "admin/catalog/category.html", status_code, section="catalog", node=node,
                      tree=tree, form={"name": node.name, "parent_id": node.parent_id or "", **(form or {})},
                      errors=errors or {})


@router.get("/categories/{category_id}", response_class=HTMLResponse)
def category_detail(category_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _category_page(request, engine, actor, category_id)


@router.post("/categories/{category_id}")
async def category_update(category_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, taxonomy.update_category,
                        lambda form: (category_id, _category_in(form)), known=CATEGORY_FIELDS,
                        again=partial(_category_page, request, engine, actor, category_id),
                        message="Category {name} saved", to="/admin/catalog/categories")


@router.post("/categories/{category_id}/move")
async def category_move(category_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    direction = str(form.get("direction", ""))
    if direction not in ("up", "down"):
        raise ValidationFailed("is up or down", field="direction")
    await run(perform, engine, actor, taxonomy.move_category, category_id, direction)
    return see_other(f"/admin/catalog/categories#category-{category_id}")


# ---- attributes -----------------------------------------------------------------------------------------------

def _attribute_in(form: Mapping[str, Any]) -> attributes.AttributeIn:
    return attributes.AttributeIn(**given(form, *ATTRIBUTE_FIELDS))


def _attributes_page(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any] | None = None,
                     errors: dict[str, str] | None = None, status_code: int = 200, q: str = "", sort: str = "",
                     page_no: int = 1) -> Response:
    return admin_page(request, actor, "admin/catalog/attributes.html", status_code, section="catalog", q=q,
                      result=read(engine, actor, admin_queries.page_attributes, q=q, sort=sort, page=page_no),
                      types=ATTRIBUTE_TYPES,
                      form={"type": "text", **(form or {})}, errors=errors or {})


@router.get("/attributes", response_class=HTMLResponse)
def attribute_list(request: Request, engine: EngineDep, actor: PageActor, q: str = "", sort: str = "",
                   page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return _attributes_page(request, engine, actor, q=q, sort=sort, page_no=page_no)


@router.post("/attributes")
async def attribute_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, attributes.define_attribute,
                        lambda form: (_attribute_in(form),), known=ATTRIBUTE_FIELDS,
                        again=partial(_attributes_page, request, engine, actor),
                        message="Attribute {name} created", to="/admin/catalog/attributes")


def _attribute_page(request: Request, engine: Engine, actor: Actor, attribute_id: int,
                    form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
                    status_code: int = 200) -> Response:
    attribute = read(engine, actor, admin_queries.get_attribute, attribute_id)
    if attribute is None:
        raise NotFound(f"unknown attribute {attribute_id}", field="attribute_id")
    defaults = {name: getattr(attribute, name) for name in ATTRIBUTE_FIELDS}
    return admin_page(request, actor, "admin/catalog/attribute.html", status_code, section="catalog",
                      attribute=attribute, types=ATTRIBUTE_TYPES, form={**defaults, **(form or {})},
                      errors=errors or {})


@router.get("/attributes/{attribute_id}", response_class=HTMLResponse)
def attribute_detail(attribute_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _attribute_page(request, engine, actor, attribute_id)


@router.post("/attributes/{attribute_id}")
async def attribute_update(attribute_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, attributes.update_attribute,
                        lambda form: (attribute_id, _attribute_in(form)), known=ATTRIBUTE_FIELDS,
                        again=partial(_attribute_page, request, engine, actor, attribute_id),
                        message="Attribute {name} saved", to="/admin/catalog/attributes")

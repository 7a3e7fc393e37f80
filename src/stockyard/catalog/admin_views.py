"""Catalog admin pages at /admin/catalog: products, their SKUs (barcodes, attributes, relations), images,
CSV import and export. Brands, categories and attributes are in admin_taxonomy_views.py.

Thin like every page module: build a command from the form, call a service, flash and redirect (303); a bad
form is shown again with the message next to the field and a 4xx status.
"""

from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine
from starlette.datastructures import UploadFile

from stockyard.billing.tax_domain import DEFAULT_TAX_CLASS
from stockyard.billing.tax_services import class_codes
from stockyard.catalog import admin_queries, attributes, editing, images, relations, services
from stockyard.catalog.admin_taxonomy_views import router as taxonomy_router
from stockyard.catalog.csv_import import import_products
from stockyard.catalog.domain import guess_barcode_kind
from stockyard.catalog.export import products_csv
from stockyard.core.actor import Actor
from stockyard.core.errors import NotFound, RowErrors, ValidationFailed
from stockyard.core.files import FileStore, file_store
from stockyard.core.uow import perform, read
from stockyard.identity.domain import CATALOG_EDIT
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_crud import INPUT_ERRORS, submit
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, given, run, see_other

PRODUCT_FIELDS = ("name", "description", "part_number", "brand", "category_id", "tax_class")
FIRST_SKU_FIELDS = ("sku", "sku_name", "unit", "weight_g", "length_mm", "width_mm", "height_mm", "tracking",
                    "barcode")
SKU_FIELDS = ("name", "unit", "weight_g", "length_mm", "width_mm", "height_mm", "tracking")
NEW_SKU_FIELDS = ("code", "sku_name", "unit", "weight_g", "length_mm", "width_mm", "height_mm", "tracking",
                  "barcode")
TRACKING = ["none", "lot", "serial"]
SORTS = [("name", "Name A–Z"), ("-name", "Name Z–A"), ("part_number", "Part number"), ("-created", "Newest"),
         ("created", "Oldest")]

ADMIN_SECTIONS.append(("catalog", "/admin/catalog/products", "Catalog"))
router = admin_router("/catalog")
router.include_router(taxonomy_router)


def store_for(request: Request) -> FileStore:
    store = getattr(request.app.state, "file_store", None)
    if store is None:
        store = file_store(request.app.state.settings)
        request.app.state.file_store = store
    return store


def product_url(product_id: int) -> str:
    return f"/admin/catalog/products/{product_id}"


def sku_url(sku_id: int) -> str:
    return f"/admin/catalog/skus/{sku_id}"


def _sku_in(values: Mapping[str, Any], code_field: str) -> services.SkuIn:
    """A SkuIn from form fields; the barcode's kind follows from its digits."""
    data = given(values, "unit", "weight_g", "length_mm", "width_mm", "height_mm", "tracking")
    barcode = str(values.get("barcode", "")).strip()
    barcodes = [services.BarcodeIn(code=barcode, kind=guess_barcode_kind(barcode))] if barcode else []
    return services.SkuIn(code=str(values.get(code_field, "")).strip(),
                          name=str(values.get("sku_name", "")).strip(), barcodes=barcodes, **data)


def _sku_errors(errors: dict[str, str], code_field: str) -> dict[str, str]:
    """Service and pydantic field names (code, skus.0.barcodes.0.code, ...) → the form's field names."""
    out: dict[str, str] = {}
    for name, message in errors.items():
        if "barcode" in name:
            key = "barcode"
        elif name in ("code", "skus", "skus.0.code"):
            key = code_field
        elif name.startswith("skus.0."):
            key = name.removeprefix("skus.0.")
        elif name == "name" and code_field == "code":
            key = "sku_name"
        else:
            key = name
        out[key] = message
    return out


# ---- products -------------------------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse)
def catalog_home() -> Response:
    return see_other("/admin/catalog/products")


@router.get("/products", response_class=HTMLResponse)
def product_list(request: Request, engine: EngineDep, actor: PageActor, q: str = "", brand: str = "",
                 category: str = "", sort: str = "name",
                 page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    brand_id = int(brand) if brand.isdigit() else None
    category_id = int(category) if category.isdigit() else None
    result = read(engine, actor, admin_queries.list_products, q, brand_id, category_id, sort, page_no)
    return admin_page(request, actor, "admin/catalog/products.html", section="catalog", result=result,
                      brands=read(engine, actor, admin_queries.brand_options),
                      categories=read(engine, actor, admin_queries.category_tree), sorts=SORTS,
                      query={"q": q, "brand": brand_id, "category": category_id, "sort": sort})


def _new_product_page(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any],
                      errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return admin_page(request, actor, "admin/catalog/product_new.html", status_code, section="catalog",
                      form={"tax_class": DEFAULT_TAX_CLASS, **dict(form)}, errors=errors or {}, tracking=TRACKING,
                      categories=read(engine, actor, admin_queries.category_tree),
                      tax_classes=sorted(read(engine, actor, class_codes)))


@router.get("/products/new", response_class=HTMLResponse)
def product_new(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    actor.require(CATALOG_EDIT)
    return _new_product_page(request, engine, actor, {"unit": "pcs", "tracking": "none"})


@router.post("/products/new")
async def product_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    known = set(PRODUCT_FIELDS) | set(FIRST_SKU_FIELDS)
    try:
        category_id = form.get("category_id", "")
        category = None
        if str(category_id).isdigit():
            paths = {n.id: n.path for n in await run(read, engine, actor, admin_queries.category_tree)}
            category = paths.get(int(category_id))
        cmd = services.CreateProduct(**given(form, "name", "description", "part_number", "brand", "tax_class"),
                                     category=category, skus=[_sku_in(form, "sku")])
        product_id = await run(perform, engine, actor, services.create_product, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, known | {"skus", "code", "skus.0.barcodes.0.code"} |
                                      {f"skus.0.{f}" for f in FIRST_SKU_FIELDS})
        return await run(_new_product_page, request, engine, actor, form, _sku_errors(errors, "sku"), status)
    flash(request, f"Product {cmd.name} created with SKU {cmd.skus[0].code}")
    return see_other(product_url(product_id))


def _product_page(request: Request, engine: Engine, actor: Actor, product_id: int,
                  form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
                  status_code: int = 200) -> Response:
    found = read(engine, actor, admin_queries.product_detail, product_id)
    if found is None:
        raise NotFound(f"unknown product {product_id}", field="product_id")
    product = found["product"]
    defaults = {"name": product.name, "description": product.description, "part_number": product.part_number,
                "brand": found["brand"], "category_id": product.category_id or "", "unit": "pcs",
                "tracking": "none", "tax_class": product.tax_class}
    return admin_page(request, actor, "admin/catalog/product.html", status_code, section="catalog",
                      form={**defaults, **(form or {})}, errors=errors or {}, tracking=TRACKING,
                      categories=read(engine, actor, admin_queries.category_tree),
                      tax_classes=sorted(read(engine, actor, class_codes)), **found)


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_detail(product_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _product_page(request, engine, actor, product_id)


def _product_update(form: Mapping[str, Any]) -> editing.UpdateProduct:
    category_id = str(form.get("category_id", "")).strip()
    return editing.UpdateProduct(**given(form, "name", "description", "part_number", "brand", "tax_class"),
                                 category_id=int(category_id) if category_id.isdigit() else None)


@router.post("/products/{product_id}")
async def product_update(product_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, editing.update_product,
                        lambda form: (product_id, _product_update(form)), known=PRODUCT_FIELDS,
                        again=partial(_product_page, request, engine, actor, product_id),
                        message="Product {name} saved", to=product_url(product_id))


@router.post("/products/{product_id}/skus")
async def sku_create(product_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    def again(form: dict[str, Any], errors: dict[str, str], status_code: int) -> Response:
        return _product_page(request, engine, actor, product_id, form, _sku_errors(errors, "code"), status_code)

    return await submit(request, await check_csrf(request), engine, actor, editing.add_sku,
                        lambda form: (product_id, _sku_in(form, "code")),
                        known=set(NEW_SKU_FIELDS) | {"name", "barcodes.0.code"}, again=again,
                        message="Variant {code} added", to=sku_url)


# ---- images ---------------------------------------------------------------------------------------------------

@router.post("/products/{product_id}/images")
async def image_upload(product_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    settings = request.app.state.settings
    upload = form.get("image")
    try:
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("choose an image file to upload", field="image")
        # One byte more than allowed is enough to know the file is too big.
        data = await upload.read(settings.image_max_bytes + 1)
        await run(partial(images.upload_image, max_bytes=settings.image_max_bytes,
                          max_pixels=settings.image_max_pixels),
                  engine, actor, store_for(request), product_id, data, str(form.get("alt", "")))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, {"image", "alt"})
        return await run(_product_page, request, engine, actor, product_id, {"alt": form.get("alt", "")}, errors,
                         413 if "MB" in errors.get("image", "") else status)
    flash(request, "Image uploaded")
    return see_other(product_url(product_id) + "#images")


@router.post("/products/{product_id}/images/{image_id}")
async def image_alt(product_id: int, image_id: int, request: Request, engine: EngineDep,
                    actor: PageActor) -> Response:
    def again(form: dict[str, Any], errors: dict[str, str], status_code: int) -> Response:
        return _product_page(request, engine, actor, product_id, {}, errors, status_code)  # not the upload's alt

    return await submit(request, await check_csrf(request), engine, actor, images.set_alt_text,
                        lambda form: (product_id, image_id, images.ImageText(alt=str(form.get("alt", "")))),
                        known={"alt"}, again=again, message="Alt text saved", to=product_url(product_id) + "#images")


@router.post("/products/{product_id}/images/{image_id}/move")
async def image_move(product_id: int, image_id: int, request: Request, engine: EngineDep,
                     actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(perform, engine, actor, images.move_image, product_id, image_id, str(form.get("direction", "")))
    return see_other(product_url(product_id) + "#images")


@router.post("/products/{product_id}/images/{image_id}/delete")
async def image_delete(product_id: int, image_id: int, request: Request, engine: EngineDep,
                       actor: PageActor) -> Response:
    await check_csrf(request)
    await run(images.delete_image, engine, actor, store_for(request), product_id, image_id)
    flash(request, "Image deleted")
    return see_other(product_url(product_id) + "#images")


@router.get("/images/{image_id}/{size}")
async def image_file(image_id: int, size: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    """Only for a signed-in user of the image's tenant; S3 answers with a short-lived presigned URL."""
    key, content_type = await run(read, engine, actor, images.image_file, image_id, size)
    store = store_for(request)
    url = await run(store.url, key)
    if url:
        return RedirectResponse(url, status_code=307)
    try:
        data = await run(store.get, key)
    except FileNotFoundError:
        raise NotFound(f"the file of image {image_id} is missing", field="image_id") from None
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=3600",
                                                            "X-Content-Type-Options": "nosniff"})


# ---- SKUs -----------------------------------------------------------------------------------------------------

def _sku_page(request: Request, engine: Engine, actor: Actor, sku_id: int, form: Mapping[str, Any] | None = None,
              errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    found = read(engine, actor, admin_queries.sku_detail, sku_id)
    if found is None:
        raise NotFound(f"unknown SKU {sku_id}", field="sku_id")
    sku = found["sku"]
    defaults: dict[str, Any] = {name: getattr(sku, name) for name in SKU_FIELDS}
    defaults["active"] = "on" if sku.active else ""
    defaults["backorderable"] = "on" if sku.backorderable else ""
    defaults |= {f"attr.{a['attribute'].id}": a["value"] for a in found["attributes"]}
    if found["replacement"]:
        defaults |= {"replaced_by": found["replacement"]["code"],
                     "effective_on": found["replacement"]["effective_on"].isoformat()}
    return admin_page(request, actor, "admin/catalog/sku.html", status_code, section="catalog",
                      form={**defaults, **(form or {})}, errors=errors or {}, tracking=TRACKING,
                      related_kinds=relations.RELATED_KINDS, **found)


@router.get("/skus/{sku_id}", response_class=HTMLResponse)
def sku_detail(sku_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _sku_page(request, engine, actor, sku_id)


@router.post("/skus/{sku_id}")
async def sku_update(sku_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _sku_action(request, engine, actor, sku_id, {name: name for name in SKU_FIELDS}, editing.update_sku,
                             lambda f: editing.UpdateSku(**given(f, *SKU_FIELDS), active=bool(f.get("active")),
                                                         backorderable=bool(f.get("backorderable"))),
                             message="SKU saved")


async def _sku_action(request: Request, engine: Engine, actor: Actor, sku_id: int, known: dict[str, str],
                      action: Any, *args: Any, message: str) -> Response:
    """Runs one service for a form on the SKU page; `known` maps service field names to the form's."""
    def again(form: dict[str, Any], errors: dict[str, str], status_code: int) -> Response:
        errors = {known.get(name, name): text for name, text in errors.items()}
        return _sku_page(request, engine, actor, sku_id, form, errors, status_code)

    return await submit(request, await check_csrf(request), engine, actor, action,
                        lambda form: (sku_id, *[arg(form) if callable(arg) else arg for arg in args]),
                        known=known, again=again, message=message, to=sku_url(sku_id))


def _add_barcode(uow: Any, sku_id: int, code: str) -> int:
    sku = editing.load_sku(uow, sku_id)
    return services.add_barcode(uow, sku=sku.code, code=code, kind=guess_barcode_kind(code))


@router.post("/skus/{sku_id}/barcodes")
async def barcode_add(sku_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _sku_action(request, engine, actor, sku_id, {"code": "barcode", "barcode": "barcode"},
                             _add_barcode, lambda f: str(f.get("barcode", "")), message="Barcode {barcode} added")


@router.post("/skus/{sku_id}/barcodes/{barcode_id}/delete")
async def barcode_remove(sku_id: int, barcode_id: int, request: Request, engine: EngineDep,
                         actor: PageActor) -> Response:
    return await _sku_action(request, engine, actor, sku_id, {}, editing.remove_barcode, barcode_id,
                             message="Barcode removed")


def _attribute_values(form: Mapping[str, Any]) -> dict[int, str]:
    return {int(name.removeprefix("attr.")): str(value) for name, value in form.items()
            if name.startswith("attr.") and name.removeprefix("attr.").isdigit()}


@router.post("/skus/{sku_id}/attributes")
async def attributes_set(sku_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await request.form()
    known = {name: name for name in form if name.startswith("attr.")}
    return await _sku_action(request, engine, actor, sku_id, known, attributes.set_sku_attributes,
                             _attribute_values, message="Attributes saved")


@router.post("/skus/{sku_id}/equivalents")
async def equivalent_add(sku_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _sku_action(request, engine, actor, sku_id, {"equivalent": "equivalent"}, relations.add_equivalent,
                             lambda f: str(f.get("equivalent", "")), message="{equivalent} is now equivalent")


@router.post("/skus/{sku_id}/equivalents/remove")
async def equivalent_remove(sku_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _sku_action(request, engine, actor, sku_id, {}, relations.remove_equivalent,
                             message="Removed from its equivalents")


@router.post("/skus/{sku_id}/replacement")
async def replacement_set(sku_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _sku_action(request, engine, actor, sku_id, {"replaced_by": "replaced_by",
                                                              "effective_on": "effective_on"},
                             relations.set_replacement,
                             lambda f: relations.SetReplacement(**given(f, "replaced_by", "effective_on")),
                             message="Superseded by {replaced_by} from {effective_on}")


@router.post("/skus/{sku_id}/replacement/remove")
async def replacement_remove(sku_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _sku_action(request, engine, actor, sku_id, {}, relations.remove_replacement,
                             message="Replacement removed")


@router.post("/skus/{sku_id}/related")
async def related_add(sku_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _sku_action(request, engine, actor, sku_id, {"related": "related", "kind": "kind"},
                             relations.add_related, lambda f: relations.AddRelated(**given(f, "related", "kind")),
                             message="{related} added as a related item")


@router.post("/skus/{sku_id}/related/{link_id}/delete")
async def related_remove(sku_id: int, link_id: int, request: Request, engine: EngineDep,
                         actor: PageActor) -> Response:
    return await _sku_action(request, engine, actor, sku_id, {}, relations.remove_related, link_id,
                             message="Related item removed")


# ---- CSV import / export --------------------------------------------------------------------------------------

@router.get("/export.csv")
async def export_csv(engine: EngineDep, actor: PageActor) -> Response:
    data = await run(products_csv, engine, actor)
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="products.csv"'})


@router.get("/import", response_class=HTMLResponse)
def import_form(request: Request, actor: PageActor) -> Response:
    actor.require(CATALOG_EDIT)
    return admin_page(request, actor, "admin/catalog/import.html", section="catalog", report=None)


@router.post("/import")
async def import_upload(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    actor.require(CATALOG_EDIT)  # so that a refused user hears 403 whatever the file's size (the service checks too)
    upload = form.get("file")
    limit = request.app.state.settings.csv_upload_max_bytes
    status = 422
    try:
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("choose a CSV file", field="file")
        data = await upload.read(limit + 1)  # one byte more than allowed tells the file is too big
        if len(data) > limit:
            status = 413
            raise ValidationFailed(f"the file is larger than {limit / 1e6:.1f} MB, the limit for an upload; split it "
                                   "or use the command `stockyard import products`", field="file")
        count = await run(import_products, engine, actor, data)
    except (ValidationFailed, RowErrors) as error:
        rows = error.rows if isinstance(error, RowErrors) else [(0, "file", error.message)]
        return admin_page(request, actor, "admin/catalog/import.html", status, section="catalog",
                          report={"message": error.message, "rows": rows})
    flash(request, f"Imported {count} product(s)")
    return see_other("/admin/catalog/products?" + urlencode({"sort": "-created"}))

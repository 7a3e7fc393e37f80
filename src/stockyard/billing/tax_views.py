"""Admin page for taxes at /admin/taxes: the product tax classes and the rates by destination and class."""

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from stockyard.billing import tax_queries, tax_services
from stockyard.core.actor import Actor
from stockyard.core.uow import read
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_crud import remove, submit
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, given

BASE = "/admin/taxes"
CLASS_FIELDS = ("code", "name")
RATE_FIELDS = ("country", "region", "tax_class", "name", "rate", "valid_from")

router = admin_router("/taxes")
ADMIN_SECTIONS.append(("taxes", BASE, "Taxes"))


def _page(request: Request, engine: Engine, actor: Actor, which: str = "", form: Mapping[str, Any] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    classes = read(engine, actor, tax_queries.tax_classes)
    codes = sorted({"standard", *(c.code for c in classes)})
    empty: dict[str, Any] = {}
    return admin_page(request, actor, "admin/taxes.html", status_code, section="taxes", classes=classes,
                      rates=read(engine, actor, tax_queries.tax_rates), class_codes=codes,
                      class_form=dict(form or {}) if which == "class" else empty,
                      class_errors=(errors or {}) if which == "class" else empty,
                      rate_form=dict(form or {}) if which == "rate" else {"tax_class": "standard"},
                      rate_errors=(errors or {}) if which == "rate" else empty)


@router.get("", response_class=HTMLResponse)
def taxes(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _page(request, engine, actor)


@router.post("/classes")
async def create_class(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, tax_services.create_tax_class,
                        lambda form: (tax_services.TaxClassIn(**given(form, *CLASS_FIELDS)),), known=set(CLASS_FIELDS),
                        again=partial(_page, request, engine, actor, "class"),
                        message="Tax class {code} created", to=BASE)


@router.post("/classes/{class_id}/delete")
async def delete_class(class_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await remove(request, engine, actor, tax_services.delete_tax_class, class_id,
                        message="Tax class deleted", to=BASE)


@router.post("/rates")
async def create_rate(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, tax_services.create_tax_rate,
                        lambda form: (tax_services.TaxRateIn(**given(form, *RATE_FIELDS)),), known=set(RATE_FIELDS),
                        again=partial(_page, request, engine, actor, "rate"),
                        message="Tax rate {name} created", to=BASE)


@router.post("/rates/{rate_id}/delete")
async def delete_rate(rate_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await remove(request, engine, actor, tax_services.delete_tax_rate, rate_id,
                        message="Tax rate deleted", to=BASE)

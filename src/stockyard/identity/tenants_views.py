"""Admin pages for tenants at /admin/tenants (owners only): the list, a form creating a tenant with its owner, and a
tenant's page, where it is renamed, and (a tenant created from the owner's) suspended or reactivated."""

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity import tenants_admin
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_crud import submit
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, given, run, see_other

ADMIN_SECTIONS.append(("tenants", "/admin/tenants", "Tenants"))
router = admin_router("/tenants")

FIELDS = tuple(tenants_admin.CreateTenant.model_fields)
# identity's create_user names its own fields; on this form they are the owner's.
USER_FIELDS = {"email": "owner_email", "password": "owner_password"}
INPUT_ERRORS = (ValidationError, ValidationFailed, Conflict, NotFound)


@router.get("", response_class=HTMLResponse)
def tenant_list(request: Request, engine: EngineDep, actor: PageActor, q: str = "", sort: str = "name",
                page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    result = read(engine, actor, tenants_admin.list_tenants, q, sort, page_no)
    return admin_page(request, actor, "admin/tenants/list.html", section="tenants", result=result,
                      query={"q": q, "sort": sort}, own_tenant_id=actor.tenant_id)


def new_form(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any] | None = None,
             errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return admin_page(request, actor, "admin/tenants/new.html", status_code, section="tenants",
                      parent=read(engine, actor, tenants_admin.own_tenant),
                      form={k: v for k, v in (form or {}).items() if k != "owner_password"}, errors=errors or {})


@router.get("/new", response_class=HTMLResponse)
def tenant_new(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return new_form(request, engine, actor)


@router.post("/new")
async def tenant_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        cmd = tenants_admin.CreateTenant(**given(form, *FIELDS))
        await run(perform, engine, actor, tenants_admin.create_tenant_with_owner, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set(FIELDS) | set(USER_FIELDS))
        errors = {USER_FIELDS.get(name, name): message for name, message in errors.items()}
        return await run(new_form, request, engine, actor, form, errors, status)
    flash(request, f"Tenant '{cmd.slug}' created. Its owner signs in with the tenant '{cmd.slug}' and "
                   f"the e-mail {cmd.owner_email}.")
    return see_other("/admin/tenants")


def tenant_page(request: Request, engine: Engine, actor: Actor, tenant_id: int,
                form: Mapping[str, Any] | None = None, errors: dict[str, str] | None = None,
                status_code: int = 200) -> HTMLResponse:
    found = read(engine, actor, tenants_admin.tenant_detail, tenant_id)
    return admin_page(request, actor, "admin/tenants/detail.html", status_code, section="tenants",
                      form={"name": found["tenant"].name, **(form or {})}, errors=errors or {}, **found)


@router.get("/{tenant_id}", response_class=HTMLResponse)
def tenant_detail(tenant_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return tenant_page(request, engine, actor, tenant_id)


@router.post("/{tenant_id}")
async def tenant_rename(tenant_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, tenants_admin.rename_tenant,
                        lambda form: (tenant_id, tenants_admin.RenameTenant(**given(form, "name"))), known={"name"},
                        again=partial(tenant_page, request, engine, actor, tenant_id),
                        message="Tenant renamed to {name}", to=f"/admin/tenants/{tenant_id}")


@router.post("/{tenant_id}/suspend")
async def tenant_suspend(tenant_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, tenants_admin.suspend_tenant,
                        lambda form: (tenant_id, tenants_admin.SuspendTenant(**given(form, "reason"))),
                        known={"reason"}, again=partial(tenant_page, request, engine, actor, tenant_id),
                        message="Tenant suspended: its people are signed out and cannot sign in",
                        to=f"/admin/tenants/{tenant_id}")


@router.post("/{tenant_id}/reactivate")
async def tenant_reactivate(tenant_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await submit(request, await check_csrf(request), engine, actor, tenants_admin.reactivate_tenant,
                        lambda form: (tenant_id,), known=set(),
                        again=partial(tenant_page, request, engine, actor, tenant_id),
                        message="Tenant reactivated: its people can sign in again", to=f"/admin/tenants/{tenant_id}")

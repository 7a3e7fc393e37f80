"""Admin pages for users, roles and API keys (/admin/users, /admin/roles, /admin/api-keys). Thin: build a command
from the form, call a service, redirect (Post/Redirect/Get); a bad form is shown again with the message next to
the field and a 4xx status. Access is decided by the services, so a forged post gets the same 403 as the page.
"""

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
from stockyard.identity import roles, users
from stockyard.identity.domain import API_KEYS_MANAGE, ROLES_MANAGE, USERS_MANAGE
from stockyard.identity.services import revoke_api_key
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_crud import list_page
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, run, see_other

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
USER_FIELDS = {"name", "email", "role", "warehouse_ids", "password", "active"}
ROLE_FIELDS = {"name", "description", "permissions"}
KEY_FIELDS = {"name", "user_id", "scopes"}

ADMIN_SECTIONS.append(("users", "/admin/users", "Users"))
ADMIN_SECTIONS.append(("roles", "/admin/roles", "Roles"))
ADMIN_SECTIONS.append(("api-keys", "/admin/api-keys", "API keys"))

router = admin_router()


async def _form(request: Request) -> tuple[dict[str, Any], Any]:
    """The checked form as single values, and the raw form for the multi-valued checkboxes."""
    single = await check_csrf(request)
    return single, await request.form()


def _ints(values: list[Any], field: str) -> list[int]:
    try:
        return [int(v) for v in values if str(v).strip()]
    except ValueError:
        raise ValidationFailed("choose warehouses from the list", field=field) from None


# ---- users ----------------------------------------------------------------------------------------------------

@router.get("/users", response_class=HTMLResponse)
def user_list(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    query = {k: v for k, v in request.query_params.items() if v.strip()}
    try:
        filters = users.UserFilter(**query)
    except ValidationError as error:
        errors, status = field_errors(error, set(users.UserFilter.model_fields))
        return admin_page(request, actor, "admin/identity/users.html", status, section="users", errors=errors,
                          result=None, query=query, role_names=read(engine, actor, roles.role_names))
    return admin_page(request, actor, "admin/identity/users.html", section="users", query=filters.model_dump(),
                      result=read(engine, actor, users.list_users, filters),
                      role_names=read(engine, actor, roles.role_names))


def user_form(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any], user: Any = None,
              errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    keys = read(engine, actor, users.list_api_keys, user.id) if user and actor.can(API_KEYS_MANAGE) else []
    return admin_page(request, actor, "admin/identity/user_form.html", status_code, section="users", user=user,
                      form=dict(form), errors=errors or {}, keys=keys,
                      role_names=read(engine, actor, roles.role_names),
                      warehouses=read(engine, actor, users.warehouse_choices))


@router.get("/users/new", response_class=HTMLResponse)
def user_new(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    actor.require(USERS_MANAGE)  # the form is of no use without it; the service checks again
    return user_form(request, engine, actor, {"role": "read_only", "warehouse_ids": []})


@router.post("/users/new")
async def user_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form, raw = await _form(request)
    form["warehouse_ids"] = raw.getlist("warehouse_ids")
    try:
        cmd = users.NewUser(name=form.get("name", ""), email=form.get("email", ""), role=form.get("role", ""),
                            password=form.get("password", ""),
                            warehouse_ids=_ints(form["warehouse_ids"], "warehouse_ids"))
        user_id = await run(perform, engine, actor, users.create_staff_user, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, USER_FIELDS)
        form.pop("password", None)
        return await run(user_form, request, engine, actor, form, None, errors, status)
    flash(request, f"User {cmd.email.lower()} created")
    return see_other(f"/admin/users/{user_id}")


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_detail(user_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    user = read(engine, actor, users.get_user, user_id)
    form = {"name": user.name, "role": user.role, "warehouse_ids": [str(w) for w in user.warehouse_ids],
            "active": user.active}
    return user_form(request, engine, actor, form, user)


@router.post("/users/{user_id}")
async def user_update(user_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form, raw = await _form(request)
    form["warehouse_ids"] = raw.getlist("warehouse_ids")
    form["active"] = form.get("active") == "1"
    try:
        cmd = users.UserChanges(name=form.get("name", ""), role=form.get("role", ""), active=form["active"],
                                warehouse_ids=_ints(form["warehouse_ids"], "warehouse_ids"))
        await run(perform, engine, actor, users.update_staff_user, user_id, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, USER_FIELDS)
        user = await run(read, engine, actor, users.get_user, user_id)
        return await run(user_form, request, engine, actor, form, user, errors, status)
    flash(request, f"Saved {cmd.name}")
    return see_other(f"/admin/users/{user_id}")


async def _set_active(user_id: int, active: bool, request: Request, engine: Engine, actor: Actor) -> Response:
    await check_csrf(request)
    try:
        await run(perform, engine, actor, users.set_user_active, user_id, active)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set())
        user = await run(read, engine, actor, users.get_user, user_id)
        form = {"name": user.name, "role": user.role, "warehouse_ids": [str(w) for w in user.warehouse_ids],
                "active": user.active}
        return await run(user_form, request, engine, actor, form, user, errors, status)
    flash(request, "User reactivated" if active else "User deactivated: signed out, API keys stop working")
    return see_other(f"/admin/users/{user_id}")


@router.post("/users/{user_id}/deactivate")
async def user_deactivate(user_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _set_active(user_id, False, request, engine, actor)


@router.post("/users/{user_id}/reactivate")
async def user_reactivate(user_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _set_active(user_id, True, request, engine, actor)


# ---- roles ----------------------------------------------------------------------------------------------------

@router.get("/roles", response_class=HTMLResponse)
def role_list(request: Request, engine: EngineDep, actor: PageActor, q: str = "", sort: str = "",
              page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return list_page(request, engine, actor, roles.page_roles, "admin/identity/roles.html", "roles", q, page_no,
                     sort=sort)


def role_form(request: Request, actor: Actor, form: Mapping[str, Any], role: Any = None,
              errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    return admin_page(request, actor, "admin/identity/role_form.html", status_code, section="roles", role=role,
                      form=dict(form), errors=errors or {}, areas=roles.permission_areas())


def _role_in(form: dict[str, Any], raw: Any) -> roles.RoleIn:
    form["permissions"] = raw.getlist("permissions")
    return roles.RoleIn(name=form.get("name", ""), description=form.get("description", ""),
                        permissions=form["permissions"])


@router.get("/roles/new", response_class=HTMLResponse)
def role_new(request: Request, actor: PageActor) -> Response:
    actor.require(ROLES_MANAGE)
    return role_form(request, actor, {"permissions": []})


@router.post("/roles/new")
async def role_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form, raw = await _form(request)
    try:
        cmd = _role_in(form, raw)
        role_id = await run(perform, engine, actor, roles.create_role, cmd)
    except INPUT_ERRORS as error:
        return role_form(request, actor, form, None, *field_errors(error, ROLE_FIELDS))
    flash(request, f"Role {cmd.name} created")
    return see_other(f"/admin/roles/{role_id}")


@router.get("/roles/builtin/{name}", response_class=HTMLResponse)
def role_builtin(name: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    role = read(engine, actor, roles.builtin_role, name)
    return admin_page(request, actor, "admin/identity/role_builtin.html", section="roles", role=role,
                      areas=roles.permission_areas())


@router.get("/roles/{role_id}", response_class=HTMLResponse)
def role_detail(role_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    role = read(engine, actor, roles.get_role, role_id)
    form = {"name": role.name, "description": role.description, "permissions": sorted(role.permissions)}
    return role_form(request, actor, form, role)


@router.post("/roles/{role_id}")
async def role_update(role_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form, raw = await _form(request)
    try:
        cmd = _role_in(form, raw)
        await run(perform, engine, actor, roles.update_role, role_id, cmd)
    except INPUT_ERRORS as error:
        role = await run(read, engine, actor, roles.get_role, role_id)
        return role_form(request, actor, form, role, *field_errors(error, ROLE_FIELDS))
    flash(request, f"Role {cmd.name} saved")
    return see_other(f"/admin/roles/{role_id}")


@router.post("/roles/{role_id}/delete")
async def role_delete(role_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    try:
        await run(perform, engine, actor, roles.delete_role, role_id)
    except INPUT_ERRORS as error:
        role = await run(read, engine, actor, roles.get_role, role_id)
        form = {"name": role.name, "description": role.description, "permissions": sorted(role.permissions)}
        return role_form(request, actor, form, role, *field_errors(error, set()))
    flash(request, "Role deleted")
    return see_other("/admin/roles")


# ---- API keys -------------------------------------------------------------------------------------------------

def keys_page(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any],
              errors: dict[str, str] | None = None, status_code: int = 200, issued: Any = None, q: str = "",
              sort: str = "", page_no: int = 1) -> HTMLResponse:
    owners = read(engine, actor, users.key_owner_choices)
    chosen = str(form.get("user_id") or actor.user_id or "")
    scope_choices: list[str] = []
    if chosen.isdigit() and int(chosen) in {owner_id for owner_id, _ in owners}:
        held = read(engine, actor, users.user_permissions, int(chosen))
        scope_choices = sorted(held if actor.can("*") else held & actor.permissions)
    return admin_page(request, actor, "admin/identity/api_keys.html", status_code, section="api-keys",
                      result=read(engine, actor, users.page_api_keys, q=q, sort=sort, page=page_no), q=q,
                      owners=owners, scope_choices=scope_choices, form={**form, "user_id": chosen},
                      errors=errors or {}, issued=issued)


@router.get("/api-keys", response_class=HTMLResponse)
def key_list(request: Request, engine: EngineDep, actor: PageActor, user_id: int | None = Query(default=None),
             q: str = "", sort: str = "", page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return keys_page(request, engine, actor, {"user_id": user_id or "", "scopes": None}, q=q, sort=sort,
                     page_no=page_no)


@router.post("/api-keys")
async def key_create(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form, raw = await _form(request)
    form["scopes"] = raw.getlist("scopes")
    try:
        user_id = str(form.get("user_id") or actor.user_id or "")
        if not user_id.isdigit():
            raise ValidationFailed("choose the user the key acts for", field="user_id")
        issue = partial(users.issue_api_key, user_id=int(user_id), name=str(form.get("name", "")),
                        scopes=form["scopes"])
        issued = await run(perform, engine, actor, issue)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, KEY_FIELDS)
        return await run(keys_page, request, engine, actor, form, errors, status)
    # Shown on this response only (not stored, not put in the session): the page says so.
    return await run(keys_page, request, engine, actor, {"user_id": user_id, "scopes": None}, None, 201, issued)


@router.post("/api-keys/{key_id}/revoke")
async def key_revoke(key_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    try:
        await run(perform, engine, actor, revoke_api_key, key_id)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, set())
        return await run(keys_page, request, engine, actor, {}, errors, status)
    flash(request, f"API key {key_id} revoked; it stops working at once")
    return see_other("/admin/api-keys")

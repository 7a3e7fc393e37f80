"""JSON API for API keys, users and roles at /api/v1. Thin: translate, call a service or query, answer."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from stockyard.core.uow import perform, read
from stockyard.identity import roles, users
from stockyard.identity.services import revoke_api_key
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(tags=["identity"])


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    user_id: int | None = Field(default=None, description="the user the key acts for; default: yourself")
    scopes: list[str] | None = Field(default=None, description="permission names; default: all of the user's")


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    user_id: int
    user_name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None


class IssuedKeyOut(BaseModel):
    id: int
    key: str = Field(description="shown this once; only its hash is stored")
    prefix: str
    scopes: list[str]


class Created(BaseModel):
    id: int


def _user_out(u: users.UserView) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "email": u.email, "role": u.role, "warehouse_ids": u.warehouse_ids,
            "active": u.active, "created_at": u.created_at}


# ---- API keys -------------------------------------------------------------------------------------------------

@router.get("/api-keys")
def list_keys(engine: EngineDep, actor: ApiActor, user_id: int | None = None,
              include_revoked: bool = True) -> list[KeyOut]:
    return [KeyOut(**vars(k)) for k in read(engine, actor, users.list_api_keys, user_id, include_revoked)]


@router.post("/api-keys", status_code=status.HTTP_201_CREATED)
def create_key(body: KeyIn, engine: EngineDep, actor: ApiActor) -> IssuedKeyOut:
    user_id = body.user_id if body.user_id is not None else actor.user_id
    issued = perform(engine, actor, users.issue_api_key, user_id=user_id, name=body.name, scopes=body.scopes)
    return IssuedKeyOut(id=issued.id, key=issued.token, prefix=issued.prefix, scopes=issued.scopes)


@router.post("/api-keys/{key_id}/revoke", status_code=status.HTTP_204_NO_CONTENT)
def revoke_key(key_id: int, engine: EngineDep, actor: ApiActor) -> None:
    perform(engine, actor, revoke_api_key, key_id)


# ---- users ----------------------------------------------------------------------------------------------------

@router.get("/users")
def list_users(engine: EngineDep, actor: ApiActor,
               filters: Annotated[users.UserFilter, Query()]) -> dict[str, Any]:
    result = read(engine, actor, users.list_users, filters)
    return {"total": result.total, "page": result.page, "items": [_user_out(u) for u in result.items]}


@router.get("/users/{user_id}")
def get_user(user_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _user_out(read(engine, actor, users.get_user, user_id))


@router.post("/users", status_code=status.HTTP_201_CREATED)
def create_user(body: users.NewUser, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, users.create_staff_user, body))


@router.put("/users/{user_id}")
def update_user(user_id: int, body: users.UserChanges, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, users.update_staff_user, user_id, body)
    return _user_out(read(engine, actor, users.get_user, user_id))


# ---- roles ----------------------------------------------------------------------------------------------------

def _role_out(r: roles.RoleView) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "description": r.description, "permissions": sorted(r.permissions),
            "builtin": r.builtin, "users": r.users}


@router.get("/roles")
def list_roles(engine: EngineDep, actor: ApiActor) -> list[dict[str, Any]]:
    return [_role_out(r) for r in read(engine, actor, roles.list_roles)]


@router.post("/roles", status_code=status.HTTP_201_CREATED)
def create_role(body: roles.RoleIn, engine: EngineDep, actor: ApiActor) -> Created:
    return Created(id=perform(engine, actor, roles.create_role, body))


@router.put("/roles/{role_id}")
def update_role(role_id: int, body: roles.RoleIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, roles.update_role, role_id, body)
    return _role_out(read(engine, actor, roles.get_role, role_id))


@router.delete("/roles/{role_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_role(role_id: int, engine: EngineDep, actor: ApiActor) -> None:
    perform(engine, actor, roles.delete_role, role_id)

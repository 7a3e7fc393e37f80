"""Custom roles of a tenant, composed from the named permissions; the built-in roles are shown beside them.

A user's `role` names a built-in role (domain.ROLES) or one of these; renaming a custom role renames it on its
users in the same transaction, and a role that users still hold cannot be deleted.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select, update

from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.pagination import Page, page_of
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ALL_PERMISSIONS, ROLES, ROLES_MANAGE
from stockyard.identity.models import Role, User
from stockyard.identity.services import check_can_grant, effective_permissions, forget_cached_keys

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"

# What each area of permissions is called on the role form; an area not listed is shown by its own name.
AREA_LABELS = {
    "inventory": "Inventory", "catalog": "Catalog", "pricing": "Pricing", "orders": "Orders", "returns": "Returns",
    "settings": "Settings", "users": "Users", "roles": "Roles", "api_keys": "API keys", "audit": "Audit log",
}


class RoleIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=40, pattern=NAME_PATTERN,
                      description="lower-case letters, digits and underscores, starting with a letter")
    description: str = Field(default="", max_length=500)
    permissions: list[str] = Field(min_length=1)

    @field_validator("name", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("permissions")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - ALL_PERMISSIONS)
        if unknown:
            raise ValueError(f"unknown permission(s): {', '.join(unknown)}")
        return sorted(set(value))


@dataclass(frozen=True)
class RoleView:
    name: str
    description: str
    permissions: frozenset[str]
    builtin: bool
    users: int
    id: int | None = None


def role_dict(role: Role) -> dict[str, Any]:
    return {"id": role.id, "name": role.name, "description": role.description, "permissions": sorted(role.permissions)}


def permission_areas() -> list[tuple[str, list[str]]]:
    """Every named permission, grouped by area ("inventory.count.approve" is in "inventory"), for the forms."""
    areas: dict[str, list[str]] = {}
    for name in sorted(ALL_PERMISSIONS):
        areas.setdefault(name.split(".", 1)[0], []).append(name)
    return [(AREA_LABELS.get(area, area), names) for area, names in areas.items()]


def _load(uow: UnitOfWork, role_id: int) -> Role:
    found = uow.execute(select(Role).where(Role.id == role_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown role {role_id}", field="role_id")
    return found


def _check_name_free(uow: UnitOfWork, name: str, except_id: int | None = None) -> None:
    if name in ROLES:
        raise Conflict(f"'{name}' is a built-in role; choose another name", field="name")
    stmt = select(Role.id).where(Role.name == name)
    if except_id is not None:
        stmt = stmt.where(Role.id != except_id)
    if uow.execute(stmt).first() is not None:
        raise Conflict(f"a role named '{name}' exists already", field="name")


def _holders(uow: UnitOfWork, name: str) -> int:
    return uow.execute(select(func.count()).select_from(User).where(User.role == name)).scalar_one()


def create_role(uow: UnitOfWork, cmd: RoleIn) -> int:
    uow.require(ROLES_MANAGE)
    _check_name_free(uow, cmd.name)
    check_can_grant(uow, frozenset(cmd.permissions), field="permissions")
    role = Role(tenant_id=uow.tenant_id, name=cmd.name, description=cmd.description, permissions=cmd.permissions)
    uow.session.add(role)
    uow.session.flush()
    add_event(uow, "role.created.v1", {"id": role.id, "after": role_dict(role)})
    return role.id


def update_role(uow: UnitOfWork, role_id: int, cmd: RoleIn) -> None:
    """Changes name, description and permissions; the role's users act with the new permissions at once."""
    uow.require(ROLES_MANAGE)
    role = _load(uow, role_id)
    _check_name_free(uow, cmd.name, except_id=role_id)
    # Both what is taken away and what is added must be the actor's to hand out.
    check_can_grant(uow, frozenset(cmd.permissions) ^ frozenset(role.permissions), field="permissions")
    before = role_dict(role)
    if cmd.name != role.name:
        uow.execute(update(User).where(User.role == role.name).values(role=cmd.name))
    role.name, role.description, role.permissions = cmd.name, cmd.description, cmd.permissions
    uow.session.flush()
    add_event(uow, "role.updated.v1", {"id": role_id, "before": before, "after": role_dict(role)})
    forget_cached_keys()


def delete_role(uow: UnitOfWork, role_id: int) -> None:
    """Refused while any user (active or not) holds the role."""
    uow.require(ROLES_MANAGE)
    role = _load(uow, role_id)
    holders = _holders(uow, role.name)
    if holders:
        raise Conflict(f"role '{role.name}' is assigned to {holders} user(s); give them another role first",
                       field="role_id")
    before = role_dict(role)
    uow.session.delete(role)
    uow.session.flush()
    add_event(uow, "role.deleted.v1", {"id": role_id, "before": before})


# ---- read models ----------------------------------------------------------------------------------------------

def _user_counts(uow: UnitOfWork) -> dict[str, int]:
    return {role: n for role, n in uow.execute(select(User.role, func.count()).group_by(User.role)).all()}


@requires(ROLES_MANAGE)
def list_roles(uow: UnitOfWork) -> list[RoleView]:
    """Built-in roles first (in their fixed order), then the tenant's custom roles by name."""
    counts = _user_counts(uow)
    out = [RoleView(name, "", perms, True, counts.get(name, 0)) for name, perms in ROLES.items()]
    for role in uow.execute(select(Role).order_by(Role.name)).scalars():
        out.append(RoleView(role.name, role.description, effective_permissions(role.name, role.permissions), False,
                            counts.get(role.name, 0), role.id))
    return out


_BUILTIN_ORDER = {name: index for index, name in enumerate(ROLES)}
ROLE_SORTS: dict[str, Callable[[RoleView], Any]] = {
    "name": lambda r: r.name,
    "kind": lambda r: (0, _BUILTIN_ORDER[r.name], "") if r.builtin else (1, 0, r.name),
    "permissions": lambda r: len(r.permissions),
    "users": lambda r: r.users,
}


@requires(ROLES_MANAGE)
def page_roles(uow: UnitOfWork, q: str = "", sort: str = "", page: int = 1, per_page: int = 50) -> Page[RoleView]:
    """The roles page: list_roles searched by name or description and sorted by a ROLE_SORTS key ("-key"
    descending; built-in roles first when it names none). Sorted in memory: a tenant has a few dozen roles at most,
    and the built-in ones are not rows."""
    needle = q.strip().lower()
    found = [r for r in list_roles(uow)
             if needle in r.name or needle in r.name.replace("_", " ") or needle in r.description.lower()]
    return page_of(found, sort, ROLE_SORTS, "kind", page, per_page)


@requires(ROLES_MANAGE)
def get_role(uow: UnitOfWork, role_id: int) -> RoleView:
    role = _load(uow, role_id)
    return RoleView(role.name, role.description, effective_permissions(role.name, role.permissions), False,
                    _holders(uow, role.name), role.id)


@requires(ROLES_MANAGE)
def builtin_role(uow: UnitOfWork, name: str) -> RoleView:
    if name not in ROLES:
        raise NotFound(f"no built-in role '{name}'", field="name")
    return RoleView(name, "", ROLES[name], True, _holders(uow, name))


def role_names(uow: UnitOfWork) -> list[str]:
    """Every role a user of this tenant may be given (for forms; the caller checks its own permission)."""
    return [*ROLES, *uow.execute(select(Role.name).order_by(Role.name)).scalars()]


def validate_role_name(name: str) -> str:
    """A role name as typed in a form or a query string, cleaned, or a clear error."""
    cleaned = name.strip().lower()
    if not cleaned:
        raise ValidationFailed("choose a role", field="role")
    return cleaned

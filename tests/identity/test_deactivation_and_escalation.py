"""Deactivating a user ends their sessions (for good: reactivating them does not bring an old session back) and
stops their keys; and nobody raises their own access: not by giving themselves a higher role, not by widening the
custom role they hold, not by making a user or a key with more than they have."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stockyard.core.errors import PermissionDenied
from stockyard.core.uow import perform
from stockyard.identity.models import User
from stockyard.identity.roles import RoleIn, create_role
from stockyard.identity.services import actor_for_user
from stockyard.identity.users import UserChanges, update_staff_user
from tests.conftest import TenantCtx
from tests.identity.auth_support import (
    PASSWORD,
    browser,
    events,
    login,
    make_app,
    new_user,
    post,
    sessions_of,
    signed_in,
)


def test_deactivating_a_user_ends_their_sessions_and_keys(tenant: TenantCtx, tmp_path: Path) -> None:
    app = make_app(tenant, tmp_path)
    user_id, email = new_user(tenant, "warehouse_operator")
    _, key = tenant.user("warehouse_operator", email=f"keyed-{email}")
    laptop, phone = browser(app), browser(app)
    for client in (laptop, phone):
        assert login(client, tenant, email).status_code == 303 and signed_in(client)
    assert sessions_of(tenant, user_id) == 2

    owner = browser(app)
    _, owner_email = new_user(tenant, "owner")
    assert login(owner, tenant, owner_email).status_code == 303
    done = post(owner, f"/admin/users/{user_id}/deactivate", {}, f"/admin/users/{user_id}")
    assert done.status_code == 303, done.text[:300]
    assert "signed out" in owner.get(done.headers["location"]).text

    assert sessions_of(tenant, user_id) == 0
    assert not signed_in(laptop) and not signed_in(phone)
    assert laptop.get("/api/v1/inventory/warehouses").status_code == 401
    refused = browser(app)
    assert login(refused, tenant, email).status_code != 303 and not signed_in(refused)
    assert events(tenant, "user.deactivated.v1")[-1]["id"] == user_id

    # Reactivated, the user signs in again; the sessions ended on deactivation stay ended.
    assert post(owner, f"/admin/users/{user_id}/reactivate", {}, f"/admin/users/{user_id}").status_code == 303
    assert not signed_in(laptop) and not signed_in(phone)
    fresh = browser(app)
    assert login(fresh, tenant, email).status_code == 303 and signed_in(fresh)
    assert key  # the other operator's key is untouched by this user's deactivation
    assert TestClient(app).get("/api/v1/inventory/warehouses",
                               headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_a_deactivated_users_keys_stop_at_once(tenant: TenantCtx, client: TestClient) -> None:
    user_id, key = tenant.user("warehouse_manager")
    assert client.get("/api/v1/inventory/warehouses", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    _, owner_key = tenant.user("owner")
    changed = client.put(f"/api/v1/users/{user_id}", json={"name": "Gone", "role": "warehouse_manager",
                                                           "active": False},
                         headers={"Authorization": f"Bearer {owner_key}"})
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert client.get("/api/v1/inventory/warehouses", headers={"Authorization": f"Bearer {key}"}).status_code == 401


@pytest.mark.parametrize(("role", "higher"), [("administrator", "owner"), ("warehouse_manager", "administrator")])
def test_a_user_cannot_give_themselves_a_higher_role(tenant: TenantCtx, client: TestClient, role: str,
                                                     higher: str) -> None:
    """An administrator (who may manage users) cannot make themselves owner; a custom role holding users.manage
    cannot take a built-in role above it — through the API or the admin form."""
    if role != "administrator":
        with tenant.uow() as uow:
            create_role(uow, RoleIn(name="staffer", permissions=["users.manage", "inventory.view", "catalog.view"]))
        role = "staffer"
    user_id, key = tenant.user(role)
    mine = {"Authorization": f"Bearer {key}"}
    before = actor_for_user(tenant.engine, user_id).permissions
    response = client.put(f"/api/v1/users/{user_id}", json={"name": "Me", "role": higher, "active": True},
                          headers=mine)
    assert response.status_code == 403, response.text
    assert "do not hold" in response.text
    # Nor by making a new account with the higher role (to sign in as).
    response = client.post("/api/v1/users", json={"name": "Alt", "email": "alt@example.com", "role": higher,
                                                  "password": PASSWORD}, headers=mine)
    assert response.status_code == 403, response.text
    assert actor_for_user(tenant.engine, user_id).permissions == before
    with tenant.uow() as uow:
        assert uow.execute(User.__table__.select().where(User.email == "alt@example.com")).first() is None


def test_a_user_cannot_widen_the_custom_role_they_hold(tenant: TenantCtx, tmp_path: Path) -> None:
    with tenant.uow() as uow:
        role_id = create_role(uow, RoleIn(name="lead", permissions=["roles.manage", "inventory.view"]))
    user_id, email = new_user(tenant, "read_only")
    with tenant.uow() as uow:
        update_staff_user(uow, user_id, UserChanges(name="Lee Lead", role="lead"))
    app = make_app(tenant, tmp_path)
    lee = browser(app)
    assert login(lee, tenant, email).status_code == 303
    url = f"/admin/roles/{role_id}"
    widened = post(lee, url, {"name": "lead", "permissions": ["roles.manage", "inventory.view", "users.manage"]},
                   url)  # type: ignore[dict-item]
    assert widened.status_code == 403, widened.status_code
    created = post(lee, "/admin/roles/new", {"name": "boss", "permissions": ["users.manage"]},  # type: ignore[dict-item]
                   "/admin/roles/new")
    assert created.status_code == 403
    assert actor_for_user(tenant.engine, user_id).permissions == {"roles.manage", "inventory.view"}
    # Giving up a permission they hold is theirs to do.
    narrowed = post(lee, url, {"name": "lead", "permissions": ["roles.manage"]}, url)  # type: ignore[dict-item]
    assert narrowed.status_code == 303
    assert actor_for_user(tenant.engine, user_id).permissions == {"roles.manage"}


def test_an_administrator_cannot_change_an_owner(tenant: TenantCtx) -> None:
    owner_id, _ = tenant.user("owner")
    admin_id, _ = tenant.user("administrator")
    admin = actor_for_user(tenant.engine, admin_id)
    for changes in (UserChanges(name="Demoted", role="read_only"), UserChanges(name="Off", role="owner",
                                                                                active=False)):
        with pytest.raises(PermissionDenied):
            perform(tenant.engine, admin, update_staff_user, owner_id, changes)
    with tenant.uow() as uow:
        row = uow.execute(User.__table__.select().where(User.id == owner_id)).one()
    assert (row.role, row.active, row.name) == ("owner", True, "owner user")

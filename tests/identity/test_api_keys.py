"""API keys: shown once, stored hashed, acting as their user (role and warehouses), revocable, tenant-scoped."""

from typing import Any

import pytest
from sqlalchemy import Row, select

from stockyard.core.actor import Actor
from stockyard.core.errors import NotAuthenticated, NotFound, PermissionDenied
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity.domain import INVENTORY_COUNT_APPROVE, INVENTORY_RECEIVE, permissions_for
from stockyard.identity.models import ApiKey
from stockyard.identity.services import actor_from_api_key, create_api_key, revoke_api_key
from tests.conftest import Api, TenantCtx, new_tenant
from tests.inventory.support import tenant_rows


def _key_row(ctx: TenantCtx, token: str) -> Row[Any]:
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return uow.conn.execute(select(ApiKey.__table__).where(ApiKey.prefix == token.split("_")[1])).one()


def _revoke(ctx: TenantCtx, token: str, actor: Actor | None = None) -> None:
    perform(ctx.engine, actor or ctx.actor, revoke_api_key, _key_row(ctx, token).id)


def test_a_key_acts_as_its_user_with_the_users_role_and_warehouses(tenant):
    user_id, token = tenant.user("warehouse_operator", warehouse_ids=[3, 5])
    actor = actor_from_api_key(tenant.engine, token)
    assert (actor.tenant_id, actor.user_id) == (tenant.tenant_id, user_id)
    assert actor.permissions == permissions_for("warehouse_operator")
    assert actor.can(INVENTORY_RECEIVE) and not actor.can(INVENTORY_COUNT_APPROVE)
    assert actor.warehouse_ids == frozenset({3, 5})
    assert actor_from_api_key(tenant.engine, tenant.user("owner")[1]).warehouse_ids is None  # every warehouse


def test_only_a_hash_of_the_key_is_stored(tenant):
    _, token = tenant.user("owner")
    assert token.startswith("sy_")
    row = _key_row(tenant, token)
    assert token not in [str(value) for value in row]
    assert row.key_hash != token and len(row.key_hash) == 64
    assert row.revoked_at is None


def test_each_key_is_different(tenant):
    user_id, first = tenant.user("owner")
    with tenant.uow() as uow:
        second = create_api_key(uow, user_id=user_id, name="second")
    assert first != second
    assert actor_from_api_key(tenant.engine, second).user_id == user_id


@pytest.mark.parametrize("token", ["", "garbage", "sy_", "sy_abc", "sy_000000000000_nope", "xx_000000000000_y"])
def test_unknown_and_malformed_keys_are_refused(tenant, token):
    with pytest.raises(NotAuthenticated):
        actor_from_api_key(tenant.engine, token)


def test_a_key_with_a_known_prefix_but_a_wrong_secret_is_refused(tenant):
    _, token = tenant.user("owner")
    prefix = token.rsplit("_", 1)[0]
    with pytest.raises(NotAuthenticated):
        actor_from_api_key(tenant.engine, prefix + "_not-the-secret")


def test_a_revoked_key_stops_working_at_once_and_cannot_be_revoked_twice(tenant, client):
    _, token = tenant.user("owner")
    assert actor_from_api_key(tenant.engine, token).tenant_id == tenant.tenant_id  # used (and remembered) first
    assert Api(client, {"Authorization": f"Bearer {token}"}).get("/api/v1/inventory/warehouses").status_code == 200
    _revoke(tenant, token)
    with pytest.raises(NotAuthenticated):
        actor_from_api_key(tenant.engine, token)
    response = Api(client, {"Authorization": f"Bearer {token}"}).get("/api/v1/inventory/warehouses")
    assert response.status_code == 401
    with pytest.raises(NotFound) as info:
        _revoke(tenant, token)
    assert info.value.field == "key_id"


def test_revoking_one_key_leaves_the_others_working(tenant):
    user_id, first = tenant.user("owner")
    with tenant.uow() as uow:
        second = create_api_key(uow, user_id=user_id, name="second")
    _revoke(tenant, first)
    assert actor_from_api_key(tenant.engine, second).user_id == user_id


def test_another_tenant_can_neither_revoke_nor_mint_keys_here(tenant, engine):
    user_id, token = tenant.user("owner")
    other = new_tenant(engine)
    key_id = _key_row(tenant, token).id
    before = tenant_rows(tenant)
    with pytest.raises(NotFound):
        perform(other.engine, other.actor, revoke_api_key, key_id)
    with pytest.raises(NotFound) as info:
        perform(other.engine, other.actor, create_api_key, user_id=user_id, name="stolen")
    assert info.value.field == "user_id"
    assert tenant_rows(tenant) == before
    assert actor_from_api_key(tenant.engine, token).tenant_id == tenant.tenant_id


def test_a_user_manages_their_own_keys_but_not_someone_elses(tenant):
    owner_id, owner_key = tenant.user("owner")
    clerk_id, clerk_key = tenant.user("read_only")
    clerk = actor_from_api_key(tenant.engine, clerk_key)
    before = tenant_rows(tenant)
    with pytest.raises(PermissionDenied):  # a key carries its user's rights: this would be an owner's key
        perform(tenant.engine, clerk, create_api_key, user_id=owner_id, name="mine now")
    with pytest.raises(PermissionDenied):
        perform(tenant.engine, clerk, revoke_api_key, _key_row(tenant, owner_key).id)
    assert tenant_rows(tenant) == before

    own = perform(tenant.engine, clerk, create_api_key, user_id=clerk_id, name="laptop")
    assert actor_from_api_key(tenant.engine, own).user_id == clerk_id
    _revoke(tenant, own, actor=clerk)
    owner = actor_from_api_key(tenant.engine, owner_key)
    _revoke(tenant, clerk_key, actor=owner)  # users.manage may revoke anyone's
    with pytest.raises(NotAuthenticated):
        actor_from_api_key(tenant.engine, clerk_key)


def test_a_key_for_an_unknown_user_is_refused(tenant):
    with pytest.raises(NotFound) as info:
        perform(tenant.engine, tenant.actor, create_api_key, user_id=987_654_321, name="nobody")
    assert info.value.field == "user_id"

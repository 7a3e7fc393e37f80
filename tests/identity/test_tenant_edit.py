"""A tenant's page in the admin (/admin/tenants/{id}): an owner renames their own tenant or one created from it,
audited with before and after; an administrator (no tenants.manage) is refused on the page, the form post and the
service alike; another owner's tenant is unknown (404). Nothing changes on a refusal."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from stockyard.core.audit import AuditEntry
from stockyard.core.errors import NotFound, PermissionDenied
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity import tenants_admin
from stockyard.identity.models import Tenant
from stockyard.identity.services import actor_for_user
from tests.conftest import TenantCtx, new_tenant
from tests.identity.test_tenants_admin import PASSWORD, Browser, new_slug, signed_in


def name_of(engine, tenant_id: int) -> str:  # noqa: ANN001
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.conn.execute(select(Tenant.name).where(Tenant.id == tenant_id)).scalar_one()


def child_of(ctx: TenantCtx) -> int:
    return perform(ctx.engine, ctx.actor, tenants_admin.create_tenant_with_owner, tenants_admin.CreateTenant(
        slug=new_slug(), name="North Trading", owner_name="Nora", owner_email="nora@example.com",
        owner_password=PASSWORD))


def rename(browser: Browser, tenant_id: int, name: str):  # noqa: ANN201
    url = f"/admin/tenants/{tenant_id}"
    return browser.client.post(url, data={"name": name, "csrf_token": browser.csrf("/admin/tenants")},
                               follow_redirects=False)


def test_an_owner_renames_a_tenant_they_created_and_the_audit_log_has_it(tenant: TenantCtx,
                                                                         client: TestClient) -> None:
    child = child_of(tenant)
    owner = signed_in(tenant, client, "owner")
    page = owner.client.get(f"/admin/tenants/{child}")
    assert page.status_code == 200 and "North Trading" in page.text and "Staff users" in page.text
    assert f'href="/admin/tenants/{child}"' in owner.client.get("/admin/tenants").text

    response = rename(owner, child, "  North Trading AB ")
    assert response.status_code == 303 and response.headers["location"] == f"/admin/tenants/{child}"
    assert name_of(tenant.engine, child) == "North Trading AB"
    assert "North Trading AB" in owner.client.get("/admin/tenants").text
    with tenant.uow() as uow:
        entry = uow.execute(select(AuditEntry).where(AuditEntry.action == "tenant.renamed.v1")).scalar_one()
    assert (entry.object_type, entry.object_id) == ("tenant", str(child))
    assert entry.before == {"name": "North Trading"} and entry.after == {"name": "North Trading AB"}
    assert entry.actor_name == "owner user"


def test_an_owner_renames_their_own_tenant(tenant: TenantCtx, client: TestClient) -> None:
    owner = signed_in(tenant, client, "owner")
    assert rename(owner, tenant.tenant_id, "Renamed Co.").status_code == 303
    assert name_of(tenant.engine, tenant.tenant_id) == "Renamed Co."


def test_an_empty_name_is_shown_again_with_the_message_and_changes_nothing(tenant: TenantCtx,
                                                                           client: TestClient) -> None:
    child = child_of(tenant)
    owner = signed_in(tenant, client, "owner")
    response = rename(owner, child, "   ")
    assert response.status_code == 422 and 'id="name-error">Field required' in response.text
    assert name_of(tenant.engine, child) == "North Trading"


def test_an_administrator_is_refused_on_the_page_the_post_and_the_service(tenant: TenantCtx,
                                                                          client: TestClient) -> None:
    child = child_of(tenant)
    admin = signed_in(tenant, client, "administrator")
    assert admin.client.get(f"/admin/tenants/{child}").status_code == 403
    assert rename(admin, child, "Taken over").status_code == 403
    user_id, _ = tenant.user("administrator")
    with pytest.raises(PermissionDenied):
        perform(tenant.engine, actor_for_user(tenant.engine, user_id), tenants_admin.rename_tenant, child,
                tenants_admin.RenameTenant(name="Taken over"))
    assert name_of(tenant.engine, child) == "North Trading"
    with tenant.uow() as uow:
        assert uow.execute(select(AuditEntry).where(AuditEntry.action == "tenant.renamed.v1")).first() is None


def test_another_owners_tenant_is_unknown(tenant: TenantCtx, client: TestClient) -> None:
    stranger = new_tenant(tenant.engine)
    owner = signed_in(tenant, client, "owner")
    assert owner.client.get(f"/admin/tenants/{stranger.tenant_id}").status_code == 404
    assert rename(owner, stranger.tenant_id, "Mine now").status_code == 404
    with pytest.raises(NotFound):
        perform(tenant.engine, tenant.actor, tenants_admin.rename_tenant, stranger.tenant_id,
                tenants_admin.RenameTenant(name="Mine now"))
    assert name_of(tenant.engine, stranger.tenant_id) == f"Tenant {stranger.slug}"

"""An owner suspends a tenant created from theirs: its people are signed out and cannot sign in, its API keys are
refused, its shop closes and its connected sites' orders are refused; reactivating it gives all of that back. An owner
cannot suspend their own tenant or one they did not create, and bad input changes nothing."""

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from stockyard.core.actor import Actor, system_actor
from stockyard.core.audit import AuditEntry
from stockyard.core.errors import Conflict, NotFound, PermissionDenied
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity import tenants_admin
from stockyard.identity.models import Tenant
from tests.conftest import TenantCtx, new_tenant
from tests.identity.test_tenants_admin import PASSWORD, Browser, signed_in
from tests.inventory.support import tenant_rows
from tests.sales.shop_setup import build_shop

CHILD_OWNER = "nora@north.example"


def child_of(parent: TenantCtx) -> TenantCtx:
    slug = f"c-{uuid.uuid4().hex[:10]}"
    child_id = perform(parent.engine, parent.actor, tenants_admin.create_tenant_with_owner, tenants_admin.CreateTenant(
        slug=slug, name="North Trading", owner_name="Nora North", owner_email=CHILD_OWNER, owner_password=PASSWORD))
    return TenantCtx(parent.engine, child_id, slug, system_actor(child_id, "test setup"))


def status_of(engine, tenant_id: int) -> tuple[bool, str]:  # noqa: ANN001
    with UnitOfWork(engine, readonly=True) as uow:
        row = uow.conn.execute(select(Tenant.active, Tenant.suspended_reason).where(Tenant.id == tenant_id)).one()
    return bool(row.active), row.suspended_reason


def test_a_suspended_tenant_is_shut_out_everywhere_until_it_is_reactivated(tenant: TenantCtx,
                                                                           client: TestClient) -> None:
    child = child_of(tenant)
    shop = build_shop(child)
    nora = Browser(TestClient(client.app))
    assert nora.sign_in(child.slug, CHILD_OWNER) == 303
    _, key = child.user("owner")
    api = {"Authorization": f"Bearer {key}"}
    visitor = TestClient(client.app, base_url=f"http://{shop.domain}")
    assert nora.client.get("/admin/users").status_code == 200
    assert client.get("/api/v1/inventory/warehouses", headers=api).status_code == 200
    assert visitor.get("/").status_code == 200

    owner = signed_in(tenant, client, "owner")
    page = f"/admin/tenants/{child.tenant_id}"
    done = owner.client.post(f"{page}/suspend", data={"reason": "  unpaid invoices since March ",
                                                      "csrf_token": owner.csrf(page)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == page
    shown = owner.client.get(page).text
    assert "Tenant suspended" in shown and "suspended: unpaid invoices since March" in shown
    assert "Reactivate tenant" in shown
    assert re.search(r"<title>([^<]*)</title>", shown)[1].startswith(f"Tenant {child.slug}")
    assert status_of(tenant.engine, child.tenant_id) == (False, "unpaid invoices since March")
    client.app.state.shop_resolver = None  # shops close within the resolver's few seconds of caching

    # The signed-in session is over, a new sign-in is told why, the API key and the shop answer no one.
    assert nora.client.get("/admin/users", follow_redirects=False).status_code in (302, 303)
    again = nora.client.post("/login", data={"tenant": child.slug, "email": CHILD_OWNER, "password": PASSWORD,
                                             "csrf_token": nora.csrf("/login"), "next": "/admin"},
                             follow_redirects=False)
    assert again.status_code == 401 and "suspended" in again.text
    refused = client.get("/api/v1/inventory/warehouses", headers=api)
    assert refused.status_code == 401 and "suspended" in refused.text
    assert visitor.get("/").status_code == 404
    # The wrong password still says only that: the suspension is told to people who know the password.
    wrong = Browser(TestClient(client.app))
    response = wrong.client.post("/login", data={"tenant": child.slug, "email": CHILD_OWNER, "password": "nope nope",
                                                 "csrf_token": wrong.csrf("/login"), "next": "/admin"})
    assert "suspended" not in response.text

    with UnitOfWork(tenant.engine, readonly=True) as uow:
        [entry] = uow.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant.tenant_id,
                                                               AuditEntry.action == "tenant.suspended.v1")).all()
    assert entry.object_id == str(child.tenant_id) and entry.after == {"active": False}

    back = owner.client.post(f"{page}/reactivate", data={"csrf_token": owner.csrf(page)}, follow_redirects=False)
    assert back.status_code == 303
    assert "Tenant reactivated" in owner.client.get(page).text
    client.app.state.shop_resolver = None
    assert nora.sign_in(child.slug, CHILD_OWNER) == 303
    assert client.get("/api/v1/inventory/warehouses", headers=api).status_code == 200
    assert visitor.get("/").status_code == 200
    assert status_of(tenant.engine, child.tenant_id) == (True, "")


def test_the_suspend_form_names_a_missing_reason_and_changes_nothing(tenant: TenantCtx, client: TestClient) -> None:
    child = child_of(tenant)
    owner = signed_in(tenant, client, "owner")
    page = f"/admin/tenants/{child.tenant_id}"
    response = owner.client.post(f"{page}/suspend", data={"reason": " ", "csrf_token": owner.csrf(page)})
    assert response.status_code == 422
    assert re.search(r'id="reason-error">[^<]+<', response.text)
    assert status_of(tenant.engine, child.tenant_id) == (True, "")


def test_what_cannot_be_suspended_is_refused_and_changes_nothing(tenant: TenantCtx) -> None:
    child, stranger = child_of(tenant), new_tenant(tenant.engine)
    e, a = tenant.engine, tenant.actor
    reason = tenants_admin.SuspendTenant(reason="checking the books")
    before = tenant_rows(tenant)
    with pytest.raises(Conflict, match="your own tenant"):
        perform(e, a, tenants_admin.suspend_tenant, tenant.tenant_id, reason)
    with pytest.raises(NotFound):
        perform(e, a, tenants_admin.suspend_tenant, stranger.tenant_id, reason)
    with pytest.raises(Conflict, match="not suspended"):
        perform(e, a, tenants_admin.reactivate_tenant, child.tenant_id)
    manager = Actor(tenant.tenant_id, None, "manager", frozenset({"orders.view"}))
    with pytest.raises(PermissionDenied):
        perform(e, manager, tenants_admin.suspend_tenant, child.tenant_id, reason)
    with pytest.raises(ValidationError):
        tenants_admin.SuspendTenant(reason="x")
    assert tenant_rows(tenant) == before
    assert status_of(e, child.tenant_id) == (True, "") and status_of(e, stranger.tenant_id) == (True, "")

    perform(e, a, tenants_admin.suspend_tenant, child.tenant_id, reason)
    with pytest.raises(Conflict, match="suspended already"):
        perform(e, a, tenants_admin.suspend_tenant, child.tenant_id, reason)

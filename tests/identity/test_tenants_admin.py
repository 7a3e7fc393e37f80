"""The tenants admin page: owners list their tenant and the ones created from it, and create a tenant together
with its first owner, who can then sign in to it and sees none of the creating tenant's data."""

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.core.audit import AuditEntry
from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity import tenants_admin
from stockyard.identity.models import Tenant, User
from stockyard.identity.services import create_user
from tests.conftest import TenantCtx, new_tenant
from tests.factories import build_world

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def csrf(self, url: str) -> str:
        return CSRF.search(self.client.get(url).text)[1]

    def sign_in(self, slug: str, email: str, password: str = PASSWORD) -> int:
        response = self.client.post("/login", data={"tenant": slug, "email": email, "password": password,
                                                    "csrf_token": self.csrf("/login"), "next": "/admin"},
                                    follow_redirects=False)
        return response.status_code


def signed_in(ctx: TenantCtx, client: TestClient, role: str) -> Browser:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    with ctx.uow() as uow:
        create_user(uow, email=email, name=f"{role} user", password=PASSWORD, role=role)
    browser = Browser(TestClient(client.app))
    assert browser.sign_in(ctx.slug, email) == 303
    return browser


def tenant_rows(html: str) -> list[tuple[str, str]]:
    """(slug, name) of each row of the tenants table."""
    return re.findall(r'<tr>\s*<td class="path">([^<]+)</td>\s*<td>([^<]+)</td>', html)


def tenant_count(engine) -> int:  # noqa: ANN001
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.conn.execute(select(func.count()).select_from(Tenant)).scalar_one()


def new_slug() -> str:
    return f"n-{uuid.uuid4().hex[:10]}"


def create_form(slug: str, **changes: str) -> dict[str, str]:
    return {"slug": slug, "name": "North Trading", "owner_name": "Nora North", "owner_email": "nora@north.example",
            "owner_password": "a long secret", **changes}


def test_an_owner_creates_a_tenant_whose_owner_can_sign_in(tenant: TenantCtx, client: TestClient) -> None:
    build_world(tenant)
    owner = signed_in(tenant, client, "owner")
    slug = new_slug()
    token = owner.csrf("/admin/tenants/new")
    response = owner.client.post("/admin/tenants/new", data={**create_form(f"  {slug.upper()} "),
                                                             "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/tenants"
    listing = owner.client.get("/admin/tenants")
    assert f"Tenant &#39;{slug}&#39; created" in listing.text
    assert sorted(tenant_rows(listing.text)) == sorted([(tenant.slug, f"Tenant {tenant.slug}"),
                                                        (slug, "North Trading")])

    with UnitOfWork(tenant.engine, readonly=True) as uow:
        made = uow.conn.execute(select(Tenant).where(Tenant.slug == slug)).one()
        users = uow.conn.execute(select(User.email, User.name, User.role).where(User.tenant_id == made.id)).all()
    assert made.parent_id == tenant.tenant_id
    assert [tuple(u) for u in users] == [("nora@north.example", "Nora North", "owner")]
    # The creation is in the creating tenant's audit log.
    with UnitOfWork(tenant.engine, readonly=True) as uow:
        [entry] = uow.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant.tenant_id,
                                                               AuditEntry.action == "tenant.created.v1")).all()
    assert (entry.object_type, entry.object_id, entry.actor_name) == ("tenant", str(made.id), "owner user")
    assert entry.after["slug"] == slug and entry.after["owner_email"] == "nora@north.example"

    # The new owner signs in to the new tenant, which is empty and lists only itself.
    nora = Browser(TestClient(client.app))
    assert nora.sign_in(slug, "nora@north.example", "a long secret") == 303
    assert nora.client.get("/erp/stock/SKU-001").status_code == 404  # the creating tenant's SKU
    assert owner.client.get("/erp/stock/SKU-001").status_code == 200
    assert tenant_rows(nora.client.get("/admin/tenants").text) == [(slug, "North Trading")]


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"slug": "no spaces"}, "slug", "lowercase letters, digits and single dashes"),
    ({"slug": ""}, "slug", "Field required"),
    ({"name": "   "}, "name", "Field required"),
    ({"name": "N" * 201}, "name", "at most 200 characters"),
    ({"owner_email": "nora-at-north"}, "owner_email", "not an e-mail address"),
    ({"owner_password": "short"}, "owner_password", "at least 8 characters"),
    ({"owner_name": ""}, "owner_name", "Field required"),
])
def test_bad_input_is_named_and_creates_nothing(tenant: TenantCtx, client: TestClient, changes: dict[str, str],
                                                field: str, message: str) -> None:
    owner = signed_in(tenant, client, "owner")
    before = tenant_count(tenant.engine)
    token = owner.csrf("/admin/tenants/new")
    response = owner.client.post("/admin/tenants/new", data={**create_form(new_slug()), **changes,
                                                                 "csrf_token": token})
    assert response.status_code == 422
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', response.text)
    assert error and message in error[1], response.text[-3000:]
    assert 'value="a long secret"' not in response.text  # a password is never sent back
    assert tenant_count(tenant.engine) == before


def test_a_taken_slug_is_a_conflict_and_creates_nothing(tenant: TenantCtx, client: TestClient) -> None:
    owner = signed_in(tenant, client, "owner")
    other = new_tenant(tenant.engine)
    before = tenant_count(tenant.engine)
    token = owner.csrf("/admin/tenants/new")
    response = owner.client.post("/admin/tenants/new", data={**create_form(other.slug), "csrf_token": token})
    assert response.status_code == 409
    assert f"the tenant slug &#39;{other.slug}&#39; is taken" in response.text
    assert tenant_count(tenant.engine) == before


def test_a_refused_owner_leaves_no_tenant_behind(tenant: TenantCtx) -> None:
    """The owner is made by identity's create_user after the tenant row is inserted, in the same transaction: when
    create_user refuses (the command is built unchecked here, so that its own check is what refuses), the tenant
    row goes too."""
    slug = new_slug()
    before = tenant_count(tenant.engine)
    unchecked = tenants_admin.CreateTenant.model_construct(**create_form(slug, owner_email="nora-at-north"))
    with pytest.raises(ValidationFailed) as refused:
        perform(tenant.engine, tenant.actor, tenants_admin.create_tenant_with_owner, unchecked)
    assert refused.value.field == "email"
    assert tenant_count(tenant.engine) == before
    with UnitOfWork(tenant.engine, readonly=True) as uow:
        assert uow.conn.execute(select(Tenant.id).where(Tenant.slug == slug)).first() is None


def test_the_list_searches_sorts_and_shows_only_related_tenants(tenant: TenantCtx, client: TestClient) -> None:
    stranger = new_tenant(tenant.engine)
    owner = signed_in(tenant, client, "owner")
    slugs = [f"zz-{uuid.uuid4().hex[:6]}", f"aa-{uuid.uuid4().hex[:6]}"]
    for slug, name in zip(slugs, ["Zebra Parts", "Aardvark Spares"], strict=True):
        token = owner.csrf("/admin/tenants/new")
        response = owner.client.post("/admin/tenants/new", data={
            **create_form(slug, name=name, owner_email=f"o@{slug}.example"), "csrf_token": token},
            follow_redirects=False)
        assert response.status_code == 303, response.text[-2000:]
    everything = owner.client.get("/admin/tenants").text
    assert stranger.slug not in everything
    assert [name for _, name in tenant_rows(everything)] == sorted(["Zebra Parts", "Aardvark Spares",
                                                                    f"Tenant {tenant.slug}"])
    assert [s for s, _ in tenant_rows(owner.client.get("/admin/tenants", params={"sort": "slug"}).text)] == sorted(
        [*slugs, tenant.slug])
    assert tenant_rows(owner.client.get("/admin/tenants", params={"sort": "newest"}).text)[0] == (
        slugs[1], "Aardvark Spares")
    assert tenant_rows(owner.client.get("/admin/tenants", params={"q": "zebra"}).text) == [(slugs[0], "Zebra Parts")]
    assert tenant_rows(owner.client.get("/admin/tenants", params={"q": stranger.slug}).text) == []


@pytest.mark.parametrize("role", ["administrator", "warehouse_manager", "accountant", "read_only"])
def test_only_owners_manage_tenants(tenant: TenantCtx, client: TestClient, role: str) -> None:
    browser = signed_in(tenant, client, role)
    before = tenant_count(tenant.engine)
    assert browser.client.get("/admin/tenants").status_code == 403
    assert browser.client.get("/admin/tenants/new").status_code == 403
    token = browser.csrf("/admin")
    response = browser.client.post("/admin/tenants/new", data={**create_form(new_slug()), "csrf_token": token})
    assert response.status_code == 403
    assert tenant_count(tenant.engine) == before


def test_a_post_without_the_csrf_token_is_refused(tenant: TenantCtx, client: TestClient) -> None:
    owner = signed_in(tenant, client, "owner")
    before = tenant_count(tenant.engine)
    response = owner.client.post("/admin/tenants/new", data=create_form(new_slug()))
    assert response.status_code == 403
    assert tenant_count(tenant.engine) == before

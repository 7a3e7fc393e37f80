"""API keys beyond the permission matrix: a key narrowed to some scopes works on the endpoints they cover and gets
403 everywhere else (a scoped key cannot mint a wider one either); a revoked key stops at its very next request,
whether it is revoked on the admin page or through the API, while the user's other keys go on working."""

from pathlib import Path

from fastapi.testclient import TestClient

from stockyard.core.uow import read
from stockyard.identity.services import create_api_key
from stockyard.identity.users import list_api_keys
from tests.conftest import TenantCtx
from tests.factories import build_world
from tests.identity.auth_support import browser, login, make_app, new_user, post

RECEIVE = {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1}
MOVE = {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 1}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_narrowed_to_some_scopes_gets_403_outside_them(tenant: TenantCtx, client: TestClient) -> None:
    build_world(tenant)
    _, owner_key = tenant.user("owner")
    made = client.post("/api/v1/api-keys", json={"name": "dock scanner",
                                                 "scopes": ["inventory.view", "inventory.receive"]},
                       headers=bearer(owner_key))
    assert made.status_code == 201, made.text
    assert made.json()["scopes"] == ["inventory.receive", "inventory.view"]
    scanner = bearer(made.json()["key"])

    assert client.get("/api/v1/inventory/stock", headers=scanner).status_code == 200
    assert client.get("/api/v1/inventory/warehouses", headers=scanner).status_code == 200
    assert client.post("/api/v1/inventory/receipts", json=RECEIVE, headers=scanner).status_code == 201
    out_of_scope = [
        ("POST", "/api/v1/inventory/moves", MOVE),
        ("POST", "/api/v1/inventory/reservations", {"sku": "SKU-001", "quantity": 1}),
        ("POST", "/api/v1/inventory/warehouses", {"code": "EAST", "name": "East"}),
        ("GET", "/api/v1/catalog/skus", None),
        ("POST", "/api/v1/catalog/products", {"name": "X", "skus": [{"code": "X-1"}]}),
        ("GET", "/api/v1/users", None),
        ("GET", "/api/v1/roles", None),
        ("POST", "/api/v1/roles", {"name": "mine", "permissions": ["inventory.view"]}),
    ]
    for method, url, body in out_of_scope:
        response = client.request(method, url, json=body, headers=scanner)
        assert response.status_code == 403, (method, url, response.status_code, response.text[:300])
    # The owner's own full key does all of it.
    assert client.post("/api/v1/inventory/moves", json=MOVE, headers=bearer(owner_key)).status_code == 201

    # A scoped key makes keys of its own scopes at most: by default the same, anything more is refused.
    narrower = client.post("/api/v1/api-keys", json={"name": "view only", "scopes": ["inventory.view"]},
                           headers=scanner)
    assert narrower.status_code == 201 and narrower.json()["scopes"] == ["inventory.view"]
    same = client.post("/api/v1/api-keys", json={"name": "copy"}, headers=scanner)
    assert same.status_code == 201 and same.json()["scopes"] == ["inventory.receive", "inventory.view"]
    wider = client.post("/api/v1/api-keys", json={"name": "wider", "scopes": ["inventory.view", "users.manage"]},
                        headers=scanner)
    assert wider.status_code == 403, wider.text


def test_scopes_beyond_the_users_role_or_unknown_are_refused(tenant: TenantCtx, client: TestClient) -> None:
    user_id, key = tenant.user("read_only")
    for scopes, field_text in ((["inventory.view", "inventory.receive"], "does not hold"),
                               (["inventory.teleport"], "unknown permission"), ([], "at least one")):
        response = client.post("/api/v1/api-keys", json={"name": "k", "scopes": scopes}, headers=bearer(key))
        assert response.status_code == 422, (scopes, response.text)
        assert field_text in response.text
    assert len(read(tenant.engine, tenant.actor, list_api_keys, user_id)) == 1


def test_revoking_a_key_on_the_admin_page_stops_it_at_the_next_request(tenant: TenantCtx, tmp_path: Path) -> None:
    build_world(tenant)
    app = make_app(tenant, tmp_path)
    api = TestClient(app)
    user_id, key = tenant.user("warehouse_manager")
    with tenant.uow() as uow:
        spare = create_api_key(uow, user_id=user_id, name="spare")
    for k in (key, spare):  # both used, so both are in the verified-key cache
        assert api.get("/api/v1/inventory/stock", headers=bearer(k)).status_code == 200

    owner = browser(app)
    _, owner_email = new_user(tenant, "owner")
    assert login(owner, tenant, owner_email).status_code == 303
    key_id = next(k.id for k in read(tenant.engine, tenant.actor, list_api_keys, user_id)
                  if k.prefix == key.split("_")[1])
    listing = owner.get(f"/admin/api-keys?user_id={user_id}")
    assert f"/admin/api-keys/{key_id}/revoke" in listing.text
    assert key not in listing.text and key.split("_")[2] not in listing.text  # the secret is never shown again
    revoked = post(owner, f"/admin/api-keys/{key_id}/revoke", {}, "/admin/api-keys")
    assert revoked.status_code == 303, revoked.text[:300]

    refused = api.get("/api/v1/inventory/stock", headers=bearer(key))
    assert refused.status_code == 401
    assert api.post("/api/v1/inventory/receipts", json=RECEIVE, headers=bearer(key)).status_code == 401
    assert api.get("/api/v1/inventory/stock", headers=bearer(spare)).status_code == 200
    again = post(owner, f"/admin/api-keys/{key_id}/revoke", {}, "/admin/api-keys")
    assert again.status_code == 404


def test_a_user_revokes_their_own_key_through_the_api(tenant: TenantCtx, client: TestClient) -> None:
    user_id, key = tenant.user("read_only")
    made = client.post("/api/v1/api-keys", json={"name": "laptop"}, headers=bearer(key))
    assert made.status_code == 201
    other = made.json()
    assert client.get("/api/v1/inventory/warehouses", headers=bearer(other["key"])).status_code == 200
    assert client.post(f"/api/v1/api-keys/{other['id']}/revoke", headers=bearer(key)).status_code == 204
    assert client.get("/api/v1/inventory/warehouses", headers=bearer(other["key"])).status_code == 401
    listed = {k["id"]: k for k in client.get("/api/v1/api-keys", headers=bearer(key)).json()}
    assert listed[other["id"]]["revoked_at"] is not None
    # A revoked key cannot revoke anything, not even itself.
    assert client.post(f"/api/v1/api-keys/{other['id']}/revoke", headers=bearer(other["key"])).status_code == 401

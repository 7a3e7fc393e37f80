"""A user limited to some warehouses works in those only: through the API and the back-office forms alike, an
action in another warehouse is refused with 403 and changes nothing. The limit is set in the admin."""

from pathlib import Path

from fastapi.testclient import TestClient

from stockyard.identity.roles import RoleIn, create_role
from stockyard.identity.services import actor_for_user, create_api_key
from stockyard.identity.users import UserChanges, update_staff_user
from tests.conftest import TenantCtx
from tests.factories import World, build_world, receive
from tests.identity.auth_support import PASSWORD, browser, login, make_app, new_user, post
from tests.inventory.support import level, tenant_rows

NOT_BUSINESS_DATA = {"user_sessions"}


def business_rows(ctx: TenantCtx) -> dict[str, list[tuple[object, ...]]]:
    return {t: rows for t, rows in tenant_rows(ctx).items() if t not in NOT_BUSINESS_DATA}


def _limited_manager(tenant: TenantCtx, world: World, tmp_path: Path) -> tuple[int, TestClient, TestClient, str]:
    """An owner creates, on the admin form, a warehouse manager who may work in MAIN only."""
    app = make_app(tenant, tmp_path)
    owner = browser(app)
    _, owner_email = new_user(tenant, "owner")
    assert login(owner, tenant, owner_email).status_code == 303
    made = post(owner, "/admin/users/new", {"name": "Mia Main", "email": "mia@example.com", "role": "warehouse_manager",
                                            "password": PASSWORD, "warehouse_ids": [str(world.main)]},  # type: ignore[dict-item]
                "/admin/users/new")
    assert made.status_code == 303, made.text[:500]
    user_id = int(made.headers["location"].rsplit("/", 1)[1])
    assert actor_for_user(tenant.engine, user_id).warehouse_ids == {world.main}
    with tenant.uow() as uow:
        key = create_api_key(uow, user_id=user_id, name="mia")
    mia = browser(app)
    assert login(mia, tenant, "mia@example.com").status_code == 303
    return user_id, TestClient(app), mia, key


def test_a_user_limited_to_a_warehouse_cannot_act_in_another(tenant: TenantCtx, tmp_path: Path) -> None:
    world = build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    receive(tenant, "SKU-002", "NORTH/B/01", 10)
    _, api, mia, key = _limited_manager(tenant, world, tmp_path)
    bearer = {"Authorization": f"Bearer {key}"}

    # In MAIN she works as any warehouse manager.
    assert api.post("/api/v1/inventory/receipts", json={"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1},
                    headers=bearer).status_code == 201
    assert post(mia, "/erp/receive", {"sku": "SKU-001", "location": "MAIN/A/02", "quantity": 1},
                "/erp/receive").status_code == 303
    assert level(tenant, "SKU-001", "MAIN/A/01")[0] == 11 and level(tenant, "SKU-001", "MAIN/A/02")[0] == 1

    before = business_rows(tenant)
    north = [
        ("/api/v1/inventory/receipts", {"sku": "SKU-002", "location": "NORTH/B/01", "quantity": 1}),
        ("/api/v1/inventory/write-offs", {"sku": "SKU-002", "location": "NORTH/B/01", "quantity": 1,
                                          "reason": "damaged"}),
        ("/api/v1/inventory/status-changes", {"sku": "SKU-002", "location": "NORTH/B/01", "quantity": 1,
                                              "from_status": "sellable", "to_status": "damaged"}),
        ("/api/v1/inventory/reservations", {"sku": "SKU-002", "quantity": 1, "warehouse": "NORTH"}),
        ("/api/v1/inventory/counts", {"warehouse": "NORTH", "locations": ["NORTH/B/01"]}),
        ("/api/v1/inventory/transfers", {"from_warehouse": "NORTH", "to_warehouse": "MAIN",
                                         "lines": [{"sku": "SKU-002", "from_location": "NORTH/B/01",
                                                    "quantity": 1}]}),
    ]
    for url, body in north:
        response = api.post(url, json=body, headers=bearer)
        assert response.status_code == 403, (url, response.status_code, response.text[:300])
    for url, body in [("/erp/receive", {"sku": "SKU-002", "location": "NORTH/B/01", "quantity": 1}),
                      ("/erp/write-off", {"sku": "SKU-002", "location": "NORTH/B/01", "quantity": 1,
                                          "reason": "lost"}),
                      ("/erp/move", {"sku": "SKU-002", "from_location": "NORTH/B/01", "to_location": "NORTH/B/01",
                                     "quantity": 1})]:
        response = post(mia, url, body, "/erp")
        assert response.status_code == 403, (url, response.status_code, response.text[:300])
    assert business_rows(tenant) == before, "a refused action in another warehouse changed data"
    assert level(tenant, "SKU-002", "NORTH/B/01")[0] == 10


def test_a_limited_user_manager_cannot_widen_their_own_warehouses(tenant: TenantCtx, tmp_path: Path) -> None:
    """Someone limited to MAIN who may manage users can neither give themselves every warehouse nor NORTH."""
    world = build_world(tenant)
    with tenant.uow() as uow:
        create_role(uow, RoleIn(name="site_admin", permissions=["users.manage", "inventory.view"]))
    user_id, email = new_user(tenant, "read_only")
    with tenant.uow() as uow:
        update_staff_user(uow, user_id, UserChanges(name="Sam Site", role="site_admin", warehouse_ids=[world.main]))
    app = make_app(tenant, tmp_path)
    sam = browser(app)
    assert login(sam, tenant, email).status_code == 303
    url = f"/admin/users/{user_id}"
    for wanted in ([], [str(world.north)], [str(world.main), str(world.north)]):
        response = post(sam, url, {"name": "Sam Site", "role": "site_admin", "active": "1",
                                   "warehouse_ids": wanted}, url)  # type: ignore[dict-item]
        assert response.status_code == 403, (wanted, response.status_code)
    assert actor_for_user(tenant.engine, user_id).warehouse_ids == {world.main}

"""The permission matrix: every built-in role against every mutating API endpoint and form post, from ONE table.

Each row of ACTIONS is one mutating request and the permissions it needs. Every row is run for every built-in role
with a real user: through its API key ("api") or signed in through the login form ("form", with the session's CSRF
token). A role holding all of the row's permissions must succeed (2xx for the API, a 303 redirect for a form);
any other role must get 403, and then not one row of the tenant may have changed.

To cover a new endpoint, add a row: its URL and body may use the {placeholders} of `Scene` (ids made fresh for each
test), and `needs` names the permissions (empty: any signed-in user may do it).
"""

import re
import uuid
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from stockyard.core.uow import perform, read
from stockyard.fulfilment import config as shipping_config
from stockyard.identity import roles
from stockyard.identity.domain import (
    API_KEYS_MANAGE,
    CATALOG_EDIT,
    FULFILMENT_SHIP,
    INVENTORY_ADJUST,
    INVENTORY_CONFIGURE,
    INVENTORY_COUNT,
    INVENTORY_COUNT_APPROVE,
    INVENTORY_MOVE,
    INVENTORY_RECEIVE,
    INVENTORY_RESERVE,
    INVENTORY_TRANSFER,
    ORDERS_CANCEL,
    ORDERS_MANAGE,
    ORDERS_PLACE,
    ORDERS_VIEW,
    ROLES,
    ROLES_MANAGE,
    USERS_MANAGE,
)
from stockyard.identity.users import list_api_keys, set_user_active
from stockyard.inventory import counts, reservations, transfers
from stockyard.inventory.queries import transfer_detail
from tests.conftest import TenantCtx
from tests.factories import build_world, receive
from tests.inventory.support import tenant_rows
from tests.sales.order_fixtures import commerce_on, order_in_state

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
INV = "/api/v1/inventory"
# Server-side session rows change on every request (last seen); they are not business data.
NOT_BUSINESS_DATA = {"user_sessions"}


@dataclass(frozen=True)
class Action:
    name: str
    via: Literal["api", "form"]
    url: str
    needs: frozenset[str]
    body: dict[str, Any] | None = None
    method: str = "POST"
    # A form that answers with a page instead of a redirect (the new API key is shown once, never redirected to).
    success: int | None = None


def api(name: str, url: str, needs: set[str], body: dict[str, Any] | None = None, method: str = "POST") -> Action:
    return Action(name, "api", url, frozenset(needs), body, method)


def form(name: str, url: str, needs: set[str], body: dict[str, Any] | None = None) -> Action:
    return Action(name, "form", url, frozenset(needs), body)


SKU1_AT_A01 = {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1}

ACTIONS: list[Action] = [
    # ---- inventory JSON API ----
    api("create warehouse", f"{INV}/warehouses", {INVENTORY_CONFIGURE}, {"code": "EAST", "name": "East"}),
    api("update warehouse", f"{INV}/warehouses/{{warehouse}}", {INVENTORY_CONFIGURE},
        {"name": "Main hall", "country": "DE", "postcode": "20095", "handling_days": 2}, method="PUT"),
    api("create location", f"{INV}/locations", {INVENTORY_CONFIGURE},
        {"warehouse": "MAIN", "parent": "MAIN/A", "code": "09", "kind": "bin", "type": "storage"}),
    api("receive stock", f"{INV}/receipts", {INVENTORY_RECEIVE}, SKU1_AT_A01),
    api("move stock", f"{INV}/moves", {INVENTORY_MOVE},
        {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 1}),
    api("move stock in a batch", f"{INV}/moves/batch", {INVENTORY_MOVE},
        {"moves": [{"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 1}]}),
    api("write off", f"{INV}/write-offs", {INVENTORY_ADJUST}, {**SKU1_AT_A01, "reason": "damaged"}),
    api("change status", f"{INV}/status-changes", {INVENTORY_ADJUST},
        {**SKU1_AT_A01, "from_status": "sellable", "to_status": "damaged"}),
    api("dispatch transfer", f"{INV}/transfers", {INVENTORY_TRANSFER},
        {"from_warehouse": "MAIN", "to_warehouse": "NORTH",
         "lines": [{"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 1}]}),
    api("receive transfer", f"{INV}/transfers/{{transfer}}/receipts", {INVENTORY_TRANSFER},
        {"lines": [{"line_id": "{transfer_line}", "quantity": 1, "to_location": "NORTH/B/01"}]}),
    api("reserve", f"{INV}/reservations", {INVENTORY_RESERVE}, {"sku": "SKU-002", "quantity": 1}),
    api("release reservation", f"{INV}/reservations/{{reservation}}/release", {INVENTORY_RESERVE}),
    api("consume reservation", f"{INV}/reservations/{{reservation}}/consume", {INVENTORY_RESERVE, INVENTORY_MOVE},
        {"document_type": "shipment", "document_id": "S1"}),
    api("open count", f"{INV}/counts", {INVENTORY_COUNT}, {"warehouse": "MAIN", "locations": ["MAIN/A/02"]}),
    api("record count", f"{INV}/counts/{{count}}/lines", {INVENTORY_COUNT},
        {"location": "MAIN/A/01", "sku": "SKU-001", "counted": 19}),
    api("approve count", f"{INV}/counts/{{count}}/approve", {INVENTORY_COUNT_APPROVE}),
    api("cancel count", f"{INV}/counts/{{count}}/cancel", {INVENTORY_COUNT_APPROVE}),
    api("set min-stock rule", f"{INV}/min-stock-rules", {INVENTORY_CONFIGURE},
        {"sku": "SKU-001", "warehouse": "MAIN", "minimum": 5}, method="PUT"),
    # ---- back-office forms ----
    form("receive (form)", "/erp/receive", {INVENTORY_RECEIVE}, SKU1_AT_A01),
    form("create warehouse (form)", "/erp/warehouses/new", {INVENTORY_CONFIGURE},
         {"code": "EAST", "name": "East", "country": "AT", "handling_days": "2"}),
    form("edit warehouse (form)", "/erp/warehouses/{warehouse}/edit", {INVENTORY_CONFIGURE},
         {"name": "Main hall", "country": "DE", "postcode": "20095", "handling_days": "2"}),
    form("move (form)", "/erp/move", {INVENTORY_MOVE},
         {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 1}),
    form("write off (form)", "/erp/write-off", {INVENTORY_ADJUST}, {**SKU1_AT_A01, "reason": "lost"}),
    form("change status (form)", "/erp/status", {INVENTORY_ADJUST},
         {**SKU1_AT_A01, "from_status": "sellable", "to_status": "quarantine"}),
    form("dispatch transfer (form)", "/erp/transfers/new", {INVENTORY_TRANSFER},
         {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines.0.sku": "SKU-001",
          "lines.0.from_location": "MAIN/A/01", "lines.0.quantity": 1}),
    form("receive transfer (form)", "/erp/transfers/{transfer}/receive", {INVENTORY_TRANSFER},
         {"line_id": "{transfer_line}", "quantity": 1, "to_location": "NORTH/B/01"}),
    form("open count (form)", "/erp/counts", {INVENTORY_COUNT}, {"warehouse": "MAIN", "locations": "MAIN/A/02"}),
    form("record count (form)", "/erp/counts/{count}/lines", {INVENTORY_COUNT},
         {"location": "MAIN/A/01", "sku": "SKU-001", "counted": 19}),
    form("approve count (form)", "/erp/counts/{count}/approve", {INVENTORY_COUNT_APPROVE}),
    form("cancel count (form)", "/erp/counts/{count}/cancel", {INVENTORY_COUNT_APPROVE}),
    form("release reservation (form)", "/erp/reservations/{reservation}/release", {INVENTORY_RESERVE}),
    # ---- catalog JSON API ----
    api("create product", "/api/v1/catalog/products", {CATALOG_EDIT},
        {"name": "Matrix part", "brand": "Acme", "category": "Parts", "skus": [{"code": "MX-{uid}"}]}),
    # ---- users, roles and API keys: admin forms ----
    form("create user (form)", "/admin/users/new", {USERS_MANAGE},
         {"name": "New Person", "email": "new-{uid}@example.com", "role": "read_only", "password": PASSWORD}),
    form("edit user (form)", "/admin/users/{other_user}", {USERS_MANAGE},
         {"name": "Renamed", "role": "sales", "active": "1"}),
    form("deactivate user (form)", "/admin/users/{other_user}/deactivate", {USERS_MANAGE}),
    form("reactivate user (form)", "/admin/users/{inactive_user}/reactivate", {USERS_MANAGE}),
    form("create role (form)", "/admin/roles/new", {ROLES_MANAGE},
         {"name": "counter", "description": "counts only", "permissions": "inventory.count"}),
    form("edit role (form)", "/admin/roles/{role}", {ROLES_MANAGE},
         {"name": "helper", "permissions": "inventory.view"}),
    form("delete role (form)", "/admin/roles/{role}/delete", {ROLES_MANAGE}),
    Action("create own API key (form)", "form", "/admin/api-keys", frozenset(),
           {"name": "mine", "scopes": "inventory.view"}, success=201),
    form("revoke someone else's key (form)", "/admin/api-keys/{other_key}/revoke", {API_KEYS_MANAGE}),
    # ---- users, roles and API keys: JSON API ----
    api("create own API key", "/api/v1/api-keys", set(), {"name": "mine"}),
    api("create a key for someone else", "/api/v1/api-keys", {API_KEYS_MANAGE},
        {"name": "theirs", "user_id": "{other_user}"}),
    api("revoke someone else's key", "/api/v1/api-keys/{other_key}/revoke", {API_KEYS_MANAGE}),
    api("create user", "/api/v1/users", {USERS_MANAGE},
        {"name": "Api Person", "email": "api-{uid}@example.com", "role": "read_only", "password": PASSWORD}),
    api("edit user", "/api/v1/users/{other_user}", {USERS_MANAGE},
        {"name": "Renamed", "role": "sales", "active": True}, method="PUT"),
    api("create role", "/api/v1/roles", {ROLES_MANAGE}, {"name": "counter", "permissions": ["inventory.count"]}),
    api("edit role", "/api/v1/roles/{role}", {ROLES_MANAGE}, {"name": "helper", "permissions": ["inventory.view"]},
        method="PUT"),
    api("delete role", "/api/v1/roles/{role}", {ROLES_MANAGE}, method="DELETE"),
    # ---- shipping ----
    api("quote shipping", "/api/v1/shipping/quote", set(),
        {"address": {"country": "DE", "postcode": "10115"}, "lines": [{"sku": "SKU-001", "quantity": 1}],
         "order_value": "10", "currency": "EUR"}),
]


@dataclass(frozen=True)
class Scene:
    """What the rows refer to, made through the real services: stock in MAIN/A/01 and MAIN/A/02, a transfer in
    transit to NORTH, an open count of MAIN/A/01 with its line recorded, an active reservation, another user with
    an API key, an inactive user and a custom role nobody holds."""

    transfer: int
    transfer_line: int
    count: int
    reservation: int
    other_user: int
    other_key: int
    inactive_user: int
    role: int
    uid: str
    warehouse: str = "MAIN"  # by code: the warehouse routes take an id or a code


def build_scene(ctx: TenantCtx) -> Scene:
    build_world(ctx)
    receive(ctx, "SKU-001", "MAIN/A/01", 20)
    receive(ctx, "SKU-002", "MAIN/A/02", 20)
    e, a = ctx.engine, ctx.actor
    transfer = perform(e, a, transfers.dispatch_transfer, transfers.DispatchTransfer(
        from_warehouse="MAIN", to_warehouse="NORTH", lines=[{"sku": "SKU-001", "from_location": "MAIN/A/01",
                                                            "quantity": 2}]))
    line = read(e, a, transfer_detail, transfer)[1][0][0].id
    count = perform(e, a, counts.open_count, counts.OpenCount(warehouse="MAIN", locations=["MAIN/A/01"]))
    perform(e, a, counts.record_count, counts.RecordCount(count_id=count, location="MAIN/A/01", sku="SKU-001",
                                                          counted=18))
    reservation = perform(e, a, reservations.reserve_stock, reservations.ReserveStock(sku="SKU-002", quantity=2))
    other_user, other_token = ctx.user("read_only")
    inactive_user, _ = ctx.user("read_only")
    perform(e, a, set_user_active, inactive_user, False)
    role = perform(e, a, roles.create_role, roles.RoleIn(name="helper", permissions=["inventory.view"]))
    zone = perform(e, a, shipping_config.create_zone, shipping_config.ZoneIn(name="Germany", countries=["DE"]))
    perform(e, a, shipping_config.create_carrier, shipping_config.CarrierIn(code="post", name="Post"))
    method = perform(e, a, shipping_config.create_method, shipping_config.MethodIn(
        carrier="post", code="STD", name="Standard", currency="EUR"))
    perform(e, a, shipping_config.set_rate_table, method, shipping_config.SetRateTable(
        zone_id=zone, basis="weight", bands=[shipping_config.BandIn(lower=0, price=5)]))
    other_key = next(k.id for k in read(e, a, list_api_keys, other_user) if other_token.split("_")[1] == k.prefix)
    return Scene(transfer, line, count, reservation, other_user, other_key, inactive_user, role, uuid.uuid4().hex[:8])


def fill(value: Any, scene: Scene) -> Any:
    """Put the scene's ids into a URL or body; a placeholder that is the whole string becomes the id itself."""
    names = {k: str(v) for k, v in asdict(scene).items()}
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole and isinstance(getattr(scene, whole[1]), int):
            return getattr(scene, whole[1])
        return value.format(**names)
    if isinstance(value, dict):
        return {k: fill(v, scene) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, scene) for v in value]
    return value


def sign_in(client: TestClient, ctx: TenantCtx, role: str) -> str:
    """Signs a new user of `role` in through the login form; returns the session's CSRF token."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    ctx.user(role, email=email, password=PASSWORD)
    token = CSRF.search(client.get("/login").text)[1]
    response = client.post("/login", data={"tenant": ctx.slug, "email": email, "password": PASSWORD,
                                            "csrf_token": token, "next": "/admin"}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return CSRF.search(client.get("/admin").text)[1]


def send(client: TestClient, action: Action, scene: Scene, ctx: TenantCtx, role: str) -> Response:
    url, body = fill(action.url, scene), fill(action.body, scene)
    if action.via == "api":
        _, key = ctx.user(role)
        return client.request(action.method, url, json=body, headers={"Authorization": f"Bearer {key}"})
    csrf = sign_in(client, ctx, role)
    return client.post(url, data={**(body or {}), "csrf_token": csrf}, follow_redirects=False)


def business_rows(ctx: TenantCtx) -> dict[str, list[tuple[Any, ...]]]:
    return {table: rows for table, rows in tenant_rows(ctx).items() if table not in NOT_BUSINESS_DATA}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_role_against_mutating_request(action: Action, role: str, tenant: TenantCtx, client: TestClient) -> None:
    scene = build_scene(tenant)
    browser = TestClient(client.app)  # a cookie jar of its own
    if action.needs <= ROLES[role]:
        response = send(browser, action, scene, tenant, role)
        expected = {action.success} if action.success else {303} if action.via == "form" else {200, 201, 204}
        assert response.status_code in expected, f"{role} should be allowed: {response.text[:800]}"
        return
    if action.via == "form":
        sign_in_first = sign_in(browser, tenant, role)
        before = business_rows(tenant)
        url, body = fill(action.url, scene), fill(action.body, scene)
        response = browser.post(url, data={**(body or {}), "csrf_token": sign_in_first}, follow_redirects=False)
    else:
        _, key = tenant.user(role)
        before = business_rows(tenant)
        response = browser.request(action.method, fill(action.url, scene), json=fill(action.body, scene),
                                   headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403, f"{role} should be refused: {response.status_code} {response.text[:500]}"
    assert business_rows(tenant) == before, "a refused request changed data"


def test_the_table_covers_every_mutating_inventory_endpoint(client: TestClient) -> None:
    """A new POST/PUT/DELETE under /api/v1/inventory or /erp must get a row here (or the test names it)."""
    covered = {(a.method if a.via == "api" else "POST", re.sub(r"\{\w+\}", "{}", a.url)) for a in ACTIONS}
    missing = []
    for route in client.app.routes:
        path = getattr(route, "path", "")
        if not (path.startswith(INV) or path.startswith("/erp") or path.startswith("/admin/users")
                or path.startswith("/admin/roles") or path.startswith("/admin/api-keys")
                or path.startswith("/api/v1/api-keys") or path.startswith("/api/v1/users")
                or path.startswith("/api/v1/roles")):
            continue
        for method in getattr(route, "methods", set()) - {"GET", "HEAD"}:
            if (method, re.sub(r"\{\w+(:\w+)?\}", "{}", path)) not in covered:
                missing.append(f"{method} {path}")
    assert missing == []


# ---- orders: staff pages (/admin/orders) and the JSON API (/api/v1/orders) -------------------------------------
# Each row names the state its order is made in first (tests/sales/order_fixtures.order_in_state), so a permitted
# role meets an order the action applies to. Looking an order up by its number needs orders.view as well.

ORD = "/api/v1/orders"
ORDER_VIEW_MANAGE = {ORDERS_VIEW, ORDERS_MANAGE}
PHONE_ORDER = {"channel_id": "{channel}", "email": "phone-{uid}@example.com", "lines": [{"sku": "SKU-001",
                                                                                         "quantity": 1}],
               "shipping_address": {"name": "Erika Mustermann", "line1": "Hafenstraße 1", "city": "Hamburg",
                                    "postcode": "20095", "country": "DE"},
               "shipping_method_id": "{shipping_method}", "payment_method_id": "{bank_method}"}
PHONE_FORM = {"channel_id": "{channel}", "email": "phone-{uid}@example.com", "lines.0.sku": "SKU-001",
              "lines.0.quantity": "1", "shipping_address.name": "Erika Mustermann",
              "shipping_address.line1": "Hafenstraße 1", "shipping_address.city": "Hamburg",
              "shipping_address.postcode": "20095", "shipping_address.country": "DE",
              "shipping_method_id": "{shipping_method}", "payment_method_id": "{bank_method}", "step": "place"}
SHIP_NEEDS = {ORDERS_VIEW, FULFILMENT_SHIP, INVENTORY_RESERVE, INVENTORY_MOVE}
# (action, the state its order starts in; None: no order needed)
ORDER_ACTIONS: list[tuple[Action, str | None]] = [
    (api("phone order", ORD, {ORDERS_VIEW, ORDERS_PLACE, ORDERS_MANAGE, INVENTORY_RESERVE}, PHONE_ORDER), None),
    (api("hold order", f"{ORD}/{{order}}/hold", ORDER_VIEW_MANAGE, {"reason": "check"}), "allocated"),
    (api("release order", f"{ORD}/{{order}}/release", ORDER_VIEW_MANAGE), "on_hold"),
    (api("cancel order", f"{ORD}/{{order}}/cancel", {ORDERS_VIEW, ORDERS_CANCEL, INVENTORY_RESERVE},
         {"reason": "test"}), "awaiting_payment"),
    (api("mark order paid", f"{ORD}/{{order}}/mark-paid", ORDER_VIEW_MANAGE, {"reference": "R-1"}),
     "awaiting_payment"),
    (api("allocate order", f"{ORD}/{{order}}/allocate", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE}),
     "partially_allocated"),
    (api("reallocate order", f"{ORD}/{{order}}/reallocate", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE}), "allocated"),
    (api("ship order", f"{ORD}/{{order}}/ship", SHIP_NEEDS, {}), "allocated"),
    (api("deliver order", f"{ORD}/{{order}}/deliver", {ORDERS_VIEW, FULFILMENT_SHIP}), "shipped"),
    (api("invoice order", f"{ORD}/{{order}}/invoice", ORDER_VIEW_MANAGE), "delivered"),
    (api("close order", f"{ORD}/{{order}}/close", ORDER_VIEW_MANAGE), "invoiced"),
    (api("edit order lines", f"{ORD}/{{order}}/lines", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE},
         {"changes": [{"line_id": "{order_line}", "quantity": 2}]}), "awaiting_payment"),
    (form("phone order (form)", "/admin/orders/new", {ORDERS_PLACE, ORDERS_MANAGE, INVENTORY_RESERVE}, PHONE_FORM),
     None),
    (form("hold order (form)", "/admin/orders/{order}/hold", ORDER_VIEW_MANAGE, {"reason": "check"}), "allocated"),
    (form("release order (form)", "/admin/orders/{order}/release", ORDER_VIEW_MANAGE), "on_hold"),
    (form("cancel order (form)", "/admin/orders/{order}/cancel", {ORDERS_VIEW, ORDERS_CANCEL, INVENTORY_RESERVE},
          {"reason": "test"}), "awaiting_payment"),
    (form("mark order paid (form)", "/admin/orders/{order}/mark-paid", ORDER_VIEW_MANAGE, {"reference": "R-1"}),
     "awaiting_payment"),
    (form("allocate order (form)", "/admin/orders/{order}/allocate", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE}),
     "partially_allocated"),
    (form("reallocate order (form)", "/admin/orders/{order}/reallocate", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE}),
     "allocated"),
    (form("ship order (form)", "/admin/orders/{order}/ship", SHIP_NEEDS), "allocated"),
    (form("deliver order (form)", "/admin/orders/{order}/deliver", {ORDERS_VIEW, FULFILMENT_SHIP}), "shipped"),
    (form("invoice order (form)", "/admin/orders/{order}/invoice", ORDER_VIEW_MANAGE), "delivered"),
    (form("close order (form)", "/admin/orders/{order}/close", ORDER_VIEW_MANAGE), "invoiced"),
    (form("edit order lines (form)", "/admin/orders/{order}/lines", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE},
          {"qty.{order_line}": "2"}), "awaiting_payment"),
]


@dataclass(frozen=True)
class OrderScene:
    order: str
    order_line: int
    channel: int
    shipping_method: int
    bank_method: int
    uid: str


def build_order_scene(ctx: TenantCtx, state: str | None) -> OrderScene:
    """The matrix's world (SKU-001 and SKU-002 with stock in MAIN) with a web shop, and an order in `state`."""
    world = build_world(ctx)
    receive(ctx, "SKU-001", "MAIN/A/01", 20)
    receive(ctx, "SKU-002", "MAIN/A/02", 20)
    shop = commerce_on(ctx, world)
    number, line = order_in_state(shop, state) if state else ("", 0)
    return OrderScene(number, line, shop.channel_id, shop.method_id, shop.bank_method_id, uuid.uuid4().hex[:8])


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize(("action", "state"), ORDER_ACTIONS, ids=lambda v: v.name if isinstance(v, Action) else "")
def test_role_against_order_request(action: Action, state: str | None, role: str, tenant: TenantCtx,
                                    client: TestClient) -> None:
    scene = build_order_scene(tenant, state)
    # Form field names may carry a placeholder too (qty.<line id>).
    action = replace(action, body={fill(k, scene): v for k, v in (action.body or {}).items()} or None)
    browser = TestClient(client.app)
    if action.needs <= ROLES[role]:
        response = send(browser, action, scene, tenant, role)  # type: ignore[arg-type]
        expected = {303} if action.via == "form" else {200, 201}
        assert response.status_code in expected, f"{role} should be allowed: {response.text[:800]}"
        return
    if action.via == "form":
        csrf = sign_in(browser, tenant, role)
        before = business_rows(tenant)
        response = browser.post(fill(action.url, scene), data={**fill(action.body or {}, scene), "csrf_token": csrf},
                                follow_redirects=False)
    else:
        _, key = tenant.user(role)
        before = business_rows(tenant)
        response = browser.request(action.method, fill(action.url, scene), json=fill(action.body, scene),
                                   headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403, f"{role} should be refused: {response.status_code} {response.text[:500]}"
    assert business_rows(tenant) == before, "a refused request changed data"


def test_the_order_table_covers_every_mutating_order_endpoint(client: TestClient) -> None:
    covered = {(a.method if a.via == "api" else "POST", re.sub(r"\{\w+\}", "{}", a.url)) for a, _ in ORDER_ACTIONS}
    missing, seen = [], 0
    for path, methods in _every_route(client.app.routes):
        if not (path.startswith(ORD) or path.startswith("/admin/orders")):
            continue
        seen += 1
        for method in methods - {"GET", "HEAD"}:
            if (method, re.sub(r"\{\w+(:\w+)?\}", "{}", path)) not in covered:
                missing.append(f"{method} {path}")
    assert seen > len(ORDER_ACTIONS) and missing == []


def _every_route(routes: list[Any]) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route, also those of included routers (FastAPI keeps those nested)."""
    out: list[tuple[str, set[str]]] = []
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            out += [(c.path_format, set(c.methods or ())) for c in route.effective_route_contexts()]
        else:
            out.append((getattr(route, "path", ""), set(getattr(route, "methods", None) or ())))
    return out

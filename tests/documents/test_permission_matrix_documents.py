"""The permission matrix of tests/test_permission_matrix.py for the mutating documents and labels routes (forms and
JSON API), against a scene of its own: an invoiced order whose invoice has been printed. Same rule: a role holding
all of a row's permissions succeeds (303 for a form, the row's status otherwise, 2xx for the API); any other gets
403 and not one row of the tenant changes (no document, no number)."""

import uuid
from dataclasses import asdict, dataclass

import pytest
from fastapi.testclient import TestClient

from stockyard.core.uow import perform
from stockyard.documents import services
from stockyard.documents.store import app_store
from stockyard.identity.domain import FULFILMENT_PACK, FULFILMENT_SHIP, INVENTORY_VIEW, ORDERS_VIEW, ROLES
from stockyard.sales import orders
from tests.conftest import TenantCtx
from tests.sales.order_fixtures import checkout_order
from tests.sales.shop_setup import build_shop
from tests.test_permission_matrix import Action, api, business_rows, form, sign_in

LABELS = {"what": "skus", "skus": ["SKU-001"], "symbology": "code128", "layout": "57x32"}

ACTIONS: list[Action] = [
    form("print a packing slip (form)", "/erp/documents/issue", {FULFILMENT_PACK},
         {"doc_type": "packing_slip", "subject_id": "{order}"}),
    form("e-mail an invoice (form)", "/erp/documents/{invoice_document}/email", {ORDERS_VIEW}),
    Action("print labels (form)", "form", "/erp/labels/print", frozenset({INVENTORY_VIEW}), LABELS, success=200),
    api("issue a delivery note", "/api/v1/documents", {FULFILMENT_SHIP},
        {"doc_type": "delivery_note", "subject_id": "{order}"}),
    api("print labels", "/api/v1/labels", {INVENTORY_VIEW}, LABELS),
]


@dataclass(frozen=True)
class Scene:
    order: int
    invoice_document: int


def build_scene(ctx: TenantCtx, app: object) -> Scene:
    shop = build_shop(ctx)
    placed = checkout_order(shop, {"SKU-001": 1}, email=f"buyer-{uuid.uuid4().hex[:6]}@example.com")
    for service in (orders.ship_order, orders.mark_delivered, orders.invoice_order):
        perform(ctx.engine, ctx.actor, service, placed.order_id)
    invoice = perform(ctx.engine, ctx.actor, services.issue_document, app_store(app), "invoice", placed.order_id)
    return Scene(placed.order_id, invoice.id)


def fill(value: object, scene: Scene) -> object:
    names = {k: str(v) for k, v in asdict(scene).items()}
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in names:
            return getattr(scene, value[1:-1])
        return value.format(**names)
    if isinstance(value, dict):
        return {k: fill(v, scene) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, scene) for v in value]
    return value


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_role_against_documents_request(action: Action, role: str, tenant: TenantCtx, client: TestClient) -> None:
    scene = build_scene(tenant, client.app)
    browser = TestClient(client.app)
    url, body = str(fill(action.url, scene)), fill(action.body, scene)
    allowed = action.needs <= ROLES[role]
    if action.via == "form":
        csrf = sign_in(browser, tenant, role)
        before = business_rows(tenant)
        response = browser.post(url, data={**(body or {}), "csrf_token": csrf},  # type: ignore[dict-item]
                                follow_redirects=False)
    else:
        _, key = tenant.user(role, email=f"{role}-{uuid.uuid4().hex[:8]}@example.com")
        before = business_rows(tenant)
        response = browser.request(action.method, url, json=body, headers={"Authorization": f"Bearer {key}"})
    if allowed:
        expected = {action.success} if action.success else {303} if action.via == "form" else {200, 201}
        assert response.status_code in expected, f"{role} should be allowed: {response.text[:800]}"
        return
    assert response.status_code == 403, f"{role} should be refused: {response.status_code} {response.text[:500]}"
    assert business_rows(tenant) == before, "a refused request changed data"

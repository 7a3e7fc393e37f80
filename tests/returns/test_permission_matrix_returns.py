"""The permission matrix of tests/test_permission_matrix.py for every mutating returns route (admin forms and JSON
API), against a scene of its own: the shared matrix's scene is an inventory world without a shop, and a return
needs a delivered order. Same rule: a role holding all of a row's permissions succeeds (303 for a form, 2xx for the
API); any other gets 403 and not one row of the tenant changes."""

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stockyard.core.uow import perform, read
from stockyard.identity.domain import (
    INVENTORY_ADJUST,
    INVENTORY_RECEIVE,
    ORDERS_MANAGE,
    RETURNS_REFUND,
    RETURNS_VIEW,
    ROLES,
)
from stockyard.returns import queries
from stockyard.returns.services import (
    RETURNS_MANAGE,
    Decision,
    InspectLineIn,
    InspectReturn,
    ReceiveItems,
    authorize_return,
    inspect_return,
    receive_items,
)
from tests.conftest import TenantCtx
from tests.returns.support import delivered_order, staff
from tests.returns.test_pages import MANAGERS
from tests.returns.test_services import ask
from tests.sales.shop_setup import Shop, build_shop
from tests.test_permission_matrix import Action, api, check_role_request, form

R = "/admin/returns"
A = "/api/v1/returns"
MANAGE = {RETURNS_MANAGE, RETURNS_VIEW}

ACTIONS: list[Action] = [
    form("record a return (form)", f"{R}/new", MANAGE,
         {"order": "{order_number}", "qty_{line}": "1", "reason": "defective"}),
    form("authorise return (form)", f"{R}/{{requested}}/authorize", {RETURNS_MANAGE}, {"note": "ok"}),
    form("reject return (form)", f"{R}/{{requested}}/reject", {RETURNS_MANAGE}, {"note": "too late"}),
    form("receive return (form)", f"{R}/{{authorized}}/receive", {RETURNS_MANAGE, INVENTORY_RECEIVE},
         {"location": "MAIN/A/02"}),
    form("inspect return (form)", f"{R}/{{received}}/inspect", {RETURNS_MANAGE, INVENTORY_ADJUST},
         {"grade_{received_line}": "A"}),
    form("refund return (form)", f"{R}/{{inspected}}/refund", {RETURNS_REFUND}, {"amount": "5.00"}),
    form("exchange return (form)", f"{R}/{{inspected}}/exchange", {RETURNS_MANAGE, ORDERS_MANAGE}),
    form("close return (form)", f"{R}/{{inspected}}/close", {RETURNS_MANAGE}, {"note": "customer damage"}),
    api("record a return", A, MANAGE, {"order_id": "{order}", "reason": "defective",
                                       "lines": [{"order_line_id": "{line}", "quantity": 1}]}),
    api("authorise return", f"{A}/{{requested}}/authorize", MANAGE, {"note": "ok"}),
    api("reject return", f"{A}/{{requested}}/reject", MANAGE, {"note": "too late"}),
    api("receive return", f"{A}/{{authorized}}/receive", MANAGE | {INVENTORY_RECEIVE}, {"location": "MAIN/A/02"}),
    api("inspect return", f"{A}/{{received}}/inspect", MANAGE | {INVENTORY_ADJUST},
        {"lines": [{"return_line_id": "{received_line}", "grade": "A"}]}),
    api("refund return", f"{A}/{{inspected}}/refund", {RETURNS_REFUND, RETURNS_VIEW}, {"amount": "5.00"}),
    api("exchange return", f"{A}/{{inspected}}/exchange", MANAGE | {ORDERS_MANAGE}, {}),
    api("close return", f"{A}/{{inspected}}/close", MANAGE, {"note": "customer damage"}),
]


@dataclass(frozen=True)
class Scene:
    """One delivered order of 5 × SKU-001 with a return in each state that has an action."""

    order: int
    order_number: str
    line: int
    requested: int
    authorized: int
    received: int
    received_line: int
    inspected: int


def build_scene(ctx: TenantCtx) -> Scene:
    shop: Shop = build_shop(ctx, stock={"SKU-001": 10})
    order = delivered_order(shop, SKU_001=5)
    e, a = ctx.engine, staff(shop)
    ids = [ask(shop, order, SKU_001=1) for _ in range(4)]
    for rid in ids[1:]:
        perform(e, a, authorize_return, rid, Decision())
    for rid in ids[2:]:
        perform(e, a, receive_items, rid, ReceiveItems(location="MAIN/A/02"))
    lines = {rid: read(e, a, queries.return_detail, rid).lines[0].id for rid in ids[2:]}
    perform(e, a, inspect_return, ids[3], InspectReturn(lines=[InspectLineIn(return_line_id=lines[ids[3]],
                                                                             grade="A")]))
    return Scene(order.order_id, order.number, order.lines["SKU-001"], ids[0], ids[1], ids[2], lines[ids[2]], ids[3])


@pytest.fixture(autouse=True)
def returns_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in MANAGERS:
        if RETURNS_MANAGE not in ROLES[role]:
            monkeypatch.setitem(ROLES, role, ROLES[role] | {RETURNS_MANAGE})


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_role_against_returns_request(action: Action, role: str, engine: Engine, client: TestClient) -> None:
    check_role_request(client, action, role, engine, build_scene)

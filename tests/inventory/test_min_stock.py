"""Minimum-stock rules: a shortage alert opens when available stock crosses below the minimum, and resolves
when it comes back; each transition writes its outbox event."""

import pytest

from stockyard.core.errors import NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.inventory import queries
from stockyard.inventory.min_stock import set_min_stock_rule
from stockyard.inventory.movements import WriteOffStock, write_off_stock
from stockyard.inventory.reservations import ReserveStock, release_reservation, reserve_stock
from tests.conftest import TenantCtx
from tests.factories import World, build_world, receive
from tests.inventory.support import assert_ledger_consistent, assert_refused, events, role_actor, sku_id


def _rule(ctx: TenantCtx, minimum: int, warehouse: str = "MAIN", safety_stock: int = 0, sku: str = "SKU-001") -> int:
    return perform(ctx.engine, ctx.actor, set_min_stock_rule, sku=sku, warehouse=warehouse, minimum=minimum,
                   safety_stock=safety_stock)


def _alerts(ctx: TenantCtx, state: str = "open") -> list[tuple[str, str, int, int]]:
    return [(code, wh, a.available, a.minimum) for a, code, _, wh in read(ctx.engine, ctx.actor, queries.list_alerts,
                                                                          state)]


def _write_off(ctx: TenantCtx, quantity: int, location: str = "MAIN/A/01") -> None:
    perform(ctx.engine, ctx.actor, write_off_stock,
            WriteOffStock(sku="SKU-001", location=location, quantity=quantity, reason="damaged"))


@pytest.fixture
def world(tenant: TenantCtx) -> World:
    made = build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    return made


def test_an_alert_opens_when_available_crosses_below_the_minimum_and_resolves_when_stock_returns(tenant, world):
    _rule(tenant, 5)
    assert _alerts(tenant) == []
    assert events(tenant, "stock.shortage.v1") == []

    _write_off(tenant, 5)  # 5 left: at the minimum, not below it
    assert _alerts(tenant) == []
    _write_off(tenant, 2)  # 3 left
    assert _alerts(tenant) == [("SKU-001", "MAIN", 3, 5)]
    the_sku = sku_id(tenant, "SKU-001")
    assert events(tenant, "stock.shortage.v1") == [
        {"type": "stock.shortage.v1", "sku_id": the_sku, "warehouse_id": world.main, "available": 3, "minimum": 5}]

    _write_off(tenant, 1)  # still short: no second alert, no second event
    assert len(_alerts(tenant)) == 1
    assert len(events(tenant, "stock.shortage.v1")) == 1

    receive(tenant, "SKU-001", "MAIN/A/02", 4)  # 6 available again
    assert _alerts(tenant) == []
    assert _alerts(tenant, "resolved") == [("SKU-001", "MAIN", 3, 5)]
    [resolved] = events(tenant, "stock.shortage_resolved.v1")
    assert (resolved["available"], resolved["minimum"]) == (6, 5)
    assert_ledger_consistent(tenant)


def test_a_new_shortage_after_a_resolved_one_opens_a_new_alert(tenant, world):
    _rule(tenant, 5)
    _write_off(tenant, 6)
    receive(tenant, "SKU-001", "MAIN/A/01", 6)
    _write_off(tenant, 8)
    assert _alerts(tenant) == [("SKU-001", "MAIN", 2, 5)]
    assert len(_alerts(tenant, "resolved")) == 1
    assert [e["available"] for e in events(tenant, "stock.shortage.v1")] == [4, 2]


def test_reserved_stock_is_not_available_for_the_minimum(tenant, world):
    _rule(tenant, 5)
    reservation_id = perform(tenant.engine, tenant.actor, reserve_stock, ReserveStock(sku="SKU-001", quantity=7))
    assert _alerts(tenant) == [("SKU-001", "MAIN", 3, 5)]
    perform(tenant.engine, tenant.actor, release_reservation, reservation_id)
    assert _alerts(tenant) == []
    assert len(events(tenant, "stock.shortage_resolved.v1")) == 1


def test_a_rule_set_while_short_opens_its_alert_at_once_and_lowering_it_resolves(tenant, world):
    _rule(tenant, 12)
    assert _alerts(tenant) == [("SKU-001", "MAIN", 10, 12)]
    _rule(tenant, 10)
    assert _alerts(tenant) == []
    assert len(events(tenant, "stock.shortage_resolved.v1")) == 1


def test_rules_are_per_warehouse(tenant, world):
    _rule(tenant, 2, warehouse="NORTH")
    assert _alerts(tenant) == [("SKU-001", "NORTH", 0, 2)]  # MAIN's stock does not count for NORTH
    receive(tenant, "SKU-001", "NORTH/B/01", 2)
    assert _alerts(tenant) == []
    _write_off(tenant, 10)  # MAIN has no rule: no alert
    assert _alerts(tenant) == []


def test_stock_that_is_not_sellable_does_not_count(tenant, world):
    _rule(tenant, 12)
    receive(tenant, "SKU-001", "MAIN/Q/01", 5, status="quarantine")
    assert _alerts(tenant) == [("SKU-001", "MAIN", 10, 12)]


def test_safety_stock_is_kept_out_of_available_to_promise(tenant, world):
    _rule(tenant, 0, safety_stock=3)
    the_id = sku_id(tenant, "SKU-001")
    stock = read(tenant.engine, tenant.actor, queries.stock_for_skus, [the_id])[the_id]
    main = stock.warehouses[world.main]
    assert (main.on_hand, main.safety_stock, main.atp, main.minimum) == (10, 3, 7, 0)
    assert stock.atp == 7


BAD_RULES = [
    ({"minimum": -1}, ValidationFailed, "minimum"),
    ({"safety_stock": -1}, ValidationFailed, "safety_stock"),
    ({"sku": "NOPE"}, NotFound, "sku"),
    ({"warehouse": "SOUTH"}, NotFound, "warehouse"),
]


def test_a_bad_rule_is_refused_and_changes_nothing(tenant, world, subtests):
    for kwargs, error, field in BAD_RULES:
        with subtests.test(str(kwargs)):
            args = {"sku": "SKU-001", "warehouse": "MAIN", "minimum": 5, **kwargs}
            assert_refused(tenant, error, field, set_min_stock_rule, **args)


def test_setting_rules_needs_the_configure_permission(tenant, world):
    assert_refused(tenant, PermissionDenied, "permission", set_min_stock_rule, sku="SKU-001", warehouse="MAIN",
                   minimum=5, actor=role_actor(tenant, "warehouse_operator"))

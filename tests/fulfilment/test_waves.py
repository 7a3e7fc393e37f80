"""Pick waves: allocated orders of one warehouse grouped by carrier cut-off and priority, one pick list per order in
walking order, the orders move to picking; both backends."""

from datetime import datetime

from sqlalchemy import select, update

from stockyard.core.errors import Conflict, PermissionDenied
from stockyard.core.uow import perform, read
from stockyard.fulfilment import waves
from stockyard.fulfilment.config import MethodIn, create_method
from stockyard.fulfilment.models import ShippingMethod
from stockyard.fulfilment.waves import WaitingOrder, choose_wave, group_waiting
from stockyard.sales.models import Order
from tests.conftest import TenantCtx
from tests.factories import receive
from tests.fulfilment.execution_scene import build_scene
from tests.inventory.support import assert_ledger_consistent, assert_refused, role_actor
from tests.sales.order_fixtures import detail

T0 = datetime(2026, 12, 1, 8, 0)


def waiting(order_id: int, cutoff: str, priority: int, minute: int = 0) -> WaitingOrder:
    return WaitingOrder(order_id, f"SO-{order_id}", cutoff, priority, T0.replace(minute=minute))


def test_groups_are_ordered_by_cut_off_then_priority_and_orders_without_cut_off_come_last() -> None:
    orders = [waiting(1, "", 2), waiting(2, "16:00", 2), waiting(3, "14:00", 3), waiting(4, "14:00", 1),
              waiting(5, "14:00", 1, 5)]
    groups = group_waiting(orders)
    assert [(g.cutoff, g.priority, g.orders) for g in groups] == [("14:00", 1, 2), ("14:00", 3, 1), ("16:00", 2, 1),
                                                                  ("", 2, 1)]


def test_a_wave_takes_the_most_urgent_group_oldest_first_up_to_the_limit() -> None:
    orders = [waiting(1, "16:00", 1), waiting(2, "14:00", 1, 30), waiting(3, "14:00", 1, 10),
              waiting(4, "14:00", 1, 20)]
    assert [o.order_id for o in choose_wave(orders, None, None, 2)] == [3, 4]
    assert [o.order_id for o in choose_wave(orders, "16:00", None, 10)] == [1]
    assert choose_wave(orders, "09:00", None, 10) == []


def test_a_wave_makes_pick_lists_in_walking_order_and_orders_start_picking(tenant: TenantCtx) -> None:
    sc = build_scene(tenant, stock={"SKU-001": 0, "SKU-002": 0})
    receive(tenant, "SKU-001", "MAIN/A/03", 5)
    receive(tenant, "SKU-002", "MAIN/A/01", 3)
    first = sc.order({"SKU-001": 1, "SKU-002": 1})
    second = sc.order({"SKU-001": 2})
    wave_id = sc.wave()
    plist = sc.list_for(first)
    assert plist.wave_id == wave_id and plist.order_id == first
    assert [(line.location, line.sku, line.quantity) for line in plist.lines] == [
        ("MAIN/A/01", "SKU-002", 1), ("MAIN/A/03", "SKU-001", 1)]
    assert plist.next_line is not None and plist.next_line.location == "MAIN/A/01"
    assert detail(sc.shop, first).status == "picking" and detail(sc.shop, second).status == "picking"
    # nothing left to wave; stock untouched
    assert_refused(tenant, Conflict, "warehouse_id", waves.create_pick_wave, waves.CreateWave(warehouse_id="MAIN"))
    assert_ledger_consistent(tenant)


def test_waves_follow_the_methods_cut_off(tenant: TenantCtx) -> None:
    sc = build_scene(tenant)
    perform(tenant.engine, tenant.actor, create_method, MethodIn(carrier="DHL", code="DHL-EXP", name="Express",
                                                                 currency="EUR", transit_days=1, cutoff_time="14:00"))
    late = sc.order({"SKU-001": 1})
    urgent = sc.order({"SKU-002": 1})
    with tenant.uow() as uow:  # the customer chose the express method
        express = uow.conn.execute(select(ShippingMethod.__table__.c.id).where(
            ShippingMethod.__table__.c.tenant_id == tenant.tenant_id,
            ShippingMethod.__table__.c.code == "DHL-EXP")).scalar_one()
        uow.conn.execute(update(Order.__table__).where(Order.__table__.c.id == urgent).values(
            shipping_method_id=express))
    groups = read(tenant.engine, tenant.actor, waves.wave_groups, sc.shop.world.main)
    assert [(g.cutoff, g.priority, g.orders) for g in groups] == [("14:00", 1, 1), ("", 2, 1)]
    sc.wave(max_orders=10)  # the most urgent group only
    assert detail(sc.shop, urgent).status == "picking"
    assert detail(sc.shop, late).status == "allocated"
    sc.wave(cutoff="")
    assert detail(sc.shop, late).status == "picking"


def test_a_wave_for_a_warehouse_the_picker_may_not_work_in_is_refused(tenant: TenantCtx) -> None:
    sc = build_scene(tenant)
    sc.order({"SKU-001": 1})
    north_only = role_actor(tenant, "warehouse_manager", [sc.shop.world.north])
    assert_refused(tenant, PermissionDenied, "warehouse", waves.create_pick_wave,
                   waves.CreateWave(warehouse_id="MAIN"), actor=north_only)

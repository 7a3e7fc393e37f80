"""The order and operations KPIs read what the real services write: an order checked out, waved, picked, packed and
shipped today through the services shows up in cycle time, throughput, margin and the shipped units of the return
rate, with its picker and packer."""

from datetime import timedelta

from stockyard.analytics import margin_kpis, ops_kpis, order_kpis, returns_kpis  # noqa: F401 - registers the KPIs
from stockyard.analytics.kpi import KPIS, Period
from stockyard.core.clock import utcnow
from stockyard.core.uow import perform
from stockyard.fulfilment import packing
from tests.conftest import TenantCtx
from tests.fulfilment.execution_scene import build_scene


def test_an_order_walked_through_the_services_is_measured(tenant: TenantCtx) -> None:
    scene = build_scene(tenant)
    order_id = scene.order({"SKU-001": 2, "SKU-002": 1})
    scene.wave()
    scene.pick_all(order_id)
    scene.pack(order_id, "SKU-001", 2)
    scene.pack(order_id, "SKU-002", 1)
    assert scene.close(order_id) == "packed"
    perform(tenant.engine, tenant.actor, packing.ship_packed_order, packing.ShipPacked(order_id=order_id))
    today = utcnow().date()
    period = Period(today - timedelta(days=6), today, "day")

    def compute(key: str):  # noqa: ANN202
        with tenant.uow() as uow:
            return KPIS[key].compute(uow, period)

    steps = {row[0]: row[1] for row in compute("order-cycle-time").breakdown.rows}
    assert steps["placed → paid"] == 1 and steps["allocated → picking"] == 1
    assert steps["picking → packed"] == 1 and steps["packed → shipped"] == 1 and steps["placed → shipped"] == 1
    throughput = compute("pick-pack-throughput")
    [(who, lines, units, hours, _, packed, packing_hours, _)] = throughput.breakdown.rows
    assert (who, lines, units, packed, packing_hours) == (tenant.actor.name, 2, 3, 1, 1)
    assert hours in (1, 2)  # two when the picks straddle the turn of an hour
    margin = compute("gross-margin")
    assert len(margin.transactions.rows) == 1 and margin.transactions.rows[0][3] > 0  # revenue net of tax
    assert compute("return-rate").breakdown.rows == [("SKU-001", 2, 0, 0.0), ("SKU-002", 1, 0, 0.0)]

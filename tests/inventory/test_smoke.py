from stockyard.core.uow import perform, read
from stockyard.inventory import queries, reservations
from stockyard.inventory.verify import verify_levels

from tests.factories import build_world, receive


def test_received_stock_is_available_and_reservable(tenant):
    world = build_world(tenant)
    receive(tenant, world.skus[0], "MAIN/A/01", 5, unit_cost="1.25")
    perform(tenant.engine, tenant.actor, reservations.reserve_stock,
            reservations.ReserveStock(sku=world.skus[0], quantity=2))
    stock = read(tenant.engine, tenant.actor, queries.stock_for_skus, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    main = [s for s in stock.values() if s.code == world.skus[0]][0].warehouses[world.main]
    assert (main.on_hand, main.reserved, main.atp) == (5, 2, 3)
    assert verify_levels(tenant.engine, tenant.tenant_id) == []

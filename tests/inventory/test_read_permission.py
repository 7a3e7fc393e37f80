"""Read models refuse an actor without the view permission before reading anything."""

import pytest

from stockyard.catalog import queries as catalog_queries
from stockyard.core.actor import Actor
from stockyard.core.errors import PermissionDenied
from stockyard.core.uow import read
from stockyard.inventory import queries
from tests.factories import build_world, receive


def test_stock_cannot_be_read_without_inventory_view(tenant):
    world = build_world(tenant)
    receive(tenant, world.skus[0], "MAIN/A/01", 3)
    nobody = Actor(tenant_id=tenant.tenant_id, user_id=None, name="no rights", permissions=frozenset())
    for query, args in [(queries.list_warehouses, ()), (queries.inventory_value, ()),
                        (queries.search_stock, ("",)), (queries.list_alerts, ())]:
        with pytest.raises(PermissionDenied, match="inventory.view"):
            read(tenant.engine, nobody, query, *args)
    with pytest.raises(PermissionDenied, match="catalog.view"):
        read(tenant.engine, nobody, catalog_queries.search_skus, "")
    viewer = Actor(tenant_id=tenant.tenant_id, user_id=None, name="viewer", permissions=frozenset({"inventory.view"}))
    assert read(tenant.engine, viewer, queries.search_stock, "").total == 2

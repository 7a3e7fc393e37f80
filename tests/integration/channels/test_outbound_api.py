"""The sync JSON API of a connection: map SKUs, set the pool, resync, and read what is pending and pushed."""

import httpx

from stockyard.core.uow import perform
from stockyard.integration.channels.connections import ConnectionIn, create_connection
from stockyard.integration.channels.stock_push import push_due_stock
from stockyard.integration.dispatch import drain
from stockyard.sales.channels import ChannelIn, create_channel
from tests.conftest import Api, TenantCtx
from tests.factories import build_world, receive


def test_map_pool_resync_and_state_over_the_api(tenant: TenantCtx, api: Api) -> None:
    world = build_world(tenant, skus=2)
    e, a = tenant.engine, tenant.actor
    channel_id = perform(e, a, create_channel, ChannelIn(code="SITE", name="Site", kind="marketplace",
                                                          currency="EUR"))
    connection_id = perform(e, a, create_connection, ConnectionIn(channel_id=channel_id, name="Parts site",
                                                                  adapter="generic", base_url="http://store.test")).id
    base = f"/api/v1/channels/connections/{connection_id}/sync"
    bad = api.put(f"{base}/settings", {"stock_share_pct": 120})
    assert bad.status_code == 422 and "stock_share_pct" in bad.text
    unknown = api.put(f"{base}/settings", {"warehouse_ids": [world.main + 10_000]})
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "warehouse_ids"
    assert api.put(f"{base}/settings", {"stock_share_pct": 50, "stock_buffer": 1, "debounce_seconds": 0,
                                        "warehouse_ids": [world.main]}).status_code == 200
    assert api.put(f"{base}/skus", {"sku": "SKU-001", "external_id": "A-1"}).status_code == 200
    assert api.put(f"{base}/skus", {"sku": "SKU-002", "external_id": "A-1"}).status_code == 409
    assert api.put(f"{base}/skus", {"sku": "SKU-002", "external_id": "A-2"}).status_code == 200
    receive(tenant, "SKU-001", "MAIN/A/01", 9)
    drain(e, tenant_id=tenant.tenant_id)
    state = api.get(base).json()
    assert (state["mapped"], state["pending"], state["last_success_at"]) == (2, 2, None)
    assert {r["sku"]: r["available_to_sell"] for r in state["skus"]["items"]} == {"SKU-001": 3, "SKU-002": 0}

    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(204)))
    assert push_due_stock(e, connection_id=connection_id, client=client) == 2
    state = api.get(base).json()
    assert state["pending"] == 0 and state["last_success_at"]
    assert {r["sku"]: r["last_pushed"] for r in state["skus"]["items"]} == {"SKU-001": 3, "SKU-002": 0}
    assert api.post(f"{base}/resync").json() == {"queued": 2}
    assert api.post(f"{base}/unmap", {"sku": "SKU-002"}).status_code == 204
    assert api.post(f"{base}/unmap", {"sku": "SKU-002"}).status_code == 404
    assert api.get(base).json()["mapped"] == 1
    assert api.get(f"/api/v1/channels/connections/{connection_id + 10_000}/sync").status_code == 404

"""The sync dashboard of a connection, through a signed-in session: health, pending pushes, errors, the pool form,
SKU mapping, and the drift between what the site shows (read from a real store server) and our available-to-sell."""

import re

from stockyard.core.uow import perform
from stockyard.integration.channels.connections import ConnectionIn, create_connection
from stockyard.integration.channels.mapping import MapSku, SyncSettingsIn, map_sku, set_sync_settings
from stockyard.integration.channels.stock_push import push_due_stock
from stockyard.integration.dispatch import drain
from stockyard.sales.channels import ChannelIn, create_channel
from tests.conftest import TenantCtx
from tests.factories import build_world, receive
from tests.integration.channels.store_server import running_store
from tests.web.test_pages import Staff, field_error, new_client, sign_in, table_rows  # noqa: F401  (fixtures)


def _connection(tenant: TenantCtx, url: str) -> int:
    e, a = tenant.engine, tenant.actor
    channel_id = perform(e, a, create_channel, ChannelIn(code="PARTS", name="Parts site", kind="marketplace",
                                                          currency="EUR"))
    connection_id = perform(e, a, create_connection, ConnectionIn(channel_id=channel_id, name="Parts site",
                                                                  adapter="generic", base_url=url)).id
    perform(e, a, set_sync_settings, connection_id, SyncSettingsIn(debounce_seconds=0))
    return connection_id


def test_the_dashboard_shows_health_pending_errors_and_drift(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    build_world(tenant, skus=2)
    owner: Staff = sign_in("owner")
    with running_store() as store:
        connection_id = _connection(tenant, store.url)
        url = f"/admin/channels/connections/{connection_id}/sync"
        assert "No SKU is mapped" in owner.get(url).text
        refused = owner.post(f"{url}/map", {"sku": "NOPE", "external_id": "EXT-1"})
        assert refused.status_code == 404 and "unknown SKU" in (field_error(refused.text, "sku") or "")
        for i, sku in enumerate(("SKU-001", "SKU-002")):
            assert owner.post(f"{url}/map", {"sku": sku, "external_id": f"EXT-{i + 1}"}).status_code == 303
        receive(tenant, "SKU-001", "MAIN/A/01", 9)
        drain(tenant.engine, tenant_id=tenant.tenant_id)
        store.fail_next = 1
        push_due_stock(tenant.engine, connection_id=connection_id)
        page = owner.get(url).text
        assert "HTTP 503" in page and "retrying after a failure" in page
        owner.post(f"{url}/resync", {})
        push_due_stock(tenant.engine, connection_id=connection_id)
        assert store.shows("EXT-1") == 9
        store.levels["EXT-1"] = 12  # someone edited the stock on the site
        page = owner.get(url, drift="1").text
        rows = {r[0]: r for r in table_rows(page, "channel-skus")}
        assert rows["SKU-001"][2:5] == ["9", "9", rows["SKU-001"][4]] and rows["SKU-001"][7] == "+3"
        assert rows["SKU-002"][7] == "0"
        assert 'alt="Available to sell, ours against the site' in page
        assert re.search(r"Last successful push</dt>\s*<dd>\d{4}-", page)


def test_the_pool_form_checks_its_fields_and_requeues_every_sku(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    world = build_world(tenant, skus=1)
    owner: Staff = sign_in("owner")
    connection_id = _connection(tenant, "http://127.0.0.1:9")
    perform(tenant.engine, tenant.actor, map_sku, connection_id, MapSku(sku="SKU-001", external_id="E1"))
    url = f"/admin/channels/connections/{connection_id}/sync"
    bad = owner.post(f"{url}/settings", {"stock_share_pct": "150", "stock_buffer": "1"})
    assert bad.status_code == 422 and field_error(bad.text, "stock_share_pct")
    ok = owner.post(f"{url}/settings", {"stock_share_pct": "40", "stock_buffer": "2", "debounce_seconds": "1",
                                        "warehouse_ids": str(world.main), "push_prices": "on"})
    assert ok.status_code == 303
    page = owner.follow(ok).text
    assert 'value="40"' in page and f'value="{world.main}" checked' in page


def test_viewers_see_the_dashboard_without_forms_and_cannot_post(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    build_world(tenant, skus=1)
    connection_id = _connection(tenant, "http://127.0.0.1:9")
    url = f"/admin/channels/connections/{connection_id}/sync"
    accountant: Staff = sign_in("accountant")
    page = accountant.get(url)
    assert page.status_code == 200 and "Full resync" not in page.text and "Map a SKU" not in page.text
    assert accountant.post(f"{url}/resync", {}).status_code == 403
    assert sign_in("read_only").get(url).status_code == 403
    assert accountant.get(f"/admin/channels/connections/{connection_id + 10_000}/sync").status_code == 404

"""Stock and prices out: events mark (connection, SKU) pending, coalesced; the push job sends available-to-sell
(pool share and buffer applied) and the channel price; failures are logged and retried after a backoff."""

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from stockyard.catalog.pricing import PriceListIn, SetSkuPrices, TierIn, create_price_list, set_sku_prices
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.uow import perform
from stockyard.integration.channels.connections import ConnectionIn, create_connection
from stockyard.integration.channels.mapping import MapSku, SyncSettingsIn, map_sku, set_sync_settings, unmap_sku
from stockyard.integration.channels.resync import resync_connection
from stockyard.integration.channels.stock_push import push_due_stock
from stockyard.integration.channels.sync_models import ChannelPendingPush, ChannelSyncError, ChannelSyncSettings
from stockyard.integration.dispatch import drain
from stockyard.inventory.reservations import ReserveStock, reserve_stock
from stockyard.sales.channels import ChannelIn, create_channel
from tests.conftest import TenantCtx
from tests.factories import World, build_world, receive


class Store:
    """The site's API, recorded (the service tests need no server; the end-to-end test runs a real one)."""

    def __init__(self) -> None:
        self.pushes: list[dict[str, Any]] = []
        self.fail_with: int | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.fail_with:
            return httpx.Response(self.fail_with, text="store is down")
        self.pushes.append(json.loads(request.content))
        return httpx.Response(204)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def last(self) -> dict[str, dict[str, Any]]:
        return {i["sku"]: i for i in self.pushes[-1]["items"]}


def _setup(tenant: TenantCtx, **settings: Any) -> tuple[World, int]:
    world = build_world(tenant, skus=2)
    e, a = tenant.engine, tenant.actor
    channel_id = perform(e, a, create_channel, ChannelIn(code="WEB2", name="Web two", kind="marketplace",
                                                          currency="EUR"))
    created = perform(e, a, create_connection, ConnectionIn(channel_id=channel_id, name="Parts site",
                                                            adapter="generic", base_url="http://store.test/api"))
    perform(e, a, set_sync_settings, created.id, SyncSettingsIn(debounce_seconds=0, **settings))
    for i, sku in enumerate(world.skus):
        perform(e, a, map_sku, created.id, MapSku(sku=sku, external_id=f"EXT-{i + 1}"))
    return world, created.id


def _pending(tenant: TenantCtx, connection_id: int) -> list[Any]:
    with tenant.uow() as uow:
        return list(uow.execute(select(ChannelPendingPush).where(ChannelPendingPush.connection_id == connection_id))
                    .scalars())


def test_a_stock_change_reaches_the_site_as_its_available_to_sell(tenant: TenantCtx) -> None:
    world, connection_id = _setup(tenant)
    store = Store()
    push_due_stock(tenant.engine, connection_id=connection_id, client=store.client())
    assert store.last() == {
        "SKU-001": {"sku": "SKU-001", "external_id": "EXT-1", "available": 0, "price": None, "currency": None},
        "SKU-002": {"sku": "SKU-002", "external_id": "EXT-2", "available": 0, "price": None, "currency": None}}
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    receive(tenant, "SKU-001", "NORTH/B/01", 5)
    perform(tenant.engine, tenant.actor, reserve_stock, ReserveStock(sku="SKU-001", quantity=3, warehouse="MAIN"))
    drain(tenant.engine, tenant_id=tenant.tenant_id)
    assert [p.version for p in _pending(tenant, connection_id)] == [3]  # three changes, one coalesced row
    pushed = push_due_stock(tenant.engine, connection_id=connection_id, client=store.client())
    assert pushed == 1 and len(store.pushes) == 2
    assert store.last() == {"SKU-001": {"sku": "SKU-001", "external_id": "EXT-1", "available": 12, "price": None,
                                        "currency": None}}
    assert _pending(tenant, connection_id) == []
    assert push_due_stock(tenant.engine, connection_id=connection_id, client=store.client()) == 0


def test_the_pool_share_buffer_and_feeding_warehouses_apply(tenant: TenantCtx) -> None:
    world, connection_id = _setup(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    receive(tenant, "SKU-001", "NORTH/B/01", 7)
    perform(tenant.engine, tenant.actor, set_sync_settings, connection_id, SyncSettingsIn(
        debounce_seconds=0, stock_share_pct=50, stock_buffer=2, warehouse_ids=[world.main]))
    store = Store()
    drain(tenant.engine, tenant_id=tenant.tenant_id)
    push_due_stock(tenant.engine, connection_id=connection_id, client=store.client())
    assert store.last()["SKU-001"]["available"] == 3  # 50 % of MAIN's 10, less 2
    receive(tenant, "SKU-002", "NORTH/B/01", 4)  # NORTH does not feed this site: nothing to push
    drain(tenant.engine, tenant_id=tenant.tenant_id)
    assert _pending(tenant, connection_id) == []


def test_a_price_change_is_pushed_with_the_channel_currency(tenant: TenantCtx) -> None:
    _, connection_id = _setup(tenant)
    store = Store()
    push_due_stock(tenant.engine, connection_id=connection_id, client=store.client())
    e, a = tenant.engine, tenant.actor
    list_id = perform(e, a, create_price_list, PriceListIn(name="Web two", channel="WEB2"))
    perform(e, a, set_sku_prices, list_id, SetSkuPrices(sku="SKU-002", tiers=[TierIn(min_quantity=1,
                                                                                      unit_price=Decimal("12.5"))]))
    drain(e, tenant_id=tenant.tenant_id)
    push_due_stock(e, connection_id=connection_id, client=store.client())
    assert store.last() == {"SKU-002": {"sku": "SKU-002", "external_id": "EXT-2", "available": 0, "price": "12.50",
                                        "currency": "EUR"}}


def test_a_failed_push_is_logged_kept_and_retried_after_a_backoff(tenant: TenantCtx) -> None:
    _, connection_id = _setup(tenant)
    store = Store()
    store.fail_with = 503
    assert push_due_stock(tenant.engine, connection_id=connection_id, client=store.client()) == 0
    rows = _pending(tenant, connection_id)
    assert len(rows) == 2 and all(r.attempts == 1 and "HTTP 503" in r.last_error for r in rows)
    with tenant.uow() as uow:
        errors = uow.execute(select(ChannelSyncError.message).where(
            ChannelSyncError.connection_id == connection_id)).scalars().all()
        health = uow.execute(select(ChannelSyncSettings).where(
            ChannelSyncSettings.connection_id == connection_id)).scalar_one()
    assert len(errors) == 1 and "store is down" in errors[0]
    assert health.last_failure_at is not None and health.last_success_at is None
    store.fail_with = None
    assert push_due_stock(tenant.engine, connection_id=connection_id, client=store.client()) == 0  # backing off
    with tenant.uow() as uow:  # the backoff has passed
        uow.execute(update(ChannelPendingPush).where(ChannelPendingPush.connection_id == connection_id)
                    .values(due_at=rows[0].created_at))
    assert push_due_stock(tenant.engine, connection_id=connection_id, client=store.client()) == 2
    assert _pending(tenant, connection_id) == []


def test_resync_pushes_every_mapped_sku_at_once_even_while_backing_off(tenant: TenantCtx) -> None:
    _, connection_id = _setup(tenant)
    store = Store()
    store.fail_with = 500
    push_due_stock(tenant.engine, connection_id=connection_id, client=store.client())
    store.fail_with = None
    report = resync_connection(tenant.engine, tenant.actor, connection_id, client=store.client())
    assert (report.pushed, report.failed) == (2, 0)
    assert set(store.last()) == {"SKU-001", "SKU-002"}


def test_mapping_refuses_unknown_skus_and_taken_ids_and_unmapping_stops_pushes(tenant: TenantCtx) -> None:
    _, connection_id = _setup(tenant)
    e, a = tenant.engine, tenant.actor
    with pytest.raises(NotFound) as unknown:
        perform(e, a, map_sku, connection_id, MapSku(sku="NOPE", external_id="X"))
    assert unknown.value.field == "sku"
    with pytest.raises(Conflict) as taken:
        perform(e, a, map_sku, connection_id, MapSku(sku="SKU-002", external_id="EXT-1"))
    assert taken.value.field == "external_id"
    with pytest.raises(NotFound) as foreign:
        perform(e, a, map_sku, connection_id + 10_000, MapSku(sku="SKU-001", external_id="Y"))
    assert foreign.value.field == "connection_id"
    perform(e, a, unmap_sku, connection_id, "SKU-002")
    store = Store()
    push_due_stock(e, connection_id=connection_id, client=store.client())
    assert set(store.last()) == {"SKU-001"}

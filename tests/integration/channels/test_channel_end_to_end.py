"""End to end over HTTP: our app served by uvicorn on a loopback port with its background jobs running, and a small
external store (tests/integration/channels/store_server.py, a real HTTP server) connected to it by the generic
contract. A storefront sale lowers the number the store shows; the store's signed order webhook becomes an
allocated order, whose units the store stops offering too; when that order ships the store hears the shipment with
its carrier and tracking number. The full resync command repairs a store that lost its levels."""

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine
from typer.testing import CliRunner

from stockyard.catalog.pricing import PriceListIn, SetSkuPrices, TierIn, create_price_list, set_sku_prices
from stockyard.cli import app as cli
from stockyard.core.settings import Settings, get_settings
from stockyard.core.uow import perform
from stockyard.integration.channels.connections import ConnectionIn, create_connection
from stockyard.integration.channels.mapping import MapSku, SyncSettingsIn, map_sku, set_sync_settings
from stockyard.sales import orders
from stockyard.sales.channels import ChannelIn, create_channel
from stockyard.web.app import create_app
from tests.conftest import TenantCtx, new_tenant, private_engine
from tests.integration.channels.store_server import Store, running_store, wait_for
from tests.sales.order_fixtures import checkout_order, detail
from tests.sales.shop_setup import Shop, build_shop

STARTUP_WAIT_SECONDS = 30
JOBS_EVERY = 0.1  # seconds between two runs of the app's background jobs


@contextmanager
def live_app(engine: Engine, tmp_path: Path) -> Iterator[str]:
    """Our app with its background jobs (dispatch, pushes) in a uvicorn thread on a port the OS picked."""
    settings = Settings(secret_key=secrets.token_urlsafe(32), var_dir=tmp_path, jobs_interval_seconds=JOBS_EVERY)
    app = create_app(settings, engine, run_jobs=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="channel-e2e-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_WAIT_SECONDS
    while thread.is_alive() and not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        pytest.fail("uvicorn did not start (see the log above)")
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_WAIT_SECONDS)
        sock.close()


@pytest.fixture
def own_tenant(engine: Engine, tmp_path: Path) -> Iterator[TenantCtx]:
    """A tenant in a database of its own: the app's jobs scan every tenant, and the other tests' rows in the shared
    database would both slow them past the waits here and be changed by them under those tests' feet."""
    with private_engine(engine.dialect.name, tmp_path, "channel_e2e") as own:
        yield new_tenant(own)


def connect_store(shop: Shop, store: Store) -> tuple[int, str]:
    """A marketplace channel SITE (SKU-001 at 11.00) whose generic connection feeds the store; (id, secret)."""
    e, a = shop.ctx.engine, shop.ctx.actor
    channel_id = perform(e, a, create_channel, ChannelIn(code="SITE", name="Parts marketplace", kind="marketplace",
                                                          currency="EUR"))
    price_list = perform(e, a, create_price_list, PriceListIn(name="Marketplace", channel="SITE"))
    perform(e, a, set_sku_prices, price_list, SetSkuPrices(sku="SKU-001", tiers=[TierIn(min_quantity=1,
                                                                                         unit_price=Decimal("11"))]))
    created = perform(e, a, create_connection, ConnectionIn(channel_id=channel_id, name="Parts marketplace",
                                                            adapter="generic", base_url=store.url))
    perform(e, a, set_sync_settings, created.id, SyncSettingsIn(debounce_seconds=0))
    for sku, external in (("SKU-001", "EXT-1"), ("SKU-002", "EXT-2")):
        perform(e, a, map_sku, created.id, MapSku(sku=sku, external_id=external))
    return created.id, created.webhook_secret


def site_order(external_id: str, quantity: int) -> dict[str, object]:
    return {"id": external_id, "number": external_id.removeprefix("A-"), "currency": "EUR", "payment_status": "paid",
            "prices_include_tax": True,
            "customer": {"id": "C-17", "email": "marketplace-buyer@example.com", "name": "Max Muster"},
            "shipping_address": {"name": "Max Muster", "line1": "Hafenstraße 9", "city": "Hamburg",
                                 "postcode": "20095", "country": "DE"},
            "lines": [{"sku": "SKU-001", "quantity": quantity, "unit_price": "11.00"}],
            "shipping": {"code": "DHL-STD", "total": "4.90"}}


def test_sale_order_and_shipment_flow_between_our_app_and_an_external_store(own_tenant: TenantCtx,
                                                                            tmp_path: Path) -> None:
    tenant = own_tenant
    shop = build_shop(tenant)  # SKU-001: 5 in MAIN, at 10.00 on the storefront
    with running_store() as store, live_app(tenant.engine, tmp_path) as app_url:
        connection_id, secret = connect_store(shop, store)
        assert wait_for(lambda: store.shows("EXT-1") == 5 and store.shows("EXT-2") == 3), store.pushes
        assert {i["external_id"]: i["price"] for p in store.pushes for i in p.body["items"]}["EXT-1"] == "11.00"

        # A storefront sale: the store must stop offering the two units sold.
        pushes_before = len(store.pushes)
        sold_at = time.monotonic()
        sale = checkout_order(shop, {"SKU-001": 2})
        assert sale.status == "allocated"
        assert wait_for(lambda: store.shows("EXT-1") == 3), store.pushes
        first = next(p for p in store.pushes[pushes_before:] if any(i["external_id"] == "EXT-1"
                                                                     for i in p.body["items"]))
        assert first.at >= sold_at

        # The store sells one unit and tells us with a signed webhook: an allocated order of ours.
        answer = store.send_order(app_url, connection_id, secret, site_order("A-1001", 1))
        assert answer.status_code == 201, answer.text
        order_id = answer.json()["order_id"]
        placed = detail(shop, order_id)
        assert (placed.status, placed.channel_code, placed.lines[0].quantity) == ("allocated", "SITE", 1)
        assert wait_for(lambda: store.shows("EXT-1") == 2), store.pushes
        replay = store.send_order(app_url, connection_id, secret, site_order("A-1001", 1))
        assert replay.status_code == 409
        forged = store.send_order(app_url, connection_id, "not-the-secret", site_order("A-1002", 1))
        assert forged.status_code == 401

        # The order ships (the warehouse's ship flow): the store hears carrier and tracking number.
        perform(tenant.engine, tenant.actor, orders.ship_order, order_id)
        shipment = detail(shop, order_id).shipments[0]
        received = wait_for(lambda: [s.body for s in store.statuses if s.path == "/orders/A-1001/status"])
        assert received == [{"status": "shipped", "order_number": placed.number, "carrier": "DHL",
                             "tracking_number": shipment.tracking_number, "shipment_id": shipment.id}]
        assert shipment.tracking_number
        assert store.shows("EXT-1") == 2  # shipping reserved units changes nothing the store may sell


def test_a_store_down_is_retried_and_the_resync_command_repairs_lost_levels(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    ctx = new_tenant(sqlite_engine)
    shop = build_shop(ctx)
    with running_store() as store:
        connection_id, _ = connect_store(shop, store)
        store.levels.clear()
        store.fail_next = 1
        get_settings.cache_clear()
        try:
            env = {"STOCKYARD_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False)}
            failed = CliRunner().invoke(cli, ["channels", "resync", "--connection", str(connection_id)], env=env)
            assert failed.exit_code == 1 and "HTTP 503" in failed.output, failed.output
            assert store.shows("EXT-1") is None
            done = CliRunner().invoke(cli, ["channels", "resync", "--connection", str(connection_id)], env=env)
            assert done.exit_code == 0, done.output
            assert "Parts marketplace" in done.output and "2 SKUs pushed, 0 failed" in done.output
            missing = CliRunner().invoke(cli, ["channels", "resync", "--connection", "999999"], env=env)
            assert missing.exit_code == 1 and "no channel connection 999999" in missing.output
        finally:
            get_settings.cache_clear()
    assert (store.shows("EXT-1"), store.shows("EXT-2")) == (5, 3)

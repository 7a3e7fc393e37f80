"""The storefront's pages and the stock figures through the read cache (in-process and Redis, on both databases):
served from the cache until an event says what they show changed; a stale figure never lets an order through,
because carts and orders decide with the database's conditional UPDATE."""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from stockyard.catalog import storefront_queries as sq
from stockyard.catalog.cache import cached_read
from stockyard.catalog.pricing import SetSkuPrices, TierIn, set_sku_prices
from stockyard.core.cache import Cache, shared_cache
from stockyard.core.cache_codec import dumps, loads
from stockyard.core.errors import Conflict, PermissionDenied
from stockyard.core.settings import Settings
from stockyard.core.uow import perform, read
from stockyard.integration.dispatch import drain
from stockyard.inventory import atp_cache
from stockyard.inventory.movements import WriteOffStock, write_off_stock
from stockyard.sales import carts
from stockyard.web.app import create_app
from stockyard.web.storefront.context import shop_actor
from tests.conftest import Api, TenantCtx, new_tenant
from tests.core.redis_support import redis_url
from tests.sales.shop_setup import Shop, build_shop

SETTINGS = {"var_dir": Path("var-test")}


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


@pytest.fixture(params=["in-process", "redis"])
def cache_url(request: pytest.FixtureRequest) -> str:
    return "" if request.param == "in-process" else redis_url()


@pytest.fixture
def cache(shop: Shop, cache_url: str) -> Iterator[Cache]:
    yield shared_cache(shop.ctx.engine, cache_url)  # the same cache the consumer finds


def storefront(shop: Shop) -> sq.Shop:
    return sq.Shop(shop.ctx.tenant_id, shop.channel_id, shop.channel_code, "Web shop", shop.currency, True)


def page(shop: Shop, cache: Cache, code: str) -> sq.ProductPage:
    s = storefront(shop)
    return cached_read(shop.ctx.engine, cache, shop_actor(s), sq.product_page, s, code, 5)


def handle_events(shop: Shop, cache_url: str) -> None:
    drain(shop.ctx.engine, tenant_id=shop.ctx.tenant_id, settings=Settings(redis_url=cache_url, **SETTINGS))


def write_off(shop: Shop, code: str, quantity: int) -> None:
    perform(shop.ctx.engine, shop.ctx.actor, write_off_stock,
            WriteOffStock(sku=code, location="MAIN/A/01", quantity=quantity, reason="damaged"))


def test_a_stale_cached_page_never_lets_an_order_take_stock_that_is_gone(shop: Shop, cache: Cache,
                                                                        cache_url: str) -> None:
    handle_events(shop, cache_url)  # the set-up's own events
    assert page(shop, cache, "SKU-002").item.atp == 3
    write_off(shop, "SKU-002", 3)  # all of it is gone; its stock.changed event is not handled yet
    stale = page(shop, cache, "SKU-002")
    assert stale.item.atp == 3 and stale.item.stock.text == "Only 3 left"  # the cache still says so
    with pytest.raises(Conflict):
        perform(shop.ctx.engine, shop.actor, carts.start_cart, shop.channel_id,
                carts.AddToCart(sku="SKU-002", quantity=1))
    handle_events(shop, cache_url)
    fresh = page(shop, cache, "SKU-002")
    assert fresh.item.atp == 0 and fresh.item.stock.kind == "out"


def test_listings_and_prices_are_fresh_once_the_change_is_handled(shop: Shop, cache: Cache, cache_url: str) -> None:
    handle_events(shop, cache_url)
    s = storefront(shop)
    query = sq.Browse(s, sq.Filters(in_stock=True))

    def listing() -> sq.Listing:
        return cached_read(shop.ctx.engine, cache, shop_actor(s), sq.browse, query)

    first = listing()
    assert {h.code: h.price for h in first.hits} == {"SKU-001": Decimal("10.00"), "SKU-002": Decimal("25.00")}
    assert listing() == first
    perform(shop.ctx.engine, shop.ctx.actor, set_sku_prices, shop.price_list_id,
            SetSkuPrices(sku="SKU-001", tiers=[TierIn(min_quantity=1, unit_price=Decimal("12.00"))]))
    write_off(shop, "SKU-002", 3)
    handle_events(shop, cache_url)
    again = listing()
    assert {h.code: h.price for h in again.hits} == {"SKU-001": Decimal("12.00")}
    assert again.facets.in_stock == 1


def test_a_page_read_back_from_the_cache_equals_the_computed_one(shop: Shop) -> None:
    s = storefront(shop)
    computed = read(shop.ctx.engine, shop_actor(s), sq.product_page, s, "SKU-001", 5)
    assert loads(dumps(computed)) == computed
    listed = read(shop.ctx.engine, shop_actor(s), sq.browse, sq.Browse(s))
    assert loads(dumps(listed)) == listed


def test_the_cache_does_not_skip_the_permission_check(shop: Shop, cache: Cache) -> None:
    s = storefront(shop)
    page(shop, cache, "SKU-001")  # cached now
    nobody = shop_actor(s).__class__(shop.ctx.tenant_id, None, "nobody")
    with pytest.raises(PermissionDenied):
        cached_read(shop.ctx.engine, cache, nobody, sq.product_page, s, "SKU-001", 5)


def test_tenants_never_share_cached_pages(engine, cache_url: str) -> None:  # noqa: ANN001
    a, b = build_shop(new_tenant(engine)), build_shop(new_tenant(engine))
    cache = shared_cache(engine, cache_url)
    write_off(b, "SKU-001", 5)
    assert page(a, cache, "SKU-001").item.atp == 5
    assert page(b, cache, "SKU-001").item.atp == 0


def test_the_api_stock_figure_is_cached_per_sku_until_a_stock_event(shop: Shop, cache: Cache,
                                                                     cache_url: str) -> None:
    def atp(code: str) -> int:
        return read(shop.ctx.engine, shop.ctx.actor, atp_cache.atp_for_sku, cache, code).atp

    handle_events(shop, cache_url)
    assert (atp("SKU-001"), atp("SKU-002")) == (5, 3)
    write_off(shop, "SKU-001", 2)
    assert atp("SKU-001") == 5  # not handled yet: the cached figure
    handle_events(shop, cache_url)
    assert (atp("SKU-001"), atp("SKU-002")) == (3, 3)


@pytest.fixture(scope="module")
def cached_apps(engines: dict[str, Engine]) -> dict[int, TestClient]:
    return {}


def test_the_shop_and_the_api_show_fresh_stock_after_the_event_is_handled(
        shop: Shop, cached_apps: dict[int, TestClient], api: Api) -> None:
    engine = shop.ctx.engine
    if id(engine) not in cached_apps:  # an app with the read cache on (in-process)
        cached_apps[id(engine)] = TestClient(create_app(Settings(secret_key="test", read_cache_seconds=60, **SETTINGS),
                                                        engine, run_jobs=False))
    client = cached_apps[id(engine)]
    api = Api(client, api.headers)
    headers = {"Host": shop.domain}
    handle_events(shop, "")
    assert "Only 3 left" in client.get("/p/SKU-002", headers=headers).text
    assert api.get("/api/v1/inventory/atp", params={"sku": "SKU-002"}).json()["available_to_promise"] == 3
    write_off(shop, "SKU-002", 1)
    assert "Only 3 left" in client.get("/p/SKU-002", headers=headers).text  # cached, until the event is handled
    refused = client.post("/api/v1/storefront/carts", json={"sku": "SKU-002", "quantity": 3}, headers=headers)
    assert refused.status_code == 409  # whatever a cached page says, the database decides
    handle_events(shop, "")
    assert "Only 2 left" in client.get("/p/SKU-002", headers=headers).text
    assert api.get("/api/v1/inventory/atp", params={"sku": "SKU-002"}).json()["available_to_promise"] == 2


def test_with_the_cache_turned_off_every_read_is_fresh(shop: Shop) -> None:
    s = storefront(shop)
    cache = shared_cache(shop.ctx.engine, "")
    assert cached_read(shop.ctx.engine, cache, shop_actor(s), sq.product_page, s, "SKU-002", 5, ttl=0).item.atp == 3
    write_off(shop, "SKU-002", 1)
    assert cached_read(shop.ctx.engine, cache, shop_actor(s), sq.product_page, s, "SKU-002", 5, ttl=0).item.atp == 2
    assert read(shop.ctx.engine, shop.ctx.actor, atp_cache.atp_for_sku, cache, "SKU-002", 0).atp == 2

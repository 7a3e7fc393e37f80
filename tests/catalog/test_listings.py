"""Listing prices kept per channel (catalog/listings.py): refreshed by the pricing services, never shown stale
(a channel outside its fresh window is priced live), refreshed by the daily job (both backends)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from stockyard.catalog import pricing
from stockyard.catalog.listings import LISTING_CHANNELS, SKU_LISTINGS, refresh_stale_channels
from stockyard.catalog.storefront_queries import Browse, Filters, Listing, browse
from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.sales.models import Channel
from stockyard.web.storefront.context import shop_actor
from tests.catalog.storefront_support import ShopWorld, build_shop
from tests.conftest import TenantCtx


@pytest.fixture
def world(tenant: TenantCtx) -> ShopWorld:
    return build_shop(tenant)


def listed(world: ShopWorld, filters: Filters = Filters()) -> Listing:
    return read(world.ctx.engine, shop_actor(world.shop), browse, Browse(world.shop, filters, "price_asc"))


def prices(listing: Listing) -> dict[str, Decimal]:
    return {h.code: h.price for h in listing.hits}


def projected(world: ShopWorld) -> dict[int, Decimal]:
    with UnitOfWork(world.ctx.engine, world.ctx.actor) as uow:
        return {r.sku_id: Decimal(r.price) for r in uow.conn.execute(
            select(SKU_LISTINGS.c.sku_id, SKU_LISTINGS.c.price).where(SKU_LISTINGS.c.tenant_id == uow.tenant_id))}


def test_setting_a_skus_prices_updates_its_listing_price(world: ShopWorld) -> None:
    assert projected(world)[world.skus["MANN-W712-75"]] == Decimal("9.80")
    perform(world.ctx.engine, world.ctx.actor, pricing.set_sku_prices, world.price_list_id, pricing.SetSkuPrices(
        sku="MANN-W712-75", tiers=[{"min_quantity": 1, "unit_price": Decimal("7.25")}]))
    assert projected(world)[world.skus["MANN-W712-75"]] == Decimal("7.25")
    result = listed(world, Filters(price_max=Decimal("8")))
    assert prices(result) == {"MANN-W712-75": Decimal("7.25")}
    assert result.facets.price_low == Decimal("7.25")
    perform(world.ctx.engine, world.ctx.actor, pricing.set_sku_prices, world.price_list_id,
            pricing.SetSkuPrices(sku="MANN-W712-75", tiers=[]))
    assert "MANN-W712-75" not in prices(listed(world))
    assert world.skus["MANN-W712-75"] not in projected(world)


def test_a_list_edit_refreshes_the_channel_and_its_validity_bounds_the_window(world: ShopWorld) -> None:
    today = utcnow().date()
    e, a = world.ctx.engine, world.ctx.actor
    perform(e, a, pricing.update_price_list, world.price_list_id,
            pricing.PriceListIn(name="Retail", channel="web", valid_to=today))
    with UnitOfWork(e, a) as uow:
        window = uow.conn.execute(select(LISTING_CHANNELS.c.fresh_from, LISTING_CHANNELS.c.fresh_until)
                                  .where(LISTING_CHANNELS.c.channel_id == world.shop.channel_id)).one()
    assert (window.fresh_from, window.fresh_until) == (today, today + timedelta(days=1))
    assert len(listed(world).hits) == 6
    perform(e, a, pricing.update_price_list, world.price_list_id,
            pricing.PriceListIn(name="Retail", channel="web", active=False))
    assert listed(world).hits == [] and projected(world) == {}


def test_a_stale_channel_is_priced_live_until_the_job_refreshes_it(world: ShopWorld) -> None:
    e, a = world.ctx.engine, world.ctx.actor
    with UnitOfWork(e, a) as uow:  # a wrong projected price outside its window (as after a passed validity date)
        uow.conn.execute(update(SKU_LISTINGS).where(SKU_LISTINGS.c.sku_id == world.skus["MANN-W712-75"])
                         .values(price=Decimal("1.00")))
        uow.conn.execute(update(LISTING_CHANNELS).where(LISTING_CHANNELS.c.channel_id == world.shop.channel_id)
                         .values(fresh_until=utcnow().date()))
    assert prices(listed(world))["MANN-W712-75"] == Decimal("9.80")
    assert refresh_stale_channels(e, world.ctx.tenant_id) == 1
    assert projected(world)[world.skus["MANN-W712-75"]] == Decimal("9.80")
    assert refresh_stale_channels(e, world.ctx.tenant_id) == 0


def test_a_changed_channel_currency_is_never_listed_from_old_prices(world: ShopWorld) -> None:
    with UnitOfWork(world.ctx.engine, world.ctx.actor) as uow:
        uow.execute(update(Channel).where(Channel.id == world.shop.channel_id).values(currency="USD"))
    usd = ShopWorld(world.ctx, world.shop.__class__(**{**world.shop.__dict__, "currency": "USD"}),
                    world.price_list_id, world.skus)
    assert listed(usd).hits == []  # the EUR list does not price a USD shop
    assert refresh_stale_channels(world.ctx.engine, world.ctx.tenant_id) == 1
    assert projected(world) == {}


def test_the_background_jobs_refresh_a_new_channel(world: ShopWorld) -> None:
    from stockyard.web.jobs import run_jobs_once

    with UnitOfWork(world.ctx.engine, world.ctx.actor) as uow:
        uow.conn.execute(LISTING_CHANNELS.delete().where(LISTING_CHANNELS.c.channel_id == world.shop.channel_id))
    done = run_jobs_once(world.ctx.engine)  # every tenant's stale channels, this one among them
    assert any(line.startswith("listing prices refreshed for ") for line in done), done
    assert projected(world)[world.skus["MANN-W712-75"]] == Decimal("9.80")
    with UnitOfWork(world.ctx.engine, world.ctx.actor) as uow:
        assert uow.conn.execute(select(LISTING_CHANNELS.c.fresh_from)
                                .where(LISTING_CHANNELS.c.channel_id == world.shop.channel_id)).scalar() is not None


def test_a_list_starting_next_week_ends_the_window_the_day_it_starts(world: ShopWorld) -> None:
    start = utcnow().date() + timedelta(days=7)
    perform(world.ctx.engine, world.ctx.actor, pricing.create_price_list,
            pricing.PriceListIn(name="Winter", channel="web", valid_from=start))
    with UnitOfWork(world.ctx.engine, world.ctx.actor) as uow:
        until = uow.conn.execute(select(LISTING_CHANNELS.c.fresh_until)
                                 .where(LISTING_CHANNELS.c.channel_id == world.shop.channel_id)).scalar()
    assert until == start

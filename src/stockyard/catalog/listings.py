"""The storefront's listing prices, kept per (channel, SKU): the price of one unit today, as listing_price resolves
it, so that a listing page reads a column instead of resolving a price for every SKU of its scope.

`sku_listings` (migration 0014) holds a row for every SKU that the channel's price lists price today;
`sku_listing_channels` records, per channel, the currency and the days [fresh_from, fresh_until) for which those
rows are exact (fresh_until: the next day on which a list of the channel starts or ends, none if never).

Kept current by:
- the pricing services (catalog/pricing.py): setting a SKU's tiers refreshes that SKU; editing or deleting a price
  list refreshes its channel(s);
- `refresh_stale_channels` (run by the background jobs, web/jobs.py; safe at any time): channels whose window
  has passed or that were never refreshed (a new channel).
A channel without a fresh window (never refreshed, a passed validity date, a changed currency) is listed through
the live price resolution instead (storefront_queries), so a stale projection is never shown — only slower.
SKU and product edits need nothing: the listing joins the live SKU and product rows (activity, names, category).
"""

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Date,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    delete,
    insert,
    literal,
    select,
)

from stockyard.core.actor import system_actor
from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork
from stockyard.sales.models import Channel

if TYPE_CHECKING:
    from stockyard.catalog.storefront_queries import Shop

_meta = MetaData()
SKU_LISTINGS = Table("sku_listings", _meta, Column("tenant_id", Integer), Column("channel_id", Integer),
                     Column("sku_id", Integer), Column("price", Numeric(18, 6)))
LISTING_CHANNELS = Table("sku_listing_channels", _meta, Column("tenant_id", Integer), Column("channel_id", Integer),
                         Column("currency", String(3)), Column("fresh_from", Date), Column("fresh_until", Date))
CHANNELS = Channel.__table__


def is_fresh(uow: UnitOfWork, shop: "Shop", day: date) -> bool:
    """Whether the shop's rows in sku_listings are exact on `day` in the shop's currency."""
    row = uow.conn.execute(select(LISTING_CHANNELS.c.currency, LISTING_CHANNELS.c.fresh_from,
                                  LISTING_CHANNELS.c.fresh_until)
                           .where(LISTING_CHANNELS.c.tenant_id == uow.tenant_id,
                                  LISTING_CHANNELS.c.channel_id == shop.channel_id)).first()
    return (row is not None and row.currency == shop.currency and row.fresh_from <= day
            and (row.fresh_until is None or day < row.fresh_until))


def _fresh_until(uow: UnitOfWork, channel_id: int, day: date) -> date | None:
    """The first day after `day` on which one of the channel's lists starts or stops being valid."""
    from stockyard.catalog.storefront_queries import LISTS

    changes: list[date] = []
    for valid_from, valid_to in uow.conn.execute(
            select(LISTS.c.valid_from, LISTS.c.valid_to)
            .where(LISTS.c.tenant_id == uow.tenant_id, LISTS.c.channel_id == channel_id)):
        if valid_from is not None and valid_from > day:
            changes.append(valid_from)
        if valid_to is not None and valid_to >= day:
            changes.append(valid_to + timedelta(days=1))
    return min(changes, default=None)


def refresh(uow: UnitOfWork, channel_id: int, sku_ids: list[int] | None = None) -> None:
    """Recompute the channel's listing prices for today: of the given SKUs, or of all (and then record the window
    in which they are exact). Refreshing some SKUs of a channel that has no window yet refreshes all of them."""
    from stockyard.catalog.storefront_queries import CHANNEL, SKUS, TENANT, listing_price  # imports this module

    t = uow.tenant_id
    currency = uow.conn.execute(select(CHANNELS.c.currency).where(CHANNELS.c.tenant_id == t,
                                                                  CHANNELS.c.id == channel_id)).scalar()
    if currency is None:
        return
    day = utcnow().date()
    if sku_ids is not None and not uow.conn.execute(
            select(literal(1)).where(LISTING_CHANNELS.c.tenant_id == t, LISTING_CHANNELS.c.channel_id == channel_id,
                                     LISTING_CHANNELS.c.currency == currency,
                                     LISTING_CHANNELS.c.fresh_from == day)).first():
        sku_ids = None
    gone = delete(SKU_LISTINGS).where(SKU_LISTINGS.c.tenant_id == t, SKU_LISTINGS.c.channel_id == channel_id)
    priced = (select(SKUS.c.id.label("sku_id"), listing_price(SKUS.c.id).label("price"))
              .where(SKUS.c.tenant_id == TENANT))
    if sku_ids is not None:
        gone = gone.where(SKU_LISTINGS.c.sku_id.in_(sku_ids))
        priced = priced.where(SKUS.c.id.in_(sku_ids))
    found = priced.subquery()
    uow.conn.execute(gone)
    uow.conn.execute(insert(SKU_LISTINGS).from_select(
        ["tenant_id", "channel_id", "sku_id", "price"],
        select(TENANT, CHANNEL, found.c.sku_id, found.c.price).where(found.c.price.is_not(None))),
        {"tenant_id": t, "channel_id": channel_id, "currency": currency, "day": day})
    if sku_ids is None:
        uow.conn.execute(delete(LISTING_CHANNELS).where(LISTING_CHANNELS.c.tenant_id == t,
                                                        LISTING_CHANNELS.c.channel_id == channel_id))
        uow.conn.execute(insert(LISTING_CHANNELS).values(tenant_id=t, channel_id=channel_id, currency=currency,
                                                         fresh_from=day,
                                                         fresh_until=_fresh_until(uow, channel_id, day)))


def _stale_channels(engine: Engine, tenant_id: int | None) -> list[tuple[int, int]]:
    """(tenant, channel) of every channel whose rows are not exact today, of one tenant or of all."""
    day = utcnow().date()
    query = (select(CHANNELS.c.tenant_id, CHANNELS.c.id, CHANNELS.c.currency,
                    LISTING_CHANNELS.c.currency.label("listed"), LISTING_CHANNELS.c.fresh_from,
                    LISTING_CHANNELS.c.fresh_until)
             .select_from(CHANNELS.outerjoin(LISTING_CHANNELS, LISTING_CHANNELS.c.channel_id == CHANNELS.c.id))
             .order_by(CHANNELS.c.tenant_id, CHANNELS.c.id))
    if tenant_id is not None:
        query = query.where(CHANNELS.c.tenant_id == tenant_id)
    with UnitOfWork(engine, readonly=True) as uow:
        rows = uow.conn.execute(query).all()
    return [(r.tenant_id, r.id) for r in rows
            if r.listed != r.currency or r.fresh_from is None or r.fresh_from > day
            or (r.fresh_until is not None and day >= r.fresh_until)]


def refresh_stale_channels(engine: Engine, tenant_id: int | None = None) -> int:
    """The daily job (cheap to run often: an idle run is one read): refresh every channel, of one tenant or of all,
    whose rows are not exact today; the number refreshed."""
    stale = _stale_channels(engine, tenant_id)
    for owner, channel_id in stale:
        with UnitOfWork(engine, system_actor(owner, "listing prices job")) as uow:
            refresh(uow, channel_id)
    return len(stale)

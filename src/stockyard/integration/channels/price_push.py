"""Prices out to connected sites: a price change queues a push of the SKUs it touches on every connection whose
sales channel the price list belongs to.

Consumer `channels.price_out` hears `price_list.prices_set.v1` (one SKU's tiers on one list) and
`price_list.updated.v1` / `deleted.v1` (a whole list: validity, priority, activity, currency), and
queues the affected (connection, SKU) rows exactly as stock changes do (stock_push.mark_pending), so a price change
and a stock change landing together become one push carrying both figures.
"""

from typing import Any

from sqlalchemy import select

from stockyard.catalog.models import Sku
from stockyard.catalog.pricing_models import PriceList
from stockyard.core.uow import UnitOfWork
from stockyard.integration.channels.models import ChannelConnection
from stockyard.integration.channels.stock_push import mark_connection_pending
from stockyard.integration.consumers import Event, register

# A new list has no prices yet: its first prices_set is what changes a price.
PRICE_EVENTS = ("price_list.prices_set.v1", "price_list.updated.v1", "price_list.deleted.v1")


def _channels(uow: UnitOfWork, event: Event) -> set[int]:
    payload: dict[str, Any] = event.payload
    found = {int(part["channel_id"]) for part in (payload.get("before"), payload.get("after"))
             if isinstance(part, dict) and part.get("channel_id") is not None}
    if not found and payload.get("id") is not None:
        channel_id = uow.execute(select(PriceList.channel_id).where(PriceList.id == int(payload["id"]))
                                 ).scalar_one_or_none()
        if channel_id is not None:
            found.add(channel_id)
    return found


@register("channels.price_out", PRICE_EVENTS)
def on_price_event(uow: UnitOfWork, event: Event) -> None:
    channels = _channels(uow, event)
    if not channels:
        return
    sku_ids: list[int] | None = None
    if event.type == "price_list.prices_set.v1":
        sku_ids = list(uow.execute(select(Sku.id).where(Sku.code == event.payload["sku"])).scalars())
    connections = uow.execute(select(ChannelConnection.id).where(
        ChannelConnection.channel_id.in_(sorted(channels)), ChannelConnection.active.is_(True))).scalars().all()
    for connection_id in connections:
        debounce = _debounce(uow, connection_id)
        mark_connection_pending(uow, connection_id, sku_ids, delay_seconds=debounce)


def _debounce(uow: UnitOfWork, connection_id: int) -> int:
    from stockyard.integration.channels.mapping import sync_settings

    return sync_settings(uow, connection_id).debounce_seconds

"""Keeping the read cache (core/cache.py) true: on a stock event the affected SKUs' stock figures are forgotten
(inventory/atp_cache.py) and the tenant's storefront pages too (catalog/cache.py); on a change to prices, products,
SKUs, categories, brands, attributes, warehouses, safety stock or purchase orders (back-in-stock dates), the
tenant's storefront pages.

Idempotent by nature as well as by the inbox: forgetting twice costs one extra page computation. Runs wherever the
consumers run (the web process's job runner in the embedded profile, `stockyard worker` with a broker); with
several processes the cache must be Redis (STOCKYARD_REDIS_URL) so that the worker's bump reaches every web
process; with in-process caches in several processes only the entries' TTL bounds how stale a page can be.
"""

from collections.abc import Iterator
from typing import Any

from stockyard.catalog.cache import forget_catalog
from stockyard.core.cache import shared_cache
from stockyard.core.uow import UnitOfWork
from stockyard.integration.consumers import Event, register
from stockyard.integration.dispatch import consumer_settings
from stockyard.inventory.atp_cache import forget_atp

STOCK_EVENTS = ["stock.changed.v1", "stock.reserved.v1", "stock.reservation_released.v1",
                "stock.reservation_expired.v1", "stock.reservation_consumed.v1", "min_stock_rule.set.v1"]
_CATALOG_EVENTS = (
    "price_list.created.v1 price_list.deleted.v1 price_list.prices_set.v1 price_list.updated.v1 "
    "product.created.v1 product.image_added.v1 product.image_removed.v1 product.image_updated.v1 "
    "product.images_reordered.v1 product.updated.v1 sku.attributes_changed.v1 sku.barcode_added.v1 "
    "sku.barcode_removed.v1 sku.created.v1 sku.equivalents_changed.v1 sku.related_added.v1 sku.related_removed.v1 "
    "sku.replacement_removed.v1 sku.replacement_set.v1 sku.updated.v1 brand.created.v1 brand.updated.v1 "
    "category.created.v1 category.updated.v1 attribute.created.v1 attribute.updated.v1 warehouse.created.v1 "
    "warehouse.updated.v1 channel.updated.v1 channel.deleted.v1 purchase_order.created.v1 "
    "purchase_order.rescheduled.v1 purchase_order.sent.v1 purchase_order.cancelled.v1 purchase_order.received.v1 "
    "purchase_order.closed.v1")
CATALOG_EVENTS = _CATALOG_EVENTS.split()


def sku_ids_of(payload: dict[str, Any]) -> list[int]:
    """The SKUs a stock event names: `sku_id`, and each of `items`' `sku_id`."""
    def found() -> Iterator[Any]:
        yield payload.get("sku_id")
        for item in payload.get("items") or []:
            if isinstance(item, dict):
                yield item.get("sku_id")

    return sorted({int(s) for s in found() if isinstance(s, int) and not isinstance(s, bool)})


@register("cache.invalidate", STOCK_EVENTS + CATALOG_EVENTS)
def forget_what_changed(uow: UnitOfWork, event: Event) -> None:
    cache = shared_cache(uow.engine, consumer_settings().redis_url)
    if event.type in STOCK_EVENTS:
        forget_atp(cache, event.tenant_id, sku_ids_of(event.payload))
    forget_catalog(cache, event.tenant_id)

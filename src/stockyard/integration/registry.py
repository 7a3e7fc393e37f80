"""The modules that define consumers; importing them registers their consumers (integration/consumers.py).
One line per module: add yours here."""

import importlib

from stockyard.integration.consumers import Consumer, registered

CONSUMER_MODULES: list[str] = [
    "stockyard.integration.channels.stock_push",
    "stockyard.integration.channels.price_push",
    "stockyard.integration.channels.status_back",
    "stockyard.integration.webhooks.consumer",
    "stockyard.billing.journal",
    "stockyard.billing.landed_cost_journal",
    "stockyard.sales.confirmation",
    "stockyard.integration.cache_invalidation",
]


def load_consumers() -> dict[str, Consumer]:
    for module in CONSUMER_MODULES:
        importlib.import_module(module)
    return registered()

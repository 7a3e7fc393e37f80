"""The business counters every process keeps (orders placed, reservations refused, consumer failures), in a
registry of their own. The web app's /metrics and the worker's metrics port expose it next to their own series."""

from prometheus_client import CollectorRegistry, Counter

REGISTRY = CollectorRegistry(auto_describe=True)

ORDERS_PLACED = Counter("stockyard_orders_placed", "Orders written, by where they came from",
                        ["source"], registry=REGISTRY)
RESERVATIONS_REFUSED = Counter("stockyard_reservations_refused", "Stock reservations refused for want of stock",
                               registry=REGISTRY)
CONSUMER_FAILURES = Counter("stockyard_consumer_failures", "Failed attempts of an event consumer on an event",
                            ["consumer", "dead"], registry=REGISTRY)

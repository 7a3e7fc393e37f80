"""What a consumer is, and the registry every consumer module adds itself to.

A consumer reacts to outbox events after they are committed. The dispatcher (integration/dispatch.py) calls
`handle(uow, event)` inside ONE transaction that also records (consumer, event id) in the inbox, so a consumer's
database effects happen exactly once however often the event is delivered. Work that leaves the process (an HTTP
push to a channel, a webhook) is written as a pending row in that transaction and sent by a job, never from
inside `handle`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stockyard.core.uow import UnitOfWork


@dataclass(frozen=True)
class Event:
    event_id: str
    tenant_id: int
    type: str  # versioned, e.g. "order.placed.v1"
    payload: dict[str, Any]
    created_at: datetime


Handler = Callable[[UnitOfWork, Event], None]


@dataclass(frozen=True)
class Consumer:
    name: str  # unique and stable: it names the consumer's broker queue and its inbox rows
    event_types: frozenset[str]  # exact versioned types; "*" means every event
    handle: Handler
    max_attempts: int = 6  # failures before the event goes to the dead letters

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


_REGISTRY: dict[str, Consumer] = {}


def register(name: str, event_types: list[str] | tuple[str, ...], *,
             max_attempts: int = 6) -> Callable[[Handler], Handler]:
    """Decorator: `@register("channels.stock_changed", ["stock.changed.v1"])` on `def handle(uow, event)`."""

    def add(handle: Handler) -> Handler:
        if name in _REGISTRY and _REGISTRY[name].handle is not handle:
            raise ValueError(f"consumer {name!r} is registered twice")
        _REGISTRY[name] = Consumer(name, frozenset(event_types), handle, max_attempts)
        return handle

    return add


def registered() -> dict[str, Consumer]:
    """Every consumer, once the modules that define them are imported (integration/registry.load_consumers)."""
    return dict(_REGISTRY)

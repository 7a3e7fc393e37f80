"""The webhook consumer: every event becomes a pending delivery for each active subscription of its tenant that
wants its type. The delivery job (delivery.py) sends them; nothing leaves the process here."""

from stockyard.core.uow import UnitOfWork
from stockyard.integration.consumers import Event, register
from stockyard.integration.webhooks.services import enqueue, event_payload


@register("webhooks.enqueue", ["*"])
def handle(uow: UnitOfWork, event: Event) -> None:
    payload = event_payload(event.event_id, event.type, event.tenant_id, event.created_at, event.payload)
    enqueue(uow, event.tenant_id, event.event_id, event.type, payload)

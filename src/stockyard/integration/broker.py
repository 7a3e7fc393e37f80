"""RabbitMQ, the scale-out profile's broker, through pika (integration/relay.py publishes, integration/worker.py
consumes). Every name starts with STOCKYARD_BROKER_PREFIX:

- `<prefix>.events`: the durable topic exchange; an event is published with its type as routing key.
- `<prefix>.consumer.<name>`: one durable queue per consumer, bound to the consumer's event types ("*" → "#"); a
  message it rejects goes to the dead-letter exchange.
- `<prefix>.retry.<name>.<ms>`: the delay queues of a consumer's retries, one per delay (exponential backoff): a
  message waits there for <ms> ms and then goes back to the consumer's queue.
- `<prefix>.dead` (fanout exchange) → `<prefix>.dead-letters`: the messages given up on. Each is also recorded as a
  dead delivery in the database, where the admin replays or discards it.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel

from stockyard.integration.consumers import Consumer, Event

CONTENT_TYPE = "application/json"
PERSISTENT = pika.DeliveryMode.Persistent.value


@dataclass(frozen=True)
class Topology:
    prefix: str

    @property
    def exchange(self) -> str:
        return f"{self.prefix}.events"

    @property
    def dead_exchange(self) -> str:
        return f"{self.prefix}.dead"

    @property
    def dead_queue(self) -> str:
        return f"{self.prefix}.dead-letters"

    def queue(self, consumer: str) -> str:
        return f"{self.prefix}.consumer.{consumer}"

    def retry_queue(self, consumer: str, delay_ms: int) -> str:
        return f"{self.prefix}.retry.{consumer}.{delay_ms}"


def connect(url: str) -> pika.BlockingConnection:
    params = pika.URLParameters(url)
    params.connection_attempts = 1
    params.socket_timeout = 5
    params.blocked_connection_timeout = 30
    params.client_properties = {"connection_name": "stockyard"}
    return pika.BlockingConnection(params)


def binding_keys(consumer: Consumer) -> list[str]:
    return ["#"] if "*" in consumer.event_types else sorted(consumer.event_types)


def declare(channel: BlockingChannel, topology: Topology, consumers: list[Consumer]) -> None:
    """The exchanges and the consumers' queues (idempotent: declaring what exists changes nothing)."""
    channel.exchange_declare(topology.exchange, exchange_type="topic", durable=True)
    channel.exchange_declare(topology.dead_exchange, exchange_type="fanout", durable=True)
    channel.queue_declare(topology.dead_queue, durable=True)
    channel.queue_bind(topology.dead_queue, topology.dead_exchange)
    for consumer in consumers:
        queue = topology.queue(consumer.name)
        channel.queue_declare(queue, durable=True, arguments={"x-dead-letter-exchange": topology.dead_exchange})
        for key in binding_keys(consumer):
            channel.queue_bind(queue, topology.exchange, routing_key=key)


def declare_retry_queue(channel: BlockingChannel, topology: Topology, consumer: str, delay_ms: int) -> str:
    name = topology.retry_queue(consumer, delay_ms)
    channel.queue_declare(name, durable=True, arguments={
        "x-message-ttl": delay_ms, "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": topology.queue(consumer)})
    return name


def message(event_id: str, tenant_id: int, event_type: str, payload: dict[str, Any], created_at: datetime,
            outbox_id: int) -> tuple[bytes, pika.BasicProperties]:
    body = json.dumps({"event_id": event_id, "tenant_id": tenant_id, "type": event_type, "payload": payload,
                       "created_at": created_at.isoformat()}, separators=(",", ":")).encode()
    return body, pika.BasicProperties(content_type=CONTENT_TYPE, delivery_mode=PERSISTENT, message_id=event_id,
                                      type=event_type, headers={"outbox_id": outbox_id})


def event_from_message(body: bytes) -> Event:
    data = json.loads(body)
    return Event(event_id=str(data["event_id"]), tenant_id=int(data["tenant_id"]), type=str(data["type"]),
                 payload=dict(data["payload"]), created_at=datetime.fromisoformat(data["created_at"]))


def queue_depths(url: str, topology: Topology, consumers: list[str]) -> dict[str, int | None]:
    """Messages ready in each consumer's queue (None: the queue does not exist yet); the dead-letter queue under
    its own name."""
    depths: dict[str, int | None] = {}
    with connect(url) as connection:
        for name in [*consumers, topology.dead_queue]:
            channel = connection.channel()
            queue = name if name == topology.dead_queue else topology.queue(name)
            try:
                depths[name] = channel.queue_declare(queue, passive=True).method.message_count
            except pika.exceptions.ChannelClosedByBroker:
                depths[name] = None
            else:
                channel.close()
    return depths

"""What `stockyard worker` runs for the integration layer, in threads beside the background jobs.

Scale-out profile (STOCKYARD_BROKER_URL set): a relay thread (outbox → exchange, integration/relay.py) and a
consumer thread that takes messages from every consumer's queue, runs `handle_event` and acks after its
transaction committed. A failure is recorded and the message moves to a delay queue (or, after the consumer's
max_attempts, is rejected into the dead letters), so one poison message never holds up the others. Both threads
reconnect when the broker goes away; what was not acked is delivered again, and the inbox drops the repeats.

Embedded profile: one thread that drains the outbox every STOCKYARD_DISPATCH_POLL_SECONDS.
"""

import functools
import logging
import threading
from collections.abc import Callable, Mapping

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.spec import Basic, BasicProperties
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from stockyard.core.settings import Settings
from stockyard.integration.broker import Topology, connect, declare, declare_retry_queue, event_from_message
from stockyard.integration.consumers import Consumer
from stockyard.integration.dispatch import active_consumers, drain, handle_event, record_failure
from stockyard.integration.relay import relay_batch, relay_replays

log = logging.getLogger("stockyard.integration.worker")
RECONNECT_SECONDS = 1.0
PREFETCH = 50
_LOST = (pika.exceptions.AMQPError, OSError, OperationalError, DBAPIError)


class BrokerWorker:
    def __init__(self, engine: Engine, settings: Settings, consumers: Mapping[str, Consumer] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.consumers = dict(active_consumers(settings) if consumers is None else consumers)
        self.topology = Topology(settings.broker_prefix)
        self.stop = threading.Event()

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._keep_running, args=(self._relay,), name="relay", daemon=True),
                   threading.Thread(target=self._keep_running, args=(self._consume,), name="consumers",
                                    daemon=True)]
        for thread in threads:
            thread.start()
        return threads

    def _keep_running(self, loop: Callable[[], None]) -> None:
        while not self.stop.is_set():
            try:
                loop()
            except _LOST as error:
                log.warning("%s: %s; reconnecting in %.0fs", threading.current_thread().name, error,
                            RECONNECT_SECONDS)
            except Exception:
                log.exception("%s failed; restarting it", threading.current_thread().name)
            self.stop.wait(RECONNECT_SECONDS)

    def _relay(self) -> None:
        with connect(self.settings.broker_url) as connection:
            channel = connection.channel()
            channel.confirm_delivery()
            declare(channel, self.topology, list(self.consumers.values()))
            log.info("relay connected")
            while not self.stop.is_set():
                sent = relay_batch(self.engine, channel, self.topology, self.settings.relay_batch_size)
                sent += relay_replays(self.engine, channel, self.topology, self.consumers,
                                      self.settings.relay_batch_size)
                if not sent:
                    connection.process_data_events(time_limit=self.settings.dispatch_poll_seconds)

    def _consume(self) -> None:
        with connect(self.settings.broker_url) as connection:
            channel = connection.channel()
            declare(channel, self.topology, list(self.consumers.values()))
            channel.basic_qos(prefetch_count=PREFETCH)
            retries = connection.channel()
            retries.confirm_delivery()
            for consumer in self.consumers.values():
                channel.basic_consume(self.topology.queue(consumer.name),
                                      functools.partial(self._on_message, consumer, retries))
            log.info("consuming %d queues", len(self.consumers))
            while not self.stop.is_set():
                connection.process_data_events(time_limit=0.5)

    def _on_message(self, consumer: Consumer, retries: BlockingChannel, channel: BlockingChannel,
                    method: Basic.Deliver, properties: BasicProperties, body: bytes) -> None:
        try:
            event = event_from_message(body)
            outbox_id = int((properties.headers or {}).get("outbox_id", 0))
        except (ValueError, KeyError, TypeError) as error:
            log.error("%s: a message that is no event goes to the dead letters: %s", consumer.name, error)
            channel.basic_reject(method.delivery_tag, requeue=False)
            return
        try:
            handle_event(self.engine, consumer, event, self.settings)
        except Exception as error:
            try:
                failure = record_failure(self.engine, consumer, event, outbox_id, error, self.settings,
                                         waiting_state="queued")
            except (OperationalError, DBAPIError) as db_error:  # the database is away: the event waits
                log.warning("%s: cannot record the failure (%s); the event goes back", consumer.name, db_error)
                channel.basic_nack(method.delivery_tag, requeue=True)
                self.stop.wait(RECONNECT_SECONDS)
                return
            if failure.dead:
                channel.basic_reject(method.delivery_tag, requeue=False)
                return
            delay_queue = declare_retry_queue(retries, self.topology, consumer.name,
                                              max(1, int(failure.delay_seconds * 1000)))
            retries.basic_publish("", delay_queue, body, properties)
        channel.basic_ack(method.delivery_tag)


def run_embedded(engine: Engine, settings: Settings, stop: threading.Event) -> threading.Thread:
    def loop() -> None:
        while not stop.is_set():
            try:
                drain(engine, settings=settings)
            except Exception:
                log.exception("dispatching the outbox failed")
            stop.wait(settings.dispatch_poll_seconds)

    thread = threading.Thread(target=loop, name="dispatch", daemon=True)
    thread.start()
    return thread


def start(engine: Engine, settings: Settings) -> threading.Event:
    """The integration threads for this profile; set the returned event to stop them."""
    if settings.broker_url:
        worker = BrokerWorker(engine, settings)
        worker.start()
        return worker.stop
    stop = threading.Event()
    run_embedded(engine, settings, stop)
    return stop

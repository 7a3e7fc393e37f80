"""Background jobs that run inside `stockyard serve` and `stockyard worker`: expiring reservations, backorders,
test-gateway webhooks, payment confirmations and the storefront's listing prices."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from stockyard.analytics.anomalies import scan_anomalies_everywhere
from stockyard.analytics.forecast import forecast_job
from stockyard.billing.test_gateway import deliver_test_gateway_webhooks
from stockyard.catalog.listings import refresh_stale_channels
from stockyard.integration.channels.polling import poll_channel_orders_everywhere
from stockyard.integration.channels.status_back import push_due_status
from stockyard.integration.channels.stock_push import push_due_stock
from stockyard.integration.dispatch import dispatch_job
from stockyard.integration.webhooks.delivery import deliver_due_webhooks
from stockyard.inventory.jobs import release_expired_reservations
from stockyard.sales.jobs import (
    allocate_backorders_everywhere,
    cancel_overdue_transfer_orders_everywhere,
    cancel_unconfirmed_orders_everywhere,
    confirm_paid_orders_everywhere,
    recover_stalled_checkouts,
)

log = logging.getLogger("stockyard.jobs")


def _webhooks(engine: Engine) -> int:
    report = deliver_test_gateway_webhooks(engine)
    if report.failed:
        log.warning("test gateway webhooks: %d failed", report.failed)
    return report.delivered


# (job, what a non-zero result means with %d in it)
JOBS: list[tuple[Callable[[Engine], Any], str]] = [
    (recover_stalled_checkouts, "gave back %d carts whose checkout stalled"),
    (release_expired_reservations, "released %d expired reservations"),
    (allocate_backorders_everywhere, "allocated stock to %d backordered orders"),
    (_webhooks, "test gateway webhooks: %d delivered"),
    (confirm_paid_orders_everywhere, "%d orders moved on after their payment was confirmed"),
    (cancel_unconfirmed_orders_everywhere, "cancelled %d orders whose payment was never confirmed"),
    (cancel_overdue_transfer_orders_everywhere, "cancelled %d orders whose bank transfer never arrived"),
    (refresh_stale_channels, "listing prices refreshed for %d channels"),
    (deliver_due_webhooks, "outbound webhooks: %d delivered"),
    (dispatch_job, "integration: %d events handled by their consumers"),
    (poll_channel_orders_everywhere, "channels: %d orders received by polling"),
    (push_due_stock, "channels: stock and prices of %d SKUs pushed"),
    (push_due_status, "channels: %d order status updates sent"),
    (forecast_job, "demand forecasts: %d made"),
    (scan_anomalies_everywhere, "anomaly alerts: %d raised"),
]


def run_jobs_once(engine: Engine) -> list[str]:
    """Every job once, in order; one failing job is logged and does not stop the others. What was done, as lines."""
    done = []
    for job, message in JOBS:
        try:
            count = job(engine)
        except Exception:
            log.exception("job %s failed", job.__name__)
            continue
        if count:
            done.append(message % count)
            log.info(message, count)
    return done


class JobRunner:
    """Runs every job, waits `interval`, again. Stopping lets the round in progress finish: the jobs run in a worker
    thread that cancelling cannot stop, and a round left running after shutdown would go on writing."""

    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            await self._task
            self._task = None

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            await asyncio.to_thread(run_jobs_once, self.engine)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)

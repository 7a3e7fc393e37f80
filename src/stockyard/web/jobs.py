"""Background jobs that run inside `stockyard serve` (and `stockyard worker`): expiring reservations."""

import asyncio
import contextlib
import logging

from sqlalchemy import Engine

from stockyard.billing.test_gateway import deliver_test_gateway_webhooks
from stockyard.inventory.jobs import release_expired_reservations
from stockyard.sales.jobs import allocate_backorders_everywhere, confirm_paid_orders_everywhere

log = logging.getLogger("stockyard.jobs")


class JobRunner:
    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                released = await asyncio.to_thread(release_expired_reservations, self.engine)
                if released:
                    log.info("released %d expired reservations", released)
            except Exception:  # a failing run must not stop later runs
                log.exception("reservation expiry job failed")
            try:
                moved = await asyncio.to_thread(allocate_backorders_everywhere, self.engine)
                if moved:
                    log.info("allocated stock to %d backordered orders", moved)
            except Exception:
                log.exception("backorder allocation job failed")
            try:
                report = await asyncio.to_thread(deliver_test_gateway_webhooks, self.engine)
                if report.delivered or report.failed:
                    log.info("test gateway webhooks: %d delivered, %d failed", report.delivered, report.failed)
            except Exception:
                log.exception("test gateway webhook delivery failed")
            try:
                confirmed = await asyncio.to_thread(confirm_paid_orders_everywhere, self.engine)
                if confirmed:
                    log.info("%d orders moved on after their payment was confirmed", confirmed)
            except Exception:
                log.exception("payment confirmation job failed")
            await asyncio.sleep(self.interval)

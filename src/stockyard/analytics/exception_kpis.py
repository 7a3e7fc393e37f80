"""Exception queue volume: the things waiting for a person, open at the end of each bucket, by kind.

Kinds, and what opens and closes each:
- order on hold: the order timeline's move to `on_hold`, until the move out of it;
- failed payment: a payment that failed, until its order is paid or cancelled (order timeline); open while neither;
- short pick: a pick discrepancy recorded by a picker, open while its state is open;
- shipment exception: a shipment the carrier reported an exception for (its latest such tracking event), open while
  the shipment's status is still `exception`;
- dead letter: an integration event a consumer gave up on (integration_deliveries, dead), open while dead;
- failed webhook: an outgoing webhook delivery out of attempts (from its last attempt), open while failed;
- refused channel order: a site's order refused on its webhook or a poll, until the same order is taken.
Short picks, shipment exceptions, dead letters and failed webhooks record no time when they are dealt with, so once
dealt with they drop out of every bucket. Orders refused in a CSV import are reported to the importer, not kept.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from stockyard.analytics.kpi import KpiResult, Period, Point, Table, kpi
from stockyard.analytics.kpi_stats import bucket_ends, window
from stockyard.billing.models import Payment
from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.execution_models import PickDiscrepancy
from stockyard.fulfilment.models import Shipment, ShipmentEvent
from stockyard.integration.channels.models import ChannelOrderRejection
from stockyard.integration.models import Delivery
from stockyard.integration.webhooks.models import WebhookAttempt, WebhookDelivery
from stockyard.sales.models import Order, OrderEvent

KINDS = ("order on hold", "failed payment", "short pick", "shipment exception", "dead letter", "failed webhook",
         "refused channel order")


@dataclass(frozen=True)
class QueueItem:
    kind: str
    reference: str
    raised_at: datetime
    closed_at: datetime | None
    detail: str

    def open_at(self, moment: datetime) -> bool:
        return self.raised_at <= moment and (self.closed_at is None or self.closed_at > moment)


def _order_items(uow: UnitOfWork, end: datetime) -> list[QueueItem]:
    """Holds and failed payments: both open and close on the order timeline."""
    tenant = uow.tenant_id
    failed = uow.execute(
        select(Payment.id, Payment.order_id, Payment.updated_at, Payment.message, Payment.gateway, Order.number)
        .join(Order, Order.id == Payment.order_id)
        .where(Payment.tenant_id == tenant, Payment.state == "failed", Payment.updated_at < end)).all()
    involved = select(OrderEvent.order_id).where(OrderEvent.tenant_id == tenant, OrderEvent.at < end,
                                                 OrderEvent.to_status == "on_hold")
    failed_orders = sorted({f.order_id for f in failed})
    events = uow.execute(
        select(OrderEvent.order_id, OrderEvent.from_status, OrderEvent.to_status, OrderEvent.at, OrderEvent.note,
               Order.number)
        .join(Order, Order.id == OrderEvent.order_id)
        .where(OrderEvent.tenant_id == tenant,
               OrderEvent.order_id.in_(involved) | OrderEvent.order_id.in_(failed_orders))
        .order_by(OrderEvent.order_id, OrderEvent.at, OrderEvent.id)).all()
    timeline: dict[int, list[tuple[datetime, str | None, str, str]]] = defaultdict(list)
    numbers: dict[int, str] = {}
    for e in events:
        timeline[e.order_id].append((e.at, e.from_status, e.to_status, e.note))
        numbers[e.order_id] = e.number
    items: list[QueueItem] = []
    for order_id, moves in timeline.items():
        for i, (at, _, after, note) in enumerate(moves):
            if after == "on_hold":
                released = next((later for later, before, _, _ in moves[i + 1:] if before == "on_hold"), None)
                items.append(QueueItem("order on hold", numbers[order_id], at, released, note))
    for f in failed:
        settled = next((at for at, _, after, _ in timeline.get(f.order_id, [])
                        if at >= f.updated_at and after in ("paid", "cancelled")), None)
        items.append(QueueItem("failed payment", f.number, f.updated_at, settled,
                               f"payment {f.id} ({f.gateway}) {f.message}".strip()))
    return items


def _open_items(uow: UnitOfWork, end: datetime) -> list[QueueItem]:
    """The kinds kept as rows of their own: open while the row says so, or (refused channel orders) until resolved."""
    tenant = uow.tenant_id
    items = [QueueItem("short pick", f"pick line {d.pick_line_id}", d.created_at, None,
                       f"{d.missing} missing of {d.expected}: {d.outcome}")
             for d in uow.execute(select(PickDiscrepancy).where(PickDiscrepancy.tenant_id == tenant,
                                                               PickDiscrepancy.state == "open",
                                                               PickDiscrepancy.created_at < end)).scalars()]
    items += [QueueItem("shipment exception", f"shipment {s.tracking_number}", s.at, None, s.note)
              for s in uow.execute(
                  select(Shipment.tracking_number, func.max(ShipmentEvent.at).label("at"),
                         func.max(ShipmentEvent.note).label("note"))
                  .join(ShipmentEvent, ShipmentEvent.shipment_id == Shipment.id)
                  .where(Shipment.tenant_id == tenant, Shipment.status == "exception",
                         ShipmentEvent.status == "exception")
                  .group_by(Shipment.id, Shipment.tracking_number)) if s.at < end]
    items += [QueueItem("dead letter", f"{d.event_type} → {d.consumer}", d.failed_at or d.created_at, None,
                        d.last_error[:200])
              for d in uow.execute(select(Delivery).where(Delivery.tenant_id == tenant, Delivery.state == "dead")
                                   ).scalars() if (d.failed_at or d.created_at) < end]
    last_attempt = func.coalesce(func.max(WebhookAttempt.at), WebhookDelivery.created_at)
    items += [QueueItem("failed webhook", f"{w.event_type} delivery {w.id}", w.at, None, w.last_error)
              for w in uow.execute(
                  select(WebhookDelivery.id, WebhookDelivery.event_type, WebhookDelivery.last_error,
                         last_attempt.label("at"))
                  .outerjoin(WebhookAttempt, WebhookAttempt.delivery_id == WebhookDelivery.id)
                  .where(WebhookDelivery.tenant_id == tenant, WebhookDelivery.status == "failed")
                  .group_by(WebhookDelivery.id, WebhookDelivery.event_type, WebhookDelivery.last_error,
                            WebhookDelivery.created_at)) if w.at < end]
    r = ChannelOrderRejection
    items += [QueueItem("refused channel order", f"site order {x.external_order_id}", x.received_at, x.resolved_at,
                        f"{x.field}: {x.message}" if x.field else x.message)
              for x in uow.execute(select(r).where(r.tenant_id == tenant, r.received_at < end)).scalars()]
    return items


@kpi("exception-queue", "Exception queue volume", "open items", "Operations", higher_is_better=False,
     filters={"kind": KINDS})
def exception_queue(uow: UnitOfWork, period: Period) -> KpiResult:
    start, end = window(period)
    now = utcnow()
    items = [i for i in _order_items(uow, end) + _open_items(uow, end) if period.filter("kind") in (None, i.kind)]
    ends = bucket_ends(period, now)
    measured = min(end, now)
    shown = sorted((i for i in items if i.closed_at is None or i.closed_at >= start),
                   key=lambda i: (i.raised_at, i.kind, i.reference))
    kinds = [k for k in KINDS if any(i.kind == k for i in items)]
    return KpiResult(
        value=float(sum(i.open_at(measured) for i in items)),
        series=[Point(b, float(sum(i.open_at(at) for i in items))) for b, at in ends],
        extra_series={k: [Point(b, float(sum(i.open_at(at) for i in items if i.kind == k))) for b, at in ends]
                      for k in kinds},
        breakdown=Table(("kind", "open at period end", "raised in period"),
                        [(k, sum(i.open_at(measured) for i in items if i.kind == k),
                          sum(start <= i.raised_at < end for i in items if i.kind == k)) for k in KINDS]),
        transactions=Table(("kind", "reference", "raised at", "closed at", "detail"),
                           [(i.kind, i.reference, i.raised_at, i.closed_at, i.detail) for i in shown]),
        links={"kind": "kind"},
        note=("Exceptions open at each bucket's end: orders on hold, failed payments until the order is paid or "
              "cancelled, open short picks, shipment exceptions, dead-lettered integration events, failed webhook "
              "deliveries, and site orders refused on their webhook or a poll until the same order is taken; short "
              "picks, shipment exceptions, dead letters and failed webhooks record no closing time, so only those "
              "still open are counted (orders refused in a CSV import are reported to the importer, not kept)."))

"""A small order history for the order, returns, finance, supplier and operations KPIs, with every time chosen so
that each figure can be worked out by hand (the tests spell the arithmetic out).

The warehouses, locations, SKUs and receipt costs are made through the real services; the history itself (orders
placed weeks ago, their timelines, shipments, returns, purchase orders, picks, exceptions) is written row by row at
fixed past times, because the services stamp the current time and a KPI is about the past. The rows follow what the
services write (statuses, event timelines, document links), only with chosen times.

The period measured is 2026-03-02 (Monday) to 2026-03-15 (Sunday) in weekly buckets: W1 = 03-02, W2 = 03-09.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Table, insert, select

from stockyard.analytics.kpi import KPIS, KpiResult, Period
from stockyard.billing.journal_models import JournalEntry, JournalLine
from stockyard.billing.models import Payment, PaymentMethod
from stockyard.catalog.models import Sku
from stockyard.fulfilment.execution_models import PickDiscrepancy, PickLine, PickList
from stockyard.fulfilment.models import Carrier, Shipment, ShipmentEvent, ShipmentLine, ShippingMethod
from stockyard.integration.channels.models import ChannelConnection, ChannelOrderRejection
from stockyard.integration.models import Delivery
from stockyard.integration.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from stockyard.inventory.models import Location, Reservation, StockMove
from stockyard.purchasing.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Supplier,
)
from stockyard.returns.models import ReturnAuthorization, ReturnEvent, ReturnLine
from stockyard.sales.models import Channel, Order, OrderAllocation, OrderEvent, OrderLine
from tests.conftest import TenantCtx, new_tenant
from tests.factories import build_world, receive

PERIOD = Period(date(2026, 3, 2), date(2026, 3, 15), "week")
W1, W2 = date(2026, 3, 2), date(2026, 3, 9)
LATER = {"promised_date": "2026-04-30"}  # orders that are not meant to count for OTIF


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute)


@dataclass
class History:
    ctx: TenantCtx
    other: TenantCtx  # a second tenant with its own exceptions, that must never show up

    def compute(self, key: str, period: Period = PERIOD) -> KpiResult:
        with self.ctx.uow() as uow:
            return KPIS[key].compute(uow, period)


class Writer:
    def __init__(self, conn: Connection, tenant_id: int) -> None:
        self.conn, self.tenant_id = conn, tenant_id
        self.orders: dict[str, int] = {}
        self.lines: dict[tuple[str, str], int] = {}
        self.sku: dict[str, int] = {}
        self.loc: dict[str, int] = {}
        self.wh = 0
        self.tracking = 0

    def add(self, model: Any, **values: Any) -> int:
        table: Table = model.__table__
        if "tenant_id" in table.c and "tenant_id" not in values:
            values["tenant_id"] = self.tenant_id
        return int(self.conn.execute(insert(table).returning(table.c.id), values).scalar_one())

    def order(self, number: str, channel: int, placed: datetime, lines: list[tuple[str, int, str, str]],
              status: str = "shipped", quote: dict[str, str] | None = None, shipping: str = "0",
              includes_tax: bool = True, method: int | None = None) -> int:
        """lines: (sku, quantity, line total, tax rate)."""
        subtotal = sum(Decimal(total) for _, _, total, _ in lines)
        order_id = self.add(Order, number=number, channel_id=channel, email="buyer@example.com", status=status,
                            currency="EUR", subtotal=subtotal, shipping_total=Decimal(shipping),
                            grand_total=subtotal + Decimal(shipping), prices_include_tax=includes_tax,
                            shipping_method_id=method, shipping_quote=quote, shipping_address={"country": "DE"},
                            placed_at=placed, updated_at=placed, created_at=placed)
        self.orders[number] = order_id
        for sku, quantity, total, rate in lines:
            self.lines[(number, sku)] = self.add(
                OrderLine, order_id=order_id, sku_id=self.sku[sku], sku_code=sku, name=sku, quantity=quantity,
                unit_price=Decimal(total) / quantity, line_total=Decimal(total), tax_rate=Decimal(rate))
        return order_id

    def events(self, number: str, *steps: tuple[str | None, str, datetime], actor: str = "") -> None:
        for before, after, when in steps:
            self.add(OrderEvent, order_id=self.orders[number], from_status=before, to_status=after, at=when,
                     actor_name=actor, note=f"{after} at {when:%m-%d %H:%M}")

    def set_progress(self, number: str, sku: str, **progress: int | date) -> None:
        line = OrderLine.__table__
        self.conn.execute(line.update().where(line.c.id == self.lines[(number, sku)]).values(**progress))

    def shipment(self, number: str, shipped: datetime, items: list[tuple[str, int]], cost: str, method: int,
                 delivered: datetime | None = None, status: str = "shipped") -> int:
        self.tracking += 1
        shipment_id = self.add(Shipment, order_id=self.orders[number], warehouse_id=self.wh, method_id=method,
                               carrier_code="DPD", tracking_number=f"T{self.tracking:04d}", status=status,
                               cost=Decimal(cost), currency="EUR", shipped_at=shipped, delivered_at=delivered,
                               created_at=shipped)
        for sku, quantity in items:
            self.add(ShipmentLine, shipment_id=shipment_id, order_line_id=self.lines[(number, sku)],
                     sku_id=self.sku[sku], quantity=quantity)
        return shipment_id

    def shipped_moves(self, shipment_id: int, sku: str, quantity: int, unit_cost: str | None, when: datetime) -> None:
        customer = self.conn.execute(select(Location.id).where(Location.tenant_id == self.tenant_id,
                                                                Location.usage == "customer")).scalars().first()
        self.add(StockMove, sku_id=self.sku[sku], quantity=quantity, from_location_id=self.loc["MAIN/A/01"],
                 to_location_id=customer, from_status="sellable", to_status="sellable", reason="shipment",
                 document_type="shipment", document_id=str(shipment_id),
                 unit_cost=None if unit_cost is None else Decimal(unit_cost), created_at=when)

    def cogs_entry(self, number: str, cost: str, when: datetime) -> None:
        entry = self.add(JournalEntry, kind="cogs", posted_at=when, currency="EUR", reference=number,
                         order_id=self.orders[number], source_event_id=f"cogs-{number}-{when:%m%d}",
                         source_event_type="shipment.created.v1", created_at=when)
        self.add(JournalLine, entry_id=entry, position=1, account="5000", debit=Decimal(cost), credit=Decimal(0))
        self.add(JournalLine, entry_id=entry, position=2, account="1200", debit=Decimal(0), credit=Decimal(cost))

    def return_(self, number: str, order: str, reason: str, status: str, lines: list[tuple[str, int, int]],
                steps: list[tuple[str | None, str, datetime]]) -> None:
        created = steps[0][2]
        return_id = self.add(ReturnAuthorization, number=number, order_id=self.orders[order], status=status,
                             initiated_by="customer", reason=reason, created_at=created, updated_at=steps[-1][2])
        for sku, quantity, received in lines:
            self.add(ReturnLine, return_id=return_id, order_line_id=self.lines[(order, sku)], sku_id=self.sku[sku],
                     quantity=quantity, received=received)
        for before, after, when in steps:
            self.add(ReturnEvent, return_id=return_id, from_status=before, to_status=after, at=when)

    def picks(self, number: str | None, kind: str, lines: list[tuple[str, int, int, str, datetime | None]]) -> int:
        """lines: (sku, quantity, picked, picker, picked at)."""
        list_id = self.add(PickList, warehouse_id=self.wh, kind=kind,
                           order_id=self.orders[number] if number else None, state="picked",
                           created_at=at(3, 1))
        for position, (sku, quantity, picked, who, when) in enumerate(lines):
            self.add(PickLine, pick_list_id=list_id, position=position, sku_id=self.sku[sku],
                     location_id=self.loc["MAIN/A/01"], quantity=quantity, picked=picked,
                     state="picked" if picked == quantity else "short", picked_by_name=who, picked_at=when)
        return list_id


def build_history(engine: Engine) -> History:
    ctx = new_tenant(engine)
    build_world(ctx, skus=2)
    # Receipt costs of SKU-001: 10 at 5.00 and 10 at 6.00, an average of 5.50 (for shipment moves without a cost).
    receive(ctx, "SKU-001", "MAIN/A/01", 10, unit_cost=Decimal("5.00"))
    receive(ctx, "SKU-001", "MAIN/A/01", 10, unit_cost=Decimal("6.00"))
    other = new_tenant(engine)
    with engine.begin() as conn:
        w = Writer(conn, ctx.tenant_id)
        w.sku = {code: i for i, code in conn.execute(select(Sku.id, Sku.code).where(Sku.tenant_id == ctx.tenant_id))}
        w.loc = {path: i for i, path in conn.execute(select(Location.id, Location.path)
                                                     .where(Location.tenant_id == ctx.tenant_id))}
        w.wh = conn.execute(select(Location.warehouse_id).where(Location.id == w.loc["MAIN/A/01"])).scalar_one()
        _write(w)
        conn.execute(insert(Delivery.__table__), {
            "consumer": "channel.stock_push", "event_id": "other-tenant-dead", "outbox_id": 1,
            "tenant_id": other.tenant_id, "event_type": "stock.changed.v1", "state": "dead", "attempts": 5,
            "failed_at": at(3, 5), "created_at": at(3, 5), "next_attempt_at": at(3, 5)})
    return History(ctx, other)


def _write(w: Writer) -> None:  # noqa: PLR0915 - one history, told in order
    web = w.add(Channel, code="WEB", name="Web shop", kind="storefront", currency="EUR", prices_include_tax=True,
                tax_rate=Decimal("0.2"))
    b2b = w.add(Channel, code="B2B", name="Trade", kind="b2b", currency="EUR", prices_include_tax=False,
                tax_rate=Decimal(0))
    carrier = w.add(Carrier, code="DPD", name="DPD")
    method = w.add(ShippingMethod, carrier_id=carrier, code="STD", name="Standard", currency="EUR", transit_days=2)

    # ---- orders that ship (OTIF, cycle time, margin, return rate) ----------------------------------------------
    w.order("SO-1", web, at(3, 2, 9), [("SKU-001", 2, "24.00", "0.2"), ("SKU-002", 1, "12.00", "0.2")],
            quote={"promised_date": "2026-03-05"}, shipping="6.00", method=method)
    w.events("SO-1", (None, "placed", at(3, 2, 9)), ("placed", "paid", at(3, 2, 9, 30)),
             ("paid", "allocated", at(3, 2, 10)), ("allocated", "picking", at(3, 2, 14)))
    w.events("SO-1", ("picking", "packed", at(3, 2, 16)), actor="Carol")
    w.events("SO-1", ("packed", "shipped", at(3, 3, 10)), ("shipped", "delivered", at(3, 4, 12)))
    s1 = w.shipment("SO-1", at(3, 3, 10), [("SKU-001", 2), ("SKU-002", 1)], "4.00", method, delivered=at(3, 4, 12))
    w.set_progress("SO-1", "SKU-001", allocated=2, shipped=2, returned=1)
    w.set_progress("SO-1", "SKU-002", allocated=1, shipped=1)
    w.shipped_moves(s1, "SKU-001", 2, "5.00", at(3, 3, 10))  # the journal's 14.00 wins over the moves
    w.cogs_entry("SO-1", "14.00", at(3, 3, 10))

    w.order("SO-2", web, at(3, 2, 10), [("SKU-001", 4, "48.00", "0.2")], status="partially_shipped",
            quote={"promised_date": "2026-03-04"}, method=method)
    s2 = w.shipment("SO-2", at(3, 3, 11), [("SKU-001", 2)], "3.00", method)
    w.set_progress("SO-2", "SKU-001", allocated=2, shipped=2)
    w.shipped_moves(s2, "SKU-001", 2, "5.00", at(3, 3, 11))

    w.order("SO-3", b2b, at(3, 9, 8), [("SKU-002", 3, "45.00", "0")], shipping="5.00", includes_tax=False,
            method=method)
    w.shipment("SO-3", at(3, 11, 9), [("SKU-002", 3)], "9.00", method, status="cancelled")
    w.shipment("SO-3", at(3, 12, 9), [("SKU-002", 3)], "6.00", method, delivered=at(3, 13, 10))
    w.set_progress("SO-3", "SKU-002", allocated=3, shipped=3, returned=2)
    w.cogs_entry("SO-3", "24.00", at(3, 12, 9))

    w.order("SO-4", b2b, at(3, 9, 8), [("SKU-002", 1, "15.00", "0")], quote={"promised_date": "2026-03-11"},
            includes_tax=False, method=method)
    w.events("SO-4", (None, "placed", at(3, 9, 8)), ("placed", "allocated", at(3, 9, 9)),
             ("allocated", "picking", at(3, 9, 11)))
    w.events("SO-4", ("picking", "packed", at(3, 9, 12, 30)), actor="Bob")
    w.events("SO-4", ("packed", "shipped", at(3, 10, 8)), ("shipped", "delivered", at(3, 11, 15)))
    w.shipment("SO-4", at(3, 10, 8), [("SKU-002", 1)], "2.00", method, delivered=at(3, 11, 15))
    w.set_progress("SO-4", "SKU-002", allocated=1, shipped=1)
    w.cogs_entry("SO-4", "8.00", at(3, 10, 8))
    w.cogs_entry("SO-4", "100.00", at(2, 10, 8))  # posted before the period: not counted

    w.order("SO-7", web, at(3, 10, 8), [("SKU-001", 2, "21.60", "0.2")], quote={"promised_date": "2026-03-13"},
            shipping="3.60", method=method)
    w.events("SO-7", (None, "placed", at(3, 10, 8)), ("placed", "paid", at(3, 10, 8, 6)),
             ("paid", "allocated", at(3, 10, 9)), ("allocated", "picking", at(3, 10, 10)))
    w.events("SO-7", ("picking", "packed", at(3, 10, 10, 30)), actor="Carol")
    w.events("SO-7", ("packed", "shipped", at(3, 11, 9)), ("shipped", "delivered", at(3, 12, 11)))
    s7 = w.shipment("SO-7", at(3, 11, 9), [("SKU-001", 2)], "2.50", method, delivered=at(3, 12, 11))
    w.set_progress("SO-7", "SKU-001", allocated=2, shipped=2)
    w.shipped_moves(s7, "SKU-001", 2, None, at(3, 11, 9))  # no cost on the move: the average 5.50

    w.order("SO-8", b2b, at(2, 27, 10), [("SKU-001", 1, "10.00", "0")], quote={"promised_date": "2026-02-28"},
            includes_tax=False, method=method)
    w.events("SO-8", (None, "placed", at(2, 27, 10)), ("placed", "paid", at(2, 27, 11)),
             ("paid", "allocated", at(2, 27, 12)), ("allocated", "picking", at(3, 2, 8)))
    w.events("SO-8", ("picking", "packed", at(3, 2, 16, 20)), actor="Carol")
    w.events("SO-8", ("packed", "shipped", at(3, 2, 18, 20)))
    s8 = w.shipment("SO-8", at(3, 2, 18, 20), [("SKU-001", 1)], "1.50", method)
    w.set_progress("SO-8", "SKU-001", allocated=1, shipped=1, returned=1)
    w.shipped_moves(s8, "SKU-001", 1, "5.00", at(3, 2, 18, 20))

    # ---- backorders ------------------------------------------------------------------------------------------
    w.order("SO-10", web, at(3, 3, 9), [("SKU-001", 5, "60.00", "0.2"), ("SKU-002", 2, "24.00", "0.2")],
            status="allocated", quote=LATER)
    w.events("SO-10", ("paid", "partially_allocated", at(3, 3, 9, 5)), ("partially_allocated", "allocated",
                                                                        at(3, 10, 12)))
    _allocate(w, "SO-10", "SKU-001", 2, at(3, 3, 9, 5))
    _allocate(w, "SO-10", "SKU-002", 2, at(3, 3, 9, 5))
    _allocate(w, "SO-10", "SKU-001", 3, at(3, 10, 12))
    w.order("SO-11", b2b, at(2, 20, 10), [("SKU-002", 4, "60.00", "0")], status="backordered", quote=LATER,
            includes_tax=False)
    w.events("SO-11", ("placed", "backordered", at(2, 20, 10, 1)))
    w.set_progress("SO-11", "SKU-002", backordered=4, backorder_expected_on=date(2026, 3, 20))
    w.order("SO-12", web, at(3, 11, 10), [("SKU-001", 1, "12.00", "0.2")], status="cancelled", quote=LATER)
    w.events("SO-12", ("paid", "backordered", at(3, 11, 10)), ("backordered", "cancelled", at(3, 13, 10)))
    w.order("SO-13", web, at(3, 12, 10), [("SKU-002", 3, "36.00", "0.2")], status="partially_allocated",
            quote=LATER)
    w.events("SO-13", ("paid", "partially_allocated", at(3, 12, 10)))
    _allocate(w, "SO-13", "SKU-002", 1, at(3, 12, 10))
    _allocate(w, "SO-13", "SKU-002", 2, at(3, 12, 10), state="released")
    w.set_progress("SO-13", "SKU-002", allocated=1, backordered=2)
    w.set_progress("SO-10", "SKU-001", allocated=5)
    w.set_progress("SO-10", "SKU-002", allocated=2)

    # ---- exceptions -----------------------------------------------------------------------------------------
    w.order("SO-14", web, at(3, 1, 10), [("SKU-001", 1, "12.00", "0.2")], status="allocated", quote=LATER)
    w.events("SO-14", ("allocated", "on_hold", at(3, 4, 10)), ("on_hold", "allocated", at(3, 10, 9)))
    w.order("SO-15", web, at(3, 11, 10), [("SKU-001", 1, "12.00", "0.2")], status="on_hold", quote=LATER)
    w.events("SO-15", ("paid", "on_hold", at(3, 12, 8)))
    pay = w.add(PaymentMethod, name="Card", gateway="test")
    w.order("SO-16", web, at(3, 5, 8), [("SKU-001", 1, "12.00", "0.2")], status="cancelled", quote=LATER)
    w.add(Payment, order_id=w.orders["SO-16"], method_id=pay, gateway="test", state="failed",
          amount=Decimal("12.00"), currency="EUR", idempotency_key="pay-16", message="card declined",
          created_at=at(3, 5, 9), updated_at=at(3, 5, 10))
    w.events("SO-16", ("awaiting_payment", "cancelled", at(3, 6, 9)))
    w.order("SO-17", web, at(3, 13, 11), [("SKU-001", 1, "12.00", "0.2")], status="awaiting_payment", quote=LATER)
    w.add(Payment, order_id=w.orders["SO-17"], method_id=pay, gateway="test", state="failed",
          amount=Decimal("12.00"), currency="EUR", idempotency_key="pay-17", message="card declined",
          created_at=at(3, 13, 12), updated_at=at(3, 13, 12))
    w.order("SO-18", web, at(2, 10, 10), [("SKU-002", 1, "12.00", "0.2")], quote={"promised_date": "2026-02-13"},
            method=method)
    s18 = w.shipment("SO-18", at(2, 11, 10), [("SKU-002", 1)], "2.00", method, status="exception")
    w.add(ShipmentEvent, shipment_id=s18, status="in_transit", at=at(2, 11, 10))
    w.add(ShipmentEvent, shipment_id=s18, status="exception", at=at(3, 10, 14), note="address not found")
    w.conn.execute(insert(Delivery.__table__), {
        "consumer": "accounting.journal", "event_id": "dead-1", "outbox_id": 1, "tenant_id": w.tenant_id,
        "event_type": "invoice.issued.v1", "state": "dead", "attempts": 5, "failed_at": at(3, 8, 12),
        "created_at": at(3, 8, 10), "next_attempt_at": at(3, 8, 12), "last_error": "boom"})
    hook = w.add(WebhookSubscription, url="https://example.com/hook", secret="s", event_types=["order.placed.v1"])
    delivery = w.add(WebhookDelivery, subscription_id=hook, event_id="e-1", event_type="order.placed.v1",
                     payload={}, status="failed", attempts=2, created_at=at(3, 9, 10), last_error="HTTP 500")
    w.add(WebhookAttempt, delivery_id=delivery, at=at(3, 9, 10), status_code=500)
    w.add(WebhookAttempt, delivery_id=delivery, at=at(3, 14, 10), status_code=500)
    site = w.add(ChannelConnection, channel_id=web, name="Parts site", adapter="generic",
                 base_url="https://parts-site.example", webhook_secret="not-used")
    w.add(ChannelOrderRejection, connection_id=site, external_order_id="A-77", received_via="webhook",
          field="lines[0].sku", message="unknown SKU NO-SUCH", received_at=at(3, 5, 10), resolved_at=at(3, 11, 9))

    # ---- picking (the short pick is also an exception) ---------------------------------------------------------
    w.picks("SO-1", "order", [("SKU-001", 2, 2, "Alice", at(3, 2, 13, 10)), ("SKU-002", 1, 1, "Alice",
                                                                              at(3, 2, 13, 40))])
    w.picks("SO-8", "order", [("SKU-001", 1, 1, "Alice", at(3, 2, 13, 55))])
    short = w.picks("SO-4", "order", [("SKU-002", 1, 1, "Bob", at(3, 9, 10, 15)), ("SKU-001", 2, 2, "Bob",
                                                                                     at(3, 9, 11, 20)),
                                      ("SKU-002", 1, 0, "Bob", at(3, 9, 11, 30))])
    w.picks(None, "replenishment", [("SKU-001", 5, 5, "Bob", at(3, 9, 11, 45))])
    w.picks("SO-7", "order", [("SKU-001", 2, 1, "Bob", at(3, 10, 9, 50))])
    line = w.conn.execute(select(PickLine.id).where(PickLine.pick_list_id == short, PickLine.picked == 0)).scalar_one()
    for state, when in (("open", at(3, 3, 12)), ("resolved", at(3, 4, 12))):
        w.add(PickDiscrepancy, pick_line_id=line, warehouse_id=w.wh, location_id=w.loc["MAIN/A/01"],
              sku_id=w.sku["SKU-002"], expected=1, found=0, missing=1, outcome="backordered", state=state,
              created_at=when)

    # ---- returns -------------------------------------------------------------------------------------------
    w.return_("RMA-1", "SO-1", "damaged", "refunded", [("SKU-001", 1, 1)],
              [(None, "requested", at(3, 5, 10)), ("requested", "authorized", at(3, 5, 12)),
               ("authorized", "received", at(3, 9, 9)), ("received", "refunded", at(3, 10, 15))])
    w.return_("RMA-2", "SO-3", "wrong_item", "refunded", [("SKU-002", 2, 2)],
              [(None, "requested", at(3, 12, 12)), ("requested", "received", at(3, 13, 10)),
               ("received", "refunded", at(3, 13, 16))])
    w.return_("RMA-3", "SO-2", "damaged", "requested", [("SKU-001", 1, 0)], [(None, "requested", at(3, 6, 9))])
    w.return_("RMA-4", "SO-8", "no_longer_needed", "refunded", [("SKU-001", 1, 1)],
              [(None, "requested", at(3, 3, 8)), ("requested", "received", at(3, 4, 10)),
               ("received", "refunded", at(3, 4, 11, 30))])
    w.return_("RMA-5", "SO-4", "not_as_described", "refunded", [("SKU-002", 1, 0)],
              [(None, "requested", at(3, 11, 9)), ("requested", "refunded", at(3, 12, 9))])

    # ---- purchasing ----------------------------------------------------------------------------------------
    acme = w.add(Supplier, code="ACME", name="Acme Supply", currency="EUR")
    bolt = w.add(Supplier, code="BOLT", name="Bolt & Co", currency="EUR")
    po1 = _po(w, "PO-1", acme, sent=at(3, 1, 9), expected=date(2026, 3, 6),
              lines=[("SKU-001", 10, None), ("SKU-002", 5, date(2026, 3, 10))])
    po2 = _po(w, "PO-2", bolt, sent=at(3, 2, 10), expected=date(2026, 3, 9), lines=[("SKU-001", 20, None)])
    po3 = _po(w, "PO-3", bolt, sent=None, expected=date(2026, 2, 27), lines=[("SKU-002", 4, None)])
    _receipt(w, "GR-1", po1, "SKU-001", 10, at(3, 5, 14))
    _receipt(w, "GR-2", po1, "SKU-002", 5, at(3, 12, 10))
    _receipt(w, "GR-3", po2, "SKU-001", 8, at(3, 9, 16))
    _receipt(w, "GR-4", po2, "SKU-001", 12, at(3, 13, 9))
    _receipt(w, "GR-5", po3, "SKU-002", 4, at(2, 28, 9))
    _receipt(w, "GR-6", None, "SKU-002", 1, at(3, 10, 9))  # blind: no order to be late against


def _allocate(w: Writer, number: str, sku: str, quantity: int, when: datetime, state: str = "allocated") -> None:
    # The reservation is history too: ended (consumed or released), so it holds no stock level today.
    reservation = w.add(Reservation, sku_id=w.sku[sku], warehouse_id=w.wh, quantity=quantity,
                        state="released" if state == "released" else "consumed", reference=f"order {number}",
                        created_at=when, ended_at=when)
    w.add(OrderAllocation, order_id=w.orders[number], order_line_id=w.lines[(number, sku)], warehouse_id=w.wh,
          reservation_id=reservation, quantity=quantity, state=state, created_at=when)


def _po(w: Writer, number: str, supplier: int, sent: datetime | None, expected: date,
        lines: list[tuple[str, int, date | None]]) -> dict[str, int]:
    po = w.add(PurchaseOrder, number=number, supplier_id=supplier, warehouse_id=w.wh, state="received",
               currency="EUR", expected_on=expected, sent_at=sent, created_at=sent or at(2, 20))
    return {sku: w.add(PurchaseOrderLine, purchase_order_id=po, sku_id=w.sku[sku], quantity=quantity,
                       received=quantity, unit_cost=Decimal("5.00"), expected_on=line_expected)
            for sku, quantity, line_expected in lines} | {"": po}


def _receipt(w: Writer, number: str, po: dict[str, int] | None, sku: str, quantity: int, when: datetime) -> None:
    receipt = w.add(GoodsReceipt, number=number, kind="purchase_order" if po else "blind",
                    purchase_order_id=po[""] if po else None, warehouse_id=w.wh, location_id=w.loc["MAIN/A/01"],
                    created_at=when)
    w.add(GoodsReceiptLine, receipt_id=receipt, po_line_id=po[sku] if po else None, sku_id=w.sku[sku],
          quantity=quantity)


_built: dict[int, History] = {}


@pytest.fixture(scope="session")
def history(engine: Engine) -> History:
    """Built once per database for every KPI test module that imports this fixture."""
    if id(engine) not in _built:
        _built[id(engine)] = build_history(engine)
    return _built[id(engine)]

"""Gross margin after shipping and discounts, by channel, for the goods shipped in a period.

Revenue is recognised when goods ship: each shipped unit at its order line's price (line totals already carry any
discount), net of tax; the order's shipping charge, net of tax, counts with its first shipment. Cost of goods sold
comes from the journal's COGS entries of the order posted in the period when there are any (billing/journal.py posts
one per shipment), else (e.g. the journal consumer has not caught up) from the shipment's stock moves at their unit
cost (the SKU's average receipt cost where a move has none). The carriers' charge for each shipment is a cost too.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import aliased

from stockyard.analytics.kpi import KpiResult, Period, Table, kpi
from stockyard.analytics.kpi_stats import bucket_of, ratio, rounded, series, window
from stockyard.billing.journal import SHIPMENT_DOCUMENT
from stockyard.billing.journal_domain import COGS
from stockyard.billing.journal_models import JournalEntry, JournalLine
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.models import Shipment, ShipmentLine
from stockyard.inventory.models import StockMove
from stockyard.inventory.queries import average_costs
from stockyard.sales.models import Channel, Order, OrderLine

CENT = Decimal("0.01")


@dataclass
class Figures:
    revenue: Decimal = Decimal(0)
    shipping: Decimal = Decimal(0)
    cogs: Decimal = Decimal(0)
    carrier: Decimal = Decimal(0)
    shipments: set[int] = field(default_factory=set)

    @property
    def sales(self) -> Decimal:
        return self.revenue + self.shipping

    @property
    def margin(self) -> Decimal:
        return self.sales - self.cogs - self.carrier

    def percent(self) -> float | None:
        return rounded(ratio(float(self.margin), float(self.sales)))


def net_of_tax(amount: Decimal, rate: Decimal, includes_tax: bool) -> Decimal:
    return amount / (1 + rate) if includes_tax else amount


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_EVEN)


@kpi("gross-margin", "Gross margin after shipping and discounts", "%", "Finance", filters={"channel": ()})
def gross_margin(uow: UnitOfWork, period: Period) -> KpiResult:
    tenant = uow.tenant_id
    start, end = window(period)
    in_window = (Shipment.tenant_id == tenant, Shipment.status != "cancelled", Shipment.shipped_at >= start,
                 Shipment.shipped_at < end)
    name = period.filter("channel")
    channel = [Order.channel_id.in_(select(Channel.id).where(Channel.tenant_id == tenant, Channel.name == name))
               ] if name else []
    earlier = aliased(Shipment)
    first_shipment = (select(func.min(earlier.id)).where(earlier.tenant_id == tenant, earlier.status != "cancelled",
                                                         earlier.order_id == Shipment.order_id).scalar_subquery())
    shipments = uow.conn.execute(
        select(Shipment.id, Shipment.order_id, Shipment.shipped_at, Shipment.cost, Order.number,
               Order.shipping_total, Order.prices_include_tax, Channel.name.label("channel"), Channel.tax_rate,
               (Shipment.id == first_shipment).label("first"))
        .join(Order, Order.id == Shipment.order_id).join(Channel, Channel.id == Order.channel_id)
        .where(*in_window, *channel)).all()
    lines = uow.conn.execute(
        select(ShipmentLine.shipment_id, ShipmentLine.quantity, OrderLine.line_total,
               OrderLine.quantity.label("ordered"), OrderLine.tax_rate)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(OrderLine, OrderLine.id == ShipmentLine.order_line_id)
        .where(*in_window)).all()
    shipped_orders = select(Shipment.order_id).join(Order, Order.id == Shipment.order_id).where(*in_window, *channel)
    cogs_entries = (JournalEntry.tenant_id == tenant, JournalEntry.kind == "cogs", JournalEntry.posted_at >= start,
                    JournalEntry.posted_at < end)
    journal = uow.conn.execute(
        select(JournalEntry.order_id, JournalEntry.posted_at, func.sum(JournalLine.debit).label("cost"))
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(*cogs_entries, JournalLine.account == COGS, JournalEntry.order_id.in_(shipped_orders))
        .group_by(JournalEntry.id, JournalEntry.order_id, JournalEntry.posted_at)).all()
    journaled = {j.order_id for j in journal}
    unjournaled = (select(cast(Shipment.id, String)).join(Order, Order.id == Shipment.order_id)
                   .where(*in_window, *channel,
                          Shipment.order_id.not_in(select(JournalEntry.order_id).where(*cogs_entries,
                                                                                       JournalEntry.order_id.is_not(None)))))
    moves = uow.conn.execute(
        select(StockMove.document_id, StockMove.sku_id, StockMove.quantity, StockMove.unit_cost)
        .where(StockMove.tenant_id == tenant, StockMove.document_type == SHIPMENT_DOCUMENT,
               StockMove.document_id.in_(unjournaled))).all()
    averages = average_costs(uow) if any(m.unit_cost is None for m in moves) else {}

    by_shipment = {s.id: s for s in shipments}
    orders: dict[int, Figures] = defaultdict(Figures)
    buckets: dict[date, Figures] = defaultdict(Figures)
    for s in shipments:
        shipping = net_of_tax(s.shipping_total, s.tax_rate, s.prices_include_tax) if s.first else Decimal(0)
        for tally in (orders[s.order_id], buckets[bucket_of(s.shipped_at, period)]):
            tally.carrier += s.cost
            tally.shipping += shipping
        orders[s.order_id].shipments.add(s.id)
    for line in lines:
        if line.shipment_id not in by_shipment:
            continue  # another channel's
        s = by_shipment[line.shipment_id]
        revenue = net_of_tax(line.line_total * line.quantity / line.ordered, line.tax_rate, s.prices_include_tax)
        orders[s.order_id].revenue += revenue
        buckets[bucket_of(s.shipped_at, period)].revenue += revenue
    for j in journal:
        orders[j.order_id].cogs += j.cost
        buckets[bucket_of(j.posted_at, period)].cogs += j.cost
    for m in moves:
        s = by_shipment[int(m.document_id)]
        cost = m.quantity * (m.unit_cost if m.unit_cost is not None else averages.get(m.sku_id, Decimal(0)))
        orders[s.order_id].cogs += cost
        buckets[bucket_of(s.shipped_at, period)].cogs += cost

    info = {s.order_id: s for s in shipments}
    channels: dict[str, Figures] = defaultdict(Figures)
    rows = []
    for order_id, f in sorted(orders.items(), key=lambda item: info[item[0]].number):
        o = info[order_id]
        c = channels[o.channel]
        c.revenue, c.shipping, c.cogs, c.carrier = (c.revenue + f.revenue, c.shipping + f.shipping, c.cogs + f.cogs,
                                                    c.carrier + f.carrier)
        rows.append((o.number, o.channel, len(f.shipments), _money(f.revenue), _money(f.shipping), _money(f.cogs),
                     "journal" if order_id in journaled else "stock moves", _money(f.carrier), _money(f.margin),
                     f.percent()))
    total = Figures()
    for f in channels.values():
        total.revenue, total.shipping, total.cogs, total.carrier = (total.revenue + f.revenue,
                                                                    total.shipping + f.shipping, total.cogs + f.cogs,
                                                                    total.carrier + f.carrier)
    return KpiResult(
        value=total.percent(),
        series=series(period, {b: f.percent() for b, f in buckets.items()}),
        breakdown=Table(("channel", "revenue net", "shipping charged net", "COGS", "carrier cost", "gross margin",
                         "margin %"),
                        [(name, _money(f.revenue), _money(f.shipping), _money(f.cogs), _money(f.carrier),
                          _money(f.margin), f.percent()) for name, f in sorted(channels.items())]),
        transactions=Table(("order", "channel", "shipments", "revenue net", "shipping charged net", "COGS",
                            "COGS from", "carrier cost", "gross margin", "margin %"), rows),
        links={"channel": "channel"},
        note=("(Goods shipped at their line prices after discounts, net of tax, + the shipping charged net of tax, "
              "− COGS from the journal's COGS entries (else the shipment's stock moves at cost) − what carriers "
              "charged for the shipments) ÷ those sales, for shipments in the period, in the orders' currency; "
              "refunds and returns are not deducted."))

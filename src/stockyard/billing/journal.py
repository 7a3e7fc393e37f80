"""The journal: entries posted from business events (the consumer below), and the read model of the journal page,
API and CSV export.

The consumer reads what an event's payload lacks (the order's number and currency, a shipment's stock moves and
their unit cost) from the other contexts' tables, read-only; it writes only the journal tables, and announces each
entry as `journal.entry_posted.v1` for an external accounting system.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select

from stockyard.billing import journal_domain as jd
from stockyard.billing import valuation
from stockyard.billing.journal_models import JournalEntry, JournalLine
from stockyard.core.errors import ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ACCOUNTING_VIEW
from stockyard.integration.consumers import Event, register
from stockyard.inventory.models import StockMove
from stockyard.sales.models import Order

_ENTRIES = JournalEntry.__table__
_LINES = JournalLine.__table__
_MOVES = StockMove.__table__
_ORDERS = Order.__table__

SHIPMENT_DOCUMENT = "shipment"  # fulfilment/shipments.py: the document type of a shipment's stock moves
RECEIPT_REASON = "receipt"


def post_entry(uow: UnitOfWork, draft: jd.Draft, *, tenant_id: int, posted_at: datetime, event: Event,
               order_id: int | None) -> int:
    """Writes one entry, checked for balance again right before the insert, and its event."""
    jd.check_balanced(draft.lines)
    entry_id = int(uow.conn.execute(_ENTRIES.insert().values(
        tenant_id=tenant_id, kind=draft.kind, posted_at=posted_at, currency=draft.currency,
        reference=draft.reference[:64], order_id=order_id, memo=draft.memo[:300], source_event_id=event.event_id,
        source_event_type=event.type, created_at=posted_at).returning(_ENTRIES.c.id)).scalar_one())
    lines = [{"tenant_id": tenant_id, "entry_id": entry_id, "position": i + 1, "account": line.account,
              "debit": line.debit, "credit": line.credit} for i, line in enumerate(draft.lines)]
    uow.conn.execute(_LINES.insert(), lines)
    add_event(uow, "journal.entry_posted.v1", {
        "entry_id": entry_id, "kind": draft.kind, "posted_at": posted_at.isoformat(), "currency": draft.currency,
        "reference": draft.reference, "order_id": order_id, "memo": draft.memo, "source_event_id": event.event_id,
        "source_event_type": event.type,
        "lines": [{"account": line.account, "debit": str(line.debit), "credit": str(line.credit)}
                  for line in draft.lines]})
    return entry_id


# ---- from events to drafts ----------------------------------------------------------------------------------------

def _order(uow: UnitOfWork, tenant_id: int, order_id: int | None) -> Row[Any] | None:
    if order_id is None:
        return None
    return uow.conn.execute(select(_ORDERS.c.number, _ORDERS.c.currency, _ORDERS.c.shipping_total,
                                   _ORDERS.c.tax_total, _ORDERS.c.grand_total).where(
        _ORDERS.c.tenant_id == tenant_id, _ORDERS.c.id == order_id)).first()


def _average_costs(uow: UnitOfWork, tenant_id: int, sku_ids: set[int]) -> dict[int, Decimal]:
    """Weighted average receipt cost per SKU (as inventory/queries.average_costs), for moves without a cost."""
    if not sku_ids:
        return {}
    rows = uow.conn.execute(
        select(_MOVES.c.sku_id, func.sum(_MOVES.c.quantity * _MOVES.c.unit_cost), func.sum(_MOVES.c.quantity))
        .where(_MOVES.c.tenant_id == tenant_id, _MOVES.c.sku_id.in_(sorted(sku_ids)),
               _MOVES.c.reason == RECEIPT_REASON, _MOVES.c.unit_cost.is_not(None))
        .group_by(_MOVES.c.sku_id)).all()
    return {sku_id: Decimal(value) / qty for sku_id, value, qty in rows if qty}


def _moved_cost(uow: UnitOfWork, tenant_id: int, moves: list[Row[Any]]) -> tuple[Decimal, int]:
    """The ONE place that prices moved goods (shipments, returns, receipts, write-offs, count adjustments): what
    these moves (rows with the move's id) took out of stock or brought in, by the tenant's valuation method, FIFO or
    moving average (billing/valuation.py), exactly as the valuation report counts it, so that the inventory account
    follows the report. Returns (total cost in cents, units without a cost)."""
    return valuation.moved_cost(uow, tenant_id, [int(m.id) for m in moves])


def _money(payload: dict[str, Any], key: str) -> Decimal:
    return Decimal(str(payload.get(key) or "0"))


def draft_for(uow: UnitOfWork, event: Event) -> tuple[jd.Draft | None, int | None]:
    """The entry an event calls for (None: nothing to post), and the order it belongs to."""
    p, tenant = event.payload, event.tenant_id
    order_id = p.get("order_id")
    order = _order(uow, tenant, order_id)
    number = order.number if order is not None else ""
    if event.type == "invoice.issued.v1":
        return jd.invoice_entry(p["currency"], _money(p, "grand_total"), _money(p, "shipping_total"),
                                _money(p, "tax_total"), reference=p.get("number", ""),
                                memo=f"invoice {p.get('number', '')} for order {p.get('order_number', number)}"
                                ), order_id
    if event.type == "payment.captured.v1":
        return jd.payment_captured_entry(p["currency"], _money(p, "amount"), reference=number,
                                         memo=f"payment {p.get('payment_id')} captured ({p.get('gateway', '')})"
                                         ), order_id
    if event.type == "payment.refunded.v1":
        return jd.payment_refunded_entry(p["currency"], _money(p, "amount"), reference=number,
                                         memo=f"payment {p.get('payment_id')} refunded: {p.get('reason', '')}"
                                         ), order_id
    if order is None:
        return None, order_id
    if event.type == "return.refunded.v1":
        share = jd.tax_share(min(order.tax_total, order.grand_total), order.grand_total)
        shipping = order.shipping_total if p.get("include_shipping") else Decimal(0)
        return jd.return_credit_entry(p.get("currency") or order.currency, _money(p, "amount"), shipping, share,
                                      reference=p.get("number", ""),
                                      memo=f"return {p.get('number', '')} credited on order {number}"), order_id
    if event.type == "shipment.created.v1":
        moves = uow.conn.execute(select(_MOVES.c.id, _MOVES.c.sku_id, _MOVES.c.quantity, _MOVES.c.unit_cost).where(
            _MOVES.c.tenant_id == tenant, _MOVES.c.document_type == SHIPMENT_DOCUMENT,
            _MOVES.c.document_id == str(p["shipment_id"]))).all()
        cost, uncosted = _moved_cost(uow, tenant, list(moves))
        memo = f"shipment {p['shipment_id']} of order {number}" + (f"; {uncosted} unit(s) without a cost"
                                                                     if uncosted else "")
        return jd.cogs_entry(order.currency, cost, reference=number, memo=memo), order_id
    if event.type == "return.received.v1":
        ids = [int(i) for i in p.get("move_ids", [])]
        moves = uow.conn.execute(select(_MOVES.c.id, _MOVES.c.sku_id, _MOVES.c.quantity, _MOVES.c.unit_cost).where(
            _MOVES.c.tenant_id == tenant, _MOVES.c.id.in_(ids))).all() if ids else []
        cost, uncosted = _moved_cost(uow, tenant, list(moves))
        memo = f"return {p.get('number', '')} received for order {number}" + (
            f"; {uncosted} unit(s) without a cost" if uncosted else "")
        return jd.return_receipt_entry(order.currency, cost, reference=p.get("number", ""), memo=memo), order_id
    return None, order_id


JOURNAL_EVENTS = ["invoice.issued.v1", "payment.captured.v1", "payment.refunded.v1", "shipment.created.v1",
                  "return.received.v1", "return.refunded.v1"]


@register("accounting.journal", JOURNAL_EVENTS)
def handle(uow: UnitOfWork, event: Event) -> None:
    draft, order_id = draft_for(uow, event)
    if draft is not None:
        post_entry(uow, draft, tenant_id=event.tenant_id, posted_at=event.created_at, event=event,
                   order_id=order_id)


# ---- read model ---------------------------------------------------------------------------------------------------

MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class JournalRow:
    entry_id: int
    posted_at: datetime
    kind: str
    reference: str
    memo: str
    currency: str
    account: str
    debit: Decimal
    credit: Decimal

    @property
    def account_name(self) -> str:
        return jd.ACCOUNT_NAMES.get(self.account, "")


def check_period(start: date | None, end: date | None) -> tuple[date, date]:
    if start is None:
        raise ValidationFailed("give the first day of the period (YYYY-MM-DD)", field="from")
    if end is None:
        raise ValidationFailed("give the last day of the period (YYYY-MM-DD)", field="to")
    if end < start:
        raise ValidationFailed("the period ends before it starts", field="to")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed(f"a period is at most {MAX_PERIOD_DAYS} days", field="to")
    return start, end


@requires(ACCOUNTING_VIEW)
def journal_rows(uow: UnitOfWork, start: date | None, end: date | None) -> list[JournalRow]:
    """Every line of the entries posted from `start` to `end` (both days included), in posting order."""
    start, end = check_period(start, end)
    rows = uow.conn.execute(
        select(_ENTRIES.c.id, _ENTRIES.c.posted_at, _ENTRIES.c.kind, _ENTRIES.c.reference, _ENTRIES.c.memo,
               _ENTRIES.c.currency, _LINES.c.account, _LINES.c.debit, _LINES.c.credit)
        .join(_LINES, _LINES.c.entry_id == _ENTRIES.c.id)
        .where(_ENTRIES.c.tenant_id == uow.tenant_id, _LINES.c.tenant_id == uow.tenant_id,
               _ENTRIES.c.posted_at >= datetime.combine(start, time.min),
               _ENTRIES.c.posted_at < datetime.combine(end + timedelta(days=1), time.min))
        .order_by(_ENTRIES.c.posted_at, _ENTRIES.c.id, _LINES.c.position)).all()
    return [JournalRow(r.id, r.posted_at, r.kind, r.reference, r.memo, r.currency, r.account,
                       Decimal(r.debit), Decimal(r.credit)) for r in rows]


@dataclass(frozen=True)
class AccountTotal:
    account: str
    name: str
    currency: str
    debit: Decimal
    credit: Decimal


def account_totals(rows: list[JournalRow]) -> list[AccountTotal]:
    """Debits and credits per (account, currency) over some journal rows."""
    sums: dict[tuple[str, str], list[Decimal]] = {}
    for row in rows:
        pair = sums.setdefault((row.account, row.currency), [Decimal(0), Decimal(0)])
        pair[0] += row.debit
        pair[1] += row.credit
    return [AccountTotal(account, jd.ACCOUNT_NAMES.get(account, ""), currency, d, c)
            for (account, currency), (d, c) in sorted(sums.items())]

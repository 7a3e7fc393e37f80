"""The journal: entries posted from business events (the consumer below), and the read model of the journal page,
API and CSV export, and of the trial balance.

The consumer reads what an event's payload lacks (the order's number and currency, a shipment's stock moves and
their unit cost) from the other contexts' tables, read-only; it writes only the journal tables, and announces each
entry as `journal.entry_posted.v1` for an external accounting system.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select

from stockyard.billing import accounts, periods, valuation
from stockyard.billing import accounts_domain as ad
from stockyard.billing import journal_domain as jd
from stockyard.billing.journal_models import JournalEntry, JournalLine
from stockyard.core.errors import ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ACCOUNTING_VIEW
from stockyard.integration.consumers import Event, register
from stockyard.inventory.domain import Reason, Usage
from stockyard.inventory.models import Location, StockMove
from stockyard.sales.models import Order

_ENTRIES = JournalEntry.__table__
_LINES = JournalLine.__table__
_MOVES = StockMove.__table__
_LOCATIONS = Location.__table__
_ORDERS = Order.__table__

SHIPMENT_DOCUMENT = "shipment"  # fulfilment/shipments.py: the document type of a shipment's stock moves


def post_entry(uow: UnitOfWork, draft: jd.Draft, *, tenant_id: int, posted_at: datetime, event: Event,
               order_id: int | None) -> int:
    """Writes one entry, checked for balance again right before the insert, and its event. Every account must be an
    active account of the tenant's chart. A fact dated in a closed period is posted on the first day of the next
    open period, its memo saying so."""
    jd.check_balanced(draft.lines)
    accounts.check_postable(uow, [line.account for line in draft.lines])
    happened_at = posted_at
    posted_at, note = periods.posting_time(uow, happened_at)
    memo = f"{note}; {draft.memo}" if note and draft.memo else (note or draft.memo)
    entry_id = int(uow.conn.execute(_ENTRIES.insert().values(
        tenant_id=tenant_id, kind=draft.kind, posted_at=posted_at, currency=draft.currency,
        reference=draft.reference[:64], order_id=order_id, memo=memo[:300], source_event_id=event.event_id,
        source_event_type=event.type, created_at=happened_at).returning(_ENTRIES.c.id)).scalar_one())
    lines = [{"tenant_id": tenant_id, "entry_id": entry_id, "position": i + 1, "account": line.account,
              "debit": line.debit, "credit": line.credit} for i, line in enumerate(draft.lines)]
    uow.conn.execute(_LINES.insert(), lines)
    add_event(uow, "journal.entry_posted.v1", {
        "entry_id": entry_id, "kind": draft.kind, "posted_at": posted_at.isoformat(), "currency": draft.currency,
        "reference": draft.reference, "order_id": order_id, "memo": memo, "source_event_id": event.event_id,
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


STOCK_CHANGED = "stock.changed.v1"
# Stock flows with a counterpart outside the books' inventory; our shipments and return receipts post from their own
# documents' events above, moves between locations change no account. Shipment moves of any other document (a
# reservation consumed through the API by an outside order system) are goods sold all the same: they post COGS here.
STOCK_REASONS = frozenset({Reason.RECEIPT.value, Reason.WRITE_OFF.value, Reason.COUNT_ADJUSTMENT.value,
                           Reason.SHIPMENT.value})


def _uncosted(uncosted: int) -> str:
    return f"; {uncosted} unit(s) without a cost" if uncosted else ""


def stock_drafts(uow: UnitOfWork, event: Event) -> list[tuple[jd.Draft, datetime]]:
    """The entries a stock.changed event calls for, each with when its fact happened (a backdated move's business
    time, else the event's)."""
    p, tenant = event.payload, event.tenant_id
    reason = p.get("reason")
    ids = [int(i) for i in p.get("move_ids", [])]
    if reason not in STOCK_REASONS or not ids or (reason == Reason.SHIPMENT.value
                                                   and p.get("document_type") == SHIPMENT_DOCUMENT):
        return []
    moves = uow.conn.execute(
        select(_MOVES.c.id, _MOVES.c.sku_id, _MOVES.c.quantity, _MOVES.c.unit_cost, _MOVES.c.note, _MOVES.c.occurred_at,
               _LOCATIONS.c.usage.label("to_usage"))
        .join(_LOCATIONS, _LOCATIONS.c.id == _MOVES.c.to_location_id)
        .where(_MOVES.c.tenant_id == tenant, _MOVES.c.id.in_(ids)).order_by(_MOVES.c.id)).all()
    if not moves:
        return []
    happened = min((m.occurred_at for m in moves if m.occurred_at is not None), default=event.created_at)
    currency = accounts.book_currency(uow)
    document = f"{p.get('document_type') or ''} {p.get('document_id') or ''}".strip()
    units = sum(m.quantity for m in moves)
    found: list[jd.Draft | None] = []
    if reason == Reason.RECEIPT.value:
        cost, uncosted = _moved_cost(uow, tenant, list(moves))
        found.append(jd.receipt_entry(currency, cost, reference=document,
                                      memo=f"goods received: {units} unit(s){_uncosted(uncosted)}"))
    elif reason == Reason.SHIPMENT.value:
        cost, uncosted = _moved_cost(uow, tenant, list(moves))
        found.append(jd.cogs_entry(currency, cost, reference=document,
                                   memo=f"{units} unit(s) issued to {document}{_uncosted(uncosted)}"))
    elif reason == Reason.WRITE_OFF.value:
        cost, uncosted = _moved_cost(uow, tenant, list(moves))
        notes = "; ".join(sorted({m.note for m in moves if m.note}))
        found.append(jd.write_off_entry(currency, cost, reference=document or "write-off",
                                        memo=f"{units} unit(s) written off: {notes}{_uncosted(uncosted)}"))
    else:
        gains = [m for m in moves if m.to_usage != Usage.ADJUSTMENT.value]
        losses = [m for m in moves if m.to_usage == Usage.ADJUSTMENT.value]
        for group, make, what in ((gains, jd.count_gain_entry, "found"), (losses, jd.count_loss_entry, "missing")):
            if group:
                cost, uncosted = _moved_cost(uow, tenant, group)
                found.append(make(currency, cost, reference=document, memo=(
                    f"count: {sum(m.quantity for m in group)} unit(s) {what}{_uncosted(uncosted)}")))
    return [(draft, happened) for draft in found if draft is not None]


JOURNAL_EVENTS = ["invoice.issued.v1", "payment.captured.v1", "payment.refunded.v1", "shipment.created.v1",
                  "return.received.v1", "return.refunded.v1", STOCK_CHANGED]


@register("accounting.journal", JOURNAL_EVENTS)
def handle(uow: UnitOfWork, event: Event) -> None:
    if event.type == STOCK_CHANGED:
        for draft, happened in stock_drafts(uow, event):
            post_entry(uow, draft, tenant_id=event.tenant_id, posted_at=happened, event=event, order_id=None)
        return
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
    account_name: str = ""


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


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)


def _names(uow: UnitOfWork) -> dict[str, tuple[str, str]]:
    """(name, type) per account code: the tenant's chart over the default one."""
    found = {s.code: (s.name, s.type) for s in ad.DEFAULT_CHART}
    found.update({a.code: (a.name, a.type) for a in accounts.list_accounts(uow)})
    return found


@requires(ACCOUNTING_VIEW)
def journal_rows(uow: UnitOfWork, start: date | None, end: date | None) -> list[JournalRow]:
    """Every line of the entries posted from `start` to `end` (both days included), in posting order."""
    start, end = check_period(start, end)
    low, high = _bounds(start, end)
    rows = uow.conn.execute(
        select(_ENTRIES.c.id, _ENTRIES.c.posted_at, _ENTRIES.c.kind, _ENTRIES.c.reference, _ENTRIES.c.memo,
               _ENTRIES.c.currency, _LINES.c.account, _LINES.c.debit, _LINES.c.credit)
        .join(_LINES, _LINES.c.entry_id == _ENTRIES.c.id)
        .where(_ENTRIES.c.tenant_id == uow.tenant_id, _LINES.c.tenant_id == uow.tenant_id,
               _ENTRIES.c.posted_at >= low, _ENTRIES.c.posted_at < high)
        .order_by(_ENTRIES.c.posted_at, _ENTRIES.c.id, _LINES.c.position)).all()
    names = _names(uow)
    return [JournalRow(r.id, r.posted_at, r.kind, r.reference, r.memo, r.currency, r.account,
                       Decimal(r.debit), Decimal(r.credit), names.get(r.account, ("", ""))[0]) for r in rows]


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
    names: dict[str, str] = {}
    for row in rows:
        pair = sums.setdefault((row.account, row.currency), [Decimal(0), Decimal(0)])
        pair[0] += row.debit
        pair[1] += row.credit
        names[row.account] = row.account_name
    return [AccountTotal(account, names[account], currency, d, c)
            for (account, currency), (d, c) in sorted(sums.items())]


# ---- trial balance ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrialBalanceRow:
    """One account in one currency over a period; balances are debit-positive (a credit balance is negative)."""

    account: str
    name: str
    type: str
    currency: str
    opening: Decimal
    debit: Decimal
    credit: Decimal

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit - self.credit


@dataclass(frozen=True)
class TrialBalanceTotal:
    currency: str
    opening: Decimal
    debit: Decimal
    credit: Decimal
    closing: Decimal

    @property
    def balances(self) -> bool:
        return self.debit == self.credit and self.opening == 0 and self.closing == 0


@requires(ACCOUNTING_VIEW)
def trial_balance(uow: UnitOfWork, start: date | None, end: date | None) -> list[TrialBalanceRow]:
    """Per account and currency: the balance before `start`, the debits and credits posted from `start` to `end`
    (both included) and the balance after; accounts with neither a balance nor a posting are left out."""
    start, end = check_period(start, end)
    low, high = _bounds(start, end)
    tenant = uow.tenant_id
    base = (select(_LINES.c.account, _ENTRIES.c.currency, func.sum(_LINES.c.debit), func.sum(_LINES.c.credit))
            .join(_ENTRIES, _ENTRIES.c.id == _LINES.c.entry_id)
            .where(_ENTRIES.c.tenant_id == tenant, _LINES.c.tenant_id == tenant)
            .group_by(_LINES.c.account, _ENTRIES.c.currency))
    zero = Decimal(0)
    opening = {(a, c): Decimal(d) - Decimal(k) for a, c, d, k in uow.conn.execute(
        base.where(_ENTRIES.c.posted_at < low))}
    during = {(a, c): (Decimal(d), Decimal(k)) for a, c, d, k in uow.conn.execute(
        base.where(_ENTRIES.c.posted_at >= low, _ENTRIES.c.posted_at < high))}
    names = _names(uow)
    rows = []
    for account, currency in sorted(set(opening) | set(during), key=lambda key: (key[1], key[0])):
        balance = opening.get((account, currency), zero)
        debit, credit = during.get((account, currency), (zero, zero))
        if balance == 0 and debit == 0 and credit == 0:
            continue
        name, type_ = names.get(account, ("", ""))
        rows.append(TrialBalanceRow(account, name, type_, currency, balance, debit, credit))
    return rows


def trial_balance_totals(rows: list[TrialBalanceRow]) -> list[TrialBalanceTotal]:
    """Per currency: the sums of the rows' columns (debits equal credits and the balances sum to zero)."""
    sums: dict[str, list[Decimal]] = {}
    for r in rows:
        acc = sums.setdefault(r.currency, [Decimal(0)] * 4)
        acc[0] += r.opening
        acc[1] += r.debit
        acc[2] += r.credit
        acc[3] += r.closing
    return [TrialBalanceTotal(currency, *values) for currency, values in sorted(sums.items())]

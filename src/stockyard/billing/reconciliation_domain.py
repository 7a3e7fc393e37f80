"""Order-to-cash reconciliation, without I/O: payments against invoices against the gateway's settlement lines,
order by order, and the list of what does not match.

Kinds of mismatch (each with the amount expected, the amount found and the day it concerns):
- paid_not_invoiced: money captured for an order more than `invoice_days` ago and no invoice issued;
- invoiced_unpaid: an invoice past its due date (`due_days` after issue) with nothing captured;
- payment_amount_mismatch: what was captured for an invoiced order differs from the invoice total;
- capture_not_settled: a card payment captured more than `settle_days` ago that no settlement paid in;
- settlement_without_payment: a settled charge or refund whose reference names no payment of ours;
- settled_amount_mismatch: what the gateway settled for a payment differs from what we captured;
- refund_not_settled: a refund older than `settle_days` that the gateway's settlements do not (fully) show;
- duplicate: an order captured by more than one payment, or one payment settled more than once.
Manual methods (bank transfer, cash on delivery) have no gateway settlements, so only the first three apply to them.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

PAID_NOT_INVOICED = "paid_not_invoiced"
INVOICED_UNPAID = "invoiced_unpaid"
AMOUNT_MISMATCH = "payment_amount_mismatch"
CAPTURE_NOT_SETTLED = "capture_not_settled"
UNKNOWN_SETTLEMENT = "settlement_without_payment"
SETTLED_AMOUNT_MISMATCH = "settled_amount_mismatch"
REFUND_NOT_SETTLED = "refund_not_settled"
DUPLICATE = "duplicate"
KINDS: dict[str, str] = {
    PAID_NOT_INVOICED: "Paid but not invoiced",
    INVOICED_UNPAID: "Invoiced but unpaid (overdue)",
    AMOUNT_MISMATCH: "Payment ≠ invoice total",
    CAPTURE_NOT_SETTLED: "Captured, never settled",
    UNKNOWN_SETTLEMENT: "Settlement line without payment",
    SETTLED_AMOUNT_MISMATCH: "Settled ≠ captured",
    REFUND_NOT_SETTLED: "Refund not settled",
    DUPLICATE: "Duplicate",
}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Rules:
    as_of: datetime
    due_days: int = 14  # an invoice is due this many days after it was issued
    settle_days: int = 7  # a capture or refund should be settled by the gateway within this many days
    invoice_days: int = 7  # captured money should be invoiced within this many days


@dataclass(frozen=True)
class PaymentFact:
    payment_id: int
    order_id: int
    order_number: str
    settles: bool  # a gateway that pays out through settlements (a card gateway, not a manual method)
    currency: str
    captured: Decimal
    refunded: Decimal
    reference: str | None
    captured_at: datetime | None
    refunded_at: datetime | None


@dataclass(frozen=True)
class InvoiceFact:
    order_id: int
    order_number: str
    number: str
    currency: str
    total: Decimal
    issued_at: datetime


@dataclass(frozen=True)
class SettledFact:
    line_id: int
    settlement_ref: str
    settled_on: date
    reference: str
    type: str  # charge or refund
    gross: Decimal
    currency: str


@dataclass(frozen=True)
class Mismatch:
    kind: str
    on: date
    currency: str
    expected: Decimal | None
    actual: Decimal | None
    detail: str
    order_id: int | None = None
    order_number: str = ""
    reference: str = ""

    @property
    def difference(self) -> Decimal | None:
        if self.expected is None and self.actual is None:
            return None
        return (self.actual or ZERO) - (self.expected or ZERO)

    @property
    def label(self) -> str:
        return KINDS[self.kind]


def _older(moment: datetime | None, days: int, rules: Rules) -> bool:
    return moment is not None and moment <= rules.as_of - timedelta(days=days)


def reconcile(payments: list[PaymentFact], invoices: list[InvoiceFact], settled: list[SettledFact],
              rules: Rules) -> list[Mismatch]:
    """Every mismatch among these facts, ordered by day, kind and order number."""
    found: list[Mismatch] = []
    by_order: dict[int, list[PaymentFact]] = defaultdict(list)
    for p in payments:
        by_order[p.order_id].append(p)
    invoice_of = {i.order_id: i for i in invoices}
    for order_id in sorted(set(by_order) | set(invoice_of)):
        found += _order_mismatches(by_order.get(order_id, []), invoice_of.get(order_id), rules)
    lines_of: dict[str, list[SettledFact]] = defaultdict(list)
    for line in settled:
        lines_of[line.reference].append(line)
    for p in payments:
        if p.settles and p.reference:
            found += _settlement_mismatches(p, lines_of.get(p.reference, []), rules)
    references = {p.reference for p in payments if p.reference}
    for line in settled:
        if line.reference not in references:
            found.append(Mismatch(UNKNOWN_SETTLEMENT, line.settled_on, line.currency, None, line.gross,
                                  f"{line.type} {line.gross} in settlement {line.settlement_ref} names payment "
                                  f"{line.reference}, which is not ours", reference=line.reference))
    return sorted(found, key=lambda m: (m.on, list(KINDS).index(m.kind), m.order_number, m.reference))


def _order_mismatches(payments: list[PaymentFact], invoice: InvoiceFact | None, rules: Rules) -> list[Mismatch]:
    paid = [p for p in payments if p.captured > 0]
    captured = sum((p.captured for p in paid), ZERO)
    net = captured - sum((p.refunded for p in paid), ZERO)
    first = min((p.captured_at for p in paid if p.captured_at), default=None)
    number = (invoice.order_number if invoice else payments[0].order_number)
    order_id = invoice.order_id if invoice else payments[0].order_id
    currency = invoice.currency if invoice else payments[0].currency
    on = first.date() if first else rules.as_of.date()
    out: list[Mismatch] = []
    if len(paid) > 1:
        out.append(Mismatch(DUPLICATE, on, currency, invoice.total if invoice else paid[0].captured, captured,
                            f"order {number} was paid by {len(paid)} captured payments", order_id, number,
                            ", ".join(p.reference or f"payment {p.payment_id}" for p in paid)))
    if invoice is None:
        if net > 0 and _older(first, rules.invoice_days, rules):
            out.append(Mismatch(PAID_NOT_INVOICED, on, currency, None, net,
                                f"{net} captured for order {number} on {on}, no invoice after {rules.invoice_days} "
                                "days", order_id, number, paid[0].reference or ""))
        return out
    due = invoice.issued_at + timedelta(days=rules.due_days)
    if captured == 0:
        if due <= rules.as_of:
            out.append(Mismatch(INVOICED_UNPAID, due.date(), currency, invoice.total, ZERO,
                                f"invoice {invoice.number} of {invoice.total} was due on {due:%Y-%m-%d}; nothing "
                                "has been paid", order_id, number, invoice.number))
    elif captured != invoice.total:
        out.append(Mismatch(AMOUNT_MISMATCH, invoice.issued_at.date(), currency, invoice.total, captured,
                            f"invoice {invoice.number} is {invoice.total}; {captured} was captured", order_id, number,
                            invoice.number))
    return out


def _settlement_mismatches(p: PaymentFact, lines: list[SettledFact], rules: Rules) -> list[Mismatch]:
    out: list[Mismatch] = []
    reference = p.reference or ""
    charges = [x for x in lines if x.type == "charge"]
    settled = sum((x.gross for x in charges), ZERO)
    if p.captured > 0 and not charges and _older(p.captured_at, rules.settle_days, rules):
        on = p.captured_at.date() if p.captured_at else rules.as_of.date()
        out.append(Mismatch(CAPTURE_NOT_SETTLED, on, p.currency, p.captured, ZERO,
                            f"{p.captured} captured on {on} is in no settlement after {rules.settle_days} days",
                            p.order_id, p.order_number, reference))
    if len(charges) > 1:
        out.append(Mismatch(DUPLICATE, max(x.settled_on for x in charges), p.currency, p.captured, settled,
                            f"payment {reference} was settled {len(charges)} times (settlements "
                            f"{', '.join(sorted({x.settlement_ref for x in charges}))})",
                            p.order_id, p.order_number, reference))
    elif charges and settled != p.captured:
        out.append(Mismatch(SETTLED_AMOUNT_MISMATCH, charges[0].settled_on, p.currency, p.captured, settled,
                            f"settlement {charges[0].settlement_ref} paid in {settled} for payment {reference}; "
                            f"{p.captured} was captured", p.order_id, p.order_number, reference))
    refunds_settled = -sum((x.gross for x in lines if x.type == "refund"), ZERO)
    if p.refunded > 0 and refunds_settled < p.refunded and _older(p.refunded_at, rules.settle_days, rules):
        on = p.refunded_at.date() if p.refunded_at else rules.as_of.date()
        out.append(Mismatch(REFUND_NOT_SETTLED, on, p.currency, p.refunded, refunds_settled,
                            f"{p.refunded} refunded on {on}; the settlements show {refunds_settled} of it",
                            p.order_id, p.order_number, reference))
    return out


def counts(mismatches: list[Mismatch]) -> dict[str, int]:
    """How many of each kind, every kind listed (zero included), in the order of KINDS."""
    out = dict.fromkeys(KINDS, 0)
    for m in mismatches:
        out[m.kind] += 1
    return out

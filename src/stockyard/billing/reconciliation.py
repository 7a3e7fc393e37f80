"""The read model of order-to-cash reconciliation: the payments, invoices and settlement lines of the orders a period
touched (a payment taken, an invoice issued or a settlement line dated in it), matched by
reconciliation_domain.reconcile; and the mismatches as CSV."""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select, union

from stockyard.billing import reconciliation_domain as rd
from stockyard.billing.gateways import MANUAL_GATEWAYS
from stockyard.billing.journal import check_period
from stockyard.billing.models import Invoice, Payment, PaymentTransaction
from stockyard.billing.settlements_models import Settlement, SettlementLine
from stockyard.core.clock import utcnow
from stockyard.core.errors import ValidationFailed
from stockyard.core.money import round_money
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.audit import csv_safe
from stockyard.identity.domain import ACCOUNTING_VIEW
from stockyard.sales.models import Order

_P = Payment.__table__
_T = PaymentTransaction.__table__
_I = Invoice.__table__
_O = Order.__table__
_L = SettlementLine.__table__
_S = Settlement.__table__


@dataclass(frozen=True)
class Reconciliation:
    start: date
    end: date
    as_of: datetime
    kind: str | None
    counts: dict[str, int]  # every kind, before the kind filter
    mismatches: list[rd.Mismatch]


def check_kind(kind: str | None) -> str | None:
    if kind and kind not in rd.KINDS:
        raise ValidationFailed(f"must be one of {', '.join(rd.KINDS)}", field="kind")
    return kind or None


@requires(ACCOUNTING_VIEW)
def reconcile_period(uow: UnitOfWork, start: date | None, end: date | None, kind: str | None = None,
                     rules: rd.Rules | None = None) -> Reconciliation:
    start, end = check_period(start, end)
    kind = check_kind(kind)
    rules = rules or rd.Rules(as_of=utcnow())
    payments, invoices, settled = _facts(uow, start, end)
    found = rd.reconcile(payments, invoices, settled, rules)
    return Reconciliation(start, end, rules.as_of, kind, rd.counts(found),
                          [m for m in found if kind is None or m.kind == kind])


def _facts(uow: UnitOfWork, start: date, end: date) -> tuple[list[rd.PaymentFact], list[rd.InvoiceFact],
                                                             list[rd.SettledFact]]:
    tenant = uow.tenant_id
    lo, hi = datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)
    in_period_lines = and_(_L.c.tenant_id == tenant, _L.c.settled_on >= start, _L.c.settled_on <= end)
    orders = union(
        select(_P.c.order_id).where(_P.c.tenant_id == tenant, _P.c.created_at >= lo, _P.c.created_at < hi),
        select(_I.c.order_id).where(_I.c.tenant_id == tenant, _I.c.issued_at >= lo, _I.c.issued_at < hi),
        select(_P.c.order_id).join(_L, and_(_L.c.tenant_id == _P.c.tenant_id,
                                            _L.c.payment_reference == _P.c.reference))
        .where(_P.c.tenant_id == tenant, in_period_lines),
    ).subquery()
    order_ids = select(orders.c.order_id)

    def last(kind: str) -> object:
        return (select(func.max(_T.c.created_at)).where(_T.c.tenant_id == tenant, _T.c.payment_id == _P.c.id,
                                                        _T.c.kind == kind, _T.c.success.is_(True))
                .scalar_subquery())

    rows = uow.conn.execute(
        select(_P.c.id, _P.c.order_id, _O.c.number, _P.c.gateway, _P.c.currency, _P.c.captured_amount,
               _P.c.refunded_amount, _P.c.reference, _P.c.updated_at, last("capture").label("captured_at"),
               last("refund").label("refunded_at"))
        .join(_O, _O.c.id == _P.c.order_id)
        .where(_P.c.tenant_id == tenant, _O.c.tenant_id == tenant, _P.c.order_id.in_(order_ids))
        .order_by(_P.c.id)).all()
    payments = [rd.PaymentFact(
        r.id, r.order_id, r.number, r.gateway not in MANUAL_GATEWAYS, r.currency, round_money(r.captured_amount),
        round_money(r.refunded_amount), r.reference,
        # A manual payment marked paid has no capture call: its last change is when the money was recorded.
        r.captured_at or (r.updated_at if r.captured_amount else None),
        r.refunded_at or (r.updated_at if r.refunded_amount else None)) for r in rows]
    invoices = [rd.InvoiceFact(r.order_id, r.order_number, r.number, r.currency, round_money(r.grand_total),
                               r.issued_at)
                for r in uow.conn.execute(
                    select(_I.c.order_id, _I.c.order_number, _I.c.number, _I.c.currency, _I.c.grand_total,
                           _I.c.issued_at).where(_I.c.tenant_id == tenant, _I.c.order_id.in_(order_ids))
                    .order_by(_I.c.id))]
    references = select(_P.c.reference).where(_P.c.tenant_id == tenant, _P.c.order_id.in_(order_ids),
                                              _P.c.reference.is_not(None))
    settled = [rd.SettledFact(r.id, r.settlement_ref, r.settled_on, r.payment_reference, r.type, round_money(r.gross),
                              r.currency)
               for r in uow.conn.execute(
                   select(_L.c.id, _S.c.settlement_ref, _L.c.settled_on, _L.c.payment_reference, _L.c.type,
                          _L.c.gross, _S.c.currency)
                   .join(_S, _S.c.id == _L.c.settlement_id)
                   .where(_L.c.tenant_id == tenant, _S.c.tenant_id == tenant, _L.c.type.in_(("charge", "refund")),
                          or_(and_(_L.c.settled_on >= start, _L.c.settled_on <= end),
                              _L.c.payment_reference.in_(references)))
                   .order_by(_L.c.id))]
    return payments, invoices, settled


COLUMNS = ("kind", "kind_label", "date", "order_number", "reference", "currency", "expected", "actual", "difference",
           "detail")


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:.2f}"


def mismatches_csv(mismatches: list[rd.Mismatch]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for m in mismatches:
        writer.writerow([m.kind, m.label, m.on.isoformat(), csv_safe(m.order_number), csv_safe(m.reference),
                         m.currency, _money(m.expected), _money(m.actual), _money(m.difference), csv_safe(m.detail)])
    return out.getvalue()

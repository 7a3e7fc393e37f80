"""Order-to-cash matching and settlement reports without a database: each kind of mismatch from hand-made facts, the
CSV rules of a settlement report, and the journal entry a settlement posts."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest

from stockyard.billing import journal_domain as jd
from stockyard.billing import reconciliation_domain as rd
from stockyard.billing.settlements_domain import parse_settlements, settlement_entry
from stockyard.core.errors import RowErrors

NOW = datetime(2026, 12, 20, 12, 0)
RULES = rd.Rules(as_of=NOW, due_days=14, settle_days=7, invoice_days=7)
LONG_AGO = NOW - timedelta(days=10)
HEADER = "settlement_id,date,payment_reference,type,gross,fee,net,currency\n"


def pay(order: int, captured: str, ref: str | None = None, *, refunded: str = "0", settles: bool = True,
        at: datetime = LONG_AGO, refunded_at: datetime | None = None, payment_id: int | None = None) -> rd.PaymentFact:
    return rd.PaymentFact(payment_id or order * 10, order, f"SO-{order}", settles, "EUR", D(captured), D(refunded),
                          ref if ref is not None else f"ch_{order}", at if D(captured) else None, refunded_at)


def inv(order: int, total: str, issued: datetime = LONG_AGO) -> rd.InvoiceFact:
    return rd.InvoiceFact(order, f"SO-{order}", f"INV-{order}", "EUR", D(total), issued)


def line(ref: str, gross: str, kind: str = "charge", settlement: str = "ST-1") -> rd.SettledFact:
    return rd.SettledFact(hash((ref, gross, settlement)) % 10_000, settlement, date(2026, 12, 15), ref, kind, D(gross),
                          "EUR")


def kinds(found: list[rd.Mismatch]) -> list[tuple[str, str, D | None, D | None]]:
    return [(m.kind, m.order_number or m.reference, m.expected, m.actual) for m in found]


def test_a_paid_invoiced_and_settled_order_matches() -> None:
    assert rd.reconcile([pay(1, "50.00")], [inv(1, "50.00")], [line("ch_1", "50.00")], RULES) == []


def test_each_kind_of_mismatch_with_its_amounts() -> None:
    payments = [
        pay(1, "40.00"),                                   # paid 10 days ago, no invoice
        pay(3, "90.00"),                                   # invoice says 100
        pay(4, "25.00"),                                   # never settled
        pay(5, "60.00"),                                   # settled as 59.00
        pay(6, "30.00", refunded="30.00", refunded_at=LONG_AGO),  # refund not in any settlement
        pay(7, "20.00"),                                   # settled twice
        pay(8, "15.00", payment_id=81), pay(8, "15.00", "ch_8b", payment_id=82),  # the order charged twice
    ]
    invoices = [inv(2, "70.00", issued=NOW - timedelta(days=20)), inv(3, "100.00"), inv(4, "25.00"),
                inv(5, "60.00"), inv(6, "30.00"), inv(7, "20.00"), inv(8, "15.00")]
    settled = [line("ch_3", "90.00"), line("ch_5", "59.00"), line("ch_6", "30.00"), line("ch_7", "20.00"),
               line("ch_7", "20.00", settlement="ST-2"), line("ch_8", "15.00"), line("ch_8b", "15.00"),
               line("ch_999", "12.00")]
    found = rd.reconcile(payments, invoices, settled, RULES)
    assert sorted(kinds(found)) == sorted([
        (rd.PAID_NOT_INVOICED, "SO-1", None, D("40.00")),
        (rd.CAPTURE_NOT_SETTLED, "SO-1", D("40.00"), D(0)),
        (rd.INVOICED_UNPAID, "SO-2", D("70.00"), D(0)),
        (rd.AMOUNT_MISMATCH, "SO-3", D("100.00"), D("90.00")),
        (rd.CAPTURE_NOT_SETTLED, "SO-4", D("25.00"), D(0)),
        (rd.SETTLED_AMOUNT_MISMATCH, "SO-5", D("60.00"), D("59.00")),
        (rd.REFUND_NOT_SETTLED, "SO-6", D("30.00"), D(0)),
        (rd.DUPLICATE, "SO-7", D("20.00"), D("40.00")),
        (rd.DUPLICATE, "SO-8", D("15.00"), D("30.00")),
        (rd.AMOUNT_MISMATCH, "SO-8", D("15.00"), D("30.00")),
        (rd.UNKNOWN_SETTLEMENT, "ch_999", None, D("12.00")),
    ])
    by_kind = {m.kind: m for m in found}
    assert by_kind[rd.SETTLED_AMOUNT_MISMATCH].difference == D("-1.00")
    assert "settled 2 times" in by_kind[rd.DUPLICATE].detail or "2 captured payments" in by_kind[rd.DUPLICATE].detail
    assert rd.counts(found)[rd.DUPLICATE] == 2 and rd.counts(found)[rd.INVOICED_UNPAID] == 1


def test_nothing_is_late_before_its_grace_days() -> None:
    recent = NOW - timedelta(days=3)
    found = rd.reconcile([pay(1, "40.00", at=recent), pay(2, "10.00", refunded="10.00", refunded_at=recent)],
                         [inv(2, "10.00"), inv(3, "55.00", issued=NOW - timedelta(days=13))], [line("ch_2", "10.00")],
                         RULES)
    assert found == []  # not invoiced yet (3 days), not settled yet, refund 3 days old, invoice 3 due in a day


def test_manual_payments_are_not_expected_in_settlements() -> None:
    assert rd.reconcile([pay(1, "80.00", "bank 2026-1", settles=False)], [inv(1, "80.00")], [], RULES) == []


def test_a_partly_settled_refund_shows_what_is_missing() -> None:
    found = rd.reconcile([pay(1, "50.00", refunded="20.00", refunded_at=LONG_AGO)], [inv(1, "50.00")],
                         [line("ch_1", "50.00"), line("ch_1", "-5.00", kind="refund")], RULES)
    assert kinds(found) == [(rd.REFUND_NOT_SETTLED, "SO-1", D("20.00"), D("5.00"))]


def test_a_settlement_report_is_read_into_settlements_with_totals() -> None:
    data = (HEADER + "ST-1,2026-12-01,ch_1,charge,120.00,2.04,117.96,EUR\n"
            "ST-1,2026-12-02,ch_2,refund,-20.00,0.00,-20.00,eur\n"
            "ST-1,2026-12-02,,fee,0.00,5.00,-5.00,EUR\n"
            "ST-1,2026-12-02,,payout,92.96,0.00,92.96,EUR\n"
            "ST-2,2026-12-03,ch_3,charge,10.00,0.30,9.70,USD\n").encode()
    first, second = parse_settlements(data)
    assert (first.settlement_ref, first.currency, first.settled_on) == ("ST-1", "EUR", date(2026, 12, 2))
    assert (first.gross, first.fees, first.payout) == (D("100.00"), D("7.04"), D("92.96"))
    assert (second.settlement_ref, second.currency, second.payout) == ("ST-2", "USD", D("9.70"))
    reordered = HEADER.encode() + b"\n".join(reversed(data.splitlines()[1:5])) + b"\n"
    assert parse_settlements(reordered)[0].digest == first.digest


def test_every_bad_row_is_reported_and_nothing_read() -> None:
    data = (HEADER + "ST-1,2026-12-01,ch_0,charge,10.00,0.30,9.70,EUR\n"   # line 2: fine, in EUR
            "ST-1,2026-13-01,ch_1,charge,10.00,0.30,9.70,EUR\n"            # line 3: no such month
            "ST-1,2026-12-01,ch_2,charge,10.00,0.30,9.00,EUR\n"            # line 4: net is not gross - fee
            "ST-1,2026-12-01,,charge,10.00,0.30,9.70,EUR\n"                # line 5: a charge names its payment
            "ST-1,2026-12-01,ch_4,refund,10.00,0.00,10.00,EUR\n"           # line 6: a refund is negative
            "ST-1,2026-12-01,ch_5,bonus,1.00,0.00,1.00,EUR\n"              # line 7: unknown type
            "ST-1,2026-12-01,ch_6,charge,1.005,0.00,1.005,EUR\n"           # line 8: three decimals
            "ST-1,2026-12-01,ch_7,charge,5.00,0.10,4.90,USD\n"             # line 9: another currency
            "ST-1,2026-12-01,,payout,1.00,0.00,1.00,EUR\n").encode()       # line 10: payout ≠ the lines' net
    with pytest.raises(RowErrors) as caught:
        parse_settlements(data)
    assert [(line, field) for line, field, _ in caught.value.rows] == [
        (3, "date"), (4, "net"), (5, "payment_reference"), (6, "gross"), (7, "type"), (8, "gross"), (8, "net"),
        (9, "currency"), (10, "net")]


def test_a_settlement_posts_bank_and_fees_against_clearing() -> None:
    (settlement,) = parse_settlements((HEADER + "ST-1,2026-12-01,ch_1,charge,120.00,2.04,117.96,EUR\n"
                                       "ST-1,2026-12-01,ch_2,refund,-20.00,0.00,-20.00,EUR\n"
                                       "ST-1,2026-12-01,,fee,0.00,5.00,-5.00,EUR\n").encode())
    draft = settlement_entry(settlement)
    assert draft is not None and draft.kind == "settlement" and draft.reference == "ST-1"
    assert {(x.account, x.debit, x.credit) for x in draft.lines} == {
        (jd.BANK, D("92.96"), 0), (jd.PAYMENT_FEES, D("7.04"), 0), (jd.BANK_CLEARING, 0, D("100.00"))}
    (refunds_only,) = parse_settlements((HEADER + "ST-2,2026-12-01,ch_2,refund,-20.00,0.50,-20.50,EUR\n").encode())
    assert {(x.account, x.debit, x.credit) for x in settlement_entry(refunds_only).lines} == {
        (jd.BANK_CLEARING, D("20.00"), 0), (jd.PAYMENT_FEES, D("0.50"), 0), (jd.BANK, 0, D("20.50"))}

"""Order-to-cash reconciliation on both backends, with card payments taken through the test gateway, invoices
issued by the billing service and a settlement report imported as a user would: the import books payout and fees to
the journal, is recognised when imported again, refuses a changed settlement; the reconciliation lists each mismatch
with its amounts; the API, the CSV export and the pages show the same."""

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal as D

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.billing import reconciliation
from stockyard.billing import reconciliation_domain as rd
from stockyard.billing.invoices import InvoiceLineIn, IssueInvoice, issue_invoice
from stockyard.billing.journal_models import JournalEntry, JournalLine
from stockyard.billing.payments import TakePayment, take_payment
from stockyard.billing.settlements import import_settlements
from stockyard.billing.settlements_models import Settlement, SettlementLine
from stockyard.core.clock import utcnow
from stockyard.core.errors import PermissionDenied, RowErrors
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.sales.models import Order
from tests.billing.support import card, make_method, make_order, payment_row, role, storefront
from tests.conftest import Api, TenantCtx
from tests.test_permission_matrix import sign_in

ORDERS = Order.__table__
HEADER = "settlement_id,date,payment_reference,type,gross,fee,net,currency\n"


@dataclass
class Books:
    ctx: TenantCtx
    refs: list[str]  # the gateway references of the three card payments (orders 1..3)
    numbers: list[str]
    csv: bytes


def _pay_and_invoice(ctx: TenantCtx, method: int, total: str, invoice: bool) -> tuple[str, str]:
    order = make_order(ctx, D(total))
    outcome = perform(ctx.engine, storefront(ctx), take_payment,
                      TakePayment(order, method, D(total), "EUR", f"order-{order}", card()))
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        number = uow.conn.execute(select(ORDERS.c.number).where(ORDERS.c.id == order)).scalar_one()
    if invoice:
        perform(ctx.engine, ctx.actor, issue_invoice, IssueInvoice(order, number, "EUR", [
            InvoiceLineIn("SKU-1", "Brake disc", 1, D(total))]))
    return payment_row(ctx, outcome.payment_id).reference, number


@pytest.fixture
def books(tenant: TenantCtx) -> Books:
    method = make_method(tenant)
    paid = [_pay_and_invoice(tenant, method, total, invoice) for total, invoice in
            (("100.00", True), ("50.00", True), ("30.00", False))]
    refs, numbers = [r for r, _ in paid], [n for _, n in paid]
    today = utcnow().date().isoformat()
    data = (HEADER + f"ST-1,{today},{refs[0]},charge,100.00,1.75,98.25,EUR\n"
            f"ST-1,{today},{refs[1]},charge,49.00,0.90,48.10,EUR\n"        # 50.00 was captured
            f"ST-1,{today},ch_not_ours,charge,12.00,0.20,11.80,EUR\n"
            f"ST-1,{today},,fee,0.00,2.00,-2.00,EUR\n"
            f"ST-1,{today},,payout,156.15,0.00,156.15,EUR\n").encode()
    return Books(tenant, refs, numbers, data)


def _count(ctx: TenantCtx, table: object) -> int:
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(table)  # type: ignore[arg-type]
                                    .where(table.c.tenant_id == ctx.tenant_id)).scalar_one())  # type: ignore[attr-defined]


def test_import_posts_payout_and_fees_and_a_second_import_changes_nothing(books: Books) -> None:
    ctx = books.ctx
    report = perform(ctx.engine, ctx.actor, import_settlements, books.csv, "december.csv")
    (s,) = report.imported
    assert (s.settlement_ref, s.gross, s.fees, s.payout, s.line_count) == ("ST-1", D("161.00"), D("4.85"),
                                                                           D("156.15"), 5)
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        lines = uow.conn.execute(select(JournalLine.account, JournalLine.debit, JournalLine.credit)
                                 .where(JournalLine.entry_id == s.journal_entry_id)).all()
        kind = uow.conn.execute(select(JournalEntry.kind).where(JournalEntry.id == s.journal_entry_id)).scalar_one()
        events = uow.conn.execute(select(OutboxEvent.type).where(OutboxEvent.tenant_id == ctx.tenant_id,
                                                                OutboxEvent.type.in_(("settlement.imported.v1",
                                                                                      "journal.entry_posted.v1")))
                                  ).scalars().all()
    assert kind == "settlement"
    assert sorted((a, D(d), D(c)) for a, d, c in lines) == [("1000", D(0), D("161.00")), ("1010", D("156.15"), D(0)),
                                                            ("6100", D("4.85"), D(0))]
    assert sorted(events) == ["journal.entry_posted.v1", "settlement.imported.v1"]

    again = perform(ctx.engine, ctx.actor, import_settlements, books.csv, "december-again.csv")
    assert (again.imported, again.already_imported) == ([], ["ST-1"])
    assert (_count(ctx, Settlement.__table__), _count(ctx, SettlementLine.__table__),
            _count(ctx, JournalEntry.__table__)) == (1, 5, 1)

    changed = books.csv.replace(b"49.00,0.90,48.10", b"50.00,0.90,49.10").replace(b"156.15", b"157.15")
    new_too = changed + f"ST-2,{utcnow().date()},{books.refs[2]},charge,30.00,0.50,29.50,EUR\n".encode()
    with pytest.raises(RowErrors) as refused:
        perform(ctx.engine, ctx.actor, import_settlements, new_too, "edited.csv")
    assert refused.value.rows[0][:2] == (2, "settlement_id") and "cannot be changed" in refused.value.rows[0][2]
    assert (_count(ctx, Settlement.__table__), _count(ctx, JournalEntry.__table__)) == (1, 1)  # not even ST-2


def test_a_bad_row_refuses_the_whole_file(books: Books) -> None:
    bad = books.csv + b"ST-1,yesterday,ch_x,charge,1.00,0.00,1.00,EUR\n"
    with pytest.raises(RowErrors) as refused:
        perform(books.ctx.engine, books.ctx.actor, import_settlements, bad)
    assert [(line, field) for line, field, _ in refused.value.rows] == [(7, "date")]
    assert _count(books.ctx, Settlement.__table__) == 0


def test_reconciliation_lists_each_mismatch_with_amounts(books: Books) -> None:
    ctx = books.ctx
    perform(ctx.engine, ctx.actor, import_settlements, books.csv)
    today = utcnow().date()
    now = read(ctx.engine, ctx.actor, reconciliation.reconcile_period, today, today)
    assert [(m.kind, m.order_number or m.reference, m.expected, m.actual) for m in now.mismatches] == [
        (rd.UNKNOWN_SETTLEMENT, "ch_not_ours", None, D("12.00")),
        (rd.SETTLED_AMOUNT_MISMATCH, books.numbers[1], D("50.00"), D("49.00")),
    ]
    assert now.mismatches[1].detail.endswith(f"payment {books.refs[1]}; 50.00 was captured")
    later = read(ctx.engine, ctx.actor, reconciliation.reconcile_period, today, today, None,
                 rd.Rules(as_of=utcnow() + timedelta(days=10)))
    assert later.counts[rd.PAID_NOT_INVOICED] == 1 and later.counts[rd.CAPTURE_NOT_SETTLED] == 1
    only = read(ctx.engine, ctx.actor, reconciliation.reconcile_period, today, today, rd.CAPTURE_NOT_SETTLED,
                rd.Rules(as_of=utcnow() + timedelta(days=10)))
    assert [(m.order_number, m.reference, m.expected) for m in only.mismatches] == [
        (books.numbers[2], books.refs[2], D("30.00"))]
    assert only.counts == later.counts
    with pytest.raises(PermissionDenied):
        read(ctx.engine, role(ctx, "sales"), reconciliation.reconcile_period, today, today)
    with pytest.raises(PermissionDenied):
        perform(ctx.engine, role(ctx, "warehouse_manager"), import_settlements, books.csv)
    assert read(ctx.engine, ctx.actor, reconciliation.reconcile_period, today - timedelta(days=40),
                today - timedelta(days=35)).mismatches == []


def test_api_page_and_csv(books: Books, client: TestClient) -> None:
    ctx = books.ctx
    _, key = ctx.user("accountant")
    api = Api(client, {"Authorization": f"Bearer {key}"})
    body = {"content": books.csv.decode(), "file_name": "dec.csv"}
    imported = api.post("/api/v1/accounting/settlements", body)
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"][0]["payout"] == "156.15"
    assert api.post("/api/v1/accounting/settlements", body).json() == {"imported": [], "already_imported": ["ST-1"]}
    bad = api.post("/api/v1/accounting/settlements", {"content": HEADER + "ST-9,2026-12-01,x,charge,1,0,2,EUR\n"})
    assert bad.status_code == 422 and bad.json()["error"]["rows"][0]["field"] == "net"
    today = utcnow().date().isoformat()
    result = api.get(f"/api/v1/accounting/reconciliation?from={today}&to={today}").json()
    assert result["counts"][rd.SETTLED_AMOUNT_MISMATCH] == 1
    assert [(m["kind"], m["expected"], m["actual"], m["difference"]) for m in result["mismatches"]][1] == (
        rd.SETTLED_AMOUNT_MISMATCH, "50.00", "49.00", "-1.00")
    assert api.get("/api/v1/accounting/reconciliation?kind=nonsense").status_code == 422
    exported = api.get(f"/api/v1/accounting/reconciliation.csv?from={today}&to={today}&kind={rd.UNKNOWN_SETTLEMENT}")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["kind"], r["reference"], r["actual"]) for r in rows] == [(rd.UNKNOWN_SETTLEMENT, "ch_not_ours", "12.00")]
    listed = api.get("/api/v1/accounting/settlements").json()["settlements"]
    assert [s["settlement_id"] for s in listed] == ["ST-1"]
    _, sales_key = ctx.user("sales")
    assert client.get("/api/v1/accounting/reconciliation", headers={"Authorization": f"Bearer {sales_key}"}
                      ).status_code == 403


def test_pages_show_counts_and_take_an_upload(books: Books, client: TestClient) -> None:
    browser = TestClient(client.app)
    csrf = sign_in(browser, books.ctx, "accountant")
    uploaded = browser.post("/erp/accounting/reconciliation/settlements", data={"csrf_token": csrf},
                            files={"file": ("dec.csv", books.csv, "text/csv")}, follow_redirects=True)
    assert uploaded.status_code == 200 and "Imported 1 settlement(s)" in uploaded.text and "156.15" in uploaded.text
    refused = browser.post("/erp/accounting/reconciliation/settlements", data={"csrf_token": csrf},
                           files={"file": ("bad.csv", HEADER.encode() + b"ST-9,2026-12-01,,charge,1,0,1,EUR\n",
                                           "text/csv")})
    assert refused.status_code == 422 and "Nothing was imported" in refused.text and "payment_reference" in refused.text
    today = utcnow().date().isoformat()
    shown = browser.get(f"/erp/accounting/reconciliation?from={today}&to={today}")
    assert shown.status_code == 200
    assert '<strong data-kind="settled_amount_mismatch">1</strong>' in shown.text and "ch_not_ours" in shown.text
    assert browser.get("/erp/accounting/reconciliation?from=garbage").status_code == 422

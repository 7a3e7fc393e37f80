"""The accounting hand-off on both backends: the real business flows (an order placed, paid, shipped, invoiced; a
return received and refunded) post balanced journal entries through the outbox and the dispatcher, each announced
as journal.entry_posted.v1; the CSV export holds a period's entries and nothing outside it; tenants never see each
other's journal."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from stockyard.billing import journal
from stockyard.billing import journal_domain as jd
from stockyard.billing.journal_export import journal_csv
from stockyard.billing.journal_models import JournalEntry
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import PermissionDenied, ValidationFailed
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import perform, read
from stockyard.identity.domain import ACCOUNTING_VIEW
from stockyard.integration.dispatch import drain
from stockyard.returns import queries as return_queries
from stockyard.returns.services import (
    Decision,
    InspectLineIn,
    InspectReturn,
    ReceiveItems,
    RefundReturn,
    RequestReturn,
    ReturnLineIn,
    authorize_return,
    inspect_return,
    receive_items,
    refund_return,
    request_return,
)
from stockyard.sales import orders
from stockyard.sales.models import Order
from tests.conftest import TenantCtx, new_tenant
from tests.returns.support import Delivered, delivered_order, staff
from tests.sales.shop_setup import SHIPPING_PRICE, Shop, build_shop

UNIT_COST = Decimal("4.00")  # build_shop receives all stock at this cost


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant, stock={"SKU-001": 10, "SKU-002": 10, "SKU-003": 10})


def today() -> date:
    return utcnow().date()


def entries(ctx: TenantCtx, start: date | None = None, end: date | None = None) -> dict[int, list[journal.JournalRow]]:
    rows = read(ctx.engine, ctx.actor, journal.journal_rows, start or today() - timedelta(days=1),
                end or today() + timedelta(days=1))
    out: dict[int, list[journal.JournalRow]] = {}
    for row in rows:
        out.setdefault(row.entry_id, []).append(row)
    return out


def by_kind(ctx: TenantCtx) -> dict[str, list[list[journal.JournalRow]]]:
    out: dict[str, list[list[journal.JournalRow]]] = {}
    for lines in entries(ctx).values():
        out.setdefault(lines[0].kind, []).append(lines)
    return out


def postings(lines: list[journal.JournalRow]) -> dict[str, tuple[Decimal, Decimal]]:
    return {line.account: (line.debit, line.credit) for line in lines}


def assert_balanced(ctx: TenantCtx) -> None:
    for lines in entries(ctx).values():
        assert sum(line.debit for line in lines) == sum(line.credit for line in lines) > 0


def order_row(ctx: TenantCtx, order_id: int) -> Any:
    with ctx.engine.connect() as conn:
        return conn.execute(select(Order.__table__).where(Order.__table__.c.id == order_id)).one()


def invoiced_order(shop: Shop) -> Delivered:
    """Two of SKU-001 (10.00) and one SKU-002 (25.00), paid by card, shipped, delivered and invoiced."""
    order = delivered_order(shop, SKU_001=2, SKU_002=1)
    perform(shop.ctx.engine, shop.ctx.actor, orders.invoice_order, order.order_id)
    return order


def test_an_order_paid_shipped_and_invoiced_posts_payment_cogs_and_invoice(shop: Shop) -> None:
    order = invoiced_order(shop)
    drain(shop.ctx.engine, tenant_id=shop.ctx.tenant_id)
    ctx, head = shop.ctx, order_row(shop.ctx, order.order_id)
    kinds = by_kind(ctx)
    assert sorted(kinds) == ["cogs", "invoice", "payment", "receipt"]
    assert all(len(kinds[kind]) == 1 for kind in ("cogs", "invoice", "payment"))
    # build_shop received each SKU's stock: inventory against goods received not invoiced, at the receipt's cost
    assert [postings(lines) for lines in kinds["receipt"]] == [
        {jd.INVENTORY: (10 * UNIT_COST, Decimal(0)), jd.GOODS_RECEIVED_NOT_INVOICED: (Decimal(0), 10 * UNIT_COST)}
    ] * 3
    total = head.grand_total
    assert total == Decimal("45.00") + SHIPPING_PRICE

    payment = postings(kinds["payment"][0])
    assert payment == {jd.BANK_CLEARING: (total, Decimal(0)), jd.RECEIVABLES: (Decimal(0), total)}

    invoice = postings(kinds["invoice"][0])
    tax = jd.cents(head.tax_total)
    assert tax == Decimal("7.96")  # 19 % included, per line: 3.19 + 3.99 + 0.78 on shipping (billing/tax_domain.py)
    shipping_net = SHIPPING_PRICE - Decimal("0.78")  # its share of the tax
    assert invoice == {jd.RECEIVABLES: (total, Decimal(0)), jd.REVENUE: (Decimal(0), total - shipping_net - tax),
                       jd.SHIPPING_INCOME: (Decimal(0), shipping_net), jd.TAX_PAYABLE: (Decimal(0), tax)}
    assert kinds["invoice"][0][0].reference.startswith("INV-")

    cogs = postings(kinds["cogs"][0])  # three units at the ledger's unit cost
    assert cogs == {jd.COGS: (3 * UNIT_COST, Decimal(0)), jd.INVENTORY: (Decimal(0), 3 * UNIT_COST)}
    assert kinds["cogs"][0][0].reference == order.number
    assert_balanced(ctx)

    # Receivables are settled: invoiced and paid.
    receivables = [line for lines in entries(ctx).values() for line in lines if line.account == jd.RECEIVABLES]
    assert sum(line.debit - line.credit for line in receivables) == 0

    # Every entry is announced for the accounting system, and a second dispatch posts nothing twice.
    with ctx.engine.connect() as conn:
        posted = conn.execute(select(OutboxEvent.__table__.c.payload).where(
            OutboxEvent.__table__.c.tenant_id == ctx.tenant_id,
            OutboxEvent.__table__.c.type == "journal.entry_posted.v1")).scalars().all()
    assert sorted(p["entry_id"] for p in posted) == sorted(entries(ctx))
    invoice_event = next(p for p in posted if p["kind"] == "invoice")
    assert invoice_event["source_event_type"] == "invoice.issued.v1"
    assert {line["account"] for line in invoice_event["lines"]} == {"1100", "4000", "4100", "2200"}
    drain(ctx.engine, tenant_id=ctx.tenant_id)
    assert len(entries(ctx)) == 6


def test_a_return_received_and_refunded_reverses_cost_revenue_tax_and_cash(shop: Shop) -> None:
    order = invoiced_order(shop)
    clerk = staff(shop)
    e = shop.ctx.engine
    return_id = perform(e, clerk, request_return, RequestReturn(
        order_id=order.order_id, reason="defective", reason_text="it rattles",
        lines=[ReturnLineIn(order_line_id=order.lines["SKU-001"], quantity=2)])).id
    perform(e, clerk, authorize_return, return_id, Decision(note="ok"))
    perform(e, clerk, receive_items, return_id, ReceiveItems(location="MAIN/A/02"))
    line = read(e, clerk, return_queries.return_detail, return_id).lines[0]
    perform(e, clerk, inspect_return, return_id, InspectReturn(lines=[InspectLineIn(return_line_id=line.id,
                                                                                     grade="like new")]))
    refunded = perform(e, clerk, refund_return, return_id, RefundReturn())
    assert refunded == Decimal("20.00")
    drain(e, tenant_id=shop.ctx.tenant_id)
    ctx, head = shop.ctx, order_row(shop.ctx, order.order_id)
    kinds = by_kind(ctx)
    assert sorted(kinds) == ["cogs", "invoice", "payment", "receipt", "refund", "return_credit", "return_receipt"]

    receipt = postings(kinds["return_receipt"][0])  # the two units back at their cost
    assert receipt == {jd.INVENTORY: (2 * UNIT_COST, Decimal(0)), jd.COGS: (Decimal(0), 2 * UNIT_COST)}

    credit = postings(kinds["return_credit"][0])
    tax = jd.cents(refunded * head.tax_total / head.grand_total)
    assert credit == {jd.REVENUE: (refunded - tax, Decimal(0)), jd.TAX_PAYABLE: (tax, Decimal(0)),
                      jd.RECEIVABLES: (Decimal(0), refunded)}
    assert tax == Decimal("3.19")  # 19 % tax included in 20.00

    refund = postings(kinds["refund"][0])
    assert refund == {jd.RECEIVABLES: (refunded, Decimal(0)), jd.BANK_CLEARING: (Decimal(0), refunded)}
    assert_balanced(ctx)

    def balance(account: str) -> Decimal:
        return sum((line.debit - line.credit for lines in entries(ctx).values() for line in lines
                    if line.account == account), Decimal(0))

    assert balance(jd.RECEIVABLES) == 0
    assert balance(jd.BANK_CLEARING) == head.grand_total - refunded
    assert balance(jd.COGS) == UNIT_COST  # one unit sold for good
    assert balance(jd.INVENTORY) == 30 * UNIT_COST - UNIT_COST  # 30 received, one sold for good


def _backdate(engine: Engine, tenant_id: int, when: datetime) -> None:
    t = JournalEntry.__table__
    with engine.begin() as conn:
        conn.execute(update(t).where(t.c.tenant_id == tenant_id, t.c.kind == "payment").values(posted_at=when))


def test_the_csv_holds_the_period_and_nothing_outside_it(shop: Shop) -> None:
    invoiced_order(shop)
    drain(shop.ctx.engine, tenant_id=shop.ctx.tenant_id)
    ctx = shop.ctx
    last_month = datetime.combine(today().replace(day=1) - timedelta(days=3), datetime.min.time()) + timedelta(
        hours=23, minutes=59, seconds=59)
    _backdate(ctx.engine, ctx.tenant_id, last_month)
    day = last_month.date()

    rows = read(ctx.engine, ctx.actor, journal.journal_rows, day, day)
    parsed = list(csv.DictReader(io.StringIO(journal_csv(rows))))
    assert {r["kind"] for r in parsed} == {"payment"}
    assert [(r["account"], r["debit"], r["credit"]) for r in parsed] == [
        ("1000", parsed[0]["debit"], "0.00"), ("1100", "0.00", parsed[0]["debit"])]
    assert parsed[0]["date"] == day.isoformat() and parsed[0]["account_name"] == "Bank / payment gateway clearing"

    this_period = read(ctx.engine, ctx.actor, journal.journal_rows, day + timedelta(days=1), today())
    assert {r.kind for r in this_period} == {"invoice", "cogs", "receipt"}
    assert read(ctx.engine, ctx.actor, journal.journal_rows, day - timedelta(days=30), day - timedelta(days=1)) == []


def test_bad_periods_and_missing_permission_are_refused(tenant: TenantCtx) -> None:
    for start, end, field in ((None, today(), "from"), (today(), None, "to"),
                              (today(), today() - timedelta(days=1), "to"),
                              (today() - timedelta(days=400), today(), "to")):
        with pytest.raises(ValidationFailed) as caught:
            read(tenant.engine, tenant.actor, journal.journal_rows, start, end)
        assert caught.value.field == field
    nobody = Actor(tenant.tenant_id, None, "clerk", frozenset({"orders.view"}))
    with pytest.raises(PermissionDenied):
        read(tenant.engine, nobody, journal.journal_rows, today(), today())
    accountant = Actor(tenant.tenant_id, None, "accountant", frozenset({ACCOUNTING_VIEW}))
    assert read(tenant.engine, accountant, journal.journal_rows, today(), today()) == []


def test_tenants_never_see_each_others_journal(shop: Shop, engine: Engine) -> None:
    invoiced_order(shop)
    other = new_tenant(engine)
    for tenant in (shop.ctx, other):
        drain(engine, tenant_id=tenant.tenant_id)
    assert len(entries(shop.ctx)) == 6
    assert entries(other) == {}

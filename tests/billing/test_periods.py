"""Accounting periods on both backends: a month is closed and reopened by accounting.manage (audited); a closed month
refuses a backdated write-off (service and HTTP) and nothing changes; into an open month the write-off's entry is
dated the day of the loss; an entry for a fact in a closed month is posted on the first day of the next open month,
its memo saying so. The trial balance carries the balance from one period into the next."""

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from stockyard.billing import journal, periods
from stockyard.billing import journal_domain as jd
from stockyard.billing import periods_domain as pd
from stockyard.billing.journal_export import trial_balance_csv
from stockyard.core.actor import Actor
from stockyard.core.audit import AuditEntry
from stockyard.core.clock import utcnow
from stockyard.core.errors import PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import ACCOUNTING_MANAGE, ACCOUNTING_VIEW
from stockyard.integration.dispatch import drain
from stockyard.inventory import counts
from stockyard.inventory.models import StockLevel, StockMove
from stockyard.inventory.movements import WriteOffStock, write_off_stock
from tests.billing.test_journal_http import CSRF, _signed_in
from tests.conftest import TenantCtx, new_tenant
from tests.factories import build_world, receive

COST = Decimal("2.50")


def today() -> date:
    return utcnow().date()


def last_month() -> date:
    return pd.previous_month(pd.month_of(today()))


@pytest.fixture
def stocked(tenant: TenantCtx) -> TenantCtx:
    """Ten units at 2.50, received (as no service can backdate a receipt, the test dates its move) on the first day
    of last month, so that a loss later in that month is one of goods on hand."""
    build_world(tenant, skus=1)
    move_id = receive(tenant, "SKU-001", "MAIN/A/01", 10, unit_cost=COST)
    moves = StockMove.__table__
    with tenant.engine.begin() as conn:
        conn.execute(update(moves).where(moves.c.id == move_id).values(
            occurred_at=datetime.combine(last_month(), time.min)))
    return tenant


def _on_hand(ctx: TenantCtx) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.sum(StockLevel.__table__.c.on_hand)).where(
            StockLevel.__table__.c.tenant_id == ctx.tenant_id)).scalar() or 0)


def _moves(ctx: TenantCtx) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(StockMove.__table__).where(
            StockMove.__table__.c.tenant_id == ctx.tenant_id)).scalar_one())


def _write_off(day: date | None, quantity: int = 2) -> WriteOffStock:
    return WriteOffStock(sku="SKU-001", location="MAIN/A/01", quantity=quantity, reason="damaged", note="forklift",
                         effective_on=day)


def _entries(ctx: TenantCtx, kind: str) -> list[list[journal.JournalRow]]:
    rows = read(ctx.engine, ctx.actor, journal.journal_rows, today() - timedelta(days=90), today())
    found: dict[int, list[journal.JournalRow]] = {}
    for row in rows:
        if row.kind == kind:
            found.setdefault(row.entry_id, []).append(row)
    return list(found.values())


def test_a_closed_period_refuses_a_backdated_write_off_and_nothing_changes(stocked: TenantCtx) -> None:
    ctx = stocked
    perform(ctx.engine, ctx.actor, periods.close_period, pd.label(last_month()))
    before = (_on_hand(ctx), _moves(ctx))
    with pytest.raises(ValidationFailed) as refused:
        perform(ctx.engine, ctx.actor, write_off_stock, _write_off(last_month() + timedelta(days=9)))
    assert refused.value.field == "effective_on"
    assert f"{pd.label(last_month())} is closed" in refused.value.message
    assert (_on_hand(ctx), _moves(ctx)) == before

    with pytest.raises(ValidationFailed) as future:
        perform(ctx.engine, ctx.actor, write_off_stock, _write_off(today() + timedelta(days=1)))
    assert future.value.field == "effective_on" and (_on_hand(ctx), _moves(ctx)) == before

    # Reopened, the same write-off goes through and its entry is dated the day of the loss.
    perform(ctx.engine, ctx.actor, periods.reopen_period, pd.label(last_month()))
    day = last_month() + timedelta(days=9)
    perform(ctx.engine, ctx.actor, write_off_stock, _write_off(day))
    drain(ctx.engine, tenant_id=ctx.tenant_id)
    assert _on_hand(ctx) == 8
    [entry] = _entries(ctx, "write_off")
    assert entry[0].posted_at.date() == day
    assert {r.account: (r.debit, r.credit) for r in entry} == {
        jd.WRITE_OFFS: (2 * COST, Decimal(0)), jd.INVENTORY: (Decimal(0), 2 * COST)}
    assert "forklift" in entry[0].memo


def test_a_closed_period_refuses_a_backdated_write_off_over_http(stocked: TenantCtx, client: TestClient) -> None:
    ctx = stocked
    _, key = ctx.user("owner")
    headers = {"Authorization": f"Bearer {key}"}
    closed = client.post(f"/api/v1/accounting/periods/{pd.label(last_month())}/close", headers=headers)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    before = (_on_hand(ctx), _moves(ctx))
    body = {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1, "reason": "lost",
            "effective_on": (last_month() + timedelta(days=3)).isoformat()}
    answer = client.post("/api/v1/inventory/write-offs", json=body, headers=headers)
    assert answer.status_code == 422
    assert "effective_on" in answer.text and "closed" in answer.text
    assert (_on_hand(ctx), _moves(ctx)) == before
    scanned = client.post("/api/v1/mobile/warehouses/MAIN/write-offs", headers=headers, json={
        "sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1, "reason": "lost",
        "effective_on": body["effective_on"]})  # the phone's write-off likewise
    assert scanned.status_code == 422 and "closed" in scanned.text
    assert (_on_hand(ctx), _moves(ctx)) == before
    # Dated today, it is taken.
    taken = client.post("/api/v1/inventory/write-offs", json={**body, "effective_on": today().isoformat()},
                        headers=headers)
    assert taken.status_code == 201 and _on_hand(ctx) == before[0] - 1

    listed = client.get("/api/v1/accounting/periods", headers=headers).json()["periods"]
    assert {p["period"]: p["state"] for p in listed}[pd.label(last_month())] == "closed"
    assert client.post(f"/api/v1/accounting/periods/{pd.label(pd.month_of(today()))}/close",
                       headers=headers).status_code == 422  # this month has not ended
    _, sales = ctx.user("sales")
    assert client.post(f"/api/v1/accounting/periods/{pd.label(last_month())}/reopen",
                       headers={"Authorization": f"Bearer {sales}"}).status_code == 403


def test_an_entry_for_a_closed_month_is_posted_on_the_first_open_day_with_a_memo(stocked: TenantCtx) -> None:
    ctx = stocked
    day = last_month() + timedelta(days=4)
    perform(ctx.engine, ctx.actor, write_off_stock, _write_off(day, quantity=3))
    # The month is closed before the journal catches up with the write-off.
    perform(ctx.engine, ctx.actor, periods.close_period, last_month())
    drain(ctx.engine, tenant_id=ctx.tenant_id)
    [entry] = _entries(ctx, "write_off")
    assert entry[0].posted_at == datetime.combine(pd.month_of(today()), time.min)
    assert f"dated {day.isoformat()} in closed period {pd.label(last_month())}" in entry[0].memo
    assert sum(r.debit for r in entry) == sum(r.credit for r in entry) == 3 * COST

    with ctx.engine.connect() as conn:
        audited = conn.execute(select(AuditEntry.__table__.c.action).where(
            AuditEntry.__table__.c.tenant_id == ctx.tenant_id,
            AuditEntry.__table__.c.action.like("accounting_period.%"))).scalars().all()
    assert audited == ["accounting_period.closed.v1"]


def test_closing_rules_and_permissions(tenant: TenantCtx) -> None:
    e = tenant.engine
    for period, message in (("2026-13", "YYYY-MM"), ("soon", "YYYY-MM"),
                            (pd.label(pd.month_of(today())), "has not ended")):
        with pytest.raises(ValidationFailed) as caught:
            perform(e, tenant.actor, periods.close_period, period)
        assert message in caught.value.message and caught.value.field == "period"
    with pytest.raises(ValidationFailed):
        perform(e, tenant.actor, periods.reopen_period, pd.label(last_month()))  # it is not closed
    viewer = Actor(tenant.tenant_id, None, "auditor", frozenset({ACCOUNTING_VIEW}))
    with pytest.raises(PermissionDenied):
        perform(e, viewer, periods.close_period, pd.label(last_month()))
    manager = Actor(tenant.tenant_id, None, "controller", frozenset({ACCOUNTING_VIEW, ACCOUNTING_MANAGE}))
    perform(e, manager, periods.close_period, pd.label(last_month()))
    with pytest.raises(ValidationFailed):
        perform(e, manager, periods.close_period, pd.label(last_month()))  # already closed
    shown = {p.label: p for p in read(e, viewer, periods.list_periods)}
    assert len(shown) >= 12 and shown[pd.label(last_month())].closed
    assert shown[pd.label(last_month())].changed_by_name == "controller"
    assert not shown[pd.label(pd.month_of(today()))].can_close
    other = new_tenant(e)  # another tenant's books are its own
    assert not {p.label: p for p in read(e, other.actor, periods.list_periods)}[pd.label(last_month())].closed


def test_the_trial_balance_carries_balances_into_the_next_period(stocked: TenantCtx) -> None:
    ctx = stocked
    perform(ctx.engine, ctx.actor, write_off_stock, _write_off(last_month() + timedelta(days=1), quantity=4))
    perform(ctx.engine, ctx.actor, write_off_stock, _write_off(None, quantity=2))
    drain(ctx.engine, tenant_id=ctx.tenant_id)
    # Last month: received 25.00, wrote off 10.00; this month: wrote off 5.00.
    month, previous = pd.month_of(today()), last_month()
    before = read(ctx.engine, ctx.actor, journal.trial_balance, previous, pd.last_day(previous))
    assert {r.account: (r.opening, r.debit, r.credit, r.closing) for r in before} == {
        jd.INVENTORY: (0, 10 * COST, 4 * COST, 6 * COST), jd.GOODS_RECEIVED_NOT_INVOICED: (0, 0, 10 * COST, -10 * COST),
        jd.WRITE_OFFS: (0, 4 * COST, 0, 4 * COST)}
    now = read(ctx.engine, ctx.actor, journal.trial_balance, month, today())
    assert {r.account: (r.opening, r.debit, r.credit, r.closing) for r in now} == {
        jd.INVENTORY: (6 * COST, 0, 2 * COST, 4 * COST),
        jd.GOODS_RECEIVED_NOT_INVOICED: (-10 * COST, 0, 0, -10 * COST),
        jd.WRITE_OFFS: (4 * COST, 2 * COST, 0, 6 * COST)}
    [total] = journal.trial_balance_totals(now)
    assert total.balances and total.debit == total.credit == 2 * COST
    names = {r.account: (r.name, r.type) for r in now}
    assert names[jd.INVENTORY] == ("Inventory", "asset") and names[jd.WRITE_OFFS][1] == "expense"

    parsed = list(csv.DictReader(io.StringIO(trial_balance_csv(now, [total]))))
    assert [r["account"] for r in parsed] == [jd.INVENTORY, jd.GOODS_RECEIVED_NOT_INVOICED, jd.WRITE_OFFS, "total"]
    assert parsed[0]["opening_balance"] == "15.00" and parsed[0]["closing_balance"] == "10.00"
    assert parsed[-1]["debit"] == parsed[-1]["credit"] == "5.00" and parsed[-1]["closing_balance"] == "0.00"


def test_the_accounting_pages_close_a_month_and_the_write_off_form_respects_it(stocked: TenantCtx,
                                                                               client: TestClient) -> None:
    ctx = stocked
    owner = _signed_in(ctx, client, "owner")
    label = pd.label(last_month())
    listing = owner.get("/erp/accounting/periods")
    assert listing.status_code == 200 and label in listing.text
    assert f"/erp/accounting/periods/{label}/close" in listing.text
    token = CSRF.search(listing.text)[1]
    assert owner.post(f"/erp/accounting/periods/{label}/close", data={"csrf_token": token},
                      follow_redirects=False).status_code == 303
    assert f"/erp/accounting/periods/{label}/reopen" in owner.get("/erp/accounting/periods").text

    before = (_on_hand(ctx), _moves(ctx))
    refused = owner.post("/erp/write-off", data={
        "csrf_token": token, "sku": "SKU-001", "location": "MAIN/A/01", "quantity": "1", "reason": "lost",
        "effective_on": (last_month() + timedelta(days=2)).isoformat()})
    assert refused.status_code == 422 and f"{label} is closed" in refused.text
    assert (_on_hand(ctx), _moves(ctx)) == before
    count_id = perform(ctx.engine, ctx.actor, counts.open_count, counts.OpenCount(warehouse="MAIN",
                                                                                  locations=["MAIN/A/01"]))
    perform(ctx.engine, ctx.actor, counts.record_count, counts.RecordCount(
        count_id=count_id, location="MAIN/A/01", sku="SKU-001", counted=9))
    late = owner.post(f"/erp/counts/{count_id}/approve", data={
        "csrf_token": token, "effective_on": (last_month() + timedelta(days=5)).isoformat()})
    assert late.status_code == 422 and f"{label} is closed" in late.text
    assert (_on_hand(ctx), _moves(ctx)) == before

    chart = owner.get("/erp/accounting/accounts")
    assert chart.status_code == 200 and "Goods received not invoiced" in chart.text
    added = owner.post("/erp/accounting/accounts", data={"csrf_token": token, "code": "6450", "name": "Tools",
                                                         "type": "expense"}, follow_redirects=False)
    assert added.status_code == 303 and "Tools" in owner.get("/erp/accounting/accounts").text
    bad = owner.post("/erp/accounting/accounts", data={"csrf_token": token, "code": "6450", "name": "Again",
                                                       "type": "expense"})
    assert bad.status_code == 409 and "exists" in bad.text

    drain(ctx.engine, tenant_id=ctx.tenant_id)
    trial = owner.get("/erp/accounting/trial-balance", params={"from": last_month().isoformat(),
                                                               "to": today().isoformat()})
    assert trial.status_code == 200 and "Inventory" in trial.text and "25.00" in trial.text
    assert "does not balance" not in trial.text
    csv_text = owner.get("/api/v1/accounting/trial-balance.csv",
                         headers={"Authorization": f"Bearer {ctx.user('accountant')[1]}"}).text
    assert csv_text.startswith("account,account_name,type,currency,opening_balance")
    assert _signed_in(ctx, client, "warehouse_operator").get("/erp/accounting/periods").status_code == 403


def test_a_count_taken_in_a_closed_month_is_refused_and_one_in_an_open_month_is_dated_then(
        stocked: TenantCtx) -> None:
    ctx = stocked
    e, a = ctx.engine, ctx.actor
    count_id = perform(e, a, counts.open_count, counts.OpenCount(warehouse="MAIN", locations=["MAIN/A/01"]))
    perform(e, a, counts.record_count, counts.RecordCount(count_id=count_id, location="MAIN/A/01", sku="SKU-001",
                                                          counted=7))
    perform(e, a, periods.close_period, last_month())
    with pytest.raises(ValidationFailed) as refused:
        perform(e, a, counts.approve_count, count_id, last_month() + timedelta(days=20))
    assert refused.value.field == "effective_on" and _on_hand(ctx) == 10
    day = today() - timedelta(days=1) if today().day > 1 else today()
    assert perform(e, a, counts.approve_count, count_id, day) == 1
    drain(e, tenant_id=ctx.tenant_id)
    [loss] = _entries(ctx, "count_loss")
    assert loss[0].posted_at.date() == day and _on_hand(ctx) == 7
    assert {r.account: (r.debit, r.credit) for r in loss} == {
        jd.INVENTORY_ADJUSTMENTS: (3 * COST, Decimal(0)), jd.INVENTORY: (Decimal(0), 3 * COST)}

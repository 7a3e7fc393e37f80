"""The chart of accounts on both backends: a tenant gets the default chart when it first needs one (every account
the automatic postings use, typed); accounting.manage adds, renames, deactivates and reactivates accounts, audited;
a posting to an unknown or inactive account is refused with a clear error and posts nothing, and the stock posting
waits until the account is active again."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from stockyard.billing import accounts, journal
from stockyard.billing import accounts_domain as ad
from stockyard.billing import journal_domain as jd
from stockyard.billing.journal_models import JournalEntry
from stockyard.core.actor import Actor
from stockyard.core.audit import AuditEntry
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import ACCOUNTING_VIEW
from stockyard.integration.consumers import Event
from stockyard.integration.dispatch import drain
from tests.conftest import TenantCtx, new_tenant
from tests.factories import build_world, receive


def test_the_default_chart_holds_every_posted_account_with_a_type(tenant: TenantCtx) -> None:
    codes = {s.code: s.type for s in ad.DEFAULT_CHART}
    assert set(jd.ACCOUNT_NAMES) <= set(codes)
    assert len(codes) == len(ad.DEFAULT_CHART)
    assert {codes[jd.INVENTORY], codes[jd.BANK], codes[jd.RECEIVABLES]} == {"asset"}
    assert {codes[jd.GOODS_RECEIVED_NOT_INVOICED], codes[jd.TAX_PAYABLE], codes[ad.ACCOUNTS_PAYABLE]} == {"liability"}
    assert codes[ad.RETAINED_EARNINGS] == "equity" and codes[jd.REVENUE] == "income"
    assert codes[jd.COGS] == codes[jd.WRITE_OFFS] == codes[jd.PAYMENT_FEES] == "expense"

    with tenant.uow() as uow:
        chart = accounts.chart(uow)
        accounts.ensure_chart(uow)  # a second call adds nothing
        assert accounts.chart(uow) == chart
    assert set(chart) == set(codes) and all(a.active for a in chart.values())
    assert chart[jd.GOODS_RECEIVED_NOT_INVOICED].name == "Goods received not invoiced"


def test_accounts_are_added_renamed_and_deactivated_by_accounting_manage(tenant: TenantCtx) -> None:
    e, a = tenant.engine, tenant.actor
    perform(e, a, accounts.add_account, accounts.AccountIn(code=" 6400 ", name="Office  supplies", type="expense"))
    listed = {x.code: x for x in read(e, a, accounts.list_accounts)}
    assert (listed["6400"].name, listed["6400"].type, listed["6400"].active) == ("Office supplies", "expense", True)
    for cmd, error, field in ((accounts.AccountIn(code="6400", name="Again", type="expense"), Conflict, "code"),
                              (accounts.AccountIn(code="64 00", name="Spaces", type="expense"), ValidationFailed,
                               "code"),
                              (accounts.AccountIn(code="6500", name="", type="expense"), ValidationFailed, "name"),
                              (accounts.AccountIn(code="6500", name="Odd", type="revenue"), ValidationFailed,
                               "type")):
        with pytest.raises(error) as caught:
            perform(e, a, accounts.add_account, cmd)
        assert caught.value.field == field

    other = new_tenant(e)  # tenants never see each other's chart
    assert "6400" not in {x.code for x in read(e, other.actor, accounts.list_accounts)}
    with pytest.raises(NotFound):
        perform(e, other.actor, accounts.change_account, "6400", accounts.AccountChange(active=False))

    renamed = perform(e, a, accounts.change_account, "6400", accounts.AccountChange(name="Office costs"))
    assert renamed.name == "Office costs" and renamed.active
    off = perform(e, a, accounts.change_account, "6400", accounts.AccountChange(active=False))
    assert not off.active
    viewer = Actor(tenant.tenant_id, None, "auditor", frozenset({ACCOUNTING_VIEW}))
    with pytest.raises(PermissionDenied):
        perform(e, viewer, accounts.change_account, "6400", accounts.AccountChange(active=True))
    with pytest.raises(PermissionDenied):
        perform(e, viewer, accounts.add_account, accounts.AccountIn(code="7000", name="X", type="expense"))
    with tenant.engine.connect() as conn:
        audited = conn.execute(select(AuditEntry.__table__.c.action).where(
            AuditEntry.__table__.c.tenant_id == tenant.tenant_id,
            AuditEntry.__table__.c.action.like("account.%")).order_by(AuditEntry.__table__.c.id)).scalars().all()
    assert audited == ["account.created.v1", "account.updated.v1", "account.updated.v1"]


def test_a_posting_to_an_unknown_or_inactive_account_is_refused(tenant: TenantCtx) -> None:
    e, a = tenant.engine, tenant.actor
    event = Event(str(uuid.uuid4()), tenant.tenant_id, "test.v1", {}, utcnow())
    unknown = jd.Draft("test", "EUR", (jd.Line("9999", debit=jd.CENT), jd.Line(jd.BANK, credit=jd.CENT)))
    with pytest.raises(ValidationFailed, match="account 9999 is not in the chart of accounts"):
        perform(e, a, journal.post_entry, unknown, tenant_id=tenant.tenant_id, posted_at=utcnow(), event=event,
                order_id=None)

    perform(e, a, accounts.change_account, jd.INVENTORY, accounts.AccountChange(active=False))
    build_world(tenant, skus=1)
    receive(tenant, "SKU-001", "MAIN/A/01", 4, unit_cost=jd.CENT * 150)
    # The receipt's posting fails while Inventory is inactive: nothing is posted, the event waits.
    drain(e, tenant_id=tenant.tenant_id)
    with tenant.engine.connect() as conn:
        posted = conn.execute(select(JournalEntry.__table__.c.kind).where(
            JournalEntry.__table__.c.tenant_id == tenant.tenant_id)).scalars().all()
    assert posted == []
    with pytest.raises(ValidationFailed, match="account 1200 Inventory is inactive"), tenant.uow() as uow:
        accounts.check_postable(uow, [jd.INVENTORY])


def test_the_chart_page_and_api(tenant: TenantCtx, client: TestClient) -> None:
    _, key = tenant.user("owner")
    headers = {"Authorization": f"Bearer {key}"}
    created = client.post("/api/v1/accounting/accounts", json={"code": "6410", "name": "Software", "type": "expense"},
                          headers=headers)
    assert created.status_code == 201
    changed = client.patch("/api/v1/accounting/accounts/6410", json={"active": False}, headers=headers)
    assert changed.status_code == 200 and changed.json()["active"] is False
    bad = client.post("/api/v1/accounting/accounts", json={"code": "6411", "name": "X", "type": "nope"},
                      headers=headers)
    assert bad.status_code == 422 and "type" in bad.text
    listed = {x["code"]: x for x in client.get("/api/v1/accounting/accounts", headers=headers).json()["accounts"]}
    assert listed["6410"]["active"] is False and listed[jd.INVENTORY]["posted_automatically"] is True
    assert client.patch("/api/v1/accounting/accounts/0000", json={"name": "x"}, headers=headers).status_code == 404
    _, sales = tenant.user("sales")
    assert client.get("/api/v1/accounting/accounts", headers={"Authorization": f"Bearer {sales}"}).status_code == 403

"""The journal over HTTP: `GET /api/v1/accounting/journal.csv?from=&to=` and its JSON twin for accounting.view, and
the back-office page /erp/accounting/journal with its period form, totals, entries and the download link."""

import csv
import io
import re
import uuid
from datetime import timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from stockyard.core.clock import utcnow
from stockyard.integration.dispatch import drain
from tests.billing.test_journal import invoiced_order
from tests.conftest import TenantCtx
from tests.sales.shop_setup import build_shop

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _key(tenant: TenantCtx, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant.user(role)[1]}"}


def test_the_csv_export_and_its_permission(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant, stock={"SKU-001": 10, "SKU-002": 10, "SKU-003": 10})
    order = invoiced_order(shop)
    drain(tenant.engine, tenant_id=tenant.tenant_id)
    today = utcnow().date()
    period = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    accountant = _key(tenant, "accountant")

    answer = client.get("/api/v1/accounting/journal.csv", params=period, headers=accountant)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert f'journal-{period["from"]}-{period["to"]}.csv' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["kind"] for r in rows} == {"payment", "cogs", "invoice", "receipt"}
    assert sum(Decimal(r["debit"]) for r in rows) == sum(Decimal(r["credit"]) for r in rows) > 0
    assert order.number in {r["reference"] for r in rows}

    # Without a period: this month so far.
    assert client.get("/api/v1/accounting/journal.csv", headers=accountant).text == answer.text

    as_json = client.get("/api/v1/accounting/journal", params=period, headers=accountant).json()
    assert sorted(e["kind"] for e in as_json["entries"]) == ["cogs", "invoice", "payment"] + ["receipt"] * 3

    tomorrow = (today + timedelta(days=1)).isoformat()
    empty = client.get("/api/v1/accounting/journal.csv", params={"from": tomorrow, "to": tomorrow}, headers=accountant)
    assert empty.text.splitlines() == [empty.text.splitlines()[0]]  # the header row only

    bad = client.get("/api/v1/accounting/journal.csv", params={"from": today.isoformat(), "to": "2001-01-01"},
                     headers=accountant)
    assert bad.status_code == 422 and "ends before it starts" in bad.text
    garbled = client.get("/api/v1/accounting/journal.csv", params={"from": "yesterday", "to": "x"},
                         headers=accountant)
    assert garbled.status_code == 422 and "from" in garbled.text
    assert client.get("/api/v1/accounting/journal.csv", params=period,
                      headers=_key(tenant, "sales")).status_code == 403


def _signed_in(tenant: TenantCtx, client: TestClient, role: str) -> TestClient:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    tenant.user(role, email=email, password=PASSWORD)
    client = TestClient(client.app)
    token = CSRF.search(client.get("/login").text)[1]
    answer = client.post("/login", data={"tenant": tenant.slug, "email": email, "password": PASSWORD,
                                          "csrf_token": token, "next": "/erp"}, follow_redirects=False)
    assert answer.status_code == 303
    return client


def test_the_journal_page(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant, stock={"SKU-001": 10, "SKU-002": 10, "SKU-003": 10})
    invoiced_order(shop)
    drain(tenant.engine, tenant_id=tenant.tenant_id)
    accountant = _signed_in(tenant, client, "accountant")
    page = accountant.get("/erp/accounting/journal")
    assert page.status_code == 200
    text = page.text
    assert "Accounting journal" in text and "Sales revenue" in text and "Cost of goods sold" in text
    assert "INV-" in text and "/api/v1/accounting/journal.csv?from=" in text
    future = (utcnow().date() + timedelta(days=10)).isoformat()
    assert "No entries." in accountant.get("/erp/accounting/journal", params={"from": future, "to": future}).text
    wrong = accountant.get("/erp/accounting/journal", params={"from": "soon", "to": future})
    assert wrong.status_code == 422 and "must be a date" in wrong.text
    assert _signed_in(tenant, client, "warehouse_operator").get("/erp/accounting/journal").status_code == 403

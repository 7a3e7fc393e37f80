"""Valuation and landed costs over HTTP: the report page as of a day with its CSV, the method form, the landed-cost
form (a clear error for weight without weights), list and detail pages; the JSON API and its permissions."""

import csv
import io
from decimal import Decimal

from fastapi.testclient import TestClient

from stockyard.core.clock import utcnow
from stockyard.core.uow import perform
from stockyard.purchasing.receiving import BlindLine, BlindReceipt, receive_blind
from tests.billing.test_journal_http import CSRF, _key, _signed_in
from tests.conftest import TenantCtx
from tests.sales.shop_setup import build_shop


def test_valuation_and_landed_cost_pages_and_api(tenant: TenantCtx, client: TestClient) -> None:
    build_shop(tenant, stock={"SKU-001": 10})  # 10 @ 4.00 in MAIN
    receipt = perform(tenant.engine, tenant.actor, receive_blind, BlindReceipt(
        warehouse="MAIN", location="MAIN/A/01",
        lines=[BlindLine(sku="SKU-001", quantity=5, unit_cost=Decimal("7.00"))]))
    today = utcnow().date().isoformat()
    accountant = _signed_in(tenant, client, "accountant")

    page = accountant.get("/erp/accounting/valuation", params={"as_of": today})
    assert page.status_code == 200
    assert 'data-total="value">75.00<' in page.text and "SKU-001" in page.text  # 40.00 + 35.00
    assert "applies from the moment it is saved" in page.text
    assert accountant.get("/erp/accounting/valuation", params={"as_of": "2001-01-01"}).text.count(
        "No stock with a value on that day.") == 1
    assert accountant.get("/erp/accounting/valuation", params={"as_of": "soon"}).status_code == 422

    token = CSRF.search(page.text)[1]
    moved = accountant.post("/erp/accounting/valuation/method", data={"method": "average", "csrf_token": token},
                            follow_redirects=False)
    assert moved.status_code == 303
    assert 'data-method="average"' in accountant.get("/erp/accounting/valuation").text

    form = accountant.get("/erp/accounting/landed-costs/new")
    assert form.status_code == 200 and receipt.number in form.text
    fields = {"kind": "freight", "amount": "15.00", "currency": "EUR", "basis": "weight", "receipts": receipt.number,
              "csrf_token": CSRF.search(form.text)[1]}
    refused = accountant.post("/erp/accounting/landed-costs/new", data=fields, follow_redirects=False)
    assert refused.status_code == 422 and "no weight recorded for SKU-001" in refused.text
    done = accountant.post("/erp/accounting/landed-costs/new", data={**fields, "basis": "value", "reference": "DHL-77"},
                           follow_redirects=False)
    assert done.status_code == 303
    detail = accountant.get(done.headers["location"])
    assert detail.status_code == 200 and receipt.number in detail.text and "15.00" in detail.text
    assert "DHL-77" in accountant.get("/erp/accounting/landed-costs").text

    key = _key(tenant, "accountant")
    report = client.get("/api/v1/accounting/valuation", headers=key).json()
    assert report["method"] == "average" and report["total_value"] == "90.00"
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/accounting/valuation.csv", headers=key).text)))
    assert rows[-1]["sku"] == "TOTAL" and rows[-1]["value"] == "90.00"
    created = client.post("/api/v1/accounting/landed-costs", headers=key, json={
        "kind": "duty", "amount": "3.00", "currency": "EUR", "basis": "quantity", "receipts": [receipt.number]})
    assert created.status_code == 201 and created.json()["lines"][0]["amount"] == "3.00"
    assert client.get(f"/api/v1/accounting/landed-costs/{created.json()['id']}", headers=key).json()["number"]
    bad = client.post("/api/v1/accounting/landed-costs", headers=key, json={
        "kind": "duty", "amount": "3.00", "currency": "EUR", "basis": "quantity", "receipts": ["GR-NONE"]})
    assert bad.status_code == 422 and "GR-NONE" in bad.text
    assert client.put("/api/v1/accounting/valuation/method", headers=key, json={"method": "fifo"}).json()[
        "method"] == "fifo"
    assert client.put("/api/v1/accounting/valuation/method", headers=_key(tenant, "sales"),
                      json={"method": "average"}).status_code == 403

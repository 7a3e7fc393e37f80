"""Invoices: a gapless number sequence per tenant and year, one invoice per order, the PDF through the API."""

import io
from decimal import Decimal

import pypdf
import pytest
from fastapi.testclient import TestClient

from stockyard.billing import invoices, payments
from stockyard.billing.invoices import InvoiceLineIn, IssueInvoice
from stockyard.core.clock import utcnow
from stockyard.core.errors import PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from tests.billing.support import ADDRESS, card, make_method, make_order, role, storefront
from tests.conftest import Api, TenantCtx, new_tenant

D = Decimal


def issue(ctx: TenantCtx, order_id: int, **kw: object) -> int:
    cmd = IssueInvoice(order_id=order_id, order_number=f"SO-{order_id}", currency="EUR", lines=[
        InvoiceLineIn("SKU-001", "Brake pad set, front", 2, D("12.50"), D("0.19")),
        InvoiceLineIn("SKU-002", "Oil filter", 1, D("7.3333"), D("0.19")),
    ], shipping_total=D("4.90"), tax_total=D("5.99"), email="jana@example.com", seller="Acme Parts GmbH",
        billing_address=ADDRESS, shipping_address=ADDRESS)
    return perform(ctx.engine, ctx.actor, invoices.issue_invoice, cmd.__class__(**{**cmd.__dict__, **kw}))


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_numbers_are_gapless_per_tenant_and_an_order_gets_one_invoice(tenant: TenantCtx) -> None:
    year = utcnow().year
    orders = [make_order(tenant) for _ in range(3)]
    first = issue(tenant, orders[0])
    # A failing issue (bad input) takes no number.
    with pytest.raises(ValidationFailed):
        issue(tenant, orders[1], lines=[InvoiceLineIn("SKU-001", "x", 0, D(1))])
    second, third = issue(tenant, orders[1]), issue(tenant, orders[2])
    assert issue(tenant, orders[0]) == first  # idempotent per order
    numbers = [read(tenant.engine, tenant.actor, invoices.get_invoice, i).number for i in (first, second, third)]
    assert numbers == [f"INV-{year}-000001", f"INV-{year}-000002", f"INV-{year}-000003"]
    other = new_tenant(tenant.engine)  # another tenant has its own sequence
    other_invoice = issue(other, make_order(other))
    assert read(other.engine, other.actor, invoices.get_invoice, other_invoice).number == f"INV-{year}-000001"


def test_a_rolled_back_issue_gives_its_number_back(tenant: TenantCtx) -> None:
    orders = [make_order(tenant) for _ in range(2)]

    def issue_then_fail(uow, order_id):  # noqa: ANN001, ANN202
        invoices.issue_invoice(uow, IssueInvoice(order_id, "SO-X", "EUR", [InvoiceLineIn("A", "a", 1, D(1))]))
        raise ValidationFailed("something later in the same transaction failed")

    with pytest.raises(ValidationFailed):
        perform(tenant.engine, tenant.actor, issue_then_fail, orders[0])
    number = read(tenant.engine, tenant.actor, invoices.get_invoice, issue(tenant, orders[1])).number
    assert number.endswith("-000001")


def test_totals_are_computed_and_checked(tenant: TenantCtx) -> None:
    view = read(tenant.engine, tenant.actor, invoices.get_invoice, issue(tenant, make_order(tenant)))
    assert [line.total for line in view.lines] == [D("25.00"), D("7.33")]
    assert (view.subtotal, view.shipping_total, view.tax_total, view.grand_total) == (
        D("32.33"), D("4.90"), D("5.99"), D("37.23"))  # prices include tax: the tax is not added again
    added = read(tenant.engine, tenant.actor, invoices.get_invoice,
                 issue(tenant, make_order(tenant), prices_include_tax=False))
    assert added.grand_total == D("43.22")
    with pytest.raises(ValidationFailed, match="add up to 37.23, not 40.00") as error:
        issue(tenant, make_order(tenant), expected_total=D("40.00"))
    assert error.value.field == "expected_total"
    for bad, field in [({"lines": []}, "lines"), ({"currency": "EU"}, "currency"),
                       ({"shipping_total": D("-1")}, "shipping_total"),
                       ({"lines": [InvoiceLineIn("A", "a", 1, D("-2"))]}, "lines[0].unit_price")]:
        with pytest.raises(ValidationFailed) as error:
            issue(tenant, make_order(tenant), **bad)
        assert error.value.field == field


def test_permissions(tenant: TenantCtx) -> None:
    order = make_order(tenant)
    cmd = IssueInvoice(order, "SO-1", "EUR", [InvoiceLineIn("A", "a", 1, D(1))])
    for who in (role(tenant, "accountant"), storefront(tenant)):
        with pytest.raises(PermissionDenied):
            perform(tenant.engine, who, invoices.issue_invoice, cmd)
    invoice_id = perform(tenant.engine, role(tenant, "sales"), invoices.issue_invoice, cmd)
    with pytest.raises(PermissionDenied):
        read(tenant.engine, storefront(tenant), invoices.invoice_pdf, invoice_id)


def test_invoice_pdf_shows_what_was_sold_and_how_it_was_paid(tenant: TenantCtx) -> None:
    order = make_order(tenant, D("37.23"))
    perform(tenant.engine, storefront(tenant), payments.take_payment, payments.TakePayment(
        order, make_method(tenant, name="Card (test)"), D("37.23"), "EUR", "k", card()))
    invoice_id = issue(tenant, order, expected_total=D("37.23"))
    text = pdf_text(read(tenant.engine, role(tenant, "read_only"), invoices.invoice_pdf, invoice_id))
    number = read(tenant.engine, tenant.actor, invoices.get_invoice, invoice_id).number
    for expected in ["Acme Parts GmbH", "Invoice", number, f"SO-{order}", "Jana Novak", "Hauptstrasse 5",
                     "10115 Berlin", "jana@example.com", "SKU-001", "Brake pad set, front", "12.50 EUR", "25.00 EUR",
                     "Oil filter", "7.33 EUR", "Subtotal 32.33 EUR", "Shipping 4.90 EUR", "Included tax 5.99 EUR",
                     "Total 37.23 EUR", "Payment: Card (test) (captured)"]:
        assert expected in text, expected


def test_invoice_pdf_over_the_api(tenant: TenantCtx, api: Api, client: TestClient) -> None:
    invoice_id = issue(tenant, make_order(tenant))
    response = api.get(f"/api/v1/invoices/{invoice_id}.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "Oil filter" in pdf_text(response.content)
    assert api.get(f"/api/v1/invoices/{invoice_id}").json()["grand_total"] == "37.23"
    assert api.get(f"/api/v1/invoices/{invoice_id + 9999}.pdf").status_code == 404
    assert client.get(f"/api/v1/invoices/{invoice_id}.pdf").status_code == 401
    other = new_tenant(tenant.engine)
    _, key = other.user("owner")
    foreign = client.get(f"/api/v1/invoices/{invoice_id}.pdf", headers={"Authorization": f"Bearer {key}"})
    assert foreign.status_code == 404

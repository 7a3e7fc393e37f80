"""Taxes by destination and product tax class on every way an order comes in (storefront checkout, staff phone
order, external channel order), the tax lines on the order, the invoice and its PDF, and the tax admin page.

The shop (tests/sales/shop_setup.py) sells SKU-001 at 10.00 and SKU-002 at 25.00 with 4.90 shipping, prices
including tax, and its channel's own rate is 20 % (the fallback). The tenant's rates: DE standard 19 %, DE reduced
7 %, DE standard 25 % from next month (not yet valid), Heligoland (region HELGOLAND) standard 0 %. SKU-002's
product is in the reduced class."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from stockyard.billing import invoices, tax_queries
from stockyard.billing.tax_domain import TaxLine
from stockyard.billing.tax_services import TaxClassIn, TaxRateIn, create_tax_class, create_tax_rate, delete_tax_class
from stockyard.catalog import editing
from stockyard.catalog.csv_import import import_products
from stockyard.catalog.models import Product, Sku
from stockyard.catalog.services import CreateProduct, SkuIn, create_product
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, RowErrors, ValidationFailed
from stockyard.core.files import LocalFileStore
from stockyard.core.uow import perform, read
from stockyard.documents import services as documents
from stockyard.fulfilment.config import BandIn, SetRateTable, ZoneIn, create_zone, set_rate_table
from stockyard.returns.services import RefundReturn, refund_return
from stockyard.sales import external_order, orders
from stockyard.sales.customer_queries import customer_order
from stockyard.sales.models import Channel, Customer, OrderLine
from tests.billing.test_invoices import pdf_text
from tests.conftest import Api, TenantCtx
from tests.returns.support import delivered_order, staff
from tests.returns.test_services import inspected
from tests.sales.order_fixtures import checkout_order, detail, phone_order
from tests.sales.shop_setup import SHIPPING_PRICE, Shop, build_shop
from tests.web.test_pages import Staff, new_client, sign_in  # noqa: F401  (fixtures)

D = Decimal
STANDARD_19 = "DE VAT standard 19%"
REDUCED_7 = "DE VAT reduced 7%"


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    shop = build_shop(tenant, tax_rate=D("0.20"))
    e, a = tenant.engine, tenant.actor
    perform(e, a, create_tax_class, TaxClassIn(code="reduced", name="Reduced (books, food)"))
    for rate in (TaxRateIn(country="DE", name=STANDARD_19, rate=D("0.19")),
                 TaxRateIn(country="de", tax_class="reduced", name=REDUCED_7, rate=D("0.07")),
                 TaxRateIn(country="DE", name="DE VAT 25% (not yet)", rate=D("0.25"),
                           valid_from=utcnow().date() + timedelta(days=30)),
                 TaxRateIn(country="DE", region="Helgoland", name="DE Heligoland 0%", rate=D("0"))):
        perform(e, a, create_tax_rate, rate)
    set_tax_class(shop, "SKU-002", "reduced")
    return shop


def set_tax_class(shop: Shop, sku: str, tax_class: str) -> None:
    with shop.ctx.uow() as uow:
        product = uow.execute(select(Product).join(Sku, Sku.product_id == Product.id).where(Sku.code == sku)).scalar()
        assert product is not None
        values = {"name": product.name, "part_number": product.part_number, "category_id": product.category_id}
    perform(shop.ctx.engine, shop.ctx.actor, editing.update_product, product.id,
            editing.UpdateProduct(**values, tax_class=tax_class))


def line_rates(shop: Shop, order_id: int) -> list[tuple[str, Decimal, str]]:
    lines = OrderLine.__table__
    with shop.ctx.uow() as uow:
        return [(r.sku_code, D(r.tax_rate), r.tax_name) for r in uow.conn.execute(
            select(lines.c.sku_code, lines.c.tax_rate, lines.c.tax_name).where(lines.c.order_id == order_id)
            .order_by(lines.c.sku_code))]


# Hand-worked in tests/billing/test_tax_domain.py: 20.00 at 19 % and 25.00 at 7 %, shipping split 2.18 / 2.72.
INCLUSIVE = [TaxLine(STANDARD_19, D("0.19"), D("18.64"), D("3.54")), TaxLine(REDUCED_7, D("0.07"), D("25.90"),
                                                                               D("1.82"))]


def test_checkout_taxes_each_line_at_its_class_rate_and_the_invoice_prints_the_summary(shop: Shop) -> None:
    placed = checkout_order(shop, {"SKU-001": 2, "SKU-002": 1})
    order = detail(shop, placed.order_id)
    assert order.tax_lines == INCLUSIVE
    assert (order.tax_total, order.grand_total) == (D("5.36"), D("45.00") + SHIPPING_PRICE)
    assert line_rates(shop, placed.order_id) == [("SKU-001", D("0.19"), STANDARD_19), ("SKU-002", D("0.07"),
                                                                                        REDUCED_7)]
    assert read(shop.ctx.engine, shop.actor, customer_order, placed.number, customer_id=None,
                guest_numbers=[placed.number]).tax_lines == INCLUSIVE  # what the buyer's order page shows
    e, a = shop.ctx.engine, shop.ctx.actor
    perform(e, a, orders.ship_order, placed.order_id)
    perform(e, a, orders.mark_delivered, placed.order_id)
    invoice_id = perform(e, a, orders.invoice_order, placed.order_id)
    invoice = read(e, a, invoices.get_invoice, invoice_id)
    assert (invoice.tax_total, invoice.tax_lines) == (D("5.36"), INCLUSIVE)
    text = pdf_text(read(e, a, invoices.invoice_pdf, invoice_id))
    assert "Tax summary" in text and "Taxable base" in text
    for expected in (STANDARD_19, "18.64", "3.54", REDUCED_7, "25.90", "1.82", "5.36"):
        assert expected in text, expected


def test_a_phone_order_with_prices_excluding_tax_adds_the_tax_per_rate(shop: Shop) -> None:
    with shop.ctx.uow() as uow:
        uow.conn.execute(update(Channel.__table__).where(Channel.__table__.c.id == shop.channel_id)
                         .values(prices_include_tax=False))
    placed = phone_order(shop, {"SKU-001": 2, "SKU-002": 1})
    order = detail(shop, placed.number)
    assert order.tax_lines == [TaxLine(STANDARD_19, D("0.19"), D("22.18"), D("4.21")),
                               TaxLine(REDUCED_7, D("0.07"), D("27.72"), D("1.94"))]
    assert (order.tax_total, order.grand_total) == (D("6.15"), D("56.05"))


def test_a_channel_order_to_a_region_with_its_own_rate(shop: Shop) -> None:
    """Heligoland: the regional 0 % beats DE standard; the reduced class has no regional rate, so DE's 7 %."""
    with shop.ctx.uow() as uow:
        customer = uow.conn.execute(insert(Customer.__table__).values(
            tenant_id=uow.tenant_id, email="site@example.com", created_at=utcnow()).returning(
            Customer.__table__.c.id)).scalar_one()
    placed = perform(shop.ctx.engine, shop.ctx.actor, external_order.create_external_order,
                     external_order.ExternalOrder(
                         channel_id=shop.channel_id, source="channel", external_ref="1001", idempotency_key="ext-1001",
                         customer_id=customer, email="site@example.com", paid=True, currency="EUR",
                         shipping_address=shop.address(region="Helgoland", postcode="27498", city="Helgoland"),
                         billing_address=None, shipping_total=D("4.90"), lines=(
                             external_order.ExternalLine("SKU-001", 2, D("10.00")),
                             external_order.ExternalLine("SKU-002", 1, D("25.00")))))
    order = detail(shop, placed.order_id)
    assert order.tax_lines == [TaxLine(REDUCED_7, D("0.07"), D("25.90"), D("1.82")),
                               TaxLine("DE Heligoland 0%", D("0"), D("22.18"), D("0.00"))]
    assert order.tax_total == D("1.82")


def test_without_a_matching_rate_the_channels_rate_applies(shop: Shop) -> None:
    e, a = shop.ctx.engine, shop.ctx.actor
    zone = perform(e, a, create_zone, ZoneIn(name="Austria", countries=["AT"]))
    perform(e, a, set_rate_table, shop.method_id, SetRateTable(zone_id=zone, basis="weight", bands=[
        BandIn(lower=D(0), upper=None, price=SHIPPING_PRICE)]))
    placed = phone_order(shop, {"SKU-001": 2}, shipping_address=shop.address(country="AT", city="Wien",
                                                                             postcode="1010"))
    order = detail(shop, placed.number)
    # 20 − 20/1.2 = 3.33 and 4.90 − 4.90/1.2 = 0.82 at the channel's 20 %
    assert order.tax_lines == [TaxLine("Tax 20%", D("0.20"), D("20.75"), D("4.15"))]
    assert line_rates(shop, placed.order_id) == [("SKU-001", D("0.2"), "Tax 20%")]


def test_tax_classes_and_rates_are_checked(shop: Shop) -> None:
    e, a = shop.ctx.engine, shop.ctx.actor
    with pytest.raises(ValidationFailed) as unknown:
        perform(e, a, create_product, CreateProduct(name="Manual", tax_class="luxury", skus=[SkuIn(code="BK-1")]))
    assert unknown.value.field == "tax_class"
    with pytest.raises(Conflict):
        perform(e, a, create_tax_rate, TaxRateIn(country="DE", name="again", rate=D("0.19")))
    with pytest.raises(ValidationFailed):
        perform(e, a, create_tax_rate, TaxRateIn(country="XX", name="nowhere", rate=D("0.1")))
    with pytest.raises(ValidationFailed):
        perform(e, a, create_tax_rate, TaxRateIn(country="DE", tax_class="luxury", name="lux", rate=D("0.3")))
    classes = {c.code: c for c in read(e, a, tax_queries.tax_classes)}
    assert classes["reduced"].products == 1
    with pytest.raises(Conflict):  # SKU-002 and a rate are in "reduced"
        perform(e, a, delete_tax_class, classes["reduced"].id)
    spare = perform(e, a, create_tax_class, TaxClassIn(code="Zero", name="Zero rated"))
    perform(e, a, delete_tax_class, spare)
    assert "zero" not in {c.code for c in read(e, a, tax_queries.tax_classes)}


def test_the_credit_note_takes_back_the_tax_of_the_returned_lines_at_their_rate(shop: Shop, tmp_path: Path) -> None:
    """Of 2 × SKU-001 (19 %) and SKU-002 (7 %), the two SKU-001 come back: 20.00 credited, 3.19 of it 19 % tax
    (20 − 20/1.19), nothing at 7 %."""
    order = delivered_order(shop, SKU_001=2, SKU_002=1)
    return_id = inspected(shop, order, SKU_001=2)
    perform(shop.ctx.engine, staff(shop), refund_return, return_id, RefundReturn())
    store = LocalFileStore(tmp_path)
    note = perform(shop.ctx.engine, shop.ctx.actor, documents.issue_document, store, "credit_note", return_id)
    text = pdf_text(store.get(note.file_key))
    for expected in ("Total credited 20.00 EUR", "Included tax 3.19 EUR", "Tax summary", STANDARD_19, "16.81"):
        assert expected in text, expected
    assert REDUCED_7 not in text


def test_the_tax_page_lists_and_adds_rates(shop: Shop, sign_in) -> None:  # noqa: ANN001, F811
    owner: Staff = sign_in("owner")
    page = owner.get("/admin/taxes")
    assert page.status_code == 200 and STANDARD_19 in page.text and "DE Heligoland 0%" in page.text
    bad = owner.post("/admin/taxes/rates", {"country": "US", "region": "CA", "tax_class": "standard",
                                            "name": "US-CA sales tax", "rate": "7.25"})
    assert bad.status_code == 422
    added = owner.post("/admin/taxes/rates", {"country": "US", "region": "ca", "tax_class": "standard",
                                              "name": "US-CA sales tax 7.25%", "rate": "0.0725"})
    assert "US-CA sales tax 7.25%" in owner.follow(added).text
    product = owner.get("/admin/catalog/products/new")
    assert 'name="tax_class"' in product.text and "reduced" in product.text
    placed = phone_order(shop, {"SKU-001": 2, "SKU-002": 1})
    order_page = owner.get(f"/admin/orders/{placed.number}").text
    assert "DE VAT standard 19%: 3.54" in order_page and "DE VAT reduced 7%: 1.82" in order_page


def test_the_csv_import_and_the_api_carry_the_tax_class(shop: Shop, api: Api) -> None:
    e, a = shop.ctx.engine, shop.ctx.actor
    data = (b"name,sku,tax_class\nRepair manual Golf VII,BOOK-1,Reduced\nWorkshop cloth,CLOTH-1,\n")
    assert import_products(e, a, data) == 2
    assert api.get("/api/v1/catalog/skus/BOOK-1").json()["tax_class"] == "reduced"
    assert api.get("/api/v1/catalog/skus/CLOTH-1").json()["tax_class"] == "standard"
    with pytest.raises(RowErrors) as bad:
        import_products(e, a, b"name,sku,tax_class\nGold plated plug,LUX-1,luxury\n")
    assert [(line, column) for line, column, _ in bad.value.rows] == [(2, "tax_class")]
    created = api.post("/api/v1/catalog/products", {"name": "Road atlas", "tax_class": "reduced",
                                                    "skus": [{"code": "ATLAS-1"}]})
    assert created.status_code == 201, created.text
    assert api.get("/api/v1/catalog/skus/ATLAS-1").json()["tax_class"] == "reduced"
    refused = api.post("/api/v1/catalog/products", {"name": "Gold", "tax_class": "luxury", "skus": [{"code": "G-1"}]})
    assert refused.status_code == 422 and "tax_class" in refused.text

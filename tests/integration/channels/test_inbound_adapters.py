"""The order side of the platform adapters and the inbound domain rules, pure: the fixtures written from Shopify's
and WooCommerce's public documentation parse into the normalised order, signatures are checked as each platform
signs, and the site's amounts become ours in the channel's tax convention."""

import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.core.errors import NotAuthenticated, ValidationFailed
from stockyard.integration.channels.adapters.common import base64_hmac
from stockyard.integration.channels.adapters.orders import order_adapter
from stockyard.integration.channels.domain import (
    InboundAddress,
    InboundCustomer,
    InboundLine,
    InboundOrder,
    charged_lines,
)
from tests.integration.channels.support import fixture


def test_a_shopify_order_parses_into_the_normalised_order() -> None:
    order = order_adapter("shopify").parse_order(fixture("shopify_order.json"))
    assert (order.external_id, order.site_number, order.currency, order.payment_status) == (
        "5940139491234", "#1001", "EUR", "paid")
    assert order.customer == InboundCustomer("ada.buyer@example.com", "207119551", "Ada Buyer", "+4940111222")
    assert order.shipping_address == InboundAddress("Ada Buyer", "Hafenstraße 7", "Hamburg", "DE", "2. OG", "HH",
                                                    "20095", "+4940111222")
    assert [(line.sku, line.quantity, line.line_total, line.tax) for line in order.lines] == [
        ("SKU-001", 2, Decimal("18.00"), Decimal("2.87")), ("SKU-002", 1, Decimal("25.00"), Decimal("3.99"))]
    assert (order.shipping_total, order.shipping_code, order.prices_include_tax, order.site_total) == (
        Decimal("4.90"), "DHL-STD", True, Decimal("47.90"))


def test_a_woocommerce_order_parses_into_the_normalised_order() -> None:
    order = order_adapter("woocommerce").parse_order(fixture("woocommerce_order.json"))
    assert (order.external_id, order.payment_status, order.prices_include_tax) == ("727", "paid", False)
    assert order.customer.external_id == "26" and order.customer.email == "wolfgang.kunde@example.com"
    assert order.shipping_address.phone == "+4940999888"  # taken from billing
    assert [(line.sku, line.line_total, line.tax) for line in order.lines] == [
        ("SKU-001", Decimal("8.40"), Decimal("1.60")), ("SKU-002", Decimal("16.81"), Decimal("3.19"))]
    guest = order_adapter("woocommerce").parse_order({**fixture("woocommerce_order.json"), "customer_id": 0,
                                                      "status": "on-hold"})
    assert guest.customer.external_id is None and guest.payment_status == "pending"


@pytest.mark.parametrize(("adapter", "change", "field"), [
    ("shopify", {"financial_status": "refunded"}, "financial_status"),
    ("shopify", {"cancelled_at": "2026-12-04T10:00:00Z"}, "cancelled_at"),
    ("shopify", {"line_items": [{"sku": "SKU-001", "quantity": "x", "price": "1"}]}, "line_items[0].quantity"),
    ("woocommerce", {"status": "failed"}, "status"),
    ("woocommerce", {"line_items": [{"quantity": 1, "total": "1"}]}, "line_items[0].sku"),
    ("generic", {"lines": "none"}, "lines"),
    ("generic", {"customer": {"name": "no mail"}}, "customer.email"),
    ("generic", {"shipping": {"total": "abc"}}, "shipping.total"),
])
def test_a_bad_payload_is_refused_naming_the_field(adapter: str, change: dict, field: str) -> None:
    payload = {**fixture({"shopify": "shopify_order.json", "woocommerce": "woocommerce_order.json",
                          "generic": "generic_order.json"}[adapter]), **change}
    with pytest.raises(ValidationFailed) as refused:
        order_adapter(adapter).parse_order(payload)
    assert refused.value.field == field


def test_shopify_and_woocommerce_sign_the_raw_body_in_base64() -> None:
    body = b'{"id": 1}'
    for name, header in (("shopify", "X-Shopify-Hmac-Sha256"), ("woocommerce", "X-WC-Webhook-Signature")):
        adapter = order_adapter(name)
        adapter.verify({header.lower(): base64_hmac("s3cret", body)}, body, "s3cret")
        with pytest.raises(NotAuthenticated):
            adapter.verify({header: base64_hmac("other", body)}, body, "s3cret")
        with pytest.raises(NotAuthenticated):
            adapter.verify({header: base64_hmac("s3cret", body)}, body + b" ", "s3cret")


def test_the_generic_signature_binds_the_time_and_the_body() -> None:
    adapter, body, now = order_adapter("generic"), b'{"id": "A"}', time.time()
    headers = adapter.sign(body, "k", now)
    adapter.verify(headers, body, "k", now + 299)
    for bad in ({"Stockyard-Signature": headers["Stockyard-Signature"].replace("t=", "t=1")},
                {"Stockyard-Signature": "v1=abc"}, {}):
        with pytest.raises(NotAuthenticated):
            adapter.verify(bad, body, "k", now)
    with pytest.raises(NotAuthenticated, match="5 minutes"):
        adapter.verify(headers, body, "k", now + 301)


amounts = st.decimals(min_value=0, max_value=1000, places=2)


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(1, 50), amounts, amounts), min_size=1,
                max_size=6), st.booleans(), st.booleans())
def test_charged_lines_keep_the_site_amounts_per_sku(lines: list, site_gross: bool, channel_gross: bool) -> None:
    order = InboundOrder(
        external_id="X", currency="EUR", payment_status="paid", customer=InboundCustomer("a@example.com"),
        shipping_address=InboundAddress("A", "B", "C", "DE"), prices_include_tax=site_gross,
        lines=tuple(InboundLine(sku, qty, total, tax=tax) for sku, qty, total, tax in lines))
    charged, _ = charged_lines(order, channel_gross)
    assert sorted(c.sku for c in charged) == sorted({sku for sku, *_ in lines})
    for c in charged:
        mine = [(qty, total, tax) for sku, qty, total, tax in lines if sku == c.sku]
        expected = sum(t + (x if channel_gross and not site_gross else -x if site_gross and not channel_gross else 0)
                       for _, t, x in mine)
        assert c.quantity == sum(q for q, _, _ in mine)
        # The unit price times the quantity is the site's amount to within half a hundredth of a cent per unit.
        assert abs(c.unit_price * c.quantity - expected) <= Decimal("0.00005") * c.quantity

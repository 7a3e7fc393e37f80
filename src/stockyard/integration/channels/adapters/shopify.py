"""Shopify-style orders, from Shopify's public Admin REST API and webhook documentation.

Webhook (topic orders/create or orders/paid): the body is the Order resource; `X-Shopify-Hmac-Sha256` is the
base64 HMAC-SHA256 of the raw body under the app's shared secret (here: the connection's webhook secret). Shopify
signs no timestamp, so a replayed delivery is caught by its order id (it creates nothing) rather than by age.

Order fields read: `id`, `name` (#1001), `email` / `contact_email`, `currency`, `financial_status`,
`cancelled_at`, `taxes_included`, `total_price`, `line_items[]` (`sku`, `quantity`, `price`, `total_discount`,
`discount_allocations[].amount`, `tax_lines[].price`, `title`), `shipping_lines[]` (`code`, `price`,
`discounted_price`, `tax_lines[].price`), `customer` (`id`, `email`, `first_name`, `last_name`, `phone`),
`shipping_address` / `billing_address` (`first_name`, `last_name`, `name`, `address1`, `address2`, `city`,
`province_code`, `zip`, `country_code`, `phone`), `note`, `updated_at`.

Payment: financial_status paid, partially_refunded or authorized (the money is secured) → paid; pending or
partially_paid → pending; refunded, voided or a cancelled order is refused.

Polling: `GET {base_url}/admin/api/2024-01/orders.json?updated_at_min=<cursor>&status=any&limit=250` with the
`X-Shopify-Access-Token` header; the next cursor is the latest `updated_at` seen (inclusive, so the last order is
seen twice and deduplicated), and a full page asks for another.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stockyard.core.errors import ValidationFailed
from stockyard.integration.channels.adapters.common import (
    address,
    amount,
    base64_hmac,
    check_base64_hmac,
    obj,
    text,
)
from stockyard.integration.channels.domain import (
    InboundAddress,
    InboundCustomer,
    InboundLine,
    InboundOrder,
    quantity_of,
)

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
API_VERSION = "2024-01"
PAGE_SIZE = 250
PAID = ("paid", "partially_refunded", "authorized")
PENDING = ("pending", "partially_paid")


def _taxes(item: Mapping[str, Any], name: str) -> Decimal:
    lines = item.get("tax_lines") or []
    if not isinstance(lines, list):
        raise ValidationFailed("is not a list", field=f"{name}.tax_lines")
    return sum((amount(obj(t, f"{name}.tax_lines[{i}]"), "price", f"{name}.tax_lines[{i}].price")
                for i, t in enumerate(lines)), Decimal(0))


def _address(data: Any, name: str) -> InboundAddress | None:
    if data in (None, {}):
        return None
    return address(obj(data, name), name, first="first_name", last="last_name", full_name="name", line1="address1",
                   line2="address2", city="city", region="province_code", postcode="zip", country="country_code")


def _line(item: Mapping[str, Any], name: str) -> InboundLine:
    quantity = quantity_of(item.get("quantity"), f"{name}.quantity")
    discount = amount(item, "total_discount", f"{name}.total_discount", default=Decimal(0))
    allocations = item.get("discount_allocations") or []
    if isinstance(allocations, list) and allocations and not discount:
        discount = sum((amount(obj(a, f"{name}.discount_allocations[{i}]"), "amount",
                               f"{name}.discount_allocations[{i}].amount") for i, a in enumerate(allocations)),
                       Decimal(0))
    total = amount(item, "price", f"{name}.price") * quantity - discount
    return InboundLine(sku=text(item, "sku", f"{name}.sku", required=True, limit=64), quantity=quantity,
                       line_total=total, name=text(item, "title", f"{name}.title", limit=255),
                       tax=_taxes(item, name))


class ShopifyAdapter:
    name = "shopify"

    def sign(self, body: bytes, secret: str, now: float | None = None) -> dict[str, str]:
        return {SIGNATURE_HEADER: base64_hmac(secret, body), "X-Shopify-Topic": "orders/create"}

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: float | None = None) -> None:
        check_base64_hmac(headers, SIGNATURE_HEADER, body, secret)

    def parse_order(self, payload: Any) -> InboundOrder:
        data = obj(payload, "body")
        if data.get("cancelled_at"):
            raise ValidationFailed("the order was cancelled on the site", field="cancelled_at")
        status = text(data, "financial_status", "financial_status", required=True, limit=30)
        if status not in PAID + PENDING:
            raise ValidationFailed(f"an order whose payment is {status} is not taken in", field="financial_status")
        customer = obj(data.get("customer") or {}, "customer")
        email = (text(data, "email", "email", limit=254) or text(data, "contact_email", "contact_email", limit=254)
                 or text(customer, "email", "customer.email", limit=254))
        if not email:
            raise ValidationFailed("the order has no e-mail", field="email")
        raw_lines = data.get("line_items")
        if not isinstance(raw_lines, list):
            raise ValidationFailed("is missing or not a list", field="line_items")
        shipping_lines = data.get("shipping_lines") or []
        if not isinstance(shipping_lines, list):
            raise ValidationFailed("is not a list", field="shipping_lines")
        shipping_total = shipping_tax = Decimal(0)
        shipping_code = ""
        for index, raw in enumerate(shipping_lines):
            line = obj(raw, f"shipping_lines[{index}]")
            key = "discounted_price" if line.get("discounted_price") not in (None, "") else "price"
            shipping_total += amount(line, key, f"shipping_lines[{index}].{key}")
            shipping_tax += _taxes(line, f"shipping_lines[{index}]")
            shipping_code = shipping_code or text(line, "code", f"shipping_lines[{index}].code", limit=40)
        ship_to = _address(data.get("shipping_address"), "shipping_address")
        bill_to = _address(data.get("billing_address"), "billing_address")
        if ship_to is None:
            raise ValidationFailed("the order has no shipping address", field="shipping_address")
        person = " ".join(p for p in (text(customer, "first_name", "customer.first_name"),
                                      text(customer, "last_name", "customer.last_name")) if p)
        include = data.get("taxes_included", False)
        return InboundOrder(
            external_id=text(data, "id", "id", required=True, limit=100),
            site_number=text(data, "name", "name", limit=40),
            currency=text(data, "currency", "currency", required=True, limit=3).upper(),
            payment_status="paid" if status in PAID else "pending",
            prices_include_tax=bool(include),
            customer=InboundCustomer(
                email=email, external_id=text(customer, "id", "customer.id", limit=100) or None,
                name=person or ship_to.name, phone=text(customer, "phone", "customer.phone", limit=40)),
            shipping_address=ship_to, billing_address=bill_to,
            lines=tuple(_line(obj(raw, f"line_items[{i}]"), f"line_items[{i}]") for i, raw in enumerate(raw_lines)),
            shipping_total=shipping_total, shipping_tax=shipping_tax, shipping_code=shipping_code,
            site_total=amount(data, "total_price", "total_price") if data.get("total_price") else None,
            note=text(data, "note", "note", limit=2000), updated_at=text(data, "updated_at", "updated_at", limit=40))

    def poll_request(self, base_url: str, cursor: str | None) -> tuple[str, dict[str, str]]:
        query = {"status": "any", "limit": str(PAGE_SIZE)}
        if cursor:
            query["updated_at_min"] = cursor
        return f"{base_url}/admin/api/{API_VERSION}/orders.json", query

    def auth_headers(self, api_token: str) -> dict[str, str]:
        return {"X-Shopify-Access-Token": api_token} if api_token else {}

    def parse_poll_page(self, payload: Any, cursor: str | None) -> tuple[list[Any], str | None, bool]:
        orders = obj(payload, "body").get("orders")
        if not isinstance(orders, list):
            raise ValidationFailed("is missing or not a list", field="orders")
        latest = max((str(o.get("updated_at") or "") for o in orders if isinstance(o, Mapping)), default="")
        next_cursor = max(latest, cursor or "") or cursor
        return orders, next_cursor, len(orders) >= PAGE_SIZE and next_cursor != cursor


ADAPTER = ShopifyAdapter()

"""WooCommerce-style orders, from the WooCommerce REST API (v3) and webhook documentation.

Webhook (topic order.created / order.updated): the body is the order resource; `X-WC-Webhook-Signature` is the
base64 HMAC-SHA256 of the raw body under the webhook's secret (here: the connection's webhook secret). No
timestamp is signed; a replayed delivery is caught by its order id.

Order fields read: `id`, `number`, `status`, `currency`, `total`, `shipping_total`,
`shipping_tax`, `customer_id` (0 for a guest), `customer_note`, `date_modified_gmt`, `billing` (`first_name`,
`last_name`, `address_1`, `address_2`, `city`, `state`, `postcode`, `country`, `email`, `phone`), `shipping` (the
same, without e-mail), `line_items[]` (`sku`, `quantity`, `total` after discounts without tax, `total_tax`,
`name`), `shipping_lines[]` (`method_id`).

Payment: status processing or completed (WooCommerce's "paid") → paid; pending or on-hold → pending; cancelled,
refunded, failed, trash or a draft (checkout-draft) is refused.

Polling: `GET {base_url}/wp-json/wc/v3/orders?modified_after=<cursor>&per_page=100&orderby=modified&order=asc`
with HTTP basic authentication by the API token `consumer_key:consumer_secret`; the next cursor is the latest
`date_modified_gmt` seen, and a full page asks for another.
"""

import base64
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

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
PAGE_SIZE = 100
PAID = ("processing", "completed")
PENDING = ("pending", "on-hold")


def _address(data: Any, name: str) -> InboundAddress | None:
    if not data or not (data.get("address_1") or data.get("city")):
        return None
    return address(obj(data, name), name, first="first_name", last="last_name", line1="address_1",
                   line2="address_2", city="city", region="state", postcode="postcode", country="country")


class WooCommerceAdapter:
    name = "woocommerce"

    def sign(self, body: bytes, secret: str, now: float | None = None) -> dict[str, str]:
        return {SIGNATURE_HEADER: base64_hmac(secret, body), "X-WC-Webhook-Topic": "order.created"}

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: float | None = None) -> None:
        check_base64_hmac(headers, SIGNATURE_HEADER, body, secret)

    def parse_order(self, payload: Any) -> InboundOrder:
        data = obj(payload, "body")
        status = text(data, "status", "status", required=True, limit=30)
        if status not in PAID + PENDING:
            raise ValidationFailed(f"an order in status {status} is not taken in", field="status")
        billing = obj(data.get("billing") or {}, "billing")
        email = text(billing, "email", "billing.email", limit=254)
        if not email:
            raise ValidationFailed("the order has no e-mail", field="billing.email")
        bill_to = _address(billing, "billing")
        ship_to = _address(data.get("shipping"), "shipping") or bill_to
        if ship_to is None:
            raise ValidationFailed("the order has no shipping or billing address", field="shipping")
        if not ship_to.phone and bill_to is not None:
            ship_to = InboundAddress(**{**ship_to.__dict__, "phone": bill_to.phone})
        raw_lines = data.get("line_items")
        if not isinstance(raw_lines, list):
            raise ValidationFailed("is missing or not a list", field="line_items")
        lines = []
        for index, raw in enumerate(raw_lines):
            item, name = obj(raw, f"line_items[{index}]"), f"line_items[{index}]"
            lines.append(InboundLine(
                sku=text(item, "sku", f"{name}.sku", required=True, limit=64),
                quantity=quantity_of(item.get("quantity"), f"{name}.quantity"),
                line_total=amount(item, "total", f"{name}.total"), name=text(item, "name", f"{name}.name", limit=255),
                tax=amount(item, "total_tax", f"{name}.total_tax", default=Decimal(0))))
        shipping_lines = data.get("shipping_lines") or []
        code = ""
        if isinstance(shipping_lines, list) and shipping_lines:
            code = text(obj(shipping_lines[0], "shipping_lines[0]"), "method_id", "shipping_lines[0].method_id",
                        limit=40)
        customer_id = data.get("customer_id")
        return InboundOrder(
            external_id=text(data, "id", "id", required=True, limit=100),
            site_number=text(data, "number", "number", limit=40),
            currency=text(data, "currency", "currency", required=True, limit=3).upper(),
            payment_status="paid" if status in PAID else "pending",
            # WooCommerce's line and shipping totals are without tax whatever its prices_include_tax says (that
            # is how the shop entered its prices); their tax is given beside them.
            prices_include_tax=False,
            customer=InboundCustomer(
                email=email, external_id=str(customer_id) if customer_id not in (None, 0, "0", "") else None,
                name=bill_to.name if bill_to else ship_to.name, phone=text(billing, "phone", "billing.phone",
                                                                           limit=40)),
            shipping_address=ship_to, billing_address=bill_to, lines=tuple(lines),
            shipping_total=amount(data, "shipping_total", "shipping_total", default=Decimal(0)),
            shipping_tax=amount(data, "shipping_tax", "shipping_tax", default=Decimal(0)), shipping_code=code,
            site_total=amount(data, "total", "total") if data.get("total") not in (None, "") else None,
            note=text(data, "customer_note", "customer_note", limit=2000),
            updated_at=text(data, "date_modified_gmt", "date_modified_gmt", limit=40))

    def poll_request(self, base_url: str, cursor: str | None) -> tuple[str, dict[str, str]]:
        query = {"per_page": str(PAGE_SIZE), "orderby": "modified", "order": "asc"}
        if cursor:
            query["modified_after"] = cursor
        return f"{base_url}/wp-json/wc/v3/orders", query

    def auth_headers(self, api_token: str) -> dict[str, str]:
        if not api_token:
            return {}
        return {"Authorization": "Basic " + base64.b64encode(api_token.encode()).decode("ascii")}

    def parse_poll_page(self, payload: Any, cursor: str | None) -> tuple[list[Any], str | None, bool]:
        if not isinstance(payload, list):
            raise ValidationFailed("is not a list of orders", field="body")
        latest = max((str(o.get("date_modified_gmt") or "") for o in payload if isinstance(o, Mapping)), default="")
        next_cursor = max(latest, cursor or "") or cursor
        return payload, next_cursor, len(payload) >= PAGE_SIZE and next_cursor != cursor


ADAPTER = WooCommerceAdapter()

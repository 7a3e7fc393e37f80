"""The generic REST/webhook adapter: Stockyard's own documented JSON contract, for any site that can post JSON.

Webhook: `POST /api/v1/channels/{connection id}/orders` with the order below as the body and the header
`Stockyard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`; a signature older or
newer than 5 minutes is refused (a captured request cannot be replayed later), and so is an order id seen before.

Order (amounts are decimal strings or numbers; `prices_include_tax` says whether the line and shipping amounts
include the tax, whose amounts `tax` give):

    {"id": "A-1001", "number": "1001", "currency": "EUR", "payment_status": "paid" | "pending",
     "prices_include_tax": true,
     "customer": {"id": "C-17" | null, "email": "buyer@example.com", "name": "...", "phone": "..."},
     "shipping_address": {"name": "...", "line1": "...", "line2": "", "city": "...", "region": "",
                          "postcode": "...", "country": "DE", "phone": ""},
     "billing_address": {... the same fields ...} (optional),
     "lines": [{"sku": "SKU-001", "quantity": 2, "unit_price": "10.00", "total": "20.00" (optional: after
                discounts, default unit_price × quantity), "tax": "3.19" (optional), "name": "..."}],
     "shipping": {"code": "DHL-STD", "total": "4.90", "tax": "0.78"} (optional),
     "total": "24.90" (optional, compared with ours), "note": "...", "updated_at": "2026-12-04T10:00:00Z"}

Polling: `GET {base_url}/orders?updated_since=<cursor>` with `Authorization: Bearer <API token>`, answering
`{"orders": [<order>, ...], "next_cursor": "<opaque, optional>", "has_more": false}`; without `next_cursor` the
next poll starts at the latest `updated_at` seen.
"""

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from stockyard.core.errors import NotAuthenticated, ValidationFailed
from stockyard.integration.channels.adapters.common import address, amount, header_value, obj, text
from stockyard.integration.channels.domain import (
    InboundAddress,
    InboundCustomer,
    InboundLine,
    InboundOrder,
    quantity_of,
)
from stockyard.integration.webhooks.domain import SignatureInvalid, signature_header, verify_signature

SIGNATURE_HEADER = "Stockyard-Signature"
TOLERANCE_SECONDS = 300


class GenericAdapter:
    name = "generic"

    def sign(self, body: bytes, secret: str, now: float | None = None) -> dict[str, str]:
        """The same scheme as our outbound webhooks (integration/webhooks/domain.py)."""
        return {SIGNATURE_HEADER: signature_header(secret, int(time.time() if now is None else now), body)}

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: float | None = None) -> None:
        sent = header_value(headers, SIGNATURE_HEADER)
        if not sent:
            raise NotAuthenticated(f"the {SIGNATURE_HEADER} header is missing", field=SIGNATURE_HEADER)
        try:
            verify_signature(secret, sent, body, TOLERANCE_SECONDS, now)
        except SignatureInvalid as error:
            raise NotAuthenticated(f"{SIGNATURE_HEADER}: {error}", field=SIGNATURE_HEADER) from None

    def parse_order(self, payload: Any) -> InboundOrder:
        data = obj(payload, "body")
        customer = obj(data.get("customer"), "customer")
        shipping = obj(data.get("shipping") or {}, "shipping")
        ship_to = _address(obj(data.get("shipping_address"), "shipping_address"), "shipping_address")
        raw_lines = data.get("lines")
        if not isinstance(raw_lines, list):
            raise ValidationFailed("is missing or not a list", field="lines")
        lines = []
        for index, raw in enumerate(raw_lines):
            line = obj(raw, f"lines[{index}]")
            name = f"lines[{index}]"
            quantity = quantity_of(line.get("quantity"), f"{name}.quantity")
            total = amount(line, "total", f"{name}.total", default=Decimal(-1))
            if total == -1:
                total = amount(line, "unit_price", f"{name}.unit_price") * quantity
            lines.append(InboundLine(sku=text(line, "sku", f"{name}.sku", required=True, limit=64), quantity=quantity,
                                     line_total=total, name=text(line, "name", f"{name}.name", limit=255),
                                     tax=amount(line, "tax", f"{name}.tax", default=Decimal(0))))
        include = data.get("prices_include_tax", True)
        if not isinstance(include, bool):
            raise ValidationFailed("is not true or false", field="prices_include_tax")
        customer_id = customer.get("id")
        return InboundOrder(
            external_id=text(data, "id", "id", required=True, limit=100),
            site_number=text(data, "number", "number", limit=40),
            currency=text(data, "currency", "currency", required=True, limit=3).upper(),
            payment_status=text(data, "payment_status", "payment_status", required=True, limit=20),
            prices_include_tax=include,
            customer=InboundCustomer(
                email=text(customer, "email", "customer.email", required=True, limit=254),
                external_id=None if customer_id in (None, "") else text(customer, "id", "customer.id", limit=100),
                name=text(customer, "name", "customer.name"), phone=text(customer, "phone", "customer.phone",
                                                                        limit=40)),
            shipping_address=ship_to,
            billing_address=_address(data["billing_address"], "billing_address")
            if data.get("billing_address") else None,
            lines=tuple(lines),
            shipping_total=amount(shipping, "total", "shipping.total", default=Decimal(0)),
            shipping_tax=amount(shipping, "tax", "shipping.tax", default=Decimal(0)),
            shipping_code=text(shipping, "code", "shipping.code", limit=40),
            site_total=amount(data, "total", "total") if data.get("total") not in (None, "") else None,
            note=text(data, "note", "note", limit=2000),
            updated_at=text(data, "updated_at", "updated_at", limit=40),
        )

    def poll_request(self, base_url: str, cursor: str | None) -> tuple[str, dict[str, str]]:
        return f"{base_url}/orders", ({"updated_since": cursor} if cursor else {})

    def auth_headers(self, api_token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token}"} if api_token else {}

    def parse_poll_page(self, payload: Any, cursor: str | None) -> tuple[list[Any], str | None, bool]:
        data = obj(payload, "body")
        orders = data.get("orders")
        if not isinstance(orders, list):
            raise ValidationFailed("is missing or not a list", field="orders")
        latest = max((str(o.get("updated_at", "")) for o in orders if isinstance(o, Mapping)), default="")
        next_cursor = data.get("next_cursor") or max(latest, cursor or "") or cursor
        return orders, next_cursor, bool(data.get("has_more")) and next_cursor != cursor


def _address(data: Mapping[str, Any], name: str) -> InboundAddress:
    found = address(obj(data, name), name, first="first_name", last="last_name", full_name="name", line1="line1",
                    line2="line2", city="city", region="region", postcode="postcode", country="country")
    if found is None:
        raise ValidationFailed("is missing", field=name)
    return found


ADAPTER = GenericAdapter()

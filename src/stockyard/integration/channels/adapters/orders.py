"""The order side of a platform adapter, as the inbound services use it; `order_adapter(name)` finds one.

    adapter = order_adapter("shopify")
    adapter.verify(headers, body, secret)          # NotAuthenticated when the signature is missing or wrong
    order = adapter.parse_order(json.loads(body))  # InboundOrder, or ValidationFailed naming the field
    adapter.sign(body, secret)                     # the headers the platform would send (tests, simulators)
    adapter.poll_request(base_url, cursor)         # (URL, query) of one page of orders updated since the cursor
    adapter.parse_poll_page(payload, cursor)       # (orders, next cursor, more pages?)
"""

from collections.abc import Mapping
from typing import Any, Protocol

from stockyard.core.errors import ValidationFailed
from stockyard.integration.channels.domain import InboundOrder


class OrderAdapter(Protocol):
    name: str

    def verify(self, headers: Mapping[str, str], body: bytes, secret: str, now: float | None = None) -> None: ...

    def sign(self, body: bytes, secret: str, now: float | None = None) -> dict[str, str]: ...

    def parse_order(self, payload: Any) -> InboundOrder: ...

    def poll_request(self, base_url: str, cursor: str | None) -> tuple[str, dict[str, str]]: ...

    def auth_headers(self, api_token: str) -> dict[str, str]: ...

    def parse_poll_page(self, payload: Any, cursor: str | None) -> tuple[list[Any], str | None, bool]: ...


def order_adapter(name: str) -> OrderAdapter:
    from stockyard.integration.channels.adapters import generic, shopify, woocommerce

    adapters: dict[str, OrderAdapter] = {"generic": generic.ADAPTER, "shopify": shopify.ADAPTER,
                                         "woocommerce": woocommerce.ADAPTER}
    if name not in adapters:
        raise ValidationFailed(f"'{name}' is not one of {', '.join(adapters)}", field="adapter")
    return adapters[name]

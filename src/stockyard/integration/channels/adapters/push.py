"""What every outbound adapter does, and the HTTP plumbing they share.

An adapter turns "these SKUs now have this many units at this price" and "this order shipped / was invoiced /
refunded / cancelled" into the calls of one platform's API, and reads back the levels the site shows (for the
drift on the sync dashboard). Adapters are given an `httpx.Client` and raise `PushFailed` with a readable message
for anything but success; they keep no state and write nothing to our database.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import httpx


class PushFailed(Exception):
    """The site refused or could not be reached; the message says which call and why."""


@dataclass(frozen=True)
class Site:
    connection_id: int
    adapter: str
    base_url: str
    api_token: str = ""
    external_location_id: str = ""


@dataclass(frozen=True)
class ItemPush:
    sku: str
    external_id: str
    available: int
    external_stock_id: str = ""
    price: Decimal | None = None  # None: prices are not pushed, or the SKU has no price on the channel
    currency: str = ""
    last_price: Decimal | None = None  # what the site was last given (an adapter may skip an unchanged price)


@dataclass(frozen=True)
class StatusPush:
    kind: str  # shipped, invoiced, refunded, cancelled
    external_order_id: str
    order_number: str
    details: dict[str, Any] = field(default_factory=dict)  # carrier, tracking_number, invoice_number, amount, ...


class Pusher(Protocol):
    def push_items(self, client: httpx.Client, site: Site, items: list[ItemPush]) -> None: ...

    def read_levels(self, client: httpx.Client, site: Site, items: list[ItemPush]) -> dict[str, int]:
        """external_id → the units the site shows; an item the site does not report is absent."""
        ...

    def push_status(self, client: httpx.Client, site: Site, status: StatusPush) -> None: ...


def call(client: httpx.Client, method: str, url: str, *, json: Any = None, params: dict[str, str] | None = None,
         headers: dict[str, str] | None = None, auth: tuple[str, str] | None = None) -> Any:
    """One API call; the decoded JSON body (None when empty). Anything but a 2xx raises PushFailed."""
    try:
        response = client.request(method, url, json=json, params=params, headers=headers, auth=auth)
    except httpx.HTTPError as error:
        raise PushFailed(f"{method} {url}: {type(error).__name__}: {error}") from error
    if not response.is_success:
        raise PushFailed(f"{method} {url}: HTTP {response.status_code} {response.text[:200]}")
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as error:
        raise PushFailed(f"{method} {url}: the answer is not JSON") from error


def money(amount: Decimal) -> str:
    """A price as the platforms take it: a string with two decimals."""
    return f"{amount.quantize(Decimal('0.01'))}"


def as_id(value: str) -> int | str:
    """Platform ids are numbers in their JSON; keep a non-numeric id (generic sites) as it is."""
    return int(value) if value.isdigit() else value


def pusher_for(adapter: str) -> Pusher:
    # Imported here: each adapter module imports this one.
    from stockyard.integration.channels.adapters.generic_push import GenericPusher
    from stockyard.integration.channels.adapters.shopify_push import ShopifyPusher
    from stockyard.integration.channels.adapters.woocommerce_push import WooCommercePusher

    pushers: dict[str, Pusher] = {"generic": GenericPusher(), "shopify": ShopifyPusher(),
                                  "woocommerce": WooCommercePusher()}
    if adapter not in pushers:
        raise PushFailed(f"no outbound adapter named {adapter!r}")
    return pushers[adapter]

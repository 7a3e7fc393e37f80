"""The generic REST contract for stock, prices and order status: what a site implements to be fed by Stockyard.

Every call carries `Authorization: Bearer <api token>` when the connection has a token, and JSON bodies.

Stock and prices (batched, one call per push of a connection):

    POST {base_url}/inventory
    {"items": [{"sku": "BRK-001", "external_id": "A-17", "available": 12, "price": "19.90", "currency": "EUR"}]}

    `available` is what the site may sell (our available-to-sell for this site, after its pool share and buffer);
    `price` and `currency` are null when prices are not pushed or the SKU has no price on the channel.
    Any 2xx means every item was taken.

Levels the site shows (for drift):

    GET {base_url}/inventory?external_ids=A-17,A-18
    → {"items": [{"external_id": "A-17", "available": 12}, ...]}

Order status (one call per event, for orders that came from the site):

    POST {base_url}/orders/{external_order_id}/status
    {"status": "shipped" | "invoiced" | "refunded" | "cancelled", "order_number": "SO-000123",
     "carrier": "dhl", "tracking_number": "JD0001", "tracking_url": "",        (shipped)
     "invoice_number": "INV-000045", "amount": "59.80", "currency": "EUR",   (invoiced, refunded)
     "reason": "..."}                                                          (refunded, cancelled)
"""

import httpx

from stockyard.integration.channels.adapters.push import ItemPush, PushFailed, Site, StatusPush, call, money


def _headers(site: Site) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.api_token}"} if site.api_token else {}


def inventory_body(items: list[ItemPush]) -> dict[str, object]:
    return {"items": [{"sku": i.sku, "external_id": i.external_id, "available": i.available,
                       "price": money(i.price) if i.price is not None else None,
                       "currency": i.currency if i.price is not None else None} for i in items]}


def status_body(status: StatusPush) -> dict[str, object]:
    return {"status": status.kind, "order_number": status.order_number, **status.details}


class GenericPusher:
    def push_items(self, client: httpx.Client, site: Site, items: list[ItemPush]) -> None:
        call(client, "POST", f"{site.base_url}/inventory", json=inventory_body(items), headers=_headers(site))

    def read_levels(self, client: httpx.Client, site: Site, items: list[ItemPush]) -> dict[str, int]:
        body = call(client, "GET", f"{site.base_url}/inventory", headers=_headers(site),
                    params={"external_ids": ",".join(i.external_id for i in items)})
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise PushFailed("GET /inventory: expected {\"items\": [...]}")
        return {str(row["external_id"]): int(row["available"]) for row in body["items"]
                if isinstance(row, dict) and "external_id" in row and row.get("available") is not None}

    def push_status(self, client: httpx.Client, site: Site, status: StatusPush) -> None:
        call(client, "POST", f"{site.base_url}/orders/{status.external_order_id}/status", json=status_body(status),
             headers=_headers(site))

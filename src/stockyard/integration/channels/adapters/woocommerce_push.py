"""WooCommerce-style stock, prices and order status, from the WooCommerce REST API v3 (`/wp-json/wc/v3`).

- Stock and prices: `POST /wp-json/wc/v3/products/batch` with {"update": [{"id", "manage_stock": true,
  "stock_quantity", "regular_price"}]}, at most 100 items per call (the API's batch limit). An item mapped as
  "<product id>:<variation id>" is a variation: `POST /products/{product id}/variations/batch` with the same shape.
- Levels shown: `GET /products?include=1,2&per_page=100` (and `/products/{id}/variations?include=..`), reading
  `stock_quantity`.
- Status: `PUT /orders/{id}` with {"status": "completed" | "cancelled" | "refunded"} and a note through
  `POST /orders/{id}/notes` with {"note", "customer_note"} (shipped: carrier and tracking, shown to the customer;
  invoiced: the invoice number, a private note). A partial refund only adds a note: the order stays open.
Authentication: HTTP basic with the consumer key and secret, stored as the API token "ck_...:cs_...".
"""

from typing import Any

import httpx

from stockyard.integration.channels.adapters.push import (
    ItemPush,
    PushFailed,
    Site,
    StatusPush,
    as_id,
    call,
    money,
)

API = "/wp-json/wc/v3"
BATCH_LIMIT = 100


def _auth(site: Site) -> tuple[str, str] | None:
    if not site.api_token:
        return None
    key, _, secret = site.api_token.partition(":")
    return key, secret


def _parent(item: ItemPush) -> str:
    """The product a variation belongs to ("" for a simple product)."""
    parent, _, variation = item.external_id.partition(":")
    return parent if variation else ""


def _own_id(item: ItemPush) -> int | str:
    return as_id(item.external_id.rpartition(":")[2])


def update_row(item: ItemPush) -> dict[str, Any]:
    row: dict[str, Any] = {"id": _own_id(item), "manage_stock": True, "stock_quantity": item.available}
    if item.price is not None:
        row["regular_price"] = money(item.price)
    return row


def batch_bodies(items: list[ItemPush]) -> list[tuple[str, dict[str, Any]]]:
    """(path, body) of each batch call: products first, then each product's variations, 100 rows a call."""
    groups: dict[str, list[ItemPush]] = {}
    for item in items:
        groups.setdefault(_parent(item), []).append(item)
    calls = []
    for parent in sorted(groups):
        path = f"products/{parent}/variations/batch" if parent else "products/batch"
        rows = [update_row(i) for i in groups[parent]]
        calls.extend((path, {"update": rows[at:at + BATCH_LIMIT]}) for at in range(0, len(rows), BATCH_LIMIT))
    return calls


def status_calls(status: StatusPush) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, body) of the calls that tell the site about `status`."""
    order = status.external_order_id
    d = status.details
    if status.kind == "shipped":
        note = f"Shipped with {d.get('carrier', '')}, tracking number {d.get('tracking_number', '')}"
        return [("PUT", f"orders/{order}", {"status": "completed"}),
                ("POST", f"orders/{order}/notes", {"note": note, "customer_note": True})]
    if status.kind == "invoiced":
        return [("POST", f"orders/{order}/notes",
                 {"note": f"Invoice {d.get('invoice_number', '')} issued for {d.get('amount', '')} "
                          f"{d.get('currency', '')}", "customer_note": False})]
    if status.kind == "refunded":
        note = {"note": f"Refunded {d.get('amount', '')} {d.get('currency', '')}: {d.get('reason', '')}".rstrip(": "),
                "customer_note": True}
        calls: list[tuple[str, str, dict[str, Any]]] = []
        if d.get("fully_refunded"):
            calls.append(("PUT", f"orders/{order}", {"status": "refunded"}))
        return [*calls, ("POST", f"orders/{order}/notes", note)]
    if status.kind == "cancelled":
        return [("PUT", f"orders/{order}", {"status": "cancelled"}),
                ("POST", f"orders/{order}/notes", {"note": f"Cancelled: {d.get('reason', '')}".rstrip(": "),
                                                   "customer_note": True})]
    raise PushFailed(f"unknown status {status.kind!r}")


class WooCommercePusher:
    def push_items(self, client: httpx.Client, site: Site, items: list[ItemPush]) -> None:
        for path, body in batch_bodies(items):
            answer = call(client, "POST", f"{site.base_url}{API}/{path}", json=body, auth=_auth(site))
            # A batch answers 200 even when rows fail; each failed row carries an "error".
            failed = [row for row in (answer or {}).get("update", []) if isinstance(row, dict) and "error" in row]
            if failed:
                first = failed[0]
                raise PushFailed(f"POST {path}: {len(failed)} row(s) refused, first {first.get('id')}: "
                                 f"{first['error'].get('message', first['error'])}")

    def read_levels(self, client: httpx.Client, site: Site, items: list[ItemPush]) -> dict[str, int]:
        groups: dict[str, list[ItemPush]] = {}
        for item in items:
            groups.setdefault(_parent(item), []).append(item)
        shown: dict[str, int] = {}
        for parent, members in sorted(groups.items()):
            path = f"products/{parent}/variations" if parent else "products"
            for at in range(0, len(members), BATCH_LIMIT):
                chunk = members[at:at + BATCH_LIMIT]
                rows = call(client, "GET", f"{site.base_url}{API}/{path}", auth=_auth(site),
                            params={"include": ",".join(str(_own_id(i)) for i in chunk), "per_page": "100"})
                if not isinstance(rows, list):
                    raise PushFailed(f"GET {path}: expected a list")
                ours = {str(_own_id(i)): i.external_id for i in chunk}
                for row in rows:
                    if str(row.get("id")) in ours and row.get("stock_quantity") is not None:
                        shown[ours[str(row["id"])]] = int(row["stock_quantity"])
        return shown

    def push_status(self, client: httpx.Client, site: Site, status: StatusPush) -> None:
        for method, path, body in status_calls(status):
            call(client, method, f"{site.base_url}{API}/{path}", json=body, auth=_auth(site))

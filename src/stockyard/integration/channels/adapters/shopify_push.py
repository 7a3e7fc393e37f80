"""Shopify-style stock, prices and fulfilment status, from the Shopify Admin REST API (version 2024-01).

- Stock: `POST /admin/api/2024-01/inventory_levels/set.json` with {"location_id", "inventory_item_id", "available"}
  per item (the endpoint takes one level per call). The item's `external_stock_id` is its inventory item id, the
  connection's `external_location_id` the location.
- Price: `PUT /admin/api/2024-01/variants/{variant_id}.json` with {"variant": {"id", "price"}}, only when the price
  differs from the one last pushed. `external_id` is the variant id.
- Levels shown: `GET /admin/api/2024-01/inventory_levels.json?inventory_item_ids=..&location_ids=..`.
- Shipped: the order's open fulfillment orders (`GET /orders/{id}/fulfillment_orders.json`), then
  `POST /fulfillments.json` with {"fulfillment": {"line_items_by_fulfillment_order": [...], "tracking_info":
  {"company", "number"}, "notify_customer": true}}.
- Cancelled: `POST /orders/{id}/cancel.json`.
- Invoiced, refunded: Shopify has no invoice document, and its refunds are made in Shopify against its own
  transactions; we record ours on the order as `stockyard` metafields (`POST /orders/{id}/metafields.json`).
Authentication: the `X-Shopify-Access-Token` header with the connection's API token.
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

API = "/admin/api/2024-01"


def _url(site: Site, path: str) -> str:
    return f"{site.base_url}{API}/{path}"


def _headers(site: Site) -> dict[str, str]:
    return {"X-Shopify-Access-Token": site.api_token}


def level_body(site: Site, item: ItemPush) -> dict[str, Any]:
    if not item.external_stock_id:
        raise PushFailed(f"SKU {item.sku}: no Shopify inventory item id is mapped")
    if not site.external_location_id:
        raise PushFailed("the connection has no Shopify location id")
    return {"location_id": as_id(site.external_location_id), "inventory_item_id": as_id(item.external_stock_id),
            "available": item.available}


def variant_body(item: ItemPush) -> dict[str, Any] | None:
    if item.price is None or item.price == item.last_price:
        return None
    return {"variant": {"id": as_id(item.external_id), "price": money(item.price)}}


def fulfillment_body(fulfillment_order_ids: list[int | str], status: StatusPush) -> dict[str, Any]:
    return {"fulfillment": {
        "line_items_by_fulfillment_order": [{"fulfillment_order_id": i} for i in fulfillment_order_ids],
        "tracking_info": {"company": status.details.get("carrier", ""),
                          "number": status.details.get("tracking_number", "")},
        "notify_customer": True}}


def metafield_body(key: str, value: str) -> dict[str, Any]:
    return {"metafield": {"namespace": "stockyard", "key": key, "value": value, "type": "single_line_text_field"}}


class ShopifyPusher:
    def push_items(self, client: httpx.Client, site: Site, items: list[ItemPush]) -> None:
        for item in items:
            call(client, "POST", _url(site, "inventory_levels/set.json"), json=level_body(site, item),
                 headers=_headers(site))
            body = variant_body(item)
            if body is not None:
                call(client, "PUT", _url(site, f"variants/{item.external_id}.json"), json=body,
                     headers=_headers(site))

    def read_levels(self, client: httpx.Client, site: Site, items: list[ItemPush]) -> dict[str, int]:
        by_stock_id = {i.external_stock_id: i.external_id for i in items if i.external_stock_id}
        if not by_stock_id:
            return {}
        body = call(client, "GET", _url(site, "inventory_levels.json"), headers=_headers(site),
                    params={"inventory_item_ids": ",".join(by_stock_id), "location_ids": site.external_location_id})
        levels = body.get("inventory_levels") if isinstance(body, dict) else None
        if not isinstance(levels, list):
            raise PushFailed("GET inventory_levels.json: expected {\"inventory_levels\": [...]}")
        return {by_stock_id[str(row["inventory_item_id"])]: int(row["available"]) for row in levels
                if str(row.get("inventory_item_id")) in by_stock_id and row.get("available") is not None}

    def push_status(self, client: httpx.Client, site: Site, status: StatusPush) -> None:
        order = status.external_order_id
        if status.kind == "shipped":
            body = call(client, "GET", _url(site, f"orders/{order}/fulfillment_orders.json"), headers=_headers(site))
            open_ids = [f["id"] for f in (body or {}).get("fulfillment_orders", [])
                        if f.get("status") in ("open", "in_progress")]
            if not open_ids:
                raise PushFailed(f"Shopify order {order} has no open fulfillment order to fulfil")
            call(client, "POST", _url(site, "fulfillments.json"), json=fulfillment_body(open_ids, status),
                 headers=_headers(site))
        elif status.kind == "cancelled":
            call(client, "POST", _url(site, f"orders/{order}/cancel.json"), json={"reason": "other"},
                 headers=_headers(site))
        elif status.kind == "invoiced":
            call(client, "POST", _url(site, f"orders/{order}/metafields.json"),
                 json=metafield_body("invoice_number", str(status.details.get("invoice_number", ""))),
                 headers=_headers(site))
        elif status.kind == "refunded":
            value = f"{status.details.get('amount', '')} {status.details.get('currency', '')}".strip()
            call(client, "POST", _url(site, f"orders/{order}/metafields.json"),
                 json=metafield_body("refunded", value), headers=_headers(site))
        else:
            raise PushFailed(f"unknown status {status.kind!r}")

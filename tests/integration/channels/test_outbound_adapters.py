"""The outbound adapters speak each platform's API: requests checked against the shapes in the platforms' public
documentation, answers taken from fixtures written from those documents (the sites themselves are out of reach)."""

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from stockyard.integration.channels.adapters.push import ItemPush, PushFailed, Site, StatusPush, pusher_for

# Shopify Admin REST 2024-01: the answer of inventory_levels/set.json, and of orders/{id}/fulfillment_orders.json.
SHOPIFY_LEVEL = {"inventory_level": {"inventory_item_id": 808950810, "location_id": 655441491, "available": 42,
                                     "updated_at": "2024-01-02T09:10:11-05:00",
                                     "admin_graphql_api_id": "gid://shopify/InventoryLevel/655441491?inventory_item_id=808950810"}}
SHOPIFY_LEVELS = {"inventory_levels": [
    {"inventory_item_id": 808950810, "location_id": 655441491, "available": 40, "updated_at": "2024-01-02T09:10:11Z"},
    {"inventory_item_id": 39072856, "location_id": 655441491, "available": 3, "updated_at": "2024-01-02T09:10:11Z"}]}
SHOPIFY_FULFILLMENT_ORDERS = {"fulfillment_orders": [
    {"id": 1046000778, "order_id": 450789469, "status": "open", "request_status": "unsubmitted"},
    {"id": 1046000779, "order_id": 450789469, "status": "closed", "request_status": "unsubmitted"}]}
# WooCommerce REST v3: products/batch answers 200 with each row, a refused row carrying an error.
WOO_BATCH_OK = {"update": [{"id": 799, "stock_quantity": 5, "regular_price": "19.90", "manage_stock": True}]}
WOO_BATCH_REFUSED = {"update": [{"id": 0, "error": {"code": "woocommerce_rest_product_invalid_id",
                                                    "message": "Invalid ID.", "data": {"status": 400}}}]}
WOO_PRODUCTS = [{"id": 799, "name": "Brake pad", "stock_quantity": 4, "manage_stock": True},
                {"id": 800, "name": "Filter", "stock_quantity": None, "manage_stock": False}]


class Recorder:
    """An httpx transport standing in for the platform: records each request, answers from a script."""

    def __init__(self, answers: list[tuple[int, Any]]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body = self.answers.pop(0) if self.answers else (200, {})
        return httpx.Response(status, json=body)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def calls(self) -> list[tuple[str, str, Any]]:
        return [(r.method, r.url.path, json.loads(r.content) if r.content else None) for r in self.requests]


ITEM = ItemPush(sku="BRK-1", external_id="39072856", available=7, external_stock_id="808950810",
                price=Decimal("19.9"), currency="EUR", last_price=Decimal("18.00"))


def test_generic_sends_every_item_in_one_documented_call_with_the_token() -> None:
    site = Site(1, "generic", "http://store.test/api", "tok")
    rec = Recorder([(204, None)])
    pusher_for("generic").push_items(rec.client(), site, [ITEM, ItemPush("F-2", "A-2", 0)])
    assert rec.calls() == [("POST", "/api/inventory", {"items": [
        {"sku": "BRK-1", "external_id": "39072856", "available": 7, "price": "19.90", "currency": "EUR"},
        {"sku": "F-2", "external_id": "A-2", "available": 0, "price": None, "currency": None}]})]
    assert rec.requests[0].headers["authorization"] == "Bearer tok"


def test_generic_status_and_a_refusal_names_the_call() -> None:
    site = Site(1, "generic", "http://store.test")
    rec = Recorder([(200, {}), (503, {"error": "maintenance"})])
    status = StatusPush("shipped", "E-9", "SO-1", {"carrier": "dhl", "tracking_number": "JD1"})
    pusher_for("generic").push_status(rec.client(), site, status)
    assert rec.calls() == [("POST", "/orders/E-9/status", {"status": "shipped", "order_number": "SO-1",
                                                           "carrier": "dhl", "tracking_number": "JD1"})]
    with pytest.raises(PushFailed, match=r"POST http://store.test/orders/E-9/status: HTTP 503"):
        pusher_for("generic").push_status(rec.client(), site, status)


def test_shopify_sets_the_level_at_the_location_and_the_variant_price_when_it_changed() -> None:
    site = Site(1, "shopify", "https://demo.myshopify.com", "shpat_x", "655441491")
    rec = Recorder([(200, SHOPIFY_LEVEL), (200, {"variant": {"id": 39072856, "price": "19.90"}}),
                    (200, SHOPIFY_LEVEL)])
    same_price = ItemPush("BRK-2", "39072857", 3, "808950811", Decimal("5.00"), "EUR", Decimal("5.00"))
    pusher_for("shopify").push_items(rec.client(), site, [ITEM, same_price])
    assert rec.calls() == [
        ("POST", "/admin/api/2024-01/inventory_levels/set.json",
         {"location_id": 655441491, "inventory_item_id": 808950810, "available": 7}),
        ("PUT", "/admin/api/2024-01/variants/39072856.json", {"variant": {"id": 39072856, "price": "19.90"}}),
        ("POST", "/admin/api/2024-01/inventory_levels/set.json",
         {"location_id": 655441491, "inventory_item_id": 808950811, "available": 3})]
    assert rec.requests[0].headers["x-shopify-access-token"] == "shpat_x"


def test_shopify_reads_levels_and_fulfils_the_open_fulfillment_order_with_tracking() -> None:
    site = Site(1, "shopify", "https://demo.myshopify.com", "shpat_x", "655441491")
    rec = Recorder([(200, SHOPIFY_LEVELS), (200, SHOPIFY_FULFILLMENT_ORDERS), (201, {"fulfillment": {"id": 1}})])
    shown = pusher_for("shopify").read_levels(rec.client(), site, [ITEM])
    assert shown == {"39072856": 40}
    assert rec.requests[0].url.params["inventory_item_ids"] == "808950810"
    pusher_for("shopify").push_status(rec.client(), site, StatusPush(
        "shipped", "450789469", "SO-1", {"carrier": "UPS", "tracking_number": "1Z999"}))
    assert rec.calls()[1:] == [
        ("GET", "/admin/api/2024-01/orders/450789469/fulfillment_orders.json", None),
        ("POST", "/admin/api/2024-01/fulfillments.json", {"fulfillment": {
            "line_items_by_fulfillment_order": [{"fulfillment_order_id": 1046000778}],
            "tracking_info": {"company": "UPS", "number": "1Z999"}, "notify_customer": True}})]


def test_shopify_refuses_an_item_without_an_inventory_item_id() -> None:
    site = Site(1, "shopify", "https://demo.myshopify.com", "t", "655441491")
    with pytest.raises(PushFailed, match="inventory item id"):
        pusher_for("shopify").push_items(Recorder([]).client(), site, [ItemPush("X", "1", 2)])


def test_woocommerce_batches_products_and_variations_and_reports_refused_rows() -> None:
    site = Site(1, "woocommerce", "https://shop.test", "ck_1:cs_2")
    rec = Recorder([(200, WOO_BATCH_OK), (200, {"update": []})])
    variation = ItemPush("BRK-3", "799:812", 2)
    pusher_for("woocommerce").push_items(rec.client(), site, [ItemPush("BRK-1", "799", 5, price=Decimal("19.9"),
                                                                       currency="EUR"), variation])
    assert rec.calls() == [
        ("POST", "/wp-json/wc/v3/products/batch",
         {"update": [{"id": 799, "manage_stock": True, "stock_quantity": 5, "regular_price": "19.90"}]}),
        ("POST", "/wp-json/wc/v3/products/799/variations/batch",
         {"update": [{"id": 812, "manage_stock": True, "stock_quantity": 2}]})]
    assert rec.requests[0].headers["authorization"] == httpx.BasicAuth("ck_1", "cs_2")._auth_header
    with pytest.raises(PushFailed, match="Invalid ID"):
        pusher_for("woocommerce").push_items(Recorder([(200, WOO_BATCH_REFUSED)]).client(), site,
                                             [ItemPush("X", "0", 1)])


def test_woocommerce_splits_batches_at_100_rows_and_reads_stock_quantity() -> None:
    site = Site(1, "woocommerce", "https://shop.test", "ck:cs")
    rec = Recorder([])
    pusher_for("woocommerce").push_items(rec.client(), site, [ItemPush(f"S{i}", str(1000 + i), i) for i in range(150)])
    assert [len(body["update"]) for _, _, body in rec.calls()] == [100, 50]
    rec = Recorder([(200, WOO_PRODUCTS)])
    shown = pusher_for("woocommerce").read_levels(rec.client(), site,
                                                  [ItemPush("A", "799", 1), ItemPush("B", "800", 1)])
    assert shown == {"799": 4}
    assert rec.requests[0].url.params["include"] == "799,800"


@pytest.mark.parametrize(("kind", "details", "expected"), [
    ("shipped", {"carrier": "DHL", "tracking_number": "JD1"},
     [("PUT", "/wp-json/wc/v3/orders/727", {"status": "completed"}),
      ("POST", "/wp-json/wc/v3/orders/727/notes", {"note": "Shipped with DHL, tracking number JD1",
                                                    "customer_note": True})]),
    ("cancelled", {"reason": "out of stock"},
     [("PUT", "/wp-json/wc/v3/orders/727", {"status": "cancelled"}),
      ("POST", "/wp-json/wc/v3/orders/727/notes", {"note": "Cancelled: out of stock", "customer_note": True})]),
    ("refunded", {"amount": "5.00", "currency": "EUR", "reason": "", "fully_refunded": False},
     [("POST", "/wp-json/wc/v3/orders/727/notes", {"note": "Refunded 5.00 EUR", "customer_note": True})]),
])
def test_woocommerce_order_status_and_note(kind: str, details: dict[str, Any], expected: list[Any]) -> None:
    rec = Recorder([])
    pusher_for("woocommerce").push_status(rec.client(), Site(1, "woocommerce", "https://shop.test"),
                                          StatusPush(kind, "727", "SO-1", details))
    assert rec.calls() == expected


def test_an_unreachable_site_is_a_push_failure() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.Client(transport=httpx.MockTransport(down))
    with pytest.raises(PushFailed, match="ConnectError"):
        pusher_for("generic").push_items(client, Site(1, "generic", "http://127.0.0.1:9"), [ITEM])

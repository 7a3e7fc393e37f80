"""The permission matrix: every built-in role against every mutating API endpoint and form post, from ONE table.

Each row of ACTIONS is one mutating request and the permissions it needs. Every row is run for every built-in role
with a real user: through its API key ("api") or signed in through the login form ("form", with the session's CSRF
token). A role holding all of the row's permissions must succeed (2xx for the API, a 303 redirect for a form);
any other role must get 403, and then not one row of the tenant may have changed.

To cover a new endpoint, add a row: its URL and body may use the {placeholders} of `Scene` (ids made fresh for each
test), and `needs` names the permissions (empty: any signed-in user may do it).
"""

import io
import re
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Literal, TypeVar

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image as PILImage
from sqlalchemy import Engine, or_, select

from stockyard.billing import config as payment_config
from stockyard.billing import periods, periods_domain, tax_services
from stockyard.catalog import attributes, images, pricing, relations, taxonomy
from stockyard.catalog import services as catalog_services
from stockyard.catalog.models import Brand, Category, Sku
from stockyard.core.files import file_store
from stockyard.core.outbox import OutboxEvent, add_events
from stockyard.core.settings import Settings
from stockyard.core.uow import perform, read
from stockyard.fulfilment import config as shipping_config
from stockyard.identity import roles, tenants_admin
from stockyard.identity.domain import (
    ACCOUNTING_MANAGE,
    API_KEYS_MANAGE,
    CATALOG_EDIT,
    CHANNELS_MANAGE,
    FULFILMENT_SHIP,
    INTEGRATION_MANAGE,
    INVENTORY_ADJUST,
    INVENTORY_CONFIGURE,
    INVENTORY_COUNT,
    INVENTORY_COUNT_APPROVE,
    INVENTORY_MOVE,
    INVENTORY_RECEIVE,
    INVENTORY_RESERVE,
    INVENTORY_TRANSFER,
    ORDERS_CANCEL,
    ORDERS_MANAGE,
    ORDERS_PLACE,
    ORDERS_VIEW,
    PRICING_EDIT,
    PURCHASING_EDIT,
    PURCHASING_RECEIVE,
    PURCHASING_VIEW,
    ROLES,
    ROLES_MANAGE,
    SETTINGS_MANAGE,
    TENANTS_MANAGE,
    USERS_MANAGE,
)
from stockyard.identity.models import Tenant
from stockyard.identity.users import list_api_keys, set_user_active
from stockyard.integration.channels import connections as channel_connections
from stockyard.integration.channels import mapping as channel_mapping
from stockyard.integration.consumers import Consumer
from stockyard.integration.dispatch import event_from_row, record_failure
from stockyard.integration.models import Delivery
from stockyard.integration.webhooks import services as webhooks
from stockyard.inventory import counts, reservations, transfers
from stockyard.inventory.models import Warehouse
from stockyard.inventory.queries import transfer_detail
from stockyard.purchasing import putaway as purchasing_putaway
from stockyard.purchasing import queries as purchasing_queries
from stockyard.purchasing import receiving as purchasing_receiving
from stockyard.purchasing import services as purchasing
from stockyard.purchasing import suppliers as purchasing_suppliers
from stockyard.purchasing.models import GoodsReceipt
from stockyard.sales import channels
from tests.conftest import TenantCtx, new_tenant
from tests.factories import build_world, receive
from tests.inventory.support import tenant_rows
from tests.purchasing.support import draft, in_days, sent, supplier
from tests.sales.order_fixtures import commerce_on, order_in_state

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
INV = "/api/v1/inventory"
PUR = "/api/v1/purchasing"
# Server-side session rows change on every request (last seen); they are not business data.
NOT_BUSINESS_DATA = {"user_sessions"}


@dataclass(frozen=True)
class Action:
    name: str
    via: Literal["api", "form"]
    url: str
    needs: frozenset[str]
    body: dict[str, Any] | None = None
    method: str = "POST"
    # A form that answers with a page instead of a redirect (the new API key is shown once, never redirected to).
    success: int | None = None
    # Uploaded files of a form: field → (file name, content, content type).
    files: dict[str, tuple[str, bytes, str]] | None = None


def api(name: str, url: str, needs: set[str], body: dict[str, Any] | None = None, method: str = "POST") -> Action:
    return Action(name, "api", url, frozenset(needs), body, method)


def form(name: str, url: str, needs: set[str], body: dict[str, Any] | None = None,
         files: dict[str, tuple[str, bytes, str]] | None = None) -> Action:
    return Action(name, "form", url, frozenset(needs), body, files=files)


def _png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (40, 30), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


PNG = _png()


SKU1_AT_A01 = {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1}
# A file of one order of a connected site (integration/channels/csv_orders.py).
CHANNEL_ORDERS_CSV = ("order_id,email,sku,quantity,unit_price,ship_line1,ship_city,ship_postcode,ship_country\n"
                      "PM-1,buyer@example.com,SKU-001,1,9.00,Hafenstraße 1,Hamburg,20095,DE\n")

SETTLEMENT_CSV = ("settlement_id,date,payment_reference,type,gross,fee,net,currency\n"
                  "ST-1,2026-12-01,ch_1,charge,10.00,0.30,9.70,EUR\n")

ACTIONS: list[Action] = [
    # ---- inventory JSON API ----
    api("create warehouse", f"{INV}/warehouses", {INVENTORY_CONFIGURE}, {"code": "EAST", "name": "East"}),
    api("update warehouse", f"{INV}/warehouses/{{warehouse}}", {INVENTORY_CONFIGURE},
        {"name": "Main hall", "country": "DE", "postcode": "20095", "handling_days": 2}, method="PUT"),
    api("create location", f"{INV}/locations", {INVENTORY_CONFIGURE},
        {"warehouse": "MAIN", "parent": "MAIN/A", "code": "09", "kind": "bin", "type": "storage"}),
    api("receive stock", f"{INV}/receipts", {INVENTORY_RECEIVE}, SKU1_AT_A01),
    api("move stock", f"{INV}/moves", {INVENTORY_MOVE},
        {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 1}),
    api("move stock in a batch", f"{INV}/moves/batch", {INVENTORY_MOVE},
        {"moves": [{"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 1}]}),
    api("write off", f"{INV}/write-offs", {INVENTORY_ADJUST}, {**SKU1_AT_A01, "reason": "damaged"}),
    api("change status", f"{INV}/status-changes", {INVENTORY_ADJUST},
        {**SKU1_AT_A01, "from_status": "sellable", "to_status": "damaged"}),
    api("dispatch transfer", f"{INV}/transfers", {INVENTORY_TRANSFER},
        {"from_warehouse": "MAIN", "to_warehouse": "NORTH",
         "lines": [{"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 1}]}),
    api("receive transfer", f"{INV}/transfers/{{transfer}}/receipts", {INVENTORY_TRANSFER},
        {"lines": [{"line_id": "{transfer_line}", "quantity": 1, "to_location": "NORTH/B/01"}]}),
    api("reserve", f"{INV}/reservations", {INVENTORY_RESERVE}, {"sku": "SKU-002", "quantity": 1}),
    api("release reservation", f"{INV}/reservations/{{reservation}}/release", {INVENTORY_RESERVE}),
    api("consume reservation", f"{INV}/reservations/{{reservation}}/consume", {INVENTORY_RESERVE, INVENTORY_MOVE},
        {"document_type": "shipment", "document_id": "S1"}),
    api("open count", f"{INV}/counts", {INVENTORY_COUNT}, {"warehouse": "MAIN", "locations": ["MAIN/A/02"]}),
    api("record count", f"{INV}/counts/{{count}}/lines", {INVENTORY_COUNT},
        {"location": "MAIN/A/01", "sku": "SKU-001", "counted": 19}),
    api("approve count", f"{INV}/counts/{{count}}/approve", {INVENTORY_COUNT_APPROVE}),
    api("cancel count", f"{INV}/counts/{{count}}/cancel", {INVENTORY_COUNT_APPROVE}),
    api("set min-stock rule", f"{INV}/min-stock-rules", {INVENTORY_CONFIGURE},
        {"sku": "SKU-001", "warehouse": "MAIN", "minimum": 5}, method="PUT"),
    # ---- back-office forms ----
    form("receive (form)", "/erp/receive", {INVENTORY_RECEIVE}, SKU1_AT_A01),
    form("create warehouse (form)", "/erp/warehouses/new", {INVENTORY_CONFIGURE},
         {"code": "EAST", "name": "East", "country": "AT", "handling_days": "2"}),
    form("edit warehouse (form)", "/erp/warehouses/{warehouse}/edit", {INVENTORY_CONFIGURE},
         {"name": "Main hall", "country": "DE", "postcode": "20095", "handling_days": "2"}),
    form("move (form)", "/erp/move", {INVENTORY_MOVE},
         {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02", "quantity": 1}),
    form("write off (form)", "/erp/write-off", {INVENTORY_ADJUST}, {**SKU1_AT_A01, "reason": "lost"}),
    form("change status (form)", "/erp/status", {INVENTORY_ADJUST},
         {**SKU1_AT_A01, "from_status": "sellable", "to_status": "quarantine"}),
    form("dispatch transfer (form)", "/erp/transfers/new", {INVENTORY_TRANSFER},
         {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines.0.sku": "SKU-001",
          "lines.0.from_location": "MAIN/A/01", "lines.0.quantity": 1}),
    form("receive transfer (form)", "/erp/transfers/{transfer}/receive", {INVENTORY_TRANSFER},
         {"line_id": "{transfer_line}", "quantity": 1, "to_location": "NORTH/B/01"}),
    form("open count (form)", "/erp/counts", {INVENTORY_COUNT}, {"warehouse": "MAIN", "locations": "MAIN/A/02"}),
    form("record count (form)", "/erp/counts/{count}/lines", {INVENTORY_COUNT},
         {"location": "MAIN/A/01", "sku": "SKU-001", "counted": 19}),
    form("approve count (form)", "/erp/counts/{count}/approve", {INVENTORY_COUNT_APPROVE}),
    form("cancel count (form)", "/erp/counts/{count}/cancel", {INVENTORY_COUNT_APPROVE}),
    form("release reservation (form)", "/erp/reservations/{reservation}/release", {INVENTORY_RESERVE}),
    # ---- catalog JSON API ----
    api("create product", "/api/v1/catalog/products", {CATALOG_EDIT},
        {"name": "Matrix part", "brand": "Acme", "category": "Parts", "skus": [{"code": "MX-{uid}"}]}),
    # ---- users, roles and API keys: admin forms ----
    form("create user (form)", "/admin/users/new", {USERS_MANAGE},
         {"name": "New Person", "email": "new-{uid}@example.com", "role": "read_only", "password": PASSWORD}),
    form("edit user (form)", "/admin/users/{other_user}", {USERS_MANAGE},
         {"name": "Renamed", "role": "sales", "active": "1"}),
    form("deactivate user (form)", "/admin/users/{other_user}/deactivate", {USERS_MANAGE}),
    form("reactivate user (form)", "/admin/users/{inactive_user}/reactivate", {USERS_MANAGE}),
    form("create role (form)", "/admin/roles/new", {ROLES_MANAGE},
         {"name": "counter", "description": "counts only", "permissions": "inventory.count"}),
    form("edit role (form)", "/admin/roles/{role}", {ROLES_MANAGE},
         {"name": "helper", "permissions": "inventory.view"}),
    form("delete role (form)", "/admin/roles/{role}/delete", {ROLES_MANAGE}),
    Action("create own API key (form)", "form", "/admin/api-keys", frozenset(),
           {"name": "mine", "scopes": "inventory.view"}, success=201),
    form("revoke someone else's key (form)", "/admin/api-keys/{other_key}/revoke", {API_KEYS_MANAGE}),
    # ---- users, roles and API keys: JSON API ----
    api("create own API key", "/api/v1/api-keys", set(), {"name": "mine"}),
    api("create a key for someone else", "/api/v1/api-keys", {API_KEYS_MANAGE},
        {"name": "theirs", "user_id": "{other_user}"}),
    api("revoke someone else's key", "/api/v1/api-keys/{other_key}/revoke", {API_KEYS_MANAGE}),
    api("create user", "/api/v1/users", {USERS_MANAGE},
        {"name": "Api Person", "email": "api-{uid}@example.com", "role": "read_only", "password": PASSWORD}),
    api("edit user", "/api/v1/users/{other_user}", {USERS_MANAGE},
        {"name": "Renamed", "role": "sales", "active": True}, method="PUT"),
    api("create role", "/api/v1/roles", {ROLES_MANAGE}, {"name": "counter", "permissions": ["inventory.count"]}),
    api("edit role", "/api/v1/roles/{role}", {ROLES_MANAGE}, {"name": "helper", "permissions": ["inventory.view"]},
        method="PUT"),
    api("delete role", "/api/v1/roles/{role}", {ROLES_MANAGE}, method="DELETE"),
    # ---- shipping ----
    api("quote shipping", "/api/v1/shipping/quote", set(),
        {"address": {"country": "DE", "postcode": "10115"}, "lines": [{"sku": "SKU-001", "quantity": 1}],
         "order_value": "10", "currency": "EUR"}),
    # ---- catalog JSON API (more) ----
    api("add barcode", "/api/v1/catalog/skus/SKU-001/barcodes", {CATALOG_EDIT},
        {"code": "4006381333931", "kind": "ean13"}),
    # ---- catalog admin forms: products, SKUs, images, relations ----
    form("create product (form)", "/admin/catalog/products/new", {CATALOG_EDIT},
         {"name": "Form part", "brand": "Acme", "sku": "FP-{uid}", "unit": "pcs", "tracking": "none"}),
    form("edit product (form)", "/admin/catalog/products/{product}", {CATALOG_EDIT},
         {"name": "Renamed part", "brand": "Acme"}),
    form("add variant (form)", "/admin/catalog/products/{product}/skus", {CATALOG_EDIT},
         {"code": "VAR-{uid}", "unit": "pcs", "tracking": "none"}),
    form("upload image (form)", "/admin/catalog/products/{product}/images", {CATALOG_EDIT}, {"alt": "front"},
         files={"image": ("part.png", PNG, "image/png")}),
    form("image alt text (form)", "/admin/catalog/products/{product}/images/{image}", {CATALOG_EDIT},
         {"alt": "side view"}),
    form("move image (form)", "/admin/catalog/products/{product}/images/{image}/move", {CATALOG_EDIT},
         {"direction": "down"}),
    form("delete image (form)", "/admin/catalog/products/{product}/images/{image}/delete", {CATALOG_EDIT}),
    form("edit SKU (form)", "/admin/catalog/skus/{sku}", {CATALOG_EDIT},
         {"name": "Renamed SKU", "unit": "pcs", "tracking": "none", "active": "on"}),
    form("add barcode (form)", "/admin/catalog/skus/{sku}/barcodes", {CATALOG_EDIT}, {"barcode": "4006381333931"}),
    form("remove barcode (form)", "/admin/catalog/skus/{sku}/barcodes/{barcode}/delete", {CATALOG_EDIT}),
    form("set attributes (form)", "/admin/catalog/skus/{sku}/attributes", {CATALOG_EDIT},
         {"attr.{attribute}": "red"}),
    form("add equivalent (form)", "/admin/catalog/skus/{sku}/equivalents", {CATALOG_EDIT},
         {"equivalent": "SKU-003"}),
    form("leave equivalents (form)", "/admin/catalog/skus/{sku}/equivalents/remove", {CATALOG_EDIT}),
    form("set replacement (form)", "/admin/catalog/skus/{sku}/replacement", {CATALOG_EDIT},
         {"replaced_by": "SKU-003", "effective_on": "2030-01-01"}),
    form("remove replacement (form)", "/admin/catalog/skus/{replaced_sku}/replacement/remove", {CATALOG_EDIT}),
    form("add related item (form)", "/admin/catalog/skus/{sku}/related", {CATALOG_EDIT},
         {"related": "SKU-003", "kind": "bought_together"}),
    form("remove related item (form)", "/admin/catalog/skus/{sku}/related/{related_link}/delete", {CATALOG_EDIT}),
    form("import products (form)", "/admin/catalog/import", {CATALOG_EDIT},
         files={"file": ("p.csv", b"name,sku\nImported part,IMP-1\n", "text/csv")}),
    # ---- catalog admin forms: brands, categories, attributes ----
    form("create brand (form)", "/admin/catalog/brands", {CATALOG_EDIT}, {"name": "Brand {uid}"}),
    form("rename brand (form)", "/admin/catalog/brands/{brand}", {CATALOG_EDIT}, {"name": "Acme Parts"}),
    form("create category (form)", "/admin/catalog/categories", {CATALOG_EDIT}, {"name": "Category {uid}"}),
    form("edit category (form)", "/admin/catalog/categories/{category}", {CATALOG_EDIT}, {"name": "Spare parts"}),
    form("move category (form)", "/admin/catalog/categories/{category}/move", {CATALOG_EDIT}, {"direction": "down"}),
    form("create attribute (form)", "/admin/catalog/attributes", {CATALOG_EDIT},
         {"name": "Material {uid}", "type": "text"}),
    form("edit attribute (form)", "/admin/catalog/attributes/{attribute}", {CATALOG_EDIT},
         {"name": "Colour", "type": "text"}),
    # ---- price lists ----
    api("create price list", "/api/v1/price-lists", {PRICING_EDIT}, {"name": "Trade", "channel": "WEB"}),
    api("edit price list", "/api/v1/price-lists/{price_list}", {PRICING_EDIT},
        {"name": "Retail 2", "channel": "WEB", "priority": 5}, method="PUT"),
    api("delete price list", "/api/v1/price-lists/{spare_price_list}", {PRICING_EDIT}, method="DELETE"),
    api("set prices", "/api/v1/price-lists/{price_list}/prices", {PRICING_EDIT},
        {"sku": "SKU-001", "tiers": [{"min_quantity": 1, "unit_price": "9.90"}]}, method="PUT"),
    form("create price list (form)", "/admin/price-lists/new", {PRICING_EDIT},
         {"name": "Trade", "channel": "WEB", "priority": "0", "active": "on"}),
    form("edit price list (form)", "/admin/price-lists/{price_list}/edit", {PRICING_EDIT},
         {"name": "Retail 2", "channel": "WEB", "priority": "5", "active": "on"}),
    form("delete price list (form)", "/admin/price-lists/{spare_price_list}/delete", {PRICING_EDIT}),
    form("set prices (form)", "/admin/price-lists/{price_list}/prices", {PRICING_EDIT},
         {"sku": "SKU-001", "tiers.0.min_quantity": "1", "tiers.0.unit_price": "9.90"}),
    # ---- channels ----
    form("create channel (form)", "/admin/channels/new", {SETTINGS_MANAGE},
         {"code": "B2B", "name": "Trade", "kind": "b2b", "currency": "EUR", "hold_minutes": "15",
          "allocation_strategy": "priority", "active": "on"}),
    form("edit channel (form)", "/admin/channels/{channel}", {SETTINGS_MANAGE},
         {"code": "WEB", "name": "Web shop DE", "kind": "storefront", "currency": "EUR", "hold_minutes": "20",
          "allocation_strategy": "priority", "active": "on"}),
    form("delete channel (form)", "/admin/channels/{spare_channel}/delete", {SETTINGS_MANAGE}),
    form("create tax class (form)", "/admin/taxes/classes", {SETTINGS_MANAGE}, {"code": "c{uid}", "name": "Books"}),
    form("delete tax class (form)", "/admin/taxes/classes/{tax_class}/delete", {SETTINGS_MANAGE}),
    form("create tax rate (form)", "/admin/taxes/rates", {SETTINGS_MANAGE},
         {"country": "AT", "tax_class": "standard", "name": "AT VAT standard 20%", "rate": "0.2"}),
    form("delete tax rate (form)", "/admin/taxes/rates/{tax_rate}/delete", {SETTINGS_MANAGE}),
    # ---- channel connections and inbound orders (integration/channels) ----
    api("create channel connection", "/api/v1/channels/connections", {CHANNELS_MANAGE},
        {"channel_id": "{channel}", "name": "Second site", "adapter": "shopify", "base_url": "https://s2.example"}),
    api("edit channel connection", "/api/v1/channels/connections/{channel_connection}", {CHANNELS_MANAGE},
        {"channel_id": "{channel}", "name": "Parts site 2", "adapter": "generic", "base_url": "http://127.0.0.1:9"},
        method="PUT"),
    api("deactivate channel connection", "/api/v1/channels/connections/{channel_connection}/deactivate",
        {CHANNELS_MANAGE}),
    api("rotate channel connection secret", "/api/v1/channels/connections/{channel_connection}/rotate-secret",
        {CHANNELS_MANAGE}),
    api("poll channel connection", "/api/v1/channels/connections/{channel_connection}/poll", {CHANNELS_MANAGE}),
    api("upload channel orders (CSV)", "/api/v1/channels/connections/{channel_connection}/orders.csv", {ORDERS_PLACE},
        {"csv": CHANNEL_ORDERS_CSV}),
    form("create channel connection (form)", "/admin/channels/connections/new", {CHANNELS_MANAGE},
         {"channel_id": "{channel}", "name": "Second site", "adapter": "woocommerce",
          "base_url": "https://s2.example", "active": "on"}),
    form("edit channel connection (form)", "/admin/channels/connections/{channel_connection}", {CHANNELS_MANAGE},
         {"channel_id": "{channel}", "name": "Parts site 2", "adapter": "generic", "base_url": "http://127.0.0.1:9",
          "active": "on"}),
    form("deactivate channel connection (form)", "/admin/channels/connections/{channel_connection}/deactivate",
         {CHANNELS_MANAGE}),
    form("rotate channel connection secret (form)",
         "/admin/channels/connections/{channel_connection}/rotate-secret", {CHANNELS_MANAGE}),
    form("poll channel connection (form)", "/admin/channels/connections/{channel_connection}/poll",
         {CHANNELS_MANAGE}),
    form("upload channel orders (form)", "/admin/channels/connections/{channel_connection}/orders-csv",
         {ORDERS_PLACE}, files={"file": ("orders.csv", CHANNEL_ORDERS_CSV.encode(), "text/csv")}),
    # ---- channel sync (connected sites) ----
    form("channel sync pool (form)", "/admin/channels/connections/{channel_connection}/sync/settings",
         {CHANNELS_MANAGE}, {"stock_share_pct": "50", "stock_buffer": "1", "debounce_seconds": "2",
                             "push_prices": "on"}),
    form("map SKU to a site (form)", "/admin/channels/connections/{channel_connection}/sync/map", {CHANNELS_MANAGE},
         {"sku": "SKU-002", "external_id": "EXT-2"}),
    form("unmap SKU from a site (form)", "/admin/channels/connections/{channel_connection}/sync/unmap",
         {CHANNELS_MANAGE}, {"sku": "SKU-001"}),
    form("full resync of a site (form)", "/admin/channels/connections/{channel_connection}/sync/resync",
         {CHANNELS_MANAGE}),
    api("channel sync pool", "/api/v1/channels/connections/{channel_connection}/sync/settings", {CHANNELS_MANAGE},
        {"stock_share_pct": 50, "stock_buffer": 1}, method="PUT"),
    api("map SKU to a site", "/api/v1/channels/connections/{channel_connection}/sync/skus", {CHANNELS_MANAGE},
        {"sku": "SKU-002", "external_id": "EXT-2"}, method="PUT"),
    api("unmap SKU from a site", "/api/v1/channels/connections/{channel_connection}/sync/unmap", {CHANNELS_MANAGE},
        {"sku": "SKU-001"}),
    api("full resync of a site", "/api/v1/channels/connections/{channel_connection}/sync/resync", {CHANNELS_MANAGE}),
    # ---- shipping configuration ----
    form("create zone (form)", "/admin/shipping/zones/new", {SETTINGS_MANAGE},
         {"name": "Austria", "countries": "AT", "position": "1", "active": "on"}),
    form("edit zone (form)", "/admin/shipping/zones/{zone}", {SETTINGS_MANAGE},
         {"name": "Germany", "countries": "DE", "postcode_patterns": "1*", "position": "0", "active": "on"}),
    form("delete zone (form)", "/admin/shipping/zones/{spare_zone}/delete", {SETTINGS_MANAGE}),
    form("create carrier (form)", "/admin/shipping/carriers/new", {SETTINGS_MANAGE},
         {"code": "UPS", "name": "UPS", "active": "on"}),
    form("edit carrier (form)", "/admin/shipping/carriers/{carrier}", {SETTINGS_MANAGE},
         {"code": "post", "name": "Post AG", "active": "on"}),
    form("delete carrier (form)", "/admin/shipping/carriers/{spare_carrier}/delete", {SETTINGS_MANAGE}),
    form("create shipping method (form)", "/admin/shipping/methods/new", {SETTINGS_MANAGE},
         {"carrier": "post", "code": "EXP", "name": "Express", "currency": "EUR", "transit_days": "1",
          "dim_divisor": "5000", "oversize_length_mm": "0", "active": "on"}),
    form("edit shipping method (form)", "/admin/shipping/methods/{shipping_method}/edit", {SETTINGS_MANAGE},
         {"carrier": "post", "code": "STD", "name": "Standard 2", "currency": "EUR", "transit_days": "3",
          "dim_divisor": "5000", "oversize_length_mm": "0", "active": "on"}),
    form("delete shipping method (form)", "/admin/shipping/methods/{spare_method}/delete", {SETTINGS_MANAGE}),
    form("set rate table (form)", "/admin/shipping/methods/{shipping_method}/rates", {SETTINGS_MANAGE},
         {"zone_id": "{zone}", "basis": "weight", "bands.0.lower": "0", "bands.0.price": "6.50"}),
    form("set free shipping (form)", "/admin/shipping/methods/{shipping_method}/free-shipping", {SETTINGS_MANAGE},
         {"zone_id": "{zone}", "threshold": "100"}),
    # ---- payment methods ----
    form("create payment method (form)", "/admin/payments/new?gateway=cash_on_delivery", {SETTINGS_MANAGE},
         {"name": "Cash on delivery", "position": "1", "active": "on", "settings.fee": "2.50"}),
    form("edit payment method (form)", "/admin/payments/{payment_method}", {SETTINGS_MANAGE},
         {"name": "Pay on delivery", "position": "0", "active": "on", "settings.fee": "3"}),
    form("delete payment method (form)", "/admin/payments/{payment_method}/delete", {SETTINGS_MANAGE}),
    # ---- purchasing ----
    api("create supplier", f"{PUR}/suppliers", {PURCHASING_EDIT}, {"code": "ACME", "name": "Acme", "currency": "EUR"}),
    api("create purchase order", f"{PUR}/purchase-orders", {PURCHASING_VIEW, PURCHASING_EDIT},
        {"supplier": "BOSCH", "warehouse": "MAIN", "lines": [{"sku": "SKU-001", "quantity": 5, "unit_cost": "2"}]}),
    api("send purchase order", f"{PUR}/purchase-orders/{{draft_po}}/send", {PURCHASING_VIEW, PURCHASING_EDIT}),
    api("cancel purchase order", f"{PUR}/purchase-orders/{{draft_po}}/cancel", {PURCHASING_VIEW, PURCHASING_EDIT},
        {"note": "not needed"}),
    api("reschedule purchase order", f"{PUR}/purchase-orders/{{open_po}}/expected-dates",
        {PURCHASING_VIEW, PURCHASING_EDIT}, {"expected_on": "{in_a_month}"}),
    api("receive purchase order", f"{PUR}/purchase-orders/{{open_po}}/receive",
        {PURCHASING_VIEW, PURCHASING_RECEIVE, INVENTORY_RECEIVE},
        {"location": "MAIN/A/01", "lines": [{"line_id": "{open_po_line}", "quantity": 1}]}),
    api("close purchase order", f"{PUR}/purchase-orders/{{open_po}}/close", {PURCHASING_VIEW, PURCHASING_EDIT},
        {"note": "rest not coming"}),
    api("update supplier", f"{PUR}/suppliers/{{supplier}}", {PURCHASING_VIEW, PURCHASING_EDIT},
        {"name": "Bosch", "currency": "EUR", "lead_time_days": 5, "over_receipt_tolerance_pct": "5"}, method="PUT"),
    api("set supplier SKU", f"{PUR}/suppliers/{{supplier}}/skus", {PURCHASING_VIEW, PURCHASING_EDIT},
        {"sku": "SKU-002", "unit_cost": "3.20", "pack_size": 6}, method="PUT"),
    api("create shipping notice", f"{PUR}/purchase-orders/{{open_po}}/asns", {PURCHASING_VIEW, PURCHASING_EDIT},
        {"expected_on": "{in_a_month}", "carrier": "DHL"}),
    api("receive shipping notice", f"{PUR}/asns/{{asn}}/receive", {PURCHASING_RECEIVE, INVENTORY_RECEIVE},
        {"location": "MAIN/A/01"}),
    api("cancel shipping notice", f"{PUR}/asns/{{asn}}/cancel", {PURCHASING_EDIT}),
    api("blind receipt", f"{PUR}/receipts/blind", {PURCHASING_RECEIVE, INVENTORY_RECEIVE},
        {"warehouse": "MAIN", "location": "MAIN/A/01", "lines": [{"sku": "SKU-001", "quantity": 1}]}),
    api("put away", f"{PUR}/putaway", {INVENTORY_MOVE},
        {"sku": "SKU-001", "quantity": 1, "from_location": "MAIN/A/01", "to_location": "MAIN/A/02"}),
    api("replenishment orders", f"{PUR}/replenishment/orders", {PURCHASING_VIEW, PURCHASING_EDIT},
        {"items": [{"sku": "SKU-001", "warehouse": "MAIN", "quantity": 4}]}),
    form("create supplier (form)", "/erp/purchasing/suppliers/new", {PURCHASING_EDIT},
         {"code": "ACME", "name": "Acme", "currency": "EUR"}),
    form("edit supplier (form)", "/erp/purchasing/suppliers/{supplier}/edit", {PURCHASING_VIEW, PURCHASING_EDIT},
         {"name": "Bosch", "currency": "EUR", "lead_time_days": "5", "active": "1"}),
    form("set supplier SKU (form)", "/erp/purchasing/suppliers/{supplier}/skus", {PURCHASING_EDIT},
         {"sku": "SKU-002", "unit_cost": "3.20"}),
    form("create purchase order (form)", "/erp/purchasing/orders/new", {PURCHASING_EDIT},
         {"supplier": "BOSCH", "warehouse": "MAIN", "lines.0.sku": "SKU-001", "lines.0.quantity": "2",
          "lines.0.unit_cost": "2"}),
    form("send purchase order (form)", "/erp/purchasing/orders/{draft_po}/send", {PURCHASING_EDIT}),
    form("receive shipping notice (form)", "/erp/purchasing/asns/{asn}/receive",
         {PURCHASING_RECEIVE, INVENTORY_RECEIVE}, {"purchase_order_id": "{open_po}", "location": "MAIN/A/01"}),
    form("blind receipt (form)", "/erp/purchasing/receipts/blind", {PURCHASING_RECEIVE, INVENTORY_RECEIVE},
         {"warehouse": "MAIN", "location": "MAIN/A/01", "lines.0.sku": "SKU-001", "lines.0.quantity": "1"}),
    form("replenishment orders (form)", "/erp/purchasing/replenishment", {PURCHASING_EDIT},
         {"pick": "{replenish_key}", "qty.{replenish_key}": "4"}),
    form("recompute demand forecasts (form)", "/erp/analytics/forecast/recompute", {PURCHASING_EDIT}),
    api("set putaway rule", f"{PUR}/putaway-rules", {INVENTORY_CONFIGURE},
        {"warehouse": "MAIN", "category_id": "{category}", "location": "MAIN/A"}, method="PUT"),
    api("remove putaway rule", f"{PUR}/putaway-rules/{{putaway_rule}}", {INVENTORY_CONFIGURE}, method="DELETE"),
    api("set location capacity", f"{PUR}/location-capacities", {INVENTORY_CONFIGURE},
        {"location": "MAIN/A/02", "capacity": 500}, method="PUT"),
    form("put away (form)", "/erp/purchasing/putaway", {INVENTORY_MOVE},
         {"sku": "SKU-001", "quantity": "1", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02"}),
    form("set putaway rule (form)", "/erp/purchasing/putaway/rules", {INVENTORY_CONFIGURE},
         {"warehouse": "MAIN", "category_id": "{category}", "location": "MAIN/A"}),
    form("cancel purchase order (form)", "/erp/purchasing/orders/{draft_po}/cancel", {PURCHASING_EDIT}),
    form("close purchase order (form)", "/erp/purchasing/orders/{open_po}/close", {PURCHASING_EDIT}),
    form("receive purchase order (form)", "/erp/purchasing/orders/{open_po}/receive",
         {PURCHASING_RECEIVE, INVENTORY_RECEIVE}, {"qty.{open_po_line}": "1", "location": "MAIN/A/01"}),
    form("record shipping notice (form)", "/erp/purchasing/orders/{open_po}/asn", {PURCHASING_EDIT},
         {"expected_on": "{in_a_month}", "carrier": "DHL"}),
    # ---- outbound webhooks ----
    api("create webhook", "/api/v1/webhooks", {INTEGRATION_MANAGE}, {"url": "https://hooks.example.com/new"}),
    api("edit webhook", "/api/v1/webhooks/{webhook}", {INTEGRATION_MANAGE},
        {"url": "https://hooks.example.com/moved", "event_types": ["order.placed.v1"]}, method="PUT"),
    api("delete webhook", "/api/v1/webhooks/{webhook}", {INTEGRATION_MANAGE}, method="DELETE"),
    api("rotate webhook secret", "/api/v1/webhooks/{webhook}/rotate-secret", {INTEGRATION_MANAGE}),
    api("send test webhook", "/api/v1/webhooks/{webhook}/test", {INTEGRATION_MANAGE}),
    api("resend webhook delivery", "/api/v1/webhooks/{webhook}/deliveries/{webhook_delivery}/resend",
        {INTEGRATION_MANAGE}),
    form("create webhook (form)", "/admin/webhooks/new", {INTEGRATION_MANAGE},
         {"url": "https://hooks.example.com/new", "event_types": "*", "active": "on"}),
    form("edit webhook (form)", "/admin/webhooks/{webhook}", {INTEGRATION_MANAGE},
         {"url": "https://hooks.example.com/moved", "event_types": "order.placed.v1", "active": "on"}),
    form("delete webhook (form)", "/admin/webhooks/{webhook}/delete", {INTEGRATION_MANAGE}),
    form("rotate webhook secret (form)", "/admin/webhooks/{webhook}/rotate-secret", {INTEGRATION_MANAGE}),
    form("send test webhook (form)", "/admin/webhooks/{webhook}/test", {INTEGRATION_MANAGE}),
    form("resend webhook delivery (form)", "/admin/webhooks/{webhook}/deliveries/{webhook_delivery}/resend",
         {INTEGRATION_MANAGE}),
    # ---- the integration backbone's dead letters ----
    form("replay dead letter (form)", "/admin/integration/dead-letters/{dead_letter}/replay", {INTEGRATION_MANAGE}),
    form("discard dead letter (form)", "/admin/integration/dead-letters/{dead_letter}/discard",
         {INTEGRATION_MANAGE}),
    # ---- tenants (owners only) ----
    form("create tenant (form)", "/admin/tenants/new", {TENANTS_MANAGE},
         {"slug": "matrix-{uid}", "name": "Matrix GmbH", "owner_name": "Mia Owner",
          "owner_email": "owner-{uid}@example.com", "owner_password": PASSWORD}),
    form("rename tenant (form)", "/admin/tenants/{child_tenant}", {TENANTS_MANAGE}, {"name": "Matrix Nord"}),
    form("suspend tenant (form)", "/admin/tenants/{child_tenant}/suspend", {TENANTS_MANAGE},
         {"reason": "matrix check"}),
    form("reactivate tenant (form)", "/admin/tenants/{suspended_tenant}/reactivate", {TENANTS_MANAGE}),
    # ---- order-to-cash reconciliation: gateway settlement reports ----
    api("import settlement report", "/api/v1/accounting/settlements", {ACCOUNTING_MANAGE},
        {"content": SETTLEMENT_CSV, "file_name": "settlement.csv"}),
    form("import settlement report (form)", "/erp/accounting/reconciliation/settlements", {ACCOUNTING_MANAGE},
         files={"file": ("settlement.csv", SETTLEMENT_CSV.encode(), "text/csv")}),
    # ---- inventory valuation and landed costs ----
    api("set valuation method", "/api/v1/accounting/valuation/method", {ACCOUNTING_MANAGE}, {"method": "average"},
        method="PUT"),
    form("set valuation method (form)", "/erp/accounting/valuation/method", {ACCOUNTING_MANAGE}, {"method": "average"}),
    api("apply landed cost", "/api/v1/accounting/landed-costs", {ACCOUNTING_MANAGE},
        {"kind": "freight", "amount": "3.00", "currency": "EUR", "basis": "quantity", "receipts": ["{receipt}"]}),
    form("apply landed cost (form)", "/erp/accounting/landed-costs/new", {ACCOUNTING_MANAGE},
         {"kind": "freight", "amount": "3.00", "currency": "EUR", "basis": "quantity", "receipts": "{receipt}"}),
    # ---- chart of accounts and accounting periods ----
    api("add ledger account", "/api/v1/accounting/accounts", {ACCOUNTING_MANAGE},
        {"code": "A{uid}", "name": "Matrix costs", "type": "expense"}),
    api("change ledger account", "/api/v1/accounting/accounts/{ledger_account}", {ACCOUNTING_MANAGE},
        {"name": "Sundry"}, method="PATCH"),
    form("add ledger account (form)", "/erp/accounting/accounts", {ACCOUNTING_MANAGE},
         {"code": "F{uid}", "name": "Matrix costs", "type": "expense"}),
    form("change ledger account (form)", "/erp/accounting/accounts/{ledger_account}", {ACCOUNTING_MANAGE},
         {"active": "no"}),
    api("close accounting period", "/api/v1/accounting/periods/{open_period}/close", {ACCOUNTING_MANAGE}),
    api("reopen accounting period", "/api/v1/accounting/periods/{closed_period}/reopen", {ACCOUNTING_MANAGE}),
    form("close accounting period (form)", "/erp/accounting/periods/{open_period}/close", {ACCOUNTING_MANAGE}),
    form("reopen accounting period (form)", "/erp/accounting/periods/{closed_period}/reopen", {ACCOUNTING_MANAGE}),
]


@dataclass(frozen=True)
class Scene:
    """What the rows refer to, made through the real services: stock in MAIN/A/01 and MAIN/A/02, a transfer in
    transit to NORTH, an open count of MAIN/A/01 with its line recorded, an active reservation, another user with
    an API key, an inactive user, a custom role nobody holds and a tenant created from this one; in the catalog,
    SKU-001 (product `product`) with a barcode, two images, a related item and SKU-002 as its equivalent, SKU-002
    superseded by SKU-003, a text attribute; a channel WEB with a price list, a shipping zone, carrier and method
    with a rate table, a payment method; a spare channel, price list, zone, carrier and method that nothing refers
    to, to be deleted; a supplier with a draft and a partly received purchase order."""

    transfer: int
    transfer_line: int
    count: int
    reservation: int
    other_user: int
    other_key: int
    inactive_user: int
    role: int
    product: int
    sku: int
    replaced_sku: int
    barcode: int
    image: int
    related_link: int
    brand: int
    category: int
    attribute: int
    channel: int
    spare_channel: int
    price_list: int
    spare_price_list: int
    zone: int
    spare_zone: int
    carrier: int
    spare_carrier: int
    shipping_method: int
    spare_method: int
    payment_method: int
    draft_po: int
    open_po: int
    open_po_line: int
    receipt: str  # the goods receipt of the partly received purchase order
    in_a_month: str
    supplier: int
    asn: int
    replenish_key: str
    putaway_rule: int
    child_tenant: int
    suspended_tenant: int
    uid: str
    channel_connection: int
    webhook: int
    webhook_delivery: int
    dead_letter: int
    warehouse: str = "MAIN"  # by code: the warehouse routes take an id or a code
    tax_class: int = 0  # a tax class nothing is in, and a tax rate (billing/tax_services.py)
    tax_rate: int = 0
    open_period: str = ""  # an ended month still open (YYYY-MM)
    closed_period: str = ""  # a month closed (YYYY-MM)
    ledger_account: str = "6900"  # an account of the default chart, by code


def build_scene(ctx: TenantCtx, app: Any) -> Scene:
    build_world(ctx, skus=3)
    receive(ctx, "SKU-001", "MAIN/A/01", 20)
    receive(ctx, "SKU-002", "MAIN/A/02", 20)
    e, a = ctx.engine, ctx.actor
    transfer = perform(e, a, transfers.dispatch_transfer, transfers.DispatchTransfer(
        from_warehouse="MAIN", to_warehouse="NORTH", lines=[{"sku": "SKU-001", "from_location": "MAIN/A/01",
                                                            "quantity": 2}]))
    line = read(e, a, transfer_detail, transfer)[1][0][0].id
    count = perform(e, a, counts.open_count, counts.OpenCount(warehouse="MAIN", locations=["MAIN/A/01"]))
    perform(e, a, counts.record_count, counts.RecordCount(count_id=count, location="MAIN/A/01", sku="SKU-001",
                                                          counted=18))
    reservation = perform(e, a, reservations.reserve_stock, reservations.ReserveStock(sku="SKU-002", quantity=2))
    other_user, other_token = ctx.user("read_only")
    inactive_user, _ = ctx.user("read_only")
    perform(e, a, set_user_active, inactive_user, False)
    role = perform(e, a, roles.create_role, roles.RoleIn(name="helper", permissions=["inventory.view"]))
    other_key = next(k.id for k in read(e, a, list_api_keys, other_user) if other_token.split("_")[1] == k.prefix)
    return Scene(transfer=transfer, transfer_line=line, count=count, reservation=reservation, other_user=other_user,
                 other_key=other_key, inactive_user=inactive_user, role=role, uid=uuid.uuid4().hex[:8],
                 child_tenant=child_tenant(ctx), suspended_tenant=child_tenant(ctx, suspended=True),
                 **catalog_scene(ctx, app), **commerce_scene(ctx), **purchasing_scene(ctx), **webhook_scene(ctx),
                 channel_connection=channel_sync_scene(ctx), dead_letter=dead_letter_scene(ctx),
                 **accounting_scene(ctx))


def child_tenant(ctx: TenantCtx, *, suspended: bool = False) -> int:
    """A tenant created from the scene's, suspended if asked."""
    e, a = ctx.engine, ctx.actor
    child = perform(e, a, tenants_admin.create_tenant_with_owner, tenants_admin.CreateTenant(
        slug=f"child-{uuid.uuid4().hex[:10]}", name="Child Co.", owner_name="Kim", owner_email="kim@example.com",
        owner_password=PASSWORD))
    if suspended:
        perform(e, a, tenants_admin.suspend_tenant, child, tenants_admin.SuspendTenant(reason="matrix scene"))
    return child


def accounting_scene(ctx: TenantCtx) -> dict[str, str]:
    """Last month still open, the month before it closed."""
    last = periods_domain.previous_month(periods_domain.month_of(date.today()))
    closed = periods_domain.previous_month(last)
    perform(ctx.engine, ctx.actor, periods.close_period, closed)
    return {"open_period": periods_domain.label(last), "closed_period": periods_domain.label(closed)}


def channel_sync_scene(ctx: TenantCtx) -> int:
    """A generic site connected to channel WEB, with SKU-001 mapped; the connection's id."""
    e, a = ctx.engine, ctx.actor
    with ctx.uow() as uow:
        web = channels.channel_by_code(uow, "WEB").id
    connection = perform(e, a, channel_connections.create_connection, channel_connections.ConnectionIn(
        channel_id=web, name="Parts site", adapter="generic", base_url="http://127.0.0.1:9")).id
    perform(e, a, channel_mapping.map_sku, connection, channel_mapping.MapSku(sku="SKU-001", external_id="EXT-1"))
    return connection


def purchasing_scene(ctx: TenantCtx) -> dict[str, Any]:
    """Supplier BOSCH selling SKU-001, a draft purchase order and a sent one of 2 × SKU-001 with 1 received and a
    shipping notice for the other."""
    supplier_id = supplier(ctx)
    perform(ctx.engine, ctx.actor, purchasing_suppliers.set_supplier_sku, "BOSCH", purchasing_suppliers.SetSupplierSku(
        sku="SKU-001", unit_cost=Decimal("2.10")))
    draft_po = draft(ctx, {"SKU-001": 3}).id
    open_po = sent(ctx, {"SKU-001": 2}).id
    line_id = read(ctx.engine, ctx.actor, purchasing_queries.purchase_order_detail, open_po).lines[0].id
    perform(ctx.engine, ctx.actor, purchasing.receive_purchase_order_lines, open_po, purchasing.ReceivePurchaseOrder(
        location="MAIN/A/01", lines=[purchasing.ReceivedLine(line_id=line_id, quantity=1)]))
    asn = perform(ctx.engine, ctx.actor, purchasing_receiving.create_asn, open_po,
                  purchasing_receiving.CreateAsn(expected_on=in_days(5)))
    with ctx.uow() as uow:
        sku_id = uow.execute(select(Sku.id).where(Sku.code == "SKU-001")).scalar_one()
        main = uow.execute(select(Warehouse.id).where(Warehouse.code == "MAIN")).scalar_one()
        category = uow.execute(select(Category.id).where(Category.name == "Parts")).scalar_one()
        receipt = uow.execute(select(GoodsReceipt.number).where(GoodsReceipt.purchase_order_id == open_po)).scalar_one()
    return {"draft_po": draft_po, "open_po": open_po, "open_po_line": line_id, "in_a_month": str(in_days(30)),
            "receipt": receipt,
            "supplier": supplier_id, "asn": asn, "replenish_key": f"{sku_id}.{main}",
            "putaway_rule": perform(ctx.engine, ctx.actor, purchasing_putaway.set_putaway_rule,
                                    purchasing_putaway.SetPutawayRule(warehouse="NORTH", category_id=category,
                                                                      location="NORTH/B"))}


def dead_letter_scene(ctx: TenantCtx) -> int:
    """A consumer gave up on an event of this tenant: a dead letter, as the dispatcher records it."""
    failing = Consumer("matrix.failing", frozenset({"matrix.ping.v1"}), lambda uow, event: None, max_attempts=1)
    with ctx.uow() as uow:
        [event_id] = add_events(uow, [("matrix.ping.v1", {})])
    with ctx.uow() as uow:
        row = uow.conn.execute(select(OutboxEvent.__table__).where(OutboxEvent.event_id == event_id)).one()
    record_failure(ctx.engine, failing, event_from_row(row), row.id, RuntimeError("the receiver is down"),
                   Settings())
    with ctx.uow() as uow:
        return uow.conn.execute(select(Delivery.id).where(Delivery.event_id == event_id)).scalar_one()


def webhook_scene(ctx: TenantCtx) -> dict[str, int]:
    """A webhook subscription with one delivery queued (a test event)."""
    created = perform(ctx.engine, ctx.actor, webhooks.create_subscription,
                      webhooks.SubscriptionIn(url="https://hooks.example.com/in"))
    delivery = perform(ctx.engine, ctx.actor, webhooks.send_test_event, created.id)
    return {"webhook": created.id, "webhook_delivery": delivery}


def _ids(ctx: TenantCtx, stmt: Any) -> list[int]:
    with ctx.uow() as uow:
        return list(uow.execute(stmt).scalars())


def catalog_scene(ctx: TenantCtx, app: Any) -> dict[str, int]:
    e, a = ctx.engine, ctx.actor
    sku1, sku2 = _ids(ctx, select(Sku.id).where(Sku.code.in_(["SKU-001", "SKU-002"])).order_by(Sku.code))
    product = _ids(ctx, select(Sku.product_id).where(Sku.id == sku1))[0]
    barcode = perform(e, a, catalog_services.add_barcode, sku="SKU-001", code="4006381333900", kind="ean13")
    settings = app.state.settings
    store = getattr(app.state, "file_store", None) or file_store(settings)
    image = images.upload_image(e, a, store, product, PNG, "front", max_bytes=settings.image_max_bytes,
                                max_pixels=settings.image_max_pixels)
    images.upload_image(e, a, store, product, PNG, "back", max_bytes=settings.image_max_bytes,
                        max_pixels=settings.image_max_pixels)
    perform(e, a, relations.add_equivalent, sku1, "SKU-002")
    perform(e, a, relations.set_replacement, sku2, relations.SetReplacement(replaced_by="SKU-003",
                                                                            effective_on=date(2030, 1, 1)))
    related = perform(e, a, relations.add_related, sku1, relations.AddRelated(related="SKU-002", kind="accessory"))
    attribute = perform(e, a, attributes.define_attribute, attributes.AttributeIn(name="Colour", type="text"))
    perform(e, a, taxonomy.create_category, taxonomy.CategoryIn(name="Tools"))
    return {"product": product, "sku": sku1, "replaced_sku": sku2, "barcode": barcode, "image": image,
            "related_link": related, "attribute": attribute,
            "brand": _ids(ctx, select(Brand.id).where(Brand.name == "Acme"))[0],
            "category": _ids(ctx, select(Category.id).where(Category.name == "Parts"))[0]}


def commerce_scene(ctx: TenantCtx) -> dict[str, int]:
    e, a = ctx.engine, ctx.actor
    channel = perform(e, a, channels.create_channel, channels.ChannelIn(code="WEB", name="Web shop", currency="EUR"))
    spare_channel = perform(e, a, channels.create_channel, channels.ChannelIn(code="OLD", name="Old", currency="EUR"))
    price_list = perform(e, a, pricing.create_price_list, pricing.PriceListIn(name="Retail", channel="WEB"))
    spare_price_list = perform(e, a, pricing.create_price_list, pricing.PriceListIn(name="Outlet", channel="WEB"))
    zone = perform(e, a, shipping_config.create_zone, shipping_config.ZoneIn(name="Germany", countries=["DE"]))
    spare_zone = perform(e, a, shipping_config.create_zone, shipping_config.ZoneIn(name="France", countries=["FR"]))
    carrier = perform(e, a, shipping_config.create_carrier, shipping_config.CarrierIn(code="post", name="Post"))
    spare_carrier = perform(e, a, shipping_config.create_carrier, shipping_config.CarrierIn(code="gone", name="Gone"))
    method = perform(e, a, shipping_config.create_method, shipping_config.MethodIn(
        carrier="post", code="STD", name="Standard", currency="EUR"))
    spare_method = perform(e, a, shipping_config.create_method, shipping_config.MethodIn(
        carrier="post", code="OLD", name="Old", currency="EUR"))
    perform(e, a, shipping_config.set_rate_table, method, shipping_config.SetRateTable(
        zone_id=zone, basis="weight", bands=[shipping_config.BandIn(lower=0, price=5)]))
    payment_method = perform(e, a, payment_config.create_payment_method, payment_config.PaymentMethodIn(
        name="Cash", gateway="cash_on_delivery", settings={"fee": "2"}))
    tax_class = perform(e, a, tax_services.create_tax_class, tax_services.TaxClassIn(code="spare", name="Spare"))
    tax_rate = perform(e, a, tax_services.create_tax_rate, tax_services.TaxRateIn(
        country="DE", name="DE VAT standard 19%", rate=Decimal("0.19")))
    return {"channel": channel, "spare_channel": spare_channel, "price_list": price_list,
            "tax_class": tax_class, "tax_rate": tax_rate,
            "spare_price_list": spare_price_list, "zone": zone, "spare_zone": spare_zone, "carrier": carrier,
            "spare_carrier": spare_carrier, "shipping_method": method, "spare_method": spare_method,
            "payment_method": payment_method}


def fill(value: Any, scene: Scene) -> Any:
    """Put the scene's ids into a URL or body; a placeholder that is the whole string becomes the id itself."""
    names = {k: str(v) for k, v in asdict(scene).items()}
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if whole and isinstance(getattr(scene, whole[1]), int):
            return getattr(scene, whole[1])
        return value.format(**names)
    if isinstance(value, dict):
        return {fill(k, scene): fill(v, scene) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, scene) for v in value]
    return value


def sign_in(client: TestClient, ctx: TenantCtx, role: str) -> str:
    """Signs a new user of `role` in through the login form; returns the session's CSRF token."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    ctx.user(role, email=email, password=PASSWORD)
    token = CSRF.search(client.get("/login").text)[1]
    response = client.post("/login", data={"tenant": ctx.slug, "email": email, "password": PASSWORD,
                                            "csrf_token": token, "next": "/admin"}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return CSRF.search(client.get("/admin").text)[1]


def send(client: TestClient, action: Action, scene: Scene, ctx: TenantCtx, role: str) -> Response:
    url, body = fill(action.url, scene), fill(action.body, scene)
    if action.via == "api":
        _, key = ctx.user(role)
        return client.request(action.method, url, json=body, headers={"Authorization": f"Bearer {key}"})
    csrf = sign_in(client, ctx, role)
    return post_form(client, action, url, body, csrf)


def post_form(client: TestClient, action: Action, url: str, body: dict[str, Any] | None, csrf: str) -> Response:
    return client.post(url, data={**(body or {}), "csrf_token": csrf}, files=action.files, follow_redirects=False)


def business_rows(ctx: TenantCtx) -> dict[str, list[tuple[Any, ...]]]:
    """The tenant's rows, and the tenants it is or created (the tenants table has no tenant_id of its own)."""
    rows = {table: rows for table, rows in tenant_rows(ctx).items() if table not in NOT_BUSINESS_DATA}
    with ctx.uow() as uow:
        rows["tenants"] = [tuple(r) for r in uow.conn.execute(
            select(Tenant.__table__).where(or_(Tenant.id == ctx.tenant_id, Tenant.parent_id == ctx.tenant_id))
            .order_by(Tenant.id))]
    return rows


T = TypeVar("T")
_REFUSAL_SCENES: dict[tuple[str, str], tuple[TenantCtx, Any]] = {}


def refusal_scene(engine: Engine, key: str, build: Callable[[TenantCtx], T]) -> tuple[TenantCtx, T]:
    """One tenant and scene per database and kind of scene for all the refused rows: a refused request changes
    nothing (each row checks it), so they need no fresh scene, and building one is most of a row's time."""
    where = (engine.url.render_as_string(), key)
    if where not in _REFUSAL_SCENES:
        ctx = new_tenant(engine)
        _REFUSAL_SCENES[where] = (ctx, build(ctx))
    return _REFUSAL_SCENES[where]


def scene_for(action: Action, role: str, engine: Engine, key: str,
              build: Callable[[TenantCtx], T]) -> tuple[TenantCtx, T]:
    """A fresh tenant and scene when `role` may act (it changes the scene), the shared one when it is refused."""
    if action.needs <= ROLES[role]:
        ctx = new_tenant(engine)
        return ctx, build(ctx)
    return refusal_scene(engine, key, build)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_role_against_mutating_request(action: Action, role: str, engine: Engine, client: TestClient) -> None:
    tenant, scene = scene_for(action, role, engine, "matrix", lambda ctx: build_scene(ctx, client.app))
    browser = TestClient(client.app)  # a cookie jar of its own
    if action.needs <= ROLES[role]:
        response = send(browser, action, scene, tenant, role)
        expected = {action.success} if action.success else {303} if action.via == "form" else {200, 201, 204}
        assert response.status_code in expected, f"{role} should be allowed: {response.text[:800]}"
        return
    if action.via == "form":
        sign_in_first = sign_in(browser, tenant, role)
        before = business_rows(tenant)
        url, body = fill(action.url, scene), fill(action.body, scene)
        response = post_form(browser, action, url, body, sign_in_first)
    else:
        _, key = tenant.user(role)
        before = business_rows(tenant)
        response = browser.request(action.method, fill(action.url, scene), json=fill(action.body, scene),
                                   headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403, f"{role} should be refused: {response.status_code} {response.text[:500]}"
    assert business_rows(tenant) == before, "a refused request changed data"


def check_role_request(client: TestClient, action: Action, role: str, engine: Engine,
                       build: Callable[[TenantCtx], Any]) -> None:
    """One row of a context's own permission table (returns, fulfilment, mobile), sent as `role` with the ids of the
    scene `build` makes (any dataclass): a role holding the row's permissions succeeds (303 for a form, 200/201 for
    the API) in a scene of its own; any other gets 403, and then not one row of the tenant has changed."""
    tenant, scene = scene_for(action, role, engine, f"{build.__module__}.{build.__qualname__}", build)
    browser = TestClient(client.app)
    url, body = fill(action.url, scene), fill(action.body, scene)
    if action.via == "form":
        csrf = sign_in(browser, tenant, role)
        before = business_rows(tenant)
        response = browser.post(str(url), data={**(body or {}), "csrf_token": csrf}, follow_redirects=False)
    else:
        _, key = tenant.user(role, email=f"{role}-{uuid.uuid4().hex[:8]}@example.com")
        before = business_rows(tenant)
        response = browser.request(action.method, str(url), json=body, headers={"Authorization": f"Bearer {key}"})
    if action.needs <= ROLES[role]:
        expected = {303} if action.via == "form" else {200, 201}
        assert response.status_code in expected, f"{role} should be allowed: {response.text[:800]}"
        return
    assert response.status_code == 403, f"{role} should be refused: {response.status_code} {response.text[:500]}"
    assert business_rows(tenant) == before, "a refused request changed data"


# ---- orders: staff pages (/admin/orders) and the JSON API (/api/v1/orders) -------------------------------------
# Each row names the state its order is made in first (tests/sales/order_fixtures.order_in_state), so a permitted
# role meets an order the action applies to. Looking an order up by its number needs orders.view as well.

ORD = "/api/v1/orders"
ORDER_VIEW_MANAGE = {ORDERS_VIEW, ORDERS_MANAGE}
PHONE_ORDER = {"channel_id": "{channel}", "email": "phone-{uid}@example.com", "lines": [{"sku": "SKU-001",
                                                                                         "quantity": 1}],
               "shipping_address": {"name": "Erika Mustermann", "line1": "Hafenstraße 1", "city": "Hamburg",
                                    "postcode": "20095", "country": "DE"},
               "shipping_method_id": "{shipping_method}", "payment_method_id": "{bank_method}"}
PHONE_FORM = {"channel_id": "{channel}", "email": "phone-{uid}@example.com", "lines.0.sku": "SKU-001",
              "lines.0.quantity": "1", "shipping_address.name": "Erika Mustermann",
              "shipping_address.line1": "Hafenstraße 1", "shipping_address.city": "Hamburg",
              "shipping_address.postcode": "20095", "shipping_address.country": "DE",
              "shipping_method_id": "{shipping_method}", "payment_method_id": "{bank_method}", "step": "place"}
SHIP_NEEDS = {ORDERS_VIEW, FULFILMENT_SHIP, INVENTORY_MOVE}  # the step consumes the holds itself
# (action, the state its order starts in; None: no order needed)
ORDER_ACTIONS: list[tuple[Action, str | None]] = [
    (api("phone order", ORD, {ORDERS_VIEW, ORDERS_PLACE, ORDERS_MANAGE, INVENTORY_RESERVE}, PHONE_ORDER), None),
    (api("hold order", f"{ORD}/{{order}}/hold", ORDER_VIEW_MANAGE, {"reason": "check"}), "allocated"),
    (api("release order", f"{ORD}/{{order}}/release", ORDER_VIEW_MANAGE), "on_hold"),
    (api("cancel order", f"{ORD}/{{order}}/cancel", {ORDERS_VIEW, ORDERS_CANCEL, INVENTORY_RESERVE},
         {"reason": "test"}), "awaiting_payment"),
    (api("mark order paid", f"{ORD}/{{order}}/mark-paid", ORDER_VIEW_MANAGE, {"reference": "R-1"}),
     "awaiting_payment"),
    (api("allocate order", f"{ORD}/{{order}}/allocate", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE}),
     "partially_allocated"),
    (api("reallocate order", f"{ORD}/{{order}}/reallocate", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE}), "allocated"),
    (api("ship order", f"{ORD}/{{order}}/ship", SHIP_NEEDS, {}), "allocated"),
    (api("deliver order", f"{ORD}/{{order}}/deliver", {ORDERS_VIEW, FULFILMENT_SHIP}), "shipped"),
    (api("invoice order", f"{ORD}/{{order}}/invoice", ORDER_VIEW_MANAGE), "delivered"),
    (api("close order", f"{ORD}/{{order}}/close", ORDER_VIEW_MANAGE), "invoiced"),
    (api("edit order lines", f"{ORD}/{{order}}/lines", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE},
         {"changes": [{"line_id": "{order_line}", "quantity": 2}]}), "awaiting_payment"),
    (form("phone order (form)", "/admin/orders/new", {ORDERS_PLACE, ORDERS_MANAGE, INVENTORY_RESERVE}, PHONE_FORM),
     None),
    (form("hold order (form)", "/admin/orders/{order}/hold", ORDER_VIEW_MANAGE, {"reason": "check"}), "allocated"),
    (form("release order (form)", "/admin/orders/{order}/release", ORDER_VIEW_MANAGE), "on_hold"),
    (form("cancel order (form)", "/admin/orders/{order}/cancel", {ORDERS_VIEW, ORDERS_CANCEL, INVENTORY_RESERVE},
          {"reason": "test"}), "awaiting_payment"),
    (form("mark order paid (form)", "/admin/orders/{order}/mark-paid", ORDER_VIEW_MANAGE, {"reference": "R-1"}),
     "awaiting_payment"),
    (form("allocate order (form)", "/admin/orders/{order}/allocate", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE}),
     "partially_allocated"),
    (form("reallocate order (form)", "/admin/orders/{order}/reallocate", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE}),
     "allocated"),
    (form("ship order (form)", "/admin/orders/{order}/ship", SHIP_NEEDS), "allocated"),
    (form("deliver order (form)", "/admin/orders/{order}/deliver", {ORDERS_VIEW, FULFILMENT_SHIP}), "shipped"),
    (form("invoice order (form)", "/admin/orders/{order}/invoice", ORDER_VIEW_MANAGE), "delivered"),
    (form("close order (form)", "/admin/orders/{order}/close", ORDER_VIEW_MANAGE), "invoiced"),
    (form("edit order lines (form)", "/admin/orders/{order}/lines", ORDER_VIEW_MANAGE | {INVENTORY_RESERVE},
          {"qty.{order_line}": "2"}), "awaiting_payment"),
]


@dataclass(frozen=True)
class OrderScene:
    order: str
    order_line: int
    channel: int
    shipping_method: int
    bank_method: int
    uid: str


def build_order_scene(ctx: TenantCtx, state: str | None) -> OrderScene:
    """The matrix's world (SKU-001 and SKU-002 with stock in MAIN) with a web shop, and an order in `state`."""
    world = build_world(ctx)
    receive(ctx, "SKU-001", "MAIN/A/01", 20)
    receive(ctx, "SKU-002", "MAIN/A/02", 20)
    shop = commerce_on(ctx, world)
    number, line = order_in_state(shop, state) if state else ("", 0)
    return OrderScene(number, line, shop.channel_id, shop.method_id, shop.bank_method_id, uuid.uuid4().hex[:8])


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize(("action", "state"), ORDER_ACTIONS, ids=lambda v: v.name if isinstance(v, Action) else "")
def test_role_against_order_request(action: Action, state: str | None, role: str, engine: Engine,
                                    client: TestClient) -> None:
    tenant, scene = scene_for(action, role, engine, f"order:{state}", lambda ctx: build_order_scene(ctx, state))
    # Form field names may carry a placeholder too (qty.<line id>).
    action = replace(action, body={fill(k, scene): v for k, v in (action.body or {}).items()} or None)
    browser = TestClient(client.app)
    if action.needs <= ROLES[role]:
        response = send(browser, action, scene, tenant, role)  # type: ignore[arg-type]
        expected = {303} if action.via == "form" else {200, 201}
        assert response.status_code in expected, f"{role} should be allowed: {response.text[:800]}"
        return
    if action.via == "form":
        csrf = sign_in(browser, tenant, role)
        before = business_rows(tenant)
        response = browser.post(fill(action.url, scene), data={**fill(action.body or {}, scene), "csrf_token": csrf},
                                follow_redirects=False)
    else:
        _, key = tenant.user(role)
        before = business_rows(tenant)
        response = browser.request(action.method, fill(action.url, scene), json=fill(action.body, scene),
                                   headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403, f"{role} should be refused: {response.status_code} {response.text[:500]}"
    assert business_rows(tenant) == before, "a refused request changed data"


# ---- every mutating route has a row --------------------------------------------------------------------------

GUARDED_PREFIXES = ("/api/v1/", "/admin/", "/erp/", "/m/")
# Not guarded by a staff permission, by design (each is tested where it lives):
NOT_PERMISSION_GUARDED = {
    # the headless storefront: an anonymous shopper's cart and checkout, acting as the shop (sales/storefront_api)
    ("POST", "/api/v1/storefront/carts"),
    ("POST", "/api/v1/storefront/carts/{}/lines"),
    ("PUT", "/api/v1/storefront/carts/{}/lines/{}"),
    ("POST", "/api/v1/storefront/carts/{}/orders"),
    ("POST", "/api/v1/storefront/carts/{}/shipping-options"),
    # a connected site's order webhook: authenticated by the connection's signature, acting as the site
    # (integration/channels/inbound.py; tests/integration/channels/test_inbound_webhook.py)
    ("POST", "/api/v1/channels/{}/orders"),
}


def _shape(method: str, url: str) -> tuple[str, str]:
    """A route or a row's URL with its parameters (and query string) blanked: ("POST", "/admin/users/{}")."""
    return method, re.sub(r"\{\w+(:\w+)?\}", "{}", url.split("?")[0])


def _covered() -> set[tuple[str, str]]:
    from tests.analytics.test_anomalies_permissions import ACTIONS as ALERT_ACTIONS  # imports this module
    from tests.documents.test_permission_matrix_documents import ACTIONS as DOCUMENT_ACTIONS  # imports this module
    from tests.fulfilment.test_picking_permissions import ACTIONS as FULFILMENT_ACTIONS  # imports this module
    from tests.returns.test_permission_matrix_returns import ACTIONS as RETURN_ACTIONS  # imports this module
    from tests.web.mobile.test_mobile_permissions import ACTIONS as MOBILE_ACTIONS  # imports this module

    rows = ACTIONS + [a for a, _ in ORDER_ACTIONS] + RETURN_ACTIONS + FULFILMENT_ACTIONS + MOBILE_ACTIONS
    rows += DOCUMENT_ACTIONS + ALERT_ACTIONS
    shapes = {_shape(a.method if a.via == "api" else "POST", a.url) for a in rows}
    # Rows use a SKU code where the route takes one.
    shapes |= {(m, re.sub(r"/skus/SKU-\d+/", "/skus/{}/", u)) for m, u in shapes}
    return shapes


def mutating_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every POST/PUT/PATCH/DELETE route of the app, included routers too."""
    return [(method, route.path) for route in iter_route_contexts(app.routes)
            for method in sorted((route.methods or set()) - {"GET", "HEAD", "OPTIONS"})]


def test_every_mutating_api_route_and_form_post_has_a_row(client: TestClient) -> None:
    """A new POST/PUT/PATCH/DELETE under /api/v1, /admin, /erp or /m must get a row in one of the tables (here, the
    orders table below, tests/returns/test_permission_matrix_returns.py, tests/fulfilment/
    test_picking_permissions.py or tests/web/mobile/test_mobile_permissions.py), or a reason in
    NOT_PERMISSION_GUARDED."""
    covered = _covered()
    routes = [r for r in mutating_routes(client.app) if r[1].startswith(GUARDED_PREFIXES)]
    assert len(routes) > 100, "the route walk found too few routes: does it still see included routers?"
    missing = [f"{method} {path}" for method, path in routes
               if _shape(method, path) not in covered and _shape(method, path) not in NOT_PERMISSION_GUARDED]
    assert missing == [], "mutating routes without a row in the permission matrix"
    shapes = {_shape(m, p) for m, p in routes}
    stale = sorted(f"{m} {u}" for m, u in covered | NOT_PERMISSION_GUARDED
                   if u.startswith(GUARDED_PREFIXES) and (m, u) not in shapes and "/SKU-" not in u)
    assert stale == [], "rows or exemptions naming no route"

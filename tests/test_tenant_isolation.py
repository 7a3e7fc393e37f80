"""Tenant isolation, walked from the router: every GET route of the app (JSON API, admin and back-office pages,
storefront) is called by tenant A's owner, and nothing of tenant B may come back.

Both tenants get the same kinds of data (built through the real services in `populate`), each object named or
coded with its tenant's marker (a random string). Then, for every GET route:
- A's own URL (path and required query parameters filled with A's objects) must answer below 400 and must not
  contain B's marker; it must show A's marker (proof that the walk looks at real data: a parameter mapped to the
  wrong kind of object shows up here);
- for every path parameter that names a tenant's object, the URL with B's object in that place must answer 404
  (or 403) and must not contain B's marker;
- every optional query parameter that names an object is given B's object: the answer must not contain B's marker.
Pages are asked for on A's shop host, so the storefront answers as A's shop; the walk's browser is signed in as A's
owner and, in A's shop, as A's customer (the /my pages). A PDF's compressed text is inflated before it is searched.

A new route whose path or query parameters the walk cannot fill fails `test_every_get_route_can_be_walked` with
its name. To extend the walk: add the object to `Data` and `populate`, then one line in COLLECTIONS (a parameter
right after a collection path, e.g. /admin/orders/{order_id}), PATH_PARAMS (by parameter name), ROUTE_PARAMS (one
route's parameter), OBJECT_QUERY (a query parameter naming an object) or PLAIN_QUERY (one that does not).
"""

import contextlib
import io
import re
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from PIL import Image
from pydantic import BaseModel
from sqlalchemy import Engine, select

from stockyard.analytics.anomalies_models import AnomalyAlert
from stockyard.billing import landed_cost
from stockyard.billing.config import PaymentMethodIn, create_payment_method
from stockyard.billing.settlements import import_settlements
from stockyard.catalog import admin_queries, attributes, pricing, taxonomy
from stockyard.catalog.images import upload_image
from stockyard.catalog.models import Sku
from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.actor import Actor, system_actor
from stockyard.core.audit import AuditEntry
from stockyard.core.clock import utcnow
from stockyard.core.files import file_store
from stockyard.core.mail import mail_dir, stored_mail
from stockyard.core.outbox import OutboxEvent, add_events
from stockyard.core.settings import Settings
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.documents import services as documents
from stockyard.fulfilment import execution_queries, picking, shipments, waves
from stockyard.fulfilment.config import (
    BandIn,
    CarrierIn,
    MethodIn,
    SetRateTable,
    ZoneIn,
    create_carrier,
    create_method,
    create_zone,
    set_rate_table,
)
from stockyard.identity import roles
from stockyard.identity.domain import STOREFRONT
from stockyard.identity.passwords import request_password_reset
from stockyard.identity.services import create_api_key, create_tenant, create_user
from stockyard.integration.channels import connections as channel_connections
from stockyard.integration.channels import mapping as channel_mapping
from stockyard.integration.consumers import Consumer
from stockyard.integration.dispatch import event_from_row, record_failure
from stockyard.integration.webhooks import services as webhooks
from stockyard.inventory import counts, min_stock, movements, reservations, transfers, warehouses
from stockyard.inventory.models import Location
from stockyard.purchasing import putaway, receiving
from stockyard.purchasing import services as purchasing
from stockyard.returns import services as returns
from stockyard.returns.models import ReturnPhoto
from stockyard.sales import carts, checkout, customers, orders
from stockyard.sales.channels import ChannelIn, create_channel
from stockyard.sales.models import OrderLine
from stockyard.web.app import create_app
from tests.conftest import TenantCtx
from tests.inventory.support import tenant_rows

PASSWORD = "correct horse battery"
APPROVE_CARD = "4242 4242 4242 4242"  # the test gateway approves it
CONFIRM_CARD = "4000 0000 0000 3220"  # the test gateway asks the customer to confirm it
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# Not walked: static files, the API description and its viewer.
SKIPPED_PATHS = {"/docs", "/api/v1/openapi.json"}
SKIPPED_PREFIXES = ("/static",)


@dataclass
class Data:
    """One tenant's objects, every one carrying `mark` in its name or code."""

    mark: str
    tenant_id: int = 0
    slug: str = ""
    owner_email: str = ""
    owner_key: str = ""
    warehouse: int = 0
    warehouse_code: str = ""
    location: int = 0
    location_code: str = ""
    product: int = 0
    sku: int = 0
    sku_code: str = ""
    brand: int = 0
    category: int = 0
    attribute: int = 0
    image: int = 0
    transfer: int = 0
    count: int = 0
    reservation: int = 0
    channel: int = 0
    channel_code: str = ""
    shop_host: str = ""  # the storefront of `channel` answers on this host
    price_list: int = 0
    zone: int = 0
    carrier: int = 0
    shipping_method: int = 0
    payment_method: int = 0
    customer: int = 0  # a registered shop customer, who has `address`, `order` and `return_id`
    customer_email: str = ""
    address: int = 0
    order: int = 0
    order_number: str = ""
    shipment: int = 0
    invoice: int = 0
    return_id: int = 0
    return_number: str = ""
    return_photo: int = 0
    charge: str = ""  # the test gateway's reference of a card payment waiting for the customer's confirmation
    cart_token: str = ""  # an open guest cart
    user: int = 0
    role: int = 0
    audit_entry: int = 0
    mail: str = ""
    supplier: int = 0
    purchase_order: int = 0
    document: int = 0  # the transfer document of `transfer`
    wave: int = 0  # a pick wave of one order of 2 × `sku`, one unit picked
    pick_list: int = 0  # that order's pick list (open)
    webhook: int = 0  # a webhook subscription with one test delivery queued
    channel_connection: int = 0  # a site connected to `channel`, with `sku` mapped
    landed_cost: int = 0  # freight on the blind receipt, its reference carrying the mark


@dataclass(frozen=True)
class Param:
    """How to fill a parameter for a tenant. `owned` values are the tenant's own objects (B's must be refused);
    other values (a size, a built-in role) are the same in every tenant. `shows_mark`: the page shows the
    object's name (false for image bytes)."""

    value: Callable[[Data], Any]
    owned: bool = True
    shows_mark: bool = True


def shared(value: str) -> Param:
    return Param(lambda _: value, owned=False, shows_mark=False)


# Path parameters by name; ROUTE_PARAMS wins where one name means different things on different routes.
PATH_PARAMS: dict[str, Param] = {
    "code": Param(lambda d: d.sku_code),
    "sku_code": Param(lambda d: d.sku_code),
    "sku_id": Param(lambda d: d.sku),
    "product_id": Param(lambda d: d.product),
    "brand_id": Param(lambda d: d.brand),
    "category_id": Param(lambda d: d.category),
    "attribute_id": Param(lambda d: d.attribute),
    "image_id": Param(lambda d: d.image, shows_mark=False),
    "size": shared("small"),
    "warehouse_id": Param(lambda d: d.warehouse),
    "warehouse": Param(lambda d: d.warehouse),  # an id or a code
    "location_id": Param(lambda d: d.location),
    "location": Param(lambda d: d.location_code),
    "transfer_id": Param(lambda d: d.transfer),
    "count_id": Param(lambda d: d.count),
    "list_id": Param(lambda d: d.price_list),
    "channel_id": Param(lambda d: d.channel),
    "zone_id": Param(lambda d: d.zone),
    "carrier_id": Param(lambda d: d.carrier),
    "user_id": Param(lambda d: d.user),
    "role_id": Param(lambda d: d.role),
    "entry_id": Param(lambda d: d.audit_entry),
    "invoice_id": Param(lambda d: d.invoice),
    "number": Param(lambda d: d.order_number),
    "shipment_id": Param(lambda d: d.shipment),
    "return_id": Param(lambda d: d.return_id),
    "photo_id": Param(lambda d: d.return_photo, shows_mark=False),
    "address_id": Param(lambda d: d.address),
    "purchase_order_id": Param(lambda d: d.purchase_order),
    "document_id": Param(lambda d: d.document),
    "supplier_id": Param(lambda d: d.supplier),
    "wave_id": Param(lambda d: d.wave),
    "pick_list_id": Param(lambda d: d.pick_list),
    "order_id": Param(lambda d: d.order),
    "webhook_id": Param(lambda d: d.webhook),
    "connection_id": Param(lambda d: d.channel_connection),
    "cost_id": Param(lambda d: d.landed_cost),
}
ROUTE_PARAMS: dict[tuple[str, str], Param] = {
    ("/admin/roles/builtin/{name}", "name"): shared("sales"),
    # The documents of one object: the kind of object is the same in every tenant, its id is the tenant's own.
    ("/erp/documents/for/{subject_type}/{subject_id}", "subject_type"): shared("transfer"),
    ("/erp/documents/for/{subject_type}/{subject_id}", "subject_id"): Param(lambda d: d.transfer),
    ("/api/v1/documents/for/{subject_type}/{subject_id}", "subject_type"): shared("transfer"),
    ("/api/v1/documents/for/{subject_type}/{subject_id}", "subject_id"): Param(lambda d: d.transfer),
    ("/admin/dev/mail/{name}", "name"): Param(lambda d: d.mail),
    # The confirmation page is reached by the charge's unguessable reference, signed in or not (like a card issuer's).
    ("/pay/test/{reference}", "reference"): Param(lambda d: d.charge, owned=False),
    # The cart token is the buyer's capability: B's token on A's shop must find nothing.
    ("/api/v1/storefront/carts/{token}", "token"): Param(lambda d: d.cart_token),
    ("/my/returns/{number}/photos/{photo_id}", "number"): Param(lambda d: d.return_number, shows_mark=False),
    # A KPI is the same in every tenant; both list the tenant's SKUs (on hand; stocked, in the CSV's breakdown).
    ("/erp/analytics/kpi/{key}", "key"): shared("aged-inventory"),
    ("/erp/analytics/kpi/{key}.csv", "key"): shared("stock-out-frequency"),
}
# A parameter right after a collection's path is one of its items, whatever the parameter is called
# (/admin/payments/{method_id} and /admin/payments/{item_id} are both payment methods).
COLLECTIONS: dict[str, Param] = {
    "/admin/channels": Param(lambda d: d.channel),
    "/admin/price-lists": Param(lambda d: d.price_list),
    "/api/v1/price-lists": Param(lambda d: d.price_list),
    "/admin/shipping/zones": Param(lambda d: d.zone),
    "/admin/shipping/carriers": Param(lambda d: d.carrier),
    "/admin/shipping/methods": Param(lambda d: d.shipping_method),
    "/admin/payments": Param(lambda d: d.payment_method),
    "/admin/catalog/brands": Param(lambda d: d.brand),
    "/admin/catalog/categories": Param(lambda d: d.category),
    "/admin/catalog/attributes": Param(lambda d: d.attribute),
    "/admin/catalog/products": Param(lambda d: d.product),
    "/admin/catalog/skus": Param(lambda d: d.sku),
    "/admin/users": Param(lambda d: d.user),
    "/api/v1/users": Param(lambda d: d.user),
    "/admin/roles": Param(lambda d: d.role),
    "/admin/tenants": Param(lambda d: d.tenant_id),
    "/admin/audit": Param(lambda d: d.audit_entry),
    "/my/returns": Param(lambda d: d.return_number),
}
# Pages for signed-out visitors: they only must not show B's data (their status does not matter here).
PUBLIC_PATHS = {"/", "/healthz", "/readyz", "/metrics", "/login", "/login/code", "/password/forgot",
                "/password/forgot/sent", "/password/reset"}
# Pages that show no tenant data even when the tenant has some (every other page must show A's marker to A).
# The test gateway's confirmation page shows the amount and the card's last digits (checkout's charges have no
# description); its reference must still be A's own, or it answers 404.
# The journal's lines carry amounts, accounts and document numbers, nothing named by the tenant; its isolation is
# tested with the entries themselves in tests/billing/test_journal.py.
SHOWS_NO_TENANT_DATA: set[str] = {"/pay/test/{reference}", "/api/v1/labels/layouts", "/api/v1/accounting/journal.csv",
                                  "/api/v1/accounting/journal", "/api/v1/events/schema",
                                  "/api/v1/accounting/valuation/method"}
# The trial balance, chart of accounts and periods likewise (tests/billing/test_accounts.py, test_periods.py).
SHOWS_NO_TENANT_DATA |= {"/api/v1/accounting/trial-balance", "/api/v1/accounting/trial-balance.csv",
                         "/api/v1/accounting/accounts", "/api/v1/accounting/periods"}
# Query parameters that name an object: B's value is tried on every route that takes one.
OBJECT_QUERY: dict[str, Callable[[Data], Any]] = {
    "sku": lambda d: d.sku_code,
    "channel": lambda d: d.channel_code,
    "warehouse": lambda d: d.warehouse_code,
    "location": lambda d: d.location_code,
    "user_id": lambda d: d.user,
    "zone_id": lambda d: d.zone,
    "brand": lambda d: d.brand,
    "category": lambda d: d.category,
    "role": lambda d: f"role_{d.mark.lower()}",
    "channel_id": lambda d: d.channel,
    "warehouse_id": lambda d: d.warehouse,
    "order": lambda d: d.order_number,
    "supplier_id": lambda d: d.supplier,
    "sku_id": lambda d: d.sku,
    "origin": lambda d: d.warehouse,  # the warehouse a shipping rate table is for
    # the mobile pages' scans (web/mobile): a purchase order (its id or number), transfer, count, pick list (or
    # its order's number), any scanned code
    "po": lambda d: d.purchase_order,
    "transfer": lambda d: f"TR-{d.transfer}",
    "count": lambda d: f"CNT-{d.count}",
    "pick": lambda d: d.order_number,
    "code": lambda d: d.sku_code,
    "order_id": lambda d: d.order,
}
# Routes that read these object-naming query parameters from the query string themselves (so the walk cannot see
# them): they are tried with B's objects like declared ones.
QUERY_STRING_PARAMS: dict[str, tuple[str, ...]] = {
    "/admin/orders": ("channel_id", "warehouse_id"),
    "/admin/users": ("role",),
}
# Query parameters that name no object (search text, paging, filters by state); a value for the required ones.
PLAIN_QUERY: dict[str, str | None] = {
    name: None for name in (
        "q", "page", "per_page", "page_no", "state", "sort", "next", "token", "short", "reason", "document_type",
        "document_id", "since", "until", "quantity", "currency", "on", "kind", "include_revoked", "tab", "country",
        "postcode", "region", "basis", "active", "status", "age", "older_than_days", "placed_after", "placed_before",
        "drift", "days", "cover_days", "demand", "dead_page")
} | {"gateway": "test", "start": None, "end": None}  # start/end: the journal's period (sent as from= and to=)
PLAIN_QUERY |= {"as_of": None, "receipt": None}  # the valuation report's day, the landed-cost form's receipt
PLAIN_QUERY |= {"doc_type": None, "what": None}  # documents of one type, the label print page's source
PLAIN_QUERY |= {"bucket": None, "by": None, "a": None, "b": None, "table": None}  # /erp/analytics


# ---- the two tenants ------------------------------------------------------------------------------------------

def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (120, 20, 20)).save(out, "PNG")
    return out.getvalue()


def forecast_scene(engine: Engine, actor: Any, d: Data) -> None:
    """A unit shipped last week, so that the SKU has a demand forecast in its warehouse."""
    from stockyard.analytics.forecast import recompute_forecasts
    from stockyard.analytics.forecast_domain import week_start
    from stockyard.core.clock import as_of
    from stockyard.inventory.domain import Move, Reason, Status, Usage
    from stockyard.inventory.ledger import Posting, post_moves
    from stockyard.inventory.refs import resolve_location, virtual_place

    tuesday = week_start(date.today()) - timedelta(days=6)
    with as_of(datetime.combine(tuesday, time(10))), UnitOfWork(engine, actor) as uow:
        loc = resolve_location(uow, d.location_code)
        post_moves(uow, [Move(d.sku, 1, loc.place, virtual_place(uow, Usage.CUSTOMER), Status.SELLABLE,
                              Status.SELLABLE)], Posting(Reason.SHIPMENT))
    perform(engine, actor, recompute_forecasts)


def populate(engine: Engine, settings: Settings, mark: str, earlier: int = 0) -> Data:
    """A tenant with one or more of every kind of object, each carrying `mark` (see `sales_objects` for
    `earlier`)."""
    d = Data(mark)
    d.slug = f"t-{mark.lower()}"
    d.tenant_id = create_tenant(engine, d.slug, f"Tenant {mark}")
    actor = system_actor(d.tenant_id, f"Setup {mark}")  # the audit rows name this actor

    def do(service: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return perform(engine, actor, service, *args, **kw)

    d.warehouse_code = f"{mark}W1"
    d.warehouse = do(warehouses.create_warehouse, warehouses.CreateWarehouse(code=d.warehouse_code,
                                                                             name=f"Main {mark}"))
    do(warehouses.create_warehouse, warehouses.CreateWarehouse(code=f"{mark}W2", name=f"Second {mark}"))
    for wh, parent, code, kind in [(d.warehouse_code, None, "A", "zone"),
                                   (d.warehouse_code, f"{d.warehouse_code}/A", "01", "bin"),
                                   (f"{mark}W2", None, "B", "zone"), (f"{mark}W2", f"{mark}W2/B", "01", "bin")]:
        do(warehouses.create_location, warehouses.CreateLocation(warehouse=wh, parent=parent, code=code, kind=kind))
    d.location_code = f"{d.warehouse_code}/A/01"
    with UnitOfWork(engine, readonly=True) as uow:
        d.location = uow.conn.execute(select(Location.id).where(Location.tenant_id == d.tenant_id,
                                                                Location.path == d.location_code)).scalar_one()

    d.sku_code = f"{mark}-SKU1"
    d.product = do(create_product, CreateProduct(
        name=f"Part {mark}", description=f"About {mark}", brand=f"Brand {mark}", category=f"Cat {mark}",
        part_number=f"PN-{mark}", skus=[{"code": d.sku_code, "name": f"Variant {mark}"}]))
    with UnitOfWork(engine, actor) as uow:
        d.sku = sku_id_in(uow, d.sku_code)
    product = read(engine, actor, admin_queries.product_detail, d.product)
    d.brand = product["product"].brand_id
    d.category = product["product"].category_id
    d.attribute = do(attributes.define_attribute, attributes.AttributeIn(name=f"Attr {mark}", type="text"))
    do(attributes.set_sku_attributes, d.sku, {d.attribute: f"value {mark}"})
    do(taxonomy.create_brand, taxonomy.BrandIn(name=f"Other brand {mark}"))
    d.image = upload_image(engine, actor, file_store(settings), d.product, png(), f"Photo {mark}",
                           max_bytes=1_000_000, max_pixels=1_000_000)

    do(movements.receive_stock, movements.ReceiveStock(sku=d.sku_code, location=d.location_code, quantity=20,
                                                       unit_cost=Decimal("3.50"), document_id=f"R-{mark}"))
    forecast_scene(engine, actor, d)
    d.reservation = do(reservations.reserve_stock, reservations.ReserveStock(sku=d.sku_code, quantity=2,
                                                                             reference=f"Hold {mark}"))
    d.transfer = do(transfers.dispatch_transfer, transfers.DispatchTransfer(
        from_warehouse=d.warehouse_code, to_warehouse=f"{mark}W2", note=f"Transfer {mark}",
        lines=[{"sku": d.sku_code, "from_location": d.location_code, "quantity": 3}]))
    d.document = do(documents.issue_document, file_store(settings), "transfer", d.transfer).id
    d.count = do(counts.open_count, counts.OpenCount(warehouse=d.warehouse_code, locations=[d.location_code],
                                                     note=f"Count {mark}"))
    do(min_stock.set_min_stock_rule, sku=d.sku_code, warehouse=d.warehouse_code, minimum=100)

    d.channel_code = f"{mark}-WEB"
    d.shop_host = f"{mark.lower()}.shop.test"
    d.channel = do(create_channel, ChannelIn(code=d.channel_code, name=f"Web {mark}", currency="EUR",
                                             domain=d.shop_host))
    d.price_list = do(pricing.create_price_list, pricing.PriceListIn(name=f"List {mark}", channel=d.channel_code))
    do(pricing.set_sku_prices, d.price_list, pricing.SetSkuPrices(
        sku=d.sku_code, tiers=[pricing.TierIn(min_quantity=1, unit_price=Decimal("9.99"))]))
    d.channel_connection = do(channel_connections.create_connection, channel_connections.ConnectionIn(
        channel_id=d.channel, name=f"Site {mark}", adapter="generic", base_url=f"http://{mark.lower()}.site.test")).id
    do(channel_mapping.map_sku, d.channel_connection, channel_mapping.MapSku(sku=d.sku_code, external_id=f"X-{mark}"))

    d.zone = do(create_zone, ZoneIn(name=f"Zone {mark}", countries=["DE"]))
    d.carrier = do(create_carrier, CarrierIn(code=f"{mark}-C", name=f"Carrier {mark}"))
    d.shipping_method = do(create_method, MethodIn(carrier=f"{mark}-C", code=f"{mark}-M", name=f"Method {mark}",
                                                   currency="EUR"))
    do(set_rate_table, d.shipping_method, SetRateTable(zone_id=d.zone, basis="weight", bands=[
        BandIn(lower=Decimal(0), upper=None, price=Decimal("4.90"))]))
    d.payment_method = do(create_payment_method, PaymentMethodIn(name=f"Pay {mark}", gateway="test",
                                                                 settings={"outcome": "approve"}))
    sales_objects(engine, settings, actor, d, earlier)
    d.supplier = do(purchasing.create_supplier, purchasing.CreateSupplier(code=f"{mark}-SUP", name=f"Supplier {mark}",
                                                                          currency="EUR"))
    d.purchase_order = do(purchasing.create_purchase_order, purchasing.CreatePurchaseOrder(
        supplier=d.supplier, warehouse=d.warehouse, note=f"PO {mark}",
        lines=[purchasing.POLineIn(sku=d.sku_code, quantity=5, unit_cost=Decimal("2.10"))])).id
    do(purchasing.send_purchase_order, d.purchase_order)
    do(warehouses.create_location, warehouses.CreateLocation(warehouse=d.warehouse_code, code="DOCK", kind="bin",
                                                             type="receiving"))
    blind = do(receiving.receive_blind, receiving.BlindReceipt(warehouse=d.warehouse_code, supplier=d.supplier,
                                                               lines=[receiving.BlindLine(sku=d.sku_code, quantity=2)]))
    d.landed_cost = do(landed_cost.apply_landed_cost, landed_cost.ApplyLandedCost(
        kind="freight", amount=Decimal("5.00"), currency="EUR", basis="quantity", receipts=[blind.number],
        reference=f"LC {mark}"))
    do(putaway.set_putaway_rule, putaway.SetPutawayRule(warehouse=d.warehouse_code, category_id=d.category,
                                                        location=f"{d.warehouse_code}/A"))
    fulfilment_objects(engine, actor, d)

    d.webhook = do(webhooks.create_subscription, webhooks.SubscriptionIn(
        url=f"https://hooks-{mark.lower()}.example.com/in", description=f"Hook {mark}")).id
    do(webhooks.send_test_event, d.webhook)
    d.role = do(roles.create_role, roles.RoleIn(name=f"role_{mark.lower()}", description=f"Role {mark}",
                                                permissions=["inventory.view"]))
    d.owner_email = f"owner-{mark.lower()}@example.com"
    owner = do(create_user, email=d.owner_email, name=f"Owner {mark}", password=PASSWORD, role="owner")
    d.owner_key = do(create_api_key, user_id=owner, name=f"Key {mark}")
    d.user = do(create_user, email=f"clerk-{mark.lower()}@example.com", name=f"Clerk {mark}", password=PASSWORD,
                role=f"role_{mark.lower()}", warehouse_ids=[d.warehouse])
    do(create_api_key, user_id=d.user, name=f"Clerk key {mark}")
    with UnitOfWork(engine, readonly=True) as uow:
        d.audit_entry = uow.conn.execute(select(AuditEntry.id).where(AuditEntry.tenant_id == d.tenant_id,
                                                                     AuditEntry.action == "role.created.v1")
                                         ).scalar_one()
    request_password_reset(engine, settings, tenant_slug=d.slug, email=d.owner_email, link_base="http://test")
    d.mail = stored_mail(mail_dir(settings), d.tenant_id)[0].name
    dead_letter(engine, actor, mark)
    # A gateway settlement naming a payment the tenant never took (a reconciliation mismatch with its reference), and
    # an anomaly alert about the tenant's SKU as the scan stores it.
    do(import_settlements, ("settlement_id,date,payment_reference,type,gross,fee,net,currency\n"
                            f"ST-{mark},{utcnow().date()},ch-{mark},charge,5.00,0.20,4.80,EUR\n").encode(), "st.csv")
    with UnitOfWork(engine, actor) as uow:
        uow.conn.execute(AnomalyAlert.__table__.insert().values(
            tenant_id=d.tenant_id, kind="stock_movement", fingerprint=f"move:{mark}", day=utcnow().date(),
            subject=f"{d.sku_code} at {d.warehouse_code} (write-off)", figures={"quantity": 40}, state="open",
            reason=f"Write-off of 40 units of {d.sku_code} is far above its usual 2 units.", decided_by="", note="",
            created_at=utcnow()))
    return d


def dead_letter(engine: Engine, actor: Actor, mark: str) -> None:
    """A consumer gave up on one of the tenant's events (the integration page lists it with its error)."""
    with UnitOfWork(engine, actor) as uow:
        [event_id] = add_events(uow, [("isolation.ping.v1", {})])
    with UnitOfWork(engine, readonly=True) as uow:
        row = uow.conn.execute(select(OutboxEvent.__table__).where(OutboxEvent.event_id == event_id)).one()
    failing = Consumer("isolation.failing", frozenset({row.type}), lambda uow, event: None, max_attempts=1)
    record_failure(engine, failing, event_from_row(row), row.id, RuntimeError(f"Receiver {mark} is down"), Settings())


def sales_objects(engine: Engine, settings: Settings, actor: Actor, d: Data, earlier: int) -> None:
    """A registered customer with an address; their order (card, shipped, delivered, invoiced) with a return
    asking one unit back with a photo; a guest order whose card payment waits for the customer's confirmation;
    an open guest cart. All through the real services. Order and return numbers count per tenant (SO-000001,
    RMA-000001 in every one): `earlier` orders and returns made first push this tenant's numbers past the other's."""
    shop = Actor(tenant_id=d.tenant_id, user_id=None, name=f"storefront {d.mark}", permissions=STOREFRONT)

    def do(service: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return perform(engine, actor, service, *args, **kw)

    def buy(quantity: int, email: str, card: str, customer_id: int | None = None) -> checkout.PlacedOrder:
        token = perform(engine, shop, carts.add_to_cart, None, d.channel,
                        carts.AddToCart(sku=d.sku_code, quantity=quantity), customer_id)
        return checkout.place_order(engine, shop, token, checkout.PlaceOrder(
            idempotency_key=uuid.uuid4().hex, email=email, shipping_method_id=d.shipping_method,
            payment_method_id=d.payment_method,
            card={"number": card, "exp_month": 12, "exp_year": date.today().year + 3, "cvc": "123"},
            shipping_address=checkout.AddressIn(name=f"Buyer {d.mark}", line1="1 Road", city="Berlin",
                                                postcode="10115", country="DE")), customer_id)

    d.customer_email = f"buyer-{d.mark.lower()}@example.com"
    d.customer = perform(engine, shop, customers.register_customer, customers.RegisterCustomer(
        email=d.customer_email, name=f"Buyer {d.mark}", password=PASSWORD)).customer_id
    d.address = perform(engine, shop, customers.add_address, d.customer, customers.CustomerAddressIn(
        name=f"Home {d.mark}", line1="2 Street", city="Hamburg", postcode="20095", country="DE"))
    for _ in range(earlier):
        buy(1, f"earlier-{d.mark.lower()}@example.com", APPROVE_CARD)
    placed = buy(1 + earlier + 1, d.customer_email, APPROVE_CARD, d.customer)
    d.order, d.order_number = placed.order_id, placed.number
    d.shipment = do(orders.ship_order, d.order)[0]
    do(orders.mark_delivered, d.order)
    d.invoice = do(orders.invoice_order, d.order)
    with UnitOfWork(engine, readonly=True) as uow:
        line = uow.conn.execute(select(OrderLine.id).where(OrderLine.tenant_id == d.tenant_id,
                                                           OrderLine.order_id == d.order)).scalar_one()
    for _ in range(earlier):
        do(returns.request_return, returns.RequestReturn(
            order_id=d.order, lines=[returns.ReturnLineIn(order_line_id=line, quantity=1)], reason="no_longer_needed"))
    requested = returns.request_return_with_photos(
        engine, shop, file_store(settings), returns.RequestReturn(
            order_id=d.order, lines=[returns.ReturnLineIn(order_line_id=line, quantity=1)], reason="damaged_in_transit",
            reason_text=f"Broken {d.mark}"), [png()], customer_id=d.customer, max_bytes=1_000_000,
        max_pixels=1_000_000)
    d.return_id, d.return_number = requested.id, requested.number
    with UnitOfWork(engine, readonly=True) as uow:
        d.return_photo = uow.conn.execute(select(ReturnPhoto.id).where(
            ReturnPhoto.tenant_id == d.tenant_id, ReturnPhoto.return_id == d.return_id)).scalar_one()
    waiting = buy(1, f"guest-{d.mark.lower()}@example.com", CONFIRM_CARD)
    d.charge = (waiting.action_url or "").rsplit("/", 1)[-1]
    d.cart_token = perform(engine, shop, carts.add_to_cart, None, d.channel,
                           carts.AddToCart(sku=d.sku_code, quantity=1))


def fulfilment_objects(engine: Engine, actor: Actor, d: Data) -> None:
    """A pick location whose replenishment task was short-picked (a discrepancy), and a pick wave of one order of
    2 × `sku` with one unit picked (its pick list open, the order waiting at the pack station)."""

    def do(service: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        return perform(engine, actor, service, *args, **kw)

    code = d.warehouse_code
    do(warehouses.create_location, warehouses.CreateLocation(warehouse=code, code="P", kind="zone", type="picking"))
    do(warehouses.create_location, warehouses.CreateLocation(warehouse=code, parent=f"{code}/P", code="01",
                                                             kind="bin", type="picking"))
    task = do(picking.create_replenishment, picking.CreateReplenishment(
        warehouse_id=code, sku=d.sku_code, from_location=d.location_code, to_location=f"{code}/P/01", quantity=1))
    line = read(engine, actor, picking.pick_list, task).lines[0]
    do(picking.report_short_pick, picking.ReportShortPick(pick_list_id=task, line_id=line.id,
                                                          location_code=d.location_code, found=0))
    shop = Actor(tenant_id=d.tenant_id, user_id=None, name=f"storefront {d.mark}", permissions=STOREFRONT)
    token = perform(engine, shop, carts.add_to_cart, None, d.channel, carts.AddToCart(sku=d.sku_code, quantity=2))
    checkout.place_order(engine, shop, token, checkout.PlaceOrder(
        idempotency_key=uuid.uuid4().hex, email=f"picked-{d.mark.lower()}@example.com",
        shipping_method_id=d.shipping_method, payment_method_id=d.payment_method,
        card={"number": APPROVE_CARD, "exp_month": 12, "exp_year": date.today().year + 3, "cvc": "123"},
        shipping_address=checkout.AddressIn(name=f"Picked {d.mark}", line1="3 Lane", city="Berlin",
                                            postcode="10115", country="DE")))
    d.wave = do(waves.create_pick_wave, waves.CreateWave(warehouse_id=code))
    d.pick_list = read(engine, actor, execution_queries.wave_detail, d.wave).lists[0].id
    line = read(engine, actor, picking.pick_list, d.pick_list).lines[0]
    do(picking.confirm_pick, picking.ConfirmPick(pick_list_id=d.pick_list, line_id=line.id,
                                                 location_code=line.location, scanned_barcode=d.sku_code))


def sku_id_in(uow: UnitOfWork, code: str) -> int:
    return uow.execute(select(Sku.id).where(Sku.code == code)).scalar_one()


@dataclass
class Walk:
    app: FastAPI
    a: Data
    b: Data
    page: TestClient  # signed in as A's owner, and in A's shop as A's customer
    api_headers: dict[str, str] = field(default_factory=dict)

    def get(self, url: str) -> Response:
        if url.startswith("/api/"):
            return self.page.get(url, headers=self.api_headers, follow_redirects=False)
        return self.page.get(url, follow_redirects=False)


@pytest.fixture(scope="module")
def walk(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    settings = Settings(secret_key="test-secret", var_dir=tmp_path_factory.mktemp("isolation"))
    app = create_app(settings, engine, run_jobs=False)
    with pytest.MonkeyPatch.context() as patch:
        # Shipping stores the label in the file store of the process's settings, which in a deployment are the
        # app's; here the app has settings of its own.
        patch.setattr(shipments, "get_settings", lambda: settings)
        a = populate(engine, settings, "QA" + uuid.uuid4().hex[:8].upper())
        # B's order and return numbers must be ones A lacks: A has three orders and one return.
        b = populate(engine, settings, "QB" + uuid.uuid4().hex[:8].upper(), earlier=3)
    assert b.order_number > a.order_number and b.return_number > a.return_number
    # Every page is asked for on A's shop host: the storefront answers as A's shop, staff pages ignore the host.
    client = TestClient(app, base_url=f"http://{a.shop_host}")
    token = CSRF.search(client.get("/login").text)[1]
    signed = client.post("/login", data={"tenant": a.slug, "email": a.owner_email, "password": PASSWORD,
                                         "csrf_token": token, "next": "/admin"}, follow_redirects=False)
    assert signed.status_code == 303, signed.text[:500]
    # ... and as A's shop customer in the same browser, for the /my pages.
    token = CSRF.search(client.get("/my/login").text)[1]
    signed = client.post("/my/login", data={"email": a.customer_email, "password": PASSWORD, "csrf_token": token},
                         follow_redirects=False)
    assert signed.status_code == 303, signed.text[:500]
    yield Walk(app, a, b, client, {"Authorization": f"Bearer {a.owner_key}"})
    client.close()


# ---- the walk -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    path: str
    path_params: tuple[str, ...]
    query: tuple[tuple[str, bool], ...]  # (name, required)


def _query_params(dependant: Any) -> Iterator[tuple[str, bool]]:
    """(name, required) of every query parameter; a pydantic model taken from the query gives its fields."""
    for q in dependant.query_params:
        model = q.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            yield from ((name, f.is_required()) for name, f in model.model_fields.items())
        else:
            yield q.name, q.field_info.is_required()
    for sub in dependant.dependencies:
        yield from _query_params(sub)


def get_routes(app: FastAPI) -> list[Route]:
    found: dict[str, Route] = {}
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        methods = route.methods or set()
        if "GET" not in methods or path in SKIPPED_PATHS or path.startswith(SKIPPED_PREFIXES):
            continue
        params = tuple(re.findall(r"\{(\w+)(?::\w+)?\}", path))
        dependant = getattr(route, "dependant", None)
        query = tuple(_query_params(dependant)) if dependant else ()
        query += tuple((name, False) for name in QUERY_STRING_PARAMS.get(path, ()))
        found[path] = Route(path, params, query)
    return list(found.values())


def param_for(route: Route, name: str) -> Param | None:
    """By route and name, else by the collection the parameter is an item of, else by name alone."""
    collection = re.split(r"/\{" + name + r"(?::\w+)?\}", route.path, maxsplit=1)[0]
    return ROUTE_PARAMS.get((route.path, name)) or COLLECTIONS.get(collection) or PATH_PARAMS.get(name)


def unknown_params(route: Route) -> list[str]:
    problems = [f"path parameter {{{p}}}" for p in route.path_params if param_for(route, p) is None]
    for name, required in route.query:
        if name in OBJECT_QUERY:
            continue
        if name not in PLAIN_QUERY:
            problems.append(f"query parameter {name!r}")
        elif required and PLAIN_QUERY[name] is None:
            problems.append(f"required query parameter {name!r} has no value in PLAIN_QUERY")
    return problems


def url_for(route: Route, data: dict[str, Data], extra_query: dict[str, Any] | None = None) -> str:
    """The route's URL with each path parameter taken from data[param] (or data['*'])."""
    url = route.path
    for name in route.path_params:
        param = param_for(route, name)
        assert param is not None
        value = param.value(data.get(name, data["*"]))
        url = re.sub(r"\{" + name + r"(:\w+)?\}", str(value), url)
    query = {}
    for name, required in route.query:
        if required:
            query[name] = OBJECT_QUERY[name](data["*"]) if name in OBJECT_QUERY else PLAIN_QUERY[name]
    query.update(extra_query or {})
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def readable(response: Response) -> str:
    """The answer's text; a PDF's compressed content streams are inflated, so its text can be searched (our PDFs
    use the core fonts: their text is written as plain strings)."""
    body = response.content
    if body.startswith(b"%PDF"):
        parts = [body]
        for stream in PDF_STREAM.findall(body):
            with contextlib.suppress(zlib.error):
                parts.append(zlib.decompress(stream))
        body = b"\n".join(parts)
    return body.decode("utf-8", "replace").lower()


def leaks(response: Response, other: Data, sent: tuple[str, ...] = ()) -> bool:
    """Whether the answer holds `other`'s marker, apart from the values the request itself sent (an error message
    may well repeat the code that was not found)."""
    text = readable(response)
    for value in sorted(sent, key=len, reverse=True):
        text = text.replace(str(value).lower(), "")
    return other.mark.lower() in text


def test_every_get_route_can_be_walked(walk: Walk) -> None:
    problems = {r.path: unknown_params(r) for r in get_routes(walk.app)}
    problems = {path: p for path, p in problems.items() if p}
    assert problems == {}, (
        "the isolation walk cannot fill these routes' parameters; add them to COLLECTIONS, PATH_PARAMS, "
        f"ROUTE_PARAMS, OBJECT_QUERY or PLAIN_QUERY in {Path(__file__).name} (see its docstring): {problems}")


def walkable(walk: Walk) -> list[Route]:
    return [r for r in get_routes(walk.app) if not unknown_params(r)]


def test_tenant_a_sees_its_own_data_and_none_of_tenant_bs_on_every_get_route(walk: Walk) -> None:
    failures: list[str] = []
    for route in walkable(walk):
        url = url_for(route, {"*": walk.a})
        response = walk.get(url)
        if response.status_code >= 400 and route.path not in PUBLIC_PATHS:
            failures.append(f"{url}: A's own URL answered {response.status_code}: {response.text[:200]}")
        elif leaks(response, walk.b):
            failures.append(f"{url}: shows tenant B's data")
        params = [param_for(route, p) for p in route.path_params]
        owned = [p for p in params if p is not None and p.owned]
        should_show = any(p.shows_mark for p in owned) if owned else route.path not in SHOWS_NO_TENANT_DATA
        if response.status_code == 200 and should_show and route.path not in PUBLIC_PATHS \
                and not leaks(response, walk.a):
            failures.append(f"{url}: shows nothing of A's own data, so its isolation proves nothing (a parameter "
                            "mapped to the wrong object? data missing from `populate`? else add the route to "
                            "SHOWS_NO_TENANT_DATA)")
    assert failures == [], "\n".join(failures)


def test_tenant_bs_ids_in_tenant_as_urls_are_not_found(walk: Walk) -> None:
    failures: list[str] = []
    checked = 0
    for route in walkable(walk):
        for name in route.path_params:
            if not param_for(route, name).owned:  # type: ignore[union-attr]
                continue
            url = url_for(route, {"*": walk.a, name: walk.b})
            response = walk.get(url)
            checked += 1
            if response.status_code not in (403, 404):
                failures.append(f"{url} ({{{name}}} of tenant B): {response.status_code}, expected 404")
            if leaks(response, walk.b, (str(param_for(route, name).value(walk.b)),)):  # type: ignore[union-attr]
                failures.append(f"{url} ({{{name}}} of tenant B): shows tenant B's data")
    assert checked >= 20, "the walk found too few detail routes"
    assert failures == [], "\n".join(failures)


def test_tenant_bs_objects_in_query_parameters_show_nothing_of_b(walk: Walk) -> None:
    failures: list[str] = []
    checked = 0
    for route in walkable(walk):
        for name, _ in route.query:
            if name not in OBJECT_QUERY:
                continue
            value = OBJECT_QUERY[name](walk.b)
            url = url_for(route, {"*": walk.a}, {name: value})
            response = walk.get(url)
            checked += 1
            if response.status_code >= 500:
                failures.append(f"{url}: {response.status_code}")
            if leaks(response, walk.b, (str(value),)):
                failures.append(f"{url} ({name} of tenant B): shows tenant B's data")
    assert checked >= 5
    assert failures == [], "\n".join(failures)


def test_the_markers_are_where_the_walk_looks(walk: Walk) -> None:
    """The walk proves something only if B's marker is visible to B: B's owner sees it where A's owner does not."""
    b = walk.b
    headers = {"Authorization": f"Bearer {b.owner_key}"}
    for url in ("/api/v1/catalog/skus", "/api/v1/inventory/warehouses", "/api/v1/users", "/api/v1/price-lists",
                f"/api/v1/catalog/skus/{b.sku_code}", f"/api/v1/price-lists/{b.price_list}"):
        response = walk.page.get(url, headers=headers)
        assert response.status_code == 200 and leaks(response, b), url
        assert not leaks(walk.get(url.replace(b.sku_code, walk.a.sku_code)), b), url


def test_a_customer_signed_in_to_bs_shop_is_a_stranger_in_as_shop(walk: Walk) -> None:
    """A session of B's customer, replayed on A's shop (cookies shared across shop domains, or a stolen cookie),
    signs nobody in there: the /my pages ask for a sign-in and show nothing of B."""
    a, b = walk.a, walk.b
    with TestClient(walk.app, base_url=f"http://{b.shop_host}") as in_b:
        token = CSRF.search(in_b.get("/my/login").text)[1]
        signed = in_b.post("/my/login", data={"email": b.customer_email, "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
        assert signed.status_code == 303, signed.text[:500]
        assert leaks(in_b.get(f"/my/orders/{b.order_number}"), b)  # B's customer sees their order in B's shop
        session = in_b.cookies.get("stockyard_session")
    with TestClient(walk.app, base_url=f"http://{b.shop_host}", cookies={"stockyard_session": session}) as again:
        assert leaks(again.get(f"/my/orders/{b.order_number}"), b)  # the cookie alone carries the sign-in
    with TestClient(walk.app, base_url=f"http://{a.shop_host}", cookies={"stockyard_session": session}) as in_a:
        for url in ("/my/orders", f"/my/orders/{b.order_number}", f"/my/orders/{b.order_number}/return",
                    "/my/addresses", f"/my/addresses/{b.address}/edit", "/my/returns", f"/my/returns/{b.return_number}",
                    f"/my/returns/{b.return_number}/photos/{b.return_photo}", f"/orders/{b.order_number}/thanks",
                    f"/orders/{b.order_number}/receipt.pdf", "/cart", "/"):
            response = in_a.get(url, follow_redirects=False)
            assert not leaks(response, b, (b.order_number, b.return_number)), url
            if url.startswith("/my/"):
                assert response.status_code == 303 and response.headers["location"].startswith("/my/login"), url
            elif url.startswith("/orders/"):
                assert response.status_code == 404, url


def test_forged_posts_naming_tenant_bs_objects_are_not_found_and_change_nothing(walk: Walk, engine: Engine) -> None:
    """A's owner sends A's edit forms and API calls with B's ids in place of A's (a guessed or replayed id): each
    answers 404, shows nothing of B, and no row of either tenant changes."""
    a, b = walk.a, walk.b

    def rows() -> list[dict[str, list[tuple[Any, ...]]]]:
        return [{table: found for table, found in tenant_rows(TenantCtx(engine, d.tenant_id, d.slug, system_actor(
            d.tenant_id, "check"))).items() if table != "user_sessions"} for d in (a, b)]  # A's visits are noted

    csrf = CSRF.search(walk.get("/admin").text)[1]
    forms = {
        "/admin/catalog/products/{}": (a.product, b.product, {"name": "Forged", "part_number": "FORGED"}),
        "/admin/channels/{}": (a.channel, b.channel, {
            "code": "FORGED", "name": "Forged", "kind": "storefront", "currency": "EUR", "tax_rate": "0",
            "hold_minutes": "15", "allocation_strategy": "priority", "active": "on"}),
        "/admin/users/{}": (a.user, b.user, {"name": "Forged", "role": "read_only", "active": "1"}),
    }
    before = rows()
    for url, (own, other, data) in forms.items():
        assert walk.get(url.format(own)).status_code == 200, url  # the form is A's to use
        response = walk.page.post(url.format(other), data={**data, "csrf_token": csrf}, follow_redirects=False)
        assert response.status_code == 404 and not leaks(response, b), url
    api = walk.page.put(f"/api/v1/price-lists/{b.price_list}", headers=walk.api_headers,
                        json={"name": "Forged", "channel": a.channel_code, "priority": 5})
    assert api.status_code == 404 and not leaks(api, b)
    assert walk.get(f"/api/v1/price-lists/{a.price_list}").status_code == 200
    assert rows() == before

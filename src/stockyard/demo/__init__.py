"""`stockyard demo`: build the demo business, a parts distributor, through the real services.

Tenant "demo" (Demo Parts Co.) gets staff users, three warehouses with a few hundred bins, 500+ parts
from 15 brands with OEM numbers and EAN-13 barcodes, and a stock story (stock.py) that leaves something
true on every inventory page: shortages, transfers on the road, open counts, active reservations. The web shop
sells (orders.py): shipping and payment are set up, customers are registered and past orders stand in every state,
from awaiting payment through a pick wave in progress to invoiced; the event consumers have caught up. The same
seed gives the same business every time; only the API key printed at the end is new on every run.
"""

import random
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select

from stockyard.catalog.models import Brand, Product, Sku
from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.actor import Actor, system_actor
from stockyard.core.errors import Conflict
from stockyard.core.progress import Advance, Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.demo.accounting import close_books
from stockyard.demo.after_sales import send_back
from stockyard.demo.alerts_and_settlement import stage as stage_alerts_and_settlement
from stockyard.demo.history import tell_history
from stockyard.demo.landed_costs import apply_freight
from stockyard.demo.orders import CUSTOMER_PASSWORD, CUSTOMERS, AddressIn, Commerce, sell
from stockyard.demo.parts import build_catalog
from stockyard.demo.purchasing import order_supplies
from stockyard.demo.shop import build_shop
from stockyard.demo.sites import build_sites, location_count
from stockyard.demo.stock import tell
from stockyard.demo.taxes import set_up_taxes
from stockyard.identity.models import Tenant
from stockyard.identity.services import actor_for_user, create_api_key, create_tenant, create_user
from stockyard.integration.dispatch import dispatch_job
from stockyard.inventory import queries
from stockyard.inventory.models import Location
from stockyard.purchasing.queries import list_purchase_orders
from stockyard.sales.models import Customer
from stockyard.sales.queries import list_orders

if TYPE_CHECKING:
    from rich.progress import Progress

SEED = 20240917
TENANT_SLUG = "demo"
TENANT_NAME = "Demo Parts Co."
PASSWORD = "stockyard-demo"
# (e-mail, name, role, warehouses the user may work in; None = all)
STAFF = (
    ("owner@demo.test", "Maria Keller", "owner", None),
    ("manager@demo.test", "Jonas Weber", "warehouse_manager", None),
    ("operator@demo.test", "Ana Costa", "warehouse_operator", "MAIN"),
)
_CHUNK = 100


def database_is_empty(engine: Engine) -> bool:
    """True while no tenant exists (a fresh database), which is when `make run` builds the demo."""
    with UnitOfWork(engine, readonly=True) as uow:
        return uow.conn.execute(select(Tenant.id).limit(1)).first() is None


def build_demo(engine: Engine, progress: "Progress | None" = None, base_url: str = "") -> list[str]:
    """Build the demo tenant; returns the lines to show the user (what was built, how to sign in at `base_url`,
    e.g. http://127.0.0.1:8000)."""
    with UnitOfWork(engine, readonly=True) as uow:
        if uow.conn.execute(select(Tenant.id).where(Tenant.slug == TENANT_SLUG)).first() is not None:
            raise Conflict(f"the demo tenant '{TENANT_SLUG}' already exists; nothing was changed", field="tenant")
    steps = Steps(progress)
    products = build_catalog(SEED)
    tenant_id = create_tenant(engine, TENANT_SLUG, TENANT_NAME)
    setup = system_actor(tenant_id, "demo setup")
    layout = build_sites(engine, setup, steps.task("Warehouses and bins", location_count()))
    user_ids, api_key = perform(engine, setup, _create_staff, layout.warehouse_ids, steps.task("Staff users",
                                                                                                len(STAFF)))
    staff = {role: actor_for_user(engine, user_id) for role, user_id in user_ids.items()}
    commands = [p.command for p in products]
    advance = steps.task("Parts catalog", len(commands))
    for start in range(0, len(commands), _CHUNK):
        perform(engine, staff["owner"], _create_products, commands[start : start + _CHUNK], advance)
    tell(engine, staff["warehouse_manager"], staff["warehouse_operator"], layout, products,
         random.Random(SEED + 1), steps)
    build_shop(engine, staff["owner"], products, random.Random(SEED + 2), steps)
    set_up_taxes(engine, staff["owner"], steps)
    costs = {s.code: s.unit_cost for p in products for s in p.skus}
    order_supplies(engine, staff["warehouse_manager"], costs, random.Random(SEED + 3), steps)

    def past(commerce: Commerce, registered: list[tuple[int, str, AddressIn]]) -> None:
        tell_history(engine, staff["owner"], staff["warehouse_operator"], commerce, registered, costs,
                     random.Random(SEED + 5), steps)
        stage_alerts_and_settlement(engine, staff["owner"], staff["warehouse_manager"], staff["warehouse_operator"],
                                    commerce, costs, random.Random(SEED + 6), steps)

    sell(engine, staff["owner"], staff["warehouse_operator"], random.Random(SEED + 4), steps, past)
    send_back(engine, staff["owner"], steps)
    apply_freight(engine, staff["owner"], steps)
    # What `serve` would do in its first seconds: the consumers (journal, order mails, channel sync) catch up, so the
    # first pages show the orders' entries. With a broker configured, the worker's relay does it instead.
    advance = steps.task("Event consumers catch up", 1)
    dispatch_job(engine)
    advance(1)
    close_books(engine, staff["owner"], steps)
    return _summary(engine, staff["owner"], api_key, base_url)


def _create_staff(uow: UnitOfWork, warehouse_ids: dict[str, int], advance: Advance) -> tuple[dict[str, int], str]:
    user_ids = {}
    for email, name, role, warehouse in STAFF:
        user_ids[role] = create_user(uow, email=email, name=name, password=PASSWORD, role=role,
                                     warehouse_ids=[warehouse_ids[warehouse]] if warehouse else None)
        advance(1)
    return user_ids, create_api_key(uow, user_id=user_ids["owner"], name="demo")


def _create_products(uow: UnitOfWork, commands: list[CreateProduct], advance: Advance) -> None:
    for command in commands:
        create_product(uow, command)
        advance(1)


def _figures(uow: UnitOfWork) -> dict[str, int]:
    def total(stmt: object) -> int:
        return int(uow.execute(stmt).scalar_one())

    by_status = list_orders(uow).counts
    return {
        "skus": total(select(func.count()).select_from(Sku)),
        "products": total(select(func.count()).select_from(Product)),
        "brands": total(select(func.count()).select_from(Brand)),
        "warehouses": len(queries.list_warehouses(uow)),
        "bins": total(select(func.count()).select_from(Location).where(Location.kind == "bin")),
        "alerts": len(queries.list_alerts(uow)),
        "transfers": queries.list_transfers(uow, "in_transit").total
        + queries.list_transfers(uow, "partially_received").total,
        "counts": queries.list_counts(uow, "open").total,
        "reservations": queries.list_reservations(uow, "active").total,
        "purchase_orders": list_purchase_orders(uow, state="open").total,
        "customers": total(select(func.count()).select_from(Customer).where(Customer.password_hash.is_not(None))),
        "orders": sum(by_status.values()),
        "waiting": by_status.get("allocated", 0),
    }


def _summary(engine: Engine, owner: Actor, api_key: str, base_url: str = "") -> list[str]:
    f = read(engine, owner, _figures)
    lines = [
        f"Demo business '{TENANT_NAME}' is ready (tenant: {TENANT_SLUG}).",
        f"  {f['skus']} SKUs in {f['products']} products from {f['brands']} brands; "
        f"{f['warehouses']} warehouses with {f['bins']} bins.",
        f"  {f['alerts']} shortage alerts, {f['transfers']} open transfers, {f['counts']} open counts, "
        f"{f['reservations']} active reservations, {f['purchase_orders']} open purchase orders.",
        f"  {f['customers']} registered shop customers, {f['orders']} orders ({f['waiting']} waiting to be picked, "
        "one pick wave in progress); shipping by DHL and DPD to Germany and its neighbours, card and bank transfer.",
        *sign_in_lines(base_url),
    ]
    lines += ["API key of owner@demo.test for /api/v1, shown only now:", f"  {api_key}"]
    return lines


def sign_in_lines(base_url: str = "") -> list[str]:
    """Where the demo is and how its staff sign in."""
    width = max(len(email) for email, *_ in STAFF)
    lines = [f"The web shop is at {base_url}/ (channel 'web', the default storefront).",
             f"Shop customers (e.g. {CUSTOMERS[0][0]}) sign in at {base_url}/my/login with the password "
             f"'{CUSTOMER_PASSWORD}'.",
             f"Sign in at {base_url}/login with tenant '{TENANT_SLUG}' and the password '{PASSWORD}':"]
    for email, _name, role, warehouse in STAFF:
        scope = f" (warehouse {warehouse} only)" if warehouse else ""
        lines.append(f"  {email.ljust(width)}  {role.replace('_', ' ')}{scope}")
    return lines


def already_built_lines(engine: Engine, base_url: str = "") -> list[str]:
    """What `stockyard demo --if-empty` shows on a database that has data already (every `make run` after the
    first): how to sign in to the demo, if the demo is what the database holds."""
    with UnitOfWork(engine, readonly=True) as uow:
        has_demo = uow.conn.execute(select(Tenant.id).where(Tenant.slug == TENANT_SLUG)).first() is not None
    if not has_demo:
        return [f"The database has data but no demo tenant '{TENANT_SLUG}'; nothing was added. "
                f"Sign in at {base_url}/login with your own users."]
    return [f"Demo data already present (tenant: {TENANT_SLUG}); nothing was added.", *sign_in_lines(base_url),
            "  (the password is the demo's own unless someone changed it since)",
            "The demo API key was shown only when the demo was built (keys are stored hashed and cannot be shown "
            f"again); the owner makes a new one at {base_url}/admin/api-keys."]

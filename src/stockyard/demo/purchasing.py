"""The demo's purchasing: a few parts sold out to a trade customer's framework order (their last units reserved), two
suppliers, and open purchase orders (sent, expected in one to three weeks) for the parts that are out of stock or
short of their minimum, so that the shop shows true "out of stock" and "back in stock on" labels and backorders get
expected dates. Told through the inventory and purchasing services, by the warehouse manager."""

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Engine, func, select

from stockyard.catalog.models import Sku
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.progress import Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.inventory.domain import Status
from stockyard.inventory.models import MinStockRule, StockAlert, StockLevel
from stockyard.inventory.reservations import ReserveStock, reserve_stock
from stockyard.purchasing import services
from stockyard.purchasing.suppliers import SetSupplierSku, set_supplier_sku

SUPPLIERS = (("PARTSNET", "PartsNet Wholesale GmbH", 14), ("AUTODIST", "AutoDist Europe B.V.", 7))
MAX_SKUS = 48  # keeps the demo quick to build
SOLD_OUT = 6
LINES_PER_ORDER = 8


def _wanted(uow: UnitOfWork) -> list[str]:
    """Codes of the SKUs with nothing available (sellable on hand − reserved) or an open shortage alert."""
    s, lv, alert = Sku.__table__, StockLevel.__table__, StockAlert.__table__
    free = (select(lv.c.sku_id, func.sum(lv.c.on_hand - lv.c.reserved).label("free"))
            .where(lv.c.tenant_id == uow.tenant_id, lv.c.status == Status.SELLABLE.value)
            .group_by(lv.c.sku_id).subquery())
    empty = select(s.c.code).outerjoin(free, free.c.sku_id == s.c.id).where(
        s.c.tenant_id == uow.tenant_id, s.c.active.is_(True), func.coalesce(free.c.free, 0) <= 0)
    short = select(s.c.code).join(alert, alert.c.sku_id == s.c.id).where(
        alert.c.tenant_id == uow.tenant_id, alert.c.state == "open")
    return sorted(set(uow.conn.execute(empty).scalars()) | set(uow.conn.execute(short).scalars()))


def _sell_out(uow: UnitOfWork, rng: random.Random) -> list[str]:
    """The last free units of a few parts without a minimum-stock rule are reserved for a trade customer."""
    s, lv, rule = Sku.__table__, StockLevel.__table__, MinStockRule.__table__
    ruled = select(rule.c.sku_id).where(rule.c.tenant_id == uow.tenant_id)
    free = list(uow.conn.execute(
        select(s.c.code, func.sum(lv.c.on_hand - lv.c.reserved).label("free")).join(lv, lv.c.sku_id == s.c.id)
        .where(s.c.tenant_id == uow.tenant_id, s.c.active.is_(True), lv.c.status == Status.SELLABLE.value,
               s.c.id.not_in(ruled), s.c.tracking == "none")
        .group_by(s.c.code).having(func.sum(lv.c.on_hand - lv.c.reserved) > 0).order_by(s.c.code)))
    chosen = rng.sample(free, min(SOLD_OUT, len(free)))
    for row in chosen:
        reserve_stock(uow, ReserveStock(sku=row.code, quantity=int(row.free),
                                        reference="order: framework order of Kfz-Technik Berger"))
    return [row.code for row in chosen]


def _ruled(uow: UnitOfWork) -> list[str]:
    """Codes of the SKUs with a minimum-stock rule: the ones replenishment looks after."""
    s, rule = Sku.__table__, MinStockRule.__table__
    return sorted(set(uow.conn.execute(select(s.c.code).join(rule, rule.c.sku_id == s.c.id)
                                       .where(s.c.tenant_id == uow.tenant_id)).scalars()))


def _terms(uow: UnitOfWork, codes: list[str], costs: dict[str, Decimal], rng: random.Random) -> None:
    """Both suppliers list these parts, each at its own price; one of them is the preferred supplier."""
    for n, code in enumerate(codes):
        cost = costs.get(code, Decimal(1))
        for m, (supplier, _, _) in enumerate(SUPPLIERS):
            set_supplier_sku(uow, supplier, SetSupplierSku(
                sku=code, unit_cost=(cost * Decimal("1.05") ** m).quantize(Decimal("0.01")),
                supplier_code=f"{supplier[:2]}-{code}", pack_size=rng.choice((1, 5, 10)),
                min_order_qty=rng.choice((1, 10, 20)), preferred=(n + m) % len(SUPPLIERS) == 0))


def _order(uow: UnitOfWork, codes: list[str], costs: dict[str, Decimal], rng: random.Random) -> None:
    for code, name, lead in SUPPLIERS:
        services.create_supplier(uow, services.CreateSupplier(code=code, name=name, currency="EUR",
                                                              lead_time_days=lead))
    _terms(uow, sorted(set(codes) | set(_ruled(uow))), costs, rng)
    today = utcnow().date()
    for n, start in enumerate(range(0, len(codes), LINES_PER_ORDER)):
        lines = [services.POLineIn(sku=code, quantity=rng.randint(2, 8) * 5, unit_cost=costs.get(code, Decimal(1)))
                 for code in codes[start: start + LINES_PER_ORDER]]
        created = services.create_purchase_order(uow, services.CreatePurchaseOrder(
            supplier=SUPPLIERS[n % len(SUPPLIERS)][0], warehouse="MAIN", lines=lines,
            expected_on=today + timedelta(days=rng.randint(7, 21)), note="replenishment"))
        services.send_purchase_order(uow, created.id)


def order_supplies(engine: Engine, manager: Actor, costs: dict[str, Decimal], rng: random.Random,
                   steps: Steps) -> None:
    advance = steps.task("Sold-out parts, suppliers, purchase orders", 1)
    perform(engine, manager, _sell_out, rng)
    codes = read(engine, manager, _wanted)
    chosen = sorted(rng.sample(codes, MAX_SKUS)) if len(codes) > MAX_SKUS else codes
    perform(engine, manager, _order, chosen, costs, rng)
    advance(1)

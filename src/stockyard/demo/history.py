"""The demo's past: twelve weeks of web shop sales told through the real services with the clock set back
(core/clock.as_of), so that analytics, the demand forecast and the journal have a history to show.

A delivery at cost thirteen weeks ago brings exactly the units the weeks will sell into MAIN, so the present-day
stock story (stock.py) ends as it would without the past. Some parts sell steadily, some more every week, some in
bursts; every week's orders are picked, packed and shipped the day they are placed, delivered and invoiced the next.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.clock import as_of, utcnow
from stockyard.core.progress import Steps
from stockyard.core.uow import perform, read
from stockyard.demo import orders as shop_orders
from stockyard.fulfilment import packing
from stockyard.identity.domain import STOREFRONT
from stockyard.inventory import movements
from stockyard.sales import orders

WEEKS = 12
ORDERS_A_WEEK = 3
RECEIVING_BIN = "MAIN/A/01/01"


def _weekly_units(rng: random.Random, skus: list[str]) -> list[dict[str, int]]:
    """Per week (oldest first), the units of each part sold: steady, growing, and bursty patterns."""
    steady, growing, bursty = skus[0:2], skus[2:4], skus[4:6]
    weeks = []
    for week in range(WEEKS):
        units = {sku: rng.randint(3, 5) for sku in steady}
        units |= {sku: 1 + week // 2 + rng.randint(0, 1) for sku in growing}
        units |= {sku: (rng.randint(6, 9) if week % 4 == 1 else rng.randint(0, 1)) for sku in bursty}
        weeks.append({sku: n for sku, n in units.items() if n})
    return weeks


def _baskets(units: dict[str, int], count: int) -> list[dict[str, int]]:
    """The week's units split over `count` orders, round robin by part."""
    baskets: list[dict[str, int]] = [{} for _ in range(count)]
    k = 0
    for sku, n in sorted(units.items()):
        for _ in range(n):
            basket = baskets[k % count]
            basket[sku] = basket.get(sku, 0) + 1
            k += 1
    return [b for b in baskets if b]


def tell_history(engine: Engine, owner: Actor, picker: Actor, commerce: shop_orders.Commerce,
                 registered: list[tuple[int, str, shop_orders.AddressIn]], costs: dict[str, Decimal],
                 rng: random.Random, steps: Steps) -> None:
    skus = rng.sample(read(engine, owner, shop_orders._sellable), 6)
    weeks = _weekly_units(rng, skus)
    advance = steps.task("Twelve weeks of past sales", WEEKS + 1)
    shop = Actor(tenant_id=owner.tenant_id, user_id=None, name="storefront", permissions=STOREFRONT)
    today = utcnow().date()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=WEEKS)
    with as_of(datetime.combine(first - timedelta(days=3), time(9))):
        for sku in skus:
            total = sum(week.get(sku, 0) for week in weeks)
            perform(engine, owner, movements.receive_stock, movements.ReceiveStock(
                sku=sku, location=RECEIVING_BIN, quantity=total, unit_cost=costs.get(sku),
                note="demo: the stock the past weeks sold"))
    advance(1)
    for index, units in enumerate(weeks):
        tuesday = first + timedelta(weeks=index, days=1)
        placed = []
        with as_of(datetime.combine(tuesday, time(9))):
            for n, basket in enumerate(_baskets(units, ORDERS_A_WEEK)):
                customer_id, email, address = registered[(index * ORDERS_A_WEEK + n) % len(registered)]
                placed.append(shop_orders._web_order(engine, shop, commerce, basket, email, address, "DHL-STD",
                                                     customer_id, rng))
        with as_of(datetime.combine(tuesday, time(14))):
            _, lists = shop_orders._pick_wave(engine, picker, len(placed))
            for list_id, order_id in lists:
                picked = shop_orders._pick(engine, picker, list_id)
                perform(engine, picker, shop_orders._pack, order_id, picked, 400 + 350 * sum(picked.values()))
                perform(engine, picker, packing.ship_packed_order, packing.ShipPacked(order_id=order_id))
        with as_of(datetime.combine(tuesday + timedelta(days=2), time(11))):
            for order_id in placed:
                perform(engine, owner, orders.mark_delivered, order_id)
                perform(engine, owner, orders.invoice_order, order_id)
        advance(1)

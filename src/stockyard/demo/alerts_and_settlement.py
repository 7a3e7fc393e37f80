"""The demo's finance and watch story, told through the real services (past days with core/clock.as_of):

- Anomaly alerts: a brake part written off a unit or two at a time over the past weeks, then a whole pallet layer of
  it yesterday; two weeks of daily web orders, of which the day before yesterday's were sold at a mistyped price (the
  part listed at cost for a day) and yesterday's were mostly cancelled by their buyers. The scan job then raises one
  alert of each kind, with its reason.
- Order-to-cash reconciliation: the card gateway's settlement report for every card payment captured before today,
  imported like a user would; the gateway settled one of them 1.00 short, the one mismatch the page shows.
"""

import random
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select

from stockyard.analytics.anomalies import scan_anomalies
from stockyard.billing.models import Payment
from stockyard.billing.settlements import import_settlements
from stockyard.catalog import pricing
from stockyard.catalog.models import Sku
from stockyard.core.actor import Actor
from stockyard.core.clock import as_of, utcnow
from stockyard.core.money import round_money
from stockyard.core.progress import Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.demo import orders as shop_orders
from stockyard.demo.shop import MARKUP
from stockyard.fulfilment import packing
from stockyard.identity.domain import STOREFRONT
from stockyard.inventory import movements
from stockyard.inventory.models import Location, StockLevel
from stockyard.sales import orders

BASELINE_DAYS = 10
SMALL_WRITE_OFFS = (1, 2, 1, 2, 2, 1)
RECEIVING_BIN = "MAIN/A/01/01"
BUYER = ("Lena Fischer", ("Lindenstraße 4", "50667", "Köln", "DE"))


def _bin_with_most(uow: UnitOfWork, skus: list[str]) -> tuple[str, str, int]:
    """(SKU code, MAIN storage bin, units) of the sellable stock in MAIN that is deepest in one bin."""
    level, loc, sku = StockLevel.__table__, Location.__table__, Sku.__table__
    row = uow.conn.execute(
        select(sku.c.code, loc.c.path, level.c.on_hand - level.c.reserved)
        .join(level, level.c.sku_id == sku.c.id).join(loc, loc.c.id == level.c.location_id)
        .where(level.c.tenant_id == uow.tenant_id, level.c.status == "sellable", loc.c.path.like("MAIN/%"),
               sku.c.code.not_in(skus))
        .order_by((level.c.on_hand - level.c.reserved).desc(), sku.c.code).limit(1)).one()
    return row[0], row[1], int(row[2])


def _write_offs(engine: Engine, manager: Actor, today: datetime, skus: list[str], costs: dict[str, Decimal]) -> None:
    """Small write-offs of one part over the past weeks, then a big one yesterday; the units written off were
    received first, so today's stock is as it would be without them."""
    sku, location, units = read(engine, manager, _bin_with_most, skus)
    big = max(units // 2, 20)
    with as_of(today - timedelta(days=45)):
        perform(engine, manager, movements.receive_stock, movements.ReceiveStock(
            sku=sku, location=location, quantity=sum(SMALL_WRITE_OFFS) + big, unit_cost=costs.get(sku),
            note="demo: the stock later written off"))
    for n, quantity in enumerate(SMALL_WRITE_OFFS):
        with as_of(today - timedelta(days=40 - 6 * n, hours=4)):
            perform(engine, manager, movements.write_off_stock, movements.WriteOffStock(
                sku=sku, location=location, quantity=quantity, reason="damaged", note="scuffed in handling"))
    with as_of(today - timedelta(days=1, hours=6)):
        perform(engine, manager, movements.write_off_stock, movements.WriteOffStock(
            sku=sku, location=location, quantity=max(units // 2, 20), reason="damaged",
            note="forklift hit the rack; a whole layer crushed"))


def _ship_and_invoice(engine: Engine, owner: Actor, picker: Actor, placed: list[int], day: datetime) -> None:
    with as_of(day.replace(hour=14)):
        _, lists = shop_orders._pick_wave(engine, picker, len(placed))
        for list_id, order_id in lists:
            picked = shop_orders._pick(engine, picker, list_id)
            perform(engine, picker, shop_orders._pack, order_id, picked, 400 + 350 * sum(picked.values()))
            perform(engine, picker, packing.ship_packed_order, packing.ShipPacked(order_id=order_id))
    with as_of(day.replace(hour=17)):
        for order_id in placed:
            perform(engine, owner, orders.mark_delivered, order_id)
            perform(engine, owner, orders.invoice_order, order_id)


def _price_list(uow: UnitOfWork, channel: int) -> int:
    return int(pricing.list_price_lists(uow, channel_id=channel).items[0][0].id)


def _daily_orders(engine: Engine, owner: Actor, picker: Actor, commerce: shop_orders.Commerce,
                  costs: dict[str, Decimal], today: datetime, rng: random.Random) -> list[str]:
    """A web order a day for two weeks, shipped and invoiced; then a day at a mistyped price; then a day whose buyers
    cancelled three of their four orders. The units that ship are received beforehand, so the stock story of today
    is as it would be without them."""
    channel = commerce.channel_id
    shop = Actor(tenant_id=owner.tenant_id, user_id=None, name="storefront", permissions=STOREFRONT)
    skus = rng.sample(read(engine, owner, shop_orders._sellable), 4)
    address = shop_orders._address(*BUYER)
    shipped = {sku: 0 for sku in skus}
    for back in range(BASELINE_DAYS + 2, 2, -1):
        shipped[skus[back % 3]] += 1
    shipped[skus[3]] += 3
    shipped[skus[0]] += 1
    with as_of(today - timedelta(days=BASELINE_DAYS + 5)):
        for sku, units in shipped.items():
            perform(engine, owner, movements.receive_stock, movements.ReceiveStock(
                sku=sku, location=RECEIVING_BIN, quantity=units, unit_cost=costs.get(sku),
                note="demo: the stock the past two weeks sold"))

    def at(days_back: int, hour: int) -> datetime:
        return datetime.combine(today.date() - timedelta(days=days_back), time(hour))

    def order(day: datetime, basket: dict[str, int]) -> int:
        with as_of(day):
            email = f"buyer.{uuid.UUID(int=rng.getrandbits(128)).hex[:8]}@example.net"
            return shop_orders._web_order(engine, shop, commerce, basket, email, address, "DHL-STD", None, rng)

    for back in range(BASELINE_DAYS + 2, 2, -1):
        _ship_and_invoice(engine, owner, picker, [order(at(back, 10), {skus[back % 3]: 1})], at(back, 10))
    # The day before yesterday the last part was listed at its cost (a typo in the price list) until the evening.
    list_id = read(engine, owner, _price_list, channel)
    cut = skus[3]
    tiers = read(engine, owner, pricing.sku_tiers, list_id, cut)
    usual = [pricing.TierIn(min_quantity=int(t["min_quantity"]), unit_price=Decimal(str(t["unit_price"])))
             for t in tiers]
    with as_of(at(2, 8)):
        perform(engine, owner, pricing.set_sku_prices, list_id, pricing.SetSkuPrices(sku=cut, tiers=[
            pricing.TierIn(min_quantity=1, unit_price=round_money(usual[0].unit_price / MARKUP))]))
    cheap = [order(at(2, 10), {cut: 1}), order(at(2, 11), {cut: 2})]
    with as_of(at(2, 18)):
        perform(engine, owner, pricing.set_sku_prices, list_id, pricing.SetSkuPrices(sku=cut, tiers=usual))
    _ship_and_invoice(engine, owner, picker, cheap, at(2, 10))
    # Yesterday three of four buyers called their orders off before they were picked.
    yesterday = [order(at(1, 9 + n), {skus[(n + 1) % 4 if n < 3 else 0]: 1}) for n in range(4)]
    with as_of(at(1, 13)):
        for order_id in yesterday[:3]:
            perform(engine, owner, orders.cancel_order, order_id, "the buyer found the part cheaper elsewhere")
    _ship_and_invoice(engine, owner, picker, yesterday[3:], at(1, 10))
    return skus


def stage(engine: Engine, owner: Actor, manager: Actor, picker: Actor, commerce: shop_orders.Commerce,
          costs: dict[str, Decimal], rng: random.Random, steps: Steps) -> None:
    """Everything above, before today's orders are taken; the alerts are raised by the scan the background job runs."""
    advance = steps.task("Anomaly alerts and a card settlement", 4)
    today = utcnow()
    skus = _daily_orders(engine, owner, picker, commerce, costs, today, rng)
    advance(1)
    _write_offs(engine, manager, today, skus, costs)
    advance(1)
    perform(engine, owner, scan_anomalies)
    advance(1)
    perform(engine, owner, import_settlements, _settlement_csv(engine, owner, today), "testgw-settlement.csv")
    advance(1)


def _settlement_csv(engine: Engine, owner: Actor, today: datetime) -> bytes:
    p = Payment.__table__
    with UnitOfWork(engine, owner, readonly=True) as uow:
        rows = uow.conn.execute(select(p.c.reference, p.c.captured_amount, p.c.refunded_amount).where(
            p.c.tenant_id == owner.tenant_id, p.c.gateway == "test", p.c.captured_amount > 0,
            p.c.created_at < datetime.combine(today.date(), time.min), p.c.reference.is_not(None))
            .order_by(p.c.id)).all()
    day = today.date().isoformat()
    ref = f"TG-{day}"
    lines = ["settlement_id,date,payment_reference,type,gross,fee,net,currency"]
    net_total = Decimal(0)
    for n, r in enumerate(rows):
        gross = round_money(Decimal(r.captured_amount)) - (Decimal(1) if n == len(rows) - 1 else 0)
        fee = round_money(gross * Decimal("0.014") + Decimal("0.25"))
        lines.append(f"{ref},{day},{r.reference},charge,{gross},{fee},{gross - fee},EUR")
        net_total += gross - fee
        if r.refunded_amount:
            back = round_money(Decimal(r.refunded_amount))
            lines.append(f"{ref},{day},{r.reference},refund,{-back},0.00,{-back},EUR")
            net_total -= back
    lines.append(f"{ref},{day},,payout,{net_total},0.00,{net_total},EUR")
    return ("\n".join(lines) + "\n").encode()

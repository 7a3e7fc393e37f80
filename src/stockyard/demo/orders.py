"""The demo's selling side: shipping zones, carriers and rate tables and the payment methods of the "web" shop,
registered customers with address books, and past orders in every state of their life, told through the real
services: storefront checkouts paid by the test card, phone orders by bank transfer, then pick waves, picking,
packing, shipping, delivery and invoices. The dashboard, pick waves, pack station, journal and documents pages
have something true to show, and the shop can check out at once.

Orders are placed only for parts with plenty free in MAIN, so that every order is allocated in full there.
"""

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from stockyard.billing.config import PaymentMethodIn, create_payment_method
from stockyard.catalog.models import Sku
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.progress import Advance, Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.fulfilment import packing, picking, waves
from stockyard.fulfilment.config import (
    BandIn,
    CarrierIn,
    MethodIn,
    SetFreeShipping,
    SetRateTable,
    ZoneIn,
    create_carrier,
    create_method,
    create_zone,
    set_free_shipping,
    set_rate_table,
)
from stockyard.fulfilment.execution_queries import wave_detail
from stockyard.identity.domain import STOREFRONT
from stockyard.inventory.domain import Status
from stockyard.inventory.models import Location, StockLevel, Warehouse
from stockyard.sales import carts, checkout, orders, staff_order
from stockyard.sales.checkout import AddressIn
from stockyard.sales.customers import CustomerAddressIn, RegisterCustomer, add_address, register_customer
from stockyard.sales.models import Channel

CHANNEL = "web"
CUSTOMER_PASSWORD = "stockyard-demo"
APPROVE_CARD = "4242 4242 4242 4242"
# (e-mail, name, phone, address: line1, postcode, city, country)
CUSTOMERS = (
    ("lena.fischer@example.com", "Lena Fischer", "+49 30 5550101", ("Kastanienallee 12", "10435", "Berlin", "DE")),
    ("tobias.wagner@example.com", "Tobias Wagner", "+49 89 5550102", ("Leopoldstraße 88", "80802", "München", "DE")),
    ("werkstatt.schulz@example.com", "Kfz-Werkstatt Schulz", "+49 221 5550103",
     ("Industriestraße 4", "50735", "Köln", "DE")),
    ("sabine.hoffmann@example.com", "Sabine Hoffmann", "", ("Schillerstraße 23", "60313", "Frankfurt am Main", "DE")),
    ("mehmet.yilmaz@example.com", "Mehmet Yılmaz", "+49 40 5550105", ("Osterstraße 140", "20255", "Hamburg", "DE")),
    ("julia.gruber@example.com", "Julia Gruber", "+43 1 5550106", ("Mariahilfer Straße 45", "1060", "Wien", "AT")),
    ("pieter.dejong@example.com", "Pieter de Jong", "+31 20 5550107", ("Prinsengracht 263", "1016 GV", "Amsterdam",
                                                                       "NL")),
    ("camille.martin@example.com", "Camille Martin", "", ("12 Rue de la République", "67000", "Strasbourg", "FR")),
)
GUESTS = (("Erika Mustermann", "Hafenstraße 1", "20095", "Hamburg", "DE"),
          ("Peter Neumann", "Marktplatz 3", "04109", "Leipzig", "DE"),
          ("Anna Kowalska", "ul. Długa 17", "80-827", "Gdańsk", "PL"))
PHONE_BUYERS = (("Autohaus Brandt", "einkauf@autohaus-brandt.example.com", "+49 511 5550201",
                 ("Hildesheimer Straße 210", "30519", "Hannover", "DE")),
                ("Reifen & Service Lutz", "lutz@reifen-lutz.example.com", "+49 711 5550202",
                 ("Pragstraße 30", "70376", "Stuttgart", "DE")),
                ("Kfz-Technik Berger", "berger@kfz-berger.example.com", "+49 911 5550203",
                 ("Fürther Straße 99", "90429", "Nürnberg", "DE")),
                ("Garage Weber", "info@garage-weber.example.com", "+49 351 5550204",
                 ("Königsbrücker Straße 5", "01099", "Dresden", "DE")))
WEB_ORDERS = 25
FREE_SHIPPING_FROM = Decimal("150.00")  # DHL Standard in Germany
SHIPPED = 12  # orders shipped in the first waves; some of them delivered, fewer invoiced
DELIVERED = 8
INVOICED = 5
OPEN_WAVE = 4  # orders of the wave left in picking; one of them is packed, not shipped


@dataclass(frozen=True)
class Commerce:
    channel_id: int
    methods: dict[str, int]  # code → id
    card_id: int
    bank_id: int


def _weight_bands(*prices: str) -> list[BandIn]:
    """Bands up to 2, 5, 10 and 31.5 kg, then anything heavier."""
    uppers = (Decimal(2000), Decimal(5000), Decimal(10000), Decimal(31500), None)
    lowers = (Decimal(0), *uppers[:-1])
    return [BandIn(lower=lo, upper=up, price=Decimal(p)) for lo, up, p in zip(lowers, uppers, prices, strict=True)]


def _configure(uow: UnitOfWork) -> Commerce:
    germany = create_zone(uow, ZoneIn(name="Germany", countries=["DE"], position=1))
    europe = create_zone(uow, ZoneIn(name="EU neighbours", countries=["AT", "FR", "NL", "BE", "LU", "PL", "DK", "CZ"],
                                     position=2))
    create_carrier(uow, CarrierIn(code="DHL", name="DHL Paket", tracking_url=(
        "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode={tracking}")))
    create_carrier(uow, CarrierIn(code="DPD", name="DPD", tracking_url="https://tracking.dpd.de/parcelstatus?query="
                                                                      "{tracking}"))
    methods = {
        "DHL-STD": create_method(uow, MethodIn(carrier="DHL", code="DHL-STD", name="DHL Standard", currency="EUR",
                                               transit_days=2)),
        "DPD-EXP": create_method(uow, MethodIn(carrier="DPD", code="DPD-EXP", name="DPD Express (next day)",
                                               currency="EUR", transit_days=1, cutoff_time="15:00")),
    }
    set_rate_table(uow, methods["DHL-STD"], SetRateTable(zone_id=germany, basis="weight", bands=_weight_bands(
        "4.90", "6.90", "9.90", "15.90", "39.00")))
    set_rate_table(uow, methods["DHL-STD"], SetRateTable(zone_id=europe, basis="weight", bands=_weight_bands(
        "12.90", "16.90", "21.90", "34.90", "79.00")))
    set_rate_table(uow, methods["DPD-EXP"], SetRateTable(zone_id=germany, basis="weight", bands=_weight_bands(
        "9.90", "12.90", "16.90", "24.90", "59.00")))
    set_free_shipping(uow, methods["DHL-STD"], SetFreeShipping(zone_id=germany, threshold=FREE_SHIPPING_FROM))
    card = create_payment_method(uow, PaymentMethodIn(name="Credit card", gateway="test", channel=CHANNEL,
                                                      position=1, settings={"outcome": "approve"}))
    bank = create_payment_method(uow, PaymentMethodIn(
        name="Bank transfer", gateway="manual_bank_transfer", position=2,
        settings={"account_holder": "Demo Parts Co. GmbH", "iban": "DE89 3704 0044 0532 0130 00"}))
    channel_id = uow.conn.execute(select(Channel.__table__.c.id).where(
        Channel.__table__.c.tenant_id == uow.tenant_id, Channel.__table__.c.code == CHANNEL)).scalar_one()
    return Commerce(int(channel_id), methods, card, bank)


def _address(name: str, where: tuple[str, str, str, str], phone: str = "") -> AddressIn:
    line1, postcode, city, country = where
    return AddressIn(name=name, line1=line1, postcode=postcode, city=city, country=country, phone=phone)


def _register(uow: UnitOfWork, advance: Advance) -> list[tuple[int, str, AddressIn]]:
    registered = []
    for email, name, phone, where in CUSTOMERS:
        customer_id = register_customer(uow, RegisterCustomer(email=email, name=name, password=CUSTOMER_PASSWORD,
                                                              phone=phone)).customer_id
        address = _address(name, where, phone)
        add_address(uow, customer_id, CustomerAddressIn(**address.model_dump(), is_default=True))
        registered.append((customer_id, email, address))
        advance(1)
    return registered


def _sellable(uow: UnitOfWork) -> list[str]:
    """Untracked SKUs with at least 20 units free in MAIN's sellable stock, by code."""
    s, lv, loc, w = Sku.__table__, StockLevel.__table__, Location.__table__, Warehouse.__table__
    free = func.sum(lv.c.on_hand - lv.c.reserved)
    rows = uow.conn.execute(
        select(s.c.code).join(lv, lv.c.sku_id == s.c.id).join(loc, loc.c.id == lv.c.location_id)
        .join(w, w.c.id == loc.c.warehouse_id)
        .where(s.c.tenant_id == uow.tenant_id, s.c.active.is_(True), s.c.tracking == "none", w.c.code == "MAIN",
               lv.c.status == Status.SELLABLE.value)
        .group_by(s.c.code).having(free >= 20).order_by(s.c.code))
    return list(rows.scalars())


def _card() -> dict[str, Any]:
    return {"number": APPROVE_CARD, "exp_month": 12, "exp_year": utcnow().year + 3, "cvc": "123",
            "holder": "Demo Buyer"}


def _web_order(engine: Engine, shop: Actor, commerce: Commerce, lines: dict[str, int], email: str,
               address: AddressIn, method: str, customer_id: int | None, rng: random.Random) -> int:
    token = None
    for sku, quantity in lines.items():
        token = perform(engine, shop, carts.add_to_cart, token, commerce.channel_id,
                        carts.AddToCart(sku=sku, quantity=quantity), customer_id)
    assert token is not None
    placed = checkout.place_order(engine, shop, token, checkout.PlaceOrder(
        idempotency_key=uuid.UUID(int=rng.getrandbits(128)).hex, email=email, shipping_address=address,
        shipping_method_id=commerce.methods[method], payment_method_id=commerce.card_id, card=_card()),
        customer_id)
    return placed.order_id


def _pick_wave(engine: Engine, picker: Actor, max_orders: int) -> tuple[int, list[tuple[int, int]]]:
    """A wave in MAIN; returns its id and its (pick list, order) pairs."""
    wave_id = perform(engine, picker, waves.create_pick_wave, waves.CreateWave(warehouse_id="MAIN",
                                                                                max_orders=max_orders))
    return wave_id, [(row.id, row.order_id) for row in read(engine, picker, wave_detail, wave_id).lists]


def _pick(engine: Engine, picker: Actor, list_id: int) -> dict[str, int]:
    """Pick the whole list, scanning bin and SKU code; returns the units picked by SKU."""
    plist = read(engine, picker, picking.pick_list, list_id)
    while (line := plist.next_line) is not None:
        perform(engine, picker, picking.confirm_pick, picking.ConfirmPick(
            pick_list_id=list_id, line_id=line.id, location_code=line.location, scanned_barcode=line.sku,
            quantity=line.remaining))
        plist = read(engine, picker, picking.pick_list, list_id)
    picked: dict[str, int] = {}
    for line in plist.lines:
        picked[line.sku] = picked.get(line.sku, 0) + line.picked
    return picked


def _pack(uow: UnitOfWork, order_id: int, picked: dict[str, int], weight_g: int) -> None:
    for sku, quantity in sorted(picked.items()):
        if quantity:
            packing.pack_item(uow, packing.PackItem(order_id=order_id, scanned_barcode=sku, quantity=quantity))
    packing.close_parcel(uow, packing.CloseParcel(order_id=order_id, parcel_no=1, weight_grams=weight_g,
                                                  length_mm=400, width_mm=300, height_mm=200))


def sell(engine: Engine, owner: Actor, picker: Actor, rng: random.Random, steps: Steps,
         past: Callable[[Commerce, list[tuple[int, str, AddressIn]]], None] | None = None) -> None:
    """Configure the shop's shipping and payment, register customers, let `past` tell earlier weeks' sales (the
    demo's history.py), and take today's orders through to every state."""
    advance = steps.task("Shipping, payment, customers and orders",
                         2 + len(CUSTOMERS) + WEB_ORDERS + len(PHONE_BUYERS) + 3)
    commerce = perform(engine, owner, _configure)
    advance(1)
    shop = Actor(tenant_id=owner.tenant_id, user_id=None, name="storefront", permissions=STOREFRONT)
    registered = perform(engine, shop, _register, advance)
    if past is not None:
        past(commerce, registered)
    skus = read(engine, owner, _sellable)
    advance(1)

    def basket() -> dict[str, int]:
        return {sku: rng.choice((1, 1, 1, 2, 2, 4)) for sku in rng.sample(skus, rng.randint(1, 3))}

    web_orders = []
    for n in range(WEB_ORDERS):
        if n % 5 == 4:  # a guest now and then
            name, line1, postcode, city, country = GUESTS[n // 5 % len(GUESTS)]
            customer_id, email = None, f"{name.split()[0].lower()}.{n}@example.net"
            address = _address(name, (line1, postcode, city, country))
        else:
            customer_id, email, address = registered[n % len(registered)]
        method = "DPD-EXP" if address.country == "DE" and n % 6 == 1 else "DHL-STD"
        web_orders.append(_web_order(engine, shop, commerce, basket(), email, address, method, customer_id, rng))
        advance(1)

    phone_orders = []
    for name, email, phone, where in PHONE_BUYERS:
        phone_orders.append(perform(engine, owner, staff_order.create_staff_order, staff_order.StaffOrder(
            channel_id=commerce.channel_id, email=email, customer_name=name, customer_phone=phone,
            shipping_address=_address(name, where, phone), shipping_method_id=commerce.methods["DHL-STD"],
            payment_method_id=commerce.bank_id, lines=[staff_order.StaffLine(sku=sku, quantity=quantity * 5)
                                                       for sku, quantity in basket().items()],
            note="ordered by phone", idempotency_key=uuid.UUID(int=rng.getrandbits(128)).hex)).order_id)
        advance(1)
    # The money of all but the last phone order has come in; that one waits for its bank transfer.
    for k, order_id in enumerate(phone_orders[:-1]):
        perform(engine, owner, orders.mark_paid, order_id, f"bank transfer {utcnow():%Y%m%d}-{k + 1}")
    # A customer changed their mind before the order was picked.
    perform(engine, owner, orders.cancel_order, web_orders[-1], "the customer found the part locally")
    advance(1)

    # Shipped: picked, packed and handed to the carrier; some delivered since, the oldest invoiced.
    shipped: list[int] = []
    while len(shipped) < SHIPPED:
        _, lists = _pick_wave(engine, picker, SHIPPED - len(shipped))
        for list_id, order_id in lists:
            picked = _pick(engine, picker, list_id)
            perform(engine, picker, _pack, order_id, picked, 400 + 350 * sum(picked.values()))
            perform(engine, picker, packing.ship_packed_order, packing.ShipPacked(order_id=order_id))
            shipped.append(order_id)
    for order_id in shipped[:DELIVERED]:
        perform(engine, owner, orders.mark_delivered, order_id)
    for order_id in shipped[:INVOICED]:
        perform(engine, owner, orders.invoice_order, order_id)
    advance(1)

    # A wave in progress: one order packed and waiting for the carrier, one picked, the others still to pick.
    _, lists = _pick_wave(engine, picker, OPEN_WAVE)
    for k, (list_id, order_id) in enumerate(lists[:2]):
        picked = _pick(engine, picker, list_id)
        if k == 0:
            perform(engine, picker, _pack, order_id, picked, 400 + 350 * sum(picked.values()))
    advance(1)


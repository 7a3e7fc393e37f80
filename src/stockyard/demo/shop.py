"""The demo web shop: the storefront channel "web" (served at / as the configured fallback shop), a retail price
list over every demo SKU with a quantity break, the attributes the shop filters by (vehicle, position, disc
diameter), equivalents (the same OEM part from several brands, the same bulb from two brands), a few superseded
articles and related items (pads bought together with the discs of the same vehicle). Built through the services.
"""

import random
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, select

from stockyard.catalog import attributes, pricing, relations
from stockyard.catalog.models import Sku
from stockyard.core.actor import Actor
from stockyard.core.money import round_money
from stockyard.core.progress import Steps
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.demo.parts import DemoProduct
from stockyard.sales.channels import ChannelIn, create_channel

CHANNEL = "web"
MARKUP = Decimal("1.85")
BREAK_AT = 10  # units from which the quantity price applies
BREAK_FACTOR = Decimal("0.92")
_CHUNK = 100


def _vehicle(product: DemoProduct) -> str | None:
    found = re.search(r" for (.+?)\. ", product.command.description)
    return found.group(1) if found else None


def _ids(uow: UnitOfWork) -> dict[str, int]:
    return {code: sku_id for code, sku_id in uow.execute(select(Sku.code, Sku.id))}


def _prices(uow: UnitOfWork, list_id: int, items: list[tuple[str, Decimal]]) -> None:
    for code, cost in items:
        retail = round_money(cost * MARKUP)
        pricing.set_sku_prices(uow, list_id, pricing.SetSkuPrices(sku=code, tiers=[
            pricing.TierIn(min_quantity=1, unit_price=retail),
            pricing.TierIn(min_quantity=BREAK_AT, unit_price=round_money(retail * BREAK_FACTOR))]))


def _attribute_values(uow: UnitOfWork, values: list[tuple[int, dict[int, str]]]) -> None:
    for sku_id, by_attribute in values:
        attributes.set_sku_attributes(uow, sku_id, by_attribute)


def _relations(uow: UnitOfWork, ids: dict[str, int], groups: list[list[str]],
               replaced: list[tuple[str, str, date]], related: list[tuple[str, str]]) -> None:
    for codes in groups:
        for other in codes[1:]:
            relations.add_equivalent(uow, ids[codes[0]], other)
    for old, new, effective_on in replaced:
        relations.set_replacement(uow, ids[old], relations.SetReplacement(replaced_by=new, effective_on=effective_on))
    for code, other in related:
        relations.add_related(uow, ids[code], relations.AddRelated(related=other, kind="bought_together"))


def build_shop(engine: Engine, owner: Actor, products: list[DemoProduct], rng: random.Random, steps: Steps) -> None:
    advance = steps.task("Web shop: prices, attributes, equivalents", 4)
    perform(engine, owner, create_channel, ChannelIn(code=CHANNEL, name="Demo Parts Co. web shop", currency="EUR"))
    list_id = perform(engine, owner, pricing.create_price_list,
                      pricing.PriceListIn(name="Web retail", channel=CHANNEL))
    priced = [(s.code, s.unit_cost) for p in products for s in p.skus]
    for start in range(0, len(priced), _CHUNK):
        perform(engine, owner, _prices, list_id, priced[start: start + _CHUNK])
    advance(1)

    vehicle = perform(engine, owner, attributes.define_attribute,
                      attributes.AttributeIn(name="Vehicle", type="text"))
    position = perform(engine, owner, attributes.define_attribute,
                       attributes.AttributeIn(name="Position", type="choice", choices="front\nrear"))
    diameter = perform(engine, owner, attributes.define_attribute,
                       attributes.AttributeIn(name="Disc diameter", type="number", unit="mm"))
    ids = read(engine, owner, _ids)
    values: list[tuple[int, dict[int, str]]] = []
    for product in products:
        name = product.command.name
        found: dict[int, str] = {}
        if (car := _vehicle(product)) is not None:
            found[vehicle] = car
        for side in ("front", "rear"):
            if f", {side}" in name:
                found[position] = side
        if (size := re.search(r"(\d+) mm", name)) and product.command.category == "Brakes/Discs":
            found[diameter] = size.group(1)
        values += [(ids[s.code], found) for s in product.skus if found]
    for start in range(0, len(values), _CHUNK):
        perform(engine, owner, _attribute_values, values[start: start + _CHUNK])
    advance(1)

    # Equivalents: the brands' offers of one OEM part; general parts with the same name (an H7 bulb is an H7 bulb).
    by_part: dict[tuple[str, str], list[str]] = defaultdict(list)
    for product in products:
        key = (product.command.part_number or product.command.name, product.command.category or "")
        by_part[key].append(product.skus[0].code)
    groups = [sorted(codes) for codes in by_part.values() if len(codes) > 1]
    # Superseded articles: in a few groups, one brand's article now points to another's.
    replaced = [(g[0], g[1], date(2025, rng.randint(1, 12), 1)) for g in rng.sample(groups, min(8, len(groups)))]
    pads: dict[str, str] = {}
    discs: dict[str, str] = {}
    for product in products:
        car = _vehicle(product)
        if car and product.command.category == "Brakes/Pads" and "front" in product.command.name:
            pads.setdefault(car, product.skus[0].code)
        if car and product.command.category == "Brakes/Discs" and "front" in product.command.name:
            discs.setdefault(car, product.skus[0].code)
    related = [(pads[car], discs[car]) for car in sorted(pads) if car in discs]
    advance(1)
    perform(engine, owner, _relations, ids, groups, replaced, related)
    advance(1)

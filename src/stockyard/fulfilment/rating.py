"""The rate engine: what each shipping method costs for one parcel to one address, when it arrives, and why.

Pure: the caller loads the configuration (fulfilment/quotes.py) and passes it in; nothing here reads a clock or
a database. Rules:
- the destination's zone is the first matching zone in (position, id) order (fulfilment/domain.py);
- chargeable weight = max(actual weight, dimensional weight), dimensional weight in grams = volume in mm³ divided
  by the method's divisor (5000 gives the usual cm³/5000 kg), rounded up; a divisor of 0 means no dimensional
  weight;
- every rate table a method has for the zone (bases `weight`, `order_value`, `item_count`) must have a band for
  the parcel, and the method's price is the sum of those bands' prices; a method with no table for the zone, or
  whose parcel falls outside a table's bands, is not offered (the reason is kept for debugging);
- a rate table applies to parcels from any warehouse, or only to parcels leaving one warehouse (the origin): when
  a method has tables for the zone from the parcel's origin, those are used and the any-origin tables of that
  zone are not (so "Berlin → Germany 4.90" can stand beside a general "→ Germany 6.90");
- surcharges are added: remote area (the postcode matches one of the method's remote-area patterns) and oversize
  (the parcel's longest side exceeds the method's limit);
- an order value at or above the zone's free-shipping threshold makes the whole price 0.00;
- the cost is rounded half-even to cents; the promised date is the ship date plus the origin's handling days
  plus the method's transit days, counted in working days (Monday to Friday).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from stockyard.core.money import round_money
from stockyard.fulfilment.domain import Address, Band, PostcodePattern, ZoneRule, band_for, zone_for

BASES = ("weight", "order_value", "item_count")
UNITS = {"weight": "g", "item_count": "items"}


@dataclass(frozen=True)
class Zone:
    rule: ZoneRule
    name: str


@dataclass(frozen=True)
class Parcel:
    """What is being shipped: totals over the order lines."""

    weight_g: int
    volume_mm3: int = 0
    item_count: int = 1
    order_value: Decimal = Decimal(0)
    longest_side_mm: int = 0


@dataclass(frozen=True)
class Item:
    """One unit of an order line: its weight, size and value."""

    weight_g: int
    volume_mm3: int = 0
    longest_side_mm: int = 0
    unit_value: Decimal = Decimal(0)


def parcel_of(items: Iterable[tuple[Item, int]]) -> Parcel:
    """The parcel holding `quantity` units of each item."""
    weight = volume = count = longest = 0
    value = Decimal(0)
    for item, quantity in items:
        weight += item.weight_g * quantity
        volume += item.volume_mm3 * quantity
        count += quantity
        longest = max(longest, item.longest_side_mm)
        value += item.unit_value * quantity
    return Parcel(weight_g=weight, volume_mm3=volume, item_count=count, order_value=value, longest_side_mm=longest)


@dataclass(frozen=True)
class Origin:
    warehouse_id: int
    name: str
    handling_days: int = 1


@dataclass(frozen=True)
class MethodRule:
    method_id: int
    code: str
    name: str
    currency: str
    carrier_code: str = ""
    carrier_name: str = ""
    transit_days: int = 2
    dim_divisor: int = 5000
    # (zone id, basis) → bands sorted by lower bound: tables for parcels from any warehouse.
    tables: Mapping[tuple[int, str], tuple[Band, ...]] = field(default_factory=dict)
    # (origin warehouse id, zone id, basis) → bands: tables only for parcels leaving that warehouse.
    origin_tables: Mapping[tuple[int, int, str], tuple[Band, ...]] = field(default_factory=dict)
    # zone id → order value at or above which this method ships free.
    free_thresholds: Mapping[int, Decimal] = field(default_factory=dict)
    remote_area_surcharge: Decimal = Decimal(0)
    remote_area_patterns: tuple[PostcodePattern, ...] = ()
    oversize_surcharge: Decimal = Decimal(0)
    oversize_length_mm: int = 0


@dataclass(frozen=True)
class RatedOption:
    method: MethodRule
    cost: Decimal
    promised_date: date
    explanation: tuple[str, ...]


@dataclass(frozen=True)
class NotOffered:
    method: MethodRule
    reason: str


@dataclass(frozen=True)
class RateResult:
    zone: Zone | None
    options: tuple[RatedOption, ...] = ()
    not_offered: tuple[NotOffered, ...] = ()


# ---- formatting -------------------------------------------------------------------------------------------------

def fmt_number(value: Decimal | int) -> str:
    """Whole numbers with thousands separators ("2,400"), others as they are ("0.5")."""
    number = Decimal(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def fmt_money(value: Decimal) -> str:
    return f"{round_money(value):,.2f}"


def _band_text(basis: str, band: Band, currency: str) -> str:
    if basis == "order_value":
        low, high = fmt_money(band.lower), None if band.upper is None else fmt_money(band.upper)
        unit = f"{currency} order value"
    else:
        low, high = fmt_number(band.lower), None if band.upper is None else fmt_number(band.upper)
        unit = UNITS[basis]
    span = f"{low} {unit} and over" if high is None else f"{low}–{high} {unit}"
    return f"band {span}: {fmt_money(band.price)}"


def _zone_text(zone: Zone, address: Address) -> str:
    where = ", ".join(part for part in (address.postcode.strip() and f"postcode {address.postcode.strip()}",
                                        address.region.strip() and f"region {address.region.strip()}") if part)
    return f"zone {zone.name} ({where or address.country.strip().upper()})"


# ---- arithmetic -------------------------------------------------------------------------------------------------

def dimensional_weight(volume_mm3: int, divisor: int) -> int:
    """Grams: volume in mm³ / divisor, rounded up; 0 when the divisor is 0 (no dimensional weight)."""
    if divisor <= 0 or volume_mm3 <= 0:
        return 0
    return -(-volume_mm3 // divisor)


def add_working_days(start: date, days: int) -> date:
    """`days` working days (Monday–Friday) after `start`; a result on a weekend moves to the Monday."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    while current.weekday() >= 5:
        current += timedelta(days=1)
    return current


def promised_date(today: date, origin: Origin, method: MethodRule) -> date:
    return add_working_days(today, origin.handling_days + method.transit_days)


def rate_method(method: MethodRule, zone: Zone, address: Address, parcel: Parcel, origin: Origin,
                today: date) -> RatedOption | NotOffered:
    zone_id = zone.rule.zone_id
    from_origin = {basis: bands for basis in BASES
                   if (bands := method.origin_tables.get((origin.warehouse_id, zone_id, basis)))}
    tables = from_origin or {basis: method.tables[(zone_id, basis)] for basis in BASES
                             if method.tables.get((zone_id, basis))}
    if not tables:
        return NotOffered(method, f"{method.code} has no rates for zone {zone.name} from {origin.name}"
                          if method.origin_tables else f"{method.code} has no rates for zone {zone.name}")
    steps = [_zone_text(zone, address)]
    if from_origin:
        steps.append(f"rates for parcels from {origin.name}")
    total = Decimal(0)
    values: dict[str, Decimal] = {"order_value": parcel.order_value, "item_count": Decimal(parcel.item_count)}
    if "weight" in tables:
        dim = dimensional_weight(parcel.volume_mm3, method.dim_divisor)
        chargeable = max(parcel.weight_g, dim)
        if dim > parcel.weight_g:
            steps.append(f"chargeable weight {fmt_number(chargeable)} g (dimensional {fmt_number(dim)} g > actual "
                         f"{fmt_number(parcel.weight_g)} g)")
        elif method.dim_divisor > 0:
            steps.append(f"chargeable weight {fmt_number(chargeable)} g (actual {fmt_number(parcel.weight_g)} g ≥ "
                         f"dimensional {fmt_number(dim)} g)")
        else:
            steps.append(f"chargeable weight {fmt_number(chargeable)} g (actual weight; no dimensional weight)")
        values["weight"] = Decimal(chargeable)
    if "item_count" in tables:
        steps.append(f"{fmt_number(parcel.item_count)} items")
    if "order_value" in tables:
        steps.append(f"order value {fmt_money(parcel.order_value)} {method.currency}")
    for basis in BASES:
        if basis not in tables:
            continue
        band = band_for(tables[basis], values[basis])
        if band is None:
            shown = fmt_money(values[basis]) if basis == "order_value" else fmt_number(values[basis])
            unit = method.currency if basis == "order_value" else UNITS[basis]
            return NotOffered(method, f"{method.code}: no {basis.replace('_', ' ')} band for {shown} {unit} "
                                      f"in zone {zone.name}")
        steps.append(_band_text(basis, band, method.currency))
        total += band.price
    if method.remote_area_surcharge > 0 and any(p.matches(address.postcode) for p in method.remote_area_patterns):
        total += method.remote_area_surcharge
        steps.append(f"remote area surcharge +{fmt_money(method.remote_area_surcharge)}")
    if (method.oversize_surcharge > 0 and method.oversize_length_mm > 0
            and parcel.longest_side_mm > method.oversize_length_mm):
        total += method.oversize_surcharge
        steps.append(f"oversize surcharge (longest side {fmt_number(parcel.longest_side_mm)} mm > "
                     f"{fmt_number(method.oversize_length_mm)} mm) +{fmt_money(method.oversize_surcharge)}")
    threshold = method.free_thresholds.get(zone_id)
    if threshold is not None and parcel.order_value >= threshold:
        steps.append(f"free shipping: order {fmt_money(parcel.order_value)} ≥ {fmt_money(threshold)} → 0.00")
        total = Decimal(0)
    cost = round_money(max(total, Decimal(0)))
    when = promised_date(today, origin, method)
    steps.append(f"total {fmt_money(cost)} {method.currency}")
    steps.append(f"ships from {origin.name} after {origin.handling_days} handling day(s), "
                 f"{method.transit_days} transit day(s): arrives by {when.isoformat()}")
    return RatedOption(method, cost, when, tuple(steps))


def rate(address: Address, zones: Sequence[Zone], methods: Sequence[MethodRule], parcel: Parcel, origin: Origin,
         today: date) -> RateResult:
    """Every method's price for this parcel to this address, cheapest first; methods that cannot serve it are
    listed in `not_offered` with the reason. No zone for the address gives a result without a zone."""
    by_id = {z.rule.zone_id: z for z in zones}
    zone_id = zone_for(address, [z.rule for z in zones])
    if zone_id is None:
        return RateResult(None)
    zone = by_id[zone_id]
    options: list[RatedOption] = []
    refused: list[NotOffered] = []
    for method in methods:
        outcome = rate_method(method, zone, address, parcel, origin, today)
        if isinstance(outcome, RatedOption):
            options.append(outcome)
        else:
            refused.append(outcome)
    options.sort(key=lambda o: (o.cost, o.promised_date, o.method.code))
    return RateResult(zone, tuple(options), tuple(refused))

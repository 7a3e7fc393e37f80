"""Shipping quotes for checkout: every method that can carry these lines to this address, with cost, promised date
and how the price was built (fulfilment/rating.py does the arithmetic).

This is on the checkout hot path, so it reads with Core statements and an explicit tenant filter, and keeps each
tenant's shipping configuration (zones, active methods and carriers, rate tables, free-shipping thresholds,
warehouses' handling days) in a small in-process cache:
- a cached copy lives at most `CONFIG_TTL_SECONDS`;
- every configuration service (fulfilment/config.py) drops the tenant's copy in its process when it writes, so the
  admin who changes a rate sees it at once; other processes pick the change up when their copy expires;
- a quote that finds its copy fresh costs one statement (the SKUs' weights and sizes); a miss adds four.
Quoting only reads: it needs an actor (the tenant: a storefront visitor or staff) but no staff permission.
A parcel leaves from `origin_warehouse_id` (its handling days, and its own rate tables where it has some); without
it, from the first active warehouse by priority. `origin_rates` prices parcels from every warehouse for allocation.
"""

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Engine, Integer, Numeric, Row, cast, literal, null, or_, select, union_all

from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.iso_codes import check_country, check_currency
from stockyard.core.uow import UnitOfWork
from stockyard.fulfilment.domain import Address, Band, ZoneRule, parse_patterns, zone_for
from stockyard.fulfilment.models import Carrier, FreeShippingThreshold, ShippingMethod, ShippingRate, ShippingZone
from stockyard.fulfilment.rating import MethodRule, Origin, Parcel, RatedOption, Zone, rate, rate_method
from stockyard.inventory.models import Warehouse

log = logging.getLogger(__name__)
CONFIG_TTL_SECONDS = 30.0


class Destination(BaseModel):
    """Where the parcel goes; the other fields of a full address (name, street, city) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    country: str = Field(min_length=2, max_length=2)
    postcode: str = Field(default="", max_length=20)
    region: str = Field(default="", max_length=120)


class QuoteLine(BaseModel):
    """One order line: the SKU by id (`sku_id`) or by code (`sku`), and how many."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku_id: int | None = None
    sku: str | None = Field(default=None, min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=100_000)

    @model_validator(mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"sku_id": value[0], "quantity": value[1]}
        return value

    @model_validator(mode="after")
    def _one_sku(self) -> "QuoteLine":
        if (self.sku_id is None) == (self.sku is None):
            raise ValueError("name the SKU by id or by code")
        return self


class QuoteRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    destination: Destination
    lines: list[QuoteLine] = Field(min_length=1, max_length=500)
    order_value: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    currency: str = Field(min_length=3, max_length=3)
    origin_warehouse_id: int | None = None


class ShippingOption(BaseModel):
    model_config = ConfigDict(frozen=True)

    method_id: int
    code: str
    name: str
    carrier_code: str
    carrier_name: str
    cost: Decimal
    currency: str
    promised_date: date
    explanation: list[str]


@dataclass(frozen=True)
class QuoteResult:
    zone_name: str
    options: list[ShippingOption]
    not_offered: list[str]  # why each other method of the currency was left out (for staff, for debugging)


# ---- the tenant's shipping configuration, cached --------------------------------------------------------------

@dataclass(frozen=True)
class ShippingConfig:
    zones: tuple[Zone, ...]
    methods: tuple[MethodRule, ...]
    origins: dict[int, Origin]
    default_origin: Origin | None


_cache: dict[tuple[str, int], tuple[float, ShippingConfig]] = {}
_cache_lock = threading.Lock()


def _cache_key(engine: Engine, tenant_id: int) -> tuple[str, int]:
    return engine.url.render_as_string(hide_password=True), tenant_id


def forget_shipping_config(engine: Engine, tenant_id: int) -> None:
    """Drop this process's cached copy of the tenant's shipping configuration (called on every change)."""
    with _cache_lock:
        _cache.pop(_cache_key(engine, tenant_id), None)


def shipping_config(uow: UnitOfWork) -> ShippingConfig:
    key = _cache_key(uow.engine, uow.tenant_id)
    now = time.monotonic()
    with _cache_lock:
        found = _cache.get(key)
    if found is not None and now - found[0] < CONFIG_TTL_SECONDS:
        return found[1]
    config = _load_config(uow)
    with _cache_lock:
        _cache[key] = (now, config)
    return config


def _load_config(uow: UnitOfWork) -> ShippingConfig:
    tenant = uow.tenant_id
    z, m, c = ShippingZone.__table__, ShippingMethod.__table__, Carrier.__table__
    r, f, w = ShippingRate.__table__, FreeShippingThreshold.__table__, Warehouse.__table__
    zones = tuple(
        Zone(ZoneRule(row.id, frozenset(row.countries), row.region, tuple(parse_patterns(row.postcode_patterns)),
                      row.position), row.name)
        for row in uow.conn.execute(select(z.c.id, z.c.name, z.c.countries, z.c.region, z.c.postcode_patterns,
                                           z.c.position).where(z.c.tenant_id == tenant, z.c.active.is_(True))))
    method_rows = list(uow.conn.execute(
        select(m, c.c.code.label("carrier_code"), c.c.name.label("carrier_name"))
        .join(c, c.c.id == m.c.carrier_id)
        .where(m.c.tenant_id == tenant, m.c.active.is_(True), c.c.active.is_(True)).order_by(m.c.code)))
    tables: dict[int, dict[tuple[int, str], list[Band]]] = {}
    origin_tables: dict[int, dict[tuple[int, int, str], list[Band]]] = {}
    free: dict[int, dict[int, Decimal]] = {}
    bands_and_thresholds = union_all(
        select(r.c.method_id, r.c.zone_id, r.c.basis, r.c.lower, r.c.upper, r.c.price, r.c.origin_warehouse_id)
        .where(r.c.tenant_id == tenant),
        select(f.c.method_id, f.c.zone_id, literal("free"), f.c.threshold, cast(null(), Numeric(14, 4)),
               cast(literal(0), Numeric(12, 4)), cast(null(), Integer)).where(f.c.tenant_id == tenant),
    )
    for row in uow.conn.execute(bands_and_thresholds):
        method_id, zone_id, basis, lower, upper, price, origin = row
        if basis == "free":
            free.setdefault(method_id, {})[zone_id] = Decimal(lower)
            continue
        band = Band(Decimal(lower), None if upper is None else Decimal(upper), Decimal(price))
        if origin is None:
            tables.setdefault(method_id, {}).setdefault((zone_id, basis), []).append(band)
        else:
            origin_tables.setdefault(method_id, {}).setdefault((origin, zone_id, basis), []).append(band)
    methods = tuple(_method_rule(row, tables.get(row.id, {}), origin_tables.get(row.id, {}), free.get(row.id, {}))
                    for row in method_rows)
    warehouses = list(uow.conn.execute(select(w.c.id, w.c.name, w.c.handling_days).where(
        w.c.tenant_id == tenant, w.c.active.is_(True)).order_by(w.c.priority, w.c.id)))
    origins = {row.id: Origin(row.id, row.name, row.handling_days) for row in warehouses}
    return ShippingConfig(zones, methods, origins, origins[warehouses[0].id] if warehouses else None)


def _method_rule(row: Row[Any], tables: dict[tuple[int, str], list[Band]],
                 origin_tables: dict[tuple[int, int, str], list[Band]], free: dict[int, Decimal]) -> MethodRule:
    return MethodRule(
        method_id=row.id, code=row.code, name=row.name, currency=row.currency, carrier_code=row.carrier_code,
        carrier_name=row.carrier_name, transit_days=row.transit_days, dim_divisor=row.dim_divisor,
        tables={key: tuple(sorted(bands, key=lambda b: b.lower)) for key, bands in tables.items()},
        origin_tables={key: tuple(sorted(bands, key=lambda b: b.lower)) for key, bands in origin_tables.items()},
        free_thresholds=free, remote_area_surcharge=Decimal(row.remote_area_surcharge),
        remote_area_patterns=tuple(parse_patterns(row.remote_area_patterns, "remote_area_patterns")),
        oversize_surcharge=Decimal(row.oversize_surcharge), oversize_length_mm=row.oversize_length_mm)


# ---- quoting --------------------------------------------------------------------------------------------------

class Sized(Protocol):
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int


def parcel_of_items(items: Iterable[tuple[Sized, int]], order_value: Decimal) -> Parcel:
    """One parcel of these (item, quantity) pairs: weight, volume, item count and longest side."""
    weight = volume = count = longest = 0
    for item, quantity in items:
        weight += item.weight_g * quantity
        volume += item.length_mm * item.width_mm * item.height_mm * quantity
        count += quantity
        longest = max(longest, item.length_mm, item.width_mm, item.height_mm)
    return Parcel(weight_g=weight, volume_mm3=volume, item_count=count, order_value=order_value,
                  longest_side_mm=longest)


def parcel_for(uow: UnitOfWork, lines: list[QuoteLine], order_value: Decimal) -> Parcel:
    """Totals over the lines from the SKUs' weights and sizes, in one statement."""
    s = Sku.__table__
    ids = [line.sku_id for line in lines if line.sku_id is not None]
    codes = [line.sku.strip() for line in lines if line.sku is not None]
    conditions = []
    if ids:
        conditions.append(s.c.id.in_(ids))
    if codes:
        conditions.append(s.c.code.in_(codes))
    rows = list(uow.conn.execute(select(s.c.id, s.c.code, s.c.weight_g, s.c.length_mm, s.c.width_mm, s.c.height_mm)
                                 .where(s.c.tenant_id == uow.tenant_id, or_(*conditions))))
    by_id = {row.id: row for row in rows}
    by_code = {row.code: row for row in rows}
    items = []
    for index, line in enumerate(lines):
        row = by_id.get(line.sku_id) if line.sku_id is not None else by_code.get((line.sku or "").strip())
        if row is None:
            field = "sku_id" if line.sku_id is not None else "sku"
            raise NotFound(f"unknown SKU {line.sku_id if line.sku_id is not None else line.sku}",
                           field=f"lines[{index}].{field}")
        items.append((row, line.quantity))
    return parcel_of_items(items, order_value)


def quote_details(uow: UnitOfWork, req: QuoteRequest, today: date | None = None,
                  parcel: Parcel | None = None) -> QuoteResult:
    """`parcel`: the lines' parcel when the caller read their sizes already (checkout), else read here."""
    if uow.actor is None:
        raise PermissionDenied("a quote is made for a shop: no tenant is known", field="tenant")
    currency = check_currency(req.currency)
    country = check_country(req.destination.country, field="shipping_address.country")
    address = Address(country, req.destination.postcode.strip(), req.destination.region.strip())
    config = shipping_config(uow)
    if req.origin_warehouse_id is None:
        origin = config.default_origin
        if origin is None:
            raise Conflict("there is no active warehouse to ship from", field="origin_warehouse_id")
    else:
        origin = config.origins.get(req.origin_warehouse_id)
        if origin is None:
            raise NotFound(f"unknown warehouse {req.origin_warehouse_id}", field="origin_warehouse_id")
    if parcel is None:
        parcel = parcel_for(uow, list(req.lines), req.order_value)
    methods = [m for m in config.methods if m.currency == currency]
    result = rate(address, config.zones, methods, parcel, origin, today or utcnow().date())
    if result.zone is None:
        shown = " ".join(part for part in (country, address.postcode) if part)
        raise ValidationFailed(f"we do not ship to {shown}", field="shipping_address")
    reasons = [n.reason for n in result.not_offered]
    if reasons:
        log.debug("shipping methods not offered: %s", "; ".join(reasons))
    options = [ShippingOption(method_id=o.method.method_id, code=o.method.code, name=o.method.name,
                              carrier_code=o.method.carrier_code, carrier_name=o.method.carrier_name, cost=o.cost,
                              currency=o.method.currency, promised_date=o.promised_date,
                              explanation=list(o.explanation)) for o in result.options]
    return QuoteResult(result.zone.name, options, reasons)


def quote(uow: UnitOfWork, req: QuoteRequest, today: date | None = None,
          parcel: Parcel | None = None) -> list[ShippingOption]:
    """Every shipping option for these lines to this address, cheapest first. An address outside every zone is
    refused (ValidationFailed on `shipping_address`); a parcel no method can carry gives an empty list."""
    return quote_details(uow, req, today, parcel).options


# ---- pricing parcels from each warehouse (the cheapest-shipping allocation strategy) ------------------------

@dataclass(frozen=True)
class OriginRates:
    """Prices parcels to one address from any active warehouse: with the order's method, or with the cheapest of
    the methods in the order's currency. As for a shipment (fulfilment/shipments.py), the parcel's value counts
    for value bands and free shipping only when the method's currency is the order's."""

    zone: Zone
    address: Address
    methods: tuple[MethodRule, ...]
    origins: Mapping[int, Origin]
    order_currency: str
    today: date

    @property
    def method_name(self) -> str:
        return self.methods[0].name if len(self.methods) == 1 else "the cheapest method"

    @property
    def currency(self) -> str:
        return self.methods[0].currency

    def cost(self, warehouse_id: int, parcel: Parcel) -> Decimal | None:
        """The price of this parcel from this warehouse; None when no method can carry it from there."""
        origin = self.origins.get(warehouse_id)
        if origin is None:
            return None
        costs = []
        for method in self.methods:
            valued = parcel if method.currency == self.order_currency else replace(parcel, order_value=Decimal(0))
            outcome = rate_method(method, self.zone, self.address, valued, origin, self.today)
            if isinstance(outcome, RatedOption):
                costs.append(outcome.cost)
        return min(costs, default=None)


def origin_rates(uow: UnitOfWork, destination: Mapping[str, Any], order_currency: str, method_id: int | None,
                 today: date | None = None) -> OriginRates | None:
    """What allocation needs to compare warehouses by shipping cost, from the cached configuration (no statement
    when the copy is fresh). None when the address is in no zone or no method can be used: nothing to compare."""
    try:
        to = Destination.model_validate(destination)
    except PydanticValidationError:
        return None
    config = shipping_config(uow)
    address = Address(to.country.strip().upper(), to.postcode.strip(), to.region.strip())
    zone_id = zone_for(address, [z.rule for z in config.zones])
    if zone_id is None:
        return None
    zone = next(z for z in config.zones if z.rule.zone_id == zone_id)
    methods = tuple(m for m in config.methods if m.method_id == method_id) or tuple(
        m for m in config.methods if m.currency == order_currency)
    if not methods:
        return None
    return OriginRates(zone, address, methods, config.origins, order_currency, today or utcnow().date())

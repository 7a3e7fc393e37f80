"""Shipping configuration use cases (zones, carriers, methods, rate tables, free shipping) and their read models."""

from dataclasses import replace
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, or_, select

from stockyard.catalog.pricing_domain import check_price
from stockyard.core.db import Base
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.iso_codes import check_country, check_currency
from stockyard.core.outbox import add_event
from stockyard.core.pagination import Page, paginate, sorted_by
from stockyard.core.uow import UnitOfWork, requires
from stockyard.fulfilment.domain import Address, Band, ZoneRule, check_bands, parse_patterns, zone_for
from stockyard.fulfilment.models import Carrier, FreeShippingThreshold, ShippingMethod, ShippingRate, ShippingZone
from stockyard.fulfilment.quotes import forget_shipping_config
from stockyard.identity.domain import SETTINGS_MANAGE, SETTINGS_VIEW
from stockyard.inventory.models import Warehouse

M = TypeVar("M", bound=Base)
CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
Basis = Literal["weight", "order_value", "item_count"]


class ZoneIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    countries: list[str] = Field(min_length=1, max_length=300)
    region: str = Field(default="", max_length=120)
    postcode_patterns: list[str] = Field(default_factory=list, max_length=500)
    position: int = Field(default=0, ge=0, le=100000)
    active: bool = True


class CarrierIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    name: str = Field(min_length=1, max_length=120)
    tracking_url: str = Field(default="", max_length=300, pattern=r"^(https?://\S*\{tracking\}\S*)?$")
    active: bool = True


class MethodIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    carrier: str = Field(min_length=1, description="carrier code")
    code: str = Field(min_length=1, max_length=40, pattern=CODE)
    name: str = Field(min_length=1, max_length=120)
    currency: str = Field(min_length=3, max_length=3)
    remote_area_surcharge: Decimal = Decimal(0)
    remote_area_patterns: list[str] = Field(default_factory=list, max_length=500)
    oversize_surcharge: Decimal = Decimal(0)
    oversize_length_mm: int = Field(default=0, ge=0)
    transit_days: int = Field(default=2, ge=0, le=365, description="working days from handover to delivery")
    dim_divisor: int = Field(default=5000, ge=0, le=1_000_000,
                             description="dimensional weight (g) = L×W×H (mm³) / divisor; 0: actual weight only")
    cutoff_time: str = Field(default="", pattern=r"^$|^([01][0-9]|2[0-3]):[0-5][0-9]$",
                             description="HH:MM by which the carrier collects the day's parcels (pick waves group "
                                         "by it); empty: none")
    active: bool = True


class BandIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    lower: Decimal
    upper: Decimal | None = None
    price: Decimal


class SetRateTable(BaseModel):
    """Replaces the method's rate table for one zone, basis and origin; no bands removes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    zone_id: int
    basis: Basis
    bands: list[BandIn] = Field(default_factory=list, max_length=100)
    origin_warehouse_id: int | None = Field(
        default=None, description="only for parcels leaving this warehouse (they then ignore the zone's any-origin "
                                  "tables); none: parcels from any warehouse")


class SetFreeShipping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    zone_id: int
    threshold: Decimal | None = Field(default=None, description="none removes the threshold")


# ---- helpers --------------------------------------------------------------------------------------------------

def _changed(uow: UnitOfWork, event: str, payload: dict[str, Any]) -> None:
    """Every configuration change: its event (and audit row), and the quote engine's cached copy of this tenant's
    configuration is dropped in this process (other processes see the change when their copy expires)."""
    add_event(uow, event, payload)
    forget_shipping_config(uow.engine, uow.tenant_id)


def _load(uow: UnitOfWork, model: type[M], object_id: int, what: str, field: str) -> M:
    found = uow.execute(select(model).where(model.id == object_id)).scalar_one_or_none()  # type: ignore[attr-defined]
    if found is None:
        raise NotFound(f"unknown {what} {object_id}", field=field)
    return found


def _unique(uow: UnitOfWork, column: Any, value: str, field: str, except_id: int | None, what: str) -> None:
    stmt = select(column.class_.id).where(func.lower(column) == value.lower())
    if except_id is not None:
        stmt = stmt.where(column.class_.id != except_id)
    if uow.execute(stmt).first() is not None:
        raise Conflict(f"a {what} '{value}' exists already", field=field)


def _columns(obj: Base, names: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = str(value) if isinstance(value, Decimal) else value
    return out


ZONE_FIELDS = ("id", "name", "countries", "region", "postcode_patterns", "position", "active")
CARRIER_FIELDS = ("id", "code", "name", "tracking_url", "active")
METHOD_FIELDS = ("id", "carrier_id", "code", "name", "currency", "remote_area_surcharge", "remote_area_patterns",
                 "oversize_surcharge", "oversize_length_mm", "transit_days", "dim_divisor", "cutoff_time", "active")


def _create(uow: UnitOfWork, obj: Base, event: str, fields: tuple[str, ...]) -> int:
    uow.session.add(obj)
    uow.session.flush()
    _changed(uow, event, {"after": _columns(obj, fields)})
    return obj.id  # type: ignore[attr-defined,no-any-return]


def _update(uow: UnitOfWork, obj: Base, values: dict[str, Any], event: str, fields: tuple[str, ...]) -> None:
    before = _columns(obj, fields)
    for key, value in values.items():
        setattr(obj, key, value)
    uow.session.flush()
    _changed(uow, event, {"id": before["id"], "before": before, "after": _columns(obj, fields)})


# ---- zones ----------------------------------------------------------------------------------------------------

def _zone_values(uow: UnitOfWork, cmd: ZoneIn, except_id: int | None = None) -> dict[str, Any]:
    countries: list[str] = []
    for value in cmd.countries:
        if value.strip():
            code = check_country(value, field="countries")
            if code not in countries:
                countries.append(code)
    if not countries:
        raise ValidationFailed("name at least one country", field="countries")
    patterns = [p.text for p in parse_patterns(cmd.postcode_patterns)]
    _unique(uow, ShippingZone.name, cmd.name.strip(), "name", except_id, "zone named")
    return {"name": cmd.name.strip(), "countries": countries, "region": cmd.region.strip(),
            "postcode_patterns": patterns, "position": cmd.position, "active": cmd.active}


def create_zone(uow: UnitOfWork, cmd: ZoneIn) -> int:
    uow.require(SETTINGS_MANAGE)
    return _create(uow, ShippingZone(tenant_id=uow.tenant_id, **_zone_values(uow, cmd)), "shipping_zone.created.v1",
                   ZONE_FIELDS)


def update_zone(uow: UnitOfWork, zone_id: int, cmd: ZoneIn) -> None:
    uow.require(SETTINGS_MANAGE)
    zone = _load(uow, ShippingZone, zone_id, "zone", "zone_id")
    _update(uow, zone, _zone_values(uow, cmd, zone_id), "shipping_zone.updated.v1", ZONE_FIELDS)


def delete_zone(uow: UnitOfWork, zone_id: int) -> None:
    """Refused while a rate table or free-shipping threshold uses the zone."""
    uow.require(SETTINGS_MANAGE)
    zone = _load(uow, ShippingZone, zone_id, "zone", "zone_id")
    used = uow.execute(select(ShippingRate.id).where(ShippingRate.zone_id == zone_id).limit(1)).first() or \
        uow.execute(select(FreeShippingThreshold.id).where(FreeShippingThreshold.zone_id == zone_id).limit(1)).first()
    if used:
        raise Conflict(f"zone '{zone.name}' has rates; remove them or deactivate the zone", field="zone_id")
    before = _columns(zone, ZONE_FIELDS)
    uow.session.delete(zone)
    uow.session.flush()
    _changed(uow, "shipping_zone.deleted.v1", {"id": zone_id, "before": before})


# ---- carriers -------------------------------------------------------------------------------------------------

def create_carrier(uow: UnitOfWork, cmd: CarrierIn) -> int:
    uow.require(SETTINGS_MANAGE)
    _unique(uow, Carrier.code, cmd.code, "code", None, "carrier with the code")
    return _create(uow, Carrier(tenant_id=uow.tenant_id, **cmd.model_dump()), "carrier.created.v1", CARRIER_FIELDS)


def update_carrier(uow: UnitOfWork, carrier_id: int, cmd: CarrierIn) -> None:
    uow.require(SETTINGS_MANAGE)
    carrier = _load(uow, Carrier, carrier_id, "carrier", "carrier_id")
    _unique(uow, Carrier.code, cmd.code, "code", carrier_id, "carrier with the code")
    _update(uow, carrier, cmd.model_dump(), "carrier.updated.v1", CARRIER_FIELDS)


def delete_carrier(uow: UnitOfWork, carrier_id: int) -> None:
    """Refused while the carrier has shipping methods."""
    uow.require(SETTINGS_MANAGE)
    carrier = _load(uow, Carrier, carrier_id, "carrier", "carrier_id")
    if uow.execute(select(ShippingMethod.id).where(ShippingMethod.carrier_id == carrier_id).limit(1)).first():
        raise Conflict(f"carrier '{carrier.code}' has shipping methods; delete them first", field="carrier_id")
    before = _columns(carrier, CARRIER_FIELDS)
    uow.session.delete(carrier)
    uow.session.flush()
    _changed(uow, "carrier.deleted.v1", {"id": carrier_id, "before": before})


# ---- methods --------------------------------------------------------------------------------------------------

def _method_values(uow: UnitOfWork, cmd: MethodIn, except_id: int | None = None) -> dict[str, Any]:
    carrier = uow.execute(select(Carrier).where(func.lower(Carrier.code) == cmd.carrier.strip().lower())).scalar()
    if carrier is None:
        raise NotFound(f"unknown carrier '{cmd.carrier}'", field="carrier")
    _unique(uow, ShippingMethod.code, cmd.code, "code", except_id, "shipping method with the code")
    values = cmd.model_dump(exclude={"carrier"})
    values.update(carrier_id=carrier.id, currency=check_currency(cmd.currency),
                  remote_area_surcharge=check_price(cmd.remote_area_surcharge, "remote_area_surcharge"),
                  oversize_surcharge=check_price(cmd.oversize_surcharge, "oversize_surcharge"),
                  remote_area_patterns=[p.text for p in parse_patterns(cmd.remote_area_patterns,
                                                                       "remote_area_patterns")])
    return values


def create_method(uow: UnitOfWork, cmd: MethodIn) -> int:
    uow.require(SETTINGS_MANAGE)
    return _create(uow, ShippingMethod(tenant_id=uow.tenant_id, **_method_values(uow, cmd)),
                   "shipping_method.created.v1", METHOD_FIELDS)


def update_method(uow: UnitOfWork, method_id: int, cmd: MethodIn) -> None:
    uow.require(SETTINGS_MANAGE)
    method = _load(uow, ShippingMethod, method_id, "shipping method", "method_id")
    _update(uow, method, _method_values(uow, cmd, method_id), "shipping_method.updated.v1", METHOD_FIELDS)


def delete_method(uow: UnitOfWork, method_id: int) -> None:
    """A method owns its rate tables and free-shipping thresholds; they go with it."""
    uow.require(SETTINGS_MANAGE)
    method = _load(uow, ShippingMethod, method_id, "shipping method", "method_id")
    before = _columns(method, METHOD_FIELDS)
    uow.execute(delete(ShippingRate).where(ShippingRate.method_id == method_id))
    uow.execute(delete(FreeShippingThreshold).where(FreeShippingThreshold.method_id == method_id))
    uow.session.delete(method)
    uow.session.flush()
    _changed(uow, "shipping_method.deleted.v1", {"id": method_id, "before": before})


def _same_table(method_id: int, zone_id: int, basis: str, origin: int | None) -> tuple[Any, ...]:
    origin_column = ShippingRate.origin_warehouse_id
    return (ShippingRate.method_id == method_id, ShippingRate.zone_id == zone_id, ShippingRate.basis == basis,
            origin_column.is_(None) if origin is None else origin_column == origin)


def _bands(uow: UnitOfWork, method_id: int, zone_id: int, basis: str,
           origin: int | None) -> list[dict[str, str | None]]:
    rows = uow.execute(select(ShippingRate).where(*_same_table(method_id, zone_id, basis, origin))
                       .order_by(ShippingRate.lower)).scalars()
    return [{"lower": str(r.lower), "upper": None if r.upper is None else str(r.upper), "price": str(r.price)}
            for r in rows]


def set_rate_table(uow: UnitOfWork, method_id: int, cmd: SetRateTable) -> None:
    uow.require(SETTINGS_MANAGE)
    _load(uow, ShippingMethod, method_id, "shipping method", "method_id")
    _load(uow, ShippingZone, cmd.zone_id, "zone", "zone_id")
    origin = cmd.origin_warehouse_id
    if origin is not None:
        _load(uow, Warehouse, origin, "warehouse", "origin_warehouse_id")
    bands = check_bands([Band(b.lower, b.upper, b.price) for b in cmd.bands], whole=cmd.basis != "order_value")
    for index, band in enumerate(bands):
        check_price(band.price, f"bands[{index}].price")
    before = _bands(uow, method_id, cmd.zone_id, cmd.basis, origin)
    uow.execute(delete(ShippingRate).where(*_same_table(method_id, cmd.zone_id, cmd.basis, origin)))
    uow.session.add_all(ShippingRate(tenant_id=uow.tenant_id, method_id=method_id, zone_id=cmd.zone_id,
                                     basis=cmd.basis, lower=b.lower, upper=b.upper, price=b.price,
                                     origin_warehouse_id=origin) for b in bands)
    uow.session.flush()
    _changed(uow, "shipping_rates.set.v1", {"method_id": method_id, "zone_id": cmd.zone_id, "basis": cmd.basis,
                                             "origin_warehouse_id": origin, "before": before,
                                             "after": _bands(uow, method_id, cmd.zone_id, cmd.basis, origin)})


def set_free_shipping(uow: UnitOfWork, method_id: int, cmd: SetFreeShipping) -> None:
    uow.require(SETTINGS_MANAGE)
    _load(uow, ShippingMethod, method_id, "shipping method", "method_id")
    _load(uow, ShippingZone, cmd.zone_id, "zone", "zone_id")
    found = uow.execute(select(FreeShippingThreshold).where(FreeShippingThreshold.method_id == method_id,
                                                            FreeShippingThreshold.zone_id == cmd.zone_id)).scalar()
    before = None if found is None else str(found.threshold)
    if cmd.threshold is None:
        if found is not None:
            uow.session.delete(found)
    else:
        threshold = check_price(cmd.threshold, "threshold")
        if found is None:
            uow.session.add(FreeShippingThreshold(tenant_id=uow.tenant_id, method_id=method_id, zone_id=cmd.zone_id,
                                                  threshold=threshold))
        else:
            found.threshold = threshold
    uow.session.flush()
    after = None if cmd.threshold is None else str(check_price(cmd.threshold, "threshold"))
    _changed(uow, "free_shipping.set.v1", {"method_id": method_id, "zone_id": cmd.zone_id, "before": before,
                                            "after": after})


# ---- read models ----------------------------------------------------------------------------------------------

def _search(uow: UnitOfWork, stmt: Any, columns: list[Any], q: str, page: int, per_page: int, sort: str) -> Page[Any]:
    if q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(*(func.lower(c).like(like) for c in columns)))
    return paginate(uow.execute, stmt, page, per_page, sort)


@requires(SETTINGS_VIEW)
def list_zones(uow: UnitOfWork, q: str = "", page: int = 1, per_page: int = 50, sort: str = "") -> Page[ShippingZone]:
    """Searched by name or region; `sort` is a column key ("-key" descending), the matching order by default."""
    stmt, sort = sorted_by(select(ShippingZone), sort, {
        "position": ShippingZone.position, "name": ShippingZone.name, "region": ShippingZone.region,
        "active": ShippingZone.active}, "position")
    result = _search(uow, stmt.order_by(ShippingZone.position, ShippingZone.id), [ShippingZone.name,
                     ShippingZone.region], q, page, per_page, sort)
    return replace(result, items=[row[0] for row in result.items])


@requires(SETTINGS_VIEW)
def list_carriers(uow: UnitOfWork, q: str = "", page: int = 1, per_page: int = 50, sort: str = "") -> Page[Carrier]:
    stmt, sort = sorted_by(select(Carrier), sort, {
        "code": Carrier.code, "name": Carrier.name, "tracking_url": Carrier.tracking_url, "active": Carrier.active},
        "code")
    result = _search(uow, stmt.order_by(Carrier.code, Carrier.id), [Carrier.code, Carrier.name], q, page, per_page,
                     sort)
    return replace(result, items=[row[0] for row in result.items])


@requires(SETTINGS_VIEW)
def list_methods(uow: UnitOfWork, q: str = "", page: int = 1, per_page: int = 50, sort: str = "") -> Page[Any]:
    """Rows (method, carrier code), searched by method code or name or carrier code."""
    stmt = (select(ShippingMethod, Carrier.code.label("carrier_code"))
            .join(Carrier, Carrier.id == ShippingMethod.carrier_id))
    stmt, sort = sorted_by(stmt, sort, {
        "code": ShippingMethod.code, "name": ShippingMethod.name, "carrier": Carrier.code,
        "currency": ShippingMethod.currency, "active": ShippingMethod.active}, "code")
    return _search(uow, stmt.order_by(ShippingMethod.code, ShippingMethod.id),
                   [ShippingMethod.code, ShippingMethod.name, Carrier.code], q, page, per_page, sort)


@requires(SETTINGS_VIEW)
def get_zone(uow: UnitOfWork, zone_id: int) -> ShippingZone:
    return _load(uow, ShippingZone, zone_id, "zone", "zone_id")


@requires(SETTINGS_VIEW)
def get_carrier(uow: UnitOfWork, carrier_id: int) -> Carrier:
    return _load(uow, Carrier, carrier_id, "carrier", "carrier_id")


@requires(SETTINGS_VIEW)
def method_detail(uow: UnitOfWork, method_id: int) -> dict[str, Any]:
    method = _load(uow, ShippingMethod, method_id, "shipping method", "method_id")
    carrier = _load(uow, Carrier, method.carrier_id, "carrier", "carrier_id")
    zones = {z.id: z for z in uow.execute(select(ShippingZone).order_by(ShippingZone.position, ShippingZone.id))
             .scalars()}
    warehouses = {w.id: w for w in uow.execute(select(Warehouse).order_by(Warehouse.priority, Warehouse.id))
                  .scalars()}
    tables: dict[tuple[int, int, str], list[ShippingRate]] = {}
    for rate in uow.execute(select(ShippingRate).where(ShippingRate.method_id == method_id)).scalars():
        tables.setdefault((rate.zone_id, rate.origin_warehouse_id or 0, rate.basis), []).append(rate)
    free = {f.zone_id: f.threshold for f in uow.execute(
        select(FreeShippingThreshold).where(FreeShippingThreshold.method_id == method_id)).scalars()}
    position = {zone_id: index for index, zone_id in enumerate(zones)}
    ordered = sorted(tables.items(), key=lambda item: (position[item[0][0]], item[0][1], item[0][2]))
    return {"method": method, "carrier": carrier, "zones": list(zones.values()),
            "warehouses": list(warehouses.values()),
            "tables": [{"zone": zones[zone_id], "basis": basis, "origin": warehouses.get(origin),
                        "bands": sorted(bands, key=lambda band: band.lower)}
                       for (zone_id, origin, basis), bands in ordered],
            "free_shipping": [{"zone": zones[zone_id], "threshold": threshold} for zone_id, threshold in free.items()]}


@requires(SETTINGS_VIEW)
def carrier_choices(uow: UnitOfWork) -> list[str]:
    return list(uow.execute(select(Carrier.code).order_by(Carrier.code)).scalars())


@requires(SETTINGS_VIEW)
def zone_for_address(uow: UnitOfWork, address: Address) -> ShippingZone | None:
    """The active zone an address ships to, by the zones' order (the rate engine's entry point)."""
    zones = {z.id: z for z in uow.execute(select(ShippingZone).where(ShippingZone.active.is_(True))).scalars()}
    rules = [ZoneRule(z.id, frozenset(z.countries), z.region, tuple(parse_patterns(z.postcode_patterns)), z.position)
             for z in zones.values()]
    found = zone_for(address, rules)
    return None if found is None else zones[found]

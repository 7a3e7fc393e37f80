"""Warehouses and their location trees (zone → aisle → bin)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import insert, select, update

from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.iso_codes import check_country
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INVENTORY_CONFIGURE
from stockyard.inventory.domain import LOCATION_KINDS, LOCATION_TYPES, Usage
from stockyard.inventory.models import Location, Warehouse
from stockyard.inventory.refs import ensure_virtual_locations, resolve_warehouse

_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class WarehouseDetails(BaseModel):
    """What can be changed about a warehouse after it was created (its code cannot)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=200)
    address: str = Field(default="", max_length=2000)
    country: str = Field(default="", max_length=8, description="ISO 3166-1 alpha-2 code parcels leave from; may be "
                                                              "empty. Used by the nearest-warehouse allocation")
    postcode: str = Field(default="", max_length=20)
    priority: int = Field(default=100, ge=0, le=2_147_483_647)
    handling_days: int = Field(default=1, ge=0, le=365,
                               description="working days before a parcel leaves; part of the delivery promise")


class CreateWarehouse(WarehouseDetails):
    code: str = Field(min_length=1, max_length=16, pattern=_CODE)


class UpdateWarehouse(WarehouseDetails):
    """Replaces every changeable field: what is left out gets its default."""


DETAIL_FIELDS = ("name", "address", "country", "postcode", "priority", "handling_days")
AUDITED_FIELDS = ("code", *DETAIL_FIELDS)


def _details(cmd: WarehouseDetails) -> dict[str, Any]:
    """The command's fields, cleaned: the country as its upper-case ISO code (or empty), text trimmed."""
    return {"name": cmd.name.strip(), "address": cmd.address.strip(),
            "country": check_country(cmd.country) if cmd.country.strip() else "",
            "postcode": cmd.postcode.strip().upper(), "priority": cmd.priority, "handling_days": cmd.handling_days}


class CreateLocation(BaseModel):
    model_config = ConfigDict(frozen=True)

    warehouse: int | str
    code: str = Field(min_length=1, max_length=32, pattern=_CODE)
    parent: int | str | None = None
    name: str = ""
    kind: str = "bin"
    type: str = "storage"
    capacity: int | None = Field(default=None, ge=1, le=100_000_000)  # units it holds at most; None: not limited


def create_warehouse(uow: UnitOfWork, cmd: CreateWarehouse) -> int:
    uow.require(INVENTORY_CONFIGURE)
    code = cmd.code.upper()
    details = _details(cmd)
    if not details["name"]:
        raise ValidationFailed("a name is required", field="name")
    if uow.conn.execute(
        select(Warehouse.id).where(Warehouse.tenant_id == uow.tenant_id, Warehouse.code == code)
    ).first():
        raise Conflict(f"warehouse {code} exists", field="code")
    warehouse_id = uow.conn.execute(
        insert(Warehouse)
        .values(tenant_id=uow.tenant_id, code=code, **details)
        .returning(Warehouse.id)
    ).scalar_one()
    ensure_virtual_locations(uow)
    uow.conn.execute(
        insert(Location).values(
            tenant_id=uow.tenant_id,
            warehouse_id=warehouse_id,
            code="TRANSIT",
            path=f"@TRANSIT/{code}",
            name=f"In transit to {code}",
            usage=Usage.TRANSIT.value,
            kind="virtual",
            type="virtual",
        )
    )
    add_event(uow, "warehouse.created.v1", {"warehouse_id": warehouse_id, "code": code, **details})
    return warehouse_id


def update_warehouse(uow: UnitOfWork, ref: int | str, cmd: UpdateWarehouse) -> int:
    """Changes a warehouse's name, address, origin (country, postcode), priority and handling days."""
    uow.require(INVENTORY_CONFIGURE)
    warehouse_id = resolve_warehouse(uow, ref, "warehouse_id")
    details = _details(cmd)
    if not details["name"]:
        raise ValidationFailed("a name is required", field="name")
    t = Warehouse.__table__
    columns = [t.c[name] for name in AUDITED_FIELDS]
    row = uow.conn.execute(select(*columns).where(t.c.tenant_id == uow.tenant_id, t.c.id == warehouse_id)
                           .with_for_update()).one()
    before = dict(row._mapping)
    after = {**before, **details}
    if after == before:
        return warehouse_id
    uow.conn.execute(update(t).where(t.c.tenant_id == uow.tenant_id, t.c.id == warehouse_id)
                     .values(**details))
    add_event(uow, "warehouse.updated.v1", {"warehouse_id": warehouse_id, "code": before["code"],
                                            "before": before, "after": after})
    return warehouse_id


def create_location(uow: UnitOfWork, cmd: CreateLocation) -> int:
    uow.require(INVENTORY_CONFIGURE)
    if cmd.kind not in LOCATION_KINDS:
        raise ValidationFailed(f"must be one of {', '.join(LOCATION_KINDS)}", field="kind")
    if cmd.type not in LOCATION_TYPES:
        raise ValidationFailed(f"must be one of {', '.join(LOCATION_TYPES)}", field="type")
    warehouse_id = resolve_warehouse(uow, cmd.warehouse)
    t = Location.__table__
    if cmd.parent is None:
        parent_id = None
        prefix = uow.conn.execute(select(Warehouse.code).where(Warehouse.id == warehouse_id)).scalar_one()
    else:
        parent_stmt = select(t.c.id, t.c.path, t.c.warehouse_id, t.c.kind).where(t.c.tenant_id == uow.tenant_id)
        parent_stmt = parent_stmt.where(
            t.c.id == cmd.parent if isinstance(cmd.parent, int) else t.c.path == cmd.parent.strip().upper()
        )
        parent = uow.conn.execute(parent_stmt).first()
        if parent is None or parent.kind == "virtual":
            raise NotFound(f"unknown parent location '{cmd.parent}'", field="parent")
        if parent.warehouse_id != warehouse_id:
            raise ValidationFailed("the parent location is in another warehouse", field="parent")
        if parent.kind == "bin":
            raise ValidationFailed("a bin cannot contain other locations", field="parent")
        parent_id, prefix = parent.id, parent.path
    path = f"{prefix}/{cmd.code.upper()}"
    if uow.conn.execute(select(t.c.id).where(t.c.tenant_id == uow.tenant_id, t.c.path == path)).first():
        raise Conflict(f"location {path} exists", field="code")
    location_id = uow.conn.execute(
        insert(t)
        .values(
            tenant_id=uow.tenant_id,
            warehouse_id=warehouse_id,
            parent_id=parent_id,
            code=cmd.code.upper(),
            path=path,
            name=cmd.name,
            usage=Usage.INTERNAL.value,
            kind=cmd.kind,
            type=cmd.type,
            capacity=cmd.capacity,
        )
        .returning(t.c.id)
    ).scalar_one()
    add_event(uow, "location.created.v1", {"location_id": location_id, "warehouse_id": warehouse_id, "path": path})
    return location_id


def set_location_capacity(uow: UnitOfWork, location: int | str, capacity: int | None) -> int:
    """How many units a location holds at most (None: not limited); putaway suggestions rank bins by what is
    free. Stock already there is not moved when the capacity is lowered below it."""
    uow.require(INVENTORY_CONFIGURE)
    if capacity is not None and capacity < 1:
        raise ValidationFailed("must be at least 1, or empty for no limit", field="capacity")
    t = Location.__table__
    stmt = select(t.c.id, t.c.path, t.c.capacity).where(t.c.tenant_id == uow.tenant_id, t.c.usage == "internal")
    stmt = stmt.where(t.c.id == location if isinstance(location, int) else t.c.path == location.strip().upper())
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"unknown location '{location}'", field="location")
    uow.conn.execute(update(t).where(t.c.id == row.id).values(capacity=capacity))
    add_event(uow, "location.capacity_set.v1", {"location_id": row.id, "path": row.path, "before": row.capacity,
                                                "after": capacity})
    return row.id

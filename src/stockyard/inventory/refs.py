"""Turn what people type or scan (SKU code, barcode, location path) into checked ids of this tenant."""

from dataclasses import dataclass

from sqlalchemy import insert, or_, select

from stockyard.catalog.models import Barcode, Sku
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.uow import UnitOfWork
from stockyard.inventory.domain import Place, Usage
from stockyard.inventory.models import Location, Warehouse

VIRTUAL_USAGES = (Usage.SUPPLIER, Usage.CUSTOMER, Usage.ADJUSTMENT, Usage.SCRAP)


@dataclass(frozen=True)
class SkuRef:
    id: int
    code: str
    tracking: str


@dataclass(frozen=True)
class LocationRef:
    id: int
    path: str
    usage: str
    warehouse_id: int | None
    type: str
    kind: str

    @property
    def place(self) -> Place:
        return Place(self.id, self.usage, self.warehouse_id)


def resolve_sku(uow: UnitOfWork, ref: int | str, field: str = "sku") -> SkuRef:
    t = Sku.__table__
    stmt = select(t.c.id, t.c.code, t.c.tracking).where(t.c.tenant_id == uow.tenant_id)
    if isinstance(ref, int):
        stmt = stmt.where(t.c.id == ref)
    else:
        text = ref.strip()
        if not text:
            raise ValidationFailed("is required", field=field)
        by_barcode = select(Barcode.sku_id).where(Barcode.tenant_id == uow.tenant_id, Barcode.code == text)
        stmt = stmt.where(or_(t.c.code == text, t.c.id.in_(by_barcode.scalar_subquery())))
    row = uow.conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"unknown SKU '{ref}'", field=field)
    return SkuRef(row.id, row.code, row.tracking)


def resolve_location(
    uow: UnitOfWork, ref: int | str, field: str = "location", warehouse_id: int | None = None
) -> LocationRef:
    """A stocked location of this tenant (by id or path), optionally required to be in `warehouse_id`."""
    t = Location.__table__
    stmt = select(t.c.id, t.c.path, t.c.usage, t.c.warehouse_id, t.c.type, t.c.kind).where(
        t.c.tenant_id == uow.tenant_id
    )
    if isinstance(ref, int):
        stmt = stmt.where(t.c.id == ref)
    else:
        text = ref.strip()
        if not text:
            raise ValidationFailed("is required", field=field)
        stmt = stmt.where(t.c.path == text.upper())
    row = uow.conn.execute(stmt).first()
    if row is None or row.usage != Usage.INTERNAL:
        raise NotFound(f"unknown location '{ref}'", field=field)
    if warehouse_id is not None and row.warehouse_id != warehouse_id:
        raise ValidationFailed(f"location {row.path} is not in the chosen warehouse", field=field)
    if uow.actor is not None:
        uow.actor.require_warehouse(row.warehouse_id)
    return LocationRef(row.id, row.path, row.usage, row.warehouse_id, row.type, row.kind)


def resolve_warehouse(uow: UnitOfWork, ref: int | str, field: str = "warehouse") -> int:
    t = Warehouse.__table__
    stmt = select(t.c.id).where(t.c.tenant_id == uow.tenant_id)
    stmt = stmt.where(t.c.id == ref) if isinstance(ref, int) else stmt.where(t.c.code == ref.strip().upper())
    warehouse_id = uow.conn.execute(stmt).scalar()
    if warehouse_id is None:
        raise NotFound(f"unknown warehouse '{ref}'", field=field)
    if uow.actor is not None:
        uow.actor.require_warehouse(warehouse_id)
    return warehouse_id


def virtual_place(uow: UnitOfWork, usage: Usage) -> Place:
    """The tenant's virtual location for an outside party (supplier, customer, adjustment, scrap)."""
    t = Location.__table__
    location_id = uow.conn.execute(
        select(t.c.id).where(t.c.tenant_id == uow.tenant_id, t.c.usage == usage.value)
    ).scalar()
    if location_id is None:
        ensure_virtual_locations(uow)
        return virtual_place(uow, usage)
    return Place(location_id, usage.value, None)


def transit_place(uow: UnitOfWork, warehouse_id: int) -> Place:
    """Stock on its way to `warehouse_id`."""
    t = Location.__table__
    location_id = uow.conn.execute(
        select(t.c.id).where(
            t.c.tenant_id == uow.tenant_id, t.c.usage == Usage.TRANSIT.value, t.c.warehouse_id == warehouse_id
        )
    ).scalar_one()
    return Place(location_id, Usage.TRANSIT.value, warehouse_id)


def ensure_virtual_locations(uow: UnitOfWork) -> None:
    t = Location.__table__
    have = set(
        uow.conn.execute(
            select(t.c.usage).where(t.c.tenant_id == uow.tenant_id, t.c.usage.in_([u.value for u in VIRTUAL_USAGES]))
        ).scalars()
    )
    missing = [u for u in VIRTUAL_USAGES if u.value not in have]
    if missing:
        uow.conn.execute(
            insert(t),
            [
                {
                    "tenant_id": uow.tenant_id,
                    "code": u.value.upper(),
                    "path": f"@{u.value.upper()}",
                    "name": u.value.capitalize(),
                    "usage": u.value,
                    "kind": "virtual",
                    "type": "virtual",
                }
                for u in missing
            ],
        )

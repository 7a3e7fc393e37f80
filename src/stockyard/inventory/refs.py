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


def resolve_sku_text(uow: UnitOfWork, text: str, field: str = "sku") -> SkuRef:
    """A SKU as people type or scan it: its code or barcode (either may be all digits), else its id."""
    try:
        return resolve_sku(uow, text, field)
    except NotFound:
        if not text.strip().isdigit():
            raise
        return resolve_sku(uow, int(text), field)


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


def resolve_warehouse(uow: UnitOfWork, ref: int | str, field: str = "warehouse", *, works_in: bool = True) -> int:
    """A warehouse of this tenant; with `works_in`, one the actor may work in (not so for a transfer's target)."""
    t = Warehouse.__table__
    stmt = select(t.c.id).where(t.c.tenant_id == uow.tenant_id)
    stmt = stmt.where(t.c.id == ref) if isinstance(ref, int) else stmt.where(t.c.code == ref.strip().upper())
    warehouse_id = uow.conn.execute(stmt).scalar()
    if warehouse_id is None:
        raise NotFound(f"unknown warehouse '{ref}'", field=field)
    if works_in and uow.actor is not None:
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


def resolve_skus(uow: UnitOfWork, refs: list[int | str], fields: list[str]) -> list[SkuRef]:
    """Many SKU references in at most two queries (ids, then codes or barcodes); the first unknown one raises."""
    t = Sku.__table__
    ids = {r for r in refs if isinstance(r, int)}
    texts = {r.strip() for r in refs if isinstance(r, str)}
    by_id: dict[int, SkuRef] = {}
    by_text: dict[str, SkuRef] = {}
    if ids:
        for row in uow.conn.execute(select(t.c.id, t.c.code, t.c.tracking)
                                    .where(t.c.tenant_id == uow.tenant_id, t.c.id.in_(sorted(ids)))):
            by_id[row.id] = SkuRef(row.id, row.code, row.tracking)
    if texts - {""}:
        wanted = sorted(texts - {""})
        for row in uow.conn.execute(select(t.c.id, t.c.code, t.c.tracking)
                                    .where(t.c.tenant_id == uow.tenant_id, t.c.code.in_(wanted))):
            by_text[row.code] = SkuRef(row.id, row.code, row.tracking)
        missing = [w for w in wanted if w not in by_text]
        if missing:
            b = Barcode.__table__
            for row in uow.conn.execute(select(b.c.code.label("barcode"), t.c.id, t.c.code, t.c.tracking)
                                        .join(t, t.c.id == b.c.sku_id)
                                        .where(b.c.tenant_id == uow.tenant_id, b.c.code.in_(missing))):
                by_text[row.barcode] = SkuRef(row.id, row.code, row.tracking)
    out = []
    for ref, field in zip(refs, fields, strict=True):
        if isinstance(ref, str) and not ref.strip():
            raise ValidationFailed("is required", field=field)
        found = by_id.get(ref) if isinstance(ref, int) else by_text.get(ref.strip())
        if found is None:
            raise NotFound(f"unknown SKU '{ref}'", field=field)
        out.append(found)
    return out


def resolve_locations(uow: UnitOfWork, refs: list[int | str], fields: list[str]) -> list[LocationRef]:
    """Many stocked-location references (ids or paths) in at most two queries; the first unknown one raises.
    Checks the actor's warehouse limits like resolve_location."""
    t = Location.__table__
    cols = (t.c.id, t.c.path, t.c.usage, t.c.warehouse_id, t.c.type, t.c.kind)
    ids = sorted({r for r in refs if isinstance(r, int)})
    paths = sorted({r.strip().upper() for r in refs if isinstance(r, str) and r.strip()})
    by_id: dict[int, LocationRef] = {}
    by_path: dict[str, LocationRef] = {}
    if ids:
        for row in uow.conn.execute(select(*cols).where(t.c.tenant_id == uow.tenant_id, t.c.id.in_(ids))):
            by_id[row.id] = LocationRef(*row)
    if paths:
        for row in uow.conn.execute(select(*cols).where(t.c.tenant_id == uow.tenant_id, t.c.path.in_(paths))):
            by_path[row.path] = LocationRef(*row)
    out = []
    for ref, field in zip(refs, fields, strict=True):
        if isinstance(ref, str) and not ref.strip():
            raise ValidationFailed("is required", field=field)
        found = by_id.get(ref) if isinstance(ref, int) else by_path.get(ref.strip().upper())
        if found is None or found.usage != Usage.INTERNAL:
            raise NotFound(f"unknown location '{ref}'", field=field)
        if uow.actor is not None:
            uow.actor.require_warehouse(found.warehouse_id)  # type: ignore[arg-type]
        out.append(found)
    return out

"""What to put on labels, read from the tenant's data: SKUs (by code or a search), the locations of a warehouse,
a parcel (shipment). Each returns LabelItems for labels_pdf / labels_zpl; `make_labels` renders a LabelRequest.

A SKU label encodes the SKU's code (Code 128 or QR) or its EAN-13 from the catalog's barcodes (symbology ean13);
a location label encodes the location's path (what the scanners resolve); a parcel label its tracking number.
"""

from dataclasses import dataclass, field

from sqlalchemy import or_, select

from stockyard.catalog.models import Barcode, Sku
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.uow import UnitOfWork
from stockyard.documents.barcodes import Symbology
from stockyard.documents.labels_layout import MAX_LABELS, LabelItem, layout_for
from stockyard.documents.labels_pdf import render_labels_pdf
from stockyard.documents.labels_zpl import render_labels_zpl
from stockyard.fulfilment.models import Shipment
from stockyard.identity.domain import FULFILMENT_PACK, INVENTORY_VIEW
from stockyard.inventory.domain import Usage
from stockyard.inventory.models import Location, Warehouse

WHAT = ("skus", "locations", "parcel", "values")
FORMATS = ("pdf", "zpl")


def _symbology(value: str) -> Symbology:
    try:
        return Symbology(value)
    except ValueError:
        raise ValidationFailed(f"unknown symbology {value!r}; choose one of {', '.join(Symbology)}",
                               field="symbology") from None


def _quantity(quantity: int) -> int:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_LABELS:
        raise ValidationFailed(f"must be a whole number from 1 to {MAX_LABELS}", field="quantity")
    return quantity


@dataclass(frozen=True)
class SkuChoice:
    id: int
    code: str
    name: str
    ean13: str


def search_skus(uow: UnitOfWork, q: str, limit: int = 50) -> list[SkuChoice]:
    """Active SKUs whose code or name contains `q`, or the first ones by code (the print page's picker)."""
    uow.require(INVENTORY_VIEW)
    text = q.strip()
    stmt = select(Sku.id, Sku.code, Sku.name).where(Sku.tenant_id == uow.tenant_id, Sku.active.is_(True))
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(or_(Sku.code.ilike(like), Sku.name.ilike(like)))
    stmt = stmt.order_by(Sku.code).limit(limit)
    rows = uow.conn.execute(stmt).all()
    eans = _eans(uow, [r.id for r in rows])
    return [SkuChoice(r.id, r.code, r.name, eans.get(r.id, "")) for r in rows]


def _eans(uow: UnitOfWork, sku_ids: list[int]) -> dict[int, str]:
    if not sku_ids:
        return {}
    out: dict[int, str] = {}
    for r in uow.conn.execute(select(Barcode.sku_id, Barcode.code).where(
            Barcode.tenant_id == uow.tenant_id, Barcode.kind == "ean13", Barcode.sku_id.in_(sorted(set(sku_ids))))
            .order_by(Barcode.id)):
        out.setdefault(r.sku_id, r.code)
    return out


def sku_labels(uow: UnitOfWork, codes: list[str], symbology: str = "code128", quantity: int = 1) -> list[LabelItem]:
    """One item per SKU code (in the given order), each printed `quantity` times."""
    uow.require(INVENTORY_VIEW)
    kind, copies = _symbology(symbology), _quantity(quantity)
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not wanted:
        raise ValidationFailed("choose at least one SKU", field="skus")
    rows = {r.code: r for r in uow.conn.execute(select(Sku.id, Sku.code, Sku.name).where(
        Sku.tenant_id == uow.tenant_id, Sku.code.in_(wanted)))}
    missing = [c for c in wanted if c not in rows]
    if missing:
        raise NotFound(f"unknown SKU {', '.join(missing[:5])}", field="skus")
    eans = _eans(uow, [r.id for r in rows.values()]) if kind is Symbology.EAN13 else {}
    items = []
    for code in wanted:
        row = rows[code]
        if kind is Symbology.EAN13:
            if row.id not in eans:
                raise ValidationFailed(f"SKU {code} has no EAN-13 barcode: print it as Code 128 or QR",
                                       field="symbology")
            value = eans[row.id]
        else:
            value = row.code
        items.append(LabelItem(value, kind, row.name, row.code if kind is Symbology.EAN13 else "", copies))
    return items


def location_labels(uow: UnitOfWork, warehouse_id: int, symbology: str = "code128", quantity: int = 1,
                    under: str = "") -> list[LabelItem]:
    """The warehouse's stock locations in path order (those under `under` only, when given)."""
    actor = uow.require(INVENTORY_VIEW)
    kind, copies = _symbology(symbology), _quantity(quantity)
    if kind is Symbology.EAN13:
        raise ValidationFailed("a location path is not an EAN-13: print locations as Code 128 or QR",
                               field="symbology")
    warehouse = uow.conn.execute(select(Warehouse.id, Warehouse.code, Warehouse.name).where(
        Warehouse.tenant_id == uow.tenant_id, Warehouse.id == warehouse_id)).first()
    if warehouse is None:
        raise NotFound(f"unknown warehouse {warehouse_id}", field="warehouse")
    actor.require_warehouse(warehouse.id)
    stmt = select(Location.path, Location.name).where(
        Location.tenant_id == uow.tenant_id, Location.warehouse_id == warehouse.id,
        Location.usage == Usage.INTERNAL.value, Location.active.is_(True))
    prefix = under.strip().upper()
    if prefix:
        stmt = stmt.where(or_(Location.path == prefix, Location.path.startswith(prefix + "/")))
    rows = uow.conn.execute(stmt.order_by(Location.path)).all()
    if not rows:
        raise ValidationFailed(f"warehouse {warehouse.code} has no locations{' under ' + prefix if prefix else ''}",
                               field="under" if prefix else "warehouse")
    return [LabelItem(r.path, kind, r.path, r.name or f"{warehouse.code} {warehouse.name}", copies) for r in rows]


def parcel_labels(uow: UnitOfWork, shipment_id: int, symbology: str = "code128", quantity: int = 1
                  ) -> list[LabelItem]:
    """A parcel's tracking number, with the recipient and carrier."""
    uow.require(FULFILMENT_PACK)
    kind, copies = _symbology(symbology), _quantity(quantity)
    row = uow.conn.execute(select(Shipment.tracking_number, Shipment.carrier_code, Shipment.address).where(
        Shipment.tenant_id == uow.tenant_id, Shipment.id == shipment_id)).first()
    if row is None:
        raise NotFound(f"unknown shipment {shipment_id}", field="shipment")
    recipient = str((row.address or {}).get("name", ""))
    return [LabelItem(row.tracking_number, kind, recipient, row.carrier_code.upper(), copies)]


def value_labels(uow: UnitOfWork, values: list[str], symbology: str = "code128", quantity: int = 1
                 ) -> list[LabelItem]:
    """Labels for values typed in by hand (one per line)."""
    uow.require(INVENTORY_VIEW)
    kind, copies = _symbology(symbology), _quantity(quantity)
    wanted = [v.strip() for v in values if v.strip()]
    if not wanted:
        raise ValidationFailed("type at least one value", field="values")
    return [LabelItem(v, kind, "", "", copies).checked(f"values[{i}]") for i, v in enumerate(wanted)]


@dataclass(frozen=True)
class LabelRequest:
    what: str  # skus, locations, parcel, values
    symbology: str = "code128"
    layout: str = "a4-3x8"
    format: str = "pdf"
    quantity: int = 1
    skus: list[str] = field(default_factory=list)
    warehouse_id: int | None = None
    under: str = ""
    shipment_id: int | None = None
    values: list[str] = field(default_factory=list)
    skip: int = 0


@dataclass(frozen=True)
class RenderedLabels:
    content: bytes
    content_type: str
    filename: str
    count: int


def make_labels(uow: UnitOfWork, req: LabelRequest) -> RenderedLabels:
    """The labels a request asks for, as a PDF or a ZPL job."""
    if req.format not in FORMATS:
        raise ValidationFailed(f"unknown format {req.format!r}; choose pdf or zpl", field="format")
    layout = layout_for(req.layout)
    if req.what == "skus":
        items = sku_labels(uow, req.skus, req.symbology, req.quantity)
    elif req.what == "locations":
        if req.warehouse_id is None:
            raise ValidationFailed("choose a warehouse", field="warehouse")
        items = location_labels(uow, req.warehouse_id, req.symbology, req.quantity, req.under)
    elif req.what == "parcel":
        if req.shipment_id is None:
            raise ValidationFailed("choose a shipment", field="shipment")
        items = parcel_labels(uow, req.shipment_id, req.symbology, req.quantity)
    elif req.what == "values":
        items = value_labels(uow, req.values, req.symbology, req.quantity)
    else:
        raise ValidationFailed(f"unknown label source {req.what!r}; choose one of {', '.join(WHAT)}", field="what")
    count = sum(item.quantity for item in items)
    if req.format == "zpl":
        return RenderedLabels(render_labels_zpl(items, layout).encode(), "text/plain; charset=utf-8",
                              f"labels-{req.what}.zpl", count)
    return RenderedLabels(render_labels_pdf(items, layout, req.skip), "application/pdf", f"labels-{req.what}.pdf",
                          count)

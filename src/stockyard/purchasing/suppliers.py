"""Supplier terms: change a supplier (name, currency, lead time, over-receipt tolerance, active), and the SKUs it
sells with their price, pack size and minimum order quantity; one supplier per SKU may be the preferred one, which
replenishment orders from. Permission: purchasing.edit.
"""

from decimal import Decimal

from pydantic import Field, field_validator
from sqlalchemy import delete, insert, select, update

from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.iso_codes import check_currency
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import PURCHASING_EDIT
from stockyard.inventory.domain import WholeNumber
from stockyard.inventory.refs import resolve_sku
from stockyard.purchasing.models import Supplier, SupplierSku
from stockyard.purchasing.services import Ref, _Command

_suppliers = Supplier.__table__
_supplier_skus = SupplierSku.__table__


class UpdateSupplier(_Command):
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(min_length=3, max_length=3)
    lead_time_days: WholeNumber = Field(ge=0, le=365)
    over_receipt_tolerance_pct: Decimal = Field(default=Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    active: bool = True

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        try:
            return check_currency(value.upper())
        except ValidationFailed as error:
            raise ValueError(error.message) from None


class SetSupplierSku(_Command):
    sku: Ref
    unit_cost: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    supplier_code: str = Field(default="", max_length=64)
    pack_size: WholeNumber = Field(default=1, ge=1, le=100_000)
    min_order_qty: WholeNumber = Field(default=1, ge=1, le=1_000_000)
    preferred: bool = False


def _supplier_id(uow: UnitOfWork, ref: Ref) -> int:
    t = _suppliers
    stmt = select(t.c.id).where(t.c.tenant_id == uow.tenant_id)
    stmt = stmt.where(t.c.id == ref) if isinstance(ref, int) else stmt.where(t.c.code == ref.strip().upper())
    found = uow.conn.execute(stmt).scalar()
    if found is None:
        raise NotFound(f"unknown supplier '{ref}'", field="supplier")
    return found


def update_supplier(uow: UnitOfWork, supplier: Ref, cmd: UpdateSupplier) -> int:
    uow.require(PURCHASING_EDIT)
    supplier_id = _supplier_id(uow, supplier)
    t = _suppliers
    before = uow.conn.execute(select(t.c.name, t.c.currency, t.c.lead_time_days, t.c.over_receipt_tolerance_pct,
                                     t.c.active).where(t.c.id == supplier_id)).one()
    uow.conn.execute(update(t).where(t.c.id == supplier_id).values(**cmd.model_dump()))
    add_event(uow, "supplier.updated.v1", {"supplier_id": supplier_id,
                                           "before": {k: str(v) for k, v in before._mapping.items()},
                                           "after": cmd.model_dump(mode="json")})
    return supplier_id


def set_supplier_sku(uow: UnitOfWork, supplier: Ref, cmd: SetSupplierSku) -> int:
    """Adds the SKU to the supplier's list or changes its terms; `preferred` makes this supplier the SKU's
    preferred one (the former one is no longer preferred)."""
    uow.require(PURCHASING_EDIT)
    supplier_id = _supplier_id(uow, supplier)
    sku = resolve_sku(uow, cmd.sku)
    t = _supplier_skus
    if cmd.preferred:
        uow.conn.execute(update(t).where(t.c.tenant_id == uow.tenant_id, t.c.sku_id == sku.id,
                                         t.c.supplier_id != supplier_id, t.c.preferred.is_(True))
                         .values(preferred=False))
    terms = {"supplier_code": cmd.supplier_code, "unit_cost": cmd.unit_cost, "pack_size": cmd.pack_size,
             "min_order_qty": cmd.min_order_qty, "preferred": cmd.preferred}
    existing = uow.conn.execute(select(t.c.id).where(t.c.supplier_id == supplier_id, t.c.sku_id == sku.id)).scalar()
    if existing is None:
        existing = uow.conn.execute(insert(t).returning(t.c.id), {
            "tenant_id": uow.tenant_id, "supplier_id": supplier_id, "sku_id": sku.id, **terms}).scalar_one()
    else:
        uow.conn.execute(update(t).where(t.c.id == existing).values(**terms))
    add_event(uow, "supplier_sku.set.v1", {"supplier_id": supplier_id, "sku": sku.code,
                                           **{k: str(v) for k, v in terms.items()}})
    return existing


def remove_supplier_sku(uow: UnitOfWork, supplier: Ref, sku: Ref) -> None:
    uow.require(PURCHASING_EDIT)
    supplier_id = _supplier_id(uow, supplier)
    found = resolve_sku(uow, sku)
    t = _supplier_skus
    gone = uow.conn.execute(delete(t).where(t.c.tenant_id == uow.tenant_id, t.c.supplier_id == supplier_id,
                                            t.c.sku_id == found.id))
    if gone.rowcount != 1:
        raise NotFound(f"the supplier does not sell {found.code}", field="sku")
    add_event(uow, "supplier_sku.removed.v1", {"supplier_id": supplier_id, "sku": found.code})

"""Landed costs: applying freight, duty or another charge onto goods receipts (or receipt moves), and the read
models of the list and detail pages.

Applying replays the valuation of the SKUs concerned up to now (billing/valuation.py) to tell each receipt line's
units still on hand (their value rises) from those already gone (their share goes to COGS), stores the document
with that split per line, and emits `landed_cost.applied.v1`, from which billing/landed_cost_journal.py posts
Dr inventory + Dr COGS / Cr accrued freight and duty.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from stockyard.billing import accounts, valuation
from stockyard.billing import landed_cost_domain as ld
from stockyard.billing import valuation_domain as vd
from stockyard.billing.landed_cost_models import LandedCost, LandedCostLine
from stockyard.catalog.models import Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ACCOUNTING_MANAGE, ACCOUNTING_VIEW
from stockyard.inventory.domain import Reason
from stockyard.inventory.models import StockMove
from stockyard.purchasing.models import GoodsReceipt, GoodsReceiptLine, Supplier

_COSTS = LandedCost.__table__
_LINES = LandedCostLine.__table__
_MOVES = StockMove.__table__
_RECEIPTS = GoodsReceipt.__table__
_RECEIPT_LINES = GoodsReceiptLine.__table__
_SKUS = Sku.__table__
_SUPPLIERS = Supplier.__table__


class ApplyLandedCost(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str = Field(description="freight, duty or other")
    amount: Decimal = Field(description="the charge, in cents")
    currency: str | None = Field(default=None, description="the books' currency (the default); stock is valued in it")
    basis: str = Field(description="value, quantity or weight")
    receipts: list[str] = Field(default_factory=list, description="goods receipt numbers")
    move_ids: list[int] = Field(default_factory=list, description="receipt stock moves not in a goods receipt")
    supplier: str | None = Field(default=None, description="the carrier's or broker's supplier code")
    reference: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=500)


@dataclass(frozen=True)
class _Target:
    receipt_id: int | None
    line: ld.ReceiptLine
    sku_id: int


def _enum(cls: type[ld.Kind] | type[ld.Basis], text: str, field: str) -> str:
    try:
        return cls(text.strip().lower()).value
    except ValueError:
        raise ValidationFailed(f"choose one of: {', '.join(v.value for v in cls)}", field=field) from None


def _targets(uow: UnitOfWork, cmd: ApplyLandedCost) -> list[_Target]:
    tenant = uow.tenant_id
    numbers = sorted({n.strip() for n in cmd.receipts if n.strip()})
    found = dict(uow.conn.execute(select(_RECEIPTS.c.number, _RECEIPTS.c.id).where(
        _RECEIPTS.c.tenant_id == tenant, _RECEIPTS.c.number.in_(numbers))).all()) if numbers else {}
    unknown = [n for n in numbers if n not in found]
    if unknown:
        raise ValidationFailed(f"no goods receipt {', '.join(unknown)}", field="receipts")
    pairs: list[tuple[int | None, int]] = []
    if found:
        rows = uow.conn.execute(select(_RECEIPT_LINES.c.receipt_id, _RECEIPT_LINES.c.move_id).where(
            _RECEIPT_LINES.c.tenant_id == tenant, _RECEIPT_LINES.c.receipt_id.in_(sorted(found.values())),
            _RECEIPT_LINES.c.move_id.is_not(None)).order_by(_RECEIPT_LINES.c.receipt_id, _RECEIPT_LINES.c.id)).all()
        pairs += [(r.receipt_id, int(r.move_id)) for r in rows]
    pairs += [(None, int(i)) for i in cmd.move_ids if int(i) not in {m for _, m in pairs}]
    if not pairs:
        raise ValidationFailed("choose at least one goods receipt or receipt move to carry the cost", field="receipts")
    ids = sorted({m for _, m in pairs})
    moves = {r.id: r for r in uow.conn.execute(
        select(_MOVES.c.id, _MOVES.c.sku_id, _MOVES.c.quantity, _MOVES.c.unit_cost, _MOVES.c.reason,
               _SKUS.c.code, _SKUS.c.weight_g).join(_SKUS, _SKUS.c.id == _MOVES.c.sku_id)
        .where(_MOVES.c.tenant_id == tenant, _MOVES.c.id.in_(ids))).all()}
    for _, move_id in pairs:
        move = moves.get(move_id)
        if move is None:
            raise ValidationFailed(f"no stock move {move_id}", field="move_ids")
        if move.reason != Reason.RECEIPT.value:
            raise ValidationFailed(f"stock move {move_id} is a {move.reason}, not a receipt", field="move_ids")
    return [_Target(receipt_id, ld.ReceiptLine(m, moves[m].code, moves[m].quantity,
                                               None if moves[m].unit_cost is None else Decimal(moves[m].unit_cost),
                                               moves[m].weight_g), moves[m].sku_id) for receipt_id, m in pairs]


def _next_number(uow: UnitOfWork) -> str:
    count = uow.conn.execute(select(func.count()).select_from(_COSTS).where(
        _COSTS.c.tenant_id == uow.tenant_id)).scalar_one()
    return f"LC-{count + 1:06d}"


def apply_landed_cost(uow: UnitOfWork, cmd: ApplyLandedCost) -> int:
    """Allocates the charge onto the receipts, revalues what is still on hand, and records the split; returns the
    landed cost's id."""
    uow.require(ACCOUNTING_MANAGE)
    kind = _enum(ld.Kind, cmd.kind, "kind")
    basis = ld.Basis(_enum(ld.Basis, cmd.basis, "basis"))
    currency = accounts.book_currency(uow)
    if cmd.currency and cmd.currency.strip() and cmd.currency.strip().upper() != currency:
        raise ValidationFailed(f"stock is valued in {currency}, the books' currency: enter the charge in {currency}",
                               field="currency")
    supplier_id = None
    if cmd.supplier and cmd.supplier.strip():
        supplier_id = uow.conn.execute(select(_SUPPLIERS.c.id).where(
            _SUPPLIERS.c.tenant_id == uow.tenant_id, _SUPPLIERS.c.code == cmd.supplier.strip())).scalar_one_or_none()
        if supplier_id is None:
            raise ValidationFailed(f"no supplier {cmd.supplier.strip()}", field="supplier")
    targets = _targets(uow, cmd)
    shares = ld.split(cmd.amount, [t.line for t in targets], basis)
    now = utcnow()
    replayed = valuation.replay(uow, uow.tenant_id, sorted({t.sku_id for t in targets}))
    splits = [replayed.landed(vd.LandedCharge(-(i + 1), t.line.move_id, share)) if share else
              vd.LandedSplit(0, t.line.quantity, Decimal(0), Decimal(0))
              for i, (t, share) in enumerate(zip(targets, shares, strict=True))]
    inventory = sum((s.inventory for s in splits), Decimal(0))
    cogs = sum((s.cogs for s in splits), Decimal(0))
    number = _next_number(uow)
    actor = uow.actor.name if uow.actor is not None else ""
    cost_id = int(uow.conn.execute(_COSTS.insert().values(
        tenant_id=uow.tenant_id, number=number, kind=kind, basis=basis.value, amount=cmd.amount, currency=currency,
        supplier_id=supplier_id, reference=cmd.reference.strip(), note=cmd.note.strip(), applied_at=now,
        inventory_amount=inventory, cogs_amount=cogs, actor_name=actor, created_at=now).returning(_COSTS.c.id)
    ).scalar_one())
    basis_amounts = ld.basis_amounts([t.line for t in targets], basis)
    uow.conn.execute(_LINES.insert(), [
        {"tenant_id": uow.tenant_id, "landed_cost_id": cost_id, "receipt_id": t.receipt_id, "move_id": t.line.move_id,
         "sku_id": t.sku_id, "quantity": t.line.quantity, "basis_amount": b, "amount": share,
         "on_hand_quantity": s.on_hand_quantity, "inventory_amount": s.inventory, "cogs_amount": s.cogs}
        for t, b, share, s in zip(targets, basis_amounts, shares, splits, strict=True)])
    add_event(uow, "landed_cost.applied.v1", {
        "landed_cost_id": cost_id, "number": number, "kind": kind, "basis": basis.value, "amount": str(cmd.amount),
        "currency": currency, "inventory_amount": str(inventory), "cogs_amount": str(cogs),
        "applied_at": now.isoformat(), "reference": cmd.reference.strip(),
        "move_ids": [t.line.move_id for t in targets]})
    return cost_id


# ---- read models ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LandedCostView:
    id: int
    number: str
    kind: str
    basis: str
    amount: Decimal
    currency: str
    supplier: str
    reference: str
    note: str
    applied_at: datetime
    inventory_amount: Decimal
    cogs_amount: Decimal
    actor_name: str


@dataclass(frozen=True)
class AllocationLine:
    receipt_number: str
    document: str  # the receipt number, else the receipt move's own document (a delivery note), else the move
    move_id: int
    sku_code: str
    sku_name: str
    quantity: int
    basis_amount: Decimal
    amount: Decimal
    on_hand_quantity: int
    inventory_amount: Decimal
    cogs_amount: Decimal


def _view_query():  # type: ignore[no-untyped-def]
    return (select(_COSTS, func.coalesce(_SUPPLIERS.c.name, "").label("supplier_name"))
            .outerjoin(_SUPPLIERS, _SUPPLIERS.c.id == _COSTS.c.supplier_id))


def _view(r) -> LandedCostView:  # type: ignore[no-untyped-def]
    return LandedCostView(r.id, r.number, r.kind, r.basis, Decimal(r.amount), r.currency, r.supplier_name,
                          r.reference, r.note, r.applied_at, Decimal(r.inventory_amount), Decimal(r.cogs_amount),
                          r.actor_name)


@requires(ACCOUNTING_VIEW)
def landed_costs(uow: UnitOfWork, limit: int = 200) -> list[LandedCostView]:
    rows = uow.conn.execute(_view_query().where(_COSTS.c.tenant_id == uow.tenant_id)
                            .order_by(_COSTS.c.applied_at.desc(), _COSTS.c.id.desc()).limit(limit)).all()
    return [_view(r) for r in rows]


def _document(receipt: str, document_type: str, document_id: str, move_id: int) -> str:
    if receipt:
        return receipt
    if document_id:
        return f"{document_type.replace('_', ' ')} {document_id}".strip()
    return f"move {move_id}"


@requires(ACCOUNTING_VIEW)
def landed_cost(uow: UnitOfWork, cost_id: int) -> tuple[LandedCostView, list[AllocationLine]]:
    row = uow.conn.execute(_view_query().where(_COSTS.c.tenant_id == uow.tenant_id, _COSTS.c.id == cost_id)).first()
    if row is None:
        raise NotFound(f"no landed cost {cost_id}")
    lines = uow.conn.execute(
        select(_LINES, func.coalesce(_RECEIPTS.c.number, "").label("receipt_number"), _SKUS.c.code, _SKUS.c.name,
               _MOVES.c.document_type, _MOVES.c.document_id)
        .join(_SKUS, _SKUS.c.id == _LINES.c.sku_id).join(_MOVES, _MOVES.c.id == _LINES.c.move_id)
        .outerjoin(_RECEIPTS, _RECEIPTS.c.id == _LINES.c.receipt_id)
        .where(_LINES.c.tenant_id == uow.tenant_id, _LINES.c.landed_cost_id == cost_id).order_by(_LINES.c.id)).all()
    return _view(row), [AllocationLine(
        r.receipt_number, _document(r.receipt_number, r.document_type, r.document_id, r.move_id), r.move_id, r.code,
        r.name, r.quantity, Decimal(r.basis_amount), Decimal(r.amount), r.on_hand_quantity,
        Decimal(r.inventory_amount), Decimal(r.cogs_amount)) for r in lines]


@requires(ACCOUNTING_VIEW)
def recent_receipts(uow: UnitOfWork, limit: int = 50) -> list[tuple[str, datetime, str]]:
    """Goods receipts to choose from on the form: (number, when, supplier)."""
    rows = uow.conn.execute(
        select(_RECEIPTS.c.number, _RECEIPTS.c.created_at, func.coalesce(_SUPPLIERS.c.name, "").label("supplier"))
        .outerjoin(_SUPPLIERS, _SUPPLIERS.c.id == _RECEIPTS.c.supplier_id)
        .where(_RECEIPTS.c.tenant_id == uow.tenant_id).order_by(_RECEIPTS.c.id.desc()).limit(limit)).all()
    return [(r.number, r.created_at, r.supplier) for r in rows]

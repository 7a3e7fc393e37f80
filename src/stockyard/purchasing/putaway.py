"""Putaway: where received stock should go, and moving it there from the receiving location.

Services (stable names; the mobile pages and the API call them):
- `suggest_putaway(uow, warehouse_id, sku_id, quantity, limit=5)` → ranked `Suggestion`s (putaway_rules.rank_bins:
  bins already holding the SKU, then the category's rule, then free capacity);
- `put_away(uow, PutAway)` → the move (reason "putaway", through inventory.movements.move_stock) to the bin given,
  or to the best suggestion when none is given; a bin whose capacity the units would exceed is refused;
- `set_putaway_rule(uow, SetPutawayRule)` / `remove_putaway_rule(uow, rule_id)`: a category's units go to a
  location (a zone: any bin under it); `putaway_rules(uow, warehouse_id=None)` lists them;
- `awaiting_putaway(uow, warehouse_id=None)`: what lies in receiving locations, each with its best bin.
Permissions: inventory.view to ask, inventory.move to put away, inventory.configure for rules.
"""

from dataclasses import dataclass

from pydantic import Field
from sqlalchemy import case, delete, func, insert, select

from stockyard.catalog.models import Category, Product, Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INVENTORY_CONFIGURE, INVENTORY_MOVE, INVENTORY_VIEW
from stockyard.inventory.domain import WholeNumber
from stockyard.inventory.models import Location, StockLevel, Warehouse
from stockyard.inventory.movements import MoveStock, move_stock
from stockyard.inventory.refs import resolve_location, resolve_sku, resolve_warehouse
from stockyard.purchasing.models import PutawayRule
from stockyard.purchasing.putaway_rules import Bin, Suggestion, rank_bins, under
from stockyard.purchasing.services import Ref, _Command

_locations = Location.__table__
_levels = StockLevel.__table__
_rules = PutawayRule.__table__
_products = Product.__table__
_skus = Sku.__table__


class PutAway(_Command):
    sku: Ref
    quantity: WholeNumber = Field(gt=0, le=1_000_000)
    from_location: Ref  # usually the receiving location
    to_location: Ref | None = None  # None: the best suggestion
    lot: str = Field(default="", max_length=64)


class SetPutawayRule(_Command):
    warehouse: Ref
    category_id: int
    location: Ref  # a zone, aisle or bin of the warehouse


@dataclass(frozen=True)
class Awaiting:
    sku_id: int
    sku_code: str
    warehouse_id: int
    location_id: int
    location_path: str
    lot: str
    on_hand: int
    suggestion: Suggestion | None


@dataclass(frozen=True)
class RuleRow:
    id: int
    warehouse_code: str
    category_id: int
    category_name: str
    location_path: str


@dataclass(frozen=True)
class PutAwayDone:
    move_id: int
    to_location_id: int
    to_path: str


def _category_chain(uow: UnitOfWork, sku_id: int) -> list[int]:
    """The SKU's category, then its parent, and so on up to the root."""
    c = Category.__table__
    category_id = uow.conn.execute(
        select(_products.c.category_id).join(_skus, _skus.c.product_id == _products.c.id)
        .where(_skus.c.tenant_id == uow.tenant_id, _skus.c.id == sku_id)).scalar()
    chain: list[int] = []
    while category_id is not None and category_id not in chain and len(chain) < 20:
        chain.append(category_id)
        category_id = uow.conn.execute(select(c.c.parent_id).where(c.c.tenant_id == uow.tenant_id,
                                                                   c.c.id == category_id)).scalar()
    return chain


def _bins(uow: UnitOfWork, warehouse_id: int, sku_id: int) -> list[Bin]:
    t = uow.tenant_id
    rules = {}
    chain = _category_chain(uow, sku_id)
    if chain:
        for category_id, path in uow.conn.execute(
                select(_rules.c.category_id, _locations.c.path)
                .join(_locations, _locations.c.id == _rules.c.location_id)
                .where(_rules.c.tenant_id == t, _rules.c.warehouse_id == warehouse_id,
                       _rules.c.category_id.in_(chain))):
            rules[path] = chain.index(category_id)
    totals = (select(_levels.c.location_id, func.sum(_levels.c.on_hand).label("on_hand"),
                     func.sum(case((_levels.c.sku_id == sku_id, _levels.c.on_hand), else_=0)).label("own"))
              .where(_levels.c.tenant_id == t, _levels.c.warehouse_id == warehouse_id)
              .group_by(_levels.c.location_id).subquery())
    rows = uow.conn.execute(
        select(_locations.c.id, _locations.c.path, _locations.c.type, _locations.c.capacity,
               func.coalesce(totals.c.on_hand, 0).label("on_hand"), func.coalesce(totals.c.own, 0).label("own"))
        .outerjoin(totals, totals.c.location_id == _locations.c.id)
        .where(_locations.c.tenant_id == t, _locations.c.warehouse_id == warehouse_id,
               _locations.c.usage == "internal", _locations.c.kind == "bin", _locations.c.active.is_(True)))
    out = []
    for r in rows:
        depths = [depth for path, depth in rules.items() if under(r.path, path)]
        out.append(Bin(r.id, r.path, r.type, r.capacity, int(r.on_hand), int(r.own), min(depths) if depths else None))
    return out


def suggest_putaway(uow: UnitOfWork, warehouse_id: int, sku_id: int, quantity: int, limit: int = 5
                    ) -> list[Suggestion]:
    """The best bins of the warehouse for `quantity` units of the SKU, best first (empty: no bin can take them)."""
    uow.require(INVENTORY_VIEW)
    if quantity <= 0:
        raise ValidationFailed("must be at least 1", field="quantity")
    resolve_warehouse(uow, warehouse_id, works_in=False)
    resolve_sku(uow, sku_id)
    return rank_bins(_bins(uow, warehouse_id, sku_id), quantity, limit)


def put_away(uow: UnitOfWork, cmd: PutAway) -> PutAwayDone:
    uow.require(INVENTORY_MOVE)
    source = resolve_location(uow, cmd.from_location, "from_location")
    sku = resolve_sku(uow, cmd.sku)
    assert source.warehouse_id is not None
    bins = {b.location_id: b for b in _bins(uow, source.warehouse_id, sku.id)}
    if cmd.to_location is None:
        best = rank_bins([b for b in bins.values() if b.location_id != source.id], cmd.quantity, 1)
        if not best:
            raise ValidationFailed(f"no bin of the warehouse has room for {cmd.quantity} unit(s); choose one",
                                   field="to_location")
        target_id, path = best[0].location_id, best[0].path
    else:
        target = resolve_location(uow, cmd.to_location, "to_location", warehouse_id=source.warehouse_id)
        target_id, path = target.id, target.path
        chosen = bins.get(target.id)
        if chosen is not None and chosen.free is not None and chosen.free < cmd.quantity:
            raise ValidationFailed(f"{chosen.path} holds at most {chosen.capacity}; {chosen.on_hand} there, room for "
                                   f"{chosen.free}", field="to_location")
    move_id = move_stock(uow, MoveStock(sku=sku.id, from_location=source.id, to_location=target_id,
                                        quantity=cmd.quantity, lot=cmd.lot, reason="putaway"))
    return PutAwayDone(move_id, target_id, path)


def set_putaway_rule(uow: UnitOfWork, cmd: SetPutawayRule) -> int:
    """SKUs of the category (and of its subcategories without a rule of their own) go under the location."""
    uow.require(INVENTORY_CONFIGURE)
    warehouse_id = resolve_warehouse(uow, cmd.warehouse)
    location = resolve_location(uow, cmd.location, warehouse_id=warehouse_id)
    c = Category.__table__
    known = uow.conn.execute(select(c.c.id).where(c.c.tenant_id == uow.tenant_id, c.c.id == cmd.category_id)).first()
    if known is None:
        raise NotFound(f"unknown category {cmd.category_id}", field="category_id")
    uow.conn.execute(delete(_rules).where(_rules.c.tenant_id == uow.tenant_id,
                                          _rules.c.warehouse_id == warehouse_id,
                                          _rules.c.category_id == cmd.category_id))
    rule_id = uow.conn.execute(insert(_rules).returning(_rules.c.id), {
        "tenant_id": uow.tenant_id, "warehouse_id": warehouse_id, "category_id": cmd.category_id,
        "location_id": location.id, "created_at": utcnow()}).scalar_one()
    add_event(uow, "putaway_rule.set.v1", {"rule_id": rule_id, "warehouse_id": warehouse_id,
                                           "category_id": cmd.category_id, "location": location.path})
    return rule_id


def remove_putaway_rule(uow: UnitOfWork, rule_id: int) -> None:
    uow.require(INVENTORY_CONFIGURE)
    gone = uow.conn.execute(delete(_rules).where(_rules.c.tenant_id == uow.tenant_id, _rules.c.id == rule_id))
    if gone.rowcount != 1:
        raise NotFound(f"unknown putaway rule {rule_id}", field="rule_id")
    add_event(uow, "putaway_rule.removed.v1", {"rule_id": rule_id})


def awaiting_putaway(uow: UnitOfWork, warehouse_id: int | None = None) -> list[Awaiting]:
    """Sellable stock lying in receiving locations (of one warehouse, or all), each with the best bin for it."""
    uow.require(INVENTORY_VIEW)
    stmt = (select(_levels.c.sku_id, _skus.c.code, _levels.c.warehouse_id, _levels.c.location_id, _locations.c.path,
                   _levels.c.lot, _levels.c.on_hand - _levels.c.reserved)
            .join(_locations, _locations.c.id == _levels.c.location_id).join(_skus, _skus.c.id == _levels.c.sku_id)
            .where(_levels.c.tenant_id == uow.tenant_id, _locations.c.type == "receiving",
                   _levels.c.status == "sellable", _levels.c.on_hand > _levels.c.reserved)
            .order_by(_locations.c.path, _skus.c.code, _levels.c.lot).limit(200))
    if warehouse_id is not None:
        stmt = stmt.where(_levels.c.warehouse_id == warehouse_id)
    out = []
    for sku_id, code, wh_id, location_id, path, lot, units in uow.conn.execute(stmt):
        best = rank_bins([b for b in _bins(uow, wh_id, sku_id) if b.location_id != location_id], int(units), 1)
        out.append(Awaiting(sku_id, code, wh_id, location_id, path, lot, int(units), best[0] if best else None))
    return out


def putaway_rules(uow: UnitOfWork, warehouse_id: int | None = None) -> list[RuleRow]:
    uow.require(INVENTORY_VIEW)
    w = Warehouse.__table__
    c = Category.__table__
    stmt = (select(_rules.c.id, w.c.code, _rules.c.category_id, c.c.name, _locations.c.path)
            .join(w, w.c.id == _rules.c.warehouse_id).join(c, c.c.id == _rules.c.category_id)
            .join(_locations, _locations.c.id == _rules.c.location_id)
            .where(_rules.c.tenant_id == uow.tenant_id).order_by(w.c.code, c.c.name))
    if warehouse_id is not None:
        stmt = stmt.where(_rules.c.warehouse_id == warehouse_id)
    return [RuleRow(*row) for row in uow.conn.execute(stmt)]

"""Relations between SKUs.

- Equivalents: symmetric groups of interchangeable SKUs. Making A≡B and then B≡C puts A, B and C in one
  group (two groups are merged); removing one SKU leaves the others equivalent (a group of one is dissolved).
- Replacements: one way, "A is superseded by B from a date". A chain A→B→C is fine; a cycle is refused.
- Related items: one way, with a kind (accessory, bought together).
"""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, insert, select, update

from stockyard.catalog.models import EquivalentGroup, EquivalentMember, RelatedItem, Replacement, Sku
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import CATALOG_EDIT

RELATED_KINDS = ("accessory", "bought_together")


class SetReplacement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    replaced_by: str = Field(min_length=1, max_length=64, description="SKU code of the successor")
    effective_on: date


class AddRelated(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    related: str = Field(min_length=1, max_length=64, description="SKU code")
    kind: Literal["accessory", "bought_together"]


def sku_id_for(uow: UnitOfWork, code: str, field: str) -> int:
    found = uow.execute(select(Sku.id).where(Sku.code == code.strip())).scalar()
    if found is None:
        raise NotFound(f"unknown SKU '{code.strip()}'", field=field)
    return found


def _code(uow: UnitOfWork, sku_id: int) -> str:
    code = uow.execute(select(Sku.code).where(Sku.id == sku_id)).scalar()
    if code is None:
        raise NotFound(f"unknown SKU {sku_id}", field="sku_id")
    return code


def _group_of(uow: UnitOfWork, sku_id: int) -> int | None:
    return uow.execute(select(EquivalentMember.group_id).where(EquivalentMember.sku_id == sku_id)).scalar()


def equivalents_of(uow: UnitOfWork, sku_id: int) -> list[str]:
    """Codes of the other SKUs in the SKU's group."""
    group = _group_of(uow, sku_id)
    if group is None:
        return []
    return list(uow.execute(select(Sku.code).join(EquivalentMember, EquivalentMember.sku_id == Sku.id)
                            .where(EquivalentMember.group_id == group, Sku.id != sku_id)
                            .order_by(Sku.code)).scalars())


def add_equivalent(uow: UnitOfWork, sku_id: int, other_code: str) -> None:
    uow.require(CATALOG_EDIT)
    code = _code(uow, sku_id)
    other_id = sku_id_for(uow, other_code, "equivalent")
    if other_id == sku_id:
        raise ValidationFailed("a SKU is always equivalent to itself; choose another SKU", field="equivalent")
    mine, theirs = _group_of(uow, sku_id), _group_of(uow, other_id)
    if mine is not None and mine == theirs:
        raise Conflict(f"{code} and {other_code.strip()} are already equivalent", field="equivalent")
    before = equivalents_of(uow, sku_id)
    if mine is None and theirs is None:
        group = uow.conn.execute(insert(EquivalentGroup).values(tenant_id=uow.tenant_id, created_at=utcnow())
                                 .returning(EquivalentGroup.id)).scalar_one()
        uow.conn.execute(insert(EquivalentMember), [{"tenant_id": uow.tenant_id, "group_id": group, "sku_id": s}
                                                     for s in (sku_id, other_id)])
    elif mine is None or theirs is None:
        group = mine if mine is not None else theirs
        joining = other_id if mine is not None else sku_id
        uow.conn.execute(insert(EquivalentMember).values(tenant_id=uow.tenant_id, group_id=group, sku_id=joining))
    else:
        uow.execute(update(EquivalentMember).where(EquivalentMember.group_id == theirs).values(group_id=mine))
        uow.execute(delete(EquivalentGroup).where(EquivalentGroup.id == theirs))
    add_event(uow, "sku.equivalents_changed.v1", {"sku_id": sku_id, "sku": code, "before": before,
                                                  "after": equivalents_of(uow, sku_id)})


def remove_equivalent(uow: UnitOfWork, sku_id: int) -> None:
    """Takes the SKU out of its group; the others stay equivalent to each other."""
    uow.require(CATALOG_EDIT)
    code = _code(uow, sku_id)
    group = _group_of(uow, sku_id)
    if group is None:
        raise NotFound(f"{code} has no equivalents", field="sku_id")
    before = equivalents_of(uow, sku_id)
    uow.execute(delete(EquivalentMember).where(EquivalentMember.sku_id == sku_id))
    left = uow.execute(select(func.count()).select_from(EquivalentMember)
                       .where(EquivalentMember.group_id == group)).scalar_one()
    if left < 2:
        uow.execute(delete(EquivalentMember).where(EquivalentMember.group_id == group))
        uow.execute(delete(EquivalentGroup).where(EquivalentGroup.id == group))
    add_event(uow, "sku.equivalents_changed.v1", {"sku_id": sku_id, "sku": code, "before": before, "after": []})


def set_replacement(uow: UnitOfWork, sku_id: int, cmd: SetReplacement) -> None:
    uow.require(CATALOG_EDIT)
    code = _code(uow, sku_id)
    successor = sku_id_for(uow, cmd.replaced_by, "replaced_by")
    if successor == sku_id:
        raise ValidationFailed("a SKU cannot replace itself", field="replaced_by")
    chain = {r.sku_id: r.replaced_by_id for r in uow.execute(select(Replacement)).scalars()}
    step: int | None = successor
    while step is not None:
        if step == sku_id:
            raise ValidationFailed(f"{cmd.replaced_by.strip()} is (directly or through others) superseded by {code};"
                                   " that would make a cycle", field="replaced_by")
        step = chain.get(step)
    current = uow.execute(select(Replacement).where(Replacement.sku_id == sku_id)).scalar()
    before = ({"replaced_by": _code(uow, current.replaced_by_id), "effective_on": current.effective_on.isoformat()}
              if current else None)
    if current is None:
        uow.conn.execute(insert(Replacement).values(tenant_id=uow.tenant_id, sku_id=sku_id, replaced_by_id=successor,
                                                    effective_on=cmd.effective_on, created_at=utcnow()))
    else:
        current.replaced_by_id = successor
        current.effective_on = cmd.effective_on
        uow.session.flush()
    add_event(uow, "sku.replacement_set.v1", {"sku_id": sku_id, "sku": code, "before": before, "after": {
        "replaced_by": cmd.replaced_by.strip(), "effective_on": cmd.effective_on.isoformat()}})


def remove_replacement(uow: UnitOfWork, sku_id: int) -> None:
    uow.require(CATALOG_EDIT)
    code = _code(uow, sku_id)
    current = uow.execute(select(Replacement).where(Replacement.sku_id == sku_id)).scalar()
    if current is None:
        raise NotFound(f"{code} is not superseded", field="sku_id")
    before = {"replaced_by": _code(uow, current.replaced_by_id), "effective_on": current.effective_on.isoformat()}
    uow.execute(delete(Replacement).where(Replacement.id == current.id))
    add_event(uow, "sku.replacement_removed.v1", {"sku_id": sku_id, "sku": code, "before": before, "after": None})


def add_related(uow: UnitOfWork, sku_id: int, cmd: AddRelated) -> int:
    uow.require(CATALOG_EDIT)
    code = _code(uow, sku_id)
    related_id = sku_id_for(uow, cmd.related, "related")
    if related_id == sku_id:
        raise ValidationFailed("a SKU cannot be related to itself", field="related")
    if uow.execute(select(RelatedItem.id).where(RelatedItem.sku_id == sku_id, RelatedItem.related_id == related_id,
                                                RelatedItem.kind == cmd.kind)).first():
        raise Conflict(f"{cmd.related.strip()} is already listed as {cmd.kind.replace('_', ' ')}", field="related")
    link_id = uow.conn.execute(insert(RelatedItem).values(
        tenant_id=uow.tenant_id, sku_id=sku_id, related_id=related_id, kind=cmd.kind, created_at=utcnow())
        .returning(RelatedItem.id)).scalar_one()
    add_event(uow, "sku.related_added.v1", {"sku_id": sku_id, "sku": code, "related": cmd.related.strip(),
                                            "kind": cmd.kind})
    return link_id


def remove_related(uow: UnitOfWork, sku_id: int, link_id: int) -> None:
    uow.require(CATALOG_EDIT)
    code = _code(uow, sku_id)
    link = uow.execute(select(RelatedItem).where(RelatedItem.id == link_id, RelatedItem.sku_id == sku_id)).scalar()
    if link is None:
        raise NotFound(f"{code} has no related item {link_id}", field="link_id")
    related = _code(uow, link.related_id)
    uow.execute(delete(RelatedItem).where(RelatedItem.id == link_id))
    add_event(uow, "sku.related_removed.v1", {"sku_id": sku_id, "sku": code, "related": related,
                                              "kind": link.kind})

"""Brands and the category tree: create, rename, re-parent (never into its own subtree) and reorder."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, select

from stockyard.catalog.models import Brand, Category
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import CATALOG_EDIT


class BrandIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=120)


class CategoryIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=r"^[^/]+$")
    parent_id: int | None = None


def _brand_taken(uow: UnitOfWork, name: str, other_than: int | None = None) -> None:
    stmt = select(Brand.id).where(func.lower(Brand.name) == name.lower())
    if other_than is not None:
        stmt = stmt.where(Brand.id != other_than)
    if uow.execute(stmt).first():
        raise Conflict(f"a brand named {name!r} exists", field="name")


def create_brand(uow: UnitOfWork, cmd: BrandIn) -> int:
    uow.require(CATALOG_EDIT)
    name = cmd.name.strip()
    _brand_taken(uow, name)
    brand_id = uow.conn.execute(insert(Brand).values(tenant_id=uow.tenant_id, name=name, created_at=utcnow())
                                .returning(Brand.id)).scalar_one()
    add_event(uow, "brand.created.v1", {"brand_id": brand_id, "name": name})
    return brand_id


def rename_brand(uow: UnitOfWork, brand_id: int, cmd: BrandIn) -> None:
    uow.require(CATALOG_EDIT)
    brand = uow.execute(select(Brand).where(Brand.id == brand_id)).scalar()
    if brand is None:
        raise NotFound(f"unknown brand {brand_id}", field="brand_id")
    name = cmd.name.strip()
    _brand_taken(uow, name, other_than=brand_id)
    before = {"name": brand.name}
    brand.name = name
    uow.session.flush()
    add_event(uow, "brand.updated.v1", {"brand_id": brand_id, "before": before, "after": {"name": name}})


def _category(uow: UnitOfWork, category_id: int, field: str = "category_id") -> Category:
    found = uow.execute(select(Category).where(Category.id == category_id)).scalar()
    if found is None:
        raise NotFound(f"unknown category {category_id}", field=field)
    return found


def _sibling_taken(uow: UnitOfWork, parent_id: int | None, name: str, other_than: int | None = None) -> None:
    stmt = select(Category.id).where(func.lower(Category.name) == name.lower())
    stmt = stmt.where(Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id)
    if other_than is not None:
        stmt = stmt.where(Category.id != other_than)
    if uow.execute(stmt).first():
        raise Conflict(f"the parent already has a category named {name!r}", field="name")


def _siblings(uow: UnitOfWork, parent_id: int | None) -> list[Category]:
    stmt = select(Category).where(Category.parent_id.is_(None) if parent_id is None
                                  else Category.parent_id == parent_id)
    return list(uow.execute(stmt.order_by(Category.position, Category.name, Category.id)).scalars())


def create_category(uow: UnitOfWork, cmd: CategoryIn) -> int:
    uow.require(CATALOG_EDIT)
    if cmd.parent_id is not None:
        _category(uow, cmd.parent_id, "parent_id")
    name = cmd.name.strip()
    _sibling_taken(uow, cmd.parent_id, name)
    position = len(_siblings(uow, cmd.parent_id))
    category_id = uow.conn.execute(insert(Category).values(
        tenant_id=uow.tenant_id, name=name, parent_id=cmd.parent_id, position=position, created_at=utcnow())
        .returning(Category.id)).scalar_one()
    add_event(uow, "category.created.v1", {"category_id": category_id, "name": name, "parent_id": cmd.parent_id})
    return category_id


def update_category(uow: UnitOfWork, category_id: int, cmd: CategoryIn) -> None:
    """Rename and/or re-parent. Moving a category under itself or one of its descendants is refused."""
    uow.require(CATALOG_EDIT)
    category = _category(uow, category_id)
    ancestor = cmd.parent_id
    while ancestor is not None:
        if ancestor == category_id:
            raise ValidationFailed("a category cannot be moved under itself or one of its subcategories",
                                   field="parent_id")
        ancestor = _category(uow, ancestor, "parent_id").parent_id
    name = cmd.name.strip()
    _sibling_taken(uow, cmd.parent_id, name, other_than=category_id)
    before = {"name": category.name, "parent_id": category.parent_id, "position": category.position}
    if category.parent_id != cmd.parent_id:
        old_parent = category.parent_id
        category.parent_id = cmd.parent_id
        category.position = len(_siblings(uow, cmd.parent_id))
        uow.session.flush()
        _renumber(_siblings(uow, old_parent))
    category.name = name
    uow.session.flush()
    add_event(uow, "category.updated.v1", {"category_id": category_id, "before": before, "after": {
        "name": category.name, "parent_id": category.parent_id, "position": category.position}})


def move_category(uow: UnitOfWork, category_id: int, direction: Literal["up", "down"]) -> None:
    """Swap with the previous (up) or next (down) sibling; at either end nothing moves."""
    uow.require(CATALOG_EDIT)
    category = _category(uow, category_id)
    siblings = _siblings(uow, category.parent_id)
    at = next(i for i, c in enumerate(siblings) if c.id == category_id)
    to = at - 1 if direction == "up" else at + 1
    before = category.position
    if 0 <= to < len(siblings):
        siblings[at], siblings[to] = siblings[to], siblings[at]
    _renumber(siblings)
    uow.session.flush()
    add_event(uow, "category.updated.v1", {"category_id": category_id, "before": {"position": before},
                                           "after": {"position": category.position}})


def _renumber(siblings: list[Category]) -> None:
    for position, sibling in enumerate(siblings):
        sibling.position = position

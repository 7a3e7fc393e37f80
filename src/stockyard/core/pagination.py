"""Page through query results."""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

T = TypeVar("T")
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def paginate(execute: Any, stmt: Select[Any], page: int, per_page: int) -> Page[Any]:
    """`execute` is a unit of work's tenant-scoped `execute`; rows come back as-is."""
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    total = execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    items = list(execute(stmt.limit(per_page).offset((page - 1) * per_page)).all())
    return Page(items, total, page, per_page)

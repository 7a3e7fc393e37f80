"""Page through query results, sorted by a column chosen from a whitelist."""

from collections.abc import Callable, Collection, Mapping, Sequence
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
    sort: str = ""  # the order actually applied ("name", "-name" for descending); "" when the list has no choice

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def paginate(execute: Any, stmt: Select[Any], page: int, per_page: int, sort: str = "") -> Page[Any]:
    """`execute` is a unit of work's tenant-scoped `execute`; rows come back as-is. `sort` is only reported."""
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    total = execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    items = list(execute(stmt.limit(per_page).offset((page - 1) * per_page)).all())
    return Page(items, total, page, per_page, sort)


def sort_key(sort: str, allowed: Collection[str], default: str) -> str:
    """`sort` ("name" ascending, "-name" descending) when it names an allowed key, else `default`: a sort value
    from a query string only ever selects one of the caller's own columns."""
    sort = sort.strip()
    return sort if sort.removeprefix("-") in allowed else default


def sorted_by(stmt: Select[Any], sort: str, columns: Mapping[str, Any], default: str) -> tuple[Select[Any], str]:
    """`stmt` ordered by the whitelisted column `sort` names (see sort_key), and the sort applied. A key may name a
    tuple of columns, all sorted the same way. Add a unique tie-breaker after it (`.order_by(Model.id)`) so that
    pages do not overlap."""
    sort = sort_key(sort, columns, default)
    chosen = columns[sort.removeprefix("-")]
    return stmt.order_by(*(c.desc() if sort.startswith("-") else c.asc()
                           for c in (chosen if isinstance(chosen, tuple) else (chosen,)))), sort


def page_of(items: Sequence[T], sort: str, keys: Mapping[str, Callable[[T], Any]], default: str, page: int,
            per_page: int) -> Page[T]:
    """A page of a short list held in memory, sorted like sorted_by (stable: equal keys keep their order)."""
    sort = sort_key(sort, keys, default)
    ordered = sorted(items, key=keys[sort.removeprefix("-")], reverse=sort.startswith("-"))
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    return Page(ordered[(page - 1) * per_page:page * per_page], len(ordered), page, per_page, sort)

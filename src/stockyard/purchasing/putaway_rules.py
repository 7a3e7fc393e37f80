"""Pure putaway ranking: where received units of a SKU should go in a warehouse. No I/O.

A bin is a candidate when it is a storage or picking bin that can take the units (its free capacity, when it has
a capacity, is at least the quantity). Candidates are ranked by, in order:
1. it already holds the SKU (keep a SKU together: fewer places to pick from and to count);
2. it is inside a location that a putaway rule names for the SKU's category (the rule of the nearest category
   first, for a SKU whose subcategory has its own rule);
3. more free capacity first (a bin with a known capacity before one without, which is unlimited but unknown);
4. its path, so that the order is stable.
Each suggestion says why it was ranked where it is.
"""

from collections.abc import Sequence
from dataclasses import dataclass

PUTAWAY_TYPES = frozenset({"storage", "picking"})


@dataclass(frozen=True)
class Bin:
    location_id: int
    path: str
    type: str
    capacity: int | None  # None: not limited
    on_hand: int  # every SKU's units there now
    sku_on_hand: int  # of which the SKU's own
    rule_depth: int | None  # None: no rule covers this bin; 0: the rule of the SKU's own category, 1: its parent's…

    @property
    def free(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.on_hand, 0)


@dataclass(frozen=True)
class Suggestion:
    location_id: int
    path: str
    free: int | None
    sku_on_hand: int
    reasons: tuple[str, ...]


def _fits(candidate: Bin, quantity: int) -> bool:
    return candidate.type in PUTAWAY_TYPES and (candidate.free is None or candidate.free >= quantity)


def _key(candidate: Bin) -> tuple[int, int, int, int, str]:
    free = candidate.free
    return (0 if candidate.sku_on_hand > 0 else 1,
            candidate.rule_depth if candidate.rule_depth is not None else 1_000,
            0 if free is not None else 1, -(free or 0), candidate.path)


def _reasons(candidate: Bin) -> tuple[str, ...]:
    out = []
    if candidate.sku_on_hand > 0:
        out.append(f"already holds {candidate.sku_on_hand} of this SKU")
    if candidate.rule_depth is not None:
        out.append("putaway rule for the SKU's category" if candidate.rule_depth == 0
                   else "putaway rule for a parent category")
    out.append("no capacity limit" if candidate.free is None else f"{candidate.free} free")
    return tuple(out)


def rank_bins(bins: Sequence[Bin], quantity: int, limit: int = 5) -> list[Suggestion]:
    """The best `limit` bins for `quantity` units, best first (see the module's docstring for the order)."""
    ranked = sorted((b for b in bins if _fits(b, quantity)), key=_key)[:limit]
    return [Suggestion(b.location_id, b.path, b.free, b.sku_on_hand, _reasons(b)) for b in ranked]


def under(path: str, ancestor: str) -> bool:
    """Whether location `path` is `ancestor` or below it."""
    return path == ancestor or path.startswith(ancestor + "/")

"""Walking order of a pick list (pure): the order in which a picker visits locations of the location tree.

Location paths read from the warehouse down ("MAIN/A/03/B2": zone A, aisle 03, bin B2). Paths are compared segment by
segment in natural order (digits as numbers, so "A/2" comes before "A/10"). With `serpentine` (the default), the
picker walks an S-shape: bins of the first aisle visited are taken front to back, those of the next aisle back to
front, and so on, so that nobody walks an aisle twice. The aisle of a bin is its parent path; an aisle counts only
when the list visits it. Ties (the same location twice) keep their given order.
"""

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
_PARTS = re.compile(r"(\d+)")

NaturalKey = tuple[tuple[tuple[int, int | str], ...], ...]


def natural_key(path: str) -> NaturalKey:
    """Segment by segment, runs of digits compare as numbers and the rest case-insensitively."""
    segments = []
    for segment in path.split("/"):
        pieces: list[tuple[int, int | str]] = []
        for piece in _PARTS.split(segment):
            if not piece:
                continue
            pieces.append((0, int(piece)) if piece.isdigit() else (1, piece.casefold()))
        segments.append(tuple(pieces))
    return tuple(segments)


def _aisle(path: str) -> NaturalKey:
    return natural_key(path.rsplit("/", 1)[0] if "/" in path else "")


def walking_order(items: Sequence[T], path_of: Callable[[T], str], *, serpentine: bool = True) -> list[T]:
    """`items` sorted in walking order of their location paths."""
    indexed = list(enumerate(items))
    indexed.sort(key=lambda pair: (natural_key(path_of(pair[1])), pair[0]))
    if not serpentine:
        return [item for _, item in indexed]
    aisles: list[list[tuple[int, T]]] = []
    current: NaturalKey | None = None
    for pair in indexed:
        aisle = _aisle(path_of(pair[1]))
        if aisle != current:
            aisles.append([])
            current = aisle
        aisles[-1].append(pair)
    out: list[T] = []
    for number, visit in enumerate(aisles):
        if number % 2 == 1:
            # back to front, but units at the same location stay in the order given
            groups: list[list[tuple[int, T]]] = []
            for pair in visit:
                if groups and natural_key(path_of(groups[-1][0][1])) == natural_key(path_of(pair[1])):
                    groups[-1].append(pair)
                else:
                    groups.append([pair])
            visit = [pair for group in reversed(groups) for pair in group]
        out.extend(item for _, item in visit)
    return out

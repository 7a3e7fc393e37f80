"""Pure inventory rules: statuses, reasons, level deltas, lock order, reservation plans, count variances.

Nothing here touches the database; tests/inventory/test_domain.py drives it with hypothesis.
"""

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator

from stockyard.core.errors import ValidationFailed


class Status(StrEnum):
    SELLABLE = "sellable"
    QUARANTINE = "quarantine"
    DAMAGED = "damaged"
    RETURN_PENDING = "return_pending"
    IN_TRANSIT = "in_transit"


class Usage(StrEnum):
    INTERNAL = "internal"
    TRANSIT = "transit"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    ADJUSTMENT = "adjustment"
    SCRAP = "scrap"


class Reason(StrEnum):
    RECEIPT = "receipt"
    PUTAWAY = "putaway"
    MOVE = "move"
    TRANSFER_DISPATCH = "transfer_dispatch"
    TRANSFER_RECEIPT = "transfer_receipt"
    WRITE_OFF = "write_off"
    STATUS_CHANGE = "status_change"
    COUNT_ADJUSTMENT = "count_adjustment"
    SHIPMENT = "shipment"
    RETURN_RECEIPT = "return_receipt"
    IMPORT = "import"


WRITE_OFF_REASONS = ("damaged", "expired", "lost", "theft", "sample", "other")
LOCATION_TYPES = ("receiving", "storage", "picking", "packing", "shipping", "quarantine")
LOCATION_KINDS = ("zone", "aisle", "bin")
# Locations whose contents are counted in levels; the others are outside parties with no balance.
STOCKED_USAGES = frozenset({Usage.INTERNAL, Usage.TRANSIT})


@dataclass(frozen=True, order=True)
class LevelKey:
    """Identifies one level row. Its field order is THE lock order (ARCHITECTURE §3)."""

    sku_id: int
    location_id: int
    status: str
    lot: str


@dataclass(frozen=True)
class Place:
    location_id: int
    usage: str
    warehouse_id: int | None

    @property
    def stocked(self) -> bool:
        return self.usage in STOCKED_USAGES


@dataclass(frozen=True)
class Move:
    sku_id: int
    quantity: int
    source: Place
    target: Place
    from_status: str
    to_status: str
    lot: str = ""


def _not_true_or_false(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("must be a whole number, not true or false")
    return value


# A quantity in a command: pydantic alone would read JSON true/false as 1/0.
WholeNumber = Annotated[int, BeforeValidator(_not_true_or_false)]


def require_positive(quantity: int, field: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise ValidationFailed("must be a whole number", field=field)
    if quantity <= 0:
        raise ValidationFailed("must be greater than zero", field=field)
    return quantity


def check_move(move: Move) -> None:
    require_positive(move.quantity)
    if move.source.location_id == move.target.location_id and move.from_status == move.to_status:
        raise ValidationFailed("source and destination are the same location and status", field="to_location")
    if not move.source.stocked and not move.target.stocked:
        raise ValidationFailed("a move must touch at least one stocked location", field="to_location")


def level_deltas(moves: list[Move]) -> dict[LevelKey, int]:
    """Net on-hand change per level row for a batch of moves, sorted in lock order, zeros dropped."""
    deltas: dict[LevelKey, int] = defaultdict(int)
    for move in moves:
        if move.source.stocked:
            deltas[LevelKey(move.sku_id, move.source.location_id, move.from_status, move.lot)] -= move.quantity
        if move.target.stocked:
            deltas[LevelKey(move.sku_id, move.target.location_id, move.to_status, move.lot)] += move.quantity
    return {key: deltas[key] for key in sorted(deltas) if deltas[key] != 0}


@dataclass(frozen=True)
class Candidate:
    level_id: int
    location_id: int
    lot: str
    free: int


def plan_reservation(candidates: list[Candidate], quantity: int) -> list[tuple[int, int]]:
    """Take `quantity` from candidates in the order given (preference order).

    Returns (level_id, take) pairs, or an empty list when the candidates cannot cover the quantity."""
    plan: list[tuple[int, int]] = []
    needed = quantity
    for candidate in candidates:
        if needed == 0:
            break
        take = min(candidate.free, needed)
        if take > 0:
            plan.append((candidate.level_id, take))
            needed -= take
    return plan if needed == 0 else []


def count_variance(counted: int, system_qty: int) -> int:
    """Units to add (positive) or remove (negative) so the ledger matches what was counted."""
    return counted - system_qty


def transfer_state(lines: list[tuple[int, int]]) -> str:
    """State of a transfer from its (quantity, received) lines."""
    if all(received == quantity for quantity, received in lines):
        return "received"
    if any(received > 0 for _, received in lines):
        return "partially_received"
    return "in_transit"


def shortage_transition(available: int, minimum: int, alert_open: bool) -> str | None:
    """'open' when available falls below the minimum, 'resolve' when it recovers, else None."""
    if available < minimum and not alert_open:
        return "open"
    if available >= minimum and alert_open:
        return "resolve"
    return None

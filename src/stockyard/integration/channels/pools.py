"""Available-to-sell on a channel: the share of our available-to-promise a connected site may offer (pure rules).

A site is fed by some warehouses (all of them by default). Of their summed ATP it may be given a fixed share
(`share_pct`, rounded down, so two sites at 50 % never offer more than we have between them), and a buffer of units
is then held back (`buffer`), so a site that syncs late cannot oversell the last units. The result is never below
zero and never above the true ATP of the warehouses feeding the site.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from stockyard.core.errors import ValidationFailed


@dataclass(frozen=True)
class Pool:
    warehouse_ids: frozenset[int] = frozenset()  # empty: every warehouse
    share_pct: int = 100
    buffer: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.share_pct <= 100:
            raise ValidationFailed("must be between 0 and 100", field="stock_share_pct")
        if self.buffer < 0:
            raise ValidationFailed("must be zero or more", field="stock_buffer")

    def feeds_from(self, warehouse_id: int) -> bool:
        return not self.warehouse_ids or warehouse_id in self.warehouse_ids


def pool_atp(atp_by_warehouse: Mapping[int, int], pool: Pool) -> int:
    """The true ATP of the warehouses feeding the pool (negative figures count as nothing)."""
    return sum(max(atp, 0) for wh, atp in atp_by_warehouse.items() if pool.feeds_from(wh))


def available_to_sell(atp_by_warehouse: Mapping[int, int], pool: Pool) -> int:
    """What the site may offer: the pool's share of its warehouses' ATP, less the buffer, never below zero."""
    shared = pool_atp(atp_by_warehouse, pool) * pool.share_pct // 100
    return max(shared - pool.buffer, 0)

"""Pure replenishment formula: how many units of a SKU to order for a warehouse. No I/O.

    daily velocity   = the demand forecast's units a day (analytics/forecast.py) where there is one,
                       else units shipped over the last N days / N
    lead-time demand = ceil(velocity × supplier lead time)
    reorder point    = max(min-stock rule minimum, safety stock + lead-time demand)
    position         = sellable on hand − reserved + inbound (open purchase orders to that warehouse)
    order when position < reorder point, up to
    target           = reorder point + ceil(velocity × cover days)
    quantity         = target − position, raised to the supplier's minimum order quantity, then rounded up to
                       whole packs.
"""

from dataclasses import dataclass
from fractions import Fraction
from math import ceil


@dataclass(frozen=True)
class ReorderInput:
    available: int  # sellable on hand − reserved, all locations of the warehouse
    inbound: int  # open purchase order units still to arrive in the warehouse
    minimum: int  # the min-stock rule's minimum (0 without a rule)
    safety_stock: int
    lead_time_days: int
    shipped: int  # units shipped over the last `days`
    days: int
    cover_days: int  # how many days of sales an order should cover beyond the reorder point
    pack_size: int = 1
    min_order_qty: int = 1
    forecast_daily: Fraction | None = None  # the demand forecast's units a day; None: none made for this pair


@dataclass(frozen=True)
class ReorderAdvice:
    velocity: Fraction  # units per day
    reorder_point: int
    position: int
    target: int
    need: int  # target − position, before packs and minimum (0: nothing to order)
    quantity: int  # what to order


def round_to_packs(need: int, pack_size: int, min_order_qty: int) -> int:
    """The smallest whole number of packs that is at least `need` and at least the minimum order quantity."""
    if need <= 0:
        return 0
    wanted = max(need, min_order_qty)
    return -(-wanted // pack_size) * pack_size


def advise(given: ReorderInput) -> ReorderAdvice:
    if given.forecast_daily is not None:
        velocity = given.forecast_daily
    else:
        velocity = Fraction(given.shipped, given.days) if given.days > 0 else Fraction(0)
    lead_demand = ceil(velocity * given.lead_time_days)
    reorder_point = max(given.minimum, given.safety_stock + lead_demand)
    position = given.available + given.inbound
    target = reorder_point + ceil(velocity * given.cover_days)
    need = target - position if position < reorder_point else 0
    return ReorderAdvice(velocity, reorder_point, position, target, need,
                         round_to_packs(need, given.pack_size, given.min_order_qty))

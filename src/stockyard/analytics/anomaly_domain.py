"""Anomaly detection, without I/O: each detector looks at one figure against its own recent past and, when the
figure is far out, returns an `Anomaly` with the figures and a sentence a person understands.

- Unusual stock movement: a write-off, count adjustment, move or transfer whose quantity is far above the usual for
  that SKU, warehouse and kind of movement. Robust z-score: (quantity − median) / MAD over the previous movements of
  the same kind (the median absolute deviation, at least one unit, so that a history of identical quantities still
  has a scale). Fires at `MOVE_THRESHOLD` MADs with at least `MIN_MOVE_HISTORY` earlier movements.
- Cancellation spike: the share of a day's orders that were cancelled against the pooled rate of the previous
  `BASELINE_DAYS` days (at least 1% as a floor). Binomial z-score: (rate − base) / √(base·(1 − base) / orders). Fires
  at `CANCEL_Z` with at least `MIN_CANCELLED` cancellations and at least twice the usual rate.
- Margin drop: a day's gross margin % (revenue net of tax less the cost of the goods) per channel against the median
  of the previous days; fires when it is at least `MARGIN_DROP_POINTS` points lower and at least `MARGIN_MADS` times
  the days' median absolute deviation (at least one point) below, with `MIN_BASELINE_DAYS` days of history.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from statistics import median
from typing import Any

STOCK_MOVEMENT = "stock_movement"
CANCELLATION_SPIKE = "cancellation_spike"
MARGIN_DROP = "margin_drop"
KINDS: dict[str, str] = {STOCK_MOVEMENT: "Unusual stock movement", CANCELLATION_SPIKE: "Cancellation spike",
                         MARGIN_DROP: "Margin drop"}

MOVE_THRESHOLD = 5.0
MIN_MOVE_HISTORY = 5
MOVE_HISTORY_DAYS = 90
BASELINE_DAYS = 28
CANCEL_Z = 3.0
MIN_CANCELLED = 3
CANCEL_FLOOR = 0.01
MIN_BASELINE_ORDERS = 20
MARGIN_DROP_POINTS = Decimal(10)
MARGIN_MADS = Decimal(3)
MIN_BASELINE_DAYS = 7

MOVE_LABELS = {"write_off": "write-off", "count_adjustment": "count adjustment", "move": "move",
               "transfer_dispatch": "transfer"}


@dataclass(frozen=True)
class Anomaly:
    kind: str
    fingerprint: str  # the same anomaly found again has the same fingerprint
    subject: str
    day: date
    figures: dict[str, Any]
    reason: str


def mad(values: list[Any]) -> Any:
    """The median absolute deviation from the median."""
    centre = median(values)
    return median([abs(v - centre) for v in values])


def _num(value: Decimal | float) -> str:
    """12 → '12', 2.5 → '2.5'."""
    return f"{value:.1f}".removesuffix(".0")


# ---- unusual stock movements ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MoveFact:
    move_id: int
    sku: str
    warehouse: str
    reason: str  # the ledger's reason: write_off, count_adjustment, move, transfer_dispatch
    quantity: int
    at: datetime


def unusual_move(move: MoveFact, history: list[int]) -> Anomaly | None:
    """`history`: the quantities of the earlier movements of the same SKU, warehouse and reason."""
    if len(history) < MIN_MOVE_HISTORY:
        return None
    usual = median(history)
    spread = max(mad(history), 1)
    score = (move.quantity - usual) / spread
    if score < MOVE_THRESHOLD:
        return None
    label = MOVE_LABELS.get(move.reason, move.reason.replace("_", " "))
    return Anomaly(
        STOCK_MOVEMENT, f"move:{move.move_id}", f"{move.sku} at {move.warehouse} ({label})", move.at.date(),
        {"move_id": move.move_id, "sku": move.sku, "warehouse": move.warehouse, "movement": move.reason,
         "quantity": move.quantity, "median": _num(usual), "mad": _num(spread), "score": round(float(score), 1),
         "history": len(history)},
        f"{label.capitalize()} of {move.quantity} units of {move.sku} at {move.warehouse} is {score:.1f}× the median "
        f"absolute deviation above its usual {_num(usual)} units (median of the previous {len(history)} "
        f"{label}s).")


def unusual_moves(moves: list[MoveFact], earlier: list[MoveFact], *, history_days: int = MOVE_HISTORY_DAYS,
                  ) -> list[Anomaly]:
    """Each of `moves` against the movements before it (from `earlier` and `moves`) of the same SKU, warehouse and
    reason within `history_days`."""
    everything = sorted({m.move_id: m for m in [*earlier, *moves]}.values(), key=lambda m: (m.at, m.move_id))
    groups: dict[tuple[str, str, str], list[MoveFact]] = {}
    for m in everything:
        groups.setdefault((m.sku, m.warehouse, m.reason), []).append(m)
    found = []
    for move in moves:
        before = [m.quantity for m in groups[(move.sku, move.warehouse, move.reason)]
                  if (m.at, m.move_id) < (move.at, move.move_id) and (move.at - m.at).days < history_days]
        anomaly = unusual_move(move, before)
        if anomaly:
            found.append(anomaly)
    return found


# ---- cancellation spikes -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DayOrders:
    day: date
    placed: int
    cancelled: int


def cancellation_spike(today: DayOrders, baseline: list[DayOrders]) -> Anomaly | None:
    """`baseline`: the previous days (usually `BASELINE_DAYS` of them)."""
    base_placed = sum(d.placed for d in baseline)
    if today.placed == 0 or today.cancelled < MIN_CANCELLED or base_placed < MIN_BASELINE_ORDERS:
        return None
    base = max(sum(d.cancelled for d in baseline) / base_placed, CANCEL_FLOOR)
    rate = today.cancelled / today.placed
    z = (rate - base) / math.sqrt(base * (1 - base) / today.placed) if base < 1 else 0.0
    if z < CANCEL_Z or rate < 2 * base:
        return None
    return Anomaly(
        CANCELLATION_SPIKE, f"cancellations:{today.day.isoformat()}", "orders of every channel", today.day,
        {"placed": today.placed, "cancelled": today.cancelled, "rate_pct": round(rate * 100, 1),
         "baseline_pct": round(base * 100, 1), "baseline_days": len(baseline), "baseline_orders": base_placed,
         "z": round(z, 1)},
        f"{today.cancelled} of the {today.placed} orders placed on {today.day.isoformat()} were cancelled "
        f"({rate:.1%}), against {base:.1%} over the previous {len(baseline)} days: {z:.1f} standard deviations above "
        "the usual rate.")


def cancellation_spikes(days: list[DayOrders], history: list[DayOrders], *,
                        baseline_days: int = BASELINE_DAYS) -> list[Anomaly]:
    """Each of `days` against the `baseline_days` before it (from `history` and `days`)."""
    by_day = {d.day: d for d in [*history, *days]}
    found = []
    for today in days:
        baseline = [d for d in by_day.values() if 0 < (today.day - d.day).days <= baseline_days]
        anomaly = cancellation_spike(today, baseline)
        if anomaly:
            found.append(anomaly)
    return found


# ---- margin drops --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DayMargin:
    key: str  # what the margin is of: "channel:3"
    label: str  # "channel Web shop"
    day: date
    revenue: Decimal  # net of tax
    cost: Decimal

    @property
    def margin_pct(self) -> Decimal:
        return (self.revenue - self.cost) / self.revenue * 100


def margin_drop(today: DayMargin, baseline: list[DayMargin]) -> Anomaly | None:
    """`baseline`: earlier days of the same key with sales."""
    baseline = [d for d in baseline if d.revenue > 0]
    if today.revenue <= 0 or len(baseline) < MIN_BASELINE_DAYS:
        return None
    margins = [d.margin_pct for d in baseline]
    usual = median(margins)
    spread = max(mad(margins), Decimal(1))
    now = today.margin_pct
    drop = usual - now
    if drop < MARGIN_DROP_POINTS or drop < MARGIN_MADS * spread:
        return None
    return Anomaly(
        MARGIN_DROP, f"margin:{today.key}:{today.day.isoformat()}", today.label, today.day,
        {"revenue": f"{today.revenue:.2f}", "cost": f"{today.cost:.2f}", "margin_pct": f"{now:.1f}",
         "baseline_pct": f"{usual:.1f}", "mad_points": f"{spread:.1f}", "drop_points": f"{drop:.1f}",
         "baseline_days": len(baseline)},
        f"Gross margin on {today.label} was {now:.1f}% on {today.day.isoformat()} ({today.revenue:.2f} revenue, "
        f"{today.cost:.2f} cost of goods), {drop:.1f} points below its usual {usual:.1f}% (median of the previous "
        f"{len(baseline)} days with sales), {drop / spread:.1f}× their median absolute deviation.")


def margin_drops(days: list[DayMargin], history: list[DayMargin], *,
                 baseline_days: int = BASELINE_DAYS) -> list[Anomaly]:
    """Each of `days` against the earlier days of the same key within `baseline_days` (from `history` and `days`)."""
    everything = {(d.key, d.day): d for d in [*history, *days]}
    found = []
    for today in days:
        baseline = [d for (key, _), d in everything.items()
                    if key == today.key and 0 < (today.day - d.day).days <= baseline_days]
        anomaly = margin_drop(today, baseline)
        if anomaly:
            found.append(anomaly)
    return found

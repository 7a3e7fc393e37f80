"""ABC classification of SKUs by consumption value: what left for customers in the period, at FIFO cost, from the
ledger (the same costing as inventory turnover). Read model for /erp/analytics/abc; never writes."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from stockyard.analytics.abc_domain import AbcRow, class_totals, classify
from stockyard.analytics.inventory_kpis import after
from stockyard.analytics.inventory_queries import ledger_moves, skus
from stockyard.analytics.kpi import Period
from stockyard.analytics.ledger_replay import day_start, replay_fifo
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ANALYTICS_VIEW
from stockyard.inventory.domain import Reason


@dataclass(frozen=True)
class AbcReport:
    rows: list[AbcRow]  # keyed by SKU code
    units: dict[str, int]  # SKU code → units shipped
    categories: dict[str, str]  # SKU code → top-level category
    totals: dict[str, tuple[int, Decimal]]  # class → (SKUs, value)


@requires(ANALYTICS_VIEW)
def abc_report(uow: UnitOfWork, period: Period, a_cut: Decimal, b_cut: Decimal) -> AbcReport:
    """Every SKU shipped in the period is ranked; SKUs not shipped at all are not listed (they have no value)."""
    info = skus(uow)
    fifo = replay_fifo(ledger_moves(uow, after(period.end)), [])
    value: dict[str, Decimal] = defaultdict(Decimal)
    units: dict[str, int] = defaultdict(int)
    for issue in fifo.issues:
        if issue.move.reason == Reason.SHIPMENT.value and day_start(period.start) <= issue.move.at < after(period.end):
            code = info[issue.move.sku_id].code if issue.move.sku_id in info else f"#{issue.move.sku_id}"
            value[code] += issue.cost
            units[code] += issue.move.quantity
    rows = classify(value, a_cut, b_cut)
    categories = {i.code: i.category for i in info.values()}
    return AbcReport(rows, dict(units), {code: categories.get(code, "") for code in value}, class_totals(rows))

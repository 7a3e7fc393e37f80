"""The modules whose `@kpi` functions make up `/erp/analytics` (importing one registers its KPIs)."""

import importlib

from stockyard.analytics.kpi import KPIS, Kpi

KPI_MODULES: list[str] = [
    "stockyard.analytics.order_kpis",
    "stockyard.analytics.backorder_kpis",
    "stockyard.analytics.returns_kpis",
    "stockyard.analytics.margin_kpis",
    "stockyard.analytics.supplier_kpis",
    "stockyard.analytics.ops_kpis",
    "stockyard.analytics.exception_kpis",
    "stockyard.analytics.inventory_kpis",
]


def all_kpis() -> dict[str, Kpi]:
    for name in KPI_MODULES:
        importlib.import_module(name)
    return KPIS

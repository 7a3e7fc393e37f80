"""The modules whose `@kpi` functions make up `/erp/analytics` (importing one registers its KPIs)."""

import importlib

from stockyard.analytics.kpi import KPIS, Kpi

KPI_MODULES: list[str] = [
]


def all_kpis() -> dict[str, Kpi]:
    for name in KPI_MODULES:
        importlib.import_module(name)
    return KPIS

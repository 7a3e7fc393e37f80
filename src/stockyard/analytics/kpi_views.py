"""The analytics pages at /erp/analytics: the index of every KPI with its headline and a small chart, one KPI with
its chart, breakdown and drill-down, ABC classification, and a CSV of every table. Thin: parse, read, render."""

from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import iter_route_contexts

from stockyard.analytics import kpi_pages
from stockyard.analytics.abc import abc_report
from stockyard.analytics.abc_domain import DEFAULT_A, DEFAULT_B, check_cutoffs
from stockyard.analytics.abc_pages import abc_table, pareto_charts
from stockyard.analytics.kpi import Period
from stockyard.core.clock import utcnow
from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import read
from stockyard.identity.domain import ANALYTICS_VIEW
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import page, page_route

router = APIRouter(prefix="/erp/analytics", include_in_schema=False, route_class=page_route("erp/error.html"))

TRANSACTIONS_SHOWN = 200
ABC_DAYS = 365
# Pages of the analytics section built elsewhere, linked from the index when this process serves them.
RELATED = (("/erp/analytics/forecast", "Demand forecast"), ("/erp/analytics/alerts", "Anomaly alerts"))
From = Query("", alias="from")
To = Query("", alias="to")
# The drill-down filters most KPIs take (a KPI may declare others; they are read from the address as well).
Sku = Query("", description="a SKU code")
WarehouseCode = Query("", description="a warehouse code")
CategoryName = Query("", description="a top-level category's name")
By = Query("", description="what the breakdown is by: sku, category, warehouse")


def _period_form(start: str, end: str, bucket: str, period: Period | None) -> dict[str, str]:
    if period is not None:
        return {"from": period.start.isoformat(), "to": period.end.isoformat(), "bucket": period.bucket}
    return {"from": start, "to": end, "bucket": bucket or kpi_pages.DEFAULT_BUCKET}


def _query(period: Period, **extra: str) -> str:
    values = {"from": period.start.isoformat(), "to": period.end.isoformat(), "bucket": period.bucket,
              **period.filters, **extra}
    return urlencode({k: v for k, v in values.items() if v})


def _related(request: Request) -> list[tuple[str, str]]:
    paths = {route.path for route in iter_route_contexts(request.app.routes)}
    return [(path, title) for path, title in RELATED if path in paths]


@router.get("", response_class=HTMLResponse)
def analytics_index(request: Request, engine: EngineDep, actor: PageActor, start: str = From, end: str = To,
                    bucket: str = "") -> Response:
    actor.require(ANALYTICS_VIEW)
    errors: dict[str, str] = {}
    period: Period | None = None
    groups: dict[str, list[kpi_pages.Headline]] = {}
    try:
        period = kpi_pages.parse_period(start, end, bucket, utcnow().date())
        groups = read(engine, actor, kpi_pages.overview, period)
    except ValidationFailed as error:
        errors = {error.field or "from": error.message}
    charts = {h.kpi.key: kpi_pages.chart(h.kpi, h.result, period, small=True)
              for headlines in groups.values() for h in headlines} if period else {}
    return page(request, actor, "erp/analytics/index.html", 422 if errors else 200, section="analytics",
                form=_period_form(start, end, bucket, period), errors=errors, groups=groups, charts=charts,
                query=_query(period) if period else "", buckets=kpi_pages.BUCKETS, related=_related(request),
                shown=kpi_pages.shown)


def _kpi_period(request: Request, key: str, start: str, end: str, bucket: str, named: dict[str, str],
                ) -> tuple[Any, Period]:
    kpi = kpi_pages.find_kpi(key)
    filters = kpi_pages.kpi_filters(kpi, {**request.query_params, **named})
    return kpi, kpi_pages.parse_period(start, end, bucket, utcnow().date(), filters=filters)


@router.get("/kpi/{key}.csv", response_class=Response)
def kpi_csv(request: Request, engine: EngineDep, actor: PageActor, key: str, start: str = From, end: str = To,
            bucket: str = "", table: str = "breakdown", sku: str = Sku, warehouse: str = WarehouseCode,
            category: str = CategoryName, by: str = By) -> Response:
    actor.require(ANALYTICS_VIEW)
    named = {"sku": sku, "warehouse": warehouse, "category": category, "by": by}
    _, period = _kpi_period(request, key, start, end, bucket, named)
    if table not in kpi_pages.TABLES:
        raise ValidationFailed(f"choose a table of {', '.join(kpi_pages.TABLES)}", field="table")
    shown = read(engine, actor, kpi_pages.detail, key, period)
    body = kpi_pages.to_csv(kpi_pages.table_of(shown.kpi, shown.result, table))
    name = f"{key}-{table}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/kpi/{key}", response_class=HTMLResponse)
def kpi_page(request: Request, engine: EngineDep, actor: PageActor, key: str, start: str = From, end: str = To,
             bucket: str = "", sku: str = Sku, warehouse: str = WarehouseCode, category: str = CategoryName,
             by: str = By) -> Response:
    actor.require(ANALYTICS_VIEW)
    kpi = kpi_pages.find_kpi(key)
    errors: dict[str, str] = {}
    period: Period | None = None
    shown = None
    try:
        kpi, period = _kpi_period(request, key, start, end, bucket,
                                  {"sku": sku, "warehouse": warehouse, "category": category, "by": by})
        shown = read(engine, actor, kpi_pages.detail, key, period)
    except ValidationFailed as error:
        errors = {error.field or "from": error.message}
    context: dict[str, Any] = {}
    if shown is not None and period is not None:
        transactions = shown.result.transactions
        context = {
            "result": shown.result, "chart": kpi_pages.chart(kpi, shown.result, period),
            "series": kpi_pages.series_table(kpi, shown.result),
            "transactions": transactions.rows[:TRANSACTIONS_SHOWN], "transactions_total": len(transactions.rows),
            "query": _query(period), "clear_query": _query(Period(period.start, period.end, period.bucket)),
            # A breakdown row's link sets its own filter and keeps the others (e.g. the breakdown's "by").
            "base_query": _query(Period(period.start, period.end, period.bucket, {
                k: v for k, v in period.filters.items() if k not in shown.result.links.values()})),
            "filters": {k: v for k, v in period.filters.items() if k != "by"}}
    form = {**_period_form(start, end, bucket, period), **{n: request.query_params.get(n, "") for n in kpi.filters}}
    return page(request, actor, "erp/analytics/kpi.html", 422 if errors else 200, section="analytics", kpi=kpi,
                form=form, errors=errors, buckets=kpi_pages.BUCKETS, shown=kpi_pages.shown,
                shown_limit=TRANSACTIONS_SHOWN, **context)


def _cutoff(text: str, default: Decimal, field: str) -> Decimal:
    if not text.strip():
        return default
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ValidationFailed(f"{text!r} is not a number", field=field) from None


def _abc_input(start: str, end: str, a: str, b: str) -> tuple[Period, Decimal, Decimal]:
    period = kpi_pages.parse_period(start, end, "month", utcnow().date(), default_days=ABC_DAYS)
    a_cut, b_cut = _cutoff(a, DEFAULT_A, "a"), _cutoff(b, DEFAULT_B, "b")
    check_cutoffs(a_cut, b_cut)
    return period, a_cut, b_cut


@router.get("/abc.csv", response_class=Response)
def abc_csv(engine: EngineDep, actor: PageActor, start: str = From, end: str = To, a: str = "",
            b: str = "") -> Response:
    actor.require(ANALYTICS_VIEW)
    period, a_cut, b_cut = _abc_input(start, end, a, b)
    report = read(engine, actor, abc_report, period, a_cut, b_cut)
    name = f"abc-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(kpi_pages.to_csv(abc_table(report)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/abc", response_class=HTMLResponse)
def abc_page(request: Request, engine: EngineDep, actor: PageActor, start: str = From, end: str = To, a: str = "",
             b: str = "") -> Response:
    actor.require(ANALYTICS_VIEW)
    errors: dict[str, str] = {}
    context: dict[str, Any] = {}
    form = {"from": start, "to": end, "a": a, "b": b}
    try:
        period, a_cut, b_cut = _abc_input(start, end, a, b)
        report = read(engine, actor, abc_report, period, a_cut, b_cut)
        form = {"from": period.start.isoformat(), "to": period.end.isoformat(), "a": f"{a_cut:g}", "b": f"{b_cut:g}"}
        context = {"report": report, "query": urlencode(form), "charts": pareto_charts(report) if report.rows else None,
                   "table": abc_table(report)}
    except ValidationFailed as error:
        errors = {error.field or "from": error.message}
    return page(request, actor, "erp/analytics/abc.html", 422 if errors else 200, section="analytics", form=form,
                errors=errors, shown=kpi_pages.shown, **context)


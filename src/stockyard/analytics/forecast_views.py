"""The demand forecast pages: /erp/analytics/forecast (every SKU and warehouse with its method, the next weeks and
the backtest error; CSV), one pair's chart of history, fit and forecast, and the button that recomputes them all.
Thin: the queries and the service are analytics/forecast.py's (purchasing.view to read, purchasing.edit to
recompute)."""

import csv
import io

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from stockyard.analytics import forecast
from stockyard.analytics.charts import as_image_src, line_chart
from stockyard.core.uow import perform, read
from stockyard.inventory import queries as inventory_queries
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, flash, page, page_route, run, see_other

router = APIRouter(prefix="/erp/analytics/forecast", include_in_schema=False,
                   route_class=page_route("erp/error.html"))

CSV_COLUMNS = ("sku", "name", "warehouse", "method", "history_weeks", "demand_per_day", "next_4_weeks",
               "backtest_weeks", "mae_units_per_week", "wape", "bias", "computed_at")


def _percent(value: object) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]


@router.get("", response_class=HTMLResponse)
def forecast_page(request: Request, engine: EngineDep, actor: PageActor, warehouse_id: int | None = None) -> Response:
    rows = read(engine, actor, forecast.forecast_rows, warehouse_id)
    return page(request, actor, "erp/analytics/forecast.html", section="analytics", rows=rows,
                warehouses=read(engine, actor, inventory_queries.list_warehouses), warehouse_id=warehouse_id,
                percent=_percent, computed_at=max((r.computed_at for r in rows), default=None))


@router.get(".csv", response_class=Response)
def forecast_csv(engine: EngineDep, actor: PageActor, warehouse_id: int | None = None) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in read(engine, actor, forecast.forecast_rows, warehouse_id):
        writer.writerow([r.sku_code, r.sku_name, r.warehouse_code, r.method, r.history_weeks, r.daily_rate,
                         r.next_four_weeks, r.backtest_weeks, "" if r.mae is None else r.mae,
                         "" if r.wape is None else r.wape, "" if r.bias is None else r.bias,
                         r.computed_at.isoformat(timespec="seconds")])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="demand-forecast.csv"'})


@router.post("/recompute")
async def recompute(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    made = await run(perform, engine, actor, forecast.recompute_forecasts)
    flash(request, f"Forecasts recomputed: {made} SKU and warehouse pairs")
    return see_other("/erp/analytics/forecast")


@router.get("/{sku_id}/{warehouse_id}", response_class=HTMLResponse)
def forecast_detail_page(request: Request, engine: EngineDep, actor: PageActor, sku_id: int,
                         warehouse_id: int) -> Response:
    detail = read(engine, actor, forecast.forecast_detail, sku_id, warehouse_id)
    chart = line_chart(f"{detail.row.sku_code} at {detail.row.warehouse_code}: units a week",
                       [w.isoformat() for w in detail.weeks],
                       {"Shipped": detail.actual, "Fitted": detail.fitted, "Forecast": detail.ahead}, height=300)
    return page(request, actor, "erp/analytics/forecast_detail.html", section="analytics", detail=detail,
                chart=as_image_src(chart), percent=_percent)

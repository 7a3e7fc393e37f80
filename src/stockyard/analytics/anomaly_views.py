"""The anomaly alerts page, /erp/analytics/alerts: open alerts first, filters by state, kind and day, counts of open
alerts per kind, acknowledge or dismiss buttons, and the same list as CSV at /erp/analytics/alerts.csv."""

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from stockyard.analytics import anomalies
from stockyard.analytics.anomaly_domain import KINDS
from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import ANALYTICS_VIEW
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, flash, page, page_route, run, see_other

router = APIRouter(prefix="/erp/analytics", include_in_schema=False, route_class=page_route("erp/error.html"))


def _day(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed("must be a date, YYYY-MM-DD", field=field) from None


def _filters(state: str, kind: str, start: str, end: str) -> dict[str, Any]:
    return {"state": None if state == "all" else (state or "open"), "kind": kind or None,
            "start": _day(start, "from"), "end": _day(end, "to")}


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, engine: EngineDep, actor: PageActor, state: str = "open", kind: str = "",
                start: str = Query("", alias="from"), end: str = Query("", alias="to")) -> Response:
    actor.require(ANALYTICS_VIEW)
    form = {"state": state, "kind": kind, "from": start, "to": end}
    errors: dict[str, str] = {}
    result = None
    status = 200
    try:
        result = read(engine, actor, anomalies.list_alerts, **_filters(state, kind, start, end))
    except ValidationFailed as error:
        errors, status = {error.field or "_": error.message}, 422
    return page(request, actor, "erp/analytics/alerts.html", status, section="analytics", form=form, errors=errors,
                result=result, kinds=KINDS, states=[*anomalies.STATES, "all"],
                csv_query=urlencode({k: v for k, v in form.items() if v}),
                back=str(request.url.path) + ("?" + request.url.query if request.url.query else ""))


@router.get("/alerts.csv", response_class=Response)
def alerts_csv(engine: EngineDep, actor: PageActor, state: str = "open", kind: str = "",
               start: str = Query("", alias="from"), end: str = Query("", alias="to")) -> Response:
    result = read(engine, actor, anomalies.list_alerts, **_filters(state, kind, start, end))
    return Response(anomalies.alerts_csv(result.rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="anomaly-alerts.csv"'})


async def _decide(request: Request, engine: EngineDep, actor: PageActor, alert_id: int, decision: str) -> Response:
    form = await check_csrf(request)
    actor.require(ANALYTICS_VIEW)
    await run(perform, engine, actor, anomalies.decide_alert, alert_id, decision, str(form.get("note", "")))
    flash(request, f"Alert {alert_id} {anomalies.DECISIONS[decision]}")
    back = str(form.get("back", ""))
    return see_other(back if back.startswith("/erp/analytics/alerts") else "/erp/analytics/alerts")


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(request: Request, engine: EngineDep, actor: PageActor, alert_id: int) -> Response:
    return await _decide(request, engine, actor, alert_id, "acknowledge")


@router.post("/alerts/{alert_id}/dismiss")
async def dismiss(request: Request, engine: EngineDep, actor: PageActor, alert_id: int) -> Response:
    return await _decide(request, engine, actor, alert_id, "dismiss")

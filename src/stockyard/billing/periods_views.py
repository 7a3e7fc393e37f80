"""Accounting periods: `GET /api/v1/accounting/periods`, `POST /api/v1/accounting/periods/{YYYY-MM}/close` and
`/reopen`, and the page /erp/accounting/periods with a close / reopen button and the exports of each month."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from stockyard.billing import periods
from stockyard.core.errors import DomainError
from stockyard.core.uow import perform, read
from stockyard.identity.domain import ACCOUNTING_VIEW
from stockyard.web.deps import ApiActor, EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, page, page_route, run, see_other

# Included by journal_views under /accounting (API) and /erp/accounting (pages).
api_router = APIRouter(tags=["accounting"])
router = APIRouter(include_in_schema=False, route_class=page_route("erp/error.html"))


def _json(period: periods.Period) -> dict[str, Any]:
    return {"period": period.label, "starts_on": period.starts_on.isoformat(), "ends_on": period.ends_on.isoformat(),
            "state": period.state, "changed_at": period.changed_at.isoformat() if period.changed_at else None,
            "changed_by": period.changed_by_name or None}


@api_router.get("/periods")
def periods_json(engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return {"periods": [_json(p) for p in read(engine, actor, periods.list_periods)]}


@api_router.post("/periods/{period}/close")
def period_close(period: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, periods.close_period, period)
    return {"period": period, "state": periods.CLOSED}


@api_router.post("/periods/{period}/reopen")
def period_reopen(period: str, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, periods.reopen_period, period)
    return {"period": period, "state": periods.OPEN}


def _page(request: Request, engine: EngineDep, actor: PageActor, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    actor.require(ACCOUNTING_VIEW)
    return page(request, actor, "erp/accounting/periods.html", status_code, section="accounting", tab="periods",
                periods=read(engine, actor, periods.list_periods), errors=errors or {})


@router.get("/periods", response_class=HTMLResponse)
def periods_page(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _page(request, engine, actor)


async def _change(request: Request, engine: EngineDep, actor: PageActor, period: str, action: Any,
                  done: str) -> Response:
    await check_csrf(request)
    try:
        await run(perform, engine, actor, action, period)
    except DomainError as error:
        errors, status_code = field_errors(error, set())
        return await run(_page, request, engine, actor, errors, status_code)
    flash(request, f"Period {period} {done}")
    return see_other("/erp/accounting/periods")


@router.post("/periods/{period}/close")
async def period_close_form(period: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _change(request, engine, actor, period, periods.close_period, "closed")


@router.post("/periods/{period}/reopen")
async def period_reopen_form(period: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await _change(request, engine, actor, period, periods.reopen_period, "reopened")

"""The journal for accountants: `GET /api/v1/accounting/journal.csv?from=&to=` (and the same as JSON), and the page
/erp/accounting/journal with a period form, the entries' lines, totals per account and the CSV download link; the
trial balance the same way (`/api/v1/accounting/trial-balance[.csv]`, /erp/accounting/trial-balance).

The chart of accounts' and the periods' routers are included in these two, so the app registers accounting once."""

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from stockyard.billing import accounts_views, journal, periods_views
from stockyard.billing.journal_export import journal_csv, trial_balance_csv
from stockyard.core.clock import utcnow
from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import read
from stockyard.identity.domain import ACCOUNTING_VIEW
from stockyard.web.deps import ApiActor, EngineDep, PageActor
from stockyard.web.pages import page, page_route

api_router = APIRouter(prefix="/accounting", tags=["accounting"])
router = APIRouter(prefix="/erp/accounting", include_in_schema=False, route_class=page_route("erp/error.html"))

From = Annotated[date | None, Query(alias="from", description="first day, YYYY-MM-DD; default: the 1st of this month")]
To = Annotated[date | None, Query(alias="to", description="last day (included), YYYY-MM-DD; default: today")]


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    today = utcnow().date()
    return start or today.replace(day=1), end or today


@api_router.get("/journal.csv", response_class=Response,
                responses={200: {"content": {"text/csv": {}}, "description": "one row per journal line"}})
def journal_csv_export(engine: EngineDep, actor: ApiActor, start: From = None, end: To = None) -> Response:
    start, end = _period(start, end)
    rows = read(engine, actor, journal.journal_rows, start, end)
    return Response(journal_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="journal-{start.isoformat()}-{end.isoformat()}.csv"'})


@api_router.get("/journal")
def journal_json(engine: EngineDep, actor: ApiActor, start: From = None, end: To = None) -> dict[str, Any]:
    start, end = _period(start, end)
    rows = read(engine, actor, journal.journal_rows, start, end)
    entries: dict[int, dict[str, Any]] = {}
    for r in rows:
        entry = entries.setdefault(r.entry_id, {
            "id": r.entry_id, "posted_at": r.posted_at.isoformat(), "kind": r.kind, "reference": r.reference,
            "memo": r.memo, "currency": r.currency, "lines": []})
        entry["lines"].append({"account": r.account, "account_name": r.account_name, "debit": str(r.debit),
                               "credit": str(r.credit)})
    return {"from": start.isoformat(), "to": end.isoformat(),
            "entries": list(entries.values())}


@router.get("/journal", response_class=HTMLResponse)
def journal_page(request: Request, engine: EngineDep, actor: PageActor, start: str = Query("", alias="from"),
                 end: str = Query("", alias="to")) -> Response:
    """Defaults to the current month so far."""
    actor.require(ACCOUNTING_VIEW)
    today = utcnow().date()
    first, last = _period(None, None)
    form = {"from": start or first.isoformat(), "to": end or last.isoformat()}
    errors: dict[str, str] = {}
    rows: list[journal.JournalRow] = []
    status = 200
    try:
        first, last = _day(form["from"], "from"), _day(form["to"], "to")
        rows = read(engine, actor, journal.journal_rows, first, last)
    except ValidationFailed as error:
        errors, status = {error.field or "from": error.message}, 422
    return page(request, actor, "erp/journal.html", status, section="accounting", tab="journal", form=form,
                errors=errors, rows=rows, totals=journal.account_totals(rows), previous=_previous_month(today))


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed("must be a date, YYYY-MM-DD", field=field) from None


def _previous_month(today: date) -> tuple[str, str]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1).isoformat(), last.isoformat()


# ---- trial balance ------------------------------------------------------------------------------------------------

def _trial_balance_json(start: date, end: date, rows: list[journal.TrialBalanceRow]) -> dict[str, Any]:
    return {"from": start.isoformat(), "to": end.isoformat(), "accounts": [
        {"account": r.account, "account_name": r.name, "type": r.type, "currency": r.currency,
         "opening_balance": str(r.opening), "debit": str(r.debit), "credit": str(r.credit),
         "closing_balance": str(r.closing)} for r in rows],
        "totals": [{"currency": t.currency, "opening_balance": str(t.opening), "debit": str(t.debit),
                    "credit": str(t.credit), "closing_balance": str(t.closing)}
                   for t in journal.trial_balance_totals(rows)]}


@api_router.get("/trial-balance")
def trial_balance_json(engine: EngineDep, actor: ApiActor, start: From = None, end: To = None) -> dict[str, Any]:
    """Per account and currency: the balance before the period (debit-positive), its debits and credits, the
    balance after."""
    start, end = _period(start, end)
    return _trial_balance_json(start, end, read(engine, actor, journal.trial_balance, start, end))


@api_router.get("/trial-balance.csv", response_class=Response,
                responses={200: {"content": {"text/csv": {}}, "description": "one row per account and currency"}})
def trial_balance_csv_export(engine: EngineDep, actor: ApiActor, start: From = None, end: To = None) -> Response:
    start, end = _period(start, end)
    rows = read(engine, actor, journal.trial_balance, start, end)
    return Response(trial_balance_csv(rows, journal.trial_balance_totals(rows)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="trial-balance-{start.isoformat()}-{end.isoformat()}.csv"'})


@router.get("/trial-balance", response_class=HTMLResponse)
def trial_balance_page(request: Request, engine: EngineDep, actor: PageActor, start: str = Query("", alias="from"),
                       end: str = Query("", alias="to")) -> Response:
    """Defaults to the current month so far."""
    actor.require(ACCOUNTING_VIEW)
    first, last = _period(None, None)
    form = {"from": start or first.isoformat(), "to": end or last.isoformat()}
    errors: dict[str, str] = {}
    rows: list[journal.TrialBalanceRow] = []
    status = 200
    try:
        rows = read(engine, actor, journal.trial_balance, _day(form["from"], "from"), _day(form["to"], "to"))
    except ValidationFailed as error:
        errors, status = {error.field or "from": error.message}, 422
    return page(request, actor, "erp/accounting/trial_balance.html", status, section="accounting",
                tab="trial_balance", form=form, errors=errors, rows=rows,
                totals=journal.trial_balance_totals(rows), previous=_previous_month(utcnow().date()))


api_router.include_router(accounts_views.api_router)
api_router.include_router(periods_views.api_router)
router.include_router(accounts_views.router, prefix="")
router.include_router(periods_views.router, prefix="")

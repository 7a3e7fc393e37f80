"""Order-to-cash reconciliation for accountants.

API: `GET /api/v1/accounting/reconciliation?from=&to=&kind=` (JSON) and `.csv`; `POST /api/v1/accounting/settlements`
(a gateway's settlement report as CSV text) and `GET /api/v1/accounting/settlements`.
Pages: /erp/accounting/reconciliation (period and kind filters, counts per kind, the mismatches, CSV download) and
/erp/accounting/reconciliation/settlements (upload a settlement report, the settlements imported so far).
"""

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from stockyard.billing import reconciliation, reconciliation_domain, settlements
from stockyard.billing.journal_views import From, To
from stockyard.core.clock import utcnow
from stockyard.core.errors import RowErrors, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import ACCOUNTING_MANAGE, ACCOUNTING_VIEW
from stockyard.web.deps import ApiActor, EngineDep, PageActor
from stockyard.web.pages import check_csrf, flash, page, page_route, run, see_other

api_router = APIRouter(prefix="/accounting", tags=["accounting"])
router = APIRouter(prefix="/erp/accounting/reconciliation", include_in_schema=False,
                   route_class=page_route("erp/error.html"))

Kind = Annotated[str | None, Query(description="only this kind of mismatch: " + ", ".join(reconciliation_domain.KINDS))]


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    today = utcnow().date()
    return start or today.replace(day=1), end or today


def _money(amount: Any) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _mismatch(m: reconciliation_domain.Mismatch) -> dict[str, Any]:
    return {"kind": m.kind, "label": m.label, "date": m.on.isoformat(), "order_id": m.order_id,
            "order_number": m.order_number, "reference": m.reference, "currency": m.currency,
            "expected": _money(m.expected), "actual": _money(m.actual), "difference": _money(m.difference),
            "detail": m.detail}


@api_router.get("/reconciliation")
def reconciliation_json(engine: EngineDep, actor: ApiActor, start: From = None, end: To = None,
                        kind: Kind = None) -> dict[str, Any]:
    start, end = _period(start, end)
    result = read(engine, actor, reconciliation.reconcile_period, start, end, kind)
    return {"from": start.isoformat(), "to": end.isoformat(), "as_of": result.as_of.isoformat(timespec="seconds"),
            "kind": result.kind, "counts": result.counts, "mismatches": [_mismatch(m) for m in result.mismatches]}


@api_router.get("/reconciliation.csv", response_class=Response,
                responses={200: {"content": {"text/csv": {}}, "description": "one row per mismatch"}})
def reconciliation_csv(engine: EngineDep, actor: ApiActor, start: From = None, end: To = None,
                       kind: Kind = None) -> Response:
    start, end = _period(start, end)
    result = read(engine, actor, reconciliation.reconcile_period, start, end, kind)
    return Response(reconciliation.mismatches_csv(result.mismatches), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="reconciliation-{start}-{end}.csv"'})


class SettlementUpload(BaseModel):
    content: str = Field(description="the settlement report, CSV text with the header "
                                     "settlement_id,date,payment_reference,type,gross,fee,net,currency")
    file_name: str = Field(default="", max_length=200)


def _summary(s: settlements.SettlementSummary) -> dict[str, Any]:
    return {"id": s.id, "settlement_id": s.settlement_ref, "date": s.settled_on.isoformat(), "currency": s.currency,
            "gross": _money(s.gross), "fees": _money(s.fees), "payout": _money(s.payout), "lines": s.line_count,
            "journal_entry_id": s.journal_entry_id}


@api_router.post("/settlements")
def import_settlements(body: SettlementUpload, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    """All or nothing: a bad row refuses the whole file (422 with every bad row). A settlement imported before with
    the same lines is listed under `already_imported` and not booked again."""
    report = perform(engine, actor, settlements.import_settlements, body.content.encode(), body.file_name)
    return {"imported": [_summary(s) for s in report.imported], "already_imported": report.already_imported}


@api_router.get("/settlements")
def settlements_json(engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return {"settlements": [_summary(s) for s in read(engine, actor, settlements.list_settlements)]}


# ---- pages ----------------------------------------------------------------------------------------------------------

def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed("must be a date, YYYY-MM-DD", field=field) from None


@router.get("", response_class=HTMLResponse)
def reconciliation_page(request: Request, engine: EngineDep, actor: PageActor, start: str = Query("", alias="from"),
                        end: str = Query("", alias="to"), kind: str = "") -> Response:
    actor.require(ACCOUNTING_VIEW)
    first, last = _period(None, None)
    form = {"from": start or first.isoformat(), "to": end or last.isoformat(), "kind": kind}
    errors: dict[str, str] = {}
    result = None
    status = 200
    try:
        result = read(engine, actor, reconciliation.reconcile_period, _day(form["from"], "from"),
                      _day(form["to"], "to"), kind or None)
    except ValidationFailed as error:
        errors, status = {error.field or "from": error.message}, 422
    query = urlencode({"from": form["from"], "to": form["to"]})
    return page(request, actor, "erp/accounting/reconciliation.html", status, section="accounting", form=form,
                errors=errors, result=result, kinds=reconciliation_domain.KINDS, query=query,
                csv_query=urlencode({k: v for k, v in form.items() if v}))


def _settlements_page(request: Request, engine: EngineDep, actor: PageActor, status: int = 200,
                      report: dict[str, Any] | None = None) -> Response:
    return page(request, actor, "erp/accounting/reconciliation_settlements.html", status, section="accounting",
                settlements=read(engine, actor, settlements.list_settlements), report=report,
                can_import=actor.can(ACCOUNTING_MANAGE))


@router.get("/settlements", response_class=HTMLResponse)
def settlements_page(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    actor.require(ACCOUNTING_VIEW)
    return _settlements_page(request, engine, actor)


@router.post("/settlements")
async def settlements_upload(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    actor.require(ACCOUNTING_MANAGE)
    upload = form.get("file")
    limit = request.app.state.settings.csv_upload_max_bytes
    status = 422
    try:
        if not isinstance(upload, UploadFile):
            raise ValidationFailed("choose a CSV file", field="file")
        data = await upload.read(limit + 1)
        if len(data) > limit:
            status = 413
            raise ValidationFailed(f"the file is larger than {limit / 1e6:.1f} MB, the limit for an upload; use "
                                   "`stockyard import settlements`", field="file")
        report = await run(perform, engine, actor, settlements.import_settlements, data, upload.filename or "")
    except (ValidationFailed, RowErrors) as error:
        rows = error.rows if isinstance(error, RowErrors) else [(0, error.field or "file", error.message)]
        return _settlements_page(request, engine, actor, status, {"message": error.message, "rows": rows})
    done = [f"imported {len(report.imported)} settlement(s)"]
    if report.already_imported:
        done.append(f"already imported before, not booked again: {', '.join(report.already_imported)}")
    flash(request, "; ".join(done).capitalize())
    return see_other("/erp/accounting/reconciliation/settlements")

"""Inventory valuation and landed costs for accountants.

API (under /api/v1/accounting): `GET valuation?as_of=` (JSON) and `valuation.csv`, `GET|PUT valuation/method`,
`GET|POST landed-costs`, `GET landed-costs/{id}`.
Pages (under /erp/accounting): the valuation report as of a day with the method form, the landed-cost list, the
form to apply one, and one landed cost with its allocation per receipt line.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from stockyard.billing import landed_cost, valuation
from stockyard.billing import valuation_domain as vd
from stockyard.billing.landed_cost_domain import Basis, Kind
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict, NotFound, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import ACCOUNTING_MANAGE, ACCOUNTING_VIEW
from stockyard.web.deps import ApiActor, EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, page, page_route, run, see_other

api_router = APIRouter(prefix="/accounting", tags=["accounting"])
router = APIRouter(prefix="/erp/accounting", include_in_schema=False, route_class=page_route("erp/error.html"))

INPUT_ERRORS = (ValidationError, ValidationFailed, NotFound, Conflict)
AsOf = Annotated[date | None, Query(description="the day (included), YYYY-MM-DD; default: today")]
LANDED_FIELDS = {"kind", "amount", "currency", "basis", "receipts", "move_ids", "supplier", "reference", "note"}


def _report_json(report: valuation.ValuationReport) -> dict[str, Any]:
    return {"as_of": report.as_of.isoformat(), "method": report.method.value,
            "total_quantity": report.total_quantity, "total_value": f"{report.total_value:.2f}",
            "rows": [{"sku": r.sku_code, "name": r.sku_name, "warehouse": r.warehouse_code, "quantity": r.quantity,
                      "unit_cost": None if r.unit_cost is None else str(r.unit_cost), "value": f"{r.value:.2f}"}
                     for r in report.rows]}


def _cost_json(cost: landed_cost.LandedCostView) -> dict[str, Any]:
    return {"id": cost.id, "number": cost.number, "kind": cost.kind, "basis": cost.basis,
            "amount": f"{cost.amount:.2f}", "currency": cost.currency, "supplier": cost.supplier,
            "reference": cost.reference, "note": cost.note, "applied_at": cost.applied_at.isoformat(),
            "inventory_amount": f"{cost.inventory_amount:.2f}", "cogs_amount": f"{cost.cogs_amount:.2f}"}


# ---- API ----------------------------------------------------------------------------------------------------------

@api_router.get("/valuation")
def valuation_json(engine: EngineDep, actor: ApiActor, as_of: AsOf = None) -> dict[str, Any]:
    return _report_json(read(engine, actor, valuation.valuation_report, as_of or utcnow().date()))


@api_router.get("/valuation.csv", response_class=Response,
                responses={200: {"content": {"text/csv": {}}, "description": "one row per SKU and warehouse"}})
def valuation_csv(engine: EngineDep, actor: ApiActor, as_of: AsOf = None) -> Response:
    report = read(engine, actor, valuation.valuation_report, as_of or utcnow().date())
    return Response(valuation.report_csv(report), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="valuation-{report.as_of.isoformat()}.csv"'})


@api_router.get("/valuation/method")
def method_json(engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    history = read(engine, actor, valuation.method_history)
    return {"method": history[0].method.value if history else vd.DEFAULT_METHOD.value,
            "note": valuation.METHOD_CHANGE_NOTE,
            "history": [{"method": h.method.value, "effective_at": h.effective_at.isoformat(), "by": h.actor_name}
                        for h in history]}


@api_router.put("/valuation/method")
def method_set(cmd: valuation.SetMethod, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    method = perform(engine, actor, valuation.set_method, cmd)
    return {"method": method.value, "note": valuation.METHOD_CHANGE_NOTE}


@api_router.get("/landed-costs")
def landed_costs_json(engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return {"landed_costs": [_cost_json(c) for c in read(engine, actor, landed_cost.landed_costs)]}


def _detail_json(engine: Any, actor: Actor, cost_id: int) -> dict[str, Any]:
    cost, lines = read(engine, actor, landed_cost.landed_cost, cost_id)
    return {**_cost_json(cost), "lines": [
        {"receipt": ln.receipt_number or None, "document": ln.document, "move_id": ln.move_id, "sku": ln.sku_code,
         "quantity": ln.quantity,
         "basis_amount": str(ln.basis_amount), "amount": f"{ln.amount:.2f}", "on_hand_quantity": ln.on_hand_quantity,
         "inventory_amount": f"{ln.inventory_amount:.2f}", "cogs_amount": f"{ln.cogs_amount:.2f}"} for ln in lines]}


@api_router.post("/landed-costs", status_code=201)
def landed_cost_create(cmd: landed_cost.ApplyLandedCost, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    cost_id = perform(engine, actor, landed_cost.apply_landed_cost, cmd)
    return _detail_json(engine, actor, cost_id)


@api_router.get("/landed-costs/{cost_id}")
def landed_cost_json(cost_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _detail_json(engine, actor, cost_id)


# ---- pages --------------------------------------------------------------------------------------------------------

def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed("must be a date, YYYY-MM-DD", field="as_of") from None


@router.get("/valuation", response_class=HTMLResponse)
def valuation_page(request: Request, engine: EngineDep, actor: PageActor, as_of: str = "") -> Response:
    actor.require(ACCOUNTING_VIEW)
    form = {"as_of": as_of or utcnow().date().isoformat()}
    errors: dict[str, str] = {}
    report, status = None, 200
    try:
        report = read(engine, actor, valuation.valuation_report, _day(form["as_of"]))
    except ValidationFailed as error:
        errors, status = {error.field or "as_of": error.message}, 422
    history = read(engine, actor, valuation.method_history)
    return page(request, actor, "erp/accounting/valuation.html", status, section="accounting", tab="valuation",
                form=form, errors=errors, report=report, history=history, note=valuation.METHOD_CHANGE_NOTE,
                current=history[0].method if history else vd.DEFAULT_METHOD, labels=vd.METHOD_LABELS,
                can_manage=actor.can(ACCOUNTING_MANAGE))


@router.post("/valuation/method")
async def method_form(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        method = await run(perform, engine, actor, valuation.set_method,
                           valuation.SetMethod(method=str(form.get("method", ""))))
    except INPUT_ERRORS as error:
        errors, _ = field_errors(error, {"method"})
        flash(request, "; ".join(errors.values()), "error")
        return see_other("/erp/accounting/valuation")
    flash(request, f"Valuation method: {vd.METHOD_LABELS[method]}, from now on")
    return see_other("/erp/accounting/valuation")


@router.get("/landed-costs", response_class=HTMLResponse)
def landed_costs_page(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    costs = read(engine, actor, landed_cost.landed_costs)
    return page(request, actor, "erp/accounting/landed_costs.html", section="accounting", tab="landed_costs",
                costs=costs, can_manage=actor.can(ACCOUNTING_MANAGE))


def _form_page(request: Request, engine: Any, actor: Actor, form: dict[str, Any], errors: dict[str, str],
               status: int = 200) -> HTMLResponse:
    actor.require(ACCOUNTING_MANAGE)
    return page(request, actor, "erp/accounting/landed_cost_form.html", status, section="accounting",
                tab="landed_costs", form=form,
                errors=errors, receipts=read(engine, actor, landed_cost.recent_receipts),
                kinds=[k.value for k in Kind], bases=[b.value for b in Basis])


@router.get("/landed-costs/new", response_class=HTMLResponse)
def landed_cost_new(request: Request, engine: EngineDep, actor: PageActor, receipt: str = "") -> Response:
    return _form_page(request, engine, actor, {"kind": "freight", "basis": "value", "receipts": receipt}, {})


def _numbers(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@router.post("/landed-costs/new")
async def landed_cost_submit(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        try:
            amount = Decimal(str(form.get("amount", "")).strip())
        except ArithmeticError:
            raise ValidationFailed("must be an amount, like 125.50", field="amount") from None
        cmd = landed_cost.ApplyLandedCost(
            kind=str(form.get("kind", "")), amount=amount, currency=str(form.get("currency", "")) or None,
            basis=str(form.get("basis", "")), receipts=_numbers(str(form.get("receipts", ""))),
            supplier=str(form.get("supplier", "")) or None, reference=str(form.get("reference", "")),
            note=str(form.get("note", "")))
        cost_id = await run(perform, engine, actor, landed_cost.apply_landed_cost, cmd)
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, LANDED_FIELDS)
        return await run(_form_page, request, engine, actor, form, errors, status)
    flash(request, "Landed cost applied")
    return see_other(f"/erp/accounting/landed-costs/{cost_id}")


@router.get("/landed-costs/{cost_id}", response_class=HTMLResponse)
def landed_cost_page(cost_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    cost, lines = read(engine, actor, landed_cost.landed_cost, cost_id)
    return page(request, actor, "erp/accounting/landed_cost.html", section="accounting", tab="landed_costs",
                cost=cost, lines=lines)

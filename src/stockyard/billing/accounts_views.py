"""The chart of accounts: `GET/POST /api/v1/accounting/accounts`, `PATCH /api/v1/accounting/accounts/{code}`, and
the page /erp/accounting/accounts (add an account; rename, deactivate or reactivate one)."""

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from stockyard.billing import accounts
from stockyard.billing import accounts_domain as ad
from stockyard.core.errors import DomainError
from stockyard.core.uow import perform, read
from stockyard.identity.domain import ACCOUNTING_VIEW
from stockyard.web.deps import ApiActor, EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, page, page_route, run, see_other

# Included by journal_views under /accounting (API) and /erp/accounting (pages).
api_router = APIRouter(tags=["accounting"])
router = APIRouter(include_in_schema=False, route_class=page_route("erp/error.html"))
FIELDS = {"code", "name", "type"}


def _json(account: accounts.Account) -> dict[str, Any]:
    return {"code": account.code, "name": account.name, "type": account.type, "active": account.active,
            "posted_automatically": account.posted_automatically}


@api_router.get("/accounts")
def accounts_json(engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return {"accounts": [_json(a) for a in read(engine, actor, accounts.list_accounts)]}


@api_router.post("/accounts", status_code=status.HTTP_201_CREATED)
def account_create(cmd: accounts.AccountIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return {"id": perform(engine, actor, accounts.add_account, cmd), "code": cmd.code.strip()}


@api_router.patch("/accounts/{code}")
def account_update(code: str, cmd: accounts.AccountChange, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return _json(perform(engine, actor, accounts.change_account, code, cmd))


def _page(request: Request, engine: EngineDep, actor: PageActor, form: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    actor.require(ACCOUNTING_VIEW)
    return page(request, actor, "erp/accounting/accounts.html", status_code, section="accounting", tab="accounts",
                accounts=read(engine, actor, accounts.list_accounts), types=ad.ACCOUNT_TYPES,
                form=form or {"type": ad.EXPENSE}, errors=errors or {})


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return _page(request, engine, actor)


@router.post("/accounts")
async def accounts_add(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        cmd = accounts.AccountIn(code=str(form.get("code", "")), name=str(form.get("name", "")),
                                 type=str(form.get("type", "")))
        await run(perform, engine, actor, accounts.add_account, cmd)
    except (ValidationError, DomainError) as error:
        errors, code = field_errors(error, FIELDS)
        return await run(_page, request, engine, actor, form, errors, code)
    flash(request, f"Account {cmd.code.strip()} added")
    return see_other("/erp/accounting/accounts")


@router.post("/accounts/{code}")
async def accounts_change(code: str, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    """One form per account: `name` renames it, `active` = yes / no (re)activates or deactivates it."""
    form = await check_csrf(request)
    active = {"yes": True, "no": False}.get(str(form.get("active", "")))
    name = str(form["name"]) if "name" in form else None
    try:
        account = await run(perform, engine, actor, accounts.change_account, code,
                            accounts.AccountChange(name=name, active=active))
    except (ValidationError, DomainError) as error:
        errors, status_code = field_errors(error, set())
        return await run(_page, request, engine, actor, None, errors, status_code)
    state = "active" if account.active else "inactive"
    flash(request, f"Account {account.code} {account.name} saved ({state})")
    return see_other("/erp/accounting/accounts")

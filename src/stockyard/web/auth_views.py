"""Staff sign-in and sign-out for the pages."""

from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from stockyard.core.errors import DomainError
from stockyard.identity.services import authenticate_password
from stockyard.web.deps import EngineDep
from stockyard.web.pages import check_csrf, flash, render

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str:
    if not value or urlparse(value).netloc or not value.startswith("/"):
        return "/erp"
    return value


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "form": {"tenant": "demo"}})


@router.post("/login")
async def login(request: Request, engine: EngineDep) -> Response:
    try:
        form = await check_csrf(request)
        actor = authenticate_password(engine, tenant_slug=str(form.get("tenant", "")),
                                      email=str(form.get("email", "")), password=str(form.get("password", "")))
    except DomainError as error:
        return render(request, "login.html", {"next": _safe_next(request.query_params.get("next")),
                                              "form": {"tenant": "demo"}, "errors": {"_": error.message}},
                      status_code=401 if error.field != "csrf_token" else 403)
    request.session.clear()
    request.session["user_id"] = actor.user_id
    request.session["user_name"] = actor.name
    request.session["tenant_id"] = actor.tenant_id
    flash(request, f"Signed in as {actor.name}")
    return RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await check_csrf(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)

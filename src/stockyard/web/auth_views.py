"""Staff sign-in (password, then a code when two-step sign-in is on), sign-out, and the forgotten-password pages."""

import time
from urllib.parse import urlparse

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from stockyard.core.actor import Actor
from stockyard.core.errors import DomainError, ValidationFailed
from stockyard.core.settings import Settings
from stockyard.identity.login_limits import LoginLimiter, TooManyAttempts
from stockyard.identity.passwords import (
    check_reset_token,
    count_reset_request,
    request_password_reset,
    reset_password,
)
from stockyard.identity.services import actor_for_user
from stockyard.identity.signin import record_sign_out, sign_in_with_code, sign_in_with_password
from stockyard.web.deps import EngineDep
from stockyard.web.pages import check_csrf, field_errors, flash, render, run, see_other

router = APIRouter(include_in_schema=False)

# How long the second step may wait after the password was accepted.
PENDING_SECONDS = 300
PENDING_KEY = "pending_sign_in"


def _safe_next(value: str | None) -> str:
    if not value or urlparse(value).netloc or not value.startswith("/") or value.startswith("//"):
        return "/erp"
    return value


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _limiter(request: Request) -> LoginLimiter:
    return request.app.state.login_limiter


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _status(error: DomainError) -> int:
    if isinstance(error, TooManyAttempts):
        return 429
    return 403 if error.field == "csrf_token" else 401


def _start_session(request: Request, actor: Actor) -> None:
    # A new user id makes the session middleware issue a new session id (no fixation).
    request.session.clear()
    request.session["user_id"] = actor.user_id
    request.session["user_name"] = actor.name
    request.session["tenant_id"] = actor.tenant_id
    flash(request, f"Signed in as {actor.name}")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "form": {"tenant": "demo"}})


@router.post("/login")
async def login(request: Request, engine: EngineDep) -> Response:
    next_url = _safe_next(request.query_params.get("next"))
    tenant = ""
    try:
        form = await check_csrf(request)
        next_url = _safe_next(str(form.get("next") or ""))
        tenant, email = str(form.get("tenant", "")), str(form.get("email", ""))
        accepted = await run(lambda: sign_in_with_password(
            engine, _limiter(request), tenant_slug=tenant, email=email, password=str(form.get("password", "")),
            client_ip=_client_ip(request)))
    except DomainError as error:
        return render(request, "login.html", {"next": next_url, "form": {"tenant": tenant or "demo"},
                                              "errors": {"_": error.message}}, status_code=_status(error))
    if accepted.needs_code:
        request.session[PENDING_KEY] = {"user_id": accepted.actor.user_id, "tenant": tenant, "email": email,
                                        "next": next_url, "at": time.time()}
        return see_other("/login/code")
    _start_session(request, accepted.actor)
    return see_other(next_url)


def _pending(request: Request) -> dict[str, object] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return pending


@router.get("/login/code", response_class=HTMLResponse)
def login_code_form(request: Request) -> Response:
    if _pending(request) is None:
        return see_other("/login")
    return render(request, "login_code.html")


@router.post("/login/code")
async def login_code(request: Request, engine: EngineDep) -> Response:
    try:
        form = await check_csrf(request)
        pending = _pending(request)
        if pending is None:
            flash(request, "Sign in again: the code was not entered in time.", "error")
            return see_other("/login")
        actor = await run(lambda: sign_in_with_code(
            engine, _limiter(request), user_id=int(pending["user_id"]),  # type: ignore[call-overload]
            tenant_slug=str(pending["tenant"]), email=str(pending["email"]), code=str(form.get("code", "")),
            client_ip=_client_ip(request)))
    except DomainError as error:
        if isinstance(error, TooManyAttempts):
            request.session.pop(PENDING_KEY, None)
        return render(request, "login_code.html", {"errors": {"code" if error.field == "code" else "_": error.message}},
                      status_code=_status(error))
    next_url = _safe_next(str(pending.get("next") or ""))
    _start_session(request, actor)
    return see_other(next_url)


@router.post("/logout")
async def logout(request: Request, engine: EngineDep) -> Response:
    await check_csrf(request)
    user_id = request.session.get("user_id")
    if isinstance(user_id, int):
        try:
            actor = await run(actor_for_user, engine, user_id)
            await run(record_sign_out, engine, actor)
        except DomainError:
            pass  # an inactive user is signed out all the same
    request.session.clear()  # the session middleware deletes the stored session
    return RedirectResponse("/login", status_code=303)


# ---- forgotten password ------------------------------------------------------------------------------------------

FORGOT_ANSWER = ("If the company and e-mail address belong to an account, we have sent a link to choose a new "
                 "password. Check your inbox.")


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_form(request: Request) -> Response:
    return render(request, "login_forgot.html", {"form": {"tenant": "demo"}})


@router.post("/password/forgot")
async def forgot(request: Request, engine: EngineDep) -> Response:
    form = await check_csrf(request)
    values = {"tenant": str(form.get("tenant", "")).strip(), "email": str(form.get("email", "")).strip()}
    missing = {name: "required" for name, value in values.items() if not value}
    if missing:
        return render(request, "login_forgot.html", {"form": values, "errors": missing}, status_code=422)
    settings = _settings(request)
    try:
        count_reset_request(_limiter(request), settings.login_window_seconds, email=values["email"],
                            client_ip=_client_ip(request))
    except TooManyAttempts as error:
        return render(request, "login_forgot.html", {"form": values, "errors": {"_": error.message}}, status_code=429)
    link_base = settings.public_url or str(request.base_url)
    await run(lambda: request_password_reset(engine, settings, tenant_slug=values["tenant"], email=values["email"],
                                             link_base=link_base))
    flash(request, FORGOT_ANSWER)
    return see_other("/password/forgot/sent")


@router.get("/password/forgot/sent", response_class=HTMLResponse)
def forgot_sent(request: Request) -> Response:
    return render(request, "login_forgot_sent.html")


@router.get("/password/reset", response_class=HTMLResponse)
async def reset_form(request: Request, engine: EngineDep, token: str = "") -> Response:
    try:
        email = await run(check_reset_token, engine, _settings(request), token)
    except DomainError as error:
        return render(request, "login_reset.html", {"token": "", "errors": {"_": error.message}}, status_code=400)
    return render(request, "login_reset.html", {"token": token, "email": email})


@router.post("/password/reset")
async def reset(request: Request, engine: EngineDep) -> Response:
    form = await check_csrf(request)
    token = str(form.get("token", ""))
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    try:
        if password != again:
            raise ValidationFailed("the two passwords differ", field="password_again")
        await run(lambda: reset_password(engine, _settings(request), token=token, new_password=password))
    except DomainError as error:
        errors, status = field_errors(error, {"password", "password_again"})
        if error.field == "token":
            return render(request, "login_reset.html", {"token": "", "errors": {"_": error.message}},
                          status_code=400)
        return render(request, "login_reset.html", {"token": token, "errors": errors}, status_code=status)
    flash(request, "Your password has been changed. Sign in with the new one.")
    return see_other("/login")

"""Server-rendered pages: the template environment, CSRF tokens, flash messages, form errors."""

import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from stockyard.core.errors import DomainError, PermissionDenied
from stockyard.web.errors import pydantic_fields, status_for

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class CsrfFailed(PermissionDenied):
    pass


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request) -> dict[str, Any]:
    """Returns the submitted form after checking its CSRF token against the session's."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise CsrfFailed("the form's security token is missing or stale; reload the page", field="csrf_token")
    return {k: v for k, v in form.multi_items() if k != "csrf_token"}


def flash(request: Request, message: str, kind: str = "success") -> None:
    # Assigned, not appended in place: the session is only saved when one of its keys is set.
    request.session["flash"] = [*request.session.get("flash", []), {"kind": kind, "message": message}]


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    ctx = dict(context or {})
    ctx.setdefault("csrf_token", csrf_token(request))
    ctx.setdefault("flashes", request.session.pop("flash", []))
    ctx.setdefault("user_name", request.session.get("user_name"))
    ctx.setdefault("form", {})
    ctx.setdefault("errors", {})
    return TEMPLATES.TemplateResponse(request, template, ctx, status_code=status_code)


def form_errors(error: Exception) -> tuple[dict[str, str], int]:
    """Field → message for a form, and the status code to answer with."""
    if isinstance(error, ValidationError):
        fields = pydantic_fields(list(error.errors()))
        return {f["field"] or "_": f["message"] for f in fields}, 422
    if isinstance(error, DomainError):
        status, _ = status_for(error)
        return {error.field or "_": error.message}, status
    raise error

"""Server-rendered pages: the template environment, CSRF tokens, flash messages, form errors."""

import re
import secrets
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from stockyard.core.actor import Actor
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


def page_route(error_template: str) -> type[APIRoute]:
    """A route class whose domain errors become a readable HTML page (`error_template`) with the right status;
    the JSON API keeps its JSON errors."""

    class PageRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                try:
                    return await handler(request)
                except DomainError as error:
                    status, _ = status_for(error)
                    return render(request, error_template, {"status": status, "message": error.message},
                                  status_code=status)
                except RequestValidationError as error:
                    fields = pydantic_fields(list(error.errors()), skip_prefix=("body", "query", "path"))
                    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid address"
                    return render(request, error_template, {"status": 422, "message": message}, status_code=422)

            return handle

    return PageRoute


def page(request: Request, actor: Actor, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("can", actor.can)
    return render(request, template, context, status_code)


def given(values: Mapping[str, Any], *names: str) -> dict[str, str]:
    """The named fields that were filled in. An empty field is absent, so the command's default applies."""
    out = {}
    for name in names:
        value = str(values.get(name, "")).strip()
        if value:
            out[name] = value
    return out


def field_errors(error: Exception, known: set[str]) -> tuple[dict[str, str], int]:
    """Messages keyed by form field; one about no field of this form goes to the top of the page."""
    errors, status = form_errors(error)
    placed: dict[str, str] = {}
    for name, message in errors.items():
        key = re.sub(r"\[(\d+)\]", r".\1", name)  # services say lines[0].sku, pydantic lines.0.sku
        placed[key if key in known else "_"] = message if key in known else f"{name}: {message}"
    return placed, status


async def run(action: Callable[..., Any], *args: Any) -> Any:
    """Blocking database work off the event loop."""
    return await run_in_threadpool(action, *args)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)

"""The admin application's frame: its sections, its route class and its home page at /admin.

Each context adds its own admin router (e.g. catalog/admin_views.py) built with `admin_router()` and lists
its pages in ADMIN_SECTIONS, so the navigation shows them.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from stockyard.core.actor import Actor
from stockyard.web.deps import PageActor
from stockyard.web.pages import page, page_route

# (section key, URL, label) in navigation order.
ADMIN_SECTIONS: list[tuple[str, str, str]] = []


def admin_router(prefix: str = "") -> APIRouter:
    return APIRouter(prefix=f"/admin{prefix}", include_in_schema=False, route_class=page_route("admin/error.html"))


def admin_page(request: Request, actor: Actor, template: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("admin_sections", ADMIN_SECTIONS)
    return page(request, actor, template, status_code, **context)


router = admin_router()


@router.get("", response_class=HTMLResponse)
def admin_home(request: Request, actor: PageActor) -> Response:
    return admin_page(request, actor, "admin/index.html", section="home")

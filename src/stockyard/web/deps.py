"""Request-level dependencies: the engine, and who is acting (API key or signed-in session)."""

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.errors import NotAuthenticated
from stockyard.core.structured_logging import note_actor
from stockyard.identity.services import actor_for_user, actor_from_api_key
from stockyard.web.pages import CsrfFailed

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(Exception):
    """A page needs a signed-in user; the app redirects to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def api_actor(
    request: Request, engine: Annotated[Engine, Depends(get_engine)],
    authorization: Annotated[str | None, Header()] = None,
) -> Actor:
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("use 'Authorization: Bearer <API key>'", field="authorization")
        return note_actor(actor_from_api_key(engine, token.strip()))
    user_id = request.session.get("user_id") if "session" in request.scope else None
    if user_id is None:
        raise NotAuthenticated("an API key or a signed-in session is required", field="authorization")
    if request.method not in SAFE_METHODS:
        # A browser sends the session cookie along with a cross-site request too; only a page of this site knows
        # the session's CSRF token (base.html hands it to htmx as this header).
        expected, sent = request.session.get("csrf"), request.headers.get(CSRF_HEADER)
        if not expected or not sent or not secrets.compare_digest(sent, expected):
            raise CsrfFailed(f"a request signed in by the session cookie needs the {CSRF_HEADER} header of the "
                             "page's security token; an API client uses 'Authorization: Bearer <API key>'",
                             field=CSRF_HEADER)
    return note_actor(actor_for_user(engine, user_id))


def page_actor(request: Request, engine: Annotated[Engine, Depends(get_engine)]) -> Actor:
    user_id = request.session.get("user_id")
    if user_id is None:
        raise LoginRequired(str(request.url.path))
    try:
        return note_actor(actor_for_user(engine, user_id))
    except NotAuthenticated:
        request.session.clear()
        raise LoginRequired(str(request.url.path)) from None


EngineDep = Annotated[Engine, Depends(get_engine)]
ApiActor = Annotated[Actor, Depends(api_actor)]
PageActor = Annotated[Actor, Depends(page_actor)]

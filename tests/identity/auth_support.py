"""Helpers for the sign-in tests: an app of their own (own var_dir, own rate limiter), forms, stored rows."""

import re
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from stockyard.core.outbox import OutboxEvent
from stockyard.core.settings import Settings
from stockyard.core.uow import UnitOfWork
from stockyard.identity.models import UserSession
from stockyard.identity.sessions import hash_session_id
from stockyard.web.app import create_app
from tests.conftest import TenantCtx

PASSWORD = "correct horse battery"
COOKIE = "stockyard_session"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(ctx: TenantCtx, var_dir: Path, **settings: Any) -> Any:
    return create_app(Settings(secret_key="test-secret", var_dir=var_dir, **settings), ctx.engine, run_jobs=False)


def browser(app: Any, ip: str = "testclient") -> TestClient:
    """A fresh cookie jar on the app, connecting from address `ip`."""
    return TestClient(app, client=(ip, 50000))


def csrf(client: TestClient, url: str = "/login") -> str:
    page = client.get(url, follow_redirects=False)
    assert page.status_code == 200, page.text[:500]
    return CSRF.search(page.text)[1]


def new_user(ctx: TenantCtx, role: str = "warehouse_manager", password: str = PASSWORD) -> tuple[int, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    user_id, _ = ctx.user(role, email=email, password=password)
    return user_id, email


def login(client: TestClient, ctx: TenantCtx, email: str, password: str = PASSWORD) -> Response:
    return client.post("/login", data={"tenant": ctx.slug, "email": email, "password": password,
                                       "csrf_token": csrf(client), "next": "/erp"}, follow_redirects=False)


def signed_in(client: TestClient) -> bool:
    response = client.get("/erp", follow_redirects=False)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login")
        return False
    assert response.status_code == 200, response.text[:500]
    return True


def post(client: TestClient, url: str, data: dict[str, str], token_from: str) -> Response:
    return client.post(url, data={**data, "csrf_token": csrf(client, token_from)}, follow_redirects=False)


def session_row(ctx: TenantCtx, cookie_value: str) -> Any:
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return uow.conn.execute(select(UserSession.__table__)
                                .where(UserSession.id_hash == hash_session_id(cookie_value))).first()


def sessions_of(ctx: TenantCtx, user_id: int) -> int:
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return uow.conn.execute(select(func.count()).select_from(UserSession)
                                .where(UserSession.user_id == user_id)).scalar_one()


def events(ctx: TenantCtx, event_type: str | None = None) -> list[dict[str, Any]]:
    query = select(OutboxEvent.type, OutboxEvent.payload).where(OutboxEvent.tenant_id == ctx.tenant_id)
    if event_type:
        query = query.where(OutboxEvent.type == event_type)
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return [{"type": t, **p} for t, p in uow.conn.execute(query.order_by(OutboxEvent.id))]

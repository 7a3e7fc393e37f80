"""Server-side sessions: the cookie is a random id, the data lives in user_sessions, and ending a row ends the
session (sign-out, deactivation, expiry, password change elsewhere)."""

import base64
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork
from stockyard.identity.models import User, UserSession
from stockyard.identity.sessions import hash_session_id
from tests.conftest import TenantCtx
from tests.identity.auth_support import (
    COOKIE,
    PASSWORD,
    browser,
    csrf,
    events,
    login,
    make_app,
    new_user,
    post,
    session_row,
    sessions_of,
    signed_in,
)


def _set_times(ctx: TenantCtx, cookie: str, **values: object) -> None:
    with UnitOfWork(ctx.engine) as uow:
        uow.conn.execute(update(UserSession).where(UserSession.id_hash == hash_session_id(cookie)).values(**values))


def test_the_session_lives_on_the_server_and_the_cookie_is_only_an_id(tenant: TenantCtx, tmp_path: Path) -> None:
    user_id, email = new_user(tenant)
    client = browser(make_app(tenant, tmp_path))
    assert login(client, tenant, email).status_code == 303
    assert signed_in(client) and signed_in(client)  # survives several requests

    cookie = client.cookies[COOKIE]
    assert len(base64.urlsafe_b64decode(cookie + "=")) == 32  # 256 random bits, nothing else
    row = session_row(tenant, cookie)
    assert row is not None and row.id_hash != cookie
    assert row.data["csrf"] not in cookie
    assert (row.user_id, row.tenant_id) == (user_id, tenant.tenant_id)
    assert row.data["user_id"] == user_id and row.data["csrf"]

    with UnitOfWork(tenant.engine) as uow:  # deleting the row signs the user out
        uow.conn.execute(UserSession.__table__.delete().where(UserSession.id_hash == row.id_hash))
    assert not signed_in(client)


def test_signing_in_replaces_the_session_id_and_signing_out_deletes_the_session(tenant: TenantCtx,
                                                                               tmp_path: Path) -> None:
    user_id, email = new_user(tenant)
    client = browser(make_app(tenant, tmp_path))
    csrf(client)
    before = client.cookies[COOKIE]
    assert session_row(tenant, before) is not None  # an anonymous session (it holds the CSRF token)
    assert login(client, tenant, email).status_code == 303
    after = client.cookies[COOKIE]
    assert after != before and session_row(tenant, before) is None

    response = post(client, "/logout", {}, "/erp")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert session_row(tenant, after) is None and sessions_of(tenant, user_id) == 0
    assert not signed_in(client)
    replay = browser(client.app)  # the old id, presented again, is worthless
    replay.cookies.set(COOKIE, after)
    assert not signed_in(replay)
    assert [e["user_id"] for e in events(tenant, "user.signed_out.v1")] == [user_id]


def test_the_cookie_is_http_only_and_same_site(tenant: TenantCtx, tmp_path: Path) -> None:
    plain = browser(make_app(tenant, tmp_path)).get("/login").headers["set-cookie"]
    assert plain.startswith(f"{COOKIE}=")
    flags = [part.strip().lower() for part in plain.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags and "secure" not in flags

    secure = browser(make_app(tenant, tmp_path, cookie_secure=True)).get("/login").headers["set-cookie"]
    assert "secure" in [part.strip().lower() for part in secure.split(";")]


def test_an_unchanged_session_is_not_written_and_is_touched_at_most_once_a_minute(tenant: TenantCtx,
                                                                                tmp_path: Path) -> None:
    _, email = new_user(tenant)
    client = browser(make_app(tenant, tmp_path))
    login(client, tenant, email)
    signed_in(client)  # shows (and so removes) the sign-in flash
    cookie = client.cookies[COOKIE]

    recent = utcnow() - timedelta(seconds=20)
    _set_times(tenant, cookie, last_seen_at=recent)
    assert signed_in(client)
    assert session_row(tenant, cookie).last_seen_at == recent

    stale = utcnow() - timedelta(minutes=5)
    _set_times(tenant, cookie, last_seen_at=stale)
    assert signed_in(client)
    assert session_row(tenant, cookie).last_seen_at > stale + timedelta(minutes=4)
    assert client.cookies[COOKIE] == cookie


def test_idle_and_absolute_expiry_sign_the_user_out(tenant: TenantCtx, tmp_path: Path) -> None:
    _, email = new_user(tenant)
    app = make_app(tenant, tmp_path, session_idle_minutes=30, session_lifetime_hours=2)
    idle, old = browser(app), browser(app)
    login(idle, tenant, email)
    login(old, tenant, email)
    _set_times(tenant, idle.cookies[COOKIE], last_seen_at=utcnow() - timedelta(minutes=29))
    assert signed_in(idle)
    _set_times(tenant, idle.cookies[COOKIE], last_seen_at=utcnow() - timedelta(minutes=31))
    assert not signed_in(idle)
    # Busy all along, but older than the absolute lifetime.
    _set_times(tenant, old.cookies[COOKIE], created_at=utcnow() - timedelta(hours=2, minutes=1))
    assert not signed_in(old)


def test_a_deactivated_users_sessions_stop_working(tenant: TenantCtx, tmp_path: Path) -> None:
    user_id, email = new_user(tenant)
    client = browser(make_app(tenant, tmp_path))
    login(client, tenant, email)
    assert client.get("/api/v1/inventory/warehouses").status_code == 200
    with UnitOfWork(tenant.engine) as uow:
        uow.conn.execute(update(User).where(User.id == user_id).values(active=False))
    assert not signed_in(client)
    assert client.get("/api/v1/inventory/warehouses").status_code == 401


def test_changing_the_password_signs_out_the_other_sessions_only(tenant: TenantCtx, tmp_path: Path) -> None:
    user_id, email = new_user(tenant)
    app = make_app(tenant, tmp_path)
    here, elsewhere = browser(app), browser(app)
    login(here, tenant, email)
    login(elsewhere, tenant, email)
    other_user, other_email = new_user(tenant)
    bystander = browser(app)
    login(bystander, tenant, other_email)

    wrong = post(here, "/account/security/password", {"current_password": "not it", "new_password": "a new secret 1",
                                                      "new_password_again": "a new secret 1"}, "/account/security")
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    assert signed_in(elsewhere) and sessions_of(tenant, user_id) == 2

    short = post(here, "/account/security/password", {"current_password": PASSWORD, "new_password": "short",
                                                      "new_password_again": "short"}, "/account/security")
    assert short.status_code == 422 and "at least 10 characters" in short.text

    done = post(here, "/account/security/password", {"current_password": PASSWORD, "new_password": "a new secret 1",
                                                     "new_password_again": "a new secret 1"}, "/account/security")
    assert done.status_code == 303
    assert signed_in(here) and not signed_in(elsewhere) and signed_in(bystander)
    assert sessions_of(tenant, user_id) == 1
    assert [e["user_id"] for e in events(tenant, "user.password_changed.v1")] == [user_id]
    fresh = browser(app)
    assert login(fresh, tenant, email).status_code == 401
    assert login(fresh, tenant, email, "a new secret 1").status_code == 303

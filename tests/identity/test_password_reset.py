"""Forgotten password: the same answer for any address, a mailed single-use expiring link, and the dev mailbox."""

import re
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from stockyard.core.settings import Settings
from stockyard.core.uow import UnitOfWork
from stockyard.identity import passwords
from stockyard.identity.models import User
from tests.conftest import TenantCtx, new_tenant
from tests.identity.auth_support import (
    PASSWORD,
    browser,
    csrf,
    events,
    login,
    make_app,
    new_user,
    post,
    signed_in,
)

LINK = re.compile(r"http://testserver/password/reset\?token=(\S+)")
NEW_PASSWORD = "a brand new secret"


def _mails(var_dir: Path) -> list[str]:
    folder = var_dir / "mail"
    if not folder.exists():
        return []
    out = []
    for path in sorted(folder.glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        headers = "".join(f"{k}: {v}\n" for k, v in message.items())
        out.append(headers + message.get_body(preferencelist=("plain",)).get_content())
    return out


def _forgot(client: TestClient, ctx: TenantCtx, email: str) -> str:
    response = post(client, "/password/forgot", {"tenant": ctx.slug, "email": email}, "/password/forgot")
    assert response.status_code == 303
    return client.get(response.headers["location"]).text


def _reset(client: TestClient, token: str, password: str, again: str | None = None) -> TestClient:
    return post(client, "/password/reset", {"token": token, "password": password,
                                            "password_again": password if again is None else again},
                "/password/forgot")


@pytest.fixture
def app(tenant: TenantCtx, tmp_path: Path):  # noqa: ANN201
    return make_app(tenant, tmp_path)


def test_the_login_page_links_to_the_forgotten_password_form(app) -> None:  # noqa: ANN001
    client = browser(app)
    assert 'href="/password/forgot"' in client.get("/login").text
    assert 'name="email"' in client.get("/password/forgot").text


def test_known_and_unknown_addresses_get_the_same_answer_and_only_a_real_account_gets_mail(
        tenant: TenantCtx, app, tmp_path: Path) -> None:  # noqa: ANN001
    user_id, email = new_user(tenant)
    client = browser(app)
    unknown = _forgot(client, tenant, "nobody@example.com")
    assert _mails(tmp_path) == []
    known = _forgot(client, tenant, email)
    strip = re.compile(r'value="[^"]+"')  # CSRF tokens differ
    assert strip.sub("", known) == strip.sub("", unknown)
    assert "we have sent a link" in known
    [mail] = _mails(tmp_path)
    assert f"To: {email}" in mail and "Subject: Reset your Stockyard password" in mail
    assert LINK.search(mail)
    assert [e["user_id"] for e in events(tenant, "user.password_reset_requested.v1")] == [user_id]


def test_the_mailed_link_sets_a_new_password_once_and_ends_every_session(tenant: TenantCtx, app,  # noqa: ANN001
                                                                        tmp_path: Path) -> None:
    user_id, email = new_user(tenant)
    elsewhere = browser(app)
    login(elsewhere, tenant, email)
    client = browser(app)
    _forgot(client, tenant, email)
    token = LINK.search(_mails(tmp_path)[0])[1]

    form = client.get(f"/password/reset?token={token}")
    assert form.status_code == 200 and email in form.text

    short = _reset(client, token, "short")
    assert short.status_code == 422 and "at least 10 characters" in short.text
    same_as_email = _reset(client, token, email)
    assert same_as_email.status_code == 422 and "must not be your e-mail" in same_as_email.text
    differ = _reset(client, token, NEW_PASSWORD, "something else!")
    assert differ.status_code == 422 and "differ" in differ.text
    assert signed_in(elsewhere)  # refused attempts changed nothing

    done = _reset(client, token, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert not signed_in(elsewhere)
    assert login(browser(app), tenant, email).status_code == 401
    assert login(browser(app), tenant, email, NEW_PASSWORD).status_code == 303
    assert [e["user_id"] for e in events(tenant, "user.password_reset.v1")] == [user_id]

    again = _reset(browser(app), token, "yet another secret")
    assert again.status_code == 400 and "already been used" in again.text
    assert browser(app).get(f"/password/reset?token={token}").status_code == 400
    assert login(browser(app), tenant, email, NEW_PASSWORD).status_code == 303


def test_expired_and_forged_tokens_are_refused(tenant: TenantCtx, app, monkeypatch) -> None:  # noqa: ANN001
    user_id, email = new_user(tenant)
    settings: Settings = app.state.settings

    from stockyard.identity.services import actor_for_user  # noqa: F401  (the user exists)

    with UnitOfWork(tenant.engine, readonly=True) as uow:
        password_hash = uow.conn.execute(select(User.password_hash).where(User.id == user_id)).scalar_one()
    real_time = time.time
    with monkeypatch.context() as patched:  # a token made two hours ago
        patched.setattr(time, "time", lambda: real_time() - 2 * 3600)
        expired = passwords.reset_token(settings, user_id, password_hash)
    forged = URLSafeTimedSerializer("another-secret", salt="stockyard.password-reset.v1").dumps(
        {"u": user_id, "p": "0" * 32})
    valid = passwords.reset_token(settings, user_id, password_hash)
    tampered = valid[:-2] + ("AA" if not valid.endswith("AA") else "BB")

    client = browser(app)
    cases = [(expired, "expired"), (forged, "not valid"), (tampered, "not valid"), ("", "not valid")]
    for token, message in cases:
        assert client.get(f"/password/reset?token={token}").status_code == 400
        response = _reset(client, token, NEW_PASSWORD) if token else None
        if response is not None:
            assert response.status_code == 400 and message in response.text, message
    assert login(browser(app), tenant, email, NEW_PASSWORD).status_code == 401
    assert login(browser(app), tenant, email, PASSWORD).status_code == 303


def test_the_dev_mailbox_shows_a_tenant_its_own_mail_to_user_managers_only(tenant: TenantCtx, app,  # noqa: ANN001
                                                                           tmp_path: Path) -> None:
    _, email = new_user(tenant)
    _forgot(browser(app), tenant, email)
    other = new_tenant(tenant.engine)
    _, other_email = new_user(other)
    _forgot(browser(app), other, other_email)
    assert len(_mails(tmp_path)) == 2

    _, owner_email = new_user(tenant, "owner")
    owner = browser(app)
    login(owner, tenant, owner_email)
    listing = owner.get("/admin/dev/mail")
    assert listing.status_code == 200
    assert email in listing.text and other_email not in listing.text
    name = re.search(r'href="/admin/dev/mail/([^"]+\.eml)"', listing.text)[1]
    detail = owner.get(f"/admin/dev/mail/{name}")
    assert detail.status_code == 200 and "/password/reset?token=" in detail.text

    other_name = next(p.name for p in (tmp_path / "mail").glob("*.eml") if p.name != name)
    assert owner.get(f"/admin/dev/mail/{other_name}").status_code == 404

    _, operator_email = new_user(tenant, "warehouse_operator")
    operator = browser(app)
    login(operator, tenant, operator_email)
    assert operator.get("/admin/dev/mail").status_code == 403
    assert operator.get(f"/admin/dev/mail/{name}").status_code == 403
    assert csrf(operator, "/erp")  # still signed in; only the mailbox is refused

"""Two-step sign-in: enable with a confirmed code, sign in with a code, wrong codes refused and rate limited."""

import re
import time
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from stockyard.core.crypto import SecretUnreadable, decrypt_secret, encrypt_secret
from stockyard.core.uow import UnitOfWork
from stockyard.identity.models import User
from tests.conftest import TenantCtx
from tests.identity.auth_support import browser, csrf, events, login, make_app, new_user, post, signed_in


def _code(secret: str, ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(int(time.time())) + ahead)


def test_enable_confirm_sign_in_with_code_and_wrong_codes(tenant: TenantCtx, tmp_path: Path) -> None:
    user_id, email = new_user(tenant)
    app = make_app(tenant, tmp_path, login_max_failures=3)
    client = browser(app)
    login(client, tenant, email)
    assert post(client, "/account/security/totp/setup", {}, "/account/security").status_code == 303
    page = client.get("/account/security").text
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', page)[1]
    assert "otpauth://totp/" in page and "<svg" in page
    with UnitOfWork(tenant.engine, readonly=True) as uow:
        stored = uow.conn.execute(select(User.totp_secret).where(User.id == user_id)).scalar_one()
    assert stored != secret and decrypt_secret(stored) == secret

    wrong = post(client, "/account/security/totp/confirm", {"code": "000000" if _code(secret) != "000000"
                                                            else "111111"}, "/account/security")
    assert wrong.status_code == 422
    confirmed = post(client, "/account/security/totp/confirm", {"code": _code(secret)}, "/account/security")
    assert confirmed.status_code == 303
    assert [e["user_id"] for e in events(tenant, "user.totp_enabled.v1")] == [user_id]

    other = browser(app)
    step = login(other, tenant, email)
    assert step.status_code == 303 and step.headers["location"] == "/login/code"
    assert not signed_in(other)
    bad = "123456" if _code(secret, 1) != "123456" else "654321"
    refused = other.post("/login/code", data={"code": bad, "csrf_token": csrf(other, "/login/code")},
                         follow_redirects=False)
    assert refused.status_code == 401 and not signed_in(other)
    done = other.post("/login/code", data={"code": _code(secret, 1), "csrf_token": csrf(other, "/login/code")},
                      follow_redirects=False)
    assert done.status_code == 303 and signed_in(other)

    limited = browser(app)
    login(limited, tenant, email)
    for _ in range(2):
        limited.post("/login/code", data={"code": bad, "csrf_token": csrf(limited, "/login/code")})
    blocked = limited.post("/login/code", data={"code": _code(secret, 1), "csrf_token": csrf(limited, "/login/code")},
                           follow_redirects=False)
    assert blocked.status_code == 429 and not signed_in(limited)


def test_secrets_do_not_decrypt_with_another_key() -> None:
    token = encrypt_secret("JBSWY3DPEHPK3PXP", secret_key="one")
    assert decrypt_secret(token, secret_key="one") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(SecretUnreadable):
        decrypt_secret(token, secret_key="two")

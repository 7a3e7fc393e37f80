"""Password reset requests are rate limited like sign-in failures, per e-mail address and per client address:
past the limit the form answers 429 with a clear message and no further mail is sent."""

from pathlib import Path

from httpx import Response

from stockyard.identity.login_limits import InProcessLoginLimiter
from tests.conftest import TenantCtx
from tests.identity.auth_support import browser, events, login, make_app, new_user, post

LIMIT = 3


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _mails(var_dir: Path) -> int:
    return len(list((var_dir / "mail").glob("*.eml"))) if (var_dir / "mail").exists() else 0


def _requests(ctx: TenantCtx) -> int:
    return len(events(ctx, "user.password_reset_requested.v1"))


def _forgot(app: object, ctx: TenantCtx, email: str, ip: str = "10.0.0.1") -> Response:
    return post(browser(app, ip), "/password/forgot", {"tenant": ctx.slug, "email": email}, "/password/forgot")


def _app(ctx: TenantCtx, var_dir: Path, clock: Clock | None = None) -> object:
    app = make_app(ctx, var_dir, login_max_failures=LIMIT, login_window_seconds=600)
    if clock is not None:
        app.state.login_limiter = InProcessLoginLimiter(LIMIT, 600, clock=clock)
    return app


def test_one_address_gets_n_links_then_429_and_no_more_mail(tenant: TenantCtx, tmp_path: Path) -> None:
    _, email = new_user(tenant)
    app = _app(tenant, tmp_path)
    for _ in range(LIMIT):
        assert _forgot(app, tenant, email).status_code == 303
    assert _mails(tmp_path) == LIMIT and _requests(tenant) == LIMIT

    refused = _forgot(app, tenant, email.upper())  # the same mailbox, however it is written
    assert refused.status_code == 429
    assert "too many password reset requests" in refused.text and 'role="alert"' in refused.text
    assert _mails(tmp_path) == LIMIT and _requests(tenant) == LIMIT
    # Counted apart from sign-in failures: the user still signs in.
    assert login(browser(app, "10.0.0.1"), tenant, email).status_code == 303


def test_the_limit_holds_per_e_mail_address_from_any_client(tenant: TenantCtx, tmp_path: Path) -> None:
    _, email = new_user(tenant)
    app = _app(tenant, tmp_path)
    for n in range(LIMIT):
        assert _forgot(app, tenant, email, ip=f"10.0.1.{n}").status_code == 303
    assert _forgot(app, tenant, email, ip="10.0.1.99").status_code == 429
    assert _mails(tmp_path) == LIMIT
    # Another address is not held back by it.
    _, other = new_user(tenant)
    assert _forgot(app, tenant, other, ip="10.0.1.100").status_code == 303
    assert _mails(tmp_path) == LIMIT + 1


def test_the_limit_holds_per_client_for_any_address(tenant: TenantCtx, tmp_path: Path) -> None:
    _, email = new_user(tenant)
    app = _app(tenant, tmp_path)
    for n in range(LIMIT):  # unknown addresses count too: the answer must not tell which accounts exist
        assert _forgot(app, tenant, f"nobody-{n}@example.com").status_code == 303
    refused = _forgot(app, tenant, email)
    assert refused.status_code == 429
    assert _mails(tmp_path) == 0 and _requests(tenant) == 0
    assert _forgot(app, tenant, email, ip="10.0.0.2").status_code == 303
    assert _mails(tmp_path) == 1


def test_requests_are_accepted_again_once_the_window_has_passed(tenant: TenantCtx, tmp_path: Path) -> None:
    _, email = new_user(tenant)
    clock = Clock()
    app = _app(tenant, tmp_path, clock)
    for _ in range(LIMIT):
        clock.now += 10
        assert _forgot(app, tenant, email).status_code == 303
    assert _forgot(app, tenant, email).status_code == 429
    clock.now += 585  # the first request is now older than the window, the others are not
    assert _forgot(app, tenant, email).status_code == 303
    assert _forgot(app, tenant, email).status_code == 429
    assert _mails(tmp_path) == LIMIT + 1

"""Login rate limiting and the sign-in audit events."""

from pathlib import Path

from stockyard.identity.login_limits import InProcessLoginLimiter
from tests.conftest import TenantCtx
from tests.identity.auth_support import (
    PASSWORD,
    browser,
    events,
    login,
    make_app,
    new_user,
    sessions_of,
    signed_in,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_after_n_failures_the_account_is_refused_with_429_without_checking_the_password(
        tenant: TenantCtx, tmp_path: Path) -> None:
    user_id, email = new_user(tenant)
    app = make_app(tenant, tmp_path, login_max_failures=3)
    client = browser(app)
    for _ in range(3):
        response = login(client, tenant, email, "wrong password")
        assert response.status_code == 401 and "wrong e-mail or password" in response.text
    failures = events(tenant)

    refused = login(client, tenant, email)  # the right password, too late
    assert refused.status_code == 429
    assert "too many failed sign-in attempts" in refused.text
    assert not signed_in(client)
    assert sessions_of(tenant, user_id) == 0
    assert events(tenant) == failures  # nothing written for a refused attempt
    assert login(browser(app), tenant, email).status_code == 429  # another browser, same account


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(tenant: TenantCtx, tmp_path: Path) -> None:
    _, email = new_user(tenant)
    client = browser(make_app(tenant, tmp_path))
    wrong = login(client, tenant, email, "wrong password")
    unknown = login(client, tenant, "nobody@example.com", "wrong password")
    assert wrong.status_code == unknown.status_code == 401
    message = "wrong e-mail or password"
    assert message in wrong.text and message in unknown.text
    assert [(e["email"], e["reason"]) for e in events(tenant, "user.sign_in_failed.v1")] == [
        (email, "password"), ("nobody@example.com", "password")]


def test_failures_from_one_address_block_it_for_every_account(tenant: TenantCtx, tmp_path: Path) -> None:
    _, email = new_user(tenant)
    client = browser(make_app(tenant, tmp_path, login_max_failures=3))
    for n in range(3):
        assert login(client, tenant, f"guess-{n}@example.com", "password1").status_code == 401
    assert login(client, tenant, email).status_code == 429
    assert not signed_in(client)


def test_a_success_resets_the_accounts_count_and_the_window_passes(tenant: TenantCtx, tmp_path: Path) -> None:
    user_id, email = new_user(tenant)
    app = make_app(tenant, tmp_path)
    clock = Clock()
    app.state.login_limiter = InProcessLoginLimiter(3, 600, clock=clock)
    first = browser(app, "10.0.0.1")
    for _ in range(2):
        assert login(first, tenant, email, "wrong password").status_code == 401
    assert login(first, tenant, email).status_code == 303
    assert [e["user_id"] for e in events(tenant, "user.signed_in.v1")] == [user_id]
    # The account's count started again (else these would be its 3rd and 4th failures).
    second = browser(app, "10.0.0.2")
    for _ in range(2):
        clock.now += 1
        assert login(second, tenant, email, "wrong password").status_code == 401
    third = browser(app, "10.0.0.3")
    assert login(third, tenant, email, "wrong password").status_code == 401  # the account's 3rd
    fourth = browser(app, "10.0.0.4")
    assert login(fourth, tenant, email).status_code == 429
    clock.now += 601  # the window has passed
    assert login(fourth, tenant, email).status_code == 303
    assert signed_in(fourth)


def test_the_in_process_limiter_counts_per_key_in_a_sliding_window() -> None:
    clock = Clock()
    limiter = InProcessLoginLimiter(2, 60, clock=clock)
    limiter.record_failure(["a", "ip"])
    clock.now += 30
    limiter.record_failure(["a", "ip"])
    assert limiter.blocked(["a"]) and limiter.blocked(["b", "ip"]) and not limiter.blocked(["b"])
    clock.now += 31  # the first failure left the window
    assert not limiter.blocked(["a"])
    limiter.record_failure(["a"])
    assert limiter.blocked(["a"])
    limiter.reset("a")
    assert not limiter.blocked(["a"]) and limiter.blocked(["ip"]) is False


def test_sign_in_still_works_for_the_shared_test_app(tenant: TenantCtx, client) -> None:  # noqa: ANN001
    _, email = new_user(tenant)
    fresh = browser(client.app)
    assert login(fresh, tenant, email, PASSWORD).status_code == 303 and signed_in(fresh)

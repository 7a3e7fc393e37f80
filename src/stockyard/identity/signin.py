"""Staff sign-in: password, rate limit, optional second step, and the audit events of each attempt.

A refused attempt (rate limit reached) checks nothing and writes nothing. A failed attempt counts against
both the account and the client address; a completed sign-in clears the account's count.
"""

from dataclasses import dataclass

from sqlalchemy import Engine, select

from stockyard.core.actor import Actor, system_actor
from stockyard.core.errors import NotAuthenticated
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.login_limits import LoginLimiter, TooManyAttempts, account_key, address_key
from stockyard.identity.models import Tenant
from stockyard.identity.services import authenticate_password
from stockyard.identity.totp import totp_required, verify_login_code

REFUSED = "too many failed sign-in attempts; wait a few minutes and try again"


@dataclass(frozen=True)
class PasswordAccepted:
    actor: Actor
    # When True the user has a second factor: the sign-in completes only with `sign_in_with_code`.
    needs_code: bool
    login_key: str


def _record_failure(engine: Engine, tenant_slug: str, email: str, client_ip: str, reason: str) -> None:
    with UnitOfWork(engine) as uow:
        tenant_id = uow.conn.execute(select(Tenant.id).where(Tenant.slug == tenant_slug.strip().lower())).scalar()
        if tenant_id is None:
            return  # no tenant to file the event under
        uow.actor = system_actor(tenant_id, "sign-in")
        add_event(uow, "user.sign_in_failed.v1", {"email": email.strip().lower(), "ip": client_ip, "reason": reason})


def _record_success(engine: Engine, actor: Actor, client_ip: str, method: str) -> None:
    with UnitOfWork(engine, actor) as uow:
        add_event(uow, "user.signed_in.v1", {"user_id": actor.user_id, "ip": client_ip, "method": method})


def sign_in_with_password(engine: Engine, limiter: LoginLimiter, *, tenant_slug: str, email: str, password: str,
                          client_ip: str) -> PasswordAccepted:
    login_key = account_key(tenant_slug, email)
    keys = [login_key, address_key(client_ip)]
    if limiter.blocked(keys):
        raise TooManyAttempts(REFUSED)
    try:
        actor = authenticate_password(engine, tenant_slug=tenant_slug, email=email, password=password)
    except NotAuthenticated:
        limiter.record_failure(keys)
        _record_failure(engine, tenant_slug, email, client_ip, "password")
        raise
    if actor.user_id is not None and totp_required(engine, actor.user_id):
        return PasswordAccepted(actor, True, login_key)
    limiter.reset(login_key)
    _record_success(engine, actor, client_ip, "password")
    return PasswordAccepted(actor, False, login_key)


def sign_in_with_code(engine: Engine, limiter: LoginLimiter, *, user_id: int, tenant_slug: str, email: str,
                      code: str, client_ip: str) -> Actor:
    """The second step, for a user whose password was accepted by `sign_in_with_password`."""
    login_key = account_key(tenant_slug, email)
    keys = [login_key, address_key(client_ip)]
    if limiter.blocked(keys):
        raise TooManyAttempts(REFUSED)
    try:
        actor = verify_login_code(engine, user_id, code)
    except NotAuthenticated:
        limiter.record_failure(keys)
        _record_failure(engine, tenant_slug, email, client_ip, "second_factor")
        raise
    limiter.reset(login_key)
    _record_success(engine, actor, client_ip, "password+totp")
    return actor


def record_sign_out(engine: Engine, actor: Actor) -> None:
    with UnitOfWork(engine, actor) as uow:
        add_event(uow, "user.signed_out.v1", {"user_id": actor.user_id})

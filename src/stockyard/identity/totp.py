"""The optional second factor: time-based one-time passwords (RFC 6238, via pyotp).

The secret is stored encrypted (core/crypto.py). Setting up stores a new secret that is not yet enabled;
confirming with a current code enables it; disabling needs a current code too. A code is accepted once:
the last accepted time step is kept and a code of the same or an earlier step is refused.
"""

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from sqlalchemy import Engine, or_, select, update

from stockyard.core.actor import Actor
from stockyard.core.crypto import decrypt_secret, encrypt_secret
from stockyard.core.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork
from stockyard.identity.models import User
from stockyard.identity.services import actor_for_user

ISSUER = "Stockyard"
_CODE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class TotpStatus:
    enabled: bool
    # While setting up (not yet confirmed): the secret and its otpauth:// URI for an authenticator app.
    secret: str | None = None
    uri: str | None = None


def _normalise(code: str) -> str:
    code = re.sub(r"\s+", "", code)
    if not _CODE.match(code):
        raise ValidationFailed("enter the 6-digit code from your authenticator app", field="code")
    return code


def _now() -> datetime:
    return datetime.now(UTC)  # timezone-aware: pyotp reads a naive time as local time


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is, allowing one step of clock drift either way."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _own_user(uow: UnitOfWork) -> User:
    if uow.actor is None or uow.actor.user_id is None:
        raise PermissionDenied("only a signed-in user can change their own second factor", field="user")
    user = uow.execute(select(User).where(User.id == uow.actor.user_id)).scalar_one_or_none()
    if user is None:
        raise NotAuthenticated("the user no longer exists")
    return user


def totp_status(uow: UnitOfWork) -> TotpStatus:
    user = _own_user(uow)
    if user.totp_enabled or user.totp_secret is None:
        return TotpStatus(enabled=user.totp_enabled)
    secret = decrypt_secret(user.totp_secret)
    return TotpStatus(False, secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER))


def start_totp_setup(uow: UnitOfWork) -> None:
    """Stores a fresh secret, not yet enabled (starting again replaces an unconfirmed one)."""
    user = _own_user(uow)
    if user.totp_enabled:
        raise Conflict("two-step sign-in is already on; turn it off first", field="code")
    user.totp_secret = encrypt_secret(pyotp.random_base32())
    user.totp_last_step = None


def _check_code(user: User, code: str) -> int:
    if user.totp_secret is None:
        raise Conflict("two-step sign-in has not been set up", field="code")
    step = _matching_step(decrypt_secret(user.totp_secret), _normalise(code), _now())
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        raise ValidationFailed("that code is wrong or has expired", field="code")
    return step


def confirm_totp(uow: UnitOfWork, code: str) -> None:
    user = _own_user(uow)
    if user.totp_enabled:
        raise Conflict("two-step sign-in is already on", field="code")
    user.totp_last_step = _check_code(user, code)
    user.totp_enabled = True
    add_event(uow, "user.totp_enabled.v1", {"user_id": user.id, "email": user.email})


def disable_totp(uow: UnitOfWork, code: str) -> None:
    user = _own_user(uow)
    if not user.totp_enabled:
        raise Conflict("two-step sign-in is not on", field="code")
    _check_code(user, code)
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    add_event(uow, "user.totp_disabled.v1", {"user_id": user.id, "email": user.email})


def totp_required(engine: Engine, user_id: int) -> bool:
    with UnitOfWork(engine, readonly=True) as uow:
        return bool(uow.conn.execute(select(User.totp_enabled).where(User.id == user_id)).scalar())


def verify_login_code(engine: Engine, user_id: int, code: str) -> Actor:
    """The user's actor when `code` is a current, unused code of their enabled second factor."""
    failure = NotAuthenticated("wrong or expired code", field="code")
    try:
        code = _normalise(code)
    except ValidationFailed:
        raise failure from None
    with UnitOfWork(engine) as uow:
        row = uow.conn.execute(select(User.totp_secret, User.totp_enabled, User.active)
                               .where(User.id == user_id)).first()
        if row is None or not row.active or not row.totp_enabled or row.totp_secret is None:
            raise failure
        step = _matching_step(decrypt_secret(row.totp_secret), code, _now())
        if step is None:
            raise failure
        # Conditional update: of two requests with the same code, only one gets the row.
        used = uow.conn.execute(update(User).where(User.id == user_id, or_(User.totp_last_step.is_(None),
                                                                          User.totp_last_step < step))
                                .values(totp_last_step=step))
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise failure
    return actor_for_user(engine, user_id)

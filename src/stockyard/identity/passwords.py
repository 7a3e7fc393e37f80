"""Changing a password, and resetting a forgotten one through a signed, expiring, single-use e-mailed link.
Reset requests are rate limited per e-mail address and per client address (count_reset_request), so the form cannot
be used to flood a mailbox.

The reset token is signed with the secret key (itsdangerous) and carries the user id and a fingerprint of the
current password hash: once the password changes, every earlier token stops matching, so a link works once.
"""

import hashlib
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Engine, select, update

from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from stockyard.core.mail import send_mail
from stockyard.core.outbox import add_event
from stockyard.core.settings import Settings
from stockyard.core.uow import UnitOfWork
from stockyard.identity.login_limits import LoginLimiter, TooManyAttempts, address_key
from stockyard.identity.models import Tenant, User
from stockyard.identity.services import hash_password, password_matches
from stockyard.identity.sessions import end_user_sessions

MIN_PASSWORD_LENGTH = 10
_SALT = "stockyard.password-reset.v1"


def validate_new_password(password: str, email: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"a password has at least {MIN_PASSWORD_LENGTH} characters", field=field)
    if password.strip().lower() == email.strip().lower():
        raise ValidationFailed("the password must not be your e-mail address", field=field)


def change_password(uow: UnitOfWork, *, current_password: str, new_password: str,
                    keep_session_hash: str | None = None) -> None:
    """The signed-in user's own password; their other sessions end."""
    if uow.actor is None or uow.actor.user_id is None:
        raise PermissionDenied("only a signed-in user can change their password", field="user")
    user = uow.execute(select(User).where(User.id == uow.actor.user_id)).scalar_one_or_none()
    if user is None or not user.active:
        raise NotAuthenticated("the user no longer exists or is inactive")
    if not password_matches(user.password_hash, current_password):
        raise ValidationFailed("the current password is wrong", field="current_password")
    validate_new_password(new_password, user.email, field="new_password")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    ended = end_user_sessions(uow, user.id, keep_id_hash=keep_session_hash)
    add_event(uow, "user.password_changed.v1", {"user_id": user.id, "email": user.email, "sessions_ended": ended})


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=_SALT)


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def reset_token(settings: Settings, user_id: int, password_hash: str) -> str:
    return _serializer(settings).dumps({"u": user_id, "p": _fingerprint(password_hash)})


def reset_limit_keys(email: str, client_ip: str) -> list[str]:
    """What reset requests are counted by: the e-mail address (whatever company is named, since the mails all go
    to that mailbox) and the client's address. Apart from the sign-in failures' counts."""
    return [f"reset:email:{email.strip().lower()}", f"reset:{address_key(client_ip)}"]


def count_reset_request(limiter: LoginLimiter, window_seconds: int, *, email: str, client_ip: str) -> None:
    """Counts one reset request, or refuses it (TooManyAttempts, nothing counted) once the address or the e-mail
    address has made the limiter's allowance within its window. Checked before anything is looked up or mailed,
    and for unknown addresses alike, so the answer tells nothing about which accounts exist."""
    keys = reset_limit_keys(email, client_ip)
    if limiter.blocked(keys):
        minutes = max(1, -(-window_seconds // 60))
        raise TooManyAttempts(f"too many password reset requests; no further link is sent for now. Check your inbox "
                              f"for the ones already sent, or try again in {minutes} minutes", field="email")
    limiter.record_failure(keys)


def request_password_reset(engine: Engine, settings: Settings, *, tenant_slug: str, email: str,
                           link_base: str) -> None:
    """Mails a reset link when the account exists and is active; says nothing either way (no enumeration)."""
    with UnitOfWork(engine) as uow:
        row = uow.conn.execute(
            select(User.id, User.tenant_id, User.email, User.name, User.password_hash, Tenant.name.label("company"))
            .join(Tenant, Tenant.id == User.tenant_id)
            .where(Tenant.slug == tenant_slug.strip().lower(), User.email == email.strip().lower(),
                   User.active.is_(True))
        ).first()
        if row is None:
            return
        uow.actor = Actor(tenant_id=row.tenant_id, user_id=row.id, name=row.name)
        add_event(uow, "user.password_reset_requested.v1", {"user_id": row.id, "email": row.email})
    link = f"{link_base.rstrip('/')}/password/reset?token={reset_token(settings, row.id, row.password_hash)}"
    minutes = settings.password_reset_max_age_seconds // 60
    body = (f"Hello {row.name},\n\nsomeone asked to reset the password of your Stockyard account at {row.company}.\n"
            f"To choose a new password, open this link within {minutes} minutes:\n\n{link}\n\n"
            "The link works once. If you did not ask for this, ignore this message; your password stays as it is.\n")
    send_mail(settings, to=row.email, subject="Reset your Stockyard password", body=body, tenant_id=row.tenant_id)


def _load_token(settings: Settings, token: str) -> dict[str, Any]:
    try:
        payload = _serializer(settings).loads(token, max_age=settings.password_reset_max_age_seconds)
    except SignatureExpired:
        raise ValidationFailed("this reset link has expired; ask for a new one", field="token") from None
    except BadSignature:
        raise ValidationFailed("this reset link is not valid; ask for a new one", field="token") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int) or not isinstance(payload.get("p"), str):
        raise ValidationFailed("this reset link is not valid; ask for a new one", field="token")
    return payload


def _user_for_token(uow: UnitOfWork, settings: Settings, token: str) -> Any:
    payload = _load_token(settings, token)
    row = uow.conn.execute(select(User.id, User.tenant_id, User.email, User.name, User.password_hash, User.active)
                           .where(User.id == payload["u"])).first()
    if row is None or not row.active or _fingerprint(row.password_hash) != payload["p"]:
        raise ValidationFailed("this reset link has already been used or is no longer valid", field="token")
    return row


def check_reset_token(engine: Engine, settings: Settings, token: str) -> str:
    """The e-mail address the (still usable) token is for."""
    with UnitOfWork(engine, readonly=True) as uow:
        return str(_user_for_token(uow, settings, token).email)


def reset_password(engine: Engine, settings: Settings, *, token: str, new_password: str) -> None:
    """Sets the new password and ends every session of the user; the token cannot be used again."""
    with UnitOfWork(engine) as uow:
        row = _user_for_token(uow, settings, token)
        validate_new_password(new_password, row.email)
        # Conditional on the hash the token was checked against: of two uses of one token, one wins.
        changed = uow.conn.execute(update(User).where(User.id == row.id, User.password_hash == row.password_hash)
                                   .values(password_hash=hash_password(new_password), password_changed_at=utcnow()))
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise ValidationFailed("this reset link has already been used or is no longer valid", field="token")
        uow.actor = Actor(tenant_id=row.tenant_id, user_id=row.id, name=row.name)
        ended = end_user_sessions(uow, row.id)
        add_event(uow, "user.password_reset.v1", {"user_id": row.id, "email": row.email, "sessions_ended": ended})

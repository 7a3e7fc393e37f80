"""Server-side web sessions in the `user_sessions` table.

The browser holds a random 256-bit id; the table holds its SHA-256, the session data (JSON), the signed-in
user and tenant (for signing out everywhere), and two times: `created_at` bounds the absolute lifetime and
`last_seen_at` the idle timeout. A session whose user is missing or deactivated is treated as expired.
"""

import hashlib
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, insert, or_, select, update

from stockyard.core.clock import utcnow
from stockyard.core.uow import UnitOfWork
from stockyard.identity.models import User, UserSession

# The session keys that name who is signed in (set by the sign-in view, read by web/deps.py).
USER_KEY = "user_id"
TENANT_KEY = "tenant_id"
PURGE_EVERY = timedelta(minutes=5)


def hash_session_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def new_session_id() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    lifetime: timedelta
    touch_every: timedelta = timedelta(minutes=1)


@dataclass(frozen=True)
class StoredSession:
    id_hash: str
    data: dict[str, Any]
    last_seen_at: datetime


def _owner(data: dict[str, Any]) -> dict[str, int | None]:
    user_id, tenant_id = data.get(USER_KEY), data.get(TENANT_KEY)
    return {"user_id": user_id if isinstance(user_id, int) else None,
            "tenant_id": tenant_id if isinstance(tenant_id, int) else None}


class SessionStore:
    def __init__(self, engine: Engine, policy: SessionPolicy) -> None:
        self.engine = engine
        self.policy = policy
        self._next_purge = datetime.min
        self._purge_lock = threading.Lock()

    def _alive(self, now: datetime) -> Any:
        return and_(UserSession.last_seen_at > now - self.policy.idle,
                    UserSession.created_at > now - self.policy.lifetime)

    def load(self, session_id: str) -> StoredSession | None:
        """The live session with this id, or None (unknown, expired, or its user was deactivated)."""
        id_hash = hash_session_id(session_id)
        now = utcnow()
        with UnitOfWork(self.engine, readonly=True) as uow:
            row = uow.conn.execute(
                select(UserSession.data, UserSession.user_id, UserSession.last_seen_at, User.active)
                .outerjoin(User, User.id == UserSession.user_id)
                .where(UserSession.id_hash == id_hash, self._alive(now))
            ).first()
        if row is None or (row.user_id is not None and not row.active):
            return None
        data = row.data if isinstance(row.data, dict) else json.loads(row.data)
        return StoredSession(id_hash, data, row.last_seen_at)

    def create(self, data: dict[str, Any]) -> tuple[str, str]:
        """Stores a new session; returns (id for the cookie, its hash)."""
        session_id = new_session_id()
        id_hash = hash_session_id(session_id)
        now = utcnow()
        with UnitOfWork(self.engine) as uow:
            uow.conn.execute(insert(UserSession).values(id_hash=id_hash, data=data, created_at=now,
                                                        last_seen_at=now, **_owner(data)))
            self._maybe_purge(uow, now)
        return session_id, id_hash

    def save(self, id_hash: str, data: dict[str, Any]) -> None:
        with UnitOfWork(self.engine) as uow:
            uow.conn.execute(update(UserSession).where(UserSession.id_hash == id_hash)
                             .values(data=data, last_seen_at=utcnow(), **_owner(data)))

    def touch(self, id_hash: str) -> None:
        with UnitOfWork(self.engine) as uow:
            uow.conn.execute(update(UserSession).where(UserSession.id_hash == id_hash)
                             .values(last_seen_at=utcnow()))

    def needs_touch(self, stored: StoredSession) -> bool:
        return utcnow() - stored.last_seen_at >= self.policy.touch_every

    def delete(self, id_hash: str) -> None:
        with UnitOfWork(self.engine) as uow:
            uow.conn.execute(delete(UserSession).where(UserSession.id_hash == id_hash))

    def _maybe_purge(self, uow: UnitOfWork, now: datetime) -> None:
        """Expired rows are deleted now and then, when a session is created (no job needed)."""
        with self._purge_lock:
            if now < self._next_purge:
                return
            self._next_purge = now + PURGE_EVERY
        uow.conn.execute(delete(UserSession).where(or_(UserSession.last_seen_at <= now - self.policy.idle,
                                                       UserSession.created_at <= now - self.policy.lifetime)))


def end_user_sessions(uow: UnitOfWork, user_id: int, *, keep_id_hash: str | None = None) -> int:
    """Signs a user out everywhere (except the session `keep_id_hash`); returns how many sessions ended.
    Runs in the caller's transaction, so it happens together with the change that requires it."""
    statement = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_id_hash is not None:
        statement = statement.where(UserSession.id_hash != keep_id_hash)
    return uow.conn.execute(statement).rowcount  # type: ignore[attr-defined]

"""The unit of work: one connection, one transaction, one tenant, one actor.

Services receive a `UnitOfWork` and write through it; it commits everything (state and outbox events)
together or nothing. `uow.conn` runs Core statements on the hot paths; `uow.session` is an ORM session
bound to the same transaction, scoped to the tenant (core/tenancy.py).
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from stockyard.core.actor import Actor
from stockyard.core.errors import PermissionDenied
from stockyard.core.tenancy import scoped_session_info


class UnitOfWork:
    def __init__(self, engine: Engine, actor: Actor | None = None, *, readonly: bool = False) -> None:
        self.engine = engine
        self.actor = actor
        self.readonly = readonly
        self._conn: Connection | None = None
        self._session: Session | None = None
        self._committed = False
        self._after_commit: list[Callable[[], None]] = []

    @property
    def tenant_id(self) -> int:
        if self.actor is None:
            raise RuntimeError("this unit of work has no actor, so no tenant")
        return self.actor.tenant_id

    def require(self, permission: str) -> Actor:
        """The acting user, after checking one named permission."""
        if self.actor is None:
            raise PermissionDenied("nobody is signed in", field="permission")
        self.actor.require(permission)
        return self.actor

    @contextmanager
    def granting(self, permissions: set[str], *, because: str) -> Iterator[None]:
        """Within the block the actor also holds `permissions`, for steps that a higher permission already covers:
        shipping (fulfilment.ship) consumes the order's reservations without the operator holding
        inventory.reserve, which would also let them hold stock at will. `because` is checked first."""
        actor = self.require(because)
        self.actor = replace(actor, permissions=actor.permissions | frozenset(permissions))
        try:
            yield
        finally:
            self.actor = actor

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._conn

    @property
    def session(self) -> Session:
        if self._session is None:
            tenant = self.actor.tenant_id if self.actor else None
            self._session = Session(
                bind=self.conn,
                info=scoped_session_info(tenant),
                join_transaction_mode="conditional_savepoint",
                expire_on_commit=False,
                autoflush=True,
            )
        return self._session

    def execute(self, statement: Any, params: Any = None) -> Result[Any]:
        """Run a statement through the tenant-scoped session (the default for every query)."""
        return self.session.execute(statement, params)

    def __enter__(self) -> "UnitOfWork":
        conn = self.engine.connect()
        conn.info["readonly"] = self.readonly
        conn.begin()
        self._conn = conn
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None and not self.readonly:
                self.commit()
            else:
                self.rollback()
        finally:
            if self._session is not None:
                self._session.close()
            self.conn.close()
            self._conn = None
            self._session = None

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this transaction has committed, never if it rolls back: for effects outside the
        database (a metric) that a transaction retried from the start must not count twice."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        if self._session is not None:
            self._session.flush()
        self.conn.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self._after_commit = []
        if self._conn is not None and self._conn.in_transaction():
            self._conn.rollback()

    @contextmanager
    def acting_as(self, actor: Actor) -> Iterator["UnitOfWork"]:
        """This transaction under another actor, possibly of another tenant: for the rare action that spans
        tenants, such as creating a tenant together with its first owner. Commits or rolls back with this one."""
        inner = UnitOfWork(self.engine, actor)
        inner._conn = self.conn
        inner._after_commit = self._after_commit
        try:
            yield inner
            if inner._session is not None:
                inner._session.flush()
        finally:
            if inner._session is not None:
                inner._session.close()


T = TypeVar("T")
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
ATTEMPTS = 4


def is_retryable(error: DBAPIError) -> bool:
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(error.orig)


def perform(engine: Engine, actor: Actor | None, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one service call in its own transaction; a deadlock or serialization failure (which the database
    resolved by rolling us back) is retried from the start, so it never reaches the user."""
    for attempt in range(ATTEMPTS):
        try:
            with UnitOfWork(engine, actor) as uow:
                return action(uow, *args, **kwargs)
        except DBAPIError as error:
            if attempt == ATTEMPTS - 1 or not is_retryable(error):
                raise
    raise AssertionError("unreachable")


def requires(permission: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """For read models: the query refuses an actor without `permission` before it reads anything."""

    def decorate(query: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(query)
        def checked(uow: UnitOfWork, *args: Any, **kwargs: Any) -> T:
            uow.require(permission)
            return query(uow, *args, **kwargs)

        return checked

    return decorate


def read(engine: Engine, actor: Actor | None, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a query in a read-only unit of work."""
    with UnitOfWork(engine, actor, readonly=True) as uow:
        return query(uow, *args, **kwargs)

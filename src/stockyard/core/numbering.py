"""Gapless document numbers per tenant (SO-000001, RMA-000001, PO-000001): one counter row per tenant (or per tenant
and document type, PS-000001), moved on by one upsert that returns the new value. The row stays locked until the
transaction ends, so numbers are handed out in commit order and a rolled-back transaction gives its number back."""

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stockyard.core.uow import UnitOfWork


def next_value(uow: UnitOfWork, counters: Table, **scope: str) -> int:
    """The next value of `counters` (columns tenant_id, unique, and last) for the unit of work's tenant.

    `scope` names further key columns of a counter table with one row per tenant and kind (documents: doc_type)."""
    dialect_insert = pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert
    stmt = dialect_insert(counters).values(tenant_id=uow.tenant_id, last=1, **scope)
    keys = [counters.c.tenant_id, *(counters.c[name] for name in scope)]
    stmt = stmt.on_conflict_do_update(index_elements=keys,
                                      set_={"last": counters.c.last + 1}).returning(counters.c.last)
    return int(uow.conn.execute(stmt).scalar_one())


def next_number(uow: UnitOfWork, counters: Table, prefix: str, **scope: str) -> str:
    """The next number, formatted PREFIX-000001."""
    return f"{prefix}-{next_value(uow, counters, **scope):06d}"

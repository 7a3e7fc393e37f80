"""Gapless document numbers per tenant (SO-000001, RMA-000001, PO-000001): one counter row per tenant, moved on by
one upsert that returns the new value. The row stays locked until the transaction ends, so numbers are handed out
in commit order and a rolled-back transaction gives its number back."""

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stockyard.core.uow import UnitOfWork


def next_number(uow: UnitOfWork, counters: Table, prefix: str) -> str:
    """The next number from `counters` (columns tenant_id, unique, and last) for the unit of work's tenant."""
    dialect_insert = pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert
    stmt = dialect_insert(counters).values(tenant_id=uow.tenant_id, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=[counters.c.tenant_id],
                                      set_={"last": counters.c.last + 1}).returning(counters.c.last)
    return f"{prefix}-{uow.conn.execute(stmt).scalar_one():06d}"

"""Small Core helpers shared by the billing services."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, Connection, Row, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_or_skip(conn: Connection, table: Table, values: dict[str, Any],
                   returning: Iterable[Column[Any]]) -> Row[Any] | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING: the new row, or None when a unique key already had one.
    One round trip, and (unlike catching IntegrityError) it leaves a PostgreSQL transaction usable."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    return conn.execute(dialect_insert(table).values(values).on_conflict_do_nothing().returning(*returning)).first()

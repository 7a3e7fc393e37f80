"""Migration 0012 creates exactly the tables the returns models describe (columns, types, nullability, indexes)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from stockyard.all_models import Base

OURS = {"returns", "return_lines", "return_photos", "return_events", "return_numbers"}


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None) in OURS:
            return table.name
        if name in OURS:
            return name
        if isinstance(part, str) and part in OURS:
            return part
    return None


def test_the_migrated_returns_tables_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _table_of(d) in OURS]
    assert diffs == []

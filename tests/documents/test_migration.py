"""Migration 0024 creates exactly the tables the documents models describe (columns, types, nullability, indexes)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from stockyard.all_models import Base

OURS = {"documents", "document_numbers"}


def _tables(diff: object) -> set[str]:
    found = set()
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item[1:] if isinstance(item, tuple) else ():
            table = getattr(part, "table", None)
            for name in (getattr(table, "name", None), getattr(part, "name", None),
                         part if isinstance(part, str) else None):
                if name in OURS:
                    found.add(name)
    return found


def test_the_migrated_documents_tables_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _tables(d)]
    assert diffs == []

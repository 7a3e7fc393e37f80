"""The migrations build exactly the schema the models describe: every table, column (type, nullability), index,
foreign key and unique constraint of every context, on SQLite and PostgreSQL.

What only the migrations create is left out of the comparison: read models and tuned indexes that no model maps
(the search tables, the storefront's listing prices, covering indexes named in the migrations). Alembic reports
those as "remove_*": objects in the database that the models lack. Anything the models have that the database
lacks, or has differently, is a failure.
"""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from stockyard.all_models import Base


def _flatten(diffs: list[Any]) -> list[Any]:
    out = []
    for item in diffs:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = _flatten(compare_metadata(context, Base.metadata))
    assert [d for d in diffs if not d[0].startswith("remove_")] == []
    # Nothing a model maps is dropped or altered behind its back: a model table "removed" would mean a rename.
    model_tables = set(Base.metadata.tables)
    removed_tables = {d[1].name for d in diffs if d[0] == "remove_table"}
    assert removed_tables.isdisjoint(model_tables)

"""Migration 0023 creates exactly the tables the warehouse-execution models describe (and the cut-off column)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from stockyard.all_models import Base

OURS = {"pick_waves", "pick_lists", "pick_lines", "pick_discrepancies", "parcels", "parcel_items"}


def _touches_ours(item: object) -> bool:
    if isinstance(item, list):
        return any(_touches_ours(i) for i in item)
    if not isinstance(item, tuple):
        return False
    for part in item[1:]:
        table = getattr(part, "table", None)
        names = (getattr(table, "name", None), getattr(part, "name", None), part if isinstance(part, str) else None)
        for name in names:
            if name in OURS:
                return True
        if item[0] in ("add_column", "remove_column", "modify_type", "modify_nullable", "modify_default") \
                and len(item) > 3 and item[3] in ("cutoff_time",) and item[2] == "shipping_methods":
            return True
    return False


def test_the_migrated_execution_tables_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _touches_ours(d)]
    assert diffs == []
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("shipping_methods")}
    assert "cutoff_time" in columns

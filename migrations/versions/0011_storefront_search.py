"""storefront: full-text search over SKUs kept in sync by triggers, listing indexes, backorderable SKUs

SQLite: an FTS5 table `sku_fts` (rowid = SKU id). PostgreSQL: a table `sku_search` with a weighted tsvector
(GIN) and trigram indexes (pg_trgm, GIN) on the codes and the names, for part-number infix and typo-tolerant
matches. Either way one row per SKU holds its codes (SKU code, barcodes, the product's OEM part number, each also
without separators: "BRM-P85020" is findable as "BRMP85020"), its names (product, SKU, brand) and the
product's description; triggers on skus, products, barcodes and brands keep it current.

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-23 11:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _norm(expr: str) -> str:
    """The code without the separators people leave out when they type it."""
    return f"upper(replace(replace(replace(replace({expr}, '-', ''), '.', ''), ' ', ''), '/', ''))"


def _codes(sep_concat: str, barcodes: str) -> str:
    parts = ["s.code", _norm("s.code"), barcodes, "p.part_number", _norm("p.part_number")]
    return sep_concat.join(parts)


# ---- SQLite ---------------------------------------------------------------------------------------------------

_SQLITE_BARCODES = "coalesce((SELECT group_concat(bc.code, ' ') FROM barcodes bc WHERE bc.sku_id = s.id), '')"
_SQLITE_DOC = (
    "SELECT s.id, 't' || s.tenant_id, s.tenant_id, "
    + _codes(" || ' ' || ", _SQLITE_BARCODES) + ", "
    "p.name || ' ' || s.name || ' ' || coalesce(br.name, ''), p.description "
    "FROM skus s JOIN products p ON p.id = s.product_id LEFT JOIN brands br ON br.id = p.brand_id "
)
_SQLITE_INSERT = "INSERT INTO sku_fts (rowid, tenant_key, tenant_id, codes, names, body) " + _SQLITE_DOC


def _sqlite_refresh(where: str, rowids: str) -> str:
    return f"DELETE FROM sku_fts WHERE rowid IN ({rowids}); {_SQLITE_INSERT} WHERE {where};"


_SQLITE_TRIGGERS = {
    "sku_fts_skus_ai": f"AFTER INSERT ON skus BEGIN {_SQLITE_INSERT} WHERE s.id = NEW.id; END",
    "sku_fts_skus_au": "AFTER UPDATE OF code, name, product_id ON skus BEGIN "
                       f"DELETE FROM sku_fts WHERE rowid = OLD.id; {_SQLITE_INSERT} WHERE s.id = NEW.id; END",
    "sku_fts_skus_ad": "AFTER DELETE ON skus BEGIN DELETE FROM sku_fts WHERE rowid = OLD.id; END",
    "sku_fts_products_au": "AFTER UPDATE OF name, description, part_number, brand_id ON products BEGIN "
                           + _sqlite_refresh("s.product_id = NEW.id", "SELECT id FROM skus WHERE product_id = NEW.id")
                           + " END",
    "sku_fts_barcodes_ai": f"AFTER INSERT ON barcodes BEGIN {_sqlite_refresh('s.id = NEW.sku_id', 'NEW.sku_id')} END",
    "sku_fts_barcodes_au": "AFTER UPDATE ON barcodes BEGIN "
                           f"{_sqlite_refresh('s.id IN (OLD.sku_id, NEW.sku_id)', 'OLD.sku_id, NEW.sku_id')} END",
    "sku_fts_barcodes_ad": f"AFTER DELETE ON barcodes BEGIN {_sqlite_refresh('s.id = OLD.sku_id', 'OLD.sku_id')} END",
    "sku_fts_brands_au": "AFTER UPDATE OF name ON brands BEGIN "
                         + _sqlite_refresh("p.brand_id = NEW.id", "SELECT s2.id FROM skus s2 JOIN products p2 "
                                           "ON p2.id = s2.product_id WHERE p2.brand_id = NEW.id") + " END",
}


def _sqlite_upgrade() -> None:
    # tenant_key ('t12') is indexed so that a query is narrowed to one tenant inside the FTS index itself.
    op.execute("CREATE VIRTUAL TABLE sku_fts USING fts5(tenant_key, tenant_id UNINDEXED, codes, names, body, "
               "tokenize = 'unicode61 remove_diacritics 2')")
    for name, body in _SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(_SQLITE_INSERT)


def _sqlite_downgrade() -> None:
    for name in _SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS sku_fts")


# ---- PostgreSQL -----------------------------------------------------------------------------------------------

_PG_BARCODES = "coalesce((SELECT string_agg(bc.code, ' ') FROM barcodes bc WHERE bc.sku_id = s.id), '')"
_PG_CODES = _codes(" || ' ' || ", _PG_BARCODES)
_PG_REFRESH = f"""
CREATE OR REPLACE FUNCTION sku_search_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM sku_search WHERE sku_id = ANY(ids);
    INSERT INTO sku_search (sku_id, tenant_id, codes, names, document)
    SELECT d.id, d.tenant_id, d.codes, d.names,
           setweight(to_tsvector('simple', d.codes), 'A') || setweight(to_tsvector('english', d.names), 'B')
           || setweight(to_tsvector('english', d.body), 'C')
    FROM (SELECT s.id, s.tenant_id, {_PG_CODES} AS codes,
                 p.name || ' ' || s.name || ' ' || coalesce(br.name, '') AS names, p.description AS body
          FROM skus s JOIN products p ON p.id = s.product_id LEFT JOIN brands br ON br.id = p.brand_id
          WHERE s.id = ANY(ids)) d;
$$
"""
_PG_TRIGGER_FUNCTIONS = {
    "sku_search_skus_trg": "PERFORM sku_search_refresh(ARRAY[NEW.id]);",
    "sku_search_products_trg": "PERFORM sku_search_refresh(ARRAY(SELECT id FROM skus WHERE product_id = NEW.id));",
    "sku_search_barcodes_trg": "IF TG_OP = 'DELETE' THEN PERFORM sku_search_refresh(ARRAY[OLD.sku_id]); "
                               "ELSIF TG_OP = 'UPDATE' THEN PERFORM sku_search_refresh(ARRAY[OLD.sku_id, NEW.sku_id]); "
                               "ELSE PERFORM sku_search_refresh(ARRAY[NEW.sku_id]); END IF;",
    "sku_search_brands_trg": "PERFORM sku_search_refresh(ARRAY(SELECT s.id FROM skus s JOIN products p "
                             "ON p.id = s.product_id WHERE p.brand_id = NEW.id));",
}
_PG_TRIGGERS = {
    "sku_search_skus": "AFTER INSERT OR UPDATE OF code, name, product_id ON skus FOR EACH ROW "
                       "EXECUTE FUNCTION sku_search_skus_trg()",
    "sku_search_products": "AFTER UPDATE OF name, description, part_number, brand_id ON products FOR EACH ROW "
                           "EXECUTE FUNCTION sku_search_products_trg()",
    "sku_search_barcodes": "AFTER INSERT OR UPDATE OR DELETE ON barcodes FOR EACH ROW "
                           "EXECUTE FUNCTION sku_search_barcodes_trg()",
    "sku_search_brands": "AFTER UPDATE OF name ON brands FOR EACH ROW EXECUTE FUNCTION sku_search_brands_trg()",
}


def _pg_upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        'sku_search',
        sa.Column('sku_id', sa.Integer(), sa.ForeignKey('skus.id', ondelete='CASCADE',
                                                         name='fk_sku_search_sku_id_skus'), primary_key=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('codes', sa.Text(), nullable=False),
        sa.Column('names', sa.Text(), nullable=False),
        sa.Column('document', sa.dialects.postgresql.TSVECTOR(), nullable=False),
    )
    op.execute("CREATE INDEX ix_sku_search_document ON sku_search USING gin (document)")
    op.execute("CREATE INDEX ix_sku_search_codes_trgm ON sku_search USING gin (codes gin_trgm_ops)")
    op.execute("CREATE INDEX ix_sku_search_names_trgm ON sku_search USING gin (names gin_trgm_ops)")
    op.execute("CREATE INDEX ix_sku_search_tenant ON sku_search (tenant_id)")
    op.execute(_PG_REFRESH)
    for name, body in _PG_TRIGGER_FUNCTIONS.items():
        op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {body} RETURN NULL; END $$")
    for name, body in _PG_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute("SELECT sku_search_refresh(ARRAY(SELECT id FROM skus))")


def _pg_downgrade() -> None:
    for name, body in _PG_TRIGGERS.items():
        table = body.split(" ON ")[1].split()[0]
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in _PG_TRIGGER_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP FUNCTION IF EXISTS sku_search_refresh(integer[])")
    op.drop_table('sku_search')


# ---- both -----------------------------------------------------------------------------------------------------

def upgrade() -> None:
    with op.batch_alter_table('skus', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backorderable', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The storefront's hot reads: a category's products, a SKU's listing price, a SKU's attribute values.
    op.create_index('ix_products_tenant_category', 'products', ['tenant_id', 'category_id'])
    # Covering, and leading with the equality columns, so that even SQLite without ANALYZE statistics picks them
    # for the per-SKU lookups of a listing (price for one unit, ATP per warehouse, attribute values).
    op.create_index('ix_price_tiers_listing', 'price_tiers',
                    ['tenant_id', 'sku_id', 'min_quantity', 'price_list_id', 'unit_price'])
    op.create_index('ix_stock_levels_atp', 'stock_levels',
                    ['tenant_id', 'sku_id', 'status', 'warehouse_id', 'on_hand', 'reserved'])
    op.create_index('ix_sku_attribute_values_facet', 'sku_attribute_values',
                    ['tenant_id', 'sku_id', 'attribute_id', 'value', 'number'])
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_downgrade()
    else:
        _sqlite_downgrade()
    op.drop_index('ix_sku_attribute_values_facet', 'sku_attribute_values')
    op.drop_index('ix_stock_levels_atp', 'stock_levels')
    op.drop_index('ix_price_tiers_listing', 'price_tiers')
    op.drop_index('ix_products_tenant_category', 'products')
    with op.batch_alter_table('skus', schema=None) as batch_op:
        batch_op.drop_column('backorderable')

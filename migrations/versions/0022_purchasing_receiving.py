"""purchasing: supplier SKUs, advance shipping notices, goods receipts, putaway rules (issue 5)

Adds to existing tables: a supplier's over-receipt tolerance, the units a purchase order line received beyond its
quantity (within that tolerance), and a location's capacity (for putaway suggestions).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('receipt_numbers',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_receipt_numbers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_receipt_numbers'))
    )
    op.create_table('asns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purchase_order_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('carrier', sa.String(length=80), nullable=False),
    sa.Column('tracking', sa.String(length=120), nullable=False),
    sa.Column('expected_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('open', 'partially_received', 'received', 'cancelled')", name=op.f('ck_asns_state')),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_orders.id'], name=op.f('fk_asns_purchase_order_id_purchase_orders')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_asns_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asns'))
    )
    with op.batch_alter_table('asns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asns_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_asns_tenant_po', ['tenant_id', 'purchase_order_id'], unique=False)

    op.create_table('putaway_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_putaway_rules_category_id_categories')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_putaway_rules_location_id_locations')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_putaway_rules_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_putaway_rules_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_putaway_rules')),
    sa.UniqueConstraint('tenant_id', 'warehouse_id', 'category_id', name=op.f('uq_putaway_rules_tenant_id_warehouse_id_category_id'))
    )
    with op.batch_alter_table('putaway_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_putaway_rules_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('goods_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('purchase_order_id', sa.Integer(), nullable=True),
    sa.Column('asn_id', sa.Integer(), nullable=True),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('purchase_order', 'asn', 'blind')", name=op.f('ck_goods_receipts_kind')),
    sa.ForeignKeyConstraint(['asn_id'], ['asns.id'], name=op.f('fk_goods_receipts_asn_id_asns')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_goods_receipts_location_id_locations')),
    sa.ForeignKeyConstraint(['purchase_order_id'], ['purchase_orders.id'], name=op.f('fk_goods_receipts_purchase_order_id_purchase_orders')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_goods_receipts_supplier_id_suppliers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_goods_receipts_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_goods_receipts_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goods_receipts')),
    sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_goods_receipts_tenant_id_number'))
    )
    with op.batch_alter_table('goods_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goods_receipts_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_goods_receipts_tenant_po', ['tenant_id', 'purchase_order_id'], unique=False)

    op.create_table('supplier_skus',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('supplier_code', sa.String(length=64), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('min_order_qty', sa.Integer(), nullable=False),
    sa.Column('preferred', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('unit_cost >= 0 AND pack_size >= 1 AND min_order_qty >= 1', name=op.f('ck_supplier_skus_terms')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_supplier_skus_sku_id_skus')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_skus_supplier_id_suppliers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_supplier_skus_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_skus')),
    sa.UniqueConstraint('supplier_id', 'sku_id', name=op.f('uq_supplier_skus_supplier_id_sku_id'))
    )
    with op.batch_alter_table('supplier_skus', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_skus_preferred', ['tenant_id', 'sku_id'], unique=True, sqlite_where=sa.text('preferred'), postgresql_where=sa.text('preferred'))
        batch_op.create_index(batch_op.f('ix_supplier_skus_supplier_id'), ['supplier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_skus_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_supplier_skus_tenant_sku', ['tenant_id', 'sku_id'], unique=False)

    op.create_table('asn_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asn_id', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0 AND received >= 0', name=op.f('ck_asn_lines_quantities')),
    sa.ForeignKeyConstraint(['asn_id'], ['asns.id'], name=op.f('fk_asn_lines_asn_id_asns')),
    sa.ForeignKeyConstraint(['po_line_id'], ['purchase_order_lines.id'], name=op.f('fk_asn_lines_po_line_id_purchase_order_lines')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_asn_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asn_lines')),
    sa.UniqueConstraint('asn_id', 'po_line_id', name=op.f('uq_asn_lines_asn_id_po_line_id'))
    )
    with op.batch_alter_table('asn_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asn_lines_asn_id'), ['asn_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asn_lines_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('goods_receipt_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=True),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('over_received', sa.Integer(), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('lot', sa.String(length=64), nullable=False),
    sa.Column('move_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0 AND over_received >= 0', name=op.f('ck_goods_receipt_lines_quantities')),
    sa.ForeignKeyConstraint(['po_line_id'], ['purchase_order_lines.id'], name=op.f('fk_goods_receipt_lines_po_line_id_purchase_order_lines')),
    sa.ForeignKeyConstraint(['receipt_id'], ['goods_receipts.id'], name=op.f('fk_goods_receipt_lines_receipt_id_goods_receipts')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_goods_receipt_lines_sku_id_skus')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_goods_receipt_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goods_receipt_lines'))
    )
    with op.batch_alter_table('goods_receipt_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goods_receipt_lines_receipt_id'), ['receipt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goods_receipt_lines_tenant_id'), ['tenant_id'], unique=False)
    op.add_column('suppliers', sa.Column('over_receipt_tolerance_pct', sa.Numeric(precision=5, scale=2),
                                         server_default='0', nullable=False))
    op.add_column('purchase_order_lines', sa.Column('over_received', sa.Integer(), server_default='0', nullable=False))
    op.add_column('locations', sa.Column('capacity', sa.Integer(), nullable=True))


def downgrade() -> None:
    for table, column in (('locations', 'capacity'), ('purchase_order_lines', 'over_received'),
                          ('suppliers', 'over_receipt_tolerance_pct')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)
    with op.batch_alter_table('goods_receipt_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goods_receipt_lines_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_goods_receipt_lines_receipt_id'))

    op.drop_table('goods_receipt_lines')
    with op.batch_alter_table('asn_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asn_lines_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_asn_lines_asn_id'))

    op.drop_table('asn_lines')
    with op.batch_alter_table('supplier_skus', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_skus_tenant_sku')
        batch_op.drop_index(batch_op.f('ix_supplier_skus_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_supplier_skus_supplier_id'))
        batch_op.drop_index('ix_supplier_skus_preferred', sqlite_where=sa.text('preferred'), postgresql_where=sa.text('preferred'))

    op.drop_table('supplier_skus')
    with op.batch_alter_table('goods_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_goods_receipts_tenant_po')
        batch_op.drop_index(batch_op.f('ix_goods_receipts_tenant_id'))

    op.drop_table('goods_receipts')
    with op.batch_alter_table('putaway_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_putaway_rules_tenant_id'))

    op.drop_table('putaway_rules')
    with op.batch_alter_table('asns', schema=None) as batch_op:
        batch_op.drop_index('ix_asns_tenant_po')
        batch_op.drop_index(batch_op.f('ix_asns_tenant_id'))

    op.drop_table('asns')
    op.drop_table('receipt_numbers')

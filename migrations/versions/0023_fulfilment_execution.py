"""fulfilment: pick waves, pick lists, packing into parcels (issue 5)

Adds a carrier cut-off time to shipping methods (pick waves group orders by it).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _tenant(table: str) -> list[Any]:
    return [sa.Column('tenant_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f(f'fk_{table}_tenant_id_tenants'))]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f'{target}.id'], name=op.f(f'fk_{table}_{column}_{target}'))


def upgrade() -> None:
    with op.batch_alter_table('shipping_methods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cutoff_time', sa.String(length=5), server_default='', nullable=False))

    op.create_table(
        'pick_waves',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('warehouse_id', sa.Integer(), nullable=False),
        sa.Column('cutoff', sa.String(length=5), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('created_by_name', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        *_tenant('pick_waves'),
        sa.CheckConstraint("state IN ('open', 'done', 'cancelled')", name=op.f('ck_pick_waves_state')),
        _fk('pick_waves', 'warehouse_id', 'warehouses'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pick_waves')),
    )
    with op.batch_alter_table('pick_waves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pick_waves_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_pick_waves_tenant_state', ['tenant_id', 'state', 'id'], unique=False)

    op.create_table(
        'pick_lists',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('wave_id', sa.Integer(), nullable=True),
        sa.Column('warehouse_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=14), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('to_location_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('picked_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        *_tenant('pick_lists'),
        sa.CheckConstraint("kind IN ('order', 'replenishment')", name=op.f('ck_pick_lists_kind')),
        sa.CheckConstraint("state IN ('open', 'picked', 'cancelled')", name=op.f('ck_pick_lists_state')),
        _fk('pick_lists', 'wave_id', 'pick_waves'),
        _fk('pick_lists', 'warehouse_id', 'warehouses'),
        _fk('pick_lists', 'order_id', 'orders'),
        _fk('pick_lists', 'to_location_id', 'locations'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pick_lists')),
    )
    with op.batch_alter_table('pick_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pick_lists_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pick_lists_wave_id'), ['wave_id'], unique=False)
        batch_op.create_index('ix_pick_lists_order', ['tenant_id', 'order_id'], unique=False)

    op.create_table(
        'pick_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pick_list_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('sku_id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('lot', sa.String(length=64), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('picked', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('order_line_id', sa.Integer(), nullable=True),
        sa.Column('allocation_id', sa.Integer(), nullable=True),
        sa.Column('reservation_id', BIG_ID, nullable=True),
        sa.Column('picked_by_name', sa.String(length=200), nullable=False),
        sa.Column('picked_at', sa.DateTime(), nullable=True),
        *_tenant('pick_lines'),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_pick_lines_quantity_positive')),
        sa.CheckConstraint('picked >= 0 AND picked <= quantity', name=op.f('ck_pick_lines_picked_within_quantity')),
        sa.CheckConstraint("state IN ('open', 'picked', 'short', 'replaced')", name=op.f('ck_pick_lines_state')),
        _fk('pick_lines', 'pick_list_id', 'pick_lists'),
        _fk('pick_lines', 'sku_id', 'skus'),
        _fk('pick_lines', 'location_id', 'locations'),
        _fk('pick_lines', 'order_line_id', 'order_lines'),
        _fk('pick_lines', 'allocation_id', 'order_allocations'),
        _fk('pick_lines', 'reservation_id', 'reservations'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pick_lines')),
    )
    with op.batch_alter_table('pick_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pick_lines_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pick_lines_pick_list_id'), ['pick_list_id'], unique=False)

    op.create_table(
        'pick_discrepancies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pick_line_id', sa.Integer(), nullable=False),
        sa.Column('warehouse_id', sa.Integer(), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('sku_id', sa.Integer(), nullable=False),
        sa.Column('lot', sa.String(length=64), nullable=False),
        sa.Column('expected', sa.Integer(), nullable=False),
        sa.Column('found', sa.Integer(), nullable=False),
        sa.Column('missing', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=300), nullable=False),
        sa.Column('suggestion', sa.String(length=300), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('actor_name', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        *_tenant('pick_discrepancies'),
        sa.CheckConstraint('missing > 0', name=op.f('ck_pick_discrepancies_missing_positive')),
        sa.CheckConstraint("state IN ('open', 'resolved')", name=op.f('ck_pick_discrepancies_state')),
        _fk('pick_discrepancies', 'pick_line_id', 'pick_lines'),
        _fk('pick_discrepancies', 'warehouse_id', 'warehouses'),
        _fk('pick_discrepancies', 'location_id', 'locations'),
        _fk('pick_discrepancies', 'sku_id', 'skus'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pick_discrepancies')),
    )
    with op.batch_alter_table('pick_discrepancies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pick_discrepancies_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pick_discrepancies_pick_line_id'), ['pick_line_id'], unique=False)
        batch_op.create_index('ix_pick_discrepancies_open', ['tenant_id', 'state', 'id'], unique=False)

    op.create_table(
        'parcels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('warehouse_id', sa.Integer(), nullable=False),
        sa.Column('parcel_no', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('weight_g', sa.Integer(), nullable=False),
        sa.Column('length_mm', sa.Integer(), nullable=False),
        sa.Column('width_mm', sa.Integer(), nullable=False),
        sa.Column('height_mm', sa.Integer(), nullable=False),
        sa.Column('shipment_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        *_tenant('parcels'),
        sa.CheckConstraint("state IN ('open', 'closed', 'shipped')", name=op.f('ck_parcels_state')),
        sa.CheckConstraint('parcel_no > 0 AND weight_g >= 0 AND length_mm >= 0 AND width_mm >= 0 AND height_mm >= 0',
                           name=op.f('ck_parcels_measures')),
        _fk('parcels', 'order_id', 'orders'),
        _fk('parcels', 'warehouse_id', 'warehouses'),
        _fk('parcels', 'shipment_id', 'shipments'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_parcels')),
        sa.UniqueConstraint('order_id', 'warehouse_id', 'parcel_no',
                            name=op.f('uq_parcels_order_id_warehouse_id_parcel_no')),
    )
    with op.batch_alter_table('parcels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parcels_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_parcels_order_id'), ['order_id'], unique=False)

    op.create_table(
        'parcel_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('parcel_id', sa.Integer(), nullable=False),
        sa.Column('order_line_id', sa.Integer(), nullable=False),
        sa.Column('sku_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        *_tenant('parcel_items'),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_parcel_items_quantity_positive')),
        _fk('parcel_items', 'parcel_id', 'parcels'),
        _fk('parcel_items', 'order_line_id', 'order_lines'),
        _fk('parcel_items', 'sku_id', 'skus'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_parcel_items')),
    )
    with op.batch_alter_table('parcel_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parcel_items_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_parcel_items_parcel_id'), ['parcel_id'], unique=False)


def downgrade() -> None:
    for table in ('parcel_items', 'parcels', 'pick_discrepancies', 'pick_lines', 'pick_lists', 'pick_waves'):
        op.drop_table(table)
    with op.batch_alter_table('shipping_methods', schema=None) as batch_op:
        batch_op.drop_column('cutoff_time')

"""returns: return authorisations, their lines, photos and timeline; return numbers

Revision ID: 0012
Revises: 0008
Create Date: 2026-11-23 11:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('return_numbers',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_return_numbers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_return_numbers'))
    )
    op.create_table('returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('initiated_by', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.Column('decision_note', sa.String(length=500), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('refunded_amount', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('refunded_shipping', sa.Boolean(), nullable=False),
    sa.Column('exchange_order_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'authorized', 'rejected', 'received', 'inspected', 'refunded', "
                       "'exchanged', 'closed')", name=op.f('ck_returns_status')),
    sa.CheckConstraint("initiated_by IN ('customer', 'staff')", name=op.f('ck_returns_initiated_by')),
    sa.CheckConstraint('refunded_amount >= 0', name=op.f('ck_returns_refunded_amount')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_returns_customer_id_customers')),
    sa.ForeignKeyConstraint(['exchange_order_id'], ['orders.id'], name=op.f('fk_returns_exchange_order_id_orders')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_returns_location_id_locations')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_returns_order_id_orders')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_returns_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_returns')),
    sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_returns_tenant_id_number'))
    )
    with op.batch_alter_table('returns', schema=None) as batch_op:
        batch_op.create_index('ix_returns_queue', ['tenant_id', 'status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_returns_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_returns_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('return_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=True),
    sa.Column('disposition', sa.String(length=12), nullable=True),
    sa.Column('inspection_note', sa.String(length=500), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0 AND received >= 0 AND received <= quantity', name=op.f('ck_return_lines_quantities')),
    sa.CheckConstraint("grade IS NULL OR grade IN ('A', 'B', 'C', 'D')", name=op.f('ck_return_lines_grade')),
    sa.CheckConstraint("disposition IS NULL OR disposition IN ('restock', 'quarantine', 'damaged', 'refurbish', "
                       "'scrap')", name=op.f('ck_return_lines_disposition')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_return_lines_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_return_lines_return_id_returns')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_return_lines_sku_id_skus')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_return_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_lines')),
    sa.UniqueConstraint('return_id', 'order_line_id', name=op.f('uq_return_lines_return_id_order_line_id'))
    )
    with op.batch_alter_table('return_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_lines_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_lines_return_id'), ['return_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_lines_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('return_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('original_key', sa.String(length=300), nullable=False),
    sa.Column('small_key', sa.String(length=300), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_return_photos_return_id_returns')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_return_photos_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_photos'))
    )
    with op.batch_alter_table('return_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_photos_return_id'), ['return_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_photos_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('return_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_return_events_return_id_returns')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_return_events_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_events'))
    )
    with op.batch_alter_table('return_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_events_return_id'), ['return_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_return_events_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ('return_events', ['ix_return_events_tenant_id', 'ix_return_events_return_id']),
        ('return_photos', ['ix_return_photos_tenant_id', 'ix_return_photos_return_id']),
        ('return_lines', ['ix_return_lines_tenant_id', 'ix_return_lines_return_id', 'ix_return_lines_order_line_id']),
        ('returns', ['ix_returns_tenant_id', 'ix_returns_order_id', 'ix_returns_queue']),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for index in indexes:
                batch_op.drop_index(index)
        op.drop_table(table)
    op.drop_table('return_numbers')

"""channels: stock and price pushes, pools and buffers, status back (issue 6)

SKU maps per connection, the connection's allocation pool and sync health, the pending (coalesced) pushes, the
status updates owed to sites, and the log of sync errors (integration/channels/sync_models.py).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant(table: str) -> list[Any]:
    return [sa.Column('tenant_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f(f'fk_{table}_tenant_id_tenants'))]


def _connection(table: str) -> list[Any]:
    return [sa.Column('connection_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['connection_id'], ['channel_connections.id'],
                                    name=op.f(f'fk_{table}_connection_id_channel_connections'))]


def upgrade() -> None:
    op.create_table('channel_sku_maps',
    sa.Column('id', sa.Integer(), nullable=False),
    *_connection('channel_sku_maps'),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('external_stock_id', sa.String(length=100), nullable=False),
    sa.Column('last_available', sa.Integer(), nullable=True),
    sa.Column('last_price', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('last_pushed_at', sa.DateTime(), nullable=True),
    *_tenant('channel_sku_maps'),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_channel_sku_maps_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_sku_maps')),
    sa.UniqueConstraint('connection_id', 'sku_id', name=op.f('uq_channel_sku_maps_connection_id_sku_id')),
    sa.UniqueConstraint('connection_id', 'external_id', name=op.f('uq_channel_sku_maps_connection_id_external_id')),
    )
    op.create_index(op.f('ix_channel_sku_maps_sku_id'), 'channel_sku_maps', ['sku_id'], unique=False)
    op.create_index(op.f('ix_channel_sku_maps_tenant_id'), 'channel_sku_maps', ['tenant_id'], unique=False)

    op.create_table('channel_sync_settings',
    *_connection('channel_sync_settings'),
    sa.Column('stock_buffer', sa.Integer(), nullable=False),
    sa.Column('stock_share_pct', sa.Integer(), nullable=False),
    sa.Column('warehouse_ids', sa.JSON(), nullable=False),
    sa.Column('push_prices', sa.Boolean(), nullable=False),
    sa.Column('external_location_id', sa.String(length=100), nullable=False),
    sa.Column('debounce_seconds', sa.Integer(), nullable=False),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    *_tenant('channel_sync_settings'),
    sa.CheckConstraint('stock_buffer >= 0', name=op.f('ck_channel_sync_settings_stock_buffer')),
    sa.CheckConstraint('stock_share_pct BETWEEN 0 AND 100', name=op.f('ck_channel_sync_settings_stock_share_pct')),
    sa.CheckConstraint('debounce_seconds >= 0', name=op.f('ck_channel_sync_settings_debounce_seconds')),
    sa.PrimaryKeyConstraint('connection_id', name=op.f('pk_channel_sync_settings')),
    )
    op.create_index(op.f('ix_channel_sync_settings_tenant_id'), 'channel_sync_settings', ['tenant_id'], unique=False)

    op.create_table('channel_pending_pushes',
    sa.Column('id', sa.Integer(), nullable=False),
    *_connection('channel_pending_pushes'),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    *_tenant('channel_pending_pushes'),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_channel_pending_pushes_sku_id_skus')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_pending_pushes')),
    sa.UniqueConstraint('connection_id', 'sku_id', name=op.f('uq_channel_pending_pushes_connection_id_sku_id')),
    )
    op.create_index('ix_channel_pending_pushes_due', 'channel_pending_pushes', ['due_at'], unique=False)
    op.create_index(op.f('ix_channel_pending_pushes_tenant_id'), 'channel_pending_pushes', ['tenant_id'],
                    unique=False)

    op.create_table('channel_status_pushes',
    sa.Column('id', sa.Integer(), nullable=False),
    *_connection('channel_status_pushes'),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('external_order_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('source_event_id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    *_tenant('channel_status_pushes'),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('shipped', 'invoiced', 'refunded', 'cancelled')",
                       name=op.f('ck_channel_status_pushes_kind')),
    sa.CheckConstraint("state IN ('pending', 'sent', 'failed')", name=op.f('ck_channel_status_pushes_state')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_channel_status_pushes_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_status_pushes')),
    sa.UniqueConstraint('connection_id', 'source_event_id',
                        name=op.f('uq_channel_status_pushes_connection_id_source_event_id')),
    )
    op.create_index('ix_channel_status_pushes_due', 'channel_status_pushes', ['state', 'due_at'], unique=False)
    op.create_index(op.f('ix_channel_status_pushes_order_id'), 'channel_status_pushes', ['order_id'], unique=False)
    op.create_index(op.f('ix_channel_status_pushes_tenant_id'), 'channel_status_pushes', ['tenant_id'], unique=False)

    op.create_table('channel_sync_errors',
    sa.Column('id', sa.Integer(), nullable=False),
    *_connection('channel_sync_errors'),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    *_tenant('channel_sync_errors'),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_sync_errors')),
    )
    op.create_index('ix_channel_sync_errors_connection', 'channel_sync_errors', ['connection_id', 'created_at'],
                    unique=False)
    op.create_index(op.f('ix_channel_sync_errors_tenant_id'), 'channel_sync_errors', ['tenant_id'], unique=False)


def downgrade() -> None:
    for table in ('channel_sync_errors', 'channel_status_pushes', 'channel_pending_pushes', 'channel_sync_settings',
                  'channel_sku_maps'):
        op.drop_table(table)

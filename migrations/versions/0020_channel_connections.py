"""channels: external sites connected to tenants, inbound orders, customer links (issue 6)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('adapter', sa.String(length=20), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=False),
    sa.Column('external_site_id', sa.String(length=200), nullable=False),
    sa.Column('webhook_secret', sa.Text(), nullable=False),
    sa.Column('api_token', sa.Text(), nullable=False),
    sa.Column('poll_orders', sa.Boolean(), nullable=False),
    sa.Column('poll_cursor', sa.String(length=100), nullable=True),
    sa.Column('last_polled_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("adapter IN ('generic', 'shopify', 'woocommerce')", name=op.f('ck_channel_connections_adapter')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_connections_channel_id_channels')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_channel_connections_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_connections')),
    sa.UniqueConstraint('adapter', 'base_url', 'tenant_id', name=op.f('uq_channel_connections_adapter_base_url_tenant_id'))
    )
    with op.batch_alter_table('channel_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_connections_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_connections_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('channel_customer_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('external_customer_id', sa.String(length=100), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['channel_connections.id'], name=op.f('fk_channel_customer_links_connection_id_channel_connections')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_channel_customer_links_customer_id_customers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_channel_customer_links_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_customer_links')),
    sa.UniqueConstraint('connection_id', 'external_customer_id', name=op.f('uq_channel_customer_links_connection_id_external_customer_id'))
    )
    with op.batch_alter_table('channel_customer_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_customer_links_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_customer_links_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('channel_order_refs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('external_order_id', sa.String(length=100), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('received_via', sa.String(length=10), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['channel_connections.id'], name=op.f('fk_channel_order_refs_connection_id_channel_connections')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_channel_order_refs_order_id_orders')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_channel_order_refs_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_order_refs')),
    sa.UniqueConstraint('connection_id', 'external_order_id', name=op.f('uq_channel_order_refs_connection_id_external_order_id'))
    )
    with op.batch_alter_table('channel_order_refs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_order_refs_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_order_refs_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_table('channel_order_refs')
    op.drop_table('channel_customer_links')
    op.drop_table('channel_connections')

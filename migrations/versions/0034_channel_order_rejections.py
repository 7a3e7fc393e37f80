"""the site orders we refused, kept for a person until the same order is taken

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0034'
down_revision: str | None = '0033'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'channel_order_rejections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('external_order_id', sa.String(length=100), nullable=False),
        sa.Column('received_via', sa.String(length=10), nullable=False),
        sa.Column('field', sa.String(length=200), nullable=False),
        sa.Column('message', sa.String(length=1000), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['connection_id'], ['channel_connections.id'],
                                name=op.f('fk_channel_order_rejections_connection_id_channel_connections')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_channel_order_rejections_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_order_rejections')),
    )
    op.create_index('ix_channel_order_rejections_open', 'channel_order_rejections',
                    ['tenant_id', 'connection_id', 'resolved_at'])
    op.create_index(op.f('ix_channel_order_rejections_tenant_id'), 'channel_order_rejections', ['tenant_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_channel_order_rejections_tenant_id'), table_name='channel_order_rejections')
    op.drop_index('ix_channel_order_rejections_open', table_name='channel_order_rejections')
    op.drop_table('channel_order_rejections')

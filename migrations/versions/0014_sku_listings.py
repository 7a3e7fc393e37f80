"""storefront: per-channel listing prices (sku_listings) and their freshness per channel (sku_listing_channels)

A listing page used to resolve the listing price of every SKU in its scope on every request; catalog/listings.py
now keeps the price for one unit per (channel, SKU) in `sku_listings`, refreshed by the pricing services and by
a daily job. `sku_listing_channels` says for which currency and until which day a channel's rows are exact.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 13:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sku_listing_channels',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('fresh_from', sa.Date(), nullable=False),
    sa.Column('fresh_until', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sku_listing_channels_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_sku_listing_channels_channel_id_channels'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel_id', name=op.f('pk_sku_listing_channels'))
    )
    op.create_table('sku_listings',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=18, scale=6), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sku_listings_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_sku_listings_channel_id_channels'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_sku_listings_sku_id_skus'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('channel_id', 'sku_id', name=op.f('pk_sku_listings'))
    )
    op.create_index('ix_sku_listings_sku', 'sku_listings', ['sku_id'])
    op.create_index('ix_sku_listings_price', 'sku_listings', ['channel_id', 'price', 'sku_id'])


def downgrade() -> None:
    op.drop_index('ix_sku_listings_price', 'sku_listings')
    op.drop_index('ix_sku_listings_sku', 'sku_listings')
    op.drop_table('sku_listings')
    op.drop_table('sku_listing_channels')

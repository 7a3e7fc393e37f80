"""commerce configuration: channels, price lists and tiers, shipping zones/carriers/methods/rates, payment methods

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-23 09:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ['channels', 'carriers', 'shipping_zones', 'payment_methods', 'price_lists', 'shipping_methods',
          'free_shipping_thresholds', 'shipping_rates', 'price_tiers']


def upgrade() -> None:
    op.create_table('carriers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('tracking_url', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_carriers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_carriers')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_carriers_tenant_id_code'))
    )
    with op.batch_alter_table('carriers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_carriers_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('prices_include_tax', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('storefront', 'marketplace', 'b2b', 'pos')", name=op.f('ck_channels_kind')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_channels_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_channels_tenant_id_code'))
    )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('shipping_zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('countries', sa.JSON(), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('postcode_patterns', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_shipping_zones_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_zones')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_shipping_zones_tenant_id_name'))
    )
    with op.batch_alter_table('shipping_zones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_zones_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('payment_methods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('gateway', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('secrets', sa.JSON(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("gateway IN ('manual_bank_transfer', 'cash_on_delivery', 'test', 'stripe')", name=op.f('ck_payment_methods_gateway')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_payment_methods_channel_id_channels')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_payment_methods_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_methods')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_payment_methods_tenant_id_name'))
    )
    with op.batch_alter_table('payment_methods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_methods_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_methods_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('price_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to', name=op.f('ck_price_lists_validity')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_price_lists_channel_id_channels')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_price_lists_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_lists')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_price_lists_tenant_id_name'))
    )
    with op.batch_alter_table('price_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_lists_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_lists_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('shipping_methods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('carrier_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('remote_area_surcharge', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('remote_area_patterns', sa.JSON(), nullable=False),
    sa.Column('oversize_surcharge', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('oversize_length_mm', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('remote_area_surcharge >= 0 AND oversize_surcharge >= 0 AND oversize_length_mm >= 0', name=op.f('ck_shipping_methods_surcharges')),
    sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_shipping_methods_carrier_id_carriers')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_shipping_methods_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_methods')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_shipping_methods_tenant_id_code'))
    )
    with op.batch_alter_table('shipping_methods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_methods_carrier_id'), ['carrier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipping_methods_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('free_shipping_thresholds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('method_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('threshold >= 0', name=op.f('ck_free_shipping_thresholds_threshold')),
    sa.ForeignKeyConstraint(['method_id'], ['shipping_methods.id'], name=op.f('fk_free_shipping_thresholds_method_id_shipping_methods')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_free_shipping_thresholds_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['zone_id'], ['shipping_zones.id'], name=op.f('fk_free_shipping_thresholds_zone_id_shipping_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_free_shipping_thresholds')),
    sa.UniqueConstraint('method_id', 'zone_id', name=op.f('uq_free_shipping_thresholds_method_id_zone_id'))
    )
    with op.batch_alter_table('free_shipping_thresholds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_free_shipping_thresholds_method_id'), ['method_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_free_shipping_thresholds_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_free_shipping_thresholds_zone_id'), ['zone_id'], unique=False)

    op.create_table('shipping_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('method_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=12), nullable=False),
    sa.Column('lower', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('upper', sa.Numeric(precision=14, scale=4), nullable=True),
    sa.Column('price', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("basis IN ('weight', 'order_value')", name=op.f('ck_shipping_rates_basis')),
    sa.CheckConstraint('lower >= 0 AND (upper IS NULL OR upper > lower) AND price >= 0', name=op.f('ck_shipping_rates_band')),
    sa.ForeignKeyConstraint(['method_id'], ['shipping_methods.id'], name=op.f('fk_shipping_rates_method_id_shipping_methods')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_shipping_rates_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['zone_id'], ['shipping_zones.id'], name=op.f('fk_shipping_rates_zone_id_shipping_zones')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipping_rates')),
    sa.UniqueConstraint('method_id', 'zone_id', 'basis', 'lower', name=op.f('uq_shipping_rates_method_id_zone_id_basis_lower'))
    )
    with op.batch_alter_table('shipping_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipping_rates_method_id'), ['method_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipping_rates_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipping_rates_zone_id'), ['zone_id'], unique=False)

    op.create_table('price_tiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('min_quantity >= 1', name=op.f('ck_price_tiers_min_quantity')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_price_tiers_unit_price')),
    sa.ForeignKeyConstraint(['price_list_id'], ['price_lists.id'], name=op.f('fk_price_tiers_price_list_id_price_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_price_tiers_sku_id_skus')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_price_tiers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_tiers')),
    sa.UniqueConstraint('price_list_id', 'sku_id', 'min_quantity', name=op.f('uq_price_tiers_price_list_id_sku_id_min_quantity'))
    )
    with op.batch_alter_table('price_tiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_tiers_price_list_id'), ['price_list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_tiers_sku_id'), ['sku_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_price_tiers_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)

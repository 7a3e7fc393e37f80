"""shipping engine: transit days and dimensional-weight divisor on methods, handling days on warehouses, item-count
rate tables; shipments with lines and tracking events; tracking-number sequences

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-23 11:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_BASIS = "basis IN ('weight', 'order_value')"
NEW_BASIS = "basis IN ('weight', 'order_value', 'item_count')"
SHIPMENT_STATUSES = ("status IN ('shipped', 'in_transit', 'out_for_delivery', 'delivered', 'exception', "
                     "'cancelled')")
EVENT_STATUSES = ("status IN ('label_created', 'in_transit', 'out_for_delivery', 'delivered', 'exception', "
                  "'cancelled')")


def upgrade() -> None:
    with op.batch_alter_table('shipping_methods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transit_days', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('dim_divisor', sa.Integer(), server_default='5000', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_shipping_methods_transit'),
                                         'transit_days >= 0 AND dim_divisor >= 0')
    with op.batch_alter_table('warehouses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handling_days', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('shipping_rates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_shipping_rates_basis'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_shipping_rates_basis'), NEW_BASIS)

    op.create_table('tracking_sequences',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('carrier_code', sa.String(length=40), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tracking_sequences_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'carrier_code', name=op.f('pk_tracking_sequences'))
    )
    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('method_id', sa.Integer(), nullable=False),
    sa.Column('carrier_code', sa.String(length=40), nullable=False),
    sa.Column('tracking_number', sa.String(length=64), nullable=False),
    sa.Column('label_key', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cost', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('weight_g', sa.Integer(), nullable=False),
    sa.Column('address', sa.JSON(), nullable=False),
    sa.Column('shipped_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint(SHIPMENT_STATUSES, name=op.f('ck_shipments_status')),
    sa.CheckConstraint('cost >= 0', name=op.f('ck_shipments_cost')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shipments_order_id_orders')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'], name=op.f('fk_shipments_warehouse_id_warehouses')),
    sa.ForeignKeyConstraint(['method_id'], ['shipping_methods.id'],
                            name=op.f('fk_shipments_method_id_shipping_methods')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_shipments_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('tenant_id', 'carrier_code', 'tracking_number',
                        name=op.f('uq_shipments_tenant_id_carrier_code_tracking_number'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index('ix_shipments_order', ['tenant_id', 'order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('shipment_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reservation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_shipment_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_lines_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'],
                            name=op.f('fk_shipment_lines_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_shipment_lines_sku_id_skus')),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservations.id'],
                            name=op.f('fk_shipment_lines_reservation_id_reservations')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_shipment_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_lines'))
    )
    with op.batch_alter_table('shipment_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_lines_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_lines_order_line_id'), ['order_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_lines_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('shipment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint(EVENT_STATUSES, name=op.f('ck_shipment_events_status')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_events_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_shipment_events_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_events'))
    )
    with op.batch_alter_table('shipment_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_events_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipment_events_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    for table in ('shipment_events', 'shipment_lines', 'shipments', 'tracking_sequences'):
        op.drop_table(table)
    op.execute("DELETE FROM shipping_rates WHERE basis = 'item_count'")
    with op.batch_alter_table('shipping_rates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_shipping_rates_basis'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_shipping_rates_basis'), OLD_BASIS)
    with op.batch_alter_table('warehouses', schema=None) as batch_op:
        batch_op.drop_column('handling_days')
    with op.batch_alter_table('shipping_methods', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_shipping_methods_transit'), type_='check')
        batch_op.drop_column('dim_divisor')
        batch_op.drop_column('transit_days')


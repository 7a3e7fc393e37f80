"""taxes by destination and product tax class (issue 7)

Tax classes and rates per tenant; each product's tax class; the tax per rate on orders and invoices, and the rate's
name on each order line.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('tax_classes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tax_classes_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_classes')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_tax_classes_tenant_id_code'))
    )
    with op.batch_alter_table('tax_classes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tax_classes_tenant_id'), ['tenant_id'], unique=False)
    op.create_table('tax_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=40), nullable=False),
    sa.Column('tax_class', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('rate >= 0 AND rate < 1', name=op.f('ck_tax_rates_rate')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_tax_rates_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_rates')),
    sa.UniqueConstraint('tenant_id', 'country', 'region', 'tax_class', 'valid_from',
                        name=op.f('uq_tax_rates_tenant_id_country_region_tax_class_valid_from'))
    )
    with op.batch_alter_table('tax_rates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tax_rates_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_tax_rates_lookup', ['tenant_id', 'country', 'tax_class', 'region'], unique=False)
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_class', sa.String(length=40), server_default='standard', nullable=False))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_lines', sa.JSON(), nullable=True))
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_name', sa.String(length=120), server_default='', nullable=False))
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_lines', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('tax_lines')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('tax_name')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('tax_lines')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('tax_class')
    with op.batch_alter_table('tax_rates', schema=None) as batch_op:
        batch_op.drop_index('ix_tax_rates_lookup')
        batch_op.drop_index(batch_op.f('ix_tax_rates_tenant_id'))
    op.drop_table('tax_rates')
    with op.batch_alter_table('tax_classes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tax_classes_tenant_id'))
    op.drop_table('tax_classes')

"""demand forecasts per SKU and warehouse (issue 7: analytics feeding replenishment)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('demand_forecasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('history_weeks', sa.Integer(), nullable=False),
    sa.Column('last_week', sa.DateTime(), nullable=False),
    sa.Column('daily_rate', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('weekly', sa.JSON(), nullable=False),
    sa.Column('backtest_weeks', sa.Integer(), nullable=False),
    sa.Column('mae', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('wape', sa.Numeric(precision=8, scale=4), nullable=True),
    sa.Column('bias', sa.Numeric(precision=8, scale=4), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_demand_forecasts_sku_id_skus')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_demand_forecasts_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouses.id'],
                            name=op.f('fk_demand_forecasts_warehouse_id_warehouses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demand_forecasts')),
    sa.UniqueConstraint('tenant_id', 'sku_id', 'warehouse_id',
                        name=op.f('uq_demand_forecasts_tenant_id_sku_id_warehouse_id'))
    )
    with op.batch_alter_table('demand_forecasts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demand_forecasts_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('demand_forecasts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demand_forecasts_tenant_id'))
    op.drop_table('demand_forecasts')

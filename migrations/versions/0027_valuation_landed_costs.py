"""inventory valuation: the tenant's valuation method over time, landed-cost documents and their allocation (issue 7)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'valuation_method_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=12), nullable=False),
        sa.Column('effective_at', sa.DateTime(), nullable=False),
        sa.Column('actor_name', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("method IN ('fifo', 'average')", name=op.f('ck_valuation_method_changes_method')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_valuation_method_changes_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_valuation_method_changes')),
    )
    op.create_index('ix_valuation_method_changes_tenant', 'valuation_method_changes',
                    ['tenant_id', 'effective_at', 'id'], unique=False)
    op.create_index(op.f('ix_valuation_method_changes_tenant_id'), 'valuation_method_changes', ['tenant_id'],
                    unique=False)
    op.create_table(
        'landed_costs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('basis', sa.String(length=12), nullable=False),
        sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('supplier_id', sa.Integer(), nullable=True),
        sa.Column('reference', sa.String(length=100), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('applied_at', sa.DateTime(), nullable=False),
        sa.Column('inventory_amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('cogs_amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('actor_name', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('freight', 'duty', 'other')", name=op.f('ck_landed_costs_kind')),
        sa.CheckConstraint("basis IN ('value', 'quantity', 'weight')", name=op.f('ck_landed_costs_basis')),
        sa.CheckConstraint('amount > 0 AND inventory_amount >= 0 AND cogs_amount >= 0',
                           name=op.f('ck_landed_costs_amounts')),
        sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_landed_costs_supplier_id_suppliers')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_landed_costs_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_landed_costs')),
        sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_landed_costs_tenant_id_number')),
    )
    op.create_index(op.f('ix_landed_costs_tenant_id'), 'landed_costs', ['tenant_id'], unique=False)
    op.create_table(
        'landed_cost_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('landed_cost_id', sa.Integer(), nullable=False),
        sa.Column('receipt_id', sa.Integer(), nullable=True),
        sa.Column('move_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('sku_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('basis_amount', sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('on_hand_quantity', sa.Integer(), nullable=False),
        sa.Column('inventory_amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('cogs_amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('amount >= 0 AND inventory_amount >= 0 AND cogs_amount >= 0',
                           name=op.f('ck_landed_cost_lines_amounts')),
        sa.ForeignKeyConstraint(['landed_cost_id'], ['landed_costs.id'],
                                name=op.f('fk_landed_cost_lines_landed_cost_id_landed_costs')),
        sa.ForeignKeyConstraint(['receipt_id'], ['goods_receipts.id'],
                                name=op.f('fk_landed_cost_lines_receipt_id_goods_receipts')),
        sa.ForeignKeyConstraint(['move_id'], ['stock_moves.id'], name=op.f('fk_landed_cost_lines_move_id_stock_moves')),
        sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_landed_cost_lines_sku_id_skus')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_landed_cost_lines_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_landed_cost_lines')),
    )
    op.create_index('ix_landed_cost_lines_cost', 'landed_cost_lines', ['landed_cost_id', 'id'], unique=False)
    op.create_index('ix_landed_cost_lines_move', 'landed_cost_lines', ['tenant_id', 'move_id'], unique=False)
    op.create_index(op.f('ix_landed_cost_lines_tenant_id'), 'landed_cost_lines', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_landed_cost_lines_tenant_id'), table_name='landed_cost_lines')
    op.drop_index('ix_landed_cost_lines_move', table_name='landed_cost_lines')
    op.drop_index('ix_landed_cost_lines_cost', table_name='landed_cost_lines')
    op.drop_table('landed_cost_lines')
    op.drop_index(op.f('ix_landed_costs_tenant_id'), table_name='landed_costs')
    op.drop_table('landed_costs')
    op.drop_index(op.f('ix_valuation_method_changes_tenant_id'), table_name='valuation_method_changes')
    op.drop_index('ix_valuation_method_changes_tenant', table_name='valuation_method_changes')
    op.drop_table('valuation_method_changes')

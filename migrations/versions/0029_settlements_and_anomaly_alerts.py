"""gateway settlements for order-to-cash reconciliation, and anomaly alerts (issue 7)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'gateway_settlements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('settlement_ref', sa.String(length=64), nullable=False),
        sa.Column('settled_on', sa.Date(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('gross', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('fees', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('payout', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('line_count', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('imported_by', sa.String(length=200), nullable=False),
        sa.Column('journal_entry_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_gateway_settlements_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_settlements')),
        sa.UniqueConstraint('tenant_id', 'settlement_ref',
                            name=op.f('uq_gateway_settlements_tenant_id_settlement_ref')),
    )
    op.create_index('ix_gateway_settlements_date', 'gateway_settlements', ['tenant_id', 'settled_on'])
    op.create_index(op.f('ix_gateway_settlements_tenant_id'), 'gateway_settlements', ['tenant_id'])
    op.create_table(
        'gateway_settlement_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('settlement_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('settled_on', sa.Date(), nullable=False),
        sa.Column('payment_reference', sa.String(length=100), nullable=False),
        sa.Column('type', sa.String(length=10), nullable=False),
        sa.Column('gross', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('fee', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('net', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("type IN ('charge', 'refund', 'fee', 'payout')",
                           name=op.f('ck_gateway_settlement_lines_type')),
        sa.ForeignKeyConstraint(['settlement_id'], ['gateway_settlements.id'],
                                name=op.f('fk_gateway_settlement_lines_settlement_id_gateway_settlements')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_gateway_settlement_lines_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_settlement_lines')),
    )
    op.create_index('ix_gateway_settlement_lines_reference', 'gateway_settlement_lines',
                    ['tenant_id', 'payment_reference'])
    op.create_index(op.f('ix_gateway_settlement_lines_settlement_id'), 'gateway_settlement_lines', ['settlement_id'])
    op.create_index(op.f('ix_gateway_settlement_lines_tenant_id'), 'gateway_settlement_lines', ['tenant_id'])
    op.create_table(
        'anomaly_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('fingerprint', sa.String(length=200), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('decided_by', sa.String(length=200), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('stock_movement', 'cancellation_spike', 'margin_drop')",
                           name=op.f('ck_anomaly_alerts_kind')),
        sa.CheckConstraint("state IN ('open', 'acknowledged', 'dismissed')", name=op.f('ck_anomaly_alerts_state')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_anomaly_alerts_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_anomaly_alerts')),
        sa.UniqueConstraint('tenant_id', 'fingerprint', name=op.f('uq_anomaly_alerts_tenant_id_fingerprint')),
    )
    op.create_index('ix_anomaly_alerts_listing', 'anomaly_alerts', ['tenant_id', 'day', 'id'])
    op.create_index(op.f('ix_anomaly_alerts_tenant_id'), 'anomaly_alerts', ['tenant_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_anomaly_alerts_tenant_id'), table_name='anomaly_alerts')
    op.drop_index('ix_anomaly_alerts_listing', table_name='anomaly_alerts')
    op.drop_table('anomaly_alerts')
    op.drop_index(op.f('ix_gateway_settlement_lines_tenant_id'), table_name='gateway_settlement_lines')
    op.drop_index(op.f('ix_gateway_settlement_lines_settlement_id'), table_name='gateway_settlement_lines')
    op.drop_index('ix_gateway_settlement_lines_reference', table_name='gateway_settlement_lines')
    op.drop_table('gateway_settlement_lines')
    op.drop_index(op.f('ix_gateway_settlements_tenant_id'), table_name='gateway_settlements')
    op.drop_index('ix_gateway_settlements_date', table_name='gateway_settlements')
    op.drop_table('gateway_settlements')

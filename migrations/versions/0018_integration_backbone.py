"""integration: inbox, consumer attempts and dead letters for the outbox relay (issue 6)

The inbox records which consumer handled which event (exactly-once effects); the deliveries hold what a consumer
still owes: the embedded profile's pending events, retries with their next attempt, and dead letters.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'integration_inbox',
        sa.Column('consumer', sa.String(length=120), nullable=False),
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('handled_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_integration_inbox_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('consumer', 'event_id', name=op.f('pk_integration_inbox')),
    )
    op.create_index(op.f('ix_integration_inbox_tenant_id'), 'integration_inbox', ['tenant_id'])
    op.create_table(
        'integration_deliveries',
        sa.Column('id', BigId, nullable=False),
        sa.Column('consumer', sa.String(length=120), nullable=False),
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.Column('outbox_id', BigId, nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('event_type', sa.String(length=80), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('failed_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("state IN ('pending', 'queued', 'dead')", name=op.f('ck_integration_deliveries_state')),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_integration_deliveries_attempts')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'],
                                name=op.f('fk_integration_deliveries_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_deliveries')),
        sa.UniqueConstraint('consumer', 'event_id', name=op.f('uq_integration_deliveries_consumer_event_id')),
    )
    op.create_index('ix_integration_deliveries_due', 'integration_deliveries',
                    ['state', 'next_attempt_at', 'outbox_id'])
    op.create_index('ix_integration_deliveries_tenant', 'integration_deliveries', ['tenant_id', 'state', 'consumer'])


def downgrade() -> None:
    op.drop_index('ix_integration_deliveries_tenant', 'integration_deliveries')
    op.drop_index('ix_integration_deliveries_due', 'integration_deliveries')
    op.drop_table('integration_deliveries')
    op.drop_index(op.f('ix_integration_inbox_tenant_id'), 'integration_inbox')
    op.drop_table('integration_inbox')

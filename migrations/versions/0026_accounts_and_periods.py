"""chart of accounts, books and accounting periods per tenant; the business time of a stock move (issue 7)

`ledger_accounts` is a tenant's chart of accounts (created with the default chart when first needed),
`accounting_books` the currency its stock postings are valued in, `accounting_periods` the months closed (or
reopened). `stock_moves.occurred_at` is when a move happened in business terms when that differs from when it was
posted (a backdated write-off); readers use coalesce(occurred_at, created_at).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ledger_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("type IN ('asset', 'liability', 'equity', 'income', 'expense')",
                       name=op.f('ck_ledger_accounts_type')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_ledger_accounts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_ledger_accounts_tenant_id_code'))
    )
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_accounts_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('accounting_books',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_accounting_books_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounting_books')),
    sa.UniqueConstraint('tenant_id', name=op.f('uq_accounting_books_tenant_id'))
    )
    with op.batch_alter_table('accounting_books', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounting_books_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('accounting_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by_name', sa.String(length=200), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('open', 'closed')", name=op.f('ck_accounting_periods_state')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_accounting_periods_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounting_periods')),
    sa.UniqueConstraint('tenant_id', 'starts_on', name=op.f('uq_accounting_periods_tenant_id_starts_on'))
    )
    with op.batch_alter_table('accounting_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounting_periods_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.add_column(sa.Column('occurred_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.drop_column('occurred_at')
    for table in ('accounting_periods', 'accounting_books', 'ledger_accounts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_tenant_id'))
        op.drop_table(table)

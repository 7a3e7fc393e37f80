"""billing: payments and their transaction log, invoices with a gapless number sequence, the test gateway's records

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 11:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ['invoice_sequences', 'testgw_charges', 'testgw_webhooks', 'invoices', 'payments', 'invoice_lines',
          'payment_transactions']


def upgrade() -> None:
    op.create_table('invoice_sequences',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoice_sequences_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'year', name=op.f('pk_invoice_sequences'))
    )
    op.create_table('testgw_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('method_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('captured', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('refunded', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('decline_message', sa.String(length=200), nullable=False),
    sa.Column('return_url', sa.String(length=500), nullable=False),
    sa.Column('capture_on_confirm', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('requires_action', 'authorized', 'declined', 'canceled', 'voided')", name=op.f('ck_testgw_charges_state')),
    sa.CheckConstraint('amount > 0 AND captured >= 0 AND captured <= amount AND refunded >= 0 AND refunded <= captured', name=op.f('ck_testgw_charges_amounts')),
    sa.ForeignKeyConstraint(['method_id'], ['payment_methods.id'], name=op.f('fk_testgw_charges_method_id_payment_methods')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_testgw_charges_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_testgw_charges')),
    sa.UniqueConstraint('method_id', 'idempotency_key', name=op.f('uq_testgw_charges_method_id_idempotency_key')),
    sa.UniqueConstraint('reference', name=op.f('uq_testgw_charges_reference'))
    )
    op.create_index(op.f('ix_testgw_charges_tenant_id'), 'testgw_charges', ['tenant_id'], unique=False)
    op.create_table('testgw_webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('method_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['method_id'], ['payment_methods.id'], name=op.f('fk_testgw_webhooks_method_id_payment_methods')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_testgw_webhooks_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_testgw_webhooks')),
    sa.UniqueConstraint('event_id', name=op.f('uq_testgw_webhooks_event_id'))
    )
    op.create_index('ix_testgw_webhooks_due', 'testgw_webhooks', ['delivered_at', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_testgw_webhooks_tenant_id'), 'testgw_webhooks', ['tenant_id'], unique=False)
    op.create_table('invoices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('order_number', sa.String(length=32), nullable=False),
    sa.Column('seller', sa.String(length=200), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('billing_address', sa.JSON(), nullable=True),
    sa.Column('shipping_address', sa.JSON(), nullable=True),
    sa.Column('prices_include_tax', sa.Boolean(), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('shipping_total', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('tax_total', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('grand_total', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('subtotal >= 0 AND shipping_total >= 0 AND tax_total >= 0 AND grand_total >= 0', name=op.f('ck_invoices_totals')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_invoices_order_id_orders')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoices_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_invoices_tenant_id_number')),
    sa.UniqueConstraint('tenant_id', 'order_id', name=op.f('uq_invoices_tenant_id_order_id'))
    )
    op.create_index(op.f('ix_invoices_tenant_id'), 'invoices', ['tenant_id'], unique=False)
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('method_id', sa.Integer(), nullable=False),
    sa.Column('gateway', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('captured_amount', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('refunded_amount', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=False),
    sa.Column('capture_mode', sa.String(length=10), nullable=False),
    sa.Column('action_url', sa.String(length=500), nullable=True),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("capture_mode IN ('order', 'shipment')", name=op.f('ck_payments_capture_mode')),
    sa.CheckConstraint("state IN ('pending', 'requires_action', 'authorized', 'partially_captured', 'captured', 'partially_refunded', 'refunded', 'voided', 'failed')", name=op.f('ck_payments_state')),
    sa.CheckConstraint('amount > 0 AND captured_amount >= 0 AND captured_amount <= amount AND refunded_amount >= 0 AND refunded_amount <= captured_amount', name=op.f('ck_payments_amounts')),
    sa.ForeignKeyConstraint(['method_id'], ['payment_methods.id'], name=op.f('fk_payments_method_id_payment_methods')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payments_order_id_orders')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_payments_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name=op.f('uq_payments_tenant_id_idempotency_key'))
    )
    op.create_index(op.f('ix_payments_method_id'), 'payments', ['method_id'], unique=False)
    op.create_index('ix_payments_order', 'payments', ['tenant_id', 'order_id'], unique=False)
    op.create_index('ix_payments_reference', 'payments', ['method_id', 'reference'], unique=False)
    op.create_index(op.f('ix_payments_tenant_id'), 'payments', ['tenant_id'], unique=False)
    op.create_table('invoice_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sku_code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=6, scale=4), nullable=False),
    sa.Column('line_total', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_invoice_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_invoice_lines_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines'))
    )
    op.create_index(op.f('ix_invoice_lines_invoice_id'), 'invoice_lines', ['invoice_id'], unique=False)
    op.create_index(op.f('ix_invoice_lines_tenant_id'), 'invoice_lines', ['tenant_id'], unique=False)
    op.create_table('payment_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=4), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('event_id', sa.String(length=100), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('authorize', 'capture', 'void', 'refund', 'webhook')", name=op.f('ck_payment_transactions_kind')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_payment_transactions_amount')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_transactions_payment_id_payments')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_payment_transactions_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_transactions')),
    sa.UniqueConstraint('tenant_id', 'event_id', name=op.f('uq_payment_transactions_tenant_id_event_id'))
    )
    op.create_index(op.f('ix_payment_transactions_payment_id'), 'payment_transactions', ['payment_id'], unique=False)
    op.create_index(op.f('ix_payment_transactions_tenant_id'), 'payment_transactions', ['tenant_id'], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)

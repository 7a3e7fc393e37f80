"""append-only audit log; tenants created by another tenant's owner

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-23 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSED = "audit_log is append-only"


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('object_type', sa.String(length=80), nullable=False),
    sa.Column('object_id', sa.String(length=200), nullable=False),
    sa.Column('before', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('after', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_audit_log_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_tenant_time', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index('ix_audit_log_tenant_object', ['tenant_id', 'object_type', 'object_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSED}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
            END $$
        """)
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()")
        op.add_column('tenants', sa.Column('parent_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_tenants_parent_id_tenants'), 'tenants', 'tenants', ['parent_id'], ['id'])
    else:
        for verb in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       f"BEGIN SELECT RAISE(ABORT, '{REFUSED}: {verb} refused'); END")
        # SQLite adds a column with its foreign key in one statement (no table rebuild of `tenants`).
        op.execute("ALTER TABLE tenants ADD COLUMN parent_id INTEGER "
                   "CONSTRAINT fk_tenants_parent_id_tenants REFERENCES tenants (id)")
    op.create_index(op.f('ix_tenants_parent_id'), 'tenants', ['parent_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_tenants_parent_id'), table_name='tenants')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint(op.f('fk_tenants_parent_id_tenants'), 'tenants', type_='foreignkey')
        op.drop_column('tenants', 'parent_id')
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_refuse_change()")
    else:
        with op.batch_alter_table('tenants', schema=None) as batch_op:
            batch_op.drop_column('parent_id')
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.drop_table('audit_log')

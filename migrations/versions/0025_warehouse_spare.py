"""warehouse execution follow-ups: transfers picked through the pick flow (issue 5)

A pick list of kind 'transfer' remembers the destination warehouse and, once picked, the transfer it dispatched.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('pick_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_warehouse_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('transfer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_pick_lists_to_warehouse_id_warehouses'), 'warehouses',
                                    ['to_warehouse_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_pick_lists_transfer_id_transfers'), 'transfers',
                                    ['transfer_id'], ['id'])
        batch_op.drop_constraint(batch_op.f('ck_pick_lists_kind'), type_='check')
        batch_op.create_check_constraint('kind', "kind IN ('order', 'replenishment', 'transfer')")


def downgrade() -> None:
    op.execute("DELETE FROM pick_lines WHERE pick_list_id IN (SELECT id FROM pick_lists WHERE kind = 'transfer')")
    op.execute("DELETE FROM pick_lists WHERE kind = 'transfer'")
    with op.batch_alter_table('pick_lists', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_pick_lists_kind'), type_='check')
        batch_op.create_check_constraint('kind', "kind IN ('order', 'replenishment')")
        batch_op.drop_constraint(batch_op.f('fk_pick_lists_transfer_id_transfers'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_pick_lists_to_warehouse_id_warehouses'), type_='foreignkey')
        batch_op.drop_column('transfer_id')
        batch_op.drop_column('to_warehouse_id')

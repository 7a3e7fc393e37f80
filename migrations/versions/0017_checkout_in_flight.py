"""sales: a cart claimed by place-order while the payment provider answers (state 'paying', checkout_key)

Place-order no longer keeps a transaction open while the payment provider works: it claims the cart (open →
paying, with the request's idempotency key), asks the provider with no transaction open, then records the order
(paying → ordered) or gives the cart back (paying → open). A checkout that stalls in between is given back, and its
authorisation reversed, by the stalled-checkout job.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES_BEFORE = "state IN ('open', 'ordered', 'merged', 'abandoned')"
STATES_AFTER = "state IN ('open', 'paying', 'ordered', 'merged', 'abandoned')"


def upgrade() -> None:
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkout_key', sa.String(length=80), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_carts_state'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_carts_state'), STATES_AFTER)
    op.create_index('ix_carts_paying', 'carts', ['state', 'updated_at'])


def downgrade() -> None:
    op.drop_index('ix_carts_paying', 'carts')
    op.execute("UPDATE carts SET state = 'open' WHERE state = 'paying'")
    with op.batch_alter_table('carts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_carts_state'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_carts_state'), STATES_BEFORE)
        batch_op.drop_column('checkout_key')

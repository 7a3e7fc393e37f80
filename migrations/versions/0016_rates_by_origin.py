"""shipping rates by origin: a rate table may apply only to parcels leaving one warehouse

`shipping_rates.origin_warehouse_id` (NULL: any warehouse). A band is unique per method, zone, basis, lower bound
and origin; the any-origin bands get a partial unique index of their own, as NULLs never collide in a unique
constraint.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANY_ORIGIN = sa.text('origin_warehouse_id IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('shipping_rates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_warehouse_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_shipping_rates_origin_warehouse_id_warehouses'), 'warehouses',
                                    ['origin_warehouse_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_shipping_rates_origin_warehouse_id'), ['origin_warehouse_id'],
                              unique=False)
        batch_op.drop_constraint(batch_op.f('uq_shipping_rates_method_id_zone_id_basis_lower'), type_='unique')
        batch_op.create_unique_constraint('uq_shipping_rates_band',
                                          ['method_id', 'zone_id', 'basis', 'lower', 'origin_warehouse_id'])
    op.create_index('uq_shipping_rates_any_origin', 'shipping_rates', ['method_id', 'zone_id', 'basis', 'lower'],
                    unique=True, sqlite_where=ANY_ORIGIN, postgresql_where=ANY_ORIGIN)


def downgrade() -> None:
    op.execute('DELETE FROM shipping_rates WHERE origin_warehouse_id IS NOT NULL')
    op.drop_index('uq_shipping_rates_any_origin', 'shipping_rates')
    with op.batch_alter_table('shipping_rates', schema=None) as batch_op:
        batch_op.drop_constraint('uq_shipping_rates_band', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_shipping_rates_method_id_zone_id_basis_lower'),
                                          ['method_id', 'zone_id', 'basis', 'lower'])
        batch_op.drop_index(batch_op.f('ix_shipping_rates_origin_warehouse_id'))
        batch_op.drop_constraint(batch_op.f('fk_shipping_rates_origin_warehouse_id_warehouses'), type_='foreignkey')
        batch_op.drop_column('origin_warehouse_id')

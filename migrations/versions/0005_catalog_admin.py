"""catalog administration: attributes, product images, equivalents, replacements, related items

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-23 09:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attributes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('type', sa.String(length=8), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('choices', sa.Text(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("type IN ('text', 'number', 'choice')", name=op.f('ck_attributes_type')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_attributes_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attributes')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_attributes_tenant_id_name'))
    )
    with op.batch_alter_table('attributes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attributes_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('equivalent_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_equivalent_groups_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equivalent_groups'))
    )
    with op.batch_alter_table('equivalent_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equivalent_groups_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('product_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('alt', sa.String(length=255), nullable=False),
    sa.Column('original_key', sa.String(length=255), nullable=False),
    sa.Column('small_key', sa.String(length=255), nullable=False),
    sa.Column('medium_key', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_images_product_id_products')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_product_images_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_images'))
    )
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_images_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_images_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('equivalent_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['equivalent_groups.id'], name=op.f('fk_equivalent_members_group_id_equivalent_groups')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_equivalent_members_sku_id_skus')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_equivalent_members_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equivalent_members')),
    sa.UniqueConstraint('tenant_id', 'sku_id', name=op.f('uq_equivalent_members_tenant_id_sku_id'))
    )
    with op.batch_alter_table('equivalent_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_equivalent_members_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_equivalent_members_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('related_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('related_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('accessory', 'bought_together')", name=op.f('ck_related_items_kind')),
    sa.CheckConstraint('sku_id <> related_id', name=op.f('ck_related_items_not_self')),
    sa.ForeignKeyConstraint(['related_id'], ['skus.id'], name=op.f('fk_related_items_related_id_skus')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_related_items_sku_id_skus')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_related_items_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_related_items')),
    sa.UniqueConstraint('sku_id', 'related_id', 'kind', name=op.f('uq_related_items_sku_id_related_id_kind'))
    )
    with op.batch_alter_table('related_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_related_items_related_id'), ['related_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_related_items_sku_id'), ['sku_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_related_items_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sku_attribute_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('attribute_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.Column('number', sa.Numeric(precision=18, scale=6), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attribute_id'], ['attributes.id'], name=op.f('fk_sku_attribute_values_attribute_id_attributes')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_sku_attribute_values_sku_id_skus')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sku_attribute_values_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sku_attribute_values')),
    sa.UniqueConstraint('sku_id', 'attribute_id', name=op.f('uq_sku_attribute_values_sku_id_attribute_id'))
    )
    with op.batch_alter_table('sku_attribute_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sku_attribute_values_attribute_id'), ['attribute_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sku_attribute_values_sku_id'), ['sku_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sku_attribute_values_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sku_replacements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku_id', sa.Integer(), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('sku_id <> replaced_by_id', name=op.f('ck_sku_replacements_not_self')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['skus.id'], name=op.f('fk_sku_replacements_replaced_by_id_skus')),
    sa.ForeignKeyConstraint(['sku_id'], ['skus.id'], name=op.f('fk_sku_replacements_sku_id_skus')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sku_replacements_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sku_replacements')),
    sa.UniqueConstraint('tenant_id', 'sku_id', name=op.f('uq_sku_replacements_tenant_id_sku_id'))
    )
    with op.batch_alter_table('sku_replacements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sku_replacements_replaced_by_id'), ['replaced_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sku_replacements_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sku_replacements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sku_replacements_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sku_replacements_replaced_by_id'))

    op.drop_table('sku_replacements')
    with op.batch_alter_table('sku_attribute_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sku_attribute_values_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sku_attribute_values_sku_id'))
        batch_op.drop_index(batch_op.f('ix_sku_attribute_values_attribute_id'))

    op.drop_table('sku_attribute_values')
    with op.batch_alter_table('related_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_related_items_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_related_items_sku_id'))
        batch_op.drop_index(batch_op.f('ix_related_items_related_id'))

    op.drop_table('related_items')
    with op.batch_alter_table('equivalent_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equivalent_members_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_equivalent_members_group_id'))

    op.drop_table('equivalent_members')
    with op.batch_alter_table('product_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_images_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_product_images_product_id'))

    op.drop_table('product_images')
    with op.batch_alter_table('equivalent_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_equivalent_groups_tenant_id'))

    op.drop_table('equivalent_groups')
    with op.batch_alter_table('attributes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attributes_tenant_id'))

    op.drop_table('attributes')

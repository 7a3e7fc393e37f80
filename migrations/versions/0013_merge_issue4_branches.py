"""merge payments, shipping engine, storefront search and returns

Revision ID: 0013
Revises: 0009, 0010, 0011, 0012
Create Date: 2026-11-23 13:10:00
"""

from collections.abc import Sequence

revision: str = '0013'
down_revision: str | None = ('0009', '0010', '0011', '0012')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

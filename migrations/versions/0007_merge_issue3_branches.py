"""merge identity, audit, catalog admin and commerce config

Revision ID: 0007
Revises: 0002, 0003, 0004, 0005, 0006
Create Date: 2026-11-23 10:45:39.883950
"""

from collections.abc import Sequence

revision: str = '0007'
down_revision: str | None = ('0002', '0003', '0004', '0005', '0006')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

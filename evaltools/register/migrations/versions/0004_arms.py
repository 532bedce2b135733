"""The arms of a contrast (register schema 3): a study with several intervention or comparison
arms records one row per contrast.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows recorded before this revision come from single-contrast studies: arms stay empty
    op.add_column("results", sa.Column("arm", sa.String(200), nullable=True))
    op.add_column("results", sa.Column("comparison_arm", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.drop_column("comparison_arm")
        batch.drop_column("arm")

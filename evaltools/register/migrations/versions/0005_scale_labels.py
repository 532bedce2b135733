"""The scale's name in Dutch and English (register schema 4), so that the overview can name the
scales of a study's own instruments.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows recorded before this revision keep empty labels: the overview falls back to the
    # instrument library, then to the scale's id
    op.add_column("results", sa.Column("scale_label_nl", sa.String(200), nullable=True))
    op.add_column("results", sa.Column("scale_label_en", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.drop_column("scale_label_en")
        batch.drop_column("scale_label_nl")

"""Site names beside site ids (register schema 2).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows recorded before this revision keep an empty name; readers fall back to the id
    op.add_column("results", sa.Column("site_name", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.drop_column("site_name")

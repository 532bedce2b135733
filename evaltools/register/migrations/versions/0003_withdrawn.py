"""Withdrawn results (register schema 3): ``evaltools register retract``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a withdrawn row stays in results (the history); this table says it no longer counts
    op.create_table(
        "withdrawn",
        sa.Column("result_id", sa.String(64), primary_key=True),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("study", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("withdrawn_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("withdrawn")

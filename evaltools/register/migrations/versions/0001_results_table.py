"""The results table (register schema 1).

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TEXT = ["organisation", "study", "intervention", "site", "protective_factor", "instrument",
         "scale", "direction", "design", "wave_pre", "wave_post", "method"]


def upgrade() -> None:
    op.create_table(
        "results",
        sa.Column("result_id", sa.String(64), primary_key=True),
        *[sa.Column(name, sa.String(200), nullable=False) for name in _TEXT],
        sa.Column("follow_up_months", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("n_intervention", sa.Integer(), nullable=False),
        sa.Column("n_comparison", sa.Integer(), nullable=True),
        sa.Column("min_cell_size", sa.Integer(), nullable=False),
        sa.Column("effect_size", sa.Float(), nullable=False),
        sa.Column("effect_size_type", sa.String(200), nullable=False),
        sa.Column("se", sa.Float(), nullable=False),
        sa.Column("ci_low", sa.Float(), nullable=False),
        sa.Column("ci_high", sa.Float(), nullable=False),
        sa.Column("ci_level", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("wwc_rating", sa.String(200), nullable=True),
        sa.Column("evidence_level", sa.String(200), nullable=True),
        sa.Column("well_described", sa.Boolean(), nullable=False),
        sa.Column("well_founded", sa.Boolean(), nullable=False),
        sa.Column("data_fingerprint", sa.String(64), nullable=False),
        sa.Column("evaltools_version", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.String(200), nullable=False),
        # the database itself refuses small cells, whoever writes to it
        sa.CheckConstraint("n >= min_cell_size AND n_intervention >= min_cell_size AND "
                           "(n_comparison IS NULL OR n_comparison >= min_cell_size)",
                           name="no_small_cells"),
    )
    op.create_index("results_by_outcome", "results",
                    ["intervention", "protective_factor", "scale"])
    op.create_index("results_by_study", "results", ["organisation", "study", "site"])


def downgrade() -> None:
    op.drop_index("results_by_study", "results")
    op.drop_index("results_by_outcome", "results")
    op.drop_table("results")

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



def _text(name: str, nullable: bool = False, length: int = 200) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "results",
        sa.Column("result_id", sa.String(64), primary_key=True),
        *[_text(name) for name in ("organisation", "study", "intervention", "site",
                                   "protective_factor", "instrument", "scale", "direction",
                                   "design", "wave_pre", "wave_post")],
        sa.Column("follow_up_months", sa.Float(), nullable=False),
        _text("method"),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("n_intervention", sa.Integer(), nullable=False),
        sa.Column("n_comparison", sa.Integer(), nullable=True),
        sa.Column("min_cell_size", sa.Integer(), nullable=False),
        sa.Column("effect_size", sa.Float(), nullable=False),
        _text("effect_size_type"),
        *[sa.Column(name, sa.Float(), nullable=False)
          for name in ("se", "ci_low", "ci_high", "ci_level", "p_value")],
        _text("wwc_rating", nullable=True),
        _text("evidence_level", nullable=True),
        sa.Column("well_described", sa.Boolean(), nullable=False),
        sa.Column("well_founded", sa.Boolean(), nullable=False),
        _text("inputs_fingerprint", length=64),
        _text("evaltools_version"),
        _text("recorded_at"),
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

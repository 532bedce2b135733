"""The register's one table, described once: database types, the exchange schema, the docs.

Every column is an aggregate or a label. There is no column for a respondent, an answer or a
free text, and :func:`evaltools.register.check_rows` refuses rows whose counts fall below the
study's minimum cell size.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

__all__ = ["Column", "COLUMNS", "COLUMN_NAMES", "KEY_COLUMNS", "ARM_COLUMNS", "TABLE",
           "metadata", "results", "withdrawn", "DESIGNS", "WWC", "LEVELS"]

TABLE = "results"
DESIGNS = ("pre_post", "controlled", "randomised", "repeated_cross_section")
WWC = ("meets_without_reservations", "meets_with_reservations", "does_not_meet",
       "not_applicable", "")
LEVELS = ("not_assessed", "goed_beschreven", "goed_onderbouwd", "eerste_aanwijzingen",
          "goede_aanwijzingen", "sterke_aanwijzingen", "")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | integer | number | boolean
    required: bool
    description: str
    enum: tuple[str, ...] | None = None
    length: int = 200


COLUMNS: tuple[Column, ...] = (
    Column("result_id", "text", True, "SHA-256 of the key columns: the row's identity; an "
           "import skips rows whose result_id is already present", length=64),
    Column("organisation", "text", True, "Who ran the study (study.yml evidence: "
           "organisation); an empty text when not declared"),
    Column("study", "text", True, "Study id (study.yml id)"),
    Column("intervention", "text", True, "Intervention name (study.yml intervention: name); "
           "in a study with several contrasts, followed by the arm's label in brackets (and "
           "'vs.' the comparison arm's label when there are several comparison arms), so "
           "that every arm is its own entry in the overview"),
    Column("site", "text", True, "Site id, or 'all' for the whole study"),
    Column("protective_factor", "text", True, "Protective factor the scale measures"),
    Column("instrument", "text", True, "Instrument id and version, e.g. 'brs 1.0'"),
    Column("scale", "text", True, "Scale id"),
    Column("direction", "text", True, "higher_is_better or higher_is_worse",
           ("higher_is_better", "higher_is_worse")),
    Column("design", "text", True, "pre_post, controlled (quasi-experiment), randomised or "
           "repeated_cross_section (different respondents at every wave)", DESIGNS),
    Column("wave_pre", "text", True, "Baseline wave id"),
    Column("wave_post", "text", True, "Later wave id"),
    Column("follow_up_months", "number", True, "Months after the post-test (end of the "
           "intervention) at which wave_post was measured; 0 for the post-test"),
    Column("method", "text", True, "Analysis: diff_in_diff (controlled designs) or "
           "within_change (pre-post)", ("diff_in_diff", "within_change")),
    Column("n", "integer", True, "Respondents in the analysis (both waves)"),
    Column("n_intervention", "integer", True, "Of whom in the intervention group"),
    Column("n_comparison", "integer", False, "Of whom in the comparison group (empty for "
           "pre-post)"),
    Column("min_cell_size", "integer", True, "The study's minimum cell size; every count in "
           "the row is at least this"),
    Column("effect_size", "number", True, "Standardised effect"),
    Column("effect_size_type", "text", True, "morris_dppc2 (difference in differences over "
           "the pooled baseline SD), g_av (change over the average SD) or hedges_g_did "
           "(a repeated cross-section's difference in differences of means over the pooled "
           "baseline SD, Hedges-corrected)", ("morris_dppc2", "g_av", "hedges_g_did")),
    Column("se", "number", True, "Standard error of the effect size"),
    Column("ci_low", "number", True, "Lower confidence limit of the effect size"),
    Column("ci_high", "number", True, "Upper confidence limit of the effect size"),
    Column("ci_level", "number", True, "Confidence level, e.g. 0.95"),
    Column("p_value", "number", True, "p value of the underlying test (t test of the "
           "difference in differences, or paired t test)"),
    Column("wwc_rating", "text", False, "Indicative WWC-style rating (study rows only)", WWC),
    Column("evidence_level", "text", False, "Indicative rung on the Dutch recognition ladder "
           "for this study alone (study rows only)", LEVELS),
    Column("well_described", "boolean", True, "Declared: the intervention is well described"),
    Column("well_founded", "boolean", True, "Declared: theory of change (goed onderbouwd)"),
    Column("inputs_fingerprint", "text", True, "SHA-256 over what the row was computed "
           "from: the ingested wave files, study.yml and the evaltools version (identifies "
           "the version of the inputs, not their content)", length=64),
    Column("evaltools_version", "text", True, "evaltools version that computed the row"),
    Column("recorded_at", "text", True, "When the row was computed (UTC, ISO 8601)"),
    Column("site_name", "text", False, "Site name as in study.yml ('all sites' rows: empty); "
           "added in register schema 2"),
    Column("arm", "text", False, "The intervention arm's group id, in a study with several "
           "contrasts (more than one intervention or comparison arm); empty otherwise. Added "
           "in register schema 3"),
    Column("comparison_arm", "text", False, "The comparison arm's group id, set with arm; "
           "added in register schema 3"),
    Column("scale_label_nl", "text", False, "The scale's name in Dutch, as its instrument "
           "gives it (the overview shows it for scales of a study's own instruments, which the "
           "instrument library does not know); added in register schema 4"),
    Column("scale_label_en", "text", False, "The scale's name in English; added in register "
           "schema 4"),
)
COLUMN_NAMES = [c.name for c in COLUMNS]
#: What makes a result the same result: re-recording it (same data, same analysis) is a no-op.
KEY_COLUMNS = ["organisation", "study", "site", "scale", "wave_pre", "wave_post", "method",
               "effect_size_type", "inputs_fingerprint"]

#: Part of a result's identity when set (several contrasts in one study); left out of the hash
#: when empty, so the identity of every earlier row stays what it was.
ARM_COLUMNS = ["arm", "comparison_arm"]

_SA_TYPES = {"text": lambda c: sa.String(c.length), "integer": lambda c: sa.Integer(),
             "number": lambda c: sa.Float(), "boolean": lambda c: sa.Boolean()}

metadata = sa.MetaData()
results = sa.Table(
    TABLE, metadata,
    *[sa.Column(c.name, _SA_TYPES[c.kind](c), primary_key=c.name == "result_id",
                nullable=not c.required) for c in COLUMNS],
)
#: Results withdrawn with ``evaltools register retract``: they stay in ``results`` (the
#: register's history) but no longer count in reads, exports of current rows or the overview.
withdrawn = sa.Table(
    "withdrawn", metadata,
    sa.Column("result_id", sa.String(64), primary_key=True),
    sa.Column("organisation", sa.String(200), nullable=False),
    sa.Column("study", sa.String(200), nullable=False),
    sa.Column("reason", sa.String(1000), nullable=False),
    sa.Column("withdrawn_at", sa.String(40), nullable=False),
)

"""Effect analyses: within-group change, controlled comparisons, mixed models, missing data,
multiplicity and subgroups. Every function takes the panel (``evaltools.panel.load_panel``) and
the study, and returns a tidy DataFrame with fixed columns."""

from evaltools.effects._common import AnalysisError
from evaltools.effects.change import (
    paired_change,
    reliable_change,
    reliable_change_summary,
    within_change,
)

__all__ = ["AnalysisError", "paired_change", "reliable_change", "reliable_change_summary",
           "within_change"]

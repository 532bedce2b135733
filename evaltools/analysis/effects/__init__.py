"""Effect analyses: within-group change, controlled comparisons, mixed models, missing data,
multiplicity, subgroups and clustering (the ICC and design effect of sites). Every function
takes the panel (``evaltools.load_panel``) and the study, and returns a tidy DataFrame with
fixed columns.

Part of the analysis layer: may import from core, instruments, study and data.
"""

from evaltools.analysis.effects.arms import adjusted_means, arm_anova, arm_contrasts, arm_omnibus
from evaltools.analysis.effects.change import (
    paired_change,
    reliable_change,
    reliable_change_summary,
    within_change,
)
from evaltools.analysis.effects.clustering import cluster_icc
from evaltools.analysis.effects.common import AnalysisError
from evaltools.analysis.effects.controlled import (
    ancova,
    baseline_equivalence,
    diff_in_diff,
    hedges_g_wwc,
    morris_dppc2,
    wwc_attrition,
)
from evaltools.analysis.effects.crosssection import cross_section_counts, cross_section_did
from evaltools.analysis.effects.missing import multiple_imputation, rubin_pool, sensitivity
from evaltools.analysis.effects.mixed import cluster_robust, mixed_model
from evaltools.analysis.effects.multiplicity import adjust_by_domain, adjust_pvalues
from evaltools.analysis.effects.subgroups import subgroup_effects

__all__ = ["AnalysisError", "paired_change", "reliable_change", "reliable_change_summary",
           "within_change", "ancova", "baseline_equivalence", "diff_in_diff", "hedges_g_wwc",
           "morris_dppc2", "wwc_attrition", "multiple_imputation", "rubin_pool", "sensitivity",
           "cluster_robust", "mixed_model", "adjust_by_domain", "adjust_pvalues",
           "subgroup_effects", "cluster_icc", "cross_section_did", "cross_section_counts",
           "arm_anova", "adjusted_means", "arm_contrasts", "arm_omnibus"]

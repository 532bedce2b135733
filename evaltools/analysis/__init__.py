"""Statistics on a panel: change and effects (:mod:`evaltools.analysis.effects`), meta-analysis
across sites and studies (:mod:`~evaltools.analysis.synthesis`) and the indicative evidence
classification (:mod:`~evaltools.analysis.evidence`). Functions return tidy DataFrames.

May import from core, instruments, study and data.
"""

from evaltools.core.lazy import lazy_exports

#: Submodule -> the public names it defines; each is imported on first use, so that importing
#: one light module of this package does not import its heavy siblings (:mod:`evaltools.core.lazy`).
_EXPORTS = {
    "evaltools.analysis.effects": ["AnalysisError", "paired_change", "reliable_change",
        "reliable_change_summary", "within_change", "ancova", "baseline_equivalence",
        "diff_in_diff", "hedges_g_wwc", "morris_dppc2", "wwc_attrition", "multiple_imputation",
        "rubin_pool", "sensitivity", "cluster_icc", "cluster_robust", "mixed_model",
        "adjust_by_domain",
        "adjust_pvalues", "subgroup_effects", "cross_section_did", "cross_section_counts"],
    "evaltools.analysis.evidence": ["wwc_rating", "recognition_level", "study_evidence",
        "classify_register", "LADDER", "WWC_RATINGS", "LADDER_RULES", "EVIDENCE_COLUMNS",
        "CLASSIFICATION_COLUMNS"],
    "evaltools.analysis.synthesis": ["meta_analysis", "leave_one_out", "site_effects",
        "site_synthesis", "register_inputs", "register_synthesis", "META_COLUMNS", "LOO_COLUMNS",
        "SITE_EFFECT_COLUMNS", "REGISTER_POOL_COLUMNS", "METHODS", "TESTS"],
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

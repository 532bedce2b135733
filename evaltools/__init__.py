"""evaltools: evaluate social interventions with pre- and post-intervention survey waves.

The package is layered along the data flow; each layer imports only from the layers before it::

    core -> instruments -> study -> data -> demo -> analysis -> register -> reports
         -> pipeline -> cli

The public API below is loaded on first use, so that ``import evaltools`` (and every command)
starts without pulling in the statistics and plotting libraries it does not need.
"""

from evaltools._compat import install_moved_modules, lazy_api
from evaltools.core.version import __version__

#: Public name -> the module that defines it.
_API = {
    **dict.fromkeys(
        ["AnalysisError", "adjust_by_domain", "adjust_pvalues", "ancova", "baseline_equivalence",
         "cluster_icc", "cluster_robust", "diff_in_diff", "hedges_g_wwc", "mixed_model",
         "morris_dppc2", "multiple_imputation", "paired_change", "reliable_change",
         "reliable_change_summary", "rubin_pool", "sensitivity", "subgroup_effects",
         "within_change", "wwc_attrition"],
        "evaltools.analysis.effects"),
    **dict.fromkeys(["LmmError", "RandomEffect", "build_model", "fit_lmm",
                     "likelihood_ratio_test", "variance_components"], "evaltools.analysis.lmm"),
    **dict.fromkeys(["check_data", "ingest"], "evaltools.data.ingest"),
    **dict.fromkeys(["attrition", "load_panel", "load_responses", "participant_flow"],
                    "evaltools.data.panel"),
    **dict.fromkeys(["EvaltoolsError", "InstrumentDefinitionError", "OutputLocationError",
                     "Problem", "ProblemsError", "StudyDefinitionError"], "evaltools.core.errors"),
    "Instrument": "evaltools.instruments.model",
    **dict.fromkeys(["find_instruments", "get_instrument", "load_instrument"],
                    "evaltools.instruments.library"),
    **dict.fromkeys(["render_codebook", "write_codebook"], "evaltools.instruments.codebook"),
    **dict.fromkeys(["cronbach_alpha", "omega_total", "reliability", "item_analysis"],
                    "evaltools.instruments.reliability"),
    **dict.fromkeys(["icc", "IccError"], "evaltools.instruments.agreement"),
    **dict.fromkeys(["ScoringError", "score_scales", "score_table", "scored_items",
                     "flag_inconsistent"], "evaltools.instruments.scoring"),
    **dict.fromkeys(["SimulatedStudy", "SimulationSettings", "simulate_study"],
                    "evaltools.demo.simulate"),
    "generate_demo_study": "evaltools.demo.files",
    "Study": "evaltools.study.model",
    **dict.fromkeys(["check_study", "load_study"], "evaltools.study.load"),
    **dict.fromkeys(["PlanDesign", "PlanningError", "plan_power", "plan_mdes",
                     "plan_sample_size", "plan_grid", "SimulationPlan", "simulate_power"],
                    "evaltools.analysis.planning"),
    **dict.fromkeys(["meta_analysis", "leave_one_out", "site_effects", "site_synthesis"],
                    "evaltools.analysis.synthesis"),
}

__all__ = ["__version__", *_API]

__getattr__, __dir__ = lazy_api(__name__, _API, globals())
install_moved_modules()

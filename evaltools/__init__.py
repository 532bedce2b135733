"""evaltools: evaluate social interventions with pre- and post-intervention survey waves.

The public API is re-exported here; each concept lives in its own module.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evaltools")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

from evaltools.codebook import render_codebook, write_codebook
from evaltools.effects import (
    AnalysisError,
    adjust_by_domain,
    adjust_pvalues,
    ancova,
    baseline_equivalence,
    cluster_robust,
    diff_in_diff,
    hedges_g_wwc,
    mixed_model,
    morris_dppc2,
    multiple_imputation,
    paired_change,
    reliable_change,
    reliable_change_summary,
    rubin_pool,
    sensitivity,
    subgroup_effects,
    within_change,
    wwc_attrition,
)
from evaltools.errors import (
    EvaltoolsError,
    InstrumentDefinitionError,
    OutputLocationError,
    Problem,
    ProblemsError,
    StudyDefinitionError,
)
from evaltools.ingest import check_data, ingest
from evaltools.instruments import (
    Instrument,
    find_instruments,
    get_instrument,
    load_instrument,
)
from evaltools.panel import attrition, load_panel, load_responses, participant_flow
from evaltools.reliability import cronbach_alpha, item_analysis, omega_total, reliability
from evaltools.scoring import (
    ScoringError,
    flag_inconsistent,
    score_scales,
    score_table,
    scored_items,
)
from evaltools.simulate import (
    SimulatedStudy,
    SimulationSettings,
    generate_demo_study,
    simulate_study,
)
from evaltools.study import Study, check_study, load_study
from evaltools.synthesis import leave_one_out, meta_analysis, site_effects, site_synthesis

__all__ = [
    "__version__",
    "AnalysisError",
    "adjust_by_domain",
    "adjust_pvalues",
    "ancova",
    "baseline_equivalence",
    "cluster_robust",
    "diff_in_diff",
    "hedges_g_wwc",
    "mixed_model",
    "morris_dppc2",
    "multiple_imputation",
    "paired_change",
    "reliable_change",
    "reliable_change_summary",
    "rubin_pool",
    "sensitivity",
    "subgroup_effects",
    "within_change",
    "wwc_attrition",
    "check_data",
    "ingest",
    "attrition",
    "load_panel",
    "load_responses",
    "participant_flow",
    "EvaltoolsError",
    "InstrumentDefinitionError",
    "OutputLocationError",
    "Problem",
    "ProblemsError",
    "StudyDefinitionError",
    "Instrument",
    "find_instruments",
    "get_instrument",
    "load_instrument",
    "render_codebook",
    "write_codebook",
    "cronbach_alpha",
    "omega_total",
    "reliability",
    "item_analysis",
    "ScoringError",
    "score_scales",
    "score_table",
    "scored_items",
    "flag_inconsistent",
    "SimulatedStudy",
    "SimulationSettings",
    "generate_demo_study",
    "simulate_study",
    "Study",
    "check_study",
    "load_study",
    "meta_analysis",
    "leave_one_out",
    "site_effects",
    "site_synthesis",
]

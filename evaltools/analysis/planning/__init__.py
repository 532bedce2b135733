"""Study planning: power, minimum detectable effect size and sample size, by formula
(:mod:`~evaltools.analysis.planning.analytic`) and by simulating studies under the planned
design (:mod:`~evaltools.analysis.planning.simulation`), with design assumptions estimated from
an earlier study (:mod:`~evaltools.analysis.planning.inputs`).

Part of the analysis layer: may import from core, instruments, study, data and demo, and from
the effect estimators in :mod:`evaltools.analysis.effects`.
"""

from evaltools.analysis.planning.analytic import (
    PLAN_COLUMNS,
    plan_grid,
    plan_mdes,
    plan_power,
    plan_sample_size,
    standard_error,
)
from evaltools.analysis.planning.design import (
    ADJUSTMENTS,
    CLUSTER_DESIGNS,
    DESIGNS,
    PlanDesign,
    PlanningError,
)
from evaltools.analysis.planning.inputs import (
    INPUT_COLUMNS,
    anova_icc,
    design_from_inputs,
    planning_inputs,
)
from evaltools.analysis.planning.question import (
    CHOICE_COLUMNS,
    CURVE_COLUMNS,
    PlanningQuestion,
    answer_question,
)
from evaltools.analysis.planning.simulation import (
    DEFAULT_ESTIMATOR,
    ESTIMATORS,
    SIMULATION_COLUMNS,
    SimulationPlan,
    simulate_power,
    simulate_replication,
)

__all__ = ["PlanDesign", "PlanningError", "DESIGNS", "CLUSTER_DESIGNS", "ADJUSTMENTS",
           "plan_power", "plan_mdes", "plan_sample_size", "plan_grid", "standard_error",
           "PLAN_COLUMNS", "SimulationPlan", "simulate_power", "simulate_replication",
           "ESTIMATORS", "DEFAULT_ESTIMATOR", "SIMULATION_COLUMNS", "planning_inputs",
           "anova_icc", "design_from_inputs", "INPUT_COLUMNS", "PlanningQuestion",
           "answer_question", "CURVE_COLUMNS", "CHOICE_COLUMNS"]

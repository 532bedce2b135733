"""Planning by simulation: agreement with the formulas, reproducibility, parallel executors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from evaltools.analysis.planning import PlanDesign, PlanningError, plan_power
from evaltools.analysis.planning.simulation import (
    SIMULATION_COLUMNS,
    SimulationPlan,
    simulate_power,
)

#: Agreement within this many Monte Carlo standard errors (of the analytic power).
MC_SES = 3.0

AGREEMENT = [
    # paired t-test on the change; 20 % dropout at post
    pytest.param(SimulationPlan(PlanDesign("pre_post", r_pre_post=0.5, attrition=(0.2,)),
                                effect=0.3, n=80), dict(n=80), 400, id="pre_post"),
    # ANCOVA on the baseline, 60/40 allocation, dropout
    pytest.param(SimulationPlan(PlanDesign("ancova", r_pre_post=0.5, share_treated=0.6,
                                           attrition=(0.2,)), effect=0.35, n=200),
                 dict(n=200), 200, id="ancova"),
    # 24 neighbourhoods of 20 randomised whole, analysed by the cluster-robust difference in
    # differences: a change score removes 2r - 1 of the variance at each level (r = 0.75 for
    # persons and clusters), i.e. PowerUp!'s CRA2_2r with R2_1 = R2_2 = 0.5 and no covariate
    pytest.param(SimulationPlan(PlanDesign("cluster_randomised", icc=0.1, cluster_size=20,
                                           r_pre_post=0.75, r2_individual=0.5,
                                           r2_cluster=0.5, covariates=0),
                                effect=0.3, clusters=24, cluster_r=0.75),
                 dict(clusters=24), 200, id="cluster_randomised"),
]


@pytest.mark.parametrize("plan, size, n_sims", AGREEMENT)
def test_simulation_agrees_with_the_formula_within_monte_carlo_error(plan, size, n_sims):
    sim = simulate_power(plan, n_sims=n_sims, seed=17).iloc[0]
    analytic = plan_power(plan.design, effect=plan.effect, **size).iloc[0]
    mc_se = np.sqrt(analytic["power"] * (1 - analytic["power"]) / n_sims)
    assert sim["n_failed"] == 0
    assert abs(sim["power"] - analytic["power"]) < MC_SES * mc_se, (sim["power"],
                                                                   analytic["power"])
    # the estimators' SE is the formula's standardised SE, and they are unbiased
    assert abs(sim["mean_se"] / analytic["se_standardised"] - 1) < 0.05
    assert abs(sim["bias"]) < MC_SES * sim["bias_mc_se"]
    assert abs(sim["coverage"] - 0.95) < MC_SES * np.sqrt(0.95 * 0.05 / n_sims)


def test_no_effect_gives_the_type_one_error_rate():
    plan = SimulationPlan(PlanDesign("pre_post", r_pre_post=0.5), effect=0.0, n=40)
    sim = simulate_power(plan, n_sims=300, seed=3).iloc[0]
    assert abs(sim["power"] - 0.05) < MC_SES * np.sqrt(0.05 * 0.95 / 300)


def test_result_columns_and_monte_carlo_errors():
    plan = SimulationPlan(PlanDesign("diff_in_diff", r_pre_post=0.6), effect=0.4, n=60)
    rows: list[dict] = []
    out = simulate_power(plan, n_sims=30, seed=5, replications=rows)
    assert list(out.columns) == SIMULATION_COLUMNS and len(out) == 1
    reps = pd.DataFrame(rows)
    assert len(reps) == 30
    r = out.iloc[0]
    assert r["power"] == reps["reject"].mean()
    assert np.isclose(r["power_mc_se"], np.sqrt(r["power"] * (1 - r["power"]) / 30))
    assert np.isclose(r["bias_mc_se"], reps["estimate"].std(ddof=1) / np.sqrt(30))


def test_seed_reproduces_and_workers_do_not_change_the_result():
    plan = SimulationPlan(PlanDesign("pre_post", r_pre_post=0.3, attrition=(0.1, 0.2)),
                          effect=0.25, n=50, estimator="mixed_model")
    one: list[dict] = []
    two: list[dict] = []
    a = simulate_power(plan, n_sims=12, seed=9, replications=one, chunk_size=3)
    b = simulate_power(plan, n_sims=12, seed=9, workers=2, replications=two, chunk_size=3)
    assert a.iloc[0]["waves"] == 3 and b.iloc[0]["workers"] == 2
    pd.testing.assert_frame_equal(pd.DataFrame(one), pd.DataFrame(two))
    other = simulate_power(plan, n_sims=12, seed=10).iloc[0]
    assert other["mean_estimate"] != a.iloc[0]["mean_estimate"]


def test_dask_executor_gives_the_local_result():
    """Replications sent to a Dask cluster (a LocalCluster here) equal the local ones."""
    from distributed import LocalCluster

    plan = SimulationPlan(PlanDesign("cluster_randomised", icc=0.05, cluster_size=10),
                          effect=0.3, clusters=8)
    local: list[dict] = []
    remote: list[dict] = []
    simulate_power(plan, n_sims=8, seed=4, replications=local, chunk_size=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        out = simulate_power(plan, n_sims=8, seed=4, executor="dask",
                             scheduler=cluster.scheduler_address, replications=remote,
                             chunk_size=2)
    assert out.iloc[0]["executor"] == "dask"
    pd.testing.assert_frame_equal(pd.DataFrame(local), pd.DataFrame(remote))


def test_skew_and_informative_dropout_are_simulated():
    base = SimulationPlan(PlanDesign("pre_post", r_pre_post=0.5, attrition=(0.4,)),
                          effect=0.0, n=400)
    rows: list[dict] = []
    simulate_power(replace(base, skew=2.0), n_sims=3, seed=1,
                   replications=rows)
    assert all(np.isfinite(r["estimate"]) for r in rows)
    # dropout of low baseline scores: the completers' change regresses to the mean (down)
    mar = simulate_power(replace(base, dropout_slope=1.5),
                         n_sims=20, seed=1).iloc[0]
    assert mar["mean_n_analysed"] < 400 * 0.7
    assert mar["bias"] < -0.05


@pytest.mark.parametrize("kwargs, match", [
    (dict(design=PlanDesign("pre_post"), effect=0.2, n=30, estimator="ancova"), "does not fit"),
    (dict(design=PlanDesign("ancova"), effect=0.2, n=30, estimator="ols"), "estimator='ols'"),
    (dict(design=PlanDesign("multisite", cluster_size=10), effect=0.2), "clusters="),
    (dict(design=PlanDesign("ancova"), effect=0.2), "n="),
    (dict(design=PlanDesign("ancova"), effect=0.2, n=30, skew=-1), "skew"),
])
def test_invalid_plans_are_refused(kwargs, match):
    with pytest.raises(PlanningError, match=match):
        SimulationPlan(**kwargs)


def test_invalid_runs_are_refused():
    plan = SimulationPlan(PlanDesign("ancova"), effect=0.2, n=30)
    with pytest.raises(PlanningError, match="scheduler"):
        simulate_power(plan, n_sims=5, executor="dask")
    with pytest.raises(PlanningError, match="executor='slurm'"):
        simulate_power(plan, n_sims=5, executor="slurm")
    with pytest.raises(PlanningError, match="n_sims"):
        simulate_power(plan, n_sims=1)


# --- the project's simulator as the generator (simulate_study, scored, then analysed) -------

#: Agreement of the project-simulator power with the formula, in Monte Carlo SEs. The formula
#: assumes equal variances; item answers near the top of a scale shrink the treated group's
#: variance a little (a ceiling), worth about 0.5 MC SE at this design point.
STUDY_MC_SES = 3.5


def test_project_simulator_power_agrees_with_the_formula():
    design = PlanDesign("ancova", r_pre_post=0.5)
    plan = SimulationPlan(design, effect=0.25, n=300, generator="study")
    n_sims = 120
    sim = simulate_power(plan, n_sims=n_sims, seed=11).iloc[0]
    assert sim["generator"] == "study" and sim["n_failed"] == 0
    # the truth is the simulator's own: its effect on the BRS score per baseline SD
    assert abs(sim["true_effect"] - 0.25) < 0.01
    analytic = plan_power(design, effect=sim["true_effect"], n=300).iloc[0]
    mc_se = np.sqrt(analytic["power"] * (1 - analytic["power"]) / n_sims)
    assert abs(sim["power"] - analytic["power"]) < STUDY_MC_SES * mc_se, (sim["power"],
                                                                         analytic["power"])
    assert abs(sim["bias"]) < STUDY_MC_SES * sim["bias_mc_se"]
    assert abs(sim["coverage"] - 0.95) < STUDY_MC_SES * np.sqrt(0.95 * 0.05 / n_sims)


def test_project_simulator_reproducible_and_independent_of_workers():
    plan = SimulationPlan(PlanDesign("cluster_randomised", icc=0.05, cluster_size=8,
                                     r_pre_post=0.4, attrition=(0.2,)),
                          effect=0.3, clusters=6, generator="study")
    one: list[dict] = []
    two: list[dict] = []
    a = simulate_power(plan, n_sims=6, seed=9, replications=one, chunk_size=2)
    b = simulate_power(plan, n_sims=6, seed=9, workers=2, replications=two, chunk_size=2)
    pd.testing.assert_frame_equal(pd.DataFrame(one), pd.DataFrame(two))
    assert a.iloc[0]["power"] == b.iloc[0]["power"]
    other = simulate_power(plan, n_sims=6, seed=10).iloc[0]
    assert other["mean_estimate"] != a.iloc[0]["mean_estimate"]
    # 6 whole clusters of 8 persons each (cluster_robust counts every respondent in the model)
    assert a.iloc[0]["mean_n_analysed"] == 48


def test_the_generator_argument_overrides_the_plan():
    plan = SimulationPlan(PlanDesign("pre_post", r_pre_post=0.5), effect=0.3, n=30)
    out = simulate_power(plan, n_sims=3, seed=1, generator="study").iloc[0]
    assert out["generator"] == "study"
    assert abs(out["true_effect"] - 0.3) < 0.02


@pytest.mark.parametrize("kwargs, match", [
    (dict(design=PlanDesign("ancova", share_treated=0.6), n=100), "share_treated"),
    (dict(design=PlanDesign("cluster_randomised", icc=0.1, cluster_size=5), clusters=120),
     "at most 100 sites"),
    (dict(design=PlanDesign("ancova", r_pre_post=0.95), n=100), "reliability"),
])
def test_plans_the_simulator_cannot_express_are_refused(kwargs, match):
    with pytest.raises(PlanningError, match=match):
        plan = SimulationPlan(effect=0.2, generator="study", **kwargs)
        simulate_power(plan, n_sims=2, seed=1)


def test_unknown_generator_is_refused():
    with pytest.raises(PlanningError, match="generator='r'"):
        SimulationPlan(PlanDesign("ancova"), effect=0.2, n=30, generator="r")

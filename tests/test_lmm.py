"""The mixed-model engine against R lme4 / lmerTest (values, calls and versions in
tests/reference/lmm_r.json, made by tests/reference/lmm_r.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltools.analysis.lmm import (
    LmmError,
    RandomEffect,
    build_model,
    fit_lmm,
    fixed_effects,
    likelihood_ratio_test,
    variance_components,
)
from evaltools.analysis.lmm.fit import profile, sufficient_stats

REF = Path(__file__).parent / "reference"
# Both sides converge far below these (R: nloptwrap with xtol 1e-12; here Newton-polished).
TOL_REL = 1e-5          # estimates, se, variance components, log-likelihood, df, t
# p-values: R's df come from numDeriv with ~1e-7 relative noise (17.0000017 for an exact 17);
# a p-value of 1e-17 magnifies that a hundredfold.
TOL_P = 1e-4
TOL_THETA_ABS = 1e-5    # theta (relative for theta away from 0)
TOL_BOUNDARY_ABS = 1e-4  # a boundary fit: R stops at theta ~ 4e-8, we at 0


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "lmm_r.json").read_text("utf-8"))


def _data() -> dict[str, tuple[pd.DataFrame, str, list[str], list[RandomEffect]]]:
    sleep = pd.read_csv(REF / "sleepstudy.csv")
    ortho = pd.read_csv(REF / "orthodont.csv")
    ortho["male"] = (ortho["Sex"] == "Male").astype(float)
    ortho["age:male"] = ortho["age"] * ortho["male"]
    for age in (10, 12, 14):
        ortho[f"factor(age){age}"] = (ortho["age"] == age).astype(float)
        ortho[f"factor(age){age}:male"] = ortho[f"factor(age){age}"] * ortho["male"]
    pastes = pd.read_csv(REF / "pastes.csv")
    sim = pd.read_csv(REF / "effects_sim.csv")
    sim["treated"] = (sim["group"] == "interventie").astype(float)
    sim["w1"], sim["w2"] = (sim["wave"] == "t1") * 1.0, (sim["wave"] == "t2") * 1.0
    sim["w1:treated"], sim["w2:treated"] = sim["w1"] * sim["treated"], sim["w2"] * sim["treated"]
    sim["time"] = sim["wave"].map({"t0": 0.0, "t1": 1.0, "t2": 2.0})
    sim["time:treated"] = sim["time"] * sim["treated"]
    demo = pd.read_csv(REF / "demo_sites_brs.csv")
    demo["treated"] = (demo["group"] == "interventie").astype(float)
    demo["w1"], demo["w2"] = (demo["wave"] == "t1") * 1.0, (demo["wave"] == "t2") * 1.0
    demo["w1:treated"] = demo["w1"] * demo["treated"]
    demo["w2:treated"] = demo["w2"] * demo["treated"]
    wave_terms = ["factor(age)10", "factor(age)12", "factor(age)14", "male"] + \
        [f"factor(age){a}:male" for a in (10, 12, 14)]
    return {
        "sleepstudy_slope": (sleep, "Reaction", ["Days"], [RandomEffect("Subject", "Days")]),
        "sleepstudy_intercept": (sleep, "Reaction", ["Days"], [RandomEffect("Subject")]),
        "orthodont_slope": (ortho, "distance", ["age", "male", "age:male"],
                            [RandomEffect("Subject", "age")]),
        "orthodont_wave": (ortho, "distance", wave_terms, [RandomEffect("Subject")]),
        "pastes_nested": (pastes, "strength", [],
                          [RandomEffect("batch"), RandomEffect(("batch", "cask"))]),
        "sim_site": (sim, "y", ["w1", "w2", "treated", "w1:treated", "w2:treated"],
                     [RandomEffect("site"), RandomEffect(("site", "respondent"))]),
        "sim_site_slope": (sim, "y", ["time", "treated", "time:treated"],
                           [RandomEffect("site"), RandomEffect("respondent", "time")]),
        "demo_site": (demo, "brs", ["w1", "w2", "treated", "w1:treated", "w2:treated"],
                      [RandomEffect("site"), RandomEffect(("site", "respondent_id"))]),
    }


CASES = [(name, reml) for name in _data() for reml in (True, False)]


@pytest.mark.parametrize(("name", "reml"), CASES)
def test_engine_matches_lmer(ref, name: str, reml: bool) -> None:
    r = ref[f"{name}_{'reml' if reml else 'ml'}"]
    data, response, fixed, random = _data()[name]
    fit = fit_lmm(build_model(data, response, fixed, random), reml=reml)
    table = fixed_effects(fit)
    assert table["term"].tolist() == list(np.atleast_1d(r["terms"]))
    for column in ("estimate", "se", "df", "statistic", "p_value"):
        np.testing.assert_allclose(table[column], np.atleast_1d(r[column]),
                                   rtol=TOL_P if column == "p_value" else TOL_REL,
                                   err_msg=f"{name} {column}")
    np.testing.assert_allclose(fit.loglik, r["loglik"], rtol=TOL_REL)
    np.testing.assert_allclose(fit.sigma, r["sigma"], rtol=TOL_REL)
    theta = np.atleast_1d(r["theta"])
    assert fit.singular == r["singular"]
    if r["singular"]:
        np.testing.assert_allclose(fit.theta, theta, atol=TOL_BOUNDARY_ABS)
        assert any("boundary (singular) fit" in note for note in fit.notes)
    else:
        np.testing.assert_allclose(fit.theta, theta, rtol=TOL_REL, atol=TOL_THETA_ABS)
    vc = variance_components(fit)
    levels = vc["level"].replace({"residual": "Residual"}).tolist()
    assert levels == list(np.atleast_1d(r["vc_grp"]))
    np.testing.assert_allclose(vc["variance"], np.atleast_1d(r["vc_vcov"]), rtol=TOL_REL,
                               atol=TOL_BOUNDARY_ABS if r["singular"] else 0)
    assert fit.converged


def test_likelihood_ratio_test_matches_anova(ref) -> None:
    data, response, fixed, _ = _data()["sleepstudy_slope"]
    small = fit_lmm(build_model(data, response, fixed, [RandomEffect("Subject")]))
    large = fit_lmm(build_model(data, response, fixed, [RandomEffect("Subject", "Days")]))
    table = likelihood_ratio_test([large, small], names=["slope", "intercept"])
    r = ref["lrt_sleepstudy"]
    assert table["model"].tolist() == ["intercept", "slope"]
    assert table["refitted_ml"].all()
    np.testing.assert_allclose(table["loglik"], r["loglik"], rtol=TOL_REL)
    np.testing.assert_allclose(table["statistic"].iloc[1], r["statistic"], rtol=TOL_REL)
    assert table["df"].iloc[1] == r["df"]
    np.testing.assert_allclose(table["p_value"].iloc[1], r["p_value"], rtol=TOL_REL)


def test_icc_per_level_sums_to_one(ref) -> None:
    data, response, fixed, random = _data()["pastes_nested"]
    vc = variance_components(fit_lmm(build_model(data, response, fixed, random)))
    np.testing.assert_allclose(vc["icc"].sum(), 1.0, rtol=1e-12)
    r = ref["pastes_nested_reml"]
    total = sum(r["vc_vcov"])
    np.testing.assert_allclose(vc["icc"], np.array(r["vc_vcov"]) / total, rtol=TOL_REL)


def test_single_observation_groups_give_ols() -> None:
    """One observation per group: the group variance is not identifiable; the fit is OLS."""
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"g": np.arange(60), "x": rng.normal(size=60)})
    data["y"] = 1 + 0.5 * data["x"] + rng.normal(size=60)
    fit = fit_lmm(build_model(data, "y", ["x"], [RandomEffect("g")]))
    X = np.column_stack([np.ones(60), data["x"]])
    beta, rss = np.linalg.lstsq(X, data["y"], rcond=None)[:2]
    se = np.sqrt(np.diag(rss[0] / 58 * np.linalg.inv(X.T @ X)))
    table = fixed_effects(fit)
    np.testing.assert_allclose(table["estimate"], beta, rtol=1e-10)
    np.testing.assert_allclose(table["se"], se, rtol=1e-10)
    np.testing.assert_allclose(table["df"], 58, rtol=1e-6)
    assert any("one observation" in note for note in fit.notes)


def test_bad_models_raise_clear_errors() -> None:
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [1.0, 2, 3, 4], "g": list("aabb"),
                         "s": list("abab")})
    with pytest.raises(LmmError, match="columns not in the data: z"):
        build_model(data, "y", ["z"], [RandomEffect("g")])
    with pytest.raises(LmmError, match="must be numeric.*s"):
        build_model(data, "y", ["s"])
    data["x2"] = 2 * data["x"]
    with pytest.raises(LmmError, match="rank deficient"):
        build_model(data, "y", ["x", "x2"])
    with pytest.raises(LmmError, match="too few"):
        fit_lmm(build_model(data.iloc[:2], "y", ["x"]))
    with pytest.raises(LmmError, match="df_method"):
        fixed_effects(fit_lmm(build_model(data, "y", ["x"], [RandomEffect("g")])),
                      df_method="kenward")


def _relative_factor(theta: np.ndarray, k: int) -> np.ndarray:
    lam = np.zeros((k, k))
    rows, cols = np.tril_indices(k)
    order = np.lexsort((rows, cols))
    lam[rows[order], cols[order]] = theta
    return lam


def _dense_reml_deviance(model, theta: np.ndarray) -> float:
    """The profiled REML deviance from the n x n marginal covariance (no structure used)."""
    columns, lambdas, start = [], [], 0
    for term in model.terms:
        Z = np.zeros((model.n_obs, term.n_groups * term.k))
        for a in range(term.k):
            Z[np.arange(model.n_obs), term.codes * term.k + a] = term.z[:, a]
        columns.append(Z)
        lambdas.append(np.kron(np.eye(term.n_groups),
                               _relative_factor(theta[start:start + term.n_theta], term.k)))
        start += term.n_theta
    ZL = np.hstack([Z @ lam for Z, lam in zip(columns, lambdas, strict=True)])
    V = np.eye(model.n_obs) + ZL @ ZL.T
    Vi_X = np.linalg.solve(V, model.X)
    XVX = model.X.T @ Vi_X
    beta = np.linalg.solve(XVX, Vi_X.T @ model.y)
    resid = model.y - model.X @ beta
    r2 = resid @ np.linalg.solve(V, resid)
    nmp = model.n_obs - model.X.shape[1]
    return (np.linalg.slogdet(V)[1] + np.linalg.slogdet(XVX)[1]
            + nmp * (1 + np.log(2 * np.pi * r2 / nmp)))


def test_crossed_small_terms_match_the_dense_deviance() -> None:
    """Respondents (random slope) who meet several raters and sites: the Schur complement
    accumulated over (respondent, group) pairs equals the brute-force deviance."""
    rng = np.random.default_rng(11)
    n_resp, per = 40, 5
    data = pd.DataFrame({"respondent": np.repeat(np.arange(n_resp), per),
                         "time": np.tile(np.arange(per, dtype=float), n_resp),
                         "rater": rng.integers(0, 6, n_resp * per),
                         "site": np.repeat(rng.integers(0, 4, n_resp), per),
                         "x": rng.normal(size=n_resp * per)})
    data["y"] = (data["x"] + rng.normal(size=n_resp)[data["respondent"]]
                 + rng.normal(size=6)[data["rater"]] + rng.normal(size=len(data)))
    model = build_model(data, "y", ["x", "time"],
                        [RandomEffect("respondent", "time"), RandomEffect("rater", "x"),
                         RandomEffect("site")])
    assert [t.label for t in model.terms] == ["respondent", "rater", "site"]
    st = sufficient_stats(model)
    for theta in (np.array([0.8, 0.1, 0.3, 1.1, -0.4, 0.7, 0.5]),
                  np.array([1.5, 0.0, 0.0, 0.2, 0.3, 0.9, 2.0])):
        np.testing.assert_allclose(profile(st, model, theta).deviance(model.n_obs, True),
                                   _dense_reml_deviance(model, theta), rtol=1e-10)

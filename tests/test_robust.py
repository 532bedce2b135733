"""CR2 cluster-robust standard errors and Satterthwaite df against R clubSandwich 0.5.8
(tests/reference/crosssection_r.R -> crosssection_r.json, on AchievementAwardsRCT)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltools.analysis.robust import RobustError, ols_cr2

REF = Path(__file__).parent / "reference"
TOL_EST = 1e-10   # coefficients (closed form)
TOL_SE = 1e-9     # CR2 standard errors and the full CR2 covariance
TOL_DF = 1e-9     # Satterthwaite degrees of freedom


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "crosssection_r.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def awards() -> pd.DataFrame:
    data = pd.read_csv(REF / "achievement_awards.csv")
    return data.assign(post=(data["year"] == 2001).astype(float))


def _did_design(d: pd.DataFrame) -> np.ndarray:
    return np.column_stack([np.ones(len(d)), d["treated"], d["post"], d["treated"] * d["post"]])


def _check(fit, r: dict, k: slice | None = None) -> None:
    k = k or slice(None)
    np.testing.assert_allclose(fit.coef[k], np.array(r["estimate"])[k], rtol=TOL_EST)
    np.testing.assert_allclose(fit.se[k], np.array(r["se"])[k], rtol=TOL_SE)
    np.testing.assert_allclose(fit.df[k], np.array(r["df"])[k], rtol=TOL_DF)
    assert fit.n_obs == r["n"] and fit.n_clusters == r["n_clusters"]


@pytest.mark.parametrize("case", ["did_2x2", "did_secular"])
def test_two_wave_did_matches_clubsandwich(ref, awards, case: str) -> None:
    d = awards[awards["year"].isin([2000, 2001])]
    if case == "did_secular":
        d = d[d["school_type"] == "Secular"]
    fit = ols_cr2(_did_design(d), d["Bagrut_status"], d["school_id"])
    _check(fit, ref[case])
    np.testing.assert_allclose(fit.vcov, np.array(ref[case]["vcov"]), rtol=TOL_SE, atol=1e-15)


def test_three_waves_match_clubsandwich(ref, awards) -> None:
    d = awards
    w1, w2 = (d["year"] == 2001).astype(float), (d["year"] == 2002).astype(float)
    X = np.column_stack([np.ones(len(d)), w1, w2, d["treated"], w1 * d["treated"],
                         w2 * d["treated"]])
    _check(ols_cr2(X, d["attempted"], d["school_id"]), ref["did_waves"])


def test_cluster_fixed_effects_use_the_pseudo_inverse(ref, awards) -> None:
    """School dummies make I - H_jj singular; clubSandwich drops the zero eigenvalues."""
    d = awards[awards["year"].isin([2000, 2001])]
    dummies = pd.get_dummies(d["school_id"].astype(int), drop_first=True, dtype=float)
    X = np.column_stack([np.ones(len(d)), dummies, d["post"], d["treated"] * d["post"]])
    _check(ols_cr2(X, d["Bagrut_status"], d["school_id"]), ref["did_school_fe"],
           slice(-2, None))


def test_invariances_and_refusals(awards) -> None:
    d = awards[awards["year"].isin([2000, 2001])]
    X = _did_design(d)
    base = ols_cr2(X, d["Bagrut_status"], d["school_id"])
    shifted = ols_cr2(X, 3 + 2 * d["Bagrut_status"], d["school_id"].astype(str) + "x")
    np.testing.assert_allclose(shifted.coef[3], 2 * base.coef[3], rtol=1e-10)
    np.testing.assert_allclose(shifted.se[3], 2 * base.se[3], rtol=1e-10)
    np.testing.assert_allclose(shifted.df, base.df, rtol=1e-10)
    assert (base.df < base.n_clusters - 1).all()
    with pytest.raises(RobustError, match="at least 2 clusters"):
        ols_cr2(X, d["Bagrut_status"], np.zeros(len(d)))
    with pytest.raises(RobustError, match="rank deficient"):
        ols_cr2(np.column_stack([X, X[:, 1]]), d["Bagrut_status"], d["school_id"])
    with pytest.raises(RobustError, match="same number of rows"):
        ols_cr2(X[:-1], d["Bagrut_status"], d["school_id"])

"""mixed_model() on the lme4-style engine: against lmerTest (tests/reference/lmm_r.json), OLS
for single-observation respondents, and its options."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltools.analysis.effects import AnalysisError, mixed_model
from tests.test_effects import make_study, panel_from

REF = Path(__file__).parent / "reference"
TOL_REL = 1e-5    # estimates, se, Satterthwaite df and variance components against lmerTest
TOL_OLS = 1e-10   # closed forms


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "lmm_r.json").read_text("utf-8"))


def _sim(tmp: Path):
    study = make_study(tmp, ["t0", "t1", "t2"], sites=tuple(f"site{k}" for k in range(4)))
    data = pd.read_csv(REF / "effects_sim.csv")
    panel = panel_from(pd.DataFrame({
        "respondent_id": data["respondent"], "site": data["site"], "group": data["group"],
        "wave": data["wave"], "brs": data["y"],
        "months": data["wave"].map({"t0": 0.0, "t1": 1.0, "t2": 2.0})}), study)
    return study, panel


@pytest.mark.parametrize("reml", [True, False])
def test_nested_sites_match_lmertest(tmp_path: Path, ref, reml: bool) -> None:
    study, panel = _sim(tmp_path)
    table = mixed_model(panel, study, scales="brs", site_effect=True, reml=reml)
    table = table.set_index("term")
    r = ref[f"sim_site_{'reml' if reml else 'ml'}"]
    coef = {t: i for i, t in enumerate(r["terms"])}
    for wave in ("1", "2"):
        row, i = table.loc[f"intervention x t{wave}"], coef[f"w{wave}:treated"]
        for column in ("estimate", "se", "df", "statistic"):
            np.testing.assert_allclose(row[column], r[column][i], rtol=TOL_REL, err_msg=column)
    vc = dict(zip(r["vc_grp"], r["vc_vcov"], strict=True))
    np.testing.assert_allclose(table.loc["var_site", "estimate"], vc["site"], rtol=TOL_REL)
    np.testing.assert_allclose(table.loc["var_respondent", "estimate"], vc["site:respondent"],
                               rtol=TOL_REL)
    np.testing.assert_allclose(table.loc["var_residual", "estimate"], vc["Residual"],
                               rtol=TOL_REL)
    total = sum(vc.values())
    np.testing.assert_allclose(table.loc["icc_site", "estimate"], vc["site"] / total,
                               rtol=TOL_REL)
    assert table["method"].iloc[0] == ("lmm_reml" if reml else "lmm_ml")


def test_time_slope_matches_lmertest_and_reports_boundary(tmp_path: Path, ref) -> None:
    study, panel = _sim(tmp_path)
    table = mixed_model(panel, study, scales="brs", site_effect=True, time="months",
                        random_slope=True).set_index("term")
    r = ref["sim_site_slope_reml"]
    i = r["terms"].index("time:treated")
    row = table.loc["intervention x time"]
    np.testing.assert_allclose(row["estimate"], r["estimate"][i], rtol=TOL_REL)
    np.testing.assert_allclose(row["se"], r["se"][i], rtol=TOL_REL)
    np.testing.assert_allclose(row["df"], r["df"][i], rtol=1e-3)  # R's theta stops at 4e-8
    assert "boundary (singular) fit" in row["note"]
    assert {"var_respondent_slope", "cov_respondent_slope"} <= set(table.index)


def test_one_observation_per_respondent_gives_ols_standard_errors(tmp_path: Path) -> None:
    """Every respondent seen once: the respondent variance is not identifiable; the model is
    OLS on wave * intervention, with its standard errors and n - p degrees of freedom."""
    study = make_study(tmp_path, ["t0", "t1", "t2"])
    rng = np.random.default_rng(11)
    n = 240
    rows = pd.DataFrame({"respondent_id": [f"r{k}" for k in range(n)], "site": "site0",
                         "group": np.where(np.arange(n) % 2, "interventie", "controle"),
                         "wave": np.array(["t0", "t1", "t2"])[np.arange(n) % 3]})
    rows["brs"] = 3 + 0.3 * (rows["group"] == "interventie") * (rows["wave"] != "t0") \
        + rng.normal(0, 0.6, n)
    table = mixed_model(panel_from(rows, study), study, scales="brs").set_index("term")
    treated = (rows["group"] == "interventie").to_numpy(float)
    w1, w2 = (rows["wave"] == "t1").to_numpy(float), (rows["wave"] == "t2").to_numpy(float)
    X = np.column_stack([np.ones(n), w1, w2, treated, treated * w1, treated * w2])
    beta, rss = np.linalg.lstsq(X, rows["brs"], rcond=None)[:2]
    se = np.sqrt(np.diag(rss[0] / (n - 6) * np.linalg.inv(X.T @ X)))
    for k, wave in ((4, "t1"), (5, "t2")):
        row = table.loc[f"intervention x {wave}"]
        np.testing.assert_allclose(row["estimate"], beta[k], rtol=TOL_OLS)
        np.testing.assert_allclose(row["se"], se[k], rtol=TOL_OLS)
        np.testing.assert_allclose(row["df"], n - 6, rtol=1e-6)
        assert "one observation" in row["note"]
    assert np.isnan(table.loc["var_respondent", "estimate"])
    np.testing.assert_allclose(table.loc["var_residual", "estimate"], rss[0] / (n - 6),
                               rtol=TOL_OLS)


def test_covariates_and_bad_options(tmp_path: Path) -> None:
    study, panel = _sim(tmp_path)
    panel["age"] = np.random.default_rng(2).normal(40, 10, len(panel))
    panel.loc[panel.index[:5], "age"] = np.nan
    table = mixed_model(panel, study, scales="brs", covariates=["age"], df_method="normal")
    assert table["n_obs"].iloc[0] == panel["brs"].notna().sum() - 5
    assert "5 observations without a covariate left out" in table["note"].iloc[0]
    assert table["df"].isna().all()
    with pytest.raises(AnalysisError, match="random_slope=True needs time"):
        mixed_model(panel, study, scales="brs", random_slope=True)
    with pytest.raises(AnalysisError, match="df_method='kr'"):
        mixed_model(panel, study, scales="brs", df_method="kr")
    with pytest.raises(AnalysisError, match="months2"):
        mixed_model(panel, study, scales="brs", time="months2")

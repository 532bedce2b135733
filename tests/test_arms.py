"""Several arms: type II table, adjusted means and contrasts against R car::Anova and emmeans
(tests/reference/arms_r.R), and every arm analysed in a three-arm study."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from evaltools.analysis.effects import (
    AnalysisError,
    adjusted_means,
    arm_anova,
    arm_contrasts,
)

REF = Path(__file__).parent / "reference"
R = json.loads((REF / "arms_r.json").read_text())
#: F, sums of squares, means and their standard errors: the same least-squares algebra as R.
RTOL = 1e-9
#: p-values of F and t tests (scipy's and R's distribution functions).
RTOL_P = 1e-7


def _na(values):
    return np.array([np.nan if v == "NA" else v for v in values], float)


CASES = {
    "baumann": ("baumann.csv", "post.test.1", "group", ["pretest.1"], [], ["Basal", "DRTA",
                                                                          "Strat"]),
    "baumann_cov": ("baumann.csv", "post.test.1", "group", ["pretest.1", "pretest.2"], [],
                    ["Basal", "DRTA", "Strat"]),
    "mtcars": ("mtcars_arms.csv", "mpg", "cyl", ["wt", "am"], ["am"], ["4", "6", "8"]),
    "plantgrowth": ("plantgrowth.csv", "weight", "group", [], [], ["ctrl", "trt1", "trt2"]),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    file, outcome, group, covariates, factors, levels = CASES[request.param]
    data = pd.read_csv(REF / file)
    data[group] = data[group].astype(str)
    kw = dict(outcome=outcome, group=group, covariates=covariates, factors=factors,
              levels=levels)
    return request.param, data, kw, levels


def test_type_ii_table_matches_car_anova(case):
    name, data, kw, _ = case
    ref = R[name]["anova"]
    table = arm_anova(data, **kw)
    assert list(table["term"]) == [kw["group"], *kw["covariates"], "residual"]
    assert_allclose(table["sum_sq"], ref["sum_sq"], rtol=RTOL)
    assert_allclose(table["df"], ref["df"], rtol=RTOL)
    assert_allclose(table["statistic"][:-1], _na(ref["statistic"])[:-1], rtol=RTOL)
    assert_allclose(table["p_value"][:-1], _na(ref["p_value"])[:-1], rtol=RTOL_P)


def test_adjusted_means_match_emmeans(case):
    name, data, kw, levels = case
    ref = R[name]["means"]
    means = adjusted_means(data, **kw)
    assert list(means["group"]) == ref["group"] == levels
    for col in ("estimate", "se", "df", "ci_low", "ci_high"):
        assert_allclose(means[col], ref[col], rtol=RTOL, err_msg=col)
    assert means["n"].sum() == len(data)


def test_contrasts_match_emmeans_trt_vs_ctrl(case):
    name, data, kw, levels = case
    ref = R[name]["contrasts"]
    pairs = [(lv, levels[0]) for lv in levels[1:]]
    found = arm_contrasts(data, pairs=pairs, **kw)
    # emmeans names numeric-looking levels after the factor ("cyl6 - cyl4")
    assert [c.replace(kw["group"], "") for c in ref["contrast"]] == \
        [f"{a} - {b}" for a, b in pairs]
    for col in ("estimate", "se", "df", "ci_low", "ci_high", "statistic"):
        assert_allclose(found[col], ref[col], rtol=RTOL, err_msg=col)
    assert_allclose(found["p_value"], ref["p_value"], rtol=RTOL_P)


def test_one_way_omnibus_is_the_anova_f():
    data = pd.read_csv(REF / "plantgrowth.csv")
    table = arm_anova(data, outcome="weight", group="group")
    ref = R["plantgrowth"]["oneway"]
    assert_allclose(table.loc[0, "statistic"], ref["statistic"], rtol=RTOL)
    assert_allclose(table.loc[[0, 1], "df"], ref["df"], rtol=RTOL)


def test_contrast_sign_flips_with_the_pair():
    data = pd.read_csv(REF / "baumann.csv")
    kw = dict(outcome="post.test.1", group="group", covariates=["pretest.1"])
    ab = arm_contrasts(data, pairs=[("DRTA", "Basal")], **kw).iloc[0]
    ba = arm_contrasts(data, pairs=[("Basal", "DRTA")], **kw).iloc[0]
    assert_allclose(ab["estimate"], -ba["estimate"])
    assert_allclose(ab["se"], ba["se"])


def test_bad_input_is_named():
    data = pd.read_csv(REF / "plantgrowth.csv")
    with pytest.raises(AnalysisError,
                       match="column.s. age not in the data; columns: weight, group"):
        arm_anova(data, outcome="weight", group="group", covariates=["age"])
    with pytest.raises(AnalysisError, match="fewer than two groups"):
        arm_anova(data[data["group"] == "ctrl"], outcome="weight", group="group")
    with pytest.raises(AnalysisError, match="groups placebo have no data"):
        arm_contrasts(data, outcome="weight", group="group", pairs=[("placebo", "ctrl")])


@pytest.mark.parametrize("seed", range(20))
def test_the_numeric_design_from_arrays_is_the_frames_fit(seed) -> None:
    """``arm_contrasts`` builds the design from the columns' arrays when every covariate is
    numeric: the same coefficients, covariance, residual df and reference rows as the
    general path, bit for bit, with missing values, a group outside ``levels``, levels that
    are absent, and sorted default levels; a categorical covariate takes the general path."""
    from evaltools.analysis.effects.arms import _least_squares, _least_squares_numeric

    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 120))
    data = pd.DataFrame({
        "post": rng.normal(size=n), "pre": rng.normal(size=n),
        "age": rng.integers(12, 18, size=n).astype(float),
        "group": rng.choice(["interventie", "controle", "arm b", "other"], size=n),
        "kind": rng.choice(["x", "y"], size=n)})
    data.loc[rng.random(n) < 0.1, "post"] = np.nan
    data.loc[rng.random(n) < 0.05, "pre"] = np.nan
    data.loc[rng.random(n) < 0.05, "group"] = None
    covariates = ["pre", "age"][:int(rng.integers(1, 3))]
    levels = [None, ["controle", "interventie"], ["controle", "interventie", "arm b"],
              ["controle", "interventie", "absent"]][seed % 4]
    ours = _least_squares_numeric(data, outcome="post", group="group", covariates=covariates,
                                  factors=[], levels=levels)
    theirs = _least_squares(data, outcome="post", group="group", covariates=covariates,
                            factors=[], levels=levels)
    assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])
    assert ours[2] == theirs[2] and list(ours[3]) == list(theirs[3])
    for level, row in ours[3].items():
        assert np.array_equal(row, theirs[3][level])
    assert _least_squares_numeric(data, outcome="post", group="group",
                                  covariates=["pre", "kind"], factors=[], levels=levels) is None
    assert _least_squares_numeric(data, outcome="post", group="group",
                                  covariates=["pre", "age"], factors=["age"],
                                  levels=levels) is None

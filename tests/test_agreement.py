"""Intraclass correlations against R ``psych::ICC(x, lmer = FALSE)`` (psych 2.2.9, R 4.2.2).

Reference: tests/reference/adjust_icc_r.json, written by adjust_icc_r.R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltools.instruments.agreement import ICC_COLUMNS, IccError, icc

REF = Path(__file__).parent / "reference" / "adjust_icc_r.json"
# Estimates, F and p are closed forms of the ANOVA mean squares; the bounds add F quantiles
# (R qf against scipy's f.ppf, with a non-integer df for ICC2).
TOL_ICC = 1e-10
TOL_BOUNDS = 1e-8

DATASETS = json.loads(REF.read_text("utf-8"))["icc"]["datasets"]


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_six_forms_match_psych(name: str) -> None:
    case = DATASETS[name]
    table = icc(np.array(case["data"], dtype=float))
    assert list(table.columns) == ICC_COLUMNS
    expected = pd.DataFrame(case["results"])
    assert table["type"].tolist() == expected["type"].tolist()
    np.testing.assert_allclose(table[["estimate", "statistic", "df1", "df2", "p_value"]],
                               expected[["ICC", "F", "df1", "df2", "p"]], rtol=TOL_ICC)
    np.testing.assert_allclose(table[["ci_low", "ci_high"]],
                               expected[["lower_bound", "upper_bound"]], rtol=TOL_BOUNDS)
    x = np.array(case["data"])
    assert (table["n_targets"] == x.shape[0]).all() and (table["n_raters"] == x.shape[1]).all()


def test_long_data_equals_wide_and_incomplete_targets_are_dropped() -> None:
    wide = np.array(DATASETS["shrout_fleiss"]["data"], dtype=float)
    long = pd.DataFrame([(f"t{i}", f"r{j}", wide[i, j]) for i in range(6) for j in range(4)],
                        columns=["target", "rater", "score"])
    by_long = icc(long, targets="target", raters="rater", ratings="score")
    pd.testing.assert_frame_equal(by_long, icc(wide))
    extra = pd.concat([long, pd.DataFrame([("t6", "r0", 3.0)], columns=long.columns)])
    with_gap = icc(extra, targets="target", raters="rater", ratings="score")
    pd.testing.assert_frame_equal(with_gap, by_long)   # t6 lacks three raters: left out


def test_ci_level_and_invariance() -> None:
    x = np.array(DATASETS["simulated"]["data"], dtype=float)
    base = icc(x)
    narrow = icc(x, ci_level=0.5)
    assert (narrow["ci_low"] > base["ci_low"]).all() and (narrow["ci_high"] < base["ci_high"]).all()
    np.testing.assert_allclose(icc(3 * x + 7)["estimate"], base["estimate"], rtol=1e-12)
    # swapping raters (columns) changes nothing
    np.testing.assert_allclose(icc(x[:, ::-1])["estimate"], base["estimate"], rtol=1e-12)


def test_perfect_agreement_and_bad_input() -> None:
    perfect = icc(np.array([[1.0, 1.0], [2.0, 2.0], [4.0, 4.0]]))
    np.testing.assert_allclose(perfect["estimate"], 1.0)
    with pytest.raises(IccError, match="all 6 ratings are 3"):
        icc(np.full((3, 2), 3.0))
    with pytest.raises(IccError, match="1 complete target"):
        icc(np.array([[1.0, 2.0], [np.nan, 3.0]]))
    with pytest.raises(IccError, match="give all of targets=, raters= and ratings="):
        icc(pd.DataFrame({"a": [1]}), targets="a")
    long = pd.DataFrame({"t": [1, 1, 2], "r": ["a", "a", "b"], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(IccError, match="target 1 has two ratings by rater a"):
        icc(long, targets="t", raters="r", ratings="y")
    with pytest.raises(IccError, match=r"columns \['score'\] are not in the data"):
        icc(long, targets="t", raters="r", ratings="score")

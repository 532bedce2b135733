"""Intraclass correlations (raters: ``icc``; sites: ``cluster_icc``) against R
``psych::ICC(x, lmer = FALSE)`` (psych 2.2.9, R 4.2.2).

Reference: tests/reference/adjust_icc_r.json, written by adjust_icc_r.R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from evaltools.analysis.effects import cluster_icc
from evaltools.instruments.agreement import ICC_COLUMNS, IccError, icc
from evaltools.study.load import load_study

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


# ---------------------------------------------------------------- clusters (sites)


def _cluster_panel(matrix: np.ndarray, study) -> pd.DataFrame:
    """Clusters as rows of ``matrix``: each cell one respondent's baseline score."""
    rows = [{"respondent_id": f"c{i}m{j}", "site": f"s{i}", "group": "interventie",
             "wave": "t0", "wave_order": 0, "brs": value}
            for i, row in enumerate(matrix) for j, value in enumerate(row) if value == value]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def cluster_study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clusters") / "study"
    (folder / "raw").mkdir(parents=True)
    data = {"schema_version": 1, "id": "clu", "title": "Clusters",
            "intervention": {"name": "clu", "protective_factors": ["resilience"]},
            "design": "pre_post", "groups": [{"id": "interventie", "role": "intervention"}],
            "waves": [{"id": "t0", "order": 0, "role": "baseline"},
                      {"id": "t1", "order": 1, "role": "post"}],
            "sites": [{"id": f"s{i}"} for i in range(15)], "instruments": ["brs"],
            "data": {"raw_dir": "raw", "files": [{"pattern": "*", "wave": "t0"}],
                     "columns": {"respondent_id": "id", "site": "site", "group": "group"}}}
    (folder / "study.yml").write_text(yaml.safe_dump(data), "utf-8")
    return load_study(folder)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_cluster_icc_with_equal_clusters_is_psych_icc1(name, cluster_study) -> None:
    x = np.array(DATASETS[name]["data"], dtype=float)
    row = cluster_icc(_cluster_panel(x, cluster_study), cluster_study, scales="brs").iloc[0]
    ref = next(r for r in DATASETS[name]["results"] if r["type"] == "ICC1")
    np.testing.assert_allclose(
        row[["estimate", "statistic", "df1", "df2", "p_value"]].to_numpy(float),
        [ref["ICC"], ref["F"], ref["df1"], ref["df2"], ref["p"]], rtol=TOL_ICC)
    np.testing.assert_allclose(row[["ci_low", "ci_high"]].to_numpy(float),
                               [ref["lower_bound"], ref["upper_bound"]], rtol=TOL_BOUNDS)
    assert row["n0"] == x.shape[1] and row["n_clusters"] == x.shape[0]
    np.testing.assert_allclose(row["design_effect"], 1 + (x.shape[1] - 1) * ref["ICC"])


def test_cluster_icc_unequal_clusters_by_hand(cluster_study) -> None:
    x = np.array(DATASETS["simulated"]["data"], dtype=float)
    x[::2, 2] = np.nan        # every other cluster loses a member: sizes 2 and 3
    panel = _cluster_panel(x, cluster_study)
    row = cluster_icc(panel, cluster_study, scales="brs").iloc[0]
    groups = [r[~np.isnan(r)] for r in x]
    sizes = np.array([len(g) for g in groups])
    big_n, j = sizes.sum(), len(groups)
    grand = np.concatenate(groups).mean()
    msb = sum(len(g) * (g.mean() - grand) ** 2 for g in groups) / (j - 1)
    msw = sum(((g - g.mean()) ** 2).sum() for g in groups) / (big_n - j)
    n0 = (big_n - (sizes**2).sum() / big_n) / (j - 1)
    np.testing.assert_allclose(row["n0"], n0)
    np.testing.assert_allclose(row["estimate"], (msb - msw) / (msb + (n0 - 1) * msw))
    np.testing.assert_allclose(row["design_effect"],
                               1 + (big_n / j - 1) * row["estimate"])
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    one = panel[panel["site"] == "s0"]
    assert cluster_icc(one, cluster_study, scales="brs").iloc[0]["note"].startswith(
        "not estimated: 1 site(s)")

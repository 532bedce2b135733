"""Effect analyses against R (values, calls and versions in tests/reference/effects_r.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.analysis.effects import (
    AnalysisError,
    adjust_by_domain,
    adjust_pvalues,
    ancova,
    baseline_equivalence,
    cluster_robust,
    common,
    diff_in_diff,
    hedges_g_wwc,
    mixed_model,
    morris_dppc2,
    paired_change,
    reliable_change,
    reliable_change_summary,
    rubin_pool,
    sensitivity,
    subgroup_effects,
    within_change,
    wwc_attrition,
)
from evaltools.analysis.effects.change import CATEGORIES, PAIRED_COLUMNS
from evaltools.analysis.effects.controlled import EFFECT_SIZE_COLUMNS
from evaltools.analysis.effects.missing import RUBIN_COLUMNS
from evaltools.study.load import load_study

REF = Path(__file__).parent / "reference"
# Tolerances per quantity. Closed forms (t, lm, p.adjust, Rubin) agree to rounding. The
# noncentral-t interval of d comes from R optim (abstol 1e-9) against our root finder. REML
# estimates from two optimisers agree to their convergence tolerance.
TOL_CLOSED = 1e-8
TOL_NCP = 1e-5
TOL_REML_FIXED = 1e-4
TOL_REML_VAR = 1e-3


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "effects_r.json").read_text("utf-8"))


def make_study(tmp: Path, waves: list[str], *, groups=("interventie", "controle"),
               sites=("site0",), subgroups=(), min_cell: int = 10) -> object:
    """A study whose BRS scale column carries the test scores."""
    roles = ["baseline", "post"] + ["follow_up"] * (len(waves) - 2)
    data = {
        "schema_version": 1, "id": "ref", "title": "Reference",
        "intervention": {"name": "ref", "protective_factors": ["resilience"]},
        "design": "controlled" if len(groups) > 1 else "pre_post",
        "groups": [{"id": groups[0], "role": "intervention"}]
        + [{"id": g, "role": "comparison"} for g in groups[1:]],
        "waves": [{"id": w, "order": i, "role": r}
                  for i, (w, r) in enumerate(zip(waves, roles, strict=True))],
        "sites": [{"id": s} for s in sites], "instruments": ["brs"],
        "data": {"raw_dir": "raw", "files": [{"pattern": "*", "wave": waves[0]}],
                 "columns": {"respondent_id": "id", "site": "site", "group": "group"}},
        "subgroups": [{"column": s} for s in subgroups],
        "disclosure": {"min_cell_size": min_cell},
    }
    (tmp / "raw").mkdir(parents=True, exist_ok=True)
    (tmp / "study.yml").write_text(yaml.safe_dump(data), "utf-8")
    return load_study(tmp)


def panel_from(rows: pd.DataFrame, study) -> pd.DataFrame:
    order = {w.id: w.order for w in study.waves}
    return rows.assign(wave_order=rows["wave"].map(order))


# ---------------------------------------------------------------- within-group change


@pytest.mark.parametrize("case", ["paired_sleep", "paired_anorexia_ft"])
def test_paired_change_matches_t_wilcox_and_effectsize(ref, case: str) -> None:
    r = ref[case]
    table = paired_change(np.array(r["pre"]), np.array(r["post"]))
    assert len(table) == 1 and list(table.columns) == PAIRED_COLUMNS
    out = table.iloc[0]
    for key in ("n", "mean_change", "statistic", "df", "p_value", "ci_low", "ci_high",
                "wilcoxon_statistic", "wilcoxon_p_value", "d_z", "r_pre_post"):
        np.testing.assert_allclose(out[key], r[key], rtol=TOL_CLOSED, atol=TOL_CLOSED,
                                   err_msg=key)
    np.testing.assert_allclose(out["d_z_ci_low"], r["d_z_ci_low"], atol=TOL_NCP)
    np.testing.assert_allclose(out["d_z_ci_high"], r["d_z_ci_high"], atol=TOL_NCP)


def test_signed_rank_test_equals_scipy_wilcoxon() -> None:
    """The signed-rank test written out (exact distribution without ties or zeros; normal
    approximation with tie and continuity corrections otherwise) gives scipy's p-values, on
    continuous scores (exact up to n = 49) and on rounded scores with ties and zeros."""
    from scipy import stats

    from evaltools.analysis.effects.common import signed_rank_test, t_p_value

    rng = np.random.default_rng(20261130)
    branches = set()
    for trial in range(600):
        n = int(rng.integers(2, 70))
        pre = rng.normal(3, 1, n)
        post = pre + rng.normal(rng.normal(0, 0.4), 1, n)
        if trial % 2:  # answers on a half-point scale: ties and zero changes
            pre, post = np.round(pre * 2) / 2, np.round(post * 2) / 2
        diff = post - pre
        nonzero = diff[diff != 0]
        if not len(nonzero):
            continue
        exact = (len(nonzero) < 50 and len(nonzero) == n
                 and len(np.unique(np.abs(nonzero))) == n)
        branches.add(exact)
        ref = stats.wilcoxon(post, pre, zero_method="wilcox", correction=not exact,
                             method="exact" if exact else "approx")
        v, p = signed_rank_test(diff, exact)
        ranks = stats.rankdata(np.abs(nonzero))
        assert v == ranks[nonzero > 0].sum()
        np.testing.assert_allclose(p, ref.pvalue, rtol=1e-12, atol=0, err_msg=str(trial))
    assert branches == {True, False}
    for t, df in ((2.1, 9), (-0.3, 40.5), (7.0, 3)):
        assert t_p_value(t, df) == 2 * stats.t.sf(abs(t), df)


def test_d_av_and_g_av_reproduce_lakens_2013() -> None:
    """Lakens (2013), Frontiers in Psychology 4:863, worked example: d_av 1.13, g_av 1.08."""
    movie1 = np.array([9, 7, 8, 9, 8, 9, 9, 10, 9, 9.0])
    movie2 = np.array([9, 6, 7, 8, 7, 9, 8, 8, 8, 7.0])
    out = paired_change(movie2, movie1).iloc[0]
    assert round(out["d_av"], 2) == 1.13 and round(out["g_av"], 2) == 1.08
    assert round(out["d_z"], 2) == 1.50 and round(out["statistic"], 2) == 4.74
    assert round(out["r_pre_post"], 3) == 0.726
    ratio = out["sd_change"] / ((out["sd_pre"] + out["sd_post"]) / 2)
    np.testing.assert_allclose(out["d_av_ci_low"], out["d_z_ci_low"] * ratio)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(1, 5), st.floats(1, 5)), min_size=4, max_size=40),
       st.floats(0.1, 10), st.floats(-20, 20))
def test_change_invariants(pairs, scale: float, shift: float) -> None:
    pre = np.array([p for p, _ in pairs])
    post = np.array([q for _, q in pairs])
    if np.std(post - pre) < 1e-6:
        with pytest.raises(AnalysisError, match="constant outcome"):
            paired_change(pre, post)
        return
    base = paired_change(pre, post).iloc[0]
    if not np.isfinite(base["d_z"]) or abs(base["d_z"]) > 50:
        return
    swapped = paired_change(post, pre).iloc[0]
    np.testing.assert_allclose(swapped["d_z"], -base["d_z"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(swapped["d_av"], -base["d_av"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(swapped["mean_change"], -base["mean_change"], atol=1e-9)
    moved = paired_change(pre * scale + shift, post * scale + shift).iloc[0]
    for key in ("d_z", "d_av", "g_av", "statistic", "p_value", "r_pre_post"):
        np.testing.assert_allclose(moved[key], base[key], rtol=1e-7, atol=1e-9, err_msg=key)
    np.testing.assert_allclose(moved["mean_change"], base["mean_change"] * scale, rtol=1e-7,
                               atol=1e-9)


def test_a_constant_wave_has_no_correlation_after_shifting() -> None:
    """All pre scores 1.0: r is undefined (R's cor() gives NA), also after shifting the scores,
    where floating point leaves an SD of about 1e-16 (found by hypothesis above)."""
    pre, post = np.ones(9), np.array([1.0, 2.0, 1.5, 3.0, 2.5, 1.0, 4.0, 2.0, 1.5])
    assert np.full(9, 7.3).std(ddof=1) > 0  # the rounding noise this test is about
    for a, b in ((pre, post), (pre * 7.3, post * 7.3)):
        row = paired_change(a, b).iloc[0]
        assert np.isnan(row["r_pre_post"]) and row["sd_pre"] == 0.0
        assert np.isfinite(row["d_z"]) and np.isfinite(row["d_av"])


def _anorexia_panel(ref, study) -> pd.DataFrame:
    a = ref["anorexia"]
    rows = []
    for group, pre, post in (("interventie", a["pre_t"], a["post_t"]),
                             ("controle", a["pre_c"], a["post_c"])):
        for k, (x, y) in enumerate(zip(pre, post, strict=True)):
            rid = f"{group[0]}{k}"
            rows += [(rid, "site0", group, "t0", x), (rid, "site0", group, "t1", y)]
    return panel_from(pd.DataFrame(rows, columns=["respondent_id", "site", "group", "wave",
                                                  "brs"]), study)


def test_within_change_table(tmp_path: Path, ref) -> None:
    study = make_study(tmp_path, ["t0", "t1"])
    table = within_change(_anorexia_panel(ref, study), study, scales="brs")
    assert set(table["group"]) == {"interventie", "controle"}
    row = table[(table.group == "interventie") & (table.site == "all")].iloc[0]
    np.testing.assert_allclose(row["statistic"], ref["paired_anorexia_ft"]["statistic"],
                               rtol=TOL_CLOSED)
    assert row["direction"] == "higher_is_better" and row["note"] == ""
    with pytest.raises(AnalysisError, match="unknown later wave 't9'"):
        within_change(_anorexia_panel(ref, study), study, post="t9")
    with pytest.raises(AnalysisError, match="unknown scale 'brz'"):
        within_change(_anorexia_panel(ref, study), study, scales="brz")
    only = within_change(_anorexia_panel(ref, study), study, scales="brs",
                         groups=["interventie"])
    assert list(only["group"]) == ["interventie"]
    pd.testing.assert_frame_equal(only, table[table.group == "interventie"]
                                  .reset_index(drop=True))
    with pytest.raises(AnalysisError, match=r"unknown group\(s\) \['interventi'\]"):
        within_change(_anorexia_panel(ref, study), study, groups=["interventi"])
    small = make_study(tmp_path / "strict", ["t0", "t1"], min_cell=20)
    suppressed = within_change(_anorexia_panel(ref, small), small, scales="brs")
    ft = suppressed[suppressed.group == "interventie"].iloc[0]
    assert np.isnan(ft["mean_change"]) and ft["note"].startswith("not estimated")


# ---------------------------------------------------------------- controlled designs


def test_ancova_and_did_match_lm_and_car(tmp_path: Path, ref) -> None:
    study = make_study(tmp_path, ["t0", "t1"])
    panel = _anorexia_panel(ref, study)
    a, r = ancova(panel, study, scales="brs").iloc[0], ref["anorexia"]
    np.testing.assert_allclose([a["estimate"], a["se"], a["df"], a["p_value"]],
                               [r["ancova_estimate"], r["ancova_se"], r["ancova_df"],
                                r["ancova_p"]], rtol=TOL_CLOSED)
    np.testing.assert_allclose([a["ci_low"], a["ci_high"]], r["ancova_ci"], rtol=TOL_CLOSED)
    np.testing.assert_allclose(a["statistic"] ** 2, r["anova_f"], rtol=TOL_CLOSED)
    d = diff_in_diff(panel, study, scales="brs").iloc[0]
    np.testing.assert_allclose([d["estimate"], d["se"], d["p_value"]],
                               [r["did_estimate"], r["did_se"], r["did_p"]], rtol=TOL_CLOSED)
    np.testing.assert_allclose([d["ci_low"], d["ci_high"]], r["did_ci"], rtol=TOL_CLOSED)


def test_hedges_g_wwc_is_cohens_d_times_omega(ref) -> None:
    r = ref["anorexia"]
    table = hedges_g_wwc(r["post_t"], r["post_c"])
    assert list(table.columns) == EFFECT_SIZE_COLUMNS and len(table) == 1
    row = table.iloc[0]
    g, se, low, high = row[["effect_size", "se", "ci_low", "ci_high"]]
    assert row["effect_size_type"] == "hedges_g_wwc" and row["note"] == ""
    n = len(r["post_t"]) + len(r["post_c"])
    np.testing.assert_allclose(g, r["cohens_d_post"] * (1 - 3 / (4 * n - 9)), rtol=TOL_CLOSED)
    nt, nc = len(r["post_t"]), len(r["post_c"])
    np.testing.assert_allclose(se, np.sqrt(n / (nt * nc) + g * g / (2 * n)))
    assert low < g < high


def test_morris_dppc2_by_hand(ref) -> None:
    r = ref["anorexia"]
    pre_t, post_t = np.array(r["pre_t"]), np.array(r["post_t"])
    pre_c, post_c = np.array(r["pre_c"]), np.array(r["post_c"])
    nt, nc = len(pre_t), len(pre_c)
    sd = np.sqrt(((nt - 1) * pre_t.var(ddof=1) + (nc - 1) * pre_c.var(ddof=1)) / (nt + nc - 2))
    cp = 1 - 3 / (4 * (nt + nc - 2) - 1)
    expected = cp * ((post_t.mean() - pre_t.mean()) - (post_c.mean() - pre_c.mean())) / sd
    row = morris_dppc2(pre_t, post_t, pre_c, post_c).iloc[0]
    d, se, low, high = row[["effect_size", "se", "ci_low", "ci_high"]]
    np.testing.assert_allclose(d, expected, rtol=1e-12)
    assert se > 0 and low < d < high and row["effect_size_type"] == "morris_dppc2"
    rho = ((nt - 1) * np.corrcoef(pre_t, post_t)[0, 1]
           + (nc - 1) * np.corrcoef(pre_c, post_c)[0, 1]) / (nt + nc - 2)
    np.testing.assert_allclose(row["r_pre_post"], rho, rtol=1e-12)
    k = (nt + nc) / (nt * nc)
    var = (2 * cp**2 * (1 - rho) * k * (nt + nc - 2) / (nt + nc - 4)
           * (1 + d * d / (2 * (1 - rho) * k)) - d * d)            # Morris (2008), eq. 25
    np.testing.assert_allclose(se, np.sqrt(var), rtol=1e-12)
    flipped = morris_dppc2(pre_c, post_c, pre_t, post_t).iloc[0]["effect_size"]
    np.testing.assert_allclose(flipped, -d, rtol=1e-12)


def test_baseline_equivalence_categories(tmp_path: Path, ref) -> None:
    study = make_study(tmp_path, ["t0", "t1"])
    panel = _anorexia_panel(ref, study)
    row = baseline_equivalence(panel, study, scales="brs").iloc[0]
    g = hedges_g_wwc(ref["anorexia"]["pre_t"], ref["anorexia"]["pre_c"]).iloc[0]["effect_size"]
    np.testing.assert_allclose(row["effect_size"], g)
    expected = ("satisfied" if abs(g) <= 0.05 else "adjustment_required" if abs(g) <= 0.25
                else "not_satisfied")
    assert row["equivalence"] == expected
    shifted = panel.copy()
    treated_pre = (shifted.group == "interventie") & (shifted.wave == "t0")
    sd = shifted.loc[shifted.wave == "t0", "brs"].std()
    shifted.loc[treated_pre, "brs"] += 2 * sd
    assert baseline_equivalence(shifted, study, scales="brs").iloc[0]["equivalence"] == \
        "not_satisfied"


@pytest.mark.parametrize(("counts", "boundary", "overall", "differential", "limit", "level"), [
    ((100, 90, 100, 90), "cautious", 10.0, 0.0, 6.3, "low"),
    ((100, 80, 100, 75), "cautious", 22.5, 5.0, 5.1, "low"),
    ((100, 80, 100, 74), "cautious", 23.0, 6.0, 5.1, "high"),
    ((100, 80, 100, 74), "optimistic", 23.0, 6.0, 9.5, "low"),
    ((100, 40, 100, 38), "cautious", 61.0, 2.0, np.nan, "high"),
    ((200, 200, 100, 100), "cautious", 0.0, 0.0, 5.7, "low"),
])
def test_wwc_attrition_boundaries(counts, boundary, overall, differential, limit,
                                  level) -> None:
    row = wwc_attrition(*counts, boundary=boundary).iloc[0]
    np.testing.assert_allclose([row["overall"], row["differential"]], [overall, differential])
    np.testing.assert_allclose(row["boundary"], limit)
    assert row["attrition"] == level


def test_wwc_attrition_rejects_impossible_counts() -> None:
    with pytest.raises(AnalysisError, match="not possible"):
        wwc_attrition(100, 120, 100, 90)
    with pytest.raises(AnalysisError, match="boundary='strict'"):
        wwc_attrition(100, 90, 100, 90, boundary="strict")


def test_controlled_analyses_need_a_comparison(tmp_path: Path, ref) -> None:
    study = make_study(tmp_path, ["t0", "t1"], groups=("interventie",))
    panel = _anorexia_panel(ref, study)
    panel = panel[panel.group == "interventie"]
    with pytest.raises(AnalysisError, match="no comparison group"):
        ancova(panel, study)


# ---------------------------------------------------------------- mixed and robust models


def _long_panel(frame: pd.DataFrame, study, waves: dict, id_col: str, y: str, group: str,
                site: str | None = None) -> pd.DataFrame:
    out = pd.DataFrame({"respondent_id": frame[id_col].astype(str),
                        "site": frame[site] if site else "site0", "group": frame[group],
                        "wave": frame["wave"].map(waves), "brs": frame[y]})
    return panel_from(out, study)


def _orthodont_frame() -> pd.DataFrame:
    """nlme::Orthodont (Potthoff & Roy 1964), stored in tests/reference/orthodont.csv."""
    return pd.read_csv(REF / "orthodont.csv")


def test_mixed_model_matches_lmer(tmp_path: Path, ref) -> None:
    study = make_study(tmp_path, ["a8", "a10", "a12", "a14"], groups=("Male", "Female"))
    data = _orthodont_frame().assign(wave=lambda d: d["age"])
    panel = _long_panel(data, study, {8: "a8", 10: "a10", 12: "a12", 14: "a14"}, "Subject",
                        "distance", "Sex")
    table = mixed_model(panel, study, scales="brs").set_index("term")
    r = ref["orthodont"]
    coef = dict(zip(r["terms"], zip(r["estimate"], r["se"], strict=True), strict=True))
    for wave, label in (("10", "a10"), ("12", "a12"), ("14", "a14")):
        est, se = coef[f"wave{wave}:treated"]
        np.testing.assert_allclose(table.loc[f"intervention x {label}", "estimate"], est,
                                   atol=TOL_REML_FIXED)
        np.testing.assert_allclose(table.loc[f"intervention x {label}", "se"], se,
                                   rtol=TOL_REML_FIXED)
    np.testing.assert_allclose(table.loc["var_respondent", "estimate"], r["var_subject"],
                               rtol=TOL_REML_VAR)
    np.testing.assert_allclose(table.loc["var_residual", "estimate"], r["var_residual"],
                               rtol=TOL_REML_VAR)


def _sim_panel(tmp_path: Path):
    study = make_study(tmp_path, ["t0", "t1", "t2"],
                       sites=tuple(f"site{k}" for k in range(4)), subgroups=("subgroup",))
    data = pd.read_csv(REF / "effects_sim.csv")
    panel = _long_panel(data, study, {"t0": "t0", "t1": "t1", "t2": "t2"}, "respondent", "y",
                        "group", site="site")
    panel["subgroup"] = data["subgroup"].to_numpy()
    return study, panel


def test_mixed_model_with_sites_matches_lmer(tmp_path: Path, ref) -> None:
    study, panel = _sim_panel(tmp_path)
    for site_effect, key in ((False, "sim_respondent"), (True, "sim_site")):
        table = mixed_model(panel, study, scales="brs", site_effect=site_effect)
        table = table.set_index("term")
        r = ref[key]
        coef = dict(zip(r["terms"], zip(r["estimate"], r["se"], strict=True), strict=True))
        for wave in ("t1", "t2"):
            est, se = coef[f"wave{wave}:treated"]
            np.testing.assert_allclose(table.loc[f"intervention x {wave}", "estimate"], est,
                                       atol=TOL_REML_FIXED)
            np.testing.assert_allclose(table.loc[f"intervention x {wave}", "se"], se,
                                       rtol=10 * TOL_REML_FIXED)
        np.testing.assert_allclose(table.loc["var_respondent", "estimate"],
                                   r["var_respondent"], rtol=TOL_REML_VAR)
        np.testing.assert_allclose(table.loc["var_residual", "estimate"], r["var_residual"],
                                   rtol=TOL_REML_VAR)
        if site_effect:
            np.testing.assert_allclose(table.loc["var_site", "estimate"], r["var_site"],
                                       rtol=10 * TOL_REML_VAR)


def test_cluster_robust_matches_sandwich(tmp_path: Path, ref) -> None:
    study, panel = _sim_panel(tmp_path)
    table = cluster_robust(panel, study, scales="brs", cluster="site").set_index("term")
    r = ref["sim_cluster_site"]
    coef = dict(zip(r["terms"], zip(r["estimate"], r["se"], r["p_value"], strict=True),
                    strict=True))
    for wave in ("t1", "t2"):
        est, se, p = coef[f"wave{wave}:treated"]
        row = table.loc[f"intervention x {wave}"]
        np.testing.assert_allclose([row["estimate"], row["se"], row["p_value"]], [est, se, p],
                                   rtol=TOL_CLOSED)
        assert row["df"] == 3 and "only 4 clusters" in row["note"]
    with pytest.raises(AnalysisError, match="cluster='school'"):
        cluster_robust(panel, study, cluster="school")


def test_cluster_robust_by_respondent_matches_sandwich(tmp_path: Path, ref) -> None:
    study = make_study(tmp_path, ["a8", "a10", "a12", "a14"], groups=("Male", "Female"))
    data = _orthodont_frame().assign(wave=lambda d: d["age"])
    panel = _long_panel(data, study, {8: "a8", 10: "a10", 12: "a12", 14: "a14"}, "Subject",
                        "distance", "Sex")
    table = cluster_robust(panel, study, scales="brs", cluster="respondent_id")
    r = ref["orthodont_cluster"]
    coef = dict(zip(r["terms"], zip(r["estimate"], r["se"], r["p_value"], strict=True),
                    strict=True))
    row = table.set_index("term").loc["intervention x a14"]
    np.testing.assert_allclose([row["estimate"], row["se"], row["p_value"]],
                               coef["wave14:treated"], rtol=TOL_CLOSED)


# ---------------------------------------------------------------- subgroups, multiplicity, MI


def test_subgroup_effects_match_car(tmp_path: Path, ref) -> None:
    study, panel = _sim_panel(tmp_path)
    table = subgroup_effects(panel, study, scale="brs", subgroup="subgroup").set_index(
        "subgroup_value")
    r = ref["sim_subgroup"]
    for value, (est, se) in r["per_subgroup"].items():
        np.testing.assert_allclose([table.loc[value, "estimate"], table.loc[value, "se"]],
                                   [est, se], rtol=TOL_CLOSED)
    inter = table.loc["interaction"]
    np.testing.assert_allclose([inter["statistic"], inter["df"], inter["df_residual"],
                                inter["p_value"]],
                               [r["interaction_f"], r["interaction_df"], r["df_residual"],
                                r["interaction_p"]], rtol=TOL_CLOSED)
    strict = make_study(tmp_path / "strict", ["t0", "t1", "t2"],
                        sites=tuple(f"site{k}" for k in range(4)), subgroups=("subgroup",),
                        min_cell=40)
    small = subgroup_effects(panel, strict, scale="brs", subgroup="subgroup")
    assert small["note"].str.startswith("not estimated").sum() >= 3
    with pytest.raises(AnalysisError, match="unknown subgroup 'gender'"):
        subgroup_effects(panel, study, scale="brs", subgroup="gender")


def test_p_adjust_matches_r(ref) -> None:
    r = ref["padjust"]
    np.testing.assert_allclose(adjust_pvalues(r["p"], "holm"), r["holm"], rtol=TOL_CLOSED)
    np.testing.assert_allclose(adjust_pvalues(r["p"], "bh"), r["bh"], rtol=TOL_CLOSED)
    with pytest.raises(AnalysisError, match="method='sidak'"):
        adjust_pvalues(r["p"], "sidak")


def test_adjustment_runs_within_each_domain(demo_dir: Path) -> None:
    study = load_study(demo_dir)
    table = pd.DataFrame({"scale": ["brs", "who5", "apgar", "mspss"],
                          "p_value": [0.01, 0.04, 0.03, 0.02]})
    out = adjust_by_domain(table, study)
    assert out["domain"].tolist() == ["resilience", "wellbeing", "supportive_family",
                                      "supportive_family"]
    np.testing.assert_allclose(out["p_holm"], [0.01, 0.04, 0.04, 0.04])
    np.testing.assert_allclose(out["p_bh"], [0.01, 0.04, 0.03, 0.03])


def test_rubin_pooling_matches_mice(ref) -> None:
    r = ref["rubin"]
    table = rubin_pool(r["Q"], r["U"], df_complete=500 - 3)
    assert list(table.columns) == RUBIN_COLUMNS and len(table) == 1
    pooled = table.iloc[0]
    np.testing.assert_allclose([pooled["estimate"], pooled["within"], pooled["between"],
                                pooled["total"], pooled["df"]],
                               [r["qbar"], r["ubar"], r["b"], r["t"], r["df"]], rtol=TOL_CLOSED)
    by_se = rubin_pool(r["Q"], se=np.sqrt(r["U"]), df_complete=500 - 3)
    pd.testing.assert_frame_equal(by_se, table, rtol=1e-12)
    large = rubin_pool(r["Q"], variances=r["U"]).iloc[0]
    np.testing.assert_allclose(large["df"], r["df_large_sample"], rtol=TOL_CLOSED)
    with pytest.raises(AnalysisError, match="not both and not neither"):
        rubin_pool(r["Q"], r["U"], se=np.sqrt(r["U"]))
    with pytest.raises(AnalysisError, match="not both and not neither"):
        rubin_pool(r["Q"])
    with pytest.raises(AnalysisError, match="at least 2"):
        rubin_pool([0.1], [0.01])


# ---------------------------------------------------------------- reliable change, MI, sensitivity


def test_reliable_change_by_hand(tmp_path: Path) -> None:
    study = make_study(tmp_path, ["t0", "t1"], min_cell=2)
    pre = [2.0, 2.5, 3.5, 4.0, 3.0, 3.2]
    post = [3.5, 2.6, 3.6, 2.0, 3.1, 4.6]
    rows = []
    for k, (x, y) in enumerate(zip(pre, post, strict=True)):
        rows += [(f"r{k}", "site0", "interventie", "t0", x),
                 (f"r{k}", "site0", "interventie", "t1", y)]
    panel = panel_from(pd.DataFrame(rows, columns=["respondent_id", "site", "group", "wave",
                                                   "brs"]), study)
    sd, rel = 0.7, 0.8
    s_diff = np.sqrt(2) * sd * np.sqrt(1 - rel)          # 0.4427
    people = reliable_change(panel, study, scale="brs", sd=sd, reliability=rel)
    np.testing.assert_allclose(people["rci"], (np.array(post) - np.array(pre)) / s_diff)
    # BRS: higher is better; cut-off 3.00 (the instrument's "normal" from)
    assert people["category"].tolist() == ["recovered", "unchanged", "unchanged",
                                           "deteriorated", "unchanged", "improved"]
    summary = reliable_change_summary(panel, study, scale="brs", sd=sd, reliability=rel,
                                      by_site=False)
    row = summary.iloc[0]
    np.testing.assert_allclose([row["share_recovered"], row["share_improved"],
                                row["share_unchanged"], row["share_deteriorated"]],
                               [1 / 6, 1 / 6, 3 / 6, 1 / 6])
    assert row["cutoff"] == 3.0 and "instrument" in row["source"]
    no_cut = reliable_change_summary(panel, study, scale="brs", sd=sd, reliability=rel,
                                     cutoff=None, by_site=False)
    assert no_cut.iloc[0]["share_recovered"] == pytest.approx(1 / 6)  # instrument cut-off used
    with pytest.raises(AnalysisError, match="not between 0 and 1"):
        reliable_change(panel, study, scale="brs", sd=sd, reliability=1.2)


def test_reliable_change_summary_counts_the_respondents_categories(ingested_demo) -> None:
    """The summary's shares per group and site are the shares of :func:`reliable_change`'s
    respondent categories (counted on arrays; a check against pandas' own counting), with
    sites in order of appearance and cells below the minimum size left unestimated."""
    study, panel = ingested_demo
    for scale in common.scales_of(study)[:4]:
        people = reliable_change(panel, study, scale=scale, post="t1")
        summary = reliable_change_summary(panel, study, scale=scale, post="t1")
        expected = []
        for group in [g.id for g in study.groups]:
            block = people[people["group"] == group]
            for site, cell in [("all", block), *block.groupby("site", sort=False)]:
                shares = cell["category"].value_counts(normalize=True)
                expected.append((group, site, len(cell),
                                 *[float(shares.get(c, 0.0)) for c in CATEGORIES]))
        got = summary[["group", "site", "n", "share_recovered", "share_improved",
                       "share_unchanged", "share_deteriorated"]]
        assert [tuple(r)[:3] for r in got.itertuples(index=False)] == \
            [e[:3] for e in expected]
        for row, want in zip(got.itertuples(index=False), expected, strict=True):
            if row.n < study.min_cell_size:
                assert np.isnan(row.share_improved)
                continue
            shares = [row.share_recovered, row.share_improved, row.share_unchanged,
                      row.share_deteriorated]
            cut = summary["cutoff"].iloc[0]
            assert [s for s, w in zip(shares, want[3:], strict=True) if s == s] == \
                [w for s, w in zip(shares, want[3:], strict=True) if s == s]
            assert (cut == cut) == (shares[0] == shares[0])


def test_reliable_change_direction_for_higher_is_worse(tmp_path: Path) -> None:
    study = make_study(tmp_path, ["t0", "t1"], min_cell=2)
    rows = []
    for k, (x, y) in enumerate([(4.0, 1.0), (1.0, 4.0), (2.0, 2.0)]):
        rows += [(f"r{k}", "site0", "interventie", "t0", x),
                 (f"r{k}", "site0", "interventie", "t1", y)]
    panel = panel_from(pd.DataFrame(rows, columns=["respondent_id", "site", "group", "wave",
                                                   "djg_total"]), study)
    study = study.__class__(**{**study.__dict__, "instruments": tuple(
        __import__("evaltools").get_instrument(i) for i in ("brs", "djg6"))})
    people = reliable_change(panel, study, scale="djg_total", sd=1.5, reliability=0.8)
    # loneliness: a fall from 4 to 1 is a reliable improvement and crosses the cut-off of 2
    assert people["category"].tolist() == ["recovered", "deteriorated", "unchanged"]


def test_sensitivity_puts_methods_side_by_side(ingested_demo) -> None:
    study, panel = ingested_demo
    table = sensitivity(panel, study, scale="brs", m=5)
    assert table["method"].tolist() == ["complete_case_ancova", "complete_case_diff_in_diff",
                                        "multiple_imputation_m5", "mixed_model"]
    assert (table["ci_low"] < table["estimate"]).all()
    assert (table["estimate"] < table["ci_high"]).all()
    truth = pd.read_csv(study.folder / "truth" / "true_effects.csv")
    att = truth[(truth.site == "all") & (truth.scale == "brs") & (truth.wave == "t1")]
    did = table.set_index("method").loc["complete_case_diff_in_diff"]
    assert did["ci_low"] - 0.1 < att["att_score"].iloc[0] < did["ci_high"] + 0.1
    again = sensitivity(panel, study, scale="brs", m=5)
    pd.testing.assert_frame_equal(table, again)  # seeded imputations: reproducible


def test_demo_estimates_and_truth(ingested_demo) -> None:
    """On the demo study, difference in differences covers the true effect; the null stays null."""
    study, panel = ingested_demo
    truth = pd.read_csv(study.folder / "truth" / "true_effects.csv")
    truth = truth[truth.site == "all"].set_index(["scale", "wave"])["att_score"]
    did = diff_in_diff(panel, study, scales=["digres", "democit"], post="t1")
    did = did.set_index(["scale", "wave"])
    for key in did.index:
        assert did.loc[key, "ci_low"] - 0.05 < truth[key] < did.loc[key, "ci_high"] + 0.05
    model = mixed_model(panel, study, scales="digres").set_index("term")
    assert model.loc["intervention x t1", "p_value"] < 0.05


def test_bad_calls_raise_clear_errors(tmp_path: Path, ref) -> None:
    study = make_study(tmp_path, ["t0", "t1"])
    panel = _anorexia_panel(ref, study)
    with pytest.raises(AnalysisError, match="1 complete pair"):
        paired_change(np.array([1.0]), np.array([2.0]))
    with pytest.raises(AnalysisError, match="constant outcome"):
        paired_change(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]))
    with pytest.raises(AnalysisError, match="missing values"):
        paired_change(np.array([1.0, np.nan]), np.array([2.0, 3.0]))
    odd = panel.assign(group=panel["group"].replace({"controle": "wachtlijst"}))
    with pytest.raises(AnalysisError, match=r"group values \['wachtlijst'\]"):
        ancova(odd, study)
    with pytest.raises(AnalysisError, match="unknown post wave 't3'"):
        diff_in_diff(panel, study, post="t3")
    pre = panel[panel.wave == "t0"].set_index("respondent_id")["brs"]
    constant = panel.assign(brs=np.where(panel["wave"] == "t1",
                                         panel["respondent_id"].map(pre) + 1, panel["brs"]))
    table = within_change(constant, study, scales="brs", by_site=False)
    assert table["note"].str.contains("constant outcome").all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.2, 20), st.floats(-50, 50))
def test_standardised_between_group_effects_are_scale_free(seed: int, scale: float,
                                                           shift: float) -> None:
    rng = np.random.default_rng(seed)
    pre_t, pre_c = rng.normal(3, 1, 30), rng.normal(3.2, 1, 25)
    post_t, post_c = pre_t + rng.normal(0.4, 0.7, 30), pre_c + rng.normal(0, 0.7, 25)
    numbers = ["effect_size", "se", "ci_low", "ci_high", "r_pre_post"]
    g = hedges_g_wwc(post_t, post_c)[numbers[:4]].iloc[0].to_numpy(float)
    d = morris_dppc2(pre_t, post_t, pre_c, post_c)[numbers].iloc[0].to_numpy(float)
    g2 = hedges_g_wwc(post_t * scale + shift,
                      post_c * scale + shift)[numbers[:4]].iloc[0].to_numpy(float)
    d2 = morris_dppc2(*(x * scale + shift for x in (pre_t, post_t, pre_c, post_c))
                      )[numbers].iloc[0].to_numpy(float)
    np.testing.assert_allclose(g2, g, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(d2, d, rtol=1e-8, atol=1e-10)
    swapped = morris_dppc2(post_t, pre_t, post_c, pre_c)[numbers].iloc[0].to_numpy(float)
    # waves swapped: sign flips
    np.testing.assert_allclose(swapped[0] * np.sqrt((29 * post_t.var(ddof=1) + 24
                                                      * post_c.var(ddof=1)) / 53),
                               -d[0] * np.sqrt((29 * pre_t.var(ddof=1) + 24
                                                 * pre_c.var(ddof=1)) / 53), rtol=1e-8)


@pytest.mark.parametrize("by_site", [False, True])
def test_within_change_without_totals_is_the_breakdown_alone(ingested_demo, by_site) -> None:
    """``totals=False`` (the report's subgroup section) gives exactly the rows of every site
    and subgroup value that ``totals=True`` gives, without the all-sites, all-values rows."""
    study, panel = ingested_demo
    column = study.subgroups[0].column
    arms = study.arms("intervention")
    whole = within_change(panel, study, post="t1", by_site=by_site, subgroup=column,
                          groups=arms)
    part = within_change(panel, study, post="t1", by_site=by_site, subgroup=column,
                         groups=arms, totals=False)
    totals = (whole["site"] == "all") & (whole["subgroup_value"] == "all")
    assert totals.sum() == len(whole) - len(part) > 0
    pd.testing.assert_frame_equal(part, whole[~totals].reset_index(drop=True))
    assert (part["subgroup_value"] != "all").any()

"""Random-effects meta-analysis against R metafor 3.8.1 (tests/reference/meta_metafor.R)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from evaltools.analysis.effects import AnalysisError
from evaltools.analysis.synthesis import leave_one_out, meta_analysis, site_synthesis

REF = json.loads((Path(__file__).parent / "reference" / "meta_metafor.json").read_text())
CASES = [(data, fit) for data in ("bcg", "normand", "bcg4")
         for fit in ("REML_z", "REML_knha", "DL_z", "DL_knha")]
# Per quantity: estimates, se, tau2, I2, Q to 1e-6 (the issue asks 1e-5); p values relative.
TOL = 1e-6


def _data(name):
    block = REF[name]
    return pd.DataFrame({"study": [f"s{i + 1}" for i in range(len(block["yi"]))],
                         "yi": block["yi"], "vi": block["vi"]})


@pytest.mark.parametrize(("name", "fit"), CASES)
def test_matches_metafor(name, fit):
    ref = REF[name][fit]
    got = meta_analysis(_data(name), estimate="yi", variance="vi",
                        method=ref["method"], test=ref["test"], label="study").iloc[0]
    assert got["k"] == ref["k"]
    for column in ("estimate", "se", "ci_low", "ci_high", "statistic", "tau2", "i2", "h2", "q",
                   "pi_low", "pi_high"):
        assert_allclose(got[column], ref[column], atol=TOL, rtol=0, err_msg=column)
    assert_allclose(got["p_value"], ref["p_value"], rtol=1e-6)
    assert_allclose(got["q_p"], ref["q_p"], rtol=1e-6)
    if ref["test"] == "knha":
        assert got["df"] == ref["k"] - 1
    else:
        assert np.isnan(got["df"])


@pytest.mark.parametrize(("name", "fit"), CASES)
def test_leave_one_out_matches_metafor(name, fit):
    ref = REF[name][fit]
    got = leave_one_out(_data(name), label="study", estimate="yi", variance="vi",
                        method=ref["method"], test=ref["test"])
    assert list(got["omitted"]) == [f"s{i + 1}" for i in range(ref["k"])]
    for column in ("estimate", "se", "ci_low", "ci_high", "q", "tau2", "i2"):
        assert_allclose(got[column], ref[f"loo_{column}"], atol=TOL, rtol=0, err_msg=column)
    assert_allclose(got["p_value"], ref["loo_p_value"], rtol=1e-6)


def test_se_and_variance_inputs_agree_and_groups_pool_separately():
    data = pd.concat([_data("bcg").assign(scale="a"), _data("normand").assign(scale="b")])
    data["se"] = np.sqrt(data["vi"])
    by_group = meta_analysis(data, estimate="yi", by="scale", label="study")
    assert list(by_group["scale"]) == ["a", "b"]
    assert_allclose(by_group["estimate"], [REF["bcg"]["REML_z"]["estimate"],
                                           REF["normand"]["REML_z"]["estimate"]], atol=TOL)


def test_homogeneous_data_gives_zero_tau2_and_pi_equal_to_ci():
    data = pd.DataFrame({"effect_size": [0.2, 0.21, 0.19, 0.2], "se": [0.1, 0.1, 0.1, 0.1]})
    fit = meta_analysis(data).iloc[0]
    assert fit["tau2"] == 0 and fit["i2"] == 0
    assert_allclose([fit["pi_low"], fit["pi_high"]], [fit["ci_low"], fit["ci_high"]])


def test_one_estimate_is_returned_unpooled_with_a_note():
    fit = meta_analysis(pd.DataFrame({"effect_size": [0.3], "se": [0.1]})).iloc[0]
    assert fit["k"] == 1 and fit["estimate"] == 0.3 and "nothing to pool" in fit["note"]
    assert np.isnan(fit["tau2"])
    # the one estimate keeps its own (Wald) interval, so the overview never shows an empty row:
    # R metafor::rma(yi = 0.3, sei = 0.1, method = "FE") gives ci.lb 0.10400, ci.ub 0.49600
    assert_allclose([fit["ci_low"], fit["ci_high"]], [0.3 - 1.959964 * 0.1, 0.3 + 1.959964 * 0.1],
                    rtol=1e-6)
    assert_allclose(fit["p_value"], 0.002699796, rtol=1e-6)


def test_bad_input_is_named():
    data = pd.DataFrame({"site": ["a", "b"], "effect_size": [0.1, 0.2], "se": [0.1, 0.0]})
    with pytest.raises(AnalysisError, match=r"row 'b'.*positive standard error"):
        meta_analysis(data, label="site")
    with pytest.raises(AnalysisError, match="column 'g' is not in the data"):
        meta_analysis(data, estimate="g")
    with pytest.raises(ValueError, match="method='PM'"):
        meta_analysis(data, method="PM")
    with pytest.raises(ValueError, match="test='t'"):
        meta_analysis(data, test="t")
    with pytest.raises(AnalysisError, match="at least 3"):
        leave_one_out(data.iloc[:1], label="site")
    with pytest.raises(AnalysisError, match="se='se' and variance='v': give the column"):
        meta_analysis(data.assign(v=0.01), se="se", variance="v")


def test_site_synthesis_on_the_demo_covers_the_true_effects(ingested_demo):
    study, panel = ingested_demo
    sites, pooled = site_synthesis(panel, study, post="t1")
    assert set(sites["site"]) == {s.id for s in study.sites}
    assert (pooled["k"] == len(study.sites)).all()
    assert (pooled["effect_size_type"] == "morris_dppc2").all()
    assert (pooled["df"] == len(study.sites) - 1).all()  # Hartung-Knapp by default
    truth = pd.read_csv(study.folder / "truth" / "true_effects.csv")
    truth = truth[(truth.site == "all") & (truth.wave == "t1")].set_index("scale")["d_score"]
    pooled = pooled.set_index("scale")
    covered = [(pooled.loc[s, "ci_low"] <= truth[s] <= pooled.loc[s, "ci_high"])
               for s in pooled.index]
    assert np.mean(covered) >= 0.75, pooled[["estimate", "ci_low", "ci_high"]].join(truth)
    # each site's own d_ppc2 is the one diff_in_diff reports for that site alone
    from evaltools.analysis.effects import diff_in_diff

    one = sites[sites.site == study.sites[0].id].set_index("scale")["effect_size"]
    alone = diff_in_diff(panel[panel.site == study.sites[0].id], study, post="t1")
    assert_allclose(one[alone["scale"]].to_numpy(), alone["effect_size"].to_numpy())


def test_forest_plot_draws_a_row_per_site_and_the_pooled_diamond():
    import matplotlib

    matplotlib.use("Agg")
    from evaltools.reports.plots import forest_plot

    data = _data("bcg").assign(se=lambda d: np.sqrt(d["vi"]))
    data["ci_low"], data["ci_high"] = data["yi"] - 1.96 * data["se"], data["yi"] + 1.96 * data["se"]
    pooled = meta_analysis(data, estimate="yi").iloc[0]
    ax = forest_plot(data, pooled, label="study", estimate="yi", pooled_label="pooled")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"s{i + 1}" for i in range(13)] + ["pooled"]
    diamond = ax.patches[-1].get_xy()[:, 0]
    assert_allclose(sorted(diamond)[0], pooled["ci_low"])
    assert_allclose(sorted(diamond)[-1], pooled["ci_high"])


def test_pre_post_study_pools_g_av_of_the_intervention_group(ingested_demo):
    from dataclasses import replace

    from evaltools.analysis.effects import within_change
    from evaltools.register import check_rows
    from evaltools.register.collect import collect

    study, panel = ingested_demo
    mine = [g for g in study.groups if g.role == "intervention"]
    pre_post = replace(study, design="pre_post", groups=tuple(mine))
    only = panel[panel["group"] == mine[0].id]
    sites, pooled = site_synthesis(only, pre_post, post="t1")
    assert (sites["effect_size_type"] == "g_av").all() and sites["n_comparison"].isna().all()
    site = study.sites[1].id
    alone = within_change(only[only.site == site], pre_post, post="t1", by_site=False)
    alone = alone[alone.site == "all"].set_index("scale")["g_av"]
    got = sites[sites.site == site].set_index("scale")["effect_size"]
    assert_allclose(got[alone.index].to_numpy(), alone.to_numpy())
    assert (pooled["k"] == len(study.sites)).all()
    rows = check_rows(collect(pre_post, only))
    whole = rows[rows.site == "all"]
    assert set(whole["wwc_rating"]) == {"not_applicable"}
    assert set(rows["method"]) == {"within_change"} and rows["n_comparison"].isna().all()
    assert set(whole["evidence_level"]) <= {"goed_onderbouwd", "eerste_aanwijzingen"}
    assert "eerste_aanwijzingen" in set(whole["evidence_level"])


_studies = st.lists(st.tuples(st.floats(-2, 2), st.floats(0.05, 1.0)), min_size=3, max_size=12)


@settings(max_examples=60, deadline=None)
@given(_studies, st.sampled_from(["REML", "DL"]), st.sampled_from(["z", "knha"]),
       st.floats(0.2, 5.0), st.floats(-3, 3), st.randoms(use_true_random=False))
def test_meta_analysis_invariances(rows, method, test, scale, shift, rnd):
    """Order does not matter; a shift moves the estimate alone; a rescaling of effects and
    standard errors rescales estimate, se and tau by the same factor and leaves I², Q and p."""
    data = pd.DataFrame(rows, columns=["effect_size", "se"])
    fit = meta_analysis(data, method=method, test=test).iloc[0]
    shuffled = data.sample(frac=1, random_state=rnd.randint(0, 10**6))
    again = meta_analysis(shuffled, method=method, test=test).iloc[0]
    for column in ("estimate", "se", "tau2", "i2", "q", "p_value"):
        assert_allclose(again[column], fit[column], rtol=1e-7, atol=1e-10)
    moved = meta_analysis(data.assign(effect_size=data["effect_size"] + shift),
                          method=method, test=test).iloc[0]
    assert_allclose(moved["estimate"], fit["estimate"] + shift, atol=1e-8)
    assert_allclose(moved["tau2"], fit["tau2"], rtol=1e-6, atol=1e-10)
    scaled = meta_analysis(data * scale, method=method, test=test).iloc[0]
    assert_allclose(scaled["estimate"], fit["estimate"] * scale, rtol=1e-6, atol=1e-9)
    assert_allclose(scaled["se"], fit["se"] * scale, rtol=1e-6, atol=1e-12)
    assert_allclose(scaled["tau2"], fit["tau2"] * scale**2, rtol=1e-5, atol=1e-9)
    # I² in percent: where REML's tau² sits at its boundary, the root is found to about 1e-10
    # of tau² either way, which moves I² by up to ~1e-8 points (hypothesis found 1.3e-8)
    assert_allclose(scaled["i2"], fit["i2"], rtol=1e-6, atol=1e-6)
    assert_allclose(scaled["q"], fit["q"], rtol=1e-6, atol=1e-8)
    assert fit["tau2"] >= 0 and 0 <= fit["i2"] < 100
    assert fit["pi_low"] <= fit["ci_low"] <= fit["estimate"] <= fit["ci_high"] <= fit["pi_high"]


def test_reml_where_fisher_scoring_oscillates_maximises_the_likelihood():
    """metafor 3.8.1 stops here with "Fisher scoring algorithm did not converge"; evaltools
    finds the root of the REML score instead: the maximum of the restricted likelihood."""
    from scipy.optimize import minimize_scalar

    from evaltools.analysis.synthesis import _tau2_reml

    y, v = np.array([0, 0, 0, 0, 1.0]), np.array([1, 1, 1, 1, 0.0625])

    def minus_loglik(t):
        w = 1 / (v + t)
        mu = np.sum(w * y) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + t)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))

    best = minimize_scalar(minus_loglik, bounds=(0, 5), method="bounded",
                           options={"xatol": 1e-12}).x
    assert_allclose(_tau2_reml(y, v), best, atol=1e-7)
    fit = meta_analysis(pd.DataFrame({"effect_size": y, "se": np.sqrt(v)})).iloc[0]
    assert_allclose(fit["tau2"], best, atol=1e-7)

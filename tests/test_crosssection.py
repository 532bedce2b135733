"""Repeated cross-sections: the design in study.yml, difference in differences on independent
samples with CR2 / Satterthwaite inference (against R clubSandwich, crosssection_r.json), the
design table, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from evaltools.analysis.effects import (
    AnalysisError,
    ancova,
    cross_section_counts,
    cross_section_did,
    diff_in_diff,
    mixed_model,
)
from evaltools.analysis.effects.controlled import COMPARISON_COLUMNS
from evaltools.analysis.effects.crosssection import CROSS_SECTION_COLUMNS
from evaltools.reports.crosssection import suppressed_counts
from evaltools.study import check_study, load_study

REF = Path(__file__).parent / "reference"
TOL_EST = 1e-10   # DiD estimate (closed form)
TOL_SE = 1e-9     # CR2 standard error
TOL_DF = 1e-9     # Satterthwaite df


def write_study(tmp: Path, **changes) -> Path:
    data = {
        "schema_version": 1, "id": "rcs", "title": "Monitor",
        "intervention": {"name": "rcs", "protective_factors": ["resilience"]},
        "design": "repeated_cross_section",
        "groups": [{"id": "interventie", "role": "intervention"},
                   {"id": "controle", "role": "comparison"}],
        "waves": [{"id": "y2000", "order": 0, "role": "baseline"},
                  {"id": "y2001", "order": 1, "role": "post"},
                  {"id": "y2002", "order": 2, "role": "follow_up"}],
        "sites": [{"id": "il"}], "instruments": ["brs"],
        "data": {"raw_dir": "raw", "files": [{"pattern": "*", "wave": "y2000"}],
                 "columns": {"respondent_id": "id", "site": "site", "group": "group"}},
        "subgroups": [{"column": "school"}],
        "analysis": {"cluster": "school"},
    }
    data.update(changes)
    (tmp / "raw").mkdir(parents=True, exist_ok=True)
    (tmp / "study.yml").write_text(yaml.safe_dump(data), "utf-8")
    return tmp


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((REF / "crosssection_r.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def awards(tmp_path_factory):
    """AchievementAwardsRCT (girls, 2000-2002) as a repeated cross-section in 35 schools."""
    study = load_study(write_study(tmp_path_factory.mktemp("rcs")))
    d = pd.read_csv(REF / "achievement_awards.csv")
    panel = pd.DataFrame({
        "respondent_id": [f"r{k}" for k in range(len(d))], "site": "il",
        "group": np.where(d["treated"] == 1, "interventie", "controle"),
        "wave": "y" + d["year"].astype(str), "school": d["school_id"].astype(int),
        "brs": d["Bagrut_status"].astype(float)})
    panel["wave_order"] = panel["wave"].map({w.id: w.order for w in study.waves})
    return study, panel, d


def test_study_yml_accepts_the_design_and_cluster(awards) -> None:
    study = awards[0]
    assert study.design == "repeated_cross_section" and not study.paired
    assert study.analysis.cluster == "school" and study.primary_method == "diff_in_diff"


def test_did_matches_clubsandwich_cr2_satterthwaite(awards, ref) -> None:
    study, panel, d = awards
    table = cross_section_did(panel, study, post="y2001")
    assert list(table.columns) == CROSS_SECTION_COLUMNS and len(table) == 1
    row, r = table.iloc[0], ref["did_2x2"]
    k = r["terms"].index("treated:post")
    np.testing.assert_allclose(row["estimate"], r["estimate"][k], rtol=TOL_EST)
    np.testing.assert_allclose(row["se"], r["se"][k], rtol=TOL_SE)
    np.testing.assert_allclose(row["df"], r["df"][k], rtol=TOL_DF)
    np.testing.assert_allclose(row["p_value"], r["p_value"][k], rtol=1e-8)
    assert row["n"] == r["n"] and row["n_clusters"] == r["n_clusters"] == 35
    assert (row["vcov_type"], row["df_method"], row["cluster"]) == ("CR2", "satterthwaite",
                                                                    "school")
    # the standardised effect: J * DiD / pooled baseline SD
    pre = d[d["year"] == 2000]
    t, c = pre.loc[pre.treated == 1, "Bagrut_status"], pre.loc[pre.treated == 0, "Bagrut_status"]
    sd = np.sqrt(((len(t) - 1) * t.var() + (len(c) - 1) * c.var()) / (len(t) + len(c) - 2))
    j = 1 - 3 / (4 * (len(t) + len(c) - 2) - 1)
    np.testing.assert_allclose(row["effect_size"], j * row["estimate"] / sd, rtol=1e-12)
    np.testing.assert_allclose(row["effect_size_ci_low"], j * row["ci_low"] / sd, rtol=1e-12)


def test_diff_in_diff_dispatches_by_design_and_ancova_refuses(awards, ref) -> None:
    """The issue: diff_in_diff on a repeated cross-section used to find no pairs."""
    study, panel, _ = awards
    table = diff_in_diff(panel, study)
    assert list(table.columns) == COMPARISON_COLUMNS
    assert list(table["wave"]) == ["y2001", "y2002"] and (table["note"] == "").all()
    r = ref["did_2x2"]
    np.testing.assert_allclose(table["se"].iloc[0], r["se"][r["terms"].index("treated:post")],
                               rtol=TOL_SE)
    with pytest.raises(AnalysisError, match="repeated cross-section"):
        ancova(panel, study)


def test_few_clusters_small_cells_and_counts(awards) -> None:
    study, panel, _ = awards
    few = panel[panel["school"].isin([1, 2, 3, 5, 6, 7])]
    row = cross_section_did(few, study, post="y2001").iloc[0]
    assert row["n_clusters"] == 6 and "very few clusters" in row["caution"]
    assert row["note"] == ""  # estimated: a caution, not a reason to suppress
    assert np.isfinite(row["se"]) and row["df"] < 5
    tiny = panel.groupby(["wave", "group"]).head(3)
    row = cross_section_did(tiny, study, post="y2001").iloc[0]
    assert "minimum cell size" in row["note"] and np.isnan(row["se"])
    counts = cross_section_counts(panel, study)
    total = counts[counts["cluster_value"] == "all"]
    assert total["n"].sum() == len(panel)
    per = counts[counts["cluster_value"] != "all"].groupby(["group", "wave"])["n"].sum()
    np.testing.assert_array_equal(per.sort_index().to_numpy(),
                                  total.set_index(["group", "wave"])["n"].sort_index().to_numpy())
    with pytest.raises(AnalysisError, match="buurt"):
        cross_section_did(panel, study, cluster="buurt")


@pytest.mark.parametrize("changes, message", [
    ({"analysis": {"cluster": "schol"}}, "did you mean 'school'"),
    ({"analysis": {"primary": "ancova"}}, "different respondents"),
    ({"groups": [{"id": "interventie", "role": "intervention"}]}, "needs an intervention group"),
])
def test_study_yml_refuses(tmp_path: Path, changes: dict, message: str) -> None:
    study, problems = check_study(write_study(tmp_path, **changes))
    assert study is None
    assert any(message in p.message for p in problems), [p.message for p in problems]


def test_mixed_model_has_cluster_and_cluster_wave_effects_as_lmertest(awards, ref) -> None:
    """No respondent term (nobody is measured twice), (1 | school) + (1 | school:wave)."""
    study, panel, d = awards
    panel = panel.assign(brs=d["attempted"].astype(float).to_numpy())
    # a pseudonym recurring across waves must not link anyone
    panel.loc[panel["wave"] == "y2001", "respondent_id"] = \
        [f"r{k}" for k in range(int((panel["wave"] == "y2001").sum()))]
    table = mixed_model(panel, study, scales="brs", site_effect=True).set_index("term")
    r = ref["lmm_school_year"]
    for wave, term in (("y2001", "w1:treated"), ("y2002", "w2:treated")):
        row, k = table.loc[f"intervention x {wave}"], r["terms"].index(term)
        for column in ("estimate", "se"):
            np.testing.assert_allclose(row[column], r[column][k], rtol=1e-5, err_msg=column)
        np.testing.assert_allclose(row["df"], r["df"][k], rtol=1e-4)
        assert "no respondent random effect" in row["note"]
        assert row["n_respondents"] == len(panel) and row["n_clusters"] == 35
    vc = dict(zip(r["vc_grp"], r["vc_vcov"], strict=True))
    np.testing.assert_allclose(table.loc["var_cluster", "estimate"], vc["school_id"], rtol=1e-5)
    np.testing.assert_allclose(table.loc["var_cluster_wave", "estimate"], vc["school_id:year"],
                               rtol=1e-5)
    np.testing.assert_allclose(table.loc["var_residual", "estimate"], vc["Residual"], rtol=1e-5)
    ols = mixed_model(panel, study, scales="brs").set_index("term")
    assert ols.loc["intervention x y2001", "se"] < table.loc["intervention x y2001", "se"]
    with pytest.raises(AnalysisError, match="measures each respondent once"):
        mixed_model(panel.assign(months=0.0), study, scales="brs", time="months",
                    random_slope=True)


def test_swapping_the_groups_flips_the_sign_and_keeps_the_se(awards) -> None:
    study, panel, _ = awards
    swapped = panel.assign(group=panel["group"].map({"interventie": "controle",
                                                     "controle": "interventie"}))
    a = cross_section_did(panel, study, post="y2002").iloc[0]
    b = cross_section_did(swapped, study, post="y2002").iloc[0]
    np.testing.assert_allclose(b["estimate"], -a["estimate"], rtol=1e-10)
    np.testing.assert_allclose(b["se"], a["se"], rtol=1e-10)
    np.testing.assert_allclose(b["df"], a["df"], rtol=1e-10)
    rescaled = cross_section_did(panel.assign(brs=10 + 3 * panel["brs"]), study,
                                 post="y2002").iloc[0]
    np.testing.assert_allclose(rescaled["effect_size"], a["effect_size"], rtol=1e-10)


def test_panel_design_with_single_observations_keeps_the_site_term_as_lme4(tmp_path: Path,
                                                                          awards, ref) -> None:
    """A controlled (panel) design whose respondents each have one observation: the
    respondent term is dropped with a note, the site intercept stays (lmerTest values)."""
    study = load_study(write_study(tmp_path, design="controlled"))
    _, panel, d = awards
    panel = panel.assign(brs=d["attempted"].astype(float).to_numpy(),
                         site=d["school_id"].astype(str).to_numpy())
    table = mixed_model(panel, study, scales="brs", site_effect=True).set_index("term")
    r = ref["lmm_school"]
    for wave, term in (("y2001", "w1:treated"), ("y2002", "w2:treated")):
        row, k = table.loc[f"intervention x {wave}"], r["terms"].index(term)
        np.testing.assert_allclose(row["estimate"], r["estimate"][k], rtol=1e-5)
        np.testing.assert_allclose(row["se"], r["se"][k], rtol=1e-5)
        np.testing.assert_allclose(row["df"], r["df"][k], rtol=1e-4)
        assert "every group has one observation" in row["note"]
    vc = dict(zip(r["vc_grp"], r["vc_vcov"], strict=True))
    np.testing.assert_allclose(table.loc["var_site", "estimate"], vc["school_id"], rtol=1e-5)


def test_cluster_counts_are_suppressed_with_their_complement() -> None:
    """A small neighbourhood is hidden, and so is the next smallest, so that the total minus
    the shown neighbourhoods never reveals it."""
    counts = pd.DataFrame({"cluster": "site", "cluster_value": ["a", "b", "c", "all"],
                           "group": "g", "wave": "t0", "n": [3, 40, 25, 68]})
    out = suppressed_counts(counts, 10).set_index("cluster_value")
    assert out["suppressed"].to_dict() == {"a": True, "b": False, "c": True, "all": False}
    assert out["n"].isna().sum() == 2 and out.loc["all", "n"] == 68
    tiny = suppressed_counts(counts.assign(n=[3, 2, 1, 6]), 10).set_index("cluster_value")
    assert tiny["suppressed"].all()


def test_study_effects_and_register_rows_keep_the_clusters(awards, ref) -> None:
    """The whole study's effect of a repeated cross-section (register rows, evidence) is the
    CR2 difference in differences over the real clusters, not a model of one merged site."""
    from evaltools.analysis.evidence import study_evidence
    from evaltools.analysis.synthesis import SITE_EFFECT_COLUMNS, site_effects, study_effects
    from evaltools.register.columns import COLUMNS

    study, panel, _ = awards
    whole = study_effects(panel, study, post="y2001")
    did = cross_section_did(panel, study, post="y2001").iloc[0]
    assert list(whole.columns) == SITE_EFFECT_COLUMNS and len(whole) == 1
    row = whole.iloc[0]
    assert (row["site"], row["effect_size_type"], row["note"]) == ("all", "hedges_g_did", "")
    np.testing.assert_allclose(row["effect_size"], did["effect_size"], rtol=1e-12)
    np.testing.assert_allclose(row["p_value"], ref["did_2x2"]["p_value"][
        ref["did_2x2"]["terms"].index("treated:post")], rtol=1e-8)
    np.testing.assert_allclose(row["se"], (did["effect_size_ci_high"]
                                           - did["effect_size_ci_low"]) / (2 * 1.959963984540054),
                               rtol=1e-9)
    # the per-site rows of the one site equal the whole study here (one site, 35 schools)
    np.testing.assert_allclose(site_effects(panel, study, post="y2001")["effect_size"],
                               row["effect_size"], rtol=1e-12)
    evidence = study_evidence(panel, study, post="y2001")
    np.testing.assert_allclose(evidence["effect_size"], row["effect_size"], rtol=1e-12)
    enums = {c.name: c.enum for c in COLUMNS}
    assert study.design in enums["design"] and "hedges_g_did" in enums["effect_size_type"]

"""Baseline covariates (study.yml analysis.covariates): declared, checked, ingested, and
adjusted for in ANCOVA and difference in differences."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import yaml
from numpy.testing import assert_allclose

from evaltools.analysis.effects import ancova, arm_omnibus, diff_in_diff
from evaltools.analysis.effects.common import paired
from evaltools.data.ingest import ingest
from evaltools.data.panel import load_panel
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.study.contrasts import describe_contrasts, planned_contrasts
from evaltools.study.load import check_study, load_study

#: The same least-squares fit along two routes.
RTOL = 1e-9
COVARIATES = ["invulduur_min", {"column": "leeftijdsgroep"}]


def _declare(data: dict) -> None:
    data["data"]["ignore"] = []
    data.setdefault("analysis", {})["covariates"] = COVARIATES


@pytest.fixture(scope="module")
def adjusted(demo_dir, tmp_path_factory):
    """The demo study with two covariates (one numeric, one a subgroup), ingested."""
    folder = tmp_path_factory.mktemp("covariates") / "study"
    shutil.copytree(demo_dir, folder)
    path = folder / "study.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    _declare(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    study = load_study(folder)
    if not default_key_file(study.id).exists():
        create_key(study)
    ingest(study)
    return study, load_panel(study)


def test_declared_covariates_reach_the_panel(adjusted):
    study, panel = adjusted
    assert study.analysis.covariates == ("invulduur_min", "leeftijdsgroep")
    assert study.analysis.factor_covariates == ("leeftijdsgroep",)  # a subgroup: codes
    assert panel["invulduur_min"].dtype.kind == "f" and panel["invulduur_min"].notna().all()
    assert "ANCOVA adjusted for: baseline score, invulduur_min, leeftijdsgroep" in \
        describe_contrasts(study)
    assert planned_contrasts(study) == [{"intervention": "interventie",
                                         "comparison": "controle"}]


def test_ancova_adjusts_for_the_covariates(adjusted):
    study, panel = adjusted
    with_cov = ancova(panel, study, post="t1", scales="brs").iloc[0]
    without = ancova(panel, study, post="t1", scales="brs", covariates=[]).iloc[0]
    data = paired(panel, "brs", "t0", "t1", extra=["invulduur_min", "leeftijdsgroep"])
    data = data.assign(treated=(data["group"] == "interventie").astype(float)).dropna()
    fit = smf.ols("post ~ treated + pre + invulduur_min + C(leeftijdsgroep)", data).fit()
    assert_allclose([with_cov["estimate"], with_cov["se"], with_cov["df"]],
                    [fit.params["treated"], fit.bse["treated"], fit.df_resid], rtol=RTOL)
    assert with_cov["n"] == len(data)
    assert with_cov["df"] == without["df"] - 4  # one numeric term and 3 age-band contrasts
    omnibus = arm_omnibus(panel, study, post="t1", scales="brs")
    assert omnibus.loc[0, "covariates"] == "pre, invulduur_min, leeftijdsgroep"
    assert_allclose(omnibus.loc[0, "statistic"], fit.tvalues["treated"] ** 2, rtol=RTOL)


def test_diff_in_diff_adjusts_for_the_covariates(adjusted):
    study, panel = adjusted
    row = diff_in_diff(panel, study, post="t1", scales="who5").iloc[0]
    data = paired(panel, "who5", "t0", "t1", extra=["invulduur_min", "leeftijdsgroep"])
    data = data.assign(treated=(data["group"] == "interventie").astype(float),
                       change=lambda x: x["post"] - x["pre"]).dropna()
    fit = smf.ols("change ~ treated + invulduur_min + C(leeftijdsgroep)", data).fit()
    assert_allclose([row["estimate"], row["se"], row["p_value"]],
                    [fit.params["treated"], fit.bse["treated"], fit.pvalues["treated"]],
                    rtol=RTOL)
    plain = diff_in_diff(panel, study, post="t1", scales="who5", covariates=[]).iloc[0]
    assert not np.isclose(plain["estimate"], row["estimate"])


def test_covariates_that_are_not_baseline_columns_are_refused(edit_study):
    def change(data):
        data["analysis"] = {"covariates": ["naam", "resp_nr", {"column": "x", "type": "size"}]}
    _, problems = check_study(edit_study(change))
    text = "\n".join(f"{p.location}: {p.message}" for p in problems)
    assert "analysis.covariates[0]: this column is an identifier" in text
    assert "analysis.covariates[1]: this column is data.columns.respondent_id" in text
    assert "analysis.covariates[2]" in text  # the schema: an unknown type


def test_study_effects_stay_unadjusted_when_covariates_are_declared(adjusted):
    """The evidence's study-level effect is d_ppc2 of the unadjusted difference in
    differences (site_effects of the study as one site), also where study.yml declares
    covariates: study_effects takes it from diff_in_diff without covariates, and from the
    kept fit of a report's panel."""
    from evaltools.analysis.effects import diff_in_diff
    from evaltools.analysis.effects.common import keep_pairs
    from evaltools.analysis.synthesis import as_one_site, site_effects, study_effects

    study, panel = adjusted
    site = study.sites[0].id
    for part in (panel, panel[panel["site"] == site]):
        expected = site_effects(part.assign(site="all"), as_one_site(study), post="t1")
        pd.testing.assert_frame_equal(study_effects(keep_pairs(part.copy()), study,
                                                    post="t1"), expected, check_exact=True)
    adjusted_p = diff_in_diff(panel, study, post="t1")["p_value"].to_numpy()
    assert not (adjusted_p == study_effects(panel, study, post="t1")["p_value"].to_numpy()).all()

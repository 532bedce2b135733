"""A three-arm study (two intervention arms and a control group): no arm is dropped anywhere,
from the analyses through the register and the overview to the rendered reports."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from evaltools.analysis.effects import (
    AnalysisError,
    ancova,
    arm_omnibus,
    baseline_equivalence,
    cluster_robust,
    diff_in_diff,
    mixed_model,
    sensitivity,
)
from evaltools.analysis.evidence import classify_register, study_evidence
from evaltools.analysis.findings import primary_estimates
from evaltools.analysis.synthesis import register_synthesis, site_synthesis
from evaltools.cli.main import cli
from evaltools.data.ingest import ingest
from evaltools.data.panel import load_panel
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.demo.files import generate_demo_study
from evaltools.demo.simulate import DEMO_SECOND_ARM, THREE_ARMS
from evaltools.register import Register
from evaltools.register.collect import collect
from evaltools.reports.notebook import Report
from evaltools.reports.render import render_report
from evaltools.study.load import load_study

PAIRS = {("interventie", "controle"), ("interventie_b", "controle")}


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """A small generated three-arm demo study (2 sites), ingested, and its panel."""
    folder = tmp_path_factory.mktemp("three-arm") / "study"
    generate_demo_study(folder, seed=5, n_sites=2, size=(60, 80),
                        second_arm=dict(DEMO_SECOND_ARM))
    study = load_study(folder)
    if default_key_file(study.id).exists():
        default_key_file(study.id).unlink()
    create_key(study)
    ingest(study)
    return study, load_panel(study)


def _pairs(frame: pd.DataFrame) -> set:
    return set(zip(frame["intervention"], frame["comparison"], strict=True))


def test_validate_states_every_contrast(three):
    study, _ = three
    result = CliRunner().invoke(cli, ["validate", str(study.folder)])
    assert result.exit_code == 0, result.output
    assert "contrasts (2, each in every report" in result.output
    assert "interventie vs. controle; interventie_b vs. controle" in result.output
    assert "omnibus across the 3 arms" in result.output


def test_the_study_declares_three_arms_and_two_contrasts(three):
    study, panel = three
    assert [g.id for g in study.groups] == list(THREE_ARMS)
    assert set(study.contrasts) == PAIRS
    assert set(panel["group"]) == set(THREE_ARMS)


def test_every_analysis_compares_every_intervention_arm(three):
    study, panel = three
    for frame in (ancova(panel, study, post="t1"), diff_in_diff(panel, study, post="t1"),
                  baseline_equivalence(panel, study, post="t1"),
                  primary_estimates(panel, study, post="t1"),
                  study_evidence(panel, study, post="t1"),
                  site_synthesis(panel, study, post="t1")[1]):
        assert _pairs(frame) == PAIRS
        assert frame.groupby(["intervention", "comparison"]).size().nunique() == 1


def test_pairwise_ancova_comes_from_the_one_three_arm_model(three):
    """Both contrasts share the residual df of the model with all three arms."""
    study, panel = three
    table = ancova(panel, study, post="t1", scales="brs")
    omnibus = arm_omnibus(panel, study, post="t1", scales="brs")
    head = omnibus[omnibus["row"] == "omnibus"].iloc[0]
    means = omnibus[omnibus["row"] == "adjusted_mean"].set_index("group")["estimate"]
    assert list(means.index) == list(THREE_ARMS)
    assert head["df"] == 2 and head["n"] == means.size * 0 + omnibus.loc[
        omnibus["row"] == "adjusted_mean", "n"].sum()
    assert (table["df"] == head["df_residual"]).all()
    for r in table.itertuples():  # a contrast is the difference of the adjusted means
        assert r.estimate == pytest.approx(means[r.intervention] - means[r.comparison])
    # the second arm's true resilience effect is the larger one, and it is found
    b = table.set_index("intervention").loc["interventie_b"]
    assert b["ci_low"] > 0


def test_longitudinal_models_never_pool_the_arms_silently(three):
    study, panel = three
    with pytest.raises(AnalysisError, match="2 contrasts .interventie vs. controle; "
                                            "interventie_b vs. controle.*pass arms="):
        mixed_model(panel, study, scales="brs")
    with pytest.raises(AnalysisError, match="pass arms="):
        sensitivity(panel, study, scale="brs", m=2)
    with pytest.raises(AnalysisError, match="'controle' is not a intervention arm"):
        cluster_robust(panel, study, scales="brs", arms=("controle", "interventie"))
    a = cluster_robust(panel, study, scales="brs", arms=("interventie", "controle"))
    b = cluster_robust(panel, study, scales="brs", arms=("interventie_b", "controle"))
    counts = panel[panel["brs"].notna()].groupby("group").size()
    assert a["n_obs"].iloc[0] == counts["interventie"] + counts["controle"]
    assert b["n_obs"].iloc[0] == counts["interventie_b"] + counts["controle"]
    assert a["estimate"].iloc[0] != b["estimate"].iloc[0]


def test_register_rows_and_overview_keep_both_arms(three, tmp_path):
    study, panel = three
    rows = collect(study, panel, recorded_at="2026-01-01T00:00:00Z")
    whole = rows[rows["site"] == "all"]
    assert set(zip(whole["arm"], whole["comparison_arm"], strict=True)) == PAIRS
    names = {"Sterk in de Wijk (Interventiegroep A)",
             "Sterk in de Wijk (Interventiegroep B (verkort))"}
    assert set(whole["intervention"]) == names
    assert whole["result_id"].is_unique
    with Register(f"sqlite:///{tmp_path / 'register.sqlite'}") as register:
        register.add(rows)
        back = register.read()
    assert len(back) == len(rows) and set(back["arm"]) == {"interventie", "interventie_b"}
    # the overview pools and classifies per intervention name: each arm is its own entry
    _, pooled = register_synthesis(back)
    assert set(pooled["intervention"]) == names
    levels = classify_register(back[back["site"] == "all"])
    assert set(levels["intervention"]) == names


def test_reports_render_every_arm_in_the_demo_layout(three, tmp_path):
    study, _ = three
    template = "controlled"
    render_report(study, template, site="all", wave="t1", language="en",
                  reports_dir=tmp_path)
    folder = tmp_path / "veerkracht-demo" / "t1" / "all" / template
    html = (folder / "report.html").read_text("utf-8")
    for label in ("Intervention group A vs. Comparison group",
                  "Intervention group B (short) vs. Comparison group"):
        assert label in html
    assert "All arms together" in html  # the omnibus across the three arms
    assert "<h2>Subgroups</h2>" in html and "Gender" in html  # declared subgroups
    subgroups = pd.read_csv(folder / "tables" / "subgroups_geslacht.csv")
    assert _pairs(subgroups) == PAIRS
    shown = subgroups[~subgroups["suppressed"] & (subgroups["subgroup_value"] != "interaction")]
    assert (shown["n"] >= study.min_cell_size).all()
    comparison = pd.read_csv(folder / "tables" / "comparison.csv")
    assert _pairs(comparison) == PAIRS
    omnibus = pd.read_csv(folder / "tables" / "omnibus.csv")
    assert set(omnibus["group"].dropna()) == set(THREE_ARMS)


def test_prepost_report_shows_each_arm_per_subgroup(three):
    """The prepost template's subgroup section: each intervention arm's change per value."""
    study, _ = three
    report = Report.open(str(study.folder), "prepost", site="all", wave="t1", language="nl")
    html = report.subgroups().data
    assert "<h2>Subgroepen</h2>" in html and "Leeftijdsgroep" in html
    assert "Interventiegroep A" in html and "Interventiegroep B (verkort)" in html
    kept = {shown.name: shown.frame for shown in report.tables}
    table = kept["subgroups_leeftijdsgroep"]
    assert set(table["group"]) == {"interventie", "interventie_b"}
    assert set(table["subgroup_value"]) <= {"18-29", "30-44", "45-64", "65+"}
    visible = table[~table["suppressed"]]
    assert len(visible) and (visible["n"] >= study.min_cell_size).all()

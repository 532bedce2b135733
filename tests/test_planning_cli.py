"""Planning inputs from earlier data, the planning question, and ``evaltools plan``."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from evaltools.analysis.planning import (
    PlanDesign,
    PlanningError,
    PlanningQuestion,
    anova_icc,
    answer_question,
    design_from_inputs,
    planning_inputs,
)
from evaltools.cli.main import cli

TOL = 1e-12


def test_anova_icc_by_hand():
    """Balanced: 3 clusters of 2, MSB = 2 * var(means) and MSW from the pooled deviations.
    y = (1, 3 | 4, 6 | 7, 11): means 2, 5, 9; MSB = 2 * 12.333 = 24.667; MSW = (2+2+8)/3 = 4;
    ICC(1) = (24.667 - 4) / (24.667 + 4) = 0.72093 (Shrout & Fleiss 1979, ICC(1,1))."""
    icc, n0 = anova_icc(np.array([1, 3, 4, 6, 7, 11.0]), np.array([0, 0, 1, 1, 2, 2]))
    assert n0 == 2
    assert_allclose(icc, (74 / 3 - 4) / (74 / 3 + 4), rtol=TOL)
    assert anova_icc(np.array([1.0, 2.0]), np.array([0, 0]))[0] != anova_icc(
        np.array([1.0, 2.0]), np.array([0, 0]))[0]  # NaN with one cluster


def test_inputs_recover_the_simulated_demo_study(ingested_demo):
    """The demo simulator's latent test-retest correlation is 0.65 (attenuated by items),
    retention to post is about 0.8 and the site SD is 0.15 (ICC about 0.02)."""
    study, panel = ingested_demo
    inputs = planning_inputs(study, scales="brs", panel=panel)
    assert list(inputs["wave"]) == ["t1", "t2"]
    post = inputs.iloc[0]
    assert 0.4 < post["r_pre_post"] < 0.65
    assert 0.7 < post["retention"] < 0.85 and post["attrition"] == 1 - post["retention"]
    assert 0 <= post["icc"] < 0.1
    design = design_from_inputs(PlanDesign("ancova"), inputs, scale="brs")
    assert design.attrition == tuple(round(a, 4) for a in inputs["attrition"])
    with pytest.raises(PlanningError, match="no planning inputs for scale 'who5'"):
        design_from_inputs(PlanDesign("ancova"), inputs, scale="who5")


def test_question_round_trips_and_answers():
    q = PlanningQuestion.from_mapping({"design": "cluster_randomised", "icc": 0.05,
                                       "cluster_size": 20, "effect": 0.3, "clusters": 16,
                                       "attrition": 0.1})
    assert PlanningQuestion.from_json(q.to_json()) == q
    tables = answer_question(q)
    assert tables["required"]["power"].iloc[0] >= 0.8
    assert set(tables["choices"]["choice"]) >= {"planned", "icc=0.1", "no_attrition"}
    assert tables["curve"]["power"].is_monotonic_increasing
    with pytest.raises(PlanningError, match="unknown keys"):
        PlanningQuestion.from_mapping({"design": "ancova", "efect": 0.2})


def test_plan_command_prints_the_answer_without_a_study():
    result = CliRunner().invoke(cli, ["plan", "--design", "ancova", "--effect", "0.5",
                                      "--no-report"])
    assert result.exit_code == 0, result.output
    assert "required: 128 persons enrolled" in result.output
    bad = CliRunner().invoke(cli, ["plan", "--effect", "0.5", "--no-report"])
    assert bad.exit_code == 1 and "no design to plan" in bad.output


def test_plan_renders_a_dutch_report_for_the_demo_design(ingested_demo, tmp_path):
    """The demo study's design (6 sites, persons assigned within sites), with assumptions from
    its own data (--from) and a small simulation check."""
    study, _ = ingested_demo
    folder = tmp_path / "study"
    shutil.copytree(study.folder, folder, ignore=shutil.ignore_patterns("store"))
    with (folder / "study.yml").open("a", encoding="utf-8") as fh:
        fh.write("\nplanning:\n  design: multisite\n  effect: 0.2\n  clusters: 6\n"
                 "  cluster_size: 300\n  omega: 0.5\n")
    result = CliRunner().invoke(cli, [
        "plan", str(folder), "--from", str(study.folder), "--scale", "brs",
        "--simulate", "6", "--seed", "3", "--reports-dir", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output
    assert "assumptions from" in result.output and "simulation (6 studies" in result.output
    page = (tmp_path / "reports" / "veerkracht-demo" / "planning" / "report.html").read_text(
        "utf-8")
    for text in ("Het antwoord", "Aannames uit eerdere gegevens",
                 "Kleinste aantoonbaar effect per ontwerpkeuze", "Controle door simulatie",
                 "<img"):
        assert text in page, text
    tables = tmp_path / "reports" / "veerkracht-demo" / "planning" / "tables"
    assert {"required.csv", "power_curve.csv", "mdes_by_choice.csv"} <= {
        p.name for p in tables.iterdir()}

"""A repeated cross-sectional demo study (a neighbourhood monitor) end to end: generated with
design repeated_cross_section, ingested, and its reports rendered in the demo's folder layout,
without pairs, participant flow, reliable change, attrition or ANCOVA."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evaltools.data.ingest import ingest
from evaltools.data.panel import load_panel
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.demo.files import generate_demo_study
from evaltools.reports.notebook import ReportParameterError
from evaltools.reports.render import render_report
from evaltools.study.load import load_study

DESIGN = "repeated_cross_section"


@pytest.fixture(scope="module")
def monitor(tmp_path_factory) -> Path:
    """Eight neighbourhoods (4 intervention, 4 comparison), new residents every wave."""
    folder = tmp_path_factory.mktemp("monitor") / "study"
    generate_demo_study(folder, seed=5, design=DESIGN, size=(40, 55))
    study = load_study(folder)
    if default_key_file(study.id).exists():
        default_key_file(study.id).unlink()
    create_key(study)
    ingest(study)
    return folder


@pytest.fixture(scope="module")
def rendered(monitor: Path, tmp_path_factory) -> Path:
    """Every report the monitor's study.yml asks for, where `make demo` puts them."""
    reports = tmp_path_factory.mktemp("reports")
    for spec in load_study(monitor).reports:
        for wave in (spec.waves[:1] if spec.template != "data_quality" else [""]):
            render_report(monitor, spec.template, site="all", wave=wave, reports_dir=reports)
    return reports


def test_generated_monitor_has_new_respondents_every_wave(monitor: Path) -> None:
    study = load_study(monitor)
    assert study.design == DESIGN and study.analysis.cluster == "site"
    assert [r.template for r in study.reports] == ["data_quality", "controlled"]
    panel = load_panel(study)
    assert panel.groupby("respondent_id")["wave"].nunique().max() == 1
    per_site = panel.groupby("site")["group"].nunique()
    assert (per_site == 1).all() and len(per_site) == 8
    truth = pd.read_csv(monitor / "truth" / "participants.csv")
    assert truth[[c for c in truth.columns if c.startswith("in_")]].sum(axis=1).eq(1).all()


def test_reports_render_in_the_demo_layout_without_pairs(rendered: Path, monitor: Path) -> None:
    root = rendered / "veerkracht-demo"
    controlled = root / "t1" / "all" / "controlled"
    for folder in (controlled, root / "all-waves" / "all" / "data_quality"):
        assert (folder / "report.html").is_file(), folder
        assert (folder / "tables" / "tables.json").is_file()
    html = (controlled / "report.html").read_text("utf-8")
    assert "Opzet en respondenten per meting" in html and "CR2" in html
    assert "Uitval is niet van toepassing" in html
    for absent in ("ANCOVA", "voor- en nameting", "uitgevallen", "d_ppc2"):
        assert absent not in html, absent
    tables = {p.stem for p in (controlled / "tables").glob("*.csv")}
    assert "cross_section_counts" in tables and "participant_flow" not in tables
    assert "attrition" not in tables
    # subgroups: the difference in differences per value, the small values suppressed only
    by_sex = pd.read_csv(controlled / "tables" / "subgroups_geslacht.csv")
    shown = by_sex[~by_sex["suppressed"]]
    assert set(shown["subgroup_value"]) == {"man", "vrouw"}, by_sex["subgroup_value"].unique()
    assert shown["estimate"].notna().all() and (shown["n_clusters_intervention"] == 4).all()
    comparison = pd.read_csv(controlled / "tables" / "comparison.csv")
    assert set(comparison["method"]) == {"diff_in_diff"}
    assert set(comparison["effect_size_type"]) == {"hedges_g_did"}
    assert comparison["se"].notna().all()
    counts = pd.read_csv(controlled / "tables" / "cross_section_counts.csv")
    assert {"cluster_value", "group", "wave", "n"} <= set(counts.columns)
    with pytest.raises(ReportParameterError, match="repeated cross-section"):
        render_report(monitor, "prepost", site="all", wave="t1",
                      reports_dir=rendered / "refused")

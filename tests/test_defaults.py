"""Default reports per design when study.yml has no reports.produce; run says what it renders."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from evaltools.cli.main import cli
from evaltools.reports.layout import declared_reports
from evaltools.study.load import load_study

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_without_produce_a_pre_post_study_gets_the_default_reports() -> None:
    study = load_study(EXAMPLES / "qualtrics")
    assert study.reports_default
    assert declared_reports(study) == [("data_quality", "all", ""),
                                       ("prepost", "utrecht-overvecht", "t1")]


def test_default_set_follows_design_and_sites(edit_study) -> None:
    def drop_produce(d: dict) -> None:
        del d["reports"]["produce"]

    study = load_study(edit_study(drop_produce))
    assert study.design == "controlled" and len(study.sites) > 1 and study.reports_default
    templates = [s.template for s in study.reports]
    assert templates == ["data_quality", "prepost", "controlled", "site_overview",
                         "site_synthesis"]
    assert all(s.sites == tuple(x.id for x in study.sites) for s in study.reports)


def test_an_empty_produce_stays_empty_and_a_listed_one_is_kept(edit_study) -> None:
    listed = load_study(edit_study(lambda d: None))
    assert not listed.reports_default and len(listed.reports) == 5
    study = load_study(edit_study(lambda d: d["reports"].update(produce=[])))
    assert study.reports == () and not study.reports_default


def test_run_says_what_it_will_render(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    shutil.copytree(EXAMPLES / "qualtrics", folder)
    run = CliRunner().invoke(cli, ["run", str(folder), "--dry-run", "--no-register",
                                   "--reports-dir", str(tmp_path / "reports")])
    assert run.exit_code == 0, run.output
    assert ("reports.produce is absent in study.yml: the default set for a pre_post design: "
            "data_quality (study), prepost (per site)") in run.output
    check = CliRunner().invoke(cli, ["validate", str(folder)])
    assert "the default set for a pre_post design" in check.output
    spec = yaml.safe_load((folder / "study.yml").read_text("utf-8"))
    spec["reports"]["produce"] = []
    (folder / "study.yml").write_text(yaml.safe_dump(spec), "utf-8")
    run = CliRunner().invoke(cli, ["run", str(folder), "--dry-run", "--no-register",
                                   "--reports-dir", str(tmp_path / "reports")])
    assert "study.yml asks for no reports (reports.produce is empty)" in run.output


def test_a_repeated_cross_section_gets_only_the_templates_that_apply(tmp_path: Path) -> None:
    spec = {"schema_version": 1, "id": "rcs", "title": "Monitor",
            "intervention": {"name": "rcs", "protective_factors": ["resilience"]},
            "design": "repeated_cross_section",
            "groups": [{"id": "interventie", "role": "intervention"},
                       {"id": "controle", "role": "comparison"}],
            "waves": [{"id": "y0", "order": 0, "role": "baseline"},
                      {"id": "y1", "order": 1, "role": "post"}],
            "sites": [{"id": "a"}, {"id": "b"}], "instruments": ["brs"],
            "data": {"raw_dir": "raw", "files": [{"pattern": "*", "wave": "y0"}],
                     "columns": {"respondent_id": "id", "site": "site", "group": "group"}}}
    (tmp_path / "raw").mkdir()
    (tmp_path / "study.yml").write_text(yaml.safe_dump(spec), "utf-8")
    study = load_study(tmp_path)
    assert study.reports_default
    assert [s.template for s in study.reports] == ["data_quality", "controlled"]

"""The register across studies: pooling per intervention, the overview report, the CLI."""

import json
import shutil

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from numpy.testing import assert_allclose

from evaltools.analysis.synthesis import meta_analysis, register_synthesis
from evaltools.cli.main import cli
from evaltools.data.ingest import ingest
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.demo.files import generate_demo_study
from evaltools.register import Register
from evaltools.register.collect import collect
from evaltools.study.load import load_study


@pytest.fixture(scope="module")
def two_studies(demo_dir, tmp_path_factory):
    """The session demo study and a second study of the same intervention (another seed and
    organisation), both ingested: their register rows."""
    base = tmp_path_factory.mktemp("two")
    first = base / "first"
    shutil.copytree(demo_dir, first)
    second = base / "second"
    generate_demo_study(second, seed=12, n_sites=3, size=(60, 90))
    data = yaml.safe_load((second / "study.yml").read_text("utf-8"))
    data["id"] = "veerkracht-tweede"
    data["evidence"]["organisation"] = "Gemeente Voorbeeld"
    (second / "study.yml").write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                                      "utf-8")
    rows = []
    for folder in (first, second):
        study = load_study(folder)
        if not default_key_file(study.id).exists():
            create_key(study)
        ingest(study)
        rows.append(collect(study))
    return base, pd.concat(rows, ignore_index=True)


def test_two_studies_are_pooled_across_studies(two_studies):
    _, rows = two_studies
    inputs, pooled = register_synthesis(rows)
    assert set(pooled["unit"]) == {"study"} and (pooled["k"] == 2).all()
    assert set(inputs["label"]) == {"veerkracht-demo", "Gemeente Voorbeeld / veerkracht-tweede"}
    assert set(inputs["wave_post"]) == {"t1"}  # each study's post-test, not its follow-up
    brs = inputs[inputs["scale"] == "brs"]
    direct = meta_analysis(brs, test="knha").iloc[0]
    got = pooled.set_index("scale").loc["brs"]
    assert_allclose(got["estimate"], direct["estimate"])
    assert got["df"] == 1


def test_one_study_is_pooled_across_its_sites(two_studies):
    _, rows = two_studies
    one = rows[rows["study"] == "veerkracht-demo"]
    inputs, pooled = register_synthesis(one)
    assert set(pooled["unit"]) == {"site"} and (pooled["k"] == 3).all()
    assert "all" not in set(inputs["site"])


def test_overview_report_and_cli(two_studies):
    base, rows = two_studies
    runner = CliRunner()
    url = f"sqlite:///{base / 'register.sqlite'}"
    export = base / "pooled.csv"
    with Register(url) as register:
        register.add(rows)
    out = runner.invoke(cli, ["register", "show", "--register", url, "--json"])
    assert out.exit_code == 0, out.output
    shown = json.loads(out.output)
    assert shown["interventions"]["Sterk in de Wijk"]["studies"] == [
        "veerkracht-demo", "veerkracht-tweede"]
    out = runner.invoke(cli, ["register", "export", str(export), "--register", url])
    assert out.exit_code == 0 and f"wrote {len(rows)} results" in out.output
    other = f"sqlite:///{base / 'other.sqlite'}"
    for expected in (f"{len(rows)} results added", "0 results added"):
        out = runner.invoke(cli, ["register", "import", str(export), "--register", other])
        assert out.exit_code == 0 and expected in out.output, out.output
    reports = base / "reports"
    out = runner.invoke(cli, ["overview", "--register", url, "--reports-dir", str(reports)])
    assert out.exit_code == 0, out.output
    nl = (reports / "wat-werkt" / "nl" / "report.html").read_text("utf-8")
    en = (reports / "wat-werkt" / "en" / "report.html").read_text("utf-8")
    assert "Wat werkt" in nl and "What works" in en
    assert nl.count("data:image/png;base64") == rows[["scale"]].drop_duplicates().shape[0]
    assert "indicatie van evaltools" in nl and "indication by evaltools" in en
    for page in (nl, en):
        assert str(base) not in page and "sqlite" not in page and "<script" not in page
    tables = json.loads((reports / "wat-werkt" / "en" / "tables" / "tables.json").read_text())
    assert {"pooled", "inputs", "levels"} <= set(tables)
    assert all(r["k"] == 2 for r in tables["pooled"])
    assert "Gemeente Voorbeeld / veerkracht-tweede" in {r["label"] for r in tables["inputs"]}


def test_bad_register_calls_exit_1_with_a_message(tmp_path):
    runner = CliRunner()
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    out = runner.invoke(cli, ["overview", "--register", empty, "--reports-dir",
                              str(tmp_path / "r")])
    assert out.exit_code == 1 and "holds no results yet" in out.output
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent_id,score\np1,3\n", "utf-8")
    out = runner.invoke(cli, ["register", "import", str(bad), "--register", empty])
    assert out.exit_code == 1
    assert "columns not in the register schema: respondent_id, score" in out.output
    assert "Traceback" not in out.output


def test_many_outcomes_get_one_summary_plot_per_factor(two_studies):
    from evaltools.reports.overview import render_overview

    base, rows = two_studies
    with Register(f"sqlite:///{base / 'summary.sqlite'}") as register:
        register.add(rows)
        page = render_overview(register, reports_dir=base / "summary", language="en",
                               max_forest_plots=5)
    text = page.html.read_text("utf-8")
    assert text.count("data:image/png;base64") == rows["protective_factor"].nunique()
    assert "each protective factor has one summary figure" in text

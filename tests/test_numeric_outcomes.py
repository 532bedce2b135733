"""Numeric and count outcomes (issue 15.4): an instrument whose items are numbers in a range
(weight in kg with one decimal, days absent) is checked, validated on ingest, scored, analysed
and reported like any scale."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from numpy.testing import assert_allclose

import evaltools.reports.notebook as notebook
from evaltools import InstrumentDefinitionError, load_instrument
from evaltools.analysis.effects import within_change
from evaltools.data.ingest import check_data, ingest
from evaltools.data.panel import load_panel
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.instruments import render_codebook, score_scales
from evaltools.instruments.answers import check_answers
from evaltools.instruments.model import ResponseScale
from evaltools.instruments.scoring import ScoringError
from evaltools.reports.render import render_report
from evaltools.study.load import load_study
from tests.numeric_study import INSTRUMENT, write_numeric_study

ATOL = 1e-9


@pytest.fixture
def numeric_study(tmp_path: Path) -> Path:
    return write_numeric_study(tmp_path / "study")


def _instrument(tmp_path: Path, change=None) -> Path:
    d = yaml.safe_load(INSTRUMENT)
    if change is not None:
        change(d)
    path = tmp_path / "body.yml"
    path.write_text(yaml.safe_dump(d, sort_keys=False), "utf-8")
    return path


def test_numeric_instrument_loads_and_scores(tmp_path: Path) -> None:
    inst = load_instrument(_instrument(tmp_path))
    kg = inst.response_scales["kg"]
    assert (kg.kind, kg.low, kg.high, kg.decimals) == ("numeric", 30, 200, 1)
    data = pd.DataFrame({"respondent_id": ["a", "b", "c"], "weight": [72.5, -9, 101.0],
                         "absent": [0, 3, np.nan]})
    scores = score_scales(data, inst).set_index(["scale", "respondent_id"])["score"]
    assert_allclose(scores.loc["weight"].to_numpy(), [72.5, np.nan, 101.0], atol=ATOL)
    assert_allclose(scores.loc["absent"].to_numpy(), [0, 3, np.nan], atol=ATOL)
    bad = pd.DataFrame({"weight": [72.55, 250.0], "absent": [1.5, 2]})
    with pytest.raises(ScoringError) as info:
        score_scales(bad, inst)
    text = str(info.value)
    assert "row 0, column weight" in text and "more decimals" in text
    assert "row 1, column weight" in text and "outside the response scale" in text
    assert "row 0, column absent" in text and "a whole number from 0 to 60" in text


def test_reversed_numeric_item_mirrors_its_range(tmp_path: Path) -> None:
    def change(d):
        d["items"][1]["reverse"] = True
    inst = load_instrument(_instrument(tmp_path, change))
    scores = score_scales(pd.DataFrame({"weight": [80.0], "absent": [5]}), inst)
    assert scores.set_index("scale").loc["absent", "score"] == 60 - 5


@pytest.mark.parametrize(("change", "location", "pattern"), [
    (lambda d: d["response_scales"]["kg"].pop("max"), "response_scales.kg", r"needs 'min' and"),
    (lambda d: d["response_scales"]["kg"].update(labels={1: {"nl": "a", "en": "a"}}),
     "response_scales.kg", r"not labelled values"),
    (lambda d: d["response_scales"]["days"].update(decimals=1),
     "response_scales.days.decimals", r"a count has no decimals"),
    (lambda d: d["response_scales"]["kg"].update(missing={99: {"nl": "x", "en": "x"}}),
     "response_scales.kg.missing.99", r"outside the range"),
    (lambda d: d["response_scales"]["kg"].update(min=250), "response_scales.kg.max",
     r"max must be above min"),
    (lambda d: d["items"][0].update(recode={1: 0}), "items[0].recode", r"categorical"),
    (lambda d: d["scales"][0].update(range=[0, 10]), "scales[0].range", r"\[30, 200\]"),
    (lambda d: d["response_scales"].update(agree={"values": [1, 2]}), "response_scales.agree",
     r"'values' and 'labels'"),
], ids=["no max", "labels", "count decimals", "missing code in range", "min above max",
        "recode", "range", "categorical without labels"])
def test_broken_numeric_definitions_are_located(tmp_path: Path, change, location: str,
                                                pattern: str) -> None:
    with pytest.raises(InstrumentDefinitionError) as info:
        load_instrument(_instrument(tmp_path, change))
    hits = [p for p in info.value.problems if p.location == location]
    assert hits, [p.describe() for p in info.value.problems]
    assert any(re.search(pattern, p.describe()) for p in hits), [p.describe() for p in hits]


def test_answer_check_tolerates_float_noise() -> None:
    kg = ResponseScale("kg", (), {}, {}, kind="numeric", minimum=0, maximum=200, decimals=1)
    check = check_answers(kg, np.array([72.3, 0.1 + 0.2, 200.0, 200.05]))
    assert check.answer.tolist() == [True, True, True, False]
    assert check.off_scale.tolist() == [False, False, False, True]


def test_ingest_refuses_off_range_and_too_precise_values(numeric_study: Path) -> None:
    raw = numeric_study / "data" / "raw" / "t1.csv"
    frame = pd.read_csv(raw, sep=";", dtype=str)
    frame.loc[3, "weight"] = "72,55"
    frame.loc[4, "absent"] = "400"
    frame.to_csv(raw, sep=";", index=False)
    result = check_data(numeric_study)
    outcome = {o.file: o for o in result.outcomes}["data/raw/t1.csv"]
    described = [p.describe() for p in outcome.problems if p.severity == "error"]
    assert any("row 5, column weight" in d and "more decimals" in d for d in described), described
    assert any("row 6, column absent" in d and "outside the response scale" in d
               for d in described), described
    assert {o.file: o.errors for o in result.outcomes}["data/raw/t0.csv"] == 0


def test_numeric_outcome_end_to_end(numeric_study: Path, monkeypatch) -> None:
    study = load_study(numeric_study)
    if not default_key_file(study.id).exists():
        create_key(study)
    result = ingest(study)
    assert result.ok, result.summary()
    panel = load_panel(study)
    change = within_change(panel, study, post="t1").set_index("scale")
    raw = {w: pd.read_csv(numeric_study / "data" / "raw" / f"{w}.csv", sep=";", dtype=str)
           for w in ("t0", "t1")}
    weight = {w: pd.to_numeric(f["weight"].str.replace(",", ".")).replace(-9, np.nan)
              for w, f in raw.items()}
    diff = (weight["t1"] - weight["t0"]).dropna()
    assert change.loc["weight", "n"] == len(diff) == 39
    assert_allclose(change.loc["weight", "mean_change"], diff.mean(), atol=ATOL)
    days = {w: f["absent"].astype(float) for w, f in raw.items()}
    assert_allclose(change.loc["absent", "mean_pre"], days["t0"].mean(), atol=ATOL)
    assert np.isfinite(change.loc["absent", "g_av"]) and change.loc["absent", "g_av"] < 0

    shown: list[str] = []
    monkeypatch.setattr(notebook, "display", lambda obj: shown.append(
        getattr(obj, "data", "") if isinstance(getattr(obj, "data", ""), str) else ""))
    monkeypatch.chdir(numeric_study.parent)
    report = notebook.Report.open(str(numeric_study), "prepost", wave="t1", language="en")
    for section in ("title", "summary", "flow", "results", "comparison", "evidence",
                    "appendix", "data_quality", "methods", "save_tables"):
        getattr(report, section)()  # every cell of notebooks/prepost.ipynb, in order
    tables = {t.name: t.frame for t in report.tables}
    results = tables["results"].set_index("scale")
    assert_allclose(results.loc["weight", "mean_change"], diff.mean(), atol=ATOL)
    assert np.isfinite(results.loc["weight", "g_av"])
    # one number per person: no internal consistency, no reliable change from alpha
    assert tables["reliability"]["alpha"].isna().all()
    assert results["share_improved"].isna().all()
    html = "\n".join(shown)
    assert "Weight (kg)" in html and "Days absent" in html
    assert "nan" not in html.lower()
    quality = notebook.Report.open(str(numeric_study), "data_quality", language="en")
    quality.data_quality()
    assert quality.headline == "1.2% missing"  # no "alpha – to –": no scale has an alpha
    codebook = render_codebook(study.instruments[0], language="en")
    assert "a number from 30 to 200, to the nearest 0.1 (unit: kg)" in codebook
    assert "op 0,1 nauwkeurig" in render_codebook(study.instruments[0])
    assert "a whole number from 0 to 60" in codebook


def test_numeric_outcome_report_renders(numeric_study: Path, tmp_path: Path) -> None:
    study = load_study(numeric_study)
    if not default_key_file(study.id).exists():
        create_key(study)
    assert ingest(study).ok
    result = render_report(study, "prepost", wave="t1", language="en",
                           reports_dir=tmp_path / "reports", index=False)
    page = result.html.read_text("utf-8")
    assert "Weight (kg)" in page and "Days absent" in page and "Traceback" not in page
    tables = json.loads((result.folder / "tables" / "tables.json").read_text("utf-8"))
    weight = next(r for r in tables["results"] if r["scale"] == "weight")
    assert weight["n"] == 39 and weight["mean_change"] < 0


def test_public_numeric_outcome_ingested_and_compared_as_r(tmp_path: Path, monkeypatch) -> None:
    """MASS::anorexia (public): body weight in lbs with one decimal, family therapy (17 girls)
    against controls (26), as wave files of a controlled study with a numeric instrument.
    Ingest, scoring, ANCOVA and difference in differences give R's values
    (tests/reference/effects_r.json: ``lm(Postwt ~ treated + Prewt)``, ``car::Anova`` type II,
    ``lm(I(Postwt - Prewt) ~ treated)``; R 4.2.2, car 3.1.1)."""
    from evaltools.analysis.effects import ancova, diff_in_diff

    monkeypatch.setenv("EVALTOOLS_HOME", str(tmp_path / "home"))
    ref = json.loads((Path(__file__).parent / "reference" / "effects_r.json").read_text())
    a = ref["anorexia"]
    folder = write_numeric_study(tmp_path / "study")
    instrument = yaml.safe_load(INSTRUMENT)
    instrument["response_scales"]["kg"].update(min=60, max=120, unit={"nl": "lb", "en": "lb"})
    instrument["scales"][0].update(range=[60, 120], direction="higher_is_better")
    (folder / "surveys" / "body.yml").write_text(yaml.safe_dump(instrument), "utf-8")
    study_yml = yaml.safe_load((folder / "study.yml").read_text("utf-8"))
    study_yml.update(design="controlled", groups=[
        {"id": "ft", "role": "intervention"}, {"id": "cont", "role": "comparison"}])
    study_yml["data"]["columns"]["group"] = "treat"
    (folder / "study.yml").write_text(yaml.safe_dump(study_yml), "utf-8")
    for path in (folder / "data" / "raw").iterdir():
        path.unlink()
    for wave, key in (("t0", "pre"), ("t1", "post")):
        rows = [(f"{g}{k:02d}", g, f"{x:.1f}".replace(".", ","), 0)
                for g, values in (("ft", a[f"{key}_t"]), ("cont", a[f"{key}_c"]))
                for k, x in enumerate(values)]
        pd.DataFrame(rows, columns=["resp", "treat", "weight", "absent"]).to_csv(
            folder / "data" / "raw" / f"{wave}.csv", sep=";", index=False)
    study = load_study(folder)
    create_key(study)
    result = ingest(study)
    assert result.ok, result.summary()
    panel = load_panel(study)
    assert_allclose(np.sort(panel.loc[(panel["wave"] == "t0") & (panel["group"] == "ft"),
                                      "weight"]), np.sort(a["pre_t"]), atol=1e-9)
    anc = ancova(panel, study, scales="weight").iloc[0]
    assert_allclose([anc["estimate"], anc["se"], anc["df"], anc["p_value"]],
                    [a["ancova_estimate"], a["ancova_se"], a["ancova_df"], a["ancova_p"]],
                    rtol=1e-9)
    assert_allclose(anc["statistic"] ** 2, a["anova_f"], rtol=1e-9)
    did = diff_in_diff(panel, study, scales="weight").iloc[0]
    assert_allclose([did["estimate"], did["se"], did["p_value"]],
                    [a["did_estimate"], a["did_se"], a["did_p"]], rtol=1e-9)
    assert_allclose([did["ci_low"], did["ci_high"]], a["did_ci"], rtol=1e-9)


def test_a_study_instruments_scales_are_named_in_the_register_and_overview(
        numeric_study: Path, tmp_path: Path) -> None:
    """The instrument library does not know a study's own instrument: its scales' names travel
    with the register rows (schema 4), and the overview shows them instead of the ids."""
    from evaltools.register import Register
    from evaltools.register.collect import collect
    from evaltools.register.exchange import export_register
    from evaltools.reports.overview import Overview

    study = load_study(numeric_study)
    if not default_key_file(study.id).exists():
        create_key(study)
    assert ingest(study).ok
    rows = collect(study)
    assert not rows.empty
    named = rows.drop_duplicates("scale").set_index("scale")
    assert named.loc["weight", "scale_label_nl"] == "Gewicht (kg)"
    assert named.loc["absent", "scale_label_en"] == "Days absent"
    with Register(f"sqlite:///{tmp_path / 'register.sqlite'}") as register:
        register.add(rows)
        export_register(register, tmp_path / "export.parquet", current=True)
    for language, expected in (("nl", "Verzuimdagen"), ("en", "Days absent")):
        overview = Overview.open(str(tmp_path / "export.parquet"), language=language)
        assert overview.scale_label("absent") == expected
        assert overview.scale_label("brs") != "brs"  # the library still names its own
    old = pd.read_parquet(tmp_path / "export.parquet").drop(
        columns=["scale_label_nl", "scale_label_en"])  # a schema-3 export
    old.to_parquet(tmp_path / "old.parquet")
    assert Overview.open(str(tmp_path / "old.parquet")).scale_label("absent") == "absent"

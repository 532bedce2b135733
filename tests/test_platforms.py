"""Survey platform exports read as delivered (Qualtrics, LimeSurvey) and data.values."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from numpy.testing import assert_allclose

from evaltools.core.errors import StudyDefinitionError
from evaltools.data.codes import map_item_values
from evaltools.data.ingest import check_data, ingest
from evaltools.data.panel import load_panel
from evaltools.data.platforms import LEFT_OUT_COLUMNS, read_platform
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.data.readers import RawTable
from evaltools.study.load import load_study
from tests.tools import platform_examples as examples

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCORE_TOL = 1e-12  # the same answers must give the same scores, to rounding

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_committed_examples_are_what_the_generator_writes(tmp_path: Path) -> None:
    for path in examples.write_examples(tmp_path):
        committed = EXAMPLES / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), committed


def _hand_coded(study_dir: Path, platform: str, target: Path) -> Path:
    """The same study with the same answers typed in by hand: a plain table per wave."""
    shutil.copytree(study_dir, target, ignore=shutil.ignore_patterns("store", "raw"))
    for wave, frame in examples.answers(platform).items():
        folder = target / "data" / "raw" / wave
        folder.mkdir(parents=True)
        frame.to_csv(folder / "hand.csv", index=False, float_format="%g")
    spec = yaml.safe_load((target / "study.yml").read_text("utf-8"))
    spec["data"] = {"raw_dir": "data/raw",
                    "files": [{"pattern": f"{w}/*.csv", "wave": w} for w in ("t0", "t1")],
                    "columns": {"respondent_id": "respondent", "submitted_at": "submitted_at"},
                    "csv": {"decimal": "."}}
    (target / "study.yml").write_text(yaml.safe_dump(spec, sort_keys=False), "utf-8")
    return target


def _ingested(folder: Path):
    study = load_study(folder)
    if not default_key_file(study.id).exists():
        create_key(study)
    result = ingest(study)
    assert result.ok, result.summary()
    return study, load_panel(study)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("platform", ["qualtrics", "limesurvey"])
def test_export_gives_the_scores_of_the_hand_coded_answers(platform: str,
                                                          tmp_path: Path) -> None:
    exported = tmp_path / "export"
    shutil.copytree(EXAMPLES / platform, exported)
    raw_before = _digests(exported / "data" / "raw")
    study, panel = _ingested(exported)
    _, hand = _ingested(_hand_coded(EXAMPLES / platform, platform, tmp_path / "hand"))
    assert _digests(exported / "data" / "raw") == raw_before  # raw files untouched
    assert list(exported.glob("data/*")) == [exported / "data" / "raw"]  # no cleaned copies
    truth = examples.answers(platform)
    assert len(panel) == sum(len(f) for f in truth.values())
    scales = [s.id for inst in study.instruments for s in inst.scales]
    keys = ["respondent_id", "wave"]
    left = panel.sort_values(keys).reset_index(drop=True)
    right = hand.sort_values(keys).reset_index(drop=True)
    assert left[keys].equals(right[keys])
    assert left[scales].notna().sum().min() > 15  # scores there, not all missing
    assert_allclose(left[scales].to_numpy(float), right[scales].to_numpy(float),
                    rtol=0, atol=SCORE_TOL)
    assert_allclose(left["submitted_at"].astype("int64"), right["submitted_at"].astype("int64"))


@pytest.mark.parametrize("platform", ["qualtrics", "limesurvey"])
def test_no_ip_address_name_or_email_reaches_the_store(platform: str, tmp_path: Path) -> None:
    folder = tmp_path / "study"
    shutil.copytree(EXAMPLES / platform, folder)
    _ingested(folder)
    stored = b"".join(p.read_bytes() for p in (folder / "store").rglob("*") if p.is_file())
    assert stored  # something was stored
    ids = [i.encode() for i in examples.answers(platform)["t0"]["respondent"][:5]]
    for secret in (b"192.0.2.", b"@example.org", b"Achternaam", b"Voornaam",
                   b"example.org/nieuwsbrief", *ids):  # ids only as pseudonyms
        assert secret not in stored


def test_problem_table_says_how_many_rows_were_left_out_and_why() -> None:
    result = check_data(EXAMPLES / "qualtrics")
    assert result.ok
    t0 = next(o for o in result.outcomes if o.file.endswith("t0.csv"))
    notes = {p.message: p.found for p in t0.problems if "left out" in p.message}
    assert notes == {"1 row left out: Status is survey preview (not a respondent's response)":
                     "row 4",
                     "1 row left out: Status is spam (not a respondent's response)": "row 15",
                     "2 rows left out: unfinished response (Finished is false)": "rows 9, 21"}
    lime = check_data(EXAMPLES / "limesurvey")
    t0 = next(o for o in lime.outcomes if "415236" in o.file)
    assert [p.message for p in t0.problems] == [
        "2 rows left out: not submitted (no submitdate): the respondent did not finish"]
    assert t0.rows == len(examples.answers("limesurvey")["t0"])


def _table(columns: dict, first_row: int = 2) -> RawTable:
    return RawTable(pd.DataFrame(columns, dtype="string"), "csv", first_row)


def test_qualtrics_rows_left_out_table_and_us_dates() -> None:
    study = load_study(EXAMPLES / "qualtrics")
    raw = _table({"RecordedDate": ["Recorded Date", '{"ImportId":"recordedDate"}',
                                   "9/16/2024 14:32", "2024-09-17 08:00:00", "9/18/2024 10:05"],
                  "Status": ["Response Type", '{"ImportId":"status"}', "IP Address",
                             "Survey Test", "Imported"],
                  "Finished": ["Finished", '{"ImportId":"finished"}', "True", "True", "False"],
                  "IPAddress": ["IP Address", '{"ImportId":"ipAddress"}', "192.0.2.1",
                                "192.0.2.2", "192.0.2.3"]})
    table, left_out, problems = read_platform(raw, "qualtrics", study, "x.csv")
    assert list(left_out.columns) == LEFT_OUT_COLUMNS
    assert left_out[["row", "reason"]].values.tolist() == [
        [5, "Status is survey test (not a respondent's response)"],
        [6, "unfinished response (Finished is false)"]]
    assert table.frame["RecordedDate"].tolist() == ["2024-09-16 14:32:00"]
    assert "IPAddress" not in table.frame.columns
    assert (table.frame.index + table.first_row).tolist() == [4]
    assert all(p.severity == "warning" for p in problems)


def test_a_file_that_is_not_the_declared_export_is_refused() -> None:
    study = load_study(EXAMPLES / "limesurvey")
    table, _, problems = read_platform(_table({"resp": ["1"], "x": ["2"]}), "limesurvey",
                                       study, "t0/plain.csv")
    assert table is None
    assert "not a LimeSurvey 'Export responses' CSV" in problems[0].message
    table, _, problems = read_platform(_table({"resp": ["1"]}), "qualtrics", study, "p.csv")
    assert table is None and "'Status' and 'Finished' missing" in problems[0].message


def test_codes_labels_and_shift_become_item_values() -> None:
    study = load_study(EXAMPLES / "qualtrics")
    raw = _table({"Q1_1": ["1", "6", "", "Altijd ", "at no time", "weet niet"],
                  "Q2_1": ["5", "strongly agree", "mee oneens", "3", None, "9"]})
    table, problems = map_item_values(raw, study, "x.csv", wave="t0")
    assert problems == []
    assert table.frame["Q1_1"].tolist()[:2] == ["0", "5"]  # shift -1
    assert table.frame["Q1_1"].tolist()[3:] == ["5", "0", "9"]  # texts: no shift
    assert pd.isna(table.frame["Q1_1"].iloc[2])
    assert table.frame["Q2_1"].tolist()[:4] == ["5", "5", "2", "3"]
    assert raw.frame["Q1_1"].iloc[0] == "1"  # the caller's table is not changed


def test_item_values_apply_to_item_columns_in_any_case() -> None:
    """A column ``WHO5_3`` is item ``who5_3`` (validation matches item ids in any case), so
    its instrument's ``data.values`` (shift -1) applies to it too."""
    study = load_study(EXAMPLES / "qualtrics")
    assert "who5_3" in study.data.values
    raw = _table({"WHO5_3": ["6", "1", "Altijd"], "Other": ["6", "1", "x"]})
    table, problems = map_item_values(raw, study, "x.csv", wave="t0")
    assert problems == []
    assert table.frame["WHO5_3"].tolist() == ["5", "0", "5"]
    assert table.frame["Other"].tolist() == ["6", "1", "x"]


def test_an_undeclared_code_is_an_error_naming_rows_column_and_value(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    shutil.copytree(EXAMPLES / "limesurvey", folder)
    path = folder / "data" / "raw" / "t0" / "results-survey415236.csv"
    text = path.read_text("utf-8").replace('"A4"', '"A7"')
    path.write_text(text, "utf-8")
    result = check_data(folder)
    assert not result.ok
    errors = [p for o in result.outcomes for p in o.problems if p.severity == "error"]
    hits = [p for p in errors if p.found == "A7"]
    assert hits and all("declared codes of item" in p.message for p in hits)
    assert hits[0].location.startswith("row ") and "column G01Q01[SQ" in hits[0].location
    assert "A1, A2, A3, A4, A5" in hits[0].expected


@pytest.mark.parametrize("values, message", [
    ({"brx": {"shift": -1}}, "unknown instrument or item"),
    ({"apgar": {"codes": {"A4": 3}}}, "value is not an answer of item 'apgar_1'"),
    ({"brs": {"shift": "one"}}, "whole number"),
])
def test_study_definition_checks_data_values(values, message, tmp_path: Path) -> None:
    folder = tmp_path / "study"
    shutil.copytree(EXAMPLES / "limesurvey", folder)
    spec = yaml.safe_load((folder / "study.yml").read_text("utf-8"))
    spec["data"]["values"] = values
    (folder / "study.yml").write_text(yaml.safe_dump(spec, sort_keys=False), "utf-8")
    with pytest.raises(StudyDefinitionError) as caught:
        load_study(folder)
    assert any(message in p.message or message in p.expected for p in caught.value.errors), \
        caught.value


def test_data_values_are_resolved_per_item() -> None:
    study = load_study(EXAMPLES / "limesurvey")
    assert study.data.values["brs_1"].codes["A3"] == 3 and study.data.values["brs_1"].entry == "brs"
    assert study.data.values["apgar_2"].codes["A3"] == 2
    assert study.data.files[0].format == "limesurvey"
    assert np.isclose(study.data.values["brs_6"].shift, 0)


def test_an_item_entry_replaces_its_instruments_entry(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    shutil.copytree(EXAMPLES / "limesurvey", folder)
    spec = yaml.safe_load((folder / "study.yml").read_text("utf-8"))
    spec["data"]["values"]["brs_2"] = {"shift": 1}
    (folder / "study.yml").write_text(yaml.safe_dump(spec, sort_keys=False), "utf-8")
    values = load_study(folder).data.values
    assert values["brs_2"].codes == {} and values["brs_2"].shift == 1
    assert values["brs_2"].entry == "brs_2" and values["brs_3"].codes["A5"] == 5


def test_a_per_response_id_is_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "study"
    shutil.copytree(EXAMPLES / "qualtrics", folder)
    spec = yaml.safe_load((folder / "study.yml").read_text("utf-8"))
    spec["data"]["columns"]["respondent_id"] = "ResponseId"
    (folder / "study.yml").write_text(yaml.safe_dump(spec, sort_keys=False), "utf-8")
    warnings = [w for w in load_study(folder).warnings if w.location == "data.columns."
                "respondent_id"]
    assert len(warnings) == 1 and "cannot link a respondent's waves" in warnings[0].message
    assert not [w for w in load_study(EXAMPLES / "qualtrics").warnings
                if "cannot link" in w.message]

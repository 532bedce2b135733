"""How files code things (issues 14.11 and 15.5): SPSS user-missing values and value labels,
site/group/wave codes mapped through data.recode, item columns in any case, ids mangled by
Excel, and a column coded one too high."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml

from evaltools.core.errors import StudyDefinitionError
from evaltools.data.coding import (
    blank_user_missing,
    map_codes,
    match_item_case,
    zero_padding_links,
)
from evaltools.data.ingest import check_data, ingest
from evaltools.data.panel import load_panel
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.instruments import get_instrument
from evaltools.study.load import load_study
from tests.numeric_study import write_numeric_study


def _edit(folder: Path, change) -> None:
    path = folder / "study.yml"
    d = yaml.safe_load(path.read_text("utf-8"))
    change(d)
    path.write_text(yaml.safe_dump(d, sort_keys=False), "utf-8")


@pytest.fixture
def spss_study(tmp_path: Path) -> Path:
    """Two sites, site and group stored as SPSS codes with value labels, 999 user-missing."""
    folder = write_numeric_study(tmp_path / "study")

    def change(d):
        d["sites"] = [{"id": "a"}, {"id": "b"}]
        d["data"]["columns"].update(site="site", group="group")
        d["data"]["recode"] = {"site": {"Site A": "a", 2: "b"}}
    _edit(folder, change)
    raw = folder / "data" / "raw"
    for wave in ("t0", "t1"):
        frame = pd.read_csv(raw / f"{wave}.csv", sep=";", dtype=str)
        (raw / f"{wave}.csv").unlink()
        frame["weight"] = pd.to_numeric(frame["weight"].str.replace(",", "."))
        frame.loc[1, "weight"] = 999.0
        frame["absent"] = frame["absent"].astype(float)
        frame["site"] = [1.0, 2.0] * (len(frame) // 2)
        frame["group"] = 1.0
        pyreadstat.write_sav(frame, raw / f"{wave}.sav", variable_value_labels={
            "site": {1.0: "Site A", 2.0: "Site B"}, "group": {1.0: "Intervention"}},
            missing_ranges={"weight": [999.0, -9.0]})
    return folder


def _problems(result, file: str, severity: str) -> list[str]:
    outcome = {o.file: o for o in result.outcomes}[file]
    return [p.describe() for p in outcome.problems if p.severity == severity]


def test_spss_codes_labels_and_user_missing(spss_study: Path) -> None:
    study = load_study(spss_study)
    assert study.data.recode == {"site": {"Site A": "a", "2": "b"}}
    if not default_key_file(study.id).exists():
        create_key(study)
    result = ingest(study)
    assert result.ok, [p.describe() for o in result.outcomes for p in o.problems]
    warnings = _problems(result, "data/raw/t0.sav", "warning")
    assert any("user-missing" in w and "weight: 1 cell (999)" in w for w in warnings), warnings
    assert any("value labels" in w and "1 = intervention" in w for w in warnings), warnings
    panel = load_panel(study)
    assert sorted(panel["site"].unique()) == ["a", "b"]
    assert set(panel["group"]) == {"intervention"}
    # 999 (SPSS user-missing) and -9 (the instrument's own missing code) are both missing
    assert panel["weight"].isna().sum() == 2 * 2
    assert panel["weight"].max() < 200


def test_unmapped_codes_are_refused_with_their_label(spss_study: Path) -> None:
    _edit(spss_study, lambda d: d["data"].pop("recode"))
    errors = _problems(check_data(spss_study), "data/raw/t1.sav", "error")
    assert any("column site" in e and "unknown site (value label 'Site B')" in e
               and "data.recode.site" in e for e in errors), errors


def test_recode_targets_are_checked(spss_study: Path) -> None:
    _edit(spss_study, lambda d: d["data"]["recode"].update(group={1: "contrl"}))
    with pytest.raises(StudyDefinitionError) as info:
        load_study(spss_study)
    assert any(p.location == "data.recode.group.1" and "unknown group" in p.describe()
               for p in info.value.problems), str(info.value)


def test_map_codes_order() -> None:
    values, via = map_codes(pd.Series(["1", "2", "c", "x", None]), {"1": "a", "Twee": "b"},
                            {"2": "Twee", "x": "C"}, ["a", "b", "c"])
    assert values.tolist() == ["a", "b", "c", "c", pd.NA]
    assert via == {"x": "c"}


def test_blank_user_missing_keeps_declared_item_codes() -> None:
    frame = pd.DataFrame({"q": [1.0, 9.0, 98.0, 99.0], "s": ["x", "NA", "y", None]})
    out, counts = blank_user_missing(frame, {"q": [{"lo": 9.0, "hi": 9.0},
                                                   {"lo": 97.0, "hi": 99.0}],
                                             "s": [{"lo": "NA", "hi": "NA"}]}, {"q": [9]})
    assert out["q"].tolist()[:2] == [1.0, 9.0] and out["q"].iloc[2:].isna().all()
    assert out["s"].isna().tolist() == [False, True, False, True]
    assert counts == {"q": (2, [98.0, 99.0]), "s": (1, ["NA"])}
    assert frame["q"].tolist() == [1.0, 9.0, 98.0, 99.0]  # the caller's frame is unchanged


def test_item_columns_match_in_any_case(tmp_path: Path) -> None:
    folder = write_numeric_study(tmp_path / "study")
    raw = folder / "data" / "raw"
    for wave, columns in (("t0", {"weight": "WEIGHT", "absent": "Absent"}),
                          ("t1", {"weight": "Weight"})):
        frame = pd.read_csv(raw / f"{wave}.csv", sep=";", dtype=str).rename(columns=columns)
        if wave == "t1":
            frame["weight"] = frame["Weight"]
        frame.to_csv(raw / f"{wave}.csv", sep=";", index=False)
    result = check_data(folder)
    assert not _problems(result, "data/raw/t0.csv", "error")
    assert {o.file: o.rows for o in result.outcomes}["data/raw/t0.csv"] == 40
    errors = _problems(result, "data/raw/t1.csv", "error")
    assert any("column weight" in e and "'Weight, weight'" in e for e in errors), errors


def test_match_item_case() -> None:
    renames, clashes = match_item_case(["id", "A1", "a2", "A2"], ["a1", "a2", "a3"])
    assert renames == {"A1": "a1"} and clashes == [("a2", ["a2", "A2"])]


CORPUS = Path(__file__).parent / "corpus"


def _corpus_study(tmp_path: Path, text: str, name: str = "t0.csv") -> Path:
    folder = tmp_path / "corpus"
    (folder / "data" / "raw" / "t0").mkdir(parents=True)
    # an id of its own: test_corpus creates the key of study 'corpus' unconditionally
    (folder / "study.yml").write_text((CORPUS / "study.yml").read_text("utf-8").replace(
        "id: corpus", "id: coding-corpus"), "utf-8")
    (folder / "data" / "raw" / "t0" / name).write_text(text, "utf-8")
    return folder


def _brs_rows(rows: list[list[int]], ids: list[str] | None = None) -> str:
    ids = ids or [str(i + 1) for i in range(len(rows))]
    lines = ["id;site;group;brs_1;brs_2;brs_3;brs_4;brs_5;brs_6"]
    lines += [f"{i};a;interventie;" + ";".join(map(str, r)) for i, r in zip(ids, rows,
                                                                         strict=True)]
    return "\n".join(lines) + "\n"


def test_a_column_coded_one_too_high_is_explained(tmp_path: Path) -> None:
    rows = [[4, 2, 4, 2, 4, 2], [3, 3, 3, 3, 3, 3], [5, 1, 5, 1, 5, 1], [2, 4, 2, 4, 2, 4]] * 3
    shifted = [[r[0] + 1] + r[1:] for r in rows]  # brs_1 coded 2-6 for 1-5
    shifted[2][1] = 9  # a missing code does not hide the shift
    result = check_data(_corpus_study(tmp_path, _brs_rows(shifted)))
    errors = _problems(result, "data/raw/t0/t0.csv", "error")
    assert len(errors) == 1, errors
    assert "column brs_1" in errors[0] and "one above the response scale (2-6 for 1-5)" in \
        errors[0] and "recode" in errors[0], errors
    # the top answer itself is an answer when the column also uses the lowest one
    rows[1] = [1] + rows[1][1:]
    assert check_data(_corpus_study(tmp_path / "ok", _brs_rows(rows))).ok
    # one stray 6 among twelve answers is a typing error, reported at its cell
    typo = [list(r) for r in rows]
    typo[1][0], typo[2][0] = 3, 6
    errors = _problems(check_data(_corpus_study(tmp_path / "typo", _brs_rows(typo))),
                       "data/raw/t0/t0.csv", "error")
    assert len(errors) == 1 and "row 4, column brs_1: value outside the response scale" in \
        errors[0], errors


def test_ids_in_scientific_notation(tmp_path: Path) -> None:
    rows = [[4, 2, 4, 2, 4, 2], [3, 3, 3, 3, 3, 3], [5, 1, 5, 1, 5, 1]]
    some = check_data(_corpus_study(tmp_path / "some", _brs_rows(
        rows, ["2,02501E+11", "202501234568", "2.02501e11"])))
    warnings = _problems(some, "data/raw/t0/t0.csv", "warning")
    assert any("2 of 3 respondent ids are numbers in scientific notation" in w
               for w in warnings), warnings
    assert some.ok
    every = check_data(_corpus_study(tmp_path / "every", _brs_rows(
        rows, ["2,02501E+11", "2,02502E+11", "2,02503E+11"])))
    errors = _problems(every, "data/raw/t0/t0.csv", "error")
    assert any("column id" in e and "no usable respondent id" in e for e in errors), errors
    assert not every.ok


def test_ids_that_lost_their_leading_zeros(tmp_path: Path) -> None:
    rows = [[4, 2, 4, 2, 4, 2], [3, 3, 3, 3, 3, 3], [5, 1, 5, 1, 5, 1], [2, 4, 2, 4, 2, 4]]
    folder = _corpus_study(tmp_path, _brs_rows(rows, ["00123", "00456", "0789", "1000"]))
    _edit(folder, lambda d: d["data"]["files"].append({"pattern": "t1/*", "wave": "t1"}))
    (folder / "data" / "raw" / "t1").mkdir()
    (folder / "data" / "raw" / "t1" / "t1.csv").write_text(
        _brs_rows(rows, ["123", "456", "0789", "1000"]), "utf-8")
    study = load_study(folder)
    if not default_key_file(study.id).exists():
        create_key(study)
    result = ingest(study)
    warnings = _problems(result, "data/raw/t1/t1.csv", "warning")
    assert any("column id" in w and "2 respondent ids link to no other wave as given" in w
               for w in warnings), warnings
    assert not any("leading zeros" in w for w in _problems(result, "data/raw/t0/t0.csv",
                                                             "warning"))
    assert result.ok
    # checking a delivery again (validate --data) compares it with the store too
    assert warnings == [w for w in _problems(check_data(study), "data/raw/t1/t1.csv",
                                             "warning") if "leading zeros" in w]


def test_ids_stored_as_numbers_of_more_than_15_digits(tmp_path: Path) -> None:
    folder = _corpus_study(tmp_path, "", name="empty.txt")
    (folder / "data" / "raw" / "t0" / "empty.txt").unlink()
    pd.DataFrame({"id": [2.0250112345678901e16, 1.0, 2.0], "site": ["a"] * 3,
                  "group": ["interventie"] * 3, **{f"brs_{k}": [3.0] * 3 for k in range(1, 7)}}
                 ).to_parquet(folder / "data" / "raw" / "t0" / "t0.parquet")
    warnings = _problems(check_data(folder), "data/raw/t0/t0.parquet", "warning")
    assert any("1 of 3 respondent ids" in w and "more than 15 digits" in w
               for w in warnings), warnings


def test_spss_labels_reveal_a_shift_without_the_top_answer(tmp_path: Path) -> None:
    folder = _corpus_study(tmp_path, "", name="empty.txt")
    (folder / "data" / "raw" / "t0" / "empty.txt").unlink()
    frame = pd.DataFrame({"id": ["1", "2"], "site": ["a", "a"], "group": ["interventie"] * 2,
                          **{f"brs_{k}": [2.0, 3.0] for k in range(1, 7)}})
    agree = get_instrument("brs").response_scales["agree5"]
    shifted = {float(v + 1): agree.labels[v].nl for v in agree.values}  # 2-6, 6 never given
    pyreadstat.write_sav(frame, folder / "data" / "raw" / "t0" / "t0.sav",
                         variable_value_labels={"brs_1": shifted, "brs_2": {
                             float(v): agree.labels[v].nl for v in agree.values}})
    errors = _problems(check_data(folder), "data/raw/t0/t0.sav", "error")
    assert len(errors) == 1 and "column brs_1" in errors[0], errors
    assert "value labels put every answer +1" in errors[0] and "answer -1" in errors[0], errors


def test_zero_padding_links_looks_in_every_other_wave() -> None:
    """Ids of two waves in one file, each looked up in the stored sets of the other waves
    (never its own): a repeated id counts once, a missing id or wave not at all."""
    stored = {"t0": {"0012", "77"}, "t1": {"0345", "9"}, "t2": {"0099"}, "t3": set()}
    ids = pd.Series(["12", "345", "077", "99", None, "12", "9", "345", "5"], dtype="string")
    waves = pd.Series(["t2"] * 7 + ["t0", None], dtype="string")
    # t2: 12 (t0 0012), 345 (t1 0345), 077 (t0 77) link with zeros; 99 only in t2 itself;
    # 9 links as given (t1); t0: 345 (t1 0345); the id without a wave is not looked at
    assert zero_padding_links(ids, waves, ids, stored, lambda s: s) == 4
    assert zero_padding_links(ids, waves, ids, {"t2": {"0012"}}, lambda s: s) == 0

"""The bad-input corpus: every broken file gives a clear, located error; nothing crashes.

The files are in tests/corpus/files (written by tests/corpus/make_corpus.py) and belong to the
small study in tests/corpus/study.yml.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaltools.cli.main import cli
from evaltools.data.ingest import check_data, ingest
from evaltools.data.pseudonym import create_key
from evaltools.study.load import load_study

CORPUS = Path(__file__).parent / "corpus"

# file: (location of the first error, pattern its message must match)
CASES = {
    "empty.csv": ("(file)", r"file is empty"),
    "blank_lines.csv": ("(file)", r"file is empty"),
    "header_only.csv": ("(file)", r"header but no rows"),
    "truncated.csv": ("row 4", r"row has 4 fields, the header has 9 \(the file looks truncated\)"),
    "too_many_fields.csv": ("row 3", r"row has 10 fields, the header has 9"),
    "unclosed_quote.csv": ("(file)", r"not readable as CSV .*truncated"),
    "undecodable.csv": ("line 2", r"text cannot be decoded; found 'byte 0x81 at offset 61'"),
    "xlsx_named_csv.csv": ("(file)", r"file is an Excel workbook \(.xlsx\), but its name ends "
                                     r"in .csv"),
    "pdf_named_csv.csv": ("(file)", r"file is a PDF document, but its name ends in .csv"),
    "binary_junk.csv": ("(file)", r"file is a binary file, but its name ends in .csv"),
    "text_named_xlsx.xlsx": ("(file)", r"file is a text \(CSV\) file, but its name ends in "
                                       r".xlsx"),
    "truncated.xlsx": ("(file)", r"workbook cannot be read; it may be damaged or truncated"),
    "header_only.xlsx": ("(file)", r"sheet has a header but no rows"),
    "text_named_sav.sav": ("(file)", r"file is a text \(CSV\) file, but its name ends in .sav"),
    "truncated.sav": ("(file)", r"SPSS file cannot be read; it may be damaged or truncated"),
    "old_excel.xls": ("(file)", r"old Excel format \(.xls\) is not read; expected save the "
                                r"workbook as .xlsx"),
    "notes.docx": ("(file)", r"unsupported file type; found '.docx'"),
    "missing_item_column.csv": ("column brs_3", r"required item column is missing"),
    "missing_id_column.csv": ("column id", r"required respondent id column is missing"),
    "misspelt_column.csv": ("column brs_1", r"required item column is missing \(did you mean "
                                            r"'brs-1'\?\)"),
    "duplicate_column.csv": ("column brs_1", r"column name occurs more than once"),
    "out_of_range.csv": ("row 4, column brs_1", r"value outside the response scale; found 6"),
    "negative_value.csv": ("row 2, column brs_2", r"value outside the response scale; found "
                                                  r"-1"),
    "decimal_value.csv": ("row 2, column brs_3", r"value outside the response scale; found "
                                                 r"3.5"),
    "non_numeric.csv": ("row 2, column brs_4", r"not a number; found 'vaak'"),
    "unknown_site.csv": ("row 2, column site", r"unknown site; found 'Rotterdam'; expected "
                                               r"one of 'a', 'b'"),
    "unknown_group.csv": ("row 2, column group", r"unknown group \(did you mean "
                                                 r"'interventie'\?\)"),
    "missing_group.csv": ("row 2, column group", r"no group"),
    "out_of_range.sav": ("row 2, column brs_1", r"value outside the response scale; found 7"),
    "out_of_range.xlsx": ("row 3, column brs_6", r"value outside the response scale; found 0"),
    "out_of_range.parquet": ("row 3, column brs_2", r"value outside the response scale; "
                                                    r"found 8"),
    # issue 14: what fieldwork agencies, spreadsheets and survey platforms also deliver
    "huge_cell.csv": ("(file)", r"not readable as CSV \(field larger than field limit"),
    "utf16.csv": ("(file)", r"file is UTF-16 text .*expected the file saved as 'CSV UTF-8'"),
    "formula_site.csv": ("row 2, column site", r"unknown site"),
    "only_delimiters.csv": ("(file)", r"header but no rows"),
    "html_error_page.csv": ("(file)", r"header but no rows"),
    "json_export.csv": ("(file)", r"header but no rows"),
    "nul_in_text.csv": ("(file)", r"file is a binary file"),
    "bom_undecodable.csv": ("line 2", r"text cannot be decoded; found 'byte 0x81 at offset "
                                      r"64'"),
    "password.xlsx": ("(file)", r"workbook is protected with a password"),
    "no_ids.csv": ("column id", r"no row has a usable respondent id; the file is refused"),
    "duplicate_column.parquet": ("column brs_1", r"column name occurs more than once"),
    "excel_error_cells.xlsx": ("row 2, column brs_2", r"Excel error value in a cell; found "
                                                      r"'#N/A'"),
    "duplicate_column.xlsx": ("column brs_1", r"column name occurs more than once"),
}


def _study_with(tmp_path: Path, *files: Path) -> Path:
    folder = tmp_path / "study"
    (folder / "data" / "raw" / "t0").mkdir(parents=True)
    shutil.copy(CORPUS / "study.yml", folder / "study.yml")
    for f in files:
        shutil.copy(f, folder / "data" / "raw" / "t0" / f.name)
    return folder


def test_corpus_is_complete() -> None:
    files = {p.name for p in (CORPUS / "files").iterdir()}
    assert len(files) >= 25
    assert files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_broken_file_is_an_error_at_its_place(tmp_path: Path, name: str) -> None:
    folder = _study_with(tmp_path, CORPUS / "files" / name)
    result = check_data(folder)
    [outcome] = result.outcomes
    errors = [p for p in outcome.problems if p.severity == "error"]
    assert errors, f"{name} was not refused"
    location, pattern = CASES[name]
    assert errors[0].location == location, [e.describe() for e in errors]
    assert re.search(pattern, errors[0].describe()), errors[0].describe()
    assert errors[0].file == f"data/raw/t0/{name}"
    assert not result.ok


def test_the_whole_corpus_ingests_as_quarantine_with_exit_1(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("id;site;group;brs_1;brs_2;brs_3;brs_4;brs_5;brs_6\n"
                    "1;a;interventie;4;2;4;2;4;2\n", "utf-8")
    folder = _study_with(tmp_path, good, *sorted((CORPUS / "files").iterdir()))
    before = {p.name: p.read_bytes() for p in (folder / "data" / "raw" / "t0").iterdir()}
    create_key(load_study(folder))
    run = CliRunner().invoke(cli, ["ingest", str(folder)])
    assert run.exit_code == 1
    assert "Traceback" not in run.output
    assert f"{len(CASES)} quarantined" in run.output and "1 accepted" in run.output
    after = {p.name: p.read_bytes() for p in (folder / "data" / "raw" / "t0").iterdir()}
    assert after == before  # raw files untouched, none moved or deleted
    reports = list((folder / "store" / "validation" / "t0").glob("*.problems.csv"))
    assert len(reports) == len(CASES)
    assert len(list((folder / "store" / "validation" / "t0").glob("*.problems.html"))) == \
        len(CASES)


junk = st.binary(min_size=0, max_size=2000)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=junk, suffix=st.sampled_from([".csv", ".xlsx", ".sav", ".parquet", ".txt"]))
def test_random_junk_is_refused_never_crashes(tmp_path: Path, data: bytes, suffix: str) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "data" / "raw" / "t0").mkdir(parents=True)
    shutil.copy(CORPUS / "study.yml", folder / "study.yml")
    (folder / "data" / "raw" / "t0" / f"junk{suffix}").write_bytes(data)
    result = check_data(folder)
    [outcome] = result.outcomes
    assert outcome.errors >= 1  # never silently accepted


text_rows = st.lists(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)),
                                      max_size=8), min_size=1, max_size=12),
                     min_size=0, max_size=6)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=text_rows, sep=st.sampled_from([";", ",", "\t"]))
def test_random_text_tables_never_crash(tmp_path: Path, rows, sep: str) -> None:
    header = "id;site;group;brs_1;brs_2;brs_3;brs_4;brs_5;brs_6".replace(";", sep)
    body = "\n".join(sep.join(r) for r in rows)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "data" / "raw" / "t0").mkdir(parents=True)
    shutil.copy(CORPUS / "study.yml", folder / "study.yml")
    (folder / "data" / "raw" / "t0" / "x.csv").write_text(header + "\n" + body, "utf-8")
    result = check_data(folder)
    [outcome] = result.outcomes
    if outcome.errors == 0:
        # accepted only if every row is a complete, valid questionnaire
        assert outcome.rows >= 0 and all(len(r) == 9 for r in rows if any(c.strip() for c in r))


def test_ingest_of_a_corpus_file_needs_a_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("EVALTOOLS_HOME", str(tmp_path / "empty-home"))
    folder = _study_with(tmp_path, CORPUS / "files" / "empty.csv")
    run = CliRunner().invoke(cli, ["ingest", str(folder)])
    assert run.exit_code == 1 and "no pseudonymisation key" in run.output
    assert "evaltools key create" in run.output and "Traceback" not in run.output
    assert not (folder / "store").exists()
    with pytest.raises(Exception, match="no pseudonymisation key"):
        ingest(folder)

"""Issue 14: nothing lost, nothing leaked, no traceback under hostile input.

One test (or a parametrised family) per numbered point of the issue; each failed before its fix.
"""

from __future__ import annotations

import csv
import importlib
import os
import re
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from evaltools.cli.main import cli
from evaltools.core.errors import OutputLocationError
from evaltools.core.yamlio import read_yaml
from evaltools.data.ingest import discover_files, ingest
from evaltools.data.pseudonym import StudyKeyError, create_key, load_key
from evaltools.demo.files import generate_demo_study
from evaltools.study.load import check_study, load_study

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(autouse=True)
def _own_keys(tmp_path: Path, monkeypatch) -> None:
    """Keys of the corpus study go to this test's own EVALTOOLS_HOME."""
    monkeypatch.setenv("EVALTOOLS_HOME", str(tmp_path / "evaltools-home"))


def _corpus_study(tmp_path: Path, **data_changes) -> Path:
    """The small corpus study, with one good wave file, and ``data`` keys changed."""
    folder = tmp_path / "study"
    (folder / "data" / "raw" / "t0").mkdir(parents=True)
    doc = yaml.safe_load((CORPUS / "study.yml").read_text("utf-8"))
    doc["data"].update(data_changes)
    (folder / "study.yml").write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    (folder / "data" / "raw" / "t0" / "good.csv").write_text(
        "id;site;group;brs_1;brs_2;brs_3;brs_4;brs_5;brs_6\n1;a;interventie;4;2;4;2;4;2\n",
        "utf-8")
    return folder


def _ensure_key(folder: Path) -> None:
    """The corpus study's key (one for the whole test session)."""
    from evaltools.data.pseudonym import default_key_file

    study = load_study(folder)
    if not default_key_file(study.id).exists():
        create_key(study)


def _errors(problems) -> list[str]:
    return [p.describe() for p in problems if p.severity == "error"]


# --- 5. raw_dir overlapping the store, the reports or the study root is refused -------------

@pytest.mark.parametrize("raw_dir", ["store", "store/raw", ".", "reports", "data/raw/../.."])
def test_5_raw_dir_overlapping_outputs_is_refused(tmp_path: Path, raw_dir: str) -> None:
    folder = _corpus_study(tmp_path, raw_dir=raw_dir)
    study, problems = check_study(folder)
    assert study is None
    assert any("data.raw_dir" in e for e in _errors(problems)), _errors(problems)


def test_5_raw_dir_symlinked_to_the_store_is_refused(tmp_path: Path) -> None:
    folder = _corpus_study(tmp_path, raw_dir="incoming")
    (folder / "store").mkdir()
    (folder / "incoming").symlink_to(folder / "store", target_is_directory=True)
    study, problems = check_study(folder)
    assert study is None and any("store folder" in e for e in _errors(problems))


def test_5_raw_files_in_the_store_are_never_deleted(tmp_path: Path) -> None:
    """Before the fix, ``raw_dir: store`` let ingest delete delivered Parquet files."""
    folder = _corpus_study(tmp_path, raw_dir="store", files=[{"pattern": "**/*", "wave": "t0"}])
    part = folder / "store" / "responses" / "t0" / "delivered.parquet"
    part.parent.mkdir(parents=True)
    shutil.copy(CORPUS / "files" / "out_of_range.parquet", part)
    run = CliRunner().invoke(cli, ["ingest", str(folder)])
    assert run.exit_code == 1 and "Traceback" not in run.output
    assert "overlaps the study's store folder" in run.output
    assert part.exists()


def test_5_reports_dir_inside_the_raw_folder_is_refused(tmp_path: Path) -> None:
    folder = _corpus_study(tmp_path)
    study = load_study(folder)
    with pytest.raises(OutputLocationError, match="overlaps the raw data folder"):
        study.check_output_folder(folder / "data" / "raw" / "reports")
    with pytest.raises(OutputLocationError, match="overlaps the raw data folder"):
        study.check_output_folder(folder / "data")
    study.check_output_folder(folder / "reports")  # beside the raw data: fine
    run = CliRunner().invoke(cli, ["run", str(folder), "--reports-dir",
                                   str(folder / "data" / "raw" / "out")])
    assert run.exit_code == 1 and "overlaps the raw data folder" in run.output
    assert "Traceback" not in run.output
    assert not (folder / "data" / "raw" / "out").exists()


# --- 6. key file inside the study folder refused; permissions -------------------------------

@pytest.mark.parametrize("key_file", ["keys/study.key", "data/study.key", "docs/a/b.key"])
def test_6_key_file_anywhere_in_the_study_is_refused(tmp_path: Path, key_file: str) -> None:
    folder = _corpus_study(tmp_path)
    doc = yaml.safe_load((folder / "study.yml").read_text("utf-8"))
    doc["pseudonymisation"] = {"key_file": key_file}
    (folder / "study.yml").write_text(yaml.safe_dump(doc), "utf-8")
    study, problems = check_study(folder)
    assert study is None
    assert any("pseudonymisation.key_file" in e and "outside the study" in e
               for e in _errors(problems))


def test_6_default_key_location_inside_the_study_is_refused(tmp_path: Path,
                                                            monkeypatch) -> None:
    folder = _corpus_study(tmp_path)
    monkeypatch.setenv("EVALTOOLS_HOME", str(folder / "config"))
    study = load_study(folder)
    with pytest.raises(StudyKeyError, match="inside the study folder"):
        create_key(study)
    (folder / "config" / "keys").mkdir(parents=True)
    (folder / "config" / "keys" / "corpus.key").write_text("ab" * 32)
    with pytest.raises(StudyKeyError, match="inside the study folder"):
        load_key(study)


def test_6_key_readable_by_others_warns_and_unreadable_key_is_clear(tmp_path: Path,
                                                                    monkeypatch) -> None:
    monkeypatch.setenv("EVALTOOLS_HOME", str(tmp_path / "home"))
    folder = _corpus_study(tmp_path)
    study = load_study(folder)
    path = create_key(study)
    assert load_key(study).warnings == ()
    path.chmod(0o644)
    assert "can be read by other users" in load_key(study).warnings[0]
    run = CliRunner().invoke(cli, ["ingest", str(folder)])
    assert run.exit_code == 0 and "can be read by other users" in run.output
    if os.geteuid() != 0:  # root reads any file
        path.chmod(0)
        with pytest.raises(StudyKeyError, match="cannot be read"):
            load_key(study)
        run = CliRunner().invoke(cli, ["ingest", str(folder)])
        assert run.exit_code == 1 and "Traceback" not in run.output
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)


# --- 7. demo --force never deletes files it did not write -----------------------------------

def test_7_demo_force_keeps_user_files(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    generate_demo_study(target, seed=1, n_sites=1, size=(5, 5))
    (target / "notes.txt").write_text("my own notes")
    (target / "data" / "raw" / "t0" / "extra_t0.csv").write_text("id\n1\n")
    with pytest.raises(OutputLocationError, match=r"2 file\(s\) that evaltools demo did not "
                       r"write \(data/raw/t0/extra_t0.csv, notes.txt\)"):
        generate_demo_study(target, seed=2, n_sites=1, size=(5, 5), force=True)
    assert (target / "notes.txt").read_text() == "my own notes"
    run = CliRunner().invoke(cli, ["demo", str(target), "--force", "--sites", "1"])
    assert run.exit_code == 1 and "Traceback" not in run.output
    assert (target / "data" / "raw" / "t0" / "extra_t0.csv").exists()
    (target / "notes.txt").unlink()
    (target / "data" / "raw" / "t0" / "extra_t0.csv").unlink()
    (target / "store").mkdir()
    (target / "store" / "manifest.json").write_text("{}")  # evaltools' own, rebuilt
    generate_demo_study(target, seed=2, n_sites=2, size=(5, 5), force=True)
    generate_demo_study(target, seed=3, n_sites=1, size=(5, 5), force=True)


# --- 8. symlinks out of the study, dotfiles and special files are reported ------------------

def test_8_links_dotfiles_and_pipes_are_reported_not_read(tmp_path: Path) -> None:
    folder = _corpus_study(tmp_path, files=[{"pattern": "t0/*", "wave": "t0"}])
    raw = folder / "data" / "raw" / "t0"
    outside = tmp_path / "elsewhere.csv"
    outside.write_text((raw / "good.csv").read_text().replace("1;a", "2;a"))
    (raw / "link.csv").symlink_to(outside)
    (raw / ".hidden.csv").write_text((raw / "good.csv").read_text())
    (raw / "~$good.csv").write_text("lock")
    (raw / ".git").mkdir()
    (raw / ".git" / "config").write_text("x")
    (raw / ".git" / "HEAD").write_text("x")
    (raw / "dangling.csv").symlink_to(tmp_path / "study" / "gone.csv")
    os.mkfifo(raw / "pipe.csv")
    files, problems = discover_files(load_study(folder))
    assert [p.name for p, *_ in files] == ["good.csv"]
    by_file = {p.file.rsplit("/", 1)[-1]: p for p in problems}
    assert "leading out of the study" in by_file["link.csv"].message
    assert by_file["link.csv"].severity == "error"
    assert "hidden" in by_file[".hidden.csv"].message
    assert "hidden" in by_file[".git"].message
    assert sum(".git" in p.file for p in problems) == 1  # one line per hidden folder
    assert "lock file" in by_file["~$good.csv"].message
    assert "does not exist" in by_file["dangling.csv"].message
    assert "pipe" in by_file["pipe.csv"].message
    run = CliRunner().invoke(cli, ["validate", str(folder), "--data"])
    assert "Traceback" not in run.output and "leading out of the study" in run.output


# --- 12 and 9 (YAML): alias bombs, tags and deep nesting are refused ------------------------

_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))

HOSTILE_YAML = {
    "alias bomb": (_BOMB, r"aliases expand to too many values"),
    "python object": ("id: !!python/object/apply:os.system ['echo hi']\n",
                      r"YAML tag not allowed; found '!!python/object/apply:os.system'"),
    "python name": ("id: !!python/name:os.system ''\n", r"YAML tag not allowed"),
    "custom tag": ("id: !secret x\n", r"YAML tag not allowed; found '!secret'"),
    "bad typed value": ("id: !!int abc\n", r"not valid YAML"),
    "recursive alias": ("id: &a [*a]\n", r"recursive alias"),
    "deep nesting": ("id: " + "[" * 5000 + "]" * 5000 + "\n", r"nested too deeply"),
    "nesting over the limit": ("id: " + "{a: " * 60 + "1" + "}" * 60 + "\n",
                               r"nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_YAML))
def test_12_hostile_yaml_is_refused_quickly(tmp_path: Path, name: str) -> None:
    import time
    text, pattern = HOSTILE_YAML[name]
    (tmp_path / "study.yml").write_text(text, "utf-8")
    start = time.perf_counter()
    study, problems = check_study(tmp_path)
    assert study is None and time.perf_counter() - start < 10
    assert any(re.search(pattern, p.describe()) for p in problems), \
        [p.describe() for p in problems]
    run = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert run.exit_code == 1 and "Traceback" not in run.output


def test_12_ordinary_aliases_and_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    path.write_text("a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: 2\n", "utf-8")
    doc = read_yaml(path)
    assert doc.problems == [] and doc.data == {"a": {"b": 1}, "c": {"b": 1},
                                               "d": {"b": 1, "e": 2}}


# --- 14-17, 20: the evidence register ---------------------------------------------------------

@pytest.fixture(scope="module")
def register_rows(ingested_demo):
    from evaltools.register.collect import collect

    study, panel = ingested_demo
    return collect(study, panel, recorded_at="2026-01-01T00:00:00Z")


@pytest.mark.parametrize("url", ["ann:s3cret@db.example.org/register",
                                 "ann:s3cret@db.example.org:5432/register",
                                 "db.example.org:5432/register"])
def test_14_register_url_without_scheme_is_refused(url: str) -> None:
    from evaltools.register import RegisterError, register_url

    with pytest.raises(RegisterError, match="has no scheme") as caught:
        register_url(url=url)
    assert "s3cret" not in str(caught.value)
    assert register_url(url="some/folder/register.sqlite").startswith("sqlite:///")


@pytest.mark.parametrize("url", ["postgresql+psycopg://ann:s3cret@host:99999999/db",
                                 "postgresql+psycopg://ann:s3cret@[::1/db",
                                 "postgresql+psycopg://ann:s3cret@host:port/db"])
def test_9_malformed_register_urls_are_clear_errors(url: str) -> None:
    from evaltools.register import Register, RegisterError

    with pytest.raises(RegisterError) as caught:
        Register(url)
    assert "s3cret" not in str(caught.value)
    run = CliRunner().invoke(cli, ["register", "show", "--register", url])
    assert run.exit_code == 1 and "Traceback" not in run.output and "s3cret" not in run.output


@pytest.mark.parametrize("dtype", ["str", object, "string"])
def test_15_csv_safe_neutralises_formulas_in_every_kind_of_text_column(dtype) -> None:
    """Arrow-backed text (pandas' default), object and nullable string columns alike: a
    cell that a spreadsheet would run gets a leading quote, numbers written as text and
    other cells stay, and a text column without such a cell is left as it is."""
    import pandas as pd

    from evaltools.core.io import csv_safe, csv_unsafe

    cells = ["=1+1", "-2.5", "@SUM(A1)", "ok", None, "+31 6", "\tx", "-"]
    frame = pd.DataFrame({"text": pd.Series(cells, dtype=dtype),
                          "plain": pd.Series(["a", "b", None, "d", "e", "f", "g", "h"],
                                             dtype=dtype),
                          "number": range(8)})
    safe = csv_safe(frame)
    got = [None if pd.isna(v) else v for v in safe["text"]]
    assert got == ["'=1+1", "-2.5", "'@SUM(A1)", "ok", None, "'+31 6", "'\tx", "'-"]
    assert [csv_unsafe(v) for v in got] == cells
    assert [None if pd.isna(v) else v for v in safe["plain"]] == \
        ["a", "b", None, "d", "e", "f", "g", "h"]
    assert safe["number"].tolist() == list(range(8))
    assert frame["text"].iloc[0] == "=1+1"  # the input is not changed


def test_15_csv_exports_neutralise_formulas(tmp_path: Path, register_rows) -> None:
    from evaltools.register import Register, result_id
    from evaltools.register.exchange import export_register, import_register

    rows = register_rows.head(3).copy()
    rows["intervention"] = ["=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "@SUM(1)"]
    rows["organisation"] = "-org\tx"
    rows["result_id"] = [result_id(r) for r in rows.to_dict("records")]
    with Register(f"sqlite:///{tmp_path / 'r.sqlite'}") as reg:
        reg.add(rows)
        path, _ = export_register(reg, tmp_path / "export.csv")
    text = path.read_text("utf-8")
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "@", "\t", "\r")), cell
    assert "'=HYPERLINK" in text and "'-org" in text
    assert f",{rows['effect_size'].iloc[0]:.17g}," in text or "-" in text  # numbers intact
    with Register(f"sqlite:///{tmp_path / 'other.sqlite'}") as other:
        assert import_register(other, path) == (3, 0)
        back = other.read(current=False)
    assert sorted(back["intervention"]) == sorted(rows["intervention"])


def test_15_problem_tables_neutralise_formulas(tmp_path: Path) -> None:
    folder = _corpus_study(tmp_path)
    (folder / "data" / "raw" / "t0" / "good.csv").write_text(
        "id;site;group;brs_1;brs_2;brs_3;brs_4;brs_5;brs_6\n"
        "1;=cmd|' /C calc'!A0;interventie;4;2;4;2;4;2\n", "utf-8")
    _ensure_key(folder)
    ingest(folder)
    [table] = (folder / "store" / "validation" / "t0").glob("*.problems.csv")
    cells = [c for row in csv.reader(table.open(encoding="utf-8")) for c in row]
    assert any("=cmd" in c for c in cells)
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


BAD_VALUES = {
    "effect_size": [1e308, "inf", "-inf", "nan-ish"],
    "se": [0, 1e-320, -1],
    "ci_high": [1e20],
    "n": [1e20],
    "follow_up_months": [-3, 1e6],
    "recorded_at": ["2999-01-01T00:00:00Z", "yesterday"],
}


@pytest.mark.parametrize(("column", "value"), [(c, v) for c, vs in BAD_VALUES.items()
                                               for v in vs])
def test_16_register_import_refuses_implausible_values(tmp_path: Path, register_rows,
                                                       column: str, value) -> None:
    from evaltools.register import Register, RegisterError

    rows = register_rows.head(2).astype(object)
    rows.loc[rows.index[0], column] = value
    csv = tmp_path / "bad.csv"
    rows.to_csv(csv, index=False)
    with Register(f"sqlite:///{tmp_path / 'r.sqlite'}") as reg:
        with pytest.raises(RegisterError, match=rf"row 2, column '{column}'"):
            from evaltools.register.exchange import import_register
            import_register(reg, csv)
        assert reg.read(current=False).empty
    run = CliRunner().invoke(cli, ["register", "import", str(csv), "--register",
                                   f"sqlite:///{tmp_path / 'r.sqlite'}"])
    assert run.exit_code == 1 and "Traceback" not in run.output


def test_16_conflicting_rows_with_one_key_are_refused(tmp_path: Path, register_rows) -> None:
    from evaltools.register import Register, RegisterError

    with Register(f"sqlite:///{tmp_path / 'r.sqlite'}") as reg:
        reg.add(register_rows)
        forged = register_rows.head(1).copy()
        forged["effect_size"] = forged["effect_size"] + 0.5
        forged["ci_high"] = forged["ci_high"] + 1
        with pytest.raises(RegisterError,
                           match=r"(?s)conflicting.*differs in effect_size, ci_high"):
            reg.add(forged)
        assert reg.add(register_rows.head(1)) == (0, 1)  # a true duplicate: already present
        twice = pd.concat([forged, forged.assign(p_value=0.5)])
        with pytest.raises(RegisterError, match="earlier in this file"):
            Register(f"sqlite:///{tmp_path / 'new.sqlite'}").add(twice)


def test_16_register_retract_withdraws_with_a_reason(tmp_path: Path, register_rows) -> None:
    from evaltools.register import Register, RegisterError
    from evaltools.register.exchange import export_register

    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    study_id = register_rows["study"].iloc[0]
    with Register(url) as reg:
        reg.add(register_rows)
        before = reg.fingerprint()
    run = CliRunner().invoke(cli, ["register", "retract", study_id, "--reason",
                                   "wrong key used", "--register", url])
    assert run.exit_code == 0, run.output
    assert f"{len(register_rows)} results of study {study_id!r} withdrawn" in run.output
    with Register(url) as reg:
        assert reg.read().empty and len(reg.read(current=False)) == len(register_rows)
        assert set(reg.withdrawn()["reason"]) == {"wrong key used"}
        assert reg.fingerprint() != before
        _, count = export_register(reg, tmp_path / "current.csv", current=True)
        assert count == 0
        with pytest.raises(RegisterError, match="needs a reason"):
            reg.retract(study_id, " ")
        with pytest.raises(RegisterError, match="holds no results of study 'nope'"):
            reg.retract("nope", "x")
    run = CliRunner().invoke(cli, ["register", "retract", "nope", "--reason", "x",
                                   "--register", url])
    assert run.exit_code == 1 and "Traceback" not in run.output


def test_17_long_texts_are_refused_by_the_rules_not_the_database(register_rows) -> None:
    from evaltools.register import RegisterError, check_rows

    rows = register_rows.head(1).copy()
    rows["intervention"] = "x" * 250
    with pytest.raises(RegisterError, match=r"column 'intervention'.*longer than 200"):
        check_rows(rows)


def test_17_a_failing_register_never_stops_the_run(ingested_demo, monkeypatch) -> None:
    from evaltools.pipeline import jobs
    from evaltools.pipeline import run as run_module

    study, _ = ingested_demo
    result = run_module.RunResult(study, None)

    def broken(*args, **kwargs):
        raise RuntimeError("database said no")

    # jobs imports collect when the register step runs (a report worker never needs it)
    monkeypatch.setattr(importlib.import_module("evaltools.register.collect"), "collect",
                        broken)
    url = jobs.update_register(study, result, "sqlite:///:memory:", "reports")
    assert url is None and "database said no" in result.register_error
    result = run_module.RunResult(study, None)
    assert jobs.update_register(study, result, "ann:pw@host/db", "reports") is None
    assert "has no scheme" in result.register_error


def test_20_overview_is_rebuilt_when_the_register_changed(tmp_path: Path, ingested_demo,
                                                          register_rows) -> None:
    from evaltools.pipeline import jobs
    from evaltools.pipeline import run as run_module
    from evaltools.register import Register
    from evaltools.reports.overview import OVERVIEW_STAMP, overview_is_current

    study, _ = ingested_demo
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    with Register(url) as reg:
        reg.add(register_rows)
        fingerprint = reg.fingerprint()
    reports = tmp_path / "reports"
    for lang in ("nl", "en"):
        (reports / "wat-werkt" / lang).mkdir(parents=True)
        (reports / "wat-werkt" / lang / "report.html").write_text("old")
    result = run_module.RunResult(study, None)
    result.register = (0, len(register_rows))  # nothing added by this run
    # built by a run killed before it could stamp the page: rebuilt
    assert jobs.overview_languages(url, result, reports, "nl") == ["nl", "en"]
    for lang in ("nl", "en"):
        (reports / "wat-werkt" / lang / OVERVIEW_STAMP).write_text(fingerprint)
    assert overview_is_current(reports, "nl", fingerprint)
    assert jobs.overview_languages(url, result, reports, "nl") == []
    with Register(url) as reg:  # the register moves on (another run, an import, a retraction)
        reg.retract(study.id, "test")
    assert jobs.overview_languages(url, result, reports, "nl") == ["nl", "en"]


# --- 18-19: killed runs -------------------------------------------------------------------------

def _dead_pid() -> int:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_19_leftovers_of_dead_runs_are_removed_and_never_indexed(tmp_path: Path,
                                                                 monkeypatch) -> None:
    import json
    import tempfile

    from evaltools.reports.render import remove_leftovers, write_index

    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", None)
    (tmp_path / "tmp").mkdir()
    dead, me = _dead_pid(), os.getpid()
    site = tmp_path / "reports" / "s" / "t1" / "a"
    for name in ("prepost", f".prepost.tmp-{dead}", f".controlled.tmp-{me}",
                 f".prepost.old-{dead}"):
        (site / name / "tables").mkdir(parents=True)
        (site / name / "tables" / "meta.json").write_text(json.dumps({"headline": name}))
        (site / name / "report.html").write_text("x")
    (tmp_path / "tmp" / f"evaltools-report-{dead}-abc").mkdir()
    (tmp_path / "tmp" / f"evaltools-report-{me}-abc").mkdir()
    index = write_index(tmp_path / "reports", "s").read_text("utf-8")
    assert "prepost/report.html" in index and ".tmp-" not in index and ".old-" not in index
    removed = {p.name for p in remove_leftovers(tmp_path / "reports", "s")}
    assert removed == {f".prepost.tmp-{dead}", f".prepost.old-{dead}",
                       f"evaltools-report-{dead}-abc"}
    assert (site / f".controlled.tmp-{me}").is_dir()  # a living render is left alone


def test_18_the_run_lock_is_not_inherited_by_workers(tmp_path: Path) -> None:
    """A run killed while its forked worker lives on must not leave the study locked."""
    import multiprocessing
    import signal

    from evaltools.pipeline.run import RunLockedError, _Lock

    folder = _corpus_study(tmp_path)
    ctx = multiprocessing.get_context("fork")
    orphan_file = tmp_path / "orphan.pid"
    run = ctx.Process(target=_run_that_dies, args=(folder, orphan_file))
    run.start()
    run.join(30)
    orphan = int(orphan_file.read_text())
    try:
        probe = ctx.Process(target=_try_lock, args=(folder,))
        probe.start()
        probe.join(30)
        assert probe.exitcode == 0, "the lock is still held by the dead run's worker"
        with _Lock(load_study(folder)):  # and in this process, while it is held here:
            with pytest.raises(RunLockedError, match="busy"):
                _Lock(load_study(folder)).__enter__()
    finally:
        os.kill(orphan, signal.SIGKILL)


def _run_that_dies(folder: Path, orphan_file: Path) -> None:
    """Take the lock, fork a worker that outlives us, and die without unlocking."""
    import time

    from evaltools.pipeline.run import _Lock

    lock = _Lock(load_study(folder))
    lock.__enter__()  # and never __exit__: killed
    pid = os.fork()
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    orphan_file.write_text(str(pid) + ("" if lock.handle.closed else ""))
    os._exit(0)


def _try_lock(folder: Path) -> None:
    from evaltools.pipeline.run import RunLockedError, _Lock

    try:
        with _Lock(load_study(folder)):
            pass
    except RunLockedError:
        os._exit(3)
    os._exit(0)


# --- 9-11: bad input is a clear error and the rest goes through -------------------------------

_HEADER = "id;site;group;brs_1;brs_2;brs_3;brs_4;brs_5;brs_6;ingevuld\n"
_ROW = "{id};a;interventie;4;2;4;2;4;2;{time}\n"


def _timed_study(tmp_path: Path) -> Path:
    folder = _corpus_study(tmp_path)
    doc = yaml.safe_load((folder / "study.yml").read_text("utf-8"))
    doc["data"]["columns"]["submitted_at"] = "ingevuld"
    (folder / "study.yml").write_text(yaml.safe_dump(doc), "utf-8")
    (folder / "data" / "raw" / "t0" / "good.csv").write_text(
        _HEADER + _ROW.format(id=1, time="2024-09-02 10:00"), "utf-8")
    return folder


def test_9_time_zones_and_odd_file_names_never_crash(tmp_path: Path) -> None:
    folder = _timed_study(tmp_path)
    raw = folder / "data" / "raw" / "t0"
    (raw / "offsets.csv").write_text(_HEADER + _ROW.format(id=2, time="2024-09-02T10:00+02:00")
                                     + _ROW.format(id=3, time="2024-10-28T10:00:00+01:00")
                                     + _ROW.format(id=4, time="2024-10-28T09:00:00Z"), "utf-8")
    pd.DataFrame({"id": ["5"], "site": ["a"], "group": ["interventie"],
                  **{f"brs_{k}": [3] for k in range(1, 7)},
                  "ingevuld": pd.to_datetime(["2024-09-02T10:00:00+02:00"])}
                 ).to_parquet(raw / "aware.parquet")
    (raw / ("x" * 240 + ".csv")).write_text(_HEADER + _ROW.format(id=6, time="gisteren"),
                                            "utf-8")
    (raw / "big.csv").write_text(_HEADER + _ROW.format(id=7, time="x" * 200_000), "utf-8")
    bad_name = os.path.join(os.fsencode(raw), b"caf\xe9.csv")
    with open(bad_name, "wb") as fh:
        fh.write((_HEADER + _ROW.format(id=8, time="")).encode())
    before = {p: p.read_bytes() for p in raw.iterdir()}
    _ensure_key(folder)
    status = {o.file.rsplit("/", 1)[-1]: o for o in ingest(folder).outcomes}
    run = CliRunner().invoke(cli, ["ingest", str(folder)])
    assert "Traceback" not in run.output, run.output
    assert status["offsets.csv"].status in ("accepted", "unchanged")
    assert status["aware.parquet"].status in ("accepted", "unchanged")
    assert status["big.csv"].status == "quarantined"  # a 200 KB cell: a clear error
    assert status["good.csv"].status in ("accepted", "unchanged")  # the rest goes through
    assert "file name is not valid UTF-8" in run.output
    assert {p: p.read_bytes() for p in raw.iterdir()} == before  # raw files untouched
    frame = pd.read_parquet(folder / "store" / "responses" / "t0")
    assert str(frame["submitted_at"].dtype) == "datetime64[ns]" or "UTC" not in str(
        frame["submitted_at"].dtype)


def test_9_a_file_that_breaks_a_check_is_quarantined_not_fatal(tmp_path: Path,
                                                              monkeypatch) -> None:
    import importlib

    ingest_module = importlib.import_module("evaltools.data.ingest")

    folder = _corpus_study(tmp_path)
    (folder / "data" / "raw" / "t0" / "odd.csv").write_text("id;x\n1;2\n", "utf-8")
    real = ingest_module.validate_table

    def fragile(table, study, display, **kw):
        if display.endswith("odd.csv"):
            raise ValueError("an unforeseen kind of file")
        return real(table, study, display, **kw)

    monkeypatch.setattr(ingest_module, "validate_table", fragile)
    _ensure_key(folder)
    result = ingest(folder)
    status = {o.file.rsplit("/", 1)[-1]: o for o in result.outcomes}
    assert status["odd.csv"].status == "quarantined"
    assert "could not be checked (ValueError)" in status["odd.csv"].problems[0].message
    assert status["good.csv"].status == "accepted"


def test_10_rows_of_only_delimiters_are_skipped_with_a_warning(tmp_path: Path) -> None:
    from evaltools.data.ingest import check_data

    folder = _corpus_study(tmp_path)
    (folder / "data" / "raw" / "t0" / "good.csv").write_text(
        "id;site;group;brs_1;brs_2;brs_3;brs_4;brs_5;brs_6\n1;a;interventie;4;2;4;2;4;2\n"
        ";;;;;;;;\n ; ;;;;;;;\n2;b;controle;3;3;3;3;3;3\n", "utf-8")
    [outcome] = check_data(folder).outcomes
    assert outcome.errors == 0 and outcome.rows == 2
    [warning] = [p for p in outcome.problems if "empty apart from delimiters" in p.message]
    assert warning.message.startswith("2 row(s)") and warning.found == "row 3"


# --- 4. problem tables never echo identifier-like values ---------------------------------------

def test_4_identifiers_never_reach_problem_tables(tmp_path: Path) -> None:
    """Labels swapped (e-mail in the site column, BSN in the group column), a phone number in
    an item, and the id column mapped twice (also as the site)."""
    folder = _corpus_study(tmp_path)
    (folder / "data" / "raw" / "t0" / "good.csv").write_text(
        "id;site;group;brs_1;brs_2;brs_3;brs_4;brs_5;brs_6\n"
        "1;jan.jansen@example.nl;111222333;4;2;4;2;4;2\n"
        "2;a;interventie;06-12345678;2;4;2;4;2\n"
        "3;a;+31 6 12345678;4;2;4;2;4;2\n", "utf-8")
    (folder / "data" / "raw" / "t0" / "twice.csv").write_text(
        "id;site;group;brs_1;brs_2;brs_3;brs_4;brs_5;brs_6\n"
        "111222333;111222333;interventie;4;2;4;2;4;2\n", "utf-8")
    _ensure_key(folder)
    run = CliRunner().invoke(cli, ["ingest", str(folder)])
    assert run.exit_code == 1 and "Traceback" not in run.output
    tables = "".join(p.read_text("utf-8") for p in (folder / "store").rglob("*.problems.*"))
    for secret in ("jan.jansen@example.nl", "111222333", "06-12345678", "+31 6 12345678"):
        assert secret not in run.output and secret not in tables, secret
    assert "looks like an e-mail address" in tables and "looks like a BSN" in tables
    assert "looks like a phone number" in tables
    check = CliRunner().invoke(cli, ["validate", str(folder), "--data", "--json"])
    assert "jan.jansen" not in check.output and "111222333" not in check.output


# --- 13. "$...$" in labels is text, not mathtext -----------------------------------------------

@pytest.mark.parametrize("label", [r"$\foo$ broken", "kosten $5 tot $10", "$x^2$"])
def test_13_dollar_signs_in_labels_are_plain_text(label: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evaltools.reports.html import png

    fig, ax = plt.subplots()
    ax.set_title(label)
    ax.set_yticks([0, 1], [label, "b"])
    # before the fix: ValueError from the mathtext parser, or mangled text
    image = png(fig, alt="a figure")
    assert image.data[:4] == b"\x89PNG"
    assert ax.title.get_parse_math() is False


# --- 21. no warnings, no local paths in reports; HOME=/ works ---------------------------------

def _notebook_with(outputs: list) -> object:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    nb.cells.append(cell)
    return nb


def test_21_warnings_never_reach_a_report_and_home_root_is_allowed(tmp_path: Path,
                                                                   monkeypatch) -> None:
    import sys

    from evaltools.reports import render

    warning = {"output_type": "stream", "name": "stderr",
               "text": f"{sys.prefix}/lib/python3.11/site-packages/scipy/stats/_x.py:1: "
                       "RuntimeWarning: invalid value encountered\n"}
    shown = {"output_type": "stream", "name": "stdout", "text": "Tabel 1 / 2\n"}
    nb = render._without_warnings(_notebook_with([warning, shown]))
    assert [o["name"] for o in nb.cells[0].outputs] == ["stdout"]
    monkeypatch.setenv("HOME", "/")
    page = render.notebook_html(nb, "t", "prepost", "nl", tmp_path / "work", [])
    assert "Tabel 1 / 2" in page  # before: refused, "/" (the home) is in every page
    cleaned = render._clean(_notebook_with([shown]), tmp_path / "work")
    assert "Tabel 1 / 2" in cleaned  # and HOME=/ does not erase every slash


def test_21_failed_notebooks_carry_no_absolute_paths(tmp_path: Path) -> None:
    import sys

    from evaltools.reports import render

    study = tmp_path / "my-study"
    error = {"output_type": "error", "ename": "ValueError", "evalue": "bad",
             "traceback": [f"File {sys.prefix}/lib/python3.11/site-packages/pandas/x.py",
                           f"File {Path(render.__file__).parents[1]}/analysis/x.py",
                           f"reading {study}/store/responses/t1"]}
    text = render._clean(_notebook_with([error]), tmp_path / "work", [str(study)])
    assert sys.prefix not in text and str(study) not in text
    assert str(Path(render.__file__).parents[1]) not in text
    assert text.count("<private>") >= 3


def test_16_17_retract_conflicts_and_long_texts_on_every_backend(register_url,
                                                                  register_rows) -> None:
    """The same rules on SQLite and PostgreSQL (where a 250-character name used to stop the
    run with a database error before any report)."""
    from evaltools.register import Register, RegisterError

    with Register(register_url) as reg:
        long = register_rows.head(1).assign(intervention="x" * 250)
        with pytest.raises(RegisterError, match="longer than 200 characters"):
            reg.add(long)
        reg.add(register_rows)
        forged = register_rows.head(1).assign(effect_size=register_rows["ci_low"].iloc[0])
        with pytest.raises(RegisterError, match="conflicting"):
            reg.add(forged)
        study_id = register_rows["study"].iloc[0]
        assert reg.retract(study_id, "withdrawn for the test") == len(register_rows)
        assert reg.retract(study_id, "again") == 0  # already withdrawn
        assert reg.read().empty and len(reg.read(current=False)) == len(register_rows)


def test_9_a_long_name_in_wide_characters_gets_a_problem_table(tmp_path: Path) -> None:
    folder = _corpus_study(tmp_path)
    raw = folder / "data" / "raw" / "t0"
    name = "\N{GRINNING FACE}" * 62 + ".csv"  # 252 bytes: fits, its problem table would not
    (raw / name).write_text("id;site;group;brs_1;brs_2;brs_3;brs_4;brs_5;brs_6\n"
                            "1;a;interventie;4;2;4;2;4;7\n", "utf-8")
    _ensure_key(folder)
    status = {o.file.rsplit("/", 1)[-1]: o for o in ingest(folder).outcomes}
    assert status[name].status == "quarantined"
    report = folder / status[name].report
    assert report.is_file() and len(report.name.encode()) <= 255
    assert "brs_6" in report.read_text("utf-8")

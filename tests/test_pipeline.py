"""`evaltools run`: nothing reruns without a change; a changed file reruns exactly the affected
reports; overlapping runs are refused; interrupted jobs are completed; a broken template fails
only its own jobs; replaced reports are kept as superseded."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from evaltools.cli.main import cli
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.demo.files import generate_demo_study
from evaltools.pipeline.ledger import Ledger
from evaltools.pipeline.run import RunLockedError, _Lock, plan_reports, report_status, run_study
from evaltools.reports.render import notebooks_dir
from evaltools.study.load import load_study


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """A 2-site demo study, run once (13 reports: data quality, 2 x 2 prepost, 2 x 2
    controlled, 2 site overviews, 2 site syntheses)."""
    base = tmp_path_factory.mktemp("pipeline")
    folder = base / "study"
    generate_demo_study(folder, seed=31, n_sites=2, size=(60, 70))
    study = load_study(folder)
    if default_key_file(study.id).exists():
        default_key_file(study.id).unlink()
    create_key(study)
    result = run_study(folder, jobs=2, reports_dir=base / "reports")
    return base, folder, result


def _keys(result) -> set[str]:
    return {r.key for r in result.reports if r.reason != "current"}


def test_first_run_renders_every_declared_report(first_run) -> None:
    base, _, result = first_run
    assert result.ok
    assert len(result.reports) == 13
    assert {r.status for r in result.reports} == {"ok"}
    assert (base / "reports" / "veerkracht-demo" / "index.html").is_file()
    # the run added the study's results to the register and rendered the overview
    added, present = result.register
    assert added > 0 and present == 0
    assert [p.html.parent.name for p in result.overview] == ["nl", "en"]
    index = (base / "reports" / "veerkracht-demo" / "index.html").read_text("utf-8")
    assert "../wat-werkt/nl/report.html" in index


def test_nothing_changed_renders_nothing(first_run) -> None:
    base, folder, _ = first_run
    again = run_study(folder, jobs=2, reports_dir=base / "reports")
    assert _keys(again) == set()
    assert again.register[0] == 0 and again.register[1] > 0 and again.overview == []
    private = run_study(folder, jobs=2, reports_dir=base / "reports", use_register=False)
    assert private.register is None and private.overview == [] and private.ok
    assert {r.status for r in again.reports} == {"skipped"}
    table, quarantined = report_status(folder, reports_dir=base / "reports")
    assert set(table["state"]) == {"current"} and quarantined.empty


def test_a_corrected_file_reruns_exactly_its_reports(first_run, tmp_path: Path) -> None:
    base, source, _ = first_run
    folder = tmp_path / "study"
    shutil.copytree(source, folder)
    reports = tmp_path / "reports"
    shutil.copytree(base / "reports", reports)
    target = folder / "data" / "raw" / "t1" / "rotterdam-zuid_t1.csv"
    target.write_bytes(target.read_bytes().replace(b";4;", b";3;", 1))
    planned = plan_reports(load_study(folder), reports_dir=reports)
    assert _keys_of(planned) == set()  # the plan reads the store: not ingested yet
    result = run_study(folder, jobs=2, reports_dir=reports)
    assert _keys(result) == {"all/all-waves/data_quality", "rotterdam-zuid/t1/prepost",
                             "rotterdam-zuid/t1/controlled", "all/t1/site_overview",
                             "all/t1/site_synthesis"}
    assert result.ok
    assert result.register[0] > 0 and len(result.overview) == 2  # a new data version
    superseded = list((reports / "veerkracht-demo" / "t1" / "rotterdam-zuid").glob(
        "prepost.superseded-*"))
    assert len(superseded) == 1 and (superseded[0] / "report.html").is_file()
    index = (reports / "veerkracht-demo" / "index.html").read_text("utf-8")
    assert "superseded" in index


def _keys_of(planned) -> set[str]:
    return {r.key for r in planned if r.reason != "current"}


def test_dry_run_shows_the_plan_and_changes_nothing(first_run, tmp_path: Path) -> None:
    base, source, _ = first_run
    folder = tmp_path / "study"
    shutil.copytree(source, folder)
    manifest = (folder / "store" / "manifest.json").read_bytes()
    out = CliRunner().invoke(cli, ["run", str(folder), "--dry-run", "--force", "--reports-dir",
                                   str(tmp_path / "reports")])
    assert out.exit_code == 0, out.output
    assert out.output.count("would render") == 13
    assert (folder / "store" / "manifest.json").read_bytes() == manifest
    assert not (tmp_path / "reports").exists()


def test_overlapping_runs_are_refused(first_run) -> None:
    base, folder, _ = first_run
    study = load_study(folder)
    with _Lock(study):
        with pytest.raises(RunLockedError, match="another evaltools run is busy"):
            run_study(folder, reports_dir=base / "reports")
        out = CliRunner().invoke(cli, ["run", str(folder), "--reports-dir",
                                       str(base / "reports")])
        assert out.exit_code == 1 and "another evaltools run is busy" in out.output


def test_a_killed_run_is_completed_next_time(first_run, tmp_path: Path) -> None:
    base, source, _ = first_run
    folder = tmp_path / "study"
    shutil.copytree(source, folder)
    reports = tmp_path / "reports"
    shutil.copytree(base / "reports", reports)
    ledger = Ledger(folder / "store" / "ledger.sqlite")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    run_id = ledger.start_run("killed")
    with ledger._connect() as db:  # the run belonged to a process that no longer exists
        db.execute("UPDATE runs SET pid = ? WHERE id = ?", (int(dead.stdout), run_id))
    job = ledger.add_job(run_id, "prepost", "den-haag-zuidwest", "t2", "x")
    ledger.set_job(job, "running")
    result = run_study(folder, jobs=1, reports_dir=reports)
    assert result.interrupted == 1
    assert _keys(result) == {"den-haag-zuidwest/t2/prepost"}
    assert result.ok
    assert ledger.runs()[1]["status"] == "interrupted"


def test_a_broken_template_fails_only_its_jobs(first_run, tmp_path: Path,
                                               monkeypatch) -> None:
    base, source, _ = first_run
    folder = tmp_path / "study"
    shutil.copytree(source, folder)
    broken = tmp_path / "templates"
    shutil.copytree(notebooks_dir(), broken)
    nb = nbformat.read(broken / "site_overview.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("raise ValueError('stuk')"))
    nbformat.write(nb, broken / "site_overview.ipynb")
    monkeypatch.setenv("EVALTOOLS_NOTEBOOKS", str(broken))
    out = CliRunner().invoke(cli, ["run", str(folder), "-j", "2", "--reports-dir",
                                   str(tmp_path / "reports")])
    assert out.exit_code == 1
    assert out.output.count("failed   all/t") == 2 and "ValueError: stuk" in out.output
    assert "11 rendered, 2 failed" in out.output
    status = json.loads(CliRunner().invoke(cli, ["status", str(folder), "--json",
                                                 "--reports-dir",
                                                 str(tmp_path / "reports")]).output)
    states = {(r["template"], r["state"]) for r in status["reports"]}
    assert ("site_overview", "failed") in states and ("prepost", "current") in states


def test_warm_and_fresh_kernels_give_the_same_report(first_run, tmp_path: Path) -> None:
    """The warm-kernel default and --fresh-kernels (papermill, a kernel per report) agree."""
    base, folder, _ = first_run
    fresh = run_study(folder, jobs=1, force=True, fresh_kernels=True,
                      only=["rotterdam-zuid/t1/prepost", "all/t2/site_overview"],
                      reports_dir=tmp_path / "fresh")
    assert fresh.ok
    warm_root = base / "reports" / "veerkracht-demo"
    fresh_root = tmp_path / "fresh" / "veerkracht-demo"
    for folder_name in ("t1/rotterdam-zuid/prepost", "t2/all/site_overview"):
        warm_tables = json.loads((warm_root / folder_name / "tables" / "tables.json")
                                 .read_text("utf-8"))
        fresh_tables = json.loads((fresh_root / folder_name / "tables" / "tables.json")
                                  .read_text("utf-8"))
        assert warm_tables == fresh_tables
        warm_html = (warm_root / folder_name / "report.html").read_text("utf-8")
        fresh_html = (fresh_root / folder_name / "report.html").read_text("utf-8")
        strip = lambda text: re.sub(r"data:image/png;base64,[^\"]+", "", text)  # noqa: E731
        assert strip(warm_html) == strip(fresh_html)


def test_dask_executor_gives_the_same_outputs(first_run, tmp_path: Path) -> None:
    """Jobs sent to a Dask cluster (a LocalCluster here) give the local executor's reports."""
    from distributed import LocalCluster

    base, source, _ = first_run
    folder = tmp_path / "study"
    shutil.copytree(source, folder)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        result = run_study(folder, executor="dask", scheduler=cluster.scheduler_address,
                           only=["rotterdam-zuid/t1/*", "all/t1/site_overview"],
                           reports_dir=tmp_path / "reports")
    assert result.ok and len([r for r in result.reports if r.status == "ok"]) == 3
    for name in ("t1/rotterdam-zuid/prepost", "t1/rotterdam-zuid/controlled",
                 "t1/all/site_overview"):
        local = base / "reports" / "veerkracht-demo" / name / "tables" / "tables.json"
        dask = tmp_path / "reports" / "veerkracht-demo" / name / "tables" / "tables.json"
        assert json.loads(dask.read_text("utf-8")) == json.loads(local.read_text("utf-8"))
    ledger = Ledger(folder / "store" / "ledger.sqlite")
    assert {j["status"] for j in ledger.jobs(ledger.runs()[0]["id"])} >= {"ok"}
    with pytest.raises(ValueError, match="--scheduler"):
        run_study(folder, executor="dask", reports_dir=tmp_path / "reports", force=True,
                  only=["rotterdam-zuid/t1/prepost"])


def test_a_new_wave_adds_reports_and_leaves_older_ones(first_run, tmp_path: Path) -> None:
    base, source, _ = first_run
    folder = tmp_path / "study"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("store"))
    later = tmp_path / "later"
    shutil.move(folder / "data" / "raw" / "t2", later)
    (folder / "data" / "raw" / "t2").mkdir()
    reports = tmp_path / "reports"
    first = run_study(folder, jobs=2, reports_dir=reports)
    waiting = {r.key for r in first.reports if r.reason == "no data yet"}
    assert waiting == {"rotterdam-zuid/t2/prepost", "den-haag-zuidwest/t2/prepost",
                       "rotterdam-zuid/t2/controlled", "den-haag-zuidwest/t2/controlled",
                       "all/t2/site_overview", "all/t2/site_synthesis"}
    t1_report = reports / "veerkracht-demo" / "t1" / "rotterdam-zuid" / "prepost"
    stamp = (t1_report / "report.html").stat().st_mtime_ns
    for path in later.iterdir():
        shutil.copy(path, folder / "data" / "raw" / "t2" / path.name)
    second = run_study(folder, jobs=2, reports_dir=reports)
    assert _keys(second) == waiting | {"all/all-waves/data_quality"}
    assert (t1_report / "report.html").stat().st_mtime_ns == stamp  # older wave untouched
    assert not list(t1_report.parent.glob("prepost.superseded-*"))


def test_an_unchanged_register_is_not_opened_again(first_run, monkeypatch) -> None:
    """After a successful register step the run records a stamp; a run that finds nothing
    changed reports the same register counts without importing the register's machinery."""
    import evaltools.pipeline.run as run_module
    from evaltools.pipeline.stamp import REGISTER_STAMP

    base, folder, _ = first_run
    full = run_study(folder, jobs=1, reports_dir=base / "reports")
    assert (folder / "store" / REGISTER_STAMP).is_file()

    def no_jobs():
        raise AssertionError("a no-op run opened the register or the rendering machinery")

    monkeypatch.setattr(run_module, "_jobs", no_jobs)
    quick = run_study(folder, jobs=1, reports_dir=base / "reports")
    assert quick.register == full.register and quick.register[1] > 0
    assert quick.overview == [] and quick.ok and _keys(quick) == set()


def test_a_changed_register_or_overview_is_opened_again(first_run, tmp_path: Path) -> None:
    import sqlite3

    from evaltools.pipeline.stamp import overview_languages, unchanged_register

    base, source, _ = first_run
    folder = tmp_path / "study"
    shutil.copytree(source, folder)
    reports = tmp_path / "reports"
    shutil.copytree(base / "reports", reports)
    study = load_study(folder)
    languages = overview_languages(study.language)
    first = run_study(folder, jobs=1, reports_dir=reports)  # another reports folder: opened
    assert unchanged_register(study, None, reports, languages) == first.register[1]
    assert unchanged_register(study, None, base / "reports", languages) is None
    page = reports / "wat-werkt" / "en" / "report.html"
    kept = page.read_bytes()
    page.unlink()
    assert unchanged_register(study, None, reports, languages) is None
    page.write_bytes(kept)
    assert unchanged_register(study, None, reports, languages) == first.register[1]
    with sqlite3.connect(reports / "register.sqlite") as db:  # e.g. another study's rows
        db.execute("CREATE TABLE another_write (x)")
    db.close()
    assert unchanged_register(study, None, reports, languages) is None
    again = run_study(folder, jobs=1, reports_dir=reports)
    assert again.register == first.register and again.ok
    assert unchanged_register(study, None, reports, languages) == first.register[1]


class _Inline:
    """A synchronous stand-in for the process pool: records when it is made and runs each
    job at once (the jobs themselves are replaced in the test)."""

    def __init__(self, events, *args, **kwargs):
        self.events = events
        events.append("pool")

    def submit(self, fn, *args):
        from concurrent.futures import Future

        future = Future()
        future.set_result(fn(*args))
        return future

    def shutdown(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


def test_workers_warm_their_kernels_while_the_run_ingests(study_copy, tmp_path, monkeypatch):
    """New wave files: the workers start (and import in their kernels) before the ingest, on
    the other cores; a run with nothing to ingest starts no kernel ahead of need."""
    from evaltools.pipeline import jobs, run

    study = load_study(study_copy)
    if not default_key_file(study.id).exists():
        create_key(study)
    events: list[str] = []
    monkeypatch.setattr(run, "ProcessPoolExecutor", lambda *a, **k: _Inline(events, *a, **k))
    monkeypatch.setattr(jobs, "warm_up", lambda: events.append("warm"))
    monkeypatch.setattr(jobs, "render_job",
                        lambda args: events.append("render") or ("ok", None, None))
    ingest = run._ingest
    monkeypatch.setattr(run, "_ingest", lambda *a: events.append("ingest") or ingest(*a))
    reports = tmp_path / "reports"
    run_study(study_copy, jobs=2, use_register=False, reports_dir=reports)
    assert events[:4] == ["pool", "warm", "warm", "ingest"], events
    assert "render" in events
    events.clear()
    run_study(study_copy, jobs=2, use_register=False, reports_dir=reports)
    assert "ingest" not in events and "warm" not in events


def test_a_free_worker_gets_a_report_of_the_site_it_has_just_rendered() -> None:
    """After the first reports, the worker that has just finished a report gets one of the
    same site and wave if one waits, else of the same site, else the next in order: its
    kernel re-uses what it derived for that site."""
    from evaltools.pipeline.plan import PlannedReport
    from evaltools.pipeline.run import _next_for, _take

    def report(template, site, wave):
        return PlannedReport(template, site, wave, "f", "new")

    waiting = [(report(t, s, w), (t, s, w)) for t in ("prepost", "controlled")
               for w in ("t1", "t2") for s in ("a", "b")]
    first = _take(waiting, 2)
    assert [args for _, args in first] == [("prepost", "a", "t1"), ("prepost", "b", "t1")]
    assert _next_for(waiting, first[0][0])[1] == ("controlled", "a", "t1")
    assert _next_for(waiting, first[0][0])[1] == ("prepost", "a", "t2")
    assert _next_for(waiting, report("site_overview", "all", "t1"))[1] == ("prepost", "b", "t2")
    assert _next_for(waiting, None)[1] == ("controlled", "b", "t1")
    order = [_next_for(waiting, first[1][0])[1] for _ in range(len(waiting))]
    assert order == [("controlled", "b", "t2"), ("controlled", "a", "t2")] and not waiting

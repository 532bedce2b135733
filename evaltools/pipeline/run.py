"""``evaltools run``: the idempotent, incremental pipeline for scheduled use.

One run: take the study's lock, mark jobs of runs that died as interrupted, ingest new and
changed wave files, compute each declared report's fingerprint, render the reports whose
fingerprint differs from their last good render (or that failed, were interrupted or are
missing), and refresh the index. A report's fingerprint covers the template's content, its
parameters, the exact slice of input data it reads (the stored files of its waves and sites),
the instruments, ``study.yml``, the evaltools version and the installed package set.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import fnmatch
import hashlib
import json
import os
import signal
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import distributions
from pathlib import Path

import pandas as pd

from evaltools.core.errors import EvaltoolsError
from evaltools.core.version import __version__
from evaltools.data.ingest import check_data, ingest
from evaltools.data.panel import NothingIngestedError
from evaltools.data.store import Manifest
from evaltools.pipeline.kernels import CONNECTION_PREFIX, WarmKernel
from evaltools.pipeline.ledger import Ledger
from evaltools.register import Register, register_url
from evaltools.register.collect import collect, inputs_fingerprint
from evaltools.reports.inputs import data_slice
from evaltools.reports.overview import OVERVIEW_FOLDER, overview_is_current, render_overview
from evaltools.reports.render import (
    ReportError,
    declared_reports,
    notebooks_dir,
    pid_alive,
    remove_leftovers,
    render_report,
    report_folder,
    write_index,
)
from evaltools.study.load import as_study
from evaltools.study.model import Study

__all__ = ["run_study", "plan_reports", "report_status", "RunLockedError",
           "PlannedReport", "RunResult", "STATUS_COLUMNS"]

STATUS_COLUMNS = ["template", "site", "wave", "state", "last_status", "last_run", "error",
                  "output"]


_PR_SET_PDEATHSIG = 1  # prctl(2)


class RunLockedError(EvaltoolsError):
    """Another run holds the study's lock."""


@dataclass
class PlannedReport:
    template: str
    site: str
    wave: str
    fingerprint: str
    reason: str  # new | changed | failed before | interrupted | forced | current | no data yet
    job_id: int | None = None
    status: str = "planned"
    output: str | None = None
    error: str | None = None

    @property
    def key(self) -> str:
        return f"{self.site}/{self.wave or 'all-waves'}/{self.template}"


@dataclass
class RunResult:
    study: Study
    ingest: object
    reports: list[PlannedReport] = field(default_factory=list)
    interrupted: int = 0
    dry_run: bool = False
    #: register rows (added, already present); None when the register was not updated
    register: tuple[int, int] | None = None
    #: overview pages rendered in this run
    overview: list = field(default_factory=list)
    #: what went wrong with the register or the overview (the reports still render)
    register_error: str | None = None

    @property
    def ok(self) -> bool:
        """No quarantined file, no failed report, no register failure (a dry run renders
        nothing)."""
        done = ("ok", "skipped", "planned") if self.dry_run else ("ok", "skipped")
        return (self.ingest.ok and all(r.status in done for r in self.reports)
                and self.register_error is None)


@cache
def _environment() -> str:
    packages = sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions()
                      if d.metadata["Name"])
    return hashlib.sha256(("\n".join([__version__, *packages])).encode()).hexdigest()


def _study_inputs(study: Study) -> str:
    """What every report of a study depends on: its instruments, study.yml, the environment."""
    digest = hashlib.sha256()
    digest.update(repr([(i.id, i.version, i) for i in study.instruments]).encode())
    digest.update((study.folder / "study.yml").read_bytes())
    digest.update(_environment().encode())
    return digest.hexdigest()


def _fingerprint(study: Study, manifest: Manifest, template: str, site: str, wave: str,
                 language: str, shared: str) -> str:
    digest = hashlib.sha256()
    digest.update((notebooks_dir() / f"{template}.ipynb").read_bytes())
    digest.update(json.dumps([template, site, wave, language]).encode())
    for record in data_slice(study, manifest, template, site, wave):
        digest.update(f"{record.path}:{record.sha256}".encode())
    digest.update(shared.encode())
    return digest.hexdigest()


def _matches(only: list[str], template: str, site: str, wave: str) -> bool:
    if not only:
        return True
    key = f"{site}/{wave or 'all-waves'}/{template}"
    return any(fnmatch.fnmatch(key, pattern) for pattern in only)


def plan_reports(study: Study, *, force: bool = False, only: list[str] | None = None,
                 language: str = "", reports_dir: str | Path = "reports"
                 ) -> list[PlannedReport]:
    """What each declared report needs: rendering (and why) or nothing (``current``)."""
    manifest = Manifest.load(study.store_dir, study.id)
    ledger = Ledger(study.store_dir / "ledger.sqlite")
    language = language or study.language
    planned = []
    shared = _study_inputs(study)
    for template, site, wave in declared_reports(study):
        if not _matches(only or [], template, site, wave):
            continue
        wave_id = wave or ""
        print_wave = wave_id or next(w.id for w in study.waves if w.id != study.baseline.id)
        fp = _fingerprint(study, manifest, template, site, wave_id or print_wave, language,
                          shared)
        last_ok = ledger.last(template, site, wave_id, "ok")
        last_any = ledger.last(template, site, wave_id)
        exists = (report_folder(Path(reports_dir), study, template, site, print_wave)
                  / "report.html").is_file()
        has_data = template == "data_quality" or any(
            r.status == "accepted" and r.wave == (wave_id or print_wave)
            for r in manifest.files.values())
        if not has_data:
            reason = "no data yet"
        elif force:
            reason = "forced"
        elif last_any is not None and last_any["status"] == "interrupted":
            reason = "interrupted"
        elif last_any is not None and last_any["status"] == "failed" and (
                last_ok is None or last_ok["fingerprint"] != fp or last_any["id"] > last_ok["id"]):
            reason = "failed before" if last_any["fingerprint"] == fp else "changed"
        elif last_ok is None or not exists:
            reason = "new"
        elif last_ok["fingerprint"] != fp:
            reason = "changed"
        else:
            reason = "current"
        planned.append(PlannedReport(template, site, wave_id, fp, reason))
    return planned


class _Lock:
    def __init__(self, study: Study):
        self.path = study.store_dir / "run.lock"
        self.study = study

    #: Lock files this process holds (a POSIX lock does not exclude its own process).
    held: set[Path] = set()

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.resolve() in _Lock.held:
            raise RunLockedError(f"another evaltools run is busy with study {self.study.id!r} "
                                 f"(pid {os.getpid()}, this process); try again when it has "
                                 "finished")
        self.handle = open(self.path, "a+")  # noqa: SIM115 - held for the whole run
        try:
            # a POSIX record lock belongs to this process alone: worker processes forked
            # from it do not hold it, so it is gone the moment this process dies
            fcntl.lockf(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or "another process"
            self.handle.close()
            raise RunLockedError(f"another evaltools run is busy with study "
                                 f"{self.study.id!r} ({holder}); try again when it has "
                                 "finished") from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"pid {os.getpid()}")
        self.handle.flush()
        _Lock.held.add(self.path.resolve())
        return self

    def __exit__(self, *exc) -> None:
        _Lock.held.discard(self.path.resolve())
        fcntl.lockf(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _worker_start(parent: int) -> None:
    """Initialiser of each worker process: die with the run that started it.

    On Linux the kernel sends the worker SIGTERM when its parent dies (also by SIGKILL or the
    OOM killer); on SIGTERM the worker stops its warm kernel and exits.
    """
    signal.signal(signal.SIGTERM, _worker_stop)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the kernels' own parent check remains
        pass
    if os.getppid() != parent:  # the run died before the line above took effect
        _worker_stop()


def _worker_stop(*_) -> None:
    if _WARM is not None:
        _WARM.shutdown()
    os._exit(143)


def remove_dead_runs_leftovers(study: Study, reports_dir: str | Path) -> list[Path]:
    """What runs that were killed left: staging folders and replaced reports in the reports
    tree, work folders and kernel connection files in the temporary folder."""
    removed = remove_leftovers(reports_dir, study.id) + remove_leftovers(
        Path(reports_dir) / OVERVIEW_FOLDER)
    for path in Path(tempfile.gettempdir()).glob(f"{CONNECTION_PREFIX}*.json"):
        pid = path.name.removeprefix(CONNECTION_PREFIX).split("-")[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


_WARM = None


def _kernel(fresh: bool):
    """This worker's warm kernel (started on first use), or None for a fresh one per job."""
    global _WARM
    if fresh:
        return None

    if _WARM is None:
        _WARM = WarmKernel()
    return _WARM


def _render_job(args: tuple) -> tuple[str, str | None, str | None]:
    """Worker: render one report; returns (status, output folder, error).

    With warm kernels, each worker process keeps one pre-imported kernel for all its jobs.
    """
    study, template, site, wave, language, reports_dir, fresh = args

    kernel = _kernel(fresh)
    try:
        result = render_report(study, template, site=site, wave=wave, language=language,
                               reports_dir=reports_dir, keep_previous=True, index=False,
                               kernel=kernel)
    except ReportError as exc:
        return "failed", None, str(exc)
    except Exception as exc:  # noqa: BLE001 - one failing report never stops the others
        if kernel is not None:
            kernel.shutdown()  # start clean for the next job
        return "failed", None, f"{type(exc).__name__}: {exc}"
    return "ok", str(result.folder), None


def _overview_job(args: tuple):
    """Worker: render the register's overview in one language; returns (page, error)."""
    url, reports_dir, language, fresh = args

    kernel = _kernel(fresh)
    try:
        with Register(url) as reg:
            return render_overview(reg, reports_dir=reports_dir, language=language,
                                   kernel=kernel), None
    except EvaltoolsError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - reported, never raised into the run
        if kernel is not None:
            kernel.shutdown()
        return None, f"{type(exc).__name__}: {exc}"


def run_study(study: Study | str | Path, *, jobs: int | None = None, force: bool = False,
              dry_run: bool = False, only: list[str] | None = None, language: str = "",
              reports_dir: str | Path = "reports", fresh_kernels: bool = False,
              executor: str = "local", scheduler: str | None = None,
              register: str | None = None, use_register: bool = True, on_event=None,
              on_plan=None) -> RunResult:
    """One scheduled run over a study (see the module docstring).

    ``study`` is the loaded :class:`~evaltools.study.Study` or its folder; it is read once and
    passed on to every report.

    After ingesting, the study's results are added to the evidence register (``register``:
    an SQLAlchemy URL; default :func:`evaltools.register.register_url`); when that added
    rows, or the overview is missing, the "Wat werkt" overview is rendered again after the
    reports. ``use_register=False`` leaves the register and the overview alone.

    Returns
    -------
    RunResult
        ``ok`` is false when a file was quarantined or a report failed.

    Raises
    ------
    RunLockedError
        If another run holds the study's lock.
    """
    if executor not in ("local", "dask"):
        raise ValueError(f"executor={executor!r}: expected 'local' or 'dask'")
    if executor == "dask" and not scheduler:
        raise ValueError("the dask executor needs --scheduler ADDRESS")
    study = as_study(study)
    study.check_output_folder(reports_dir)
    notify = on_event or (lambda *a: None)
    with _Lock(study):
        remove_dead_runs_leftovers(study, reports_dir)
        ledger = Ledger(study.store_dir / "ledger.sqlite")
        interrupted = ledger.recover()
        ingested = check_data(study) if dry_run else ingest(study)
        result = RunResult(study, ingested, interrupted=len(interrupted), dry_run=dry_run)
        result.reports = plan_reports(study, force=force, only=only, language=language,
                                      reports_dir=reports_dir)
        if dry_run:
            return result
        url = _update_register(study, result, register, reports_dir) if use_register else None
        run_id = ledger.start_run(json.dumps({"force": force, "only": only or []}))
        idle = ("current", "no data yet")
        todo = [r for r in result.reports if r.reason not in idle]
        for report in result.reports:
            report.job_id = ledger.add_job(run_id, report.template, report.site, report.wave,
                                           report.fingerprint,
                                           "skipped" if report.reason in idle else "planned")
            if report.reason in idle:
                report.status = "skipped"
        tasks = [(report, (study, report.template, report.site, report.wave,
                           language, str(reports_dir), fresh_kernels)) for report in todo]
        for report in todo:
            ledger.set_job(report.job_id, "running")
        if on_plan is not None:
            on_plan(len(todo))

        def done(report: PlannedReport, outcome: tuple) -> None:
            report.status, report.output, report.error = outcome
            ledger.set_job(report.job_id, report.status, error=report.error,
                           output=report.output)
            notify(report)

        pages = _overview_languages(url, result, reports_dir, language or study.language)
        overview_tasks = [(url, str(reports_dir), lang, fresh_kernels) for lang in pages]

        def page_done(outcome) -> None:
            page, error = outcome
            if page is not None:
                result.overview.append(page)
            else:
                result.register_error = f"overview: {error}"

        if executor == "dask":
            _run_on_dask(tasks, scheduler, done)
            for args in overview_tasks:  # beside the cluster: it reads the register
                page_done(_overview_job(args[:3] + (True,)))
        else:
            workers = max(1, min(jobs or os.cpu_count() or 1,
                                 len(todo) + len(overview_tasks) or 1))
            with ProcessPoolExecutor(max_workers=workers, initializer=_worker_start,
                                     initargs=(os.getpid(),)) as pool:
                futures = {pool.submit(_render_job, args): report for report, args in tasks}
                pending = [pool.submit(_overview_job, args) for args in overview_tasks]
                for future in as_completed(futures):
                    done(futures[future], future.result())
                for future in pending:
                    page_done(future.result())
            result.overview.sort(key=lambda page: pages.index(page.html.parent.name))
        write_index(reports_dir, study.id)
        ledger.finish_run(run_id, "ok" if result.ok else "failed")
    return result


def _update_register(study: Study, result: RunResult, url: str | None,
                     reports_dir: str | Path) -> str | None:
    """Add the study's current results to the register; returns its URL (None on failure)."""
    try:
        url = register_url(study, url=url, reports_dir=reports_dir)
        with Register(url) as reg:
            present = reg.holds(study.evidence.organisation or "", study.id,
                                inputs_fingerprint(study))
            if present:  # these inputs are in already: nothing to compute
                result.register = (0, present)
            else:
                result.register = reg.add(collect(study), source=f"study {study.id}")
    except NothingIngestedError:
        result.register = (0, 0)
    except EvaltoolsError as exc:
        result.register_error = str(exc)
        return None
    except Exception as exc:  # noqa: BLE001 - the register never stops the reports
        result.register_error = f"register: {type(exc).__name__}: {exc}"
        return None
    return url


def _overview_languages(url: str | None, result: RunResult, reports_dir: str | Path,
                        language: str) -> list[str]:
    """The overview's languages to render: both (the study's first) when the register
    changed or the overview is missing; none when the register could not be updated."""
    if url is None:
        return []
    try:
        with Register(url) as reg:
            fingerprint = reg.fingerprint()
    except EvaltoolsError as exc:
        result.register_error = str(exc)
        return []
    languages = list(dict.fromkeys([language, "nl", "en"]))
    if all(overview_is_current(reports_dir, lang, fingerprint) for lang in languages):
        return []
    return languages


def _run_on_dask(tasks: list, scheduler: str | None, done) -> None:
    """Send report jobs to an existing Dask distributed cluster (shared file system)."""
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(scheduler, timeout=60) as client:
        futures = {client.submit(_render_job, args, pure=False): report
                   for report, args in tasks}
        for future in dask_completed(list(futures)):
            done(futures[future], future.result())


def report_status(study: Study | str | Path, *, reports_dir: str | Path = "reports"
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What is current, stale, failed or missing, and which files are quarantined.

    Returns
    -------
    reports : DataFrame
        Columns :data:`STATUS_COLUMNS`; ``state`` is ``current``, ``stale`` (its inputs
        changed since), ``failed``, ``interrupted`` or ``missing``.
    quarantined : DataFrame
        ``file, wave, errors, report`` of quarantined raw files.
    """
    study = as_study(study)
    ledger = Ledger(study.store_dir / "ledger.sqlite")
    rows = []
    for report in plan_reports(study, reports_dir=reports_dir):
        last = ledger.last(report.template, report.site, report.wave)
        state = {"current": "current", "changed": "stale", "new": "missing",
                 "failed before": "failed", "interrupted": "interrupted",
                 "no data yet": "waiting"}[report.reason]
        rows.append([report.template, report.site, report.wave or "all-waves", state,
                     None if last is None else last["status"],
                     None if last is None else last["ended"],
                     None if last is None else last["error"],
                     None if last is None else last["output"]])
    manifest = Manifest.load(study.store_dir, study.id)
    quarantined = pd.DataFrame([(r.path, r.wave, r.errors, r.report)
                                for r in manifest.files.values() if r.status == "quarantined"],
                               columns=["file", "wave", "errors", "report"])
    return pd.DataFrame(rows, columns=STATUS_COLUMNS), quarantined

"""``evaltools run``: the idempotent, incremental pipeline for scheduled use.

One run: take the study's lock, mark jobs of runs that died as interrupted, ingest new and
changed wave files, compute each declared report's fingerprint, render the reports whose
fingerprint differs from their last good render (or that failed, were interrupted or are
missing), and refresh the index. A report's fingerprint covers the template's content, its
parameters, the exact slice of input data it reads (the stored files of its waves and sites),
the instruments, ``study.yml``, the evaltools version and the installed package set.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import tempfile
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing import current_process, forkserver, get_all_start_methods, get_context
from pathlib import Path
from typing import TYPE_CHECKING

from evaltools.core.errors import EvaltoolsError
from evaltools.data.scan import IngestResult, unchanged_ingest
from evaltools.pipeline.ledger import Ledger
from evaltools.pipeline.plan import (
    QUARANTINE_COLUMNS,
    STATUS_COLUMNS,
    PlannedReport,
    plan_reports,
    report_states,
)
from evaltools.pipeline.stamp import (
    overview_languages,
    remove_register_stamp,
    unchanged_register,
    write_register_stamp,
)
from evaltools.reports.export import check_formats
from evaltools.reports.index import OVERVIEW_FOLDER, write_index
from evaltools.reports.layout import (
    CONNECTION_PREFIX,
    SOCKET_PATH_MAX,
    declared_reports,
    pid_alive,
    remove_leftovers,
)
from evaltools.study.load import as_study
from evaltools.study.model import Study

if TYPE_CHECKING:
    import pandas as pd

#: plan_reports, PlannedReport and STATUS_COLUMNS live in :mod:`evaltools.pipeline.plan` (no
#: pandas, no rendering machinery) and stay importable from here.
#: Worker processes are never forks of this process: a fork copies locks that other threads
#: hold at that moment (a Jupyter kernel's, a test runner's, a warm kernel client's zmq
#: threads), and a worker that inherits a held lock hangs forever. They start fresh (spawn),
#: or on Linux as forks of a forkserver: a new single-threaded process that imports the
#: workers' and their kernels' libraries once (:mod:`evaltools.pipeline.preload`).
SPAWN = get_context("spawn")

__all__ = ["run_study", "plan_reports", "report_status", "RunLockedError",
           "PlannedReport", "RunResult", "STATUS_COLUMNS"]


def pool_context():
    """The multiprocessing context of the run's workers: on Linux the forkserver, started
    here (:func:`_start_forkserver`), else spawn; spawn too where the temporary folder is too
    deep for the forkserver's socket."""
    if sys.platform.startswith("linux") and "forkserver" in get_all_start_methods() \
            and _forkserver_fits():
        context = get_context("forkserver")
        _start_forkserver(context)
        return context
    return SPAWN


#: What the preloaded libraries read when they are imported: a forkserver started under
#: other values (a long session that changed them) is replaced.
IMPORT_TIME_VARIABLES = ("PYTHONPATH", "PYTHONHASHSEED", "OMP_NUM_THREADS",
                         "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MPLCONFIGDIR",
                         "MPLBACKEND", "LANG", "LC_ALL", "TZ")
_SERVER_STARTED_WITH: tuple | None = None


def _start_forkserver(context) -> None:
    """Start the forkserver with the preload, this process's import path and no current
    folder ahead of it, unless the one it started runs already under the same settings.

    CPython 3.11's forkserver ignores the import path it is given and puts the folder it
    starts in first, where any ``statistics.py`` would shadow the standard library's: it
    gets this process's path as ``PYTHONPATH``, with ``PYTHONSAFEPATH`` set, for its start
    only (its workers take the run's environment, :func:`evaltools.pipeline.jobs.worker_start`).
    """
    global _SERVER_STARTED_WITH
    server = forkserver._forkserver
    path = [entry or os.getcwd() for entry in sys.path]
    settings = (tuple(path), tuple(os.environ.get(name) for name in IMPORT_TIME_VARIABLES))
    if server._forkserver_pid is not None:
        if _SERVER_STARTED_WITH in (None, settings):  # not ours, or as wanted
            return
        server._stop()
    context.set_forkserver_preload(["evaltools.pipeline.preload"])
    saved = {name: os.environ.get(name) for name in ("PYTHONPATH", "PYTHONSAFEPATH")}
    os.environ["PYTHONPATH"] = os.pathsep.join(path)
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        server.ensure_running()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    _SERVER_STARTED_WITH = settings


def _forkserver_fits() -> bool:
    """Whether the forkserver's socket, ``<temp>/pymp-XXXXXXXX/listener-XXXXXXXX`` (in
    multiprocessing's temporary folder if it made one already), fits a socket address."""
    folder = current_process()._config.get("tempdir") or os.path.join(
        tempfile.gettempdir(), "pymp-XXXXXXXX")
    return len(os.fsencode(os.path.join(folder, "listener-XXXXXXXX"))) <= SOCKET_PATH_MAX


class RunLockedError(EvaltoolsError):
    """Another run holds the study's lock."""


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


def remove_dead_runs_leftovers(study: Study, reports_dir: str | Path) -> list[Path]:
    """What runs that were killed left: staging folders and replaced reports in the reports
    tree, work folders and kernel connection files in the temporary folder."""
    removed = remove_leftovers(reports_dir, study.id) + remove_leftovers(
        Path(reports_dir) / OVERVIEW_FOLDER)
    # connection files, their IPC sockets and kernel logs: evaltools-kernel-<pid>-<id>*
    for path in Path(tempfile.gettempdir()).glob(f"{CONNECTION_PREFIX}*"):
        pid = path.name.removeprefix(CONNECTION_PREFIX).split("-")[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _warm_up(pool: ProcessPoolExecutor, workers: int) -> None:
    """Have each of the pool's workers start its kernel (errors come with the first report)."""
    try:
        for _ in range(workers):
            pool.submit(_worker_warm_up)
    except Exception:  # noqa: BLE001 - the run's own submit meets the same error and reports it
        pass


# The pool's initialiser and first job, named here so that starting the pool (and its
# forkserver) does not wait for this process to import the rendering machinery
def _worker_start(run: int, environ: dict[str, str]) -> None:
    _jobs().worker_start(run, environ)


def _worker_warm_up() -> None:
    _jobs().warm_up()


def _take(waiting: list, count: int) -> list:
    """The first ``count`` tasks of ``waiting``, removed from it."""
    taken, waiting[:] = waiting[:count], waiting[count:]
    return taken


def _next_for(waiting: list, after: PlannedReport | None) -> tuple:
    """The task for the worker that has just rendered ``after`` (removed from ``waiting``):
    a report of the same site and wave, else of the same site, else the first waiting."""
    if after is not None:
        for same in ((lambda r: r.site == after.site and r.wave == after.wave),
                     (lambda r: r.site == after.site)):
            for index, (report, _) in enumerate(waiting):
                if same(report):
                    return waiting.pop(index)
    return waiting.pop(0)


def run_study(study: Study | str | Path, *, jobs: int | None = None, force: bool = False,
              dry_run: bool = False, only: list[str] | None = None, language: str = "",
              reports_dir: str | Path = "reports", fresh_kernels: bool = False,
              executor: str = "local", scheduler: str | None = None,
              register: str | None = None, use_register: bool = True, on_event=None,
              on_plan=None) -> RunResult:
    """One scheduled run over a study (see the module docstring).

    ``study`` is the loaded :class:`~evaltools.study.Study` or its folder; it is read once and
    passed on to every report. Each report is written in the formats the study declares
    (``reports.formats`` in study.yml: ``html`` and optionally ``pdf``, ``docx``).

    After ingesting, the study's results are added to the evidence register (``register``:
    an SQLAlchemy URL; default :func:`evaltools.register.register_url`); when that added
    rows, or the overview is missing, the "Wat werkt" overview is rendered again after the
    reports. ``use_register=False`` leaves the register and the overview alone. When nothing
    the register step depends on changed since a run recorded it (the register's SQLite file,
    the study's inputs, the overview pages: :mod:`evaltools.pipeline.stamp`), the register is
    not opened; nor is the ingest's machinery when no wave file changed
    (:func:`evaltools.data.scan.unchanged_ingest`).

    Returns
    -------
    RunResult
        ``ok`` is false when a file was quarantined or a report failed.

    Raises
    ------
    RunLockedError
        If another run holds the study's lock.
    ExportError
        The study's ``reports.formats`` asks for a format whose package is not installed.
    """
    if executor not in ("local", "dask"):
        raise ValueError(f"executor={executor!r}: expected 'local' or 'dask'")
    if executor == "dask" and not scheduler:
        raise ValueError("the dask executor needs --scheduler ADDRESS")
    study = as_study(study)
    check_formats(study.report_formats)  # a missing PDF or Word package fails before ingesting
    study.check_output_folder(reports_dir)
    notify = on_event or (lambda *a: None)
    with _Lock(study), ExitStack() as stack:
        remove_dead_runs_leftovers(study, reports_dir)
        ledger = Ledger(study.store_dir / "ledger.sqlite")
        interrupted = ledger.recover()
        workers = max(1, jobs or os.cpu_count() or 1)
        pool = None
        forked = False  # the workers come from a forkserver

        def start_workers() -> ProcessPoolExecutor:
            nonlocal pool, forked
            if pool is None:
                context = pool_context()
                forked = context is not SPAWN
                pool = stack.enter_context(ProcessPoolExecutor(
                    max_workers=workers, mp_context=context,
                    initializer=_worker_start, initargs=(os.getpid(), dict(os.environ))))
            return pool

        unchanged = None if dry_run else unchanged_ingest(study)
        if not dry_run and (unchanged is None or force) and executor == "local" \
                and not fresh_kernels and declared_reports(study):
            # wave files changed (or everything is forced): reports will render, so the workers
            # start their kernels (seconds of imports) on the other cores while this one
            # ingests; a forkserver's from a thread, as the first submit waits for its imports
            # (spawned workers from this thread: the parent their PR_SET_PDEATHSIG watches)
            start_workers()
            if forked:
                threading.Thread(target=_warm_up, args=(pool, workers),
                                 name="evaltools-warm-up", daemon=True).start()
            else:
                _warm_up(pool, workers)
        ingested = unchanged if unchanged is not None else _ingest(study, dry_run)
        result = RunResult(study, ingested, interrupted=len(interrupted), dry_run=dry_run)
        result.reports = plan_reports(study, force=force, only=only, language=language,
                                      reports_dir=reports_dir)
        if dry_run:
            return result
        languages = overview_languages(language or study.language)
        # the register step's outcome, known from its stamp when nothing it depends on changed
        held = (unchanged_register(study, register, reports_dir, languages) if use_register
                else None)
        if held is not None:
            result.register = (0, held)
        run_id = ledger.start_run(json.dumps({"force": force, "only": only or []}))
        idle = ("current", "no data yet")
        todo = [r for r in result.reports if r.reason not in idle]
        ids = ledger.add_jobs(run_id, [(report.template, report.site, report.wave,
                                        report.fingerprint,
                                        "skipped" if report.reason in idle else "planned")
                                       for report in result.reports])
        for report, job_id in zip(result.reports, ids, strict=True):
            report.job_id = job_id
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

        def page_done(outcome) -> None:
            page, error = outcome
            if page is not None:
                result.overview.append(page)
            else:
                result.register_error = f"overview: {error}"

        register_step = use_register and held is None

        def update_register() -> tuple[str | None, list[tuple]]:
            """The register step; returns the register's URL and the overview pages' tasks."""
            url = (_jobs().update_register(study, result, register, reports_dir)
                   if register_step else None)
            pages = [] if url is None else _jobs().overview_languages(
                url, result, reports_dir, language or study.language)
            return url, [(url, str(reports_dir), lang, fresh_kernels) for lang in pages]

        if executor == "dask":
            url, overview_tasks = update_register()
            _jobs().run_on_dask(tasks, scheduler, done)
            for args in overview_tasks:  # beside the cluster: it reads the register
                page_done(_jobs().overview_job(args[:3] + (True,)))
        elif tasks or register_step:
            # the reports read no register: their workers start (and render) while this
            # process updates the register; the overview pages follow once it is updated
            if pool is None:
                workers = max(1, min(workers, len(todo) + (len(languages) if register_step
                                                           else 0)))
            start_workers()
            # two reports per worker render while this process updates the register; the
            # overview pages (the longest jobs) go in next, not behind all reports, where one
            # worker would render a page alone at the end
            waiting = list(tasks)
            outstanding = {pool.submit(_jobs().render_job, args): report
                           for report, args in _take(waiting, 2 * workers)}
            url, overview_tasks = update_register()
            pages_out = [pool.submit(_jobs().overview_job, args) for args in overview_tasks]
            outstanding.update(dict.fromkeys(pages_out))
            # then a report goes to a worker only once it is free: the one that has just
            # finished, which gets a report of the same site (and wave) if one waits, so that
            # its kernel re-uses what it derived for that site (reports/notebook.py)
            while outstanding:
                finished, _ = wait(outstanding, return_when=FIRST_COMPLETED)
                for future in finished:
                    report = outstanding.pop(future)
                    if report is not None:
                        done(report, future.result())
                    if waiting and len(outstanding) < workers:
                        nxt, args = _next_for(waiting, report)
                        outstanding[pool.submit(_jobs().render_job, args)] = nxt
            for future in pages_out:
                page_done(future.result())
        else:
            url, overview_tasks = None, []
        if pool is not None:  # the workers and their kernels stop before the index is written
            pool.shutdown()
        pages = [args[2] for args in overview_tasks]
        result.overview.sort(key=lambda page: pages.index(page.html.parent.name))
        write_index(reports_dir, study.id)
        if register_step:  # the register step ran: record what it saw
            if url is not None and result.register_error is None:
                write_register_stamp(study, register, reports_dir, languages,
                                     _jobs().held_rows(url, study))
            else:
                remove_register_stamp(study)
        ledger.finish_run(run_id, "ok" if result.ok else "failed")
    return result


def _ingest(study: Study, dry_run: bool) -> IngestResult:
    """Ingest the study's new and changed wave files (check them all, for a dry run).

    Called only when something is to be ingested: when no wave file is new, changed or gone
    (:func:`evaltools.data.scan.unchanged_ingest`), the run knows the result without
    :mod:`evaltools.data.ingest`, which imports pandas, pyarrow, pyreadstat and openpyxl: 0.8
    of the 1.5 s of a no-op ``evaltools run`` of a 100-site study (``python -X importtime``).
    """
    from evaltools.data.ingest import check_data, ingest

    return check_data(study) if dry_run else ingest(study)


def _jobs():
    """:mod:`evaltools.pipeline.jobs`, imported when a run first needs it.

    It brings papermill, nbconvert, Jupyter, SQLAlchemy, Alembic, scipy and statsmodels: 10 of
    the 11 s of a no-op ``evaltools run`` of a 100-site study with ``--no-register`` (loaded
    2-core machine; ``benchmarks/pipeline.py``), none of which a run with nothing to render
    uses.
    """
    import evaltools.pipeline.jobs as jobs

    return jobs


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

    Notes
    -----
    The same records as :func:`evaltools.pipeline.plan.report_states`, as tables.
    """
    import pandas as pd  # a no-op run needs no pandas (see _ingest)

    reports, quarantined = report_states(study, reports_dir=reports_dir)
    return (pd.DataFrame(reports, columns=STATUS_COLUMNS),
            pd.DataFrame(quarantined, columns=QUARANTINE_COLUMNS))

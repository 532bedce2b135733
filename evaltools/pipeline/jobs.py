"""What ``evaltools run`` hands to worker processes, and the evidence register's update.

Rendering (papermill, nbconvert, a Jupyter kernel), the register (SQLAlchemy, Alembic) and the
analyses behind its rows take seconds to import; :func:`evaltools.pipeline.run.run_study`
imports this module only when a run has reports to render or a register to update, so that a
scheduled run with nothing to do stays well under a second (``benchmarks/pipeline.py``).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import multiprocessing.util
import os
import signal
import sys
import tempfile
from pathlib import Path

from evaltools.core.errors import EvaltoolsError
from evaltools.pipeline.kernels import WarmKernel
from evaltools.pipeline.stamp import overview_languages as page_languages
from evaltools.reports.kernel_fork import die_with_parent
from evaltools.reports.layout import ReportError, pid_alive
from evaltools.reports.render import render_report
from evaltools.study.model import Study

# The register and the overview (SQLAlchemy, Alembic, the analyses, matplotlib) are imported
# by the functions that use them: a worker that renders reports imports none of them (2.7 ->
# about 1 s at each worker's start; the analyses run in the kernel).

__all__ = ["warm_up", "render_job", "overview_job", "update_register", "held_rows", "run_on_dask"]


_WARM = None
_POOL_WORKER = False  # set in a worker of evaltools run's own pool (not in a Dask worker)
_FORK_KERNEL = False  # a pool worker forked from the preloaded forkserver


def worker_start(run: int, environ: dict[str, str] | None = None) -> None:
    """Initialiser of each worker process: take the run's environment, die with the run.

    On Linux the kernel sends the worker SIGTERM when its parent dies (also by SIGKILL or the
    OOM killer): the parent is the run, or the forkserver it started, which leaves as soon as
    the run is gone. On SIGTERM the worker stops its warm kernel and exits. A worker forked
    from a forkserver that imported the kernels' libraries forks its first kernel too
    (:mod:`evaltools.reports.kernel_fork`).
    """
    global _POOL_WORKER, _FORK_KERNEL
    _POOL_WORKER = True
    preload = sys.modules.get("evaltools.pipeline.preload")
    if environ is not None and environ != dict(os.environ):
        # a forkserver keeps the environment the run had when it started the server (in a
        # long session, before the caller set EVALTOOLS_HOME or TMPDIR, for example); what
        # the server's imports set for themselves stays
        start = getattr(preload, "START_ENVIRON", os.environ)
        added = {k: v for k, v in os.environ.items() if k not in start and k not in environ}
        os.environ.clear()
        os.environ.update(environ)
        os.environ.update(added)
        tempfile.tempdir = None
    _leave_forkserver_alone()
    signal.signal(signal.SIGTERM, _worker_stop)
    die_with_parent(signal.SIGTERM)  # not Linux: the kernels' own parent check remains
    if not _child_of_run(run):  # the run died before the line above took effect
        _worker_stop()
    # forked from the forkserver that imported the kernels' libraries: its kernel forks too
    _FORK_KERNEL = bool(getattr(preload, "READY", False))


def _leave_forkserver_alone() -> None:
    """Close this worker's copy of the forkserver's "alive" pipe (multiprocessing gives each
    child one): the forkserver leaves when every copy is closed, and only the run's may hold
    it, so that the server (and by PR_SET_PDEATHSIG its workers) go when the run dies."""
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if multiprocessing.get_start_method(allow_none=True) == "forkserver" and fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass
        server._forkserver_alive_fd = None


def _child_of_run(run: int) -> bool:
    """Whether this process's parent is the run ``run``, or a forkserver the run started."""
    parent = os.getppid()
    if parent == run:
        return True
    try:  # /proc/<pid>/stat: "pid (name) state ppid ..."
        with open(f"/proc/{parent}/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[1]) == run
    except (OSError, ValueError, IndexError):  # no /proc: the run's own liveness
        return pid_alive(run)


def _worker_stop(*_) -> None:
    # a signal handler: the code it interrupted may be inside jupyter_client's event loop, so
    # the kernel is killed directly rather than shut down through that loop (which could hang
    # and keep this worker and its kernel alive after the run died)
    if _WARM is not None:
        _WARM.kill()
    os._exit(143)


def _kernel(fresh: bool):
    """This worker's warm kernel (started on first use), or None for a fresh one per job."""
    global _WARM
    if fresh:
        return None

    if _WARM is None:
        _WARM = WarmKernel(fork=_FORK_KERNEL)
        if _POOL_WORKER:
            # run by multiprocessing as the worker's process ends, before the interpreter's
            # exit handlers (WarmKernel's own), which a forkserver's child never runs
            multiprocessing.util.Finalize(None, _worker_exit, exitpriority=100)
    return _WARM


def _worker_exit() -> None:
    """A pool worker's last step once the run has closed the pool: kill its kernel and leave.

    Nothing of the worker's is left to save (its results went back to the run); an orderly
    kernel shutdown and the interpreter's teardown took a quarter to half a second at the end
    of every run, with both workers' results in already."""
    if _WARM is not None:
        _WARM.kill()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(0)


def warm_up() -> None:
    """Worker: start this worker's warm kernel now, while the run is still ingesting (a
    kernel that fails to start is reported by the first report that needs it)."""
    try:
        _kernel(False).start()
    except Exception:  # noqa: BLE001 - render_job starts it again and reports the error
        pass


def render_job(args: tuple) -> tuple[str, str | None, str | None]:
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


def overview_job(args: tuple):
    """Worker: render the register's overview in one language; returns (page, error)."""
    url, reports_dir, language, fresh = args
    from evaltools.register import Register
    from evaltools.reports.overview import render_overview

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


def update_register(study: Study, result, url: str | None,
                     reports_dir: str | Path) -> str | None:
    """Add the study's current results to the register; returns its URL (None on failure).

    A failing register never stops the reports: the error is kept on ``result``."""
    from evaltools.data.panel import NothingIngestedError
    from evaltools.register import Register, register_url
    from evaltools.register.collect import collect, inputs_fingerprint

    try:
        url = register_url(study, url=url, reports_dir=reports_dir)
    except Exception as exc:  # noqa: BLE001 - the register never stops the reports
        result.register_error = f"register: {type(exc).__name__}: {exc}"
        return None
    try:
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


def held_rows(url: str, study: Study) -> int:
    """How many rows computed from the study's current inputs the register holds (0 when it
    cannot be opened)."""
    from evaltools.register import Register
    from evaltools.register.collect import inputs_fingerprint

    try:
        with Register(url) as reg:
            return reg.holds(study.evidence.organisation or "", study.id,
                             inputs_fingerprint(study))
    except Exception:  # noqa: BLE001 - only decides whether the next run may skip the step
        return 0


def run_on_dask(tasks: list, scheduler: str | None, done) -> None:
    """Send report jobs to an existing Dask distributed cluster (shared file system)."""
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(scheduler, timeout=60) as client:
        futures = {client.submit(render_job, args, pure=False): report
                   for report, args in tasks}
        for future in dask_completed(list(futures)):
            done(futures[future], future.result())


def overview_languages(url: str | None, result, reports_dir: str | Path,
                        language: str) -> list[str]:
    """The overview's languages to render: both (the study's first) when the register
    changed or the overview is missing; none when the register could not be updated."""
    if url is None:
        return []
    from evaltools.register import Register
    from evaltools.reports.overview import overview_is_current

    try:
        with Register(url) as reg:
            fingerprint = reg.fingerprint()
    except EvaltoolsError as exc:
        result.register_error = str(exc)
        return []
    languages = page_languages(language)
    if all(overview_is_current(reports_dir, lang, fingerprint) for lang in languages):
        return []
    return languages

"""Where reports live and which ones a study asks for, without the rendering machinery.

Split from :mod:`evaltools.reports.render` so that planning reports (``evaltools status``, the
planning step of ``evaltools run``) does not import papermill and nbconvert; see
``benchmarks/pipeline.py``.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import tempfile
from pathlib import Path

from evaltools.core.errors import EvaltoolsError

__all__ = ["ReportError", "notebooks_dir", "report_folder", "declared_reports",
           "remove_leftovers", "pid_alive", "WORK_PREFIX", "CONNECTION_PREFIX",
           "SOCKET_PATH_MAX"]


class ReportError(EvaltoolsError):
    """A report could not be rendered; the message names the cell and the error."""


def notebooks_dir() -> Path:
    """The folder of report templates (the repository's ``notebooks/``).

    ``EVALTOOLS_NOTEBOOKS`` names another folder (for custom or test templates).
    """
    if os.environ.get("EVALTOOLS_NOTEBOOKS"):
        return Path(os.environ["EVALTOOLS_NOTEBOOKS"])
    here = Path(__file__).resolve().parents[1]  # the evaltools package folder
    for candidate in (here / "_library" / "notebooks", here.parent / "notebooks"):
        if candidate.is_dir():
            return candidate
    raise ReportError("the report templates (notebooks/) are missing from this install")


def report_folder(reports_dir: Path, study, template: str, site: str, wave: str) -> Path:
    """The folder of one report: ``REPORTS_DIR/<study>/<wave>/<site>/<template>``."""
    wave_part = "all-waves" if template == "data_quality" else wave
    return Path(reports_dir) / study.id / wave_part / site / template


def declared_reports(study) -> list[tuple[str, str, str]]:
    """Every report ``study.yml`` asks for, as (template, site, wave); ``data_quality`` covers
    all waves and has wave ``""``."""
    out = []
    for spec in study.reports:
        sites = ["all"] if spec.per == "study" else list(spec.sites)
        waves = [""] if spec.template == "data_quality" else list(spec.waves)
        out += [(spec.template, site, wave) for wave in waves for site in sites]
    return out


#: Work folders of a render in the temporary folder: ``evaltools-report-<pid>-*``.
WORK_PREFIX = "evaltools-report-"
#: Connection files of warm kernels in the temporary folder (:mod:`evaltools.pipeline.kernels`).
CONNECTION_PREFIX = "evaltools-kernel-"
#: The longest path a Unix socket may have (``sun_path`` holds 108 bytes on Linux, 104 on BSD
#: and macOS, including the closing zero byte): kernels' IPC sockets, the workers' forkserver.
SOCKET_PATH_MAX = 103


def remove_leftovers(reports_dir: str | Path, study_id: str | None = None) -> list[Path]:
    """Remove what renders of processes that no longer exist left behind.

    That is: staging folders (``.<template>.tmp-<pid>``) and replaced reports
    (``.<template>.old-<pid>``) in the study's reports tree (or every study's), and work
    folders (``evaltools-report-<pid>-*``, ``evaltools-overview-<pid>-*``) in the temporary
    folder. A leftover of a living process is left alone. Returns what was removed.
    """
    root = Path(reports_dir) / study_id if study_id else Path(reports_dir)
    # one walk of the reports tree for both kinds (each glob walked all of it)
    candidates = [p for p in root.glob("**/.*") if fnmatch.fnmatch(p.name, ".*.tmp-*")
                  or fnmatch.fnmatch(p.name, ".*.old-*")] if root.is_dir() else []
    temp = Path(tempfile.gettempdir())
    candidates += [p for prefix in (WORK_PREFIX, "evaltools-overview-")
                   for p in temp.glob(f"{prefix}*")]
    removed = []
    for path in candidates:
        match = re.search(r"(?:\.tmp-|\.old-|evaltools-report-|evaltools-overview-)(\d+)",
                          path.name)
        if match and path.is_dir() and not path.is_symlink() \
                and not pid_alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

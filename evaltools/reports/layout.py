"""Where reports live and which ones a study asks for, without the rendering machinery.

Split from :mod:`evaltools.reports.render` so that planning reports (``evaltools status``, the
planning step of ``evaltools run``) does not import papermill and nbconvert; see
``benchmarks/pipeline.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

from evaltools.core.errors import EvaltoolsError

__all__ = ["ReportError", "notebooks_dir", "report_folder", "declared_reports"]


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

"""Rendering one report from a template notebook, safely.

:func:`render_report` checks the parameters against the template's ``parameters`` cell and
against the study before anything runs (papermill alone would only warn), executes the template
with papermill in an isolated working folder, exports a self-contained HTML page without code,
and moves the result into place under ``<reports>/<study>/<wave>/<site>/<template>/`` in one
step. A failing run keeps the failed notebook next to the report folder, names the cell and the
error, and leaves the previous good report untouched. :func:`write_index` lists every report.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill as pm
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import TagRemovePreprocessor
from papermill.inspection import inspect_notebook
from papermill.parameterize import parameterize_notebook

from evaltools.core.io import atomic_write_text
from evaltools.reports.export import ExportError, check_formats, export_report
from evaltools.reports.index import PAGE_CSS, TEMPLATE_TITLES, read_meta, write_index
from evaltools.reports.kernel import LocalKernelManager
from evaltools.reports.language import mark_quoted_terms
from evaltools.reports.layout import (
    WORK_PREFIX,
    ReportError,
    declared_reports,
    notebooks_dir,
    pid_alive,
    remove_leftovers,
    report_folder,
)
from evaltools.reports.parameters import ReportParameterError, check_parameters
from evaltools.study.load import as_study
from evaltools.study.model import Study

__all__ = ["render_report", "render_all", "declared_reports", "write_index", "remove_leftovers",
           "pid_alive",
           "template_parameters", "ReportError", "RenderedReport", "notebooks_dir"]

#: Work folders of renders in the temporary folder: ``evaltools-report-<pid>-...``.
_TYPES = {"str": str, "int": int, "float": float, "bool": bool}
_REMOVE_TAGS = {"notebook-only", "parameters", "injected-parameters"}



@dataclass(frozen=True)
class RenderedReport:
    """Where a rendered report is, and its one-line headline."""

    folder: Path
    html: Path
    template: str
    site: str
    wave: str
    headline: str


def template_parameters(template: str) -> dict[str, dict]:
    """The parameters a template declares: name -> {type, default, help, required}."""
    path = notebooks_dir() / f"{template}.ipynb"
    if not path.is_file():
        raise ReportParameterError(f"no report template {template!r} in notebooks/; "
                                   "templates: " + ", ".join(sorted(TEMPLATE_TITLES)))
    found = inspect_notebook(str(path))
    return {name: {"type": spec["inferred_type_name"], "default": spec["default"],
                   "help": spec["help"], "required": spec["help"].startswith("required")}
            for name, spec in found.items()}


def _check_against_template(template: str, parameters: dict) -> None:
    declared = template_parameters(template)
    problems = []
    for name, value in parameters.items():
        if name not in declared:
            problems.append(f"unknown parameter {name!r} (the template declares "
                            + ", ".join(sorted(declared)) + ")")
            continue
        wanted = _TYPES.get(declared[name]["type"])
        if wanted is not None and not isinstance(value, wanted):
            problems.append(f"parameter {name!r} must be {declared[name]['type']}, "
                            f"got {type(value).__name__} {value!r}")
    for name, spec in declared.items():
        if spec["required"] and name not in parameters:
            problems.append(f"required parameter {name!r} is missing ({spec['help']})")
    if problems:
        raise ReportParameterError(f"template {template!r}: " + "; ".join(problems))


def render_report(study: Study | str | Path, template: str, *, site: str = "all", wave: str = "",
                  language: str = "", reports_dir: str | Path = "reports",
                  extra: dict | None = None, kernel_name: str = "python3",
                  timeout: int = 900, keep_previous: bool = False,
                  index: bool = True, kernel=None,
                  formats: Iterable[str] | None = None) -> RenderedReport:
    """Render one report and move it into place.

    Parameters
    ----------
    study : Study, str or Path
        The loaded study, or its folder (its data must have been ingested).
    template : str
        ``prepost``, ``controlled``, ``data_quality`` or ``site_overview``.
    site, wave, language : str
        As the template's parameters: a site id or ``"all"``; a later wave (default the first
        after the baseline); ``"nl"`` or ``"en"`` (default: the study's).
    reports_dir : str or Path
        Reports go to ``<reports_dir>/<study id>/<wave>/<site>/<template>/``.
    extra : dict, optional
        Further template parameters; checked against the template's parameters cell.
    keep_previous : bool
        Keep the report this one replaces, renamed ``<template>.superseded-<time>``.
    index : bool
        Refresh the study's index page afterwards.
    kernel : evaltools.kernels.WarmKernel, optional
        Run in this warm kernel instead of a fresh one started by papermill.
    formats : iterable of str, optional
        ``html``, ``pdf``, ``docx``: also write ``report.pdf`` and/or ``report.docx`` beside
        ``report.html`` (which is always written); default: the study's ``reports.formats``.

    Returns
    -------
    RenderedReport

    Raises
    ------
    ReportParameterError
        Unknown, missing or mistyped parameters, or values the study does not allow.
    ReportError
        The template failed, or a requested format could not be written; the message names
        the cell and the error and where the failed notebook was kept. The previous report,
        if any, is unchanged.
    ExportError
        A requested format is unknown or its package is not installed (before anything runs).
    """
    study = as_study(study)
    study.check_output_folder(reports_dir)
    template, site, wave, language = check_parameters(study, template, site, wave, language)
    formats = check_formats(study.report_formats if formats is None else formats)
    parameters = {"study_dir": "study", "site": site, "wave": wave, "language": language,
                  **(extra or {})}
    _check_against_template(template, parameters)
    final = report_folder(Path(reports_dir), study, template, site, wave)
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-"))
    try:
        os.symlink(Path(study.folder).resolve(), work / "study")
        meta = execute_and_place(
            template, parameters, final, work, title=study.title.get(language),
            language=language, private=[str(Path(study.folder).resolve())],
            what=f"report {template!r} for site {site!r}, wave {wave!r}", kernel=kernel,
            kernel_name=kernel_name, timeout=timeout, keep_previous=keep_previous,
            formats=formats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if index:
        write_index(reports_dir, study.id)
    return RenderedReport(final, final / "report.html", template, site, wave,
                          meta.get("headline", ""))


def execute_and_place(template: str, parameters: dict, final: Path, work: Path, *,
                       title: str, language: str, private: list[str], what: str,
                       kernel=None, kernel_name: str = "python3", timeout: int = 900,
                       keep_previous: bool = False, formats: Iterable[str] = ("html",)) -> dict:
    """Run ``template`` in ``work`` and move the report into ``final`` in one step.

    ``formats`` beyond ``html`` (``pdf``, ``docx``) are written from the page into the same
    folder before it is moved into place. Returns the report's meta.json; on failure keeps
    ``<template>.failed.ipynb`` beside ``final`` and raises :class:`ReportError` naming the
    cell and the error.
    """
    executed = work / "report.ipynb"
    try:
        if kernel is None:
            pm.execute_notebook(str(notebooks_dir() / f"{template}.ipynb"), str(executed),
                                parameters=parameters, cwd=str(work),
                                kernel_name=kernel_name, progress_bar=False,
                                log_output=False, execution_timeout=timeout,
                                extra_arguments=["--IPKernelApp.log_level=ERROR"],
                                kernel_manager_class=LocalKernelManager)
        else:
            notebook = _execute_warm(kernel, template, parameters, work, executed, timeout)
    except (pm.PapermillExecutionError, _CellFailure) as exc:
        failed = final.parent / f"{template}.failed.ipynb"
        failed.parent.mkdir(parents=True, exist_ok=True)
        if executed.exists():
            atomic_write_text(failed, _clean(nbformat.read(executed, as_version=4), work,
                                             private))
        # the cell's place in the notebook; a warm kernel's execution counts run on from its
        # earlier reports ("In [68]" in a twenty-cell notebook)
        where = (f"cell {exc.cell_index + 1}" if exc.cell_index is not None
                 and exc.cell_index >= 0 else "a cell")
        if exc.exec_count:
            where += f" (In [{exc.exec_count}])"
        raise ReportError(
            f"{what} failed in {where} ({exc.ename}: {exc.evalue}). The failed notebook is "
            f"kept at {failed}; the previous report, if any, is unchanged.") from None
    # papermill wrote the executed notebook; a warm kernel's is still in memory
    notebook = _without_warnings(nbformat.read(executed, as_version=4) if kernel is None
                                 else notebook)
    page = notebook_html(notebook, title, template, language, work, private)
    staging = final.parent / f".{template}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / "report.html").write_text(page, "utf-8")
    (staging / "report.ipynb").write_text(_clean(notebook, work), "utf-8")
    if (work / "tables").is_dir():
        shutil.copytree(work / "tables", staging / "tables")
    try:
        export_report(staging / "report.html", formats, language=language)
    except ExportError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportError(f"{what}: {exc}. The previous report, if any, is unchanged.") from None
    meta = read_meta(staging)
    _swap(staging, final, keep_previous)
    (final.parent / f"{template}.failed.ipynb").unlink(missing_ok=True)
    return meta


class _CellFailure(Exception):
    """A cell failed in a warm kernel (the same fields as papermill's error)."""

    def __init__(self, cell_index: int, exec_count, ename: str, evalue: str):
        super().__init__(f"{ename}: {evalue}")
        self.cell_index, self.exec_count, self.ename, self.evalue = (cell_index, exec_count,
                                                                     ename, evalue)


def _execute_warm(kernel, template: str, parameters: dict, work: Path, executed: Path,
                  timeout: int):
    """Run ``template`` in the warm ``kernel``; returns the executed notebook (written to
    ``executed`` only when a cell failed, to be kept beside the report)."""
    notebook = nbformat.read(notebooks_dir() / f"{template}.ipynb", as_version=4)
    for cell in notebook.cells:
        cell.metadata.setdefault("tags", [])
    notebook.metadata.setdefault("papermill", {})
    notebook = parameterize_notebook(notebook, parameters)
    try:
        kernel.execute(notebook, work, timeout)
    except CellExecutionError as exc:
        nbformat.write(notebook, executed)
        index = getattr(exc, "cell_index", None)  # set by WarmKernel for its cells
        if index is None:  # else the first cell that shows an error
            index = next((i for i, cell in enumerate(notebook.cells)
                          if any(o.get("output_type") == "error"
                                 for o in cell.get("outputs", []))), -1)
        count = notebook.cells[index].get("execution_count") if index >= 0 else None
        raise _CellFailure(index, count, exc.ename, exc.evalue) from None
    return notebook


def _swap(staging: Path, final: Path, keep_previous: bool = False) -> None:
    """Put ``staging`` in place of ``final``; the old version is removed, or kept as the one
    superseded copy (older superseded copies are removed)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    old = final.with_name(f"{final.name}.superseded-{stamp}" if keep_previous
                          else f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    staging.rename(final)
    if not keep_previous:
        shutil.rmtree(old, ignore_errors=True)
        return
    # one superseded copy is kept (the report this one replaced); older ones go, so reruns
    # never pile them up
    for earlier in final.parent.glob(f"{final.name}.superseded-*"):
        if earlier != old:
            shutil.rmtree(earlier, ignore_errors=True)


def _without_warnings(notebook):
    """The notebook without what cells wrote to stderr (warnings name install paths and are
    for developers, not for a report's readers)."""
    for cell in notebook.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") ==
                                    "stderr")]
    return notebook


def _local_paths(work: Path, private=()) -> list[str]:
    """Paths of this machine that must not appear in a report, longest first. A home folder
    that is the file-system root (``HOME=/`` in containers) is no secret and not listed."""
    paths = {p for p in (str(work), str(work.resolve()), str(Path.home()), *map(str, private))
             if len(Path(p).parts) > 1}
    # the installation, where deep enough not to occur by chance in an embedded image
    paths |= {p for p in (sys.prefix, sys.base_prefix, str(Path(__file__).parents[1]))
              if len(Path(p).parts) > 2}
    return sorted(paths, key=len, reverse=True)


def _clean(notebook, work: Path, private=()) -> str:
    """The executed notebook without papermill's paths or anything machine-specific."""
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    papermill = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path", "environment_variables"):
        papermill.pop(key, None)
    text = nbformat.writes(notebook)
    for secret in _local_paths(work, private):
        text = text.replace(json.dumps(secret)[1:-1], "<private>").replace(secret, "<private>")
    return text


class _PageExporter(HTMLExporter):
    """nbconvert's HTML exporter without its BeautifulSoup pass over the page.

    That pass parses and re-serialises the whole page (0.27 of 0.32 s per report, the figures
    are inline PNGs) to give an ``<img>`` without ``alt`` a placeholder text and to make the
    lab template's cells focusable. Neither applies here: :func:`evaltools.reports.html.png`
    refuses a figure without a text alternative, the ``basic`` template has no lab cells, and
    the pages are checked with axe-core (tests/test_accessibility.py).
    """

    def from_notebook_node(self, nb, resources=None, **kw):
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight = self.filters.get("highlight_code",
                                     Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                          resources=resources)
        self.register_filter("highlight_code", highlight)
        self.register_filter("filter_data_type", data_type)
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


@functools.cache
def _exporter():
    """One HTML exporter per process: building it (templates, preprocessors) costs time."""
    remover = TagRemovePreprocessor(remove_cell_tags=_REMOVE_TAGS, enabled=True)
    # optimistic_validation: the notebook is validated once after the preprocessors, not
    # after each of the thirteen (a third of the page's time)
    exporter = _PageExporter(template_name="basic", exclude_input=True,
                             exclude_input_prompt=True, exclude_output_prompt=True,
                             optimistic_validation=True)
    exporter.register_preprocessor(remover, enabled=True)
    return exporter


def notebook_html(notebook, title: str, template: str, language: str, work: Path,
          private: list[str]) -> str:
    body, _ = _exporter().from_notebook_node(notebook)
    for path in _local_paths(work, private):
        if path in body:
            raise ReportError(f"report {template!r} would contain a local path; not written")
    title = html.escape(_page_title(body, title))
    body = mark_quoted_terms(body, language)
    return (f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n"
            "</main>\n</body>\n</html>\n")


def _page_title(body: str, title: str) -> str:
    """The page's ``<title>``: the report's heading, then its subtitle (study, site, waves).

    A screen reader says the title when the page opens and browsers show it on the tab, so it
    names the report, not only the study (every report of a study had the study's title).
    ``title`` (the study's) follows the heading where the page has no report subtitle.
    """
    found = re.search(r"<h1\b[^>]*>(.*?)</h1>(?:\s*<p class='subtitle'>(.*?)</p>)?", body,
                      flags=re.S)
    if not found:
        return title
    heading, subtitle = (html.unescape(re.sub(r"<[^>]+>", "", part or "")).strip()
                         for part in found.groups())
    if subtitle and title in subtitle:
        return f"{heading} · {subtitle}"
    return heading if heading == title else f"{heading} · {title}"


def render_all(study: Study | str | Path, *, reports_dir: str | Path = "reports",
               language: str = "", on_result=None, formats: Iterable[str] | None = None
               ) -> list[RenderedReport | ReportError]:
    """Render every report ``study.yml`` asks for (``reports.produce``), one after another.

    ``formats`` as :func:`render_report` (default: the study's ``reports.formats``); an
    unknown format or a missing package raises :class:`ExportError` before any report runs.

    A failing report does not stop the others; its :class:`ReportError` is in the list.
    ``study`` is the loaded :class:`Study` or its folder; it is read once for all reports.
    """
    study = as_study(study)
    formats = check_formats(study.report_formats if formats is None else formats)
    out: list[RenderedReport | ReportError] = []
    for template, site, wave in declared_reports(study):
        try:
            result = render_report(study, template, site=site, wave=wave,
                                   language=language, reports_dir=reports_dir, formats=formats)
        except ReportError as exc:
            result = exc
        out.append(result)
        if on_result is not None:
            on_result(result)
    return out

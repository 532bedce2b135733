"""Reports as PDF and Word: the same headline, summary, tables and figures as the HTML page.

The files are read back (pypdf for the PDF, python-docx for the Word file) and compared with
the page they were made from. Needs the ``export`` extra (weasyprint, pypandoc-binary) and,
to read back, pypdf and python-docx (``dev``); locally the tests skip without them, under CI
(``CI=true``) they fail.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from evaltools.cli.main import cli
from evaltools.core.errors import StudyDefinitionError
from evaltools.data.ingest import ingest
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.demo.files import generate_demo_study
from evaltools.pipeline.kernels import WarmKernel
from evaltools.reports import export
from evaltools.reports.accessibility import figure_alt_texts
from evaltools.reports.export import ExportError, check_formats, parse_formats
from evaltools.reports.render import ReportError, render_report
from evaltools.study.load import check_study, load_study

for _package in ("weasyprint", "pypandoc", "pypdf", "docx"):
    if importlib.util.find_spec(_package) is None:
        if os.environ.get("CI"):
            raise RuntimeError(f"CI runs the export tests, but {_package!r} is not installed "
                               "(make test installs the dev extra)")
        pytest.skip(f"the Python package {_package!r} is not installed "
                    "(pip install 'evaltools[export,dev]')", allow_module_level=True)

import docx  # noqa: E402 - only once the skip above has passed
from pypdf import PdfReader  # noqa: E402


def _squash(text: str) -> str:
    """Text without whitespace and hyphens, so that line breaks and hyphenation in a PDF
    do not matter."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", text)


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def _headline(page: str) -> tuple[str, list[str]]:
    """The page's h1 title and its summary paragraphs."""
    title = _plain(re.search(r"<h1[^>]*>(.*?)</h1>", page, flags=re.S).group(1)).strip()
    summary = re.search(r"<div class=.summary.>(.*?)</div>", page, flags=re.S).group(1)
    parts = [_plain(p).strip() for p in re.findall(r"<(?:p|li)>(.*?)</(?:p|li)>", summary)]
    return title, [p for p in parts if p]


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("export-study") / "study"
    generate_demo_study(folder, seed=41, n_sites=2, size=(60, 80))
    loaded = load_study(folder)
    if default_key_file(loaded.id).exists():
        default_key_file(loaded.id).unlink()
    create_key(loaded)
    ingest(loaded)
    return folder


@pytest.fixture(scope="module")
def exported(study: Path, tmp_path_factory) -> dict[str, Path]:
    """The prepost report (change figures) in Dutch and the site synthesis (forest plots) in
    English, each as HTML, PDF and Word."""
    reports = tmp_path_factory.mktemp("export-reports")
    kernel = WarmKernel()
    try:
        out = {}
        for template, language in (("prepost", "nl"), ("site_synthesis", "en")):
            done = render_report(study, template, wave="t1", language=language,
                                 reports_dir=reports, kernel=kernel, index=False,
                                 formats=["html", "pdf", "docx"])
            out[template] = done.folder
    finally:
        kernel.shutdown()
    return out


@pytest.mark.parametrize("template", ["prepost", "site_synthesis"])
def test_pdf_has_the_headline_summary_and_figures(exported, template) -> None:
    folder = exported[template]
    page = (folder / "report.html").read_text("utf-8")
    reader = PdfReader(folder / "report.pdf")
    text = _squash("".join(p.extract_text() for p in reader.pages))
    title, summary = _headline(page) if template == "prepost" else (
        _plain(re.search(r"<h1[^>]*>(.*?)</h1>", page).group(1)), [])
    assert _squash(title) in text
    for part in summary:
        assert _squash(part) in text, f"summary text missing from the PDF: {part!r}"
    figures = len(figure_alt_texts(page))
    assert figures >= 3
    # WeasyPrint shares one resource dictionary between pages: count distinct pictures
    pictures = {hashlib.sha256(image.data).hexdigest() for p in reader.pages
                for image in p.images}
    assert len(pictures) == figures
    assert reader.metadata.title  # the page's <title>


@pytest.mark.parametrize("template", ["prepost", "site_synthesis"])
def test_word_file_has_the_headline_summary_tables_and_figures(exported, template) -> None:
    folder = exported[template]
    page = (folder / "report.html").read_text("utf-8")
    document = docx.Document(folder / "report.docx")
    paragraphs = [p.text for p in document.paragraphs]
    title = _plain(re.search(r"<h1[^>]*>(.*?)</h1>", page).group(1)).strip()
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert title in headings, f"h1 {title!r} is not a Word heading: {headings}"
    if template == "prepost":
        for part in _headline(page)[1]:
            assert any(part in p for p in paragraphs), f"summary text missing: {part!r}"
    assert len(document.tables) == page.count("<table")
    alts = figure_alt_texts(page)
    pictures = [s._inline.docPr.get("descr") for s in document.inline_shapes]
    assert len(pictures) == len(alts) >= 3
    assert pictures == alts, "the Word pictures lost their alt texts"


def test_study_yml_declares_the_default_formats(study: Path, tmp_path: Path) -> None:
    copy = tmp_path / "study"
    shutil.copytree(study, copy)
    path = copy / "study.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["reports"]["formats"] = ["html", "docx"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    loaded = load_study(copy)
    assert loaded.report_formats == ("html", "docx")
    assert load_study(study).report_formats == ("html",)  # the default
    done = render_report(loaded, "site_overview", wave="t1", reports_dir=tmp_path / "reports",
                         index=False)
    assert {p.name for p in done.folder.glob("report.*")} == {
        "report.html", "report.ipynb", "report.docx"}
    data["reports"]["formats"] = ["pdf", "rtf"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    with pytest.raises(StudyDefinitionError) as caught:
        load_study(copy)
    assert any("formats" in p.describe() and "rtf" in p.describe()
               for p in caught.value.problems), caught.value.problems


def test_a_failed_conversion_keeps_the_previous_report(study: Path, tmp_path: Path,
                                                       monkeypatch) -> None:
    good = render_report(study, "site_overview", wave="t1", reports_dir=tmp_path, index=False)
    before = (good.folder / "report.html").read_bytes()

    def broken(page, language):
        raise OSError("disk full")

    monkeypatch.setattr(export, "_pdf_bytes", broken)
    with pytest.raises(ReportError, match=r"could not write report\.pdf .*disk full.*"
                                          r"previous report, if any, is unchanged"):
        render_report(study, "site_overview", wave="t1", reports_dir=tmp_path, index=False,
                      formats=["pdf"])
    assert (good.folder / "report.html").read_bytes() == before
    assert not list(good.folder.glob("report.pdf*"))
    assert not [p for p in good.folder.parent.iterdir() if p.name.startswith(".")]


def test_formats_are_checked_before_anything_runs(monkeypatch) -> None:
    assert parse_formats("docx, PDF") == ("html", "pdf", "docx")
    with pytest.raises(ExportError, match="unknown report format.*'odt'.*html, pdf, docx"):
        parse_formats("html,odt")
    real = importlib.util.find_spec
    monkeypatch.setattr(export.importlib.util, "find_spec",
                        lambda name, *a: None if name == "weasyprint" else real(name, *a))
    with pytest.raises(ExportError, match="'pdf' needs the Python package 'weasyprint'"):
        check_formats(["html", "pdf"])
    assert check_formats(["docx"]) == ("html", "docx")


def test_report_command_format_option(study: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(study), "-t", "site_overview", "--wave",
                                      "t1", "--reports-dir", str(tmp_path), "--format", "odt"])
    assert result.exit_code == 2
    assert "unknown report format" in result.output
    result = CliRunner().invoke(cli, ["report", str(study), "-t", "site_overview", "--wave",
                                      "t1", "--reports-dir", str(tmp_path), "--format",
                                      "html,pdf"])
    assert result.exit_code == 0, result.output
    assert "report.pdf" in result.output
    pdf = next(tmp_path.rglob("report.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_validate_warns_when_a_declared_format_cannot_be_written(study: Path, tmp_path: Path,
                                                                monkeypatch) -> None:
    copy = tmp_path / "study"
    shutil.copytree(study, copy, ignore=shutil.ignore_patterns("store", "raw"))
    (copy / "data" / "raw").mkdir(parents=True, exist_ok=True)
    path = copy / "study.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["reports"]["formats"] = ["html", "pdf"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    assert not [p for p in check_study(copy)[1] if "formats" in p.describe()]
    real = importlib.util.find_spec
    monkeypatch.setattr(export.importlib.util, "find_spec",
                        lambda name, *a: None if name == "weasyprint" else real(name, *a))
    loaded, problems = check_study(copy)
    warned = [p for p in problems if "formats" in p.describe()]
    assert loaded is not None and len(warned) == 1 and warned[0].severity == "warning"
    assert "weasyprint" in warned[0].describe()

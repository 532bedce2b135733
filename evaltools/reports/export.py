"""The same report as PDF and as an editable Word file, made from its HTML page.

A report is always written as ``report.html``; :func:`export_report` adds ``report.pdf``
(WeasyPrint: the page's own stylesheet, A4, tagged PDF with the page's language) and
``report.docx`` (pandoc: headings become Word headings, tables Word tables, figures inline
pictures that keep their alt text) beside it. Both are made from the finished HTML, so the
three formats show the same text, numbers and figures.

Needs the optional packages of the ``export`` extra (``pip install 'evaltools[export]'``):
``weasyprint`` for PDF (it draws with the system's pango library: Debian ``libpango-1.0-0``)
and ``pypandoc-binary`` for Word (it brings its own pandoc).
"""

from __future__ import annotations

import importlib.util
import tempfile
from collections.abc import Iterable
from pathlib import Path

from evaltools.core.errors import EvaltoolsError
from evaltools.core.io import atomic_write_bytes
from evaltools.study.model import REPORT_FORMAT_PACKAGES, REPORT_FORMATS

__all__ = ["FORMATS", "ExportError", "check_formats", "export_report", "parse_formats"]

#: Every format a report can be written in; ``html`` is always written.
FORMATS = REPORT_FORMATS


class ExportError(EvaltoolsError):
    """A report could not be written in a requested format."""

    exit_code = 1


def parse_formats(text: str | Iterable[str]) -> tuple[str, ...]:
    """Formats from ``"html,pdf"`` or a list, checked, in the order of :data:`FORMATS`.

    ``html`` is always included (the other formats are made from it).

    Examples
    --------
    >>> parse_formats("pdf, docx")
    ('html', 'pdf', 'docx')
    >>> parse_formats(["html"])
    ('html',)
    """
    items = [p.strip().lower() for p in (text.split(",") if isinstance(text, str) else text)]
    items = [p for p in items if p]
    unknown = [p for p in items if p not in FORMATS]
    if unknown:
        raise ExportError(f"unknown report format(s) {', '.join(map(repr, unknown))}; "
                          "formats: " + ", ".join(FORMATS))
    return tuple(f for f in FORMATS if f in items or f == "html")


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """:func:`parse_formats`, and check that the packages each format needs are installed.

    Called before a report is run, so that a missing package fails at once rather than after
    the analysis.

    Raises
    ------
    ExportError
        An unknown format, or one whose package is missing (the message names the package and
        the install command).
    """
    wanted = parse_formats(formats)
    missing = [(fmt, package) for fmt, (module, package) in REPORT_FORMAT_PACKAGES.items()
               if fmt in wanted and importlib.util.find_spec(module) is None]
    if missing:
        raise ExportError("; ".join(f"report format {fmt!r} needs the Python package "
                                    f"{package!r}" for fmt, package in missing)
                          + ": pip install 'evaltools[export]'")
    return wanted


def export_report(page: str | Path, formats: Iterable[str], *, language: str = "nl"
                  ) -> list[Path]:
    """Write ``report.pdf`` and/or ``report.docx`` beside an HTML report.

    Parameters
    ----------
    page : str or Path
        The report's ``report.html`` (self-contained: figures inline).
    formats : iterable of str
        Any of ``html``, ``pdf``, ``docx``; ``html`` is the page itself and is left as it is.
    language : str
        The report's language (``nl`` or ``en``), recorded in the Word file.

    Returns
    -------
    list of Path
        The files written, in the order of :data:`FORMATS` (``report.html`` first).

    Raises
    ------
    ExportError
        A format's package is missing, or the conversion failed (the message names the format
        and the page). Each file is written atomically: a failure leaves no partial file.

    Examples
    --------
    >>> export_report("reports/demo/t1/all/prepost/report.html", ["pdf", "docx"])  # doctest: +SKIP
    [PosixPath('.../report.html'), PosixPath('.../report.pdf'), PosixPath('.../report.docx')]
    """
    page = Path(page)
    wanted = check_formats(formats)
    written = [page]
    for fmt in wanted[1:]:
        target = page.with_suffix(f".{fmt}")
        try:
            data = (_pdf_bytes if fmt == "pdf" else _docx_bytes)(page, language)
        except Exception as exc:  # noqa: BLE001 - a converter's own error, named for the user
            raise ExportError(f"could not write {target.name} from {page}: "
                              f"{type(exc).__name__}: {exc}") from None
        written.append(atomic_write_bytes(target, data))
    return written


def _pdf_bytes(page: Path, language: str) -> bytes:
    import weasyprint

    # the page's own stylesheet (with its @page and print rules); tagged, so that screen
    # readers and reflow in PDF readers follow the headings, lists and tables
    return weasyprint.HTML(filename=str(page), base_url=str(page.parent)).write_pdf(
        pdf_tags=True)


def _docx_bytes(page: Path, language: str) -> bytes:
    import pypandoc

    with tempfile.TemporaryDirectory(prefix="evaltools-docx-") as work:
        out = Path(work) / "report.docx"
        pypandoc.convert_file(str(page), "docx", format="html", outputfile=str(out),
                              extra_args=["--metadata", f"lang={language}"])
        return out.read_bytes()

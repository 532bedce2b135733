"""``evaltools report``: rendering reports once.

``evaltools run`` and ``evaltools status`` live in :mod:`evaltools.cli.run` and
:mod:`evaltools.cli.status`, which load far less.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evaltools.cli.common import EPILOG, EXIT_FAILED, EXIT_OK, friendly
from evaltools.reports.export import ExportError, parse_formats
from evaltools.reports.render import ReportError, render_all, render_report
from evaltools.study.load import load_study


@click.command(epilog=EPILOG)
@click.argument("study", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--template", "-t", type=click.Choice(["prepost", "controlled", "data_quality",
                                                     "site_overview", "site_synthesis"]),
              help="The report to render (or --all).")
@click.option("--site", default="all", show_default=True, help="A site id, or 'all'.")
@click.option("--wave", default="", help="The later wave (default: the first after baseline).")
@click.option("--language", "-l", type=click.Choice(["nl", "en"]), default=None,
              help="Report language (default: the study's).")
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True,
              help="Reports go to REPORTS_DIR/<study>/<wave>/<site>/<template>/.")
@click.option("--all", "everything", is_flag=True,
              help="Render every report study.yml asks for (reports.produce).")
@click.option("--format", "formats", metavar="FORMATS", default=None,
              help="Comma-separated: html, pdf, docx (e.g. 'html,pdf,docx'); report.html is "
                   "always written. Default: the study's reports.formats, else html.")
@friendly
def report(study: Path, template: str | None, site: str, wave: str, language: str | None,
           reports_dir: Path, everything: bool, formats: str | None) -> None:
    """Render report(s) of STUDY as self-contained HTML (and PDF or Word with --format), with
    their tables as CSV and JSON.

    The study's wave files must have been ingested. Exits 1 if a report failed (its
    notebook is kept for diagnosis; an earlier good report stays in place).
    """
    if everything == bool(template):
        raise click.UsageError("pass --template, or --all")
    try:
        wanted = None if formats is None else parse_formats(formats)
    except ExportError as exc:
        raise click.BadParameter(str(exc), param_hint="--format") from None
    definition = load_study(study)
    if everything:
        def show(result) -> None:
            if isinstance(result, ReportError):
                click.secho(f"  failed: {result}", fg="red")
            else:
                click.echo(f"  ok      {result.html}  ({result.headline})")

        results = render_all(definition, reports_dir=reports_dir, language=language or "",
                             on_result=show, formats=wanted)
        failed = sum(isinstance(r, ReportError) for r in results)

        index = Path(reports_dir) / definition.id / "index.html"
        click.echo(f"{len(results) - failed} reports rendered, {failed} failed; index: {index}")
        sys.exit(EXIT_FAILED if failed else EXIT_OK)
    result = render_report(definition, template, site=site, wave=wave, language=language or "",
                           reports_dir=reports_dir, formats=wanted)
    click.echo(f"report: {result.html} ({result.headline})")
    for other in sorted(result.folder.glob("report.*")):
        if other.suffix in (".pdf", ".docx"):
            click.echo(f"        {other}")

"""``evaltools report``: rendering reports once.

``evaltools run`` and ``evaltools status`` live in :mod:`evaltools.cli.run` and
:mod:`evaltools.cli.status`, which load far less.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evaltools.cli.common import EPILOG, EXIT_FAILED, EXIT_OK, friendly
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
@friendly
def report(study: Path, template: str | None, site: str, wave: str, language: str | None,
           reports_dir: Path, everything: bool) -> None:
    """Render report(s) of STUDY as self-contained HTML, with their tables as CSV and JSON.

    The study's wave files must have been ingested. Exits 1 if a report failed (its
    notebook is kept for diagnosis; an earlier good report stays in place).
    """
    if everything == bool(template):
        raise click.UsageError("pass --template, or --all")
    definition = load_study(study)
    if everything:
        def show(result) -> None:
            if isinstance(result, ReportError):
                click.secho(f"  failed: {result}", fg="red")
            else:
                click.echo(f"  ok      {result.html}  ({result.headline})")

        results = render_all(definition, reports_dir=reports_dir, language=language or "",
                             on_result=show)
        failed = sum(isinstance(r, ReportError) for r in results)

        index = Path(reports_dir) / definition.id / "index.html"
        click.echo(f"{len(results) - failed} reports rendered, {failed} failed; index: {index}")
        sys.exit(EXIT_FAILED if failed else EXIT_OK)
    result = render_report(definition, template, site=site, wave=wave, language=language or "",
                           reports_dir=reports_dir)
    click.echo(f"report: {result.html} ({result.headline})")

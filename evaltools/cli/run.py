"""``evaltools run``: the one command for scheduled use (ingest, then render what changed).

Apart from :mod:`evaltools.cli.reports` so that a run with nothing to do imports neither the
report rendering nor the analyses (``benchmarks/pipeline.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from evaltools.cli.common import EPILOG, EXIT_FAILED, EXIT_OK, friendly
from evaltools.pipeline.run import run_study
from evaltools.study.defaults import describe_reports
from evaltools.study.load import load_study

__all__ = ["run"]


@click.command(epilog=EPILOG)
@click.argument("studies", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Reports rendered at once (default: the number of cores).")
@click.option("--force", is_flag=True, help="Render every report, changed or not.")
@click.option("--dry-run", is_flag=True, help="Show the plan; ingest and render nothing.")
@click.option("--only", multiple=True, metavar="SITE/WAVE/TEMPLATE",
              help="Only reports matching this pattern ('*' allowed), e.g. 'rotterdam-zuid/*/*'.")
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True)
@click.option("--fresh-kernels", is_flag=True,
              help="A new kernel per report (audit-grade; slower) instead of warm kernels.")
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local",
              show_default=True, help="Local processes, or an existing Dask cluster.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Dask scheduler address (with --executor dask), e.g. tcp://10.0.0.5:8786.")
@click.option("--register", "register", metavar="URL", default=None,
              help="Evidence register (SQLAlchemy URL); default: $EVALTOOLS_REGISTER, "
                   "study.yml evidence: register, or REPORTS_DIR/register.sqlite.")
@click.option("--no-register", is_flag=True,
              help="Leave the evidence register and the overview alone (e.g. results that "
                   "may not be shared yet).")
@friendly
def run(studies: tuple[Path, ...], jobs: int | None, force: bool, dry_run: bool,
        only: tuple[str, ...], reports_dir: Path, fresh_kernels: bool, executor: str,
        scheduler: str | None, register: str | None, no_register: bool) -> None:
    """The one command for scheduled use: ingest, then render only what changed.

    Ingests new and changed wave files (quarantining bad ones), renders the reports whose
    inputs changed (or that failed, were interrupted or are missing) and refreshes the index.
    Exit codes: 0 everything succeeded, 1 something failed (a quarantined file, a failed
    report, another run busy), 2 wrong call.
    """
    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS")
    failed = False
    for study in studies:
        bar = _ProgressBar(enabled=sys.stdout.isatty())

        def event(report, bar: _ProgressBar = bar) -> None:
            colour = "green" if report.status == "ok" else "red"
            bar.print(click.style(f"  {report.status:<8} {report.key}  ({report.reason})",
                                  fg=colour))
            if report.error:
                bar.print(f"           {report.error}")
            bar.advance()

        click.echo(f"run {study}:")
        loaded = load_study(study)  # read once, passed on to the run
        click.echo(f"  {describe_reports(loaded)}")
        with bar:
            result = run_study(loaded, jobs=jobs, force=force, dry_run=dry_run,
                               only=list(only), reports_dir=reports_dir,
                               fresh_kernels=fresh_kernels, executor=executor,
                               scheduler=scheduler, register=register,
                               use_register=not no_register, on_event=event,
                               on_plan=bar.start)
        counts = result.ingest.counts()
        click.echo("  files: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        if result.interrupted:
            click.echo(f"  {result.interrupted} jobs of an interrupted run will be redone")
        todo = [r for r in result.reports if r.reason not in ("current", "no data yet")]
        if dry_run:
            for r in todo:
                click.echo(f"  would render {r.key}  ({r.reason})")
        failed = sum(r.status == "failed" for r in todo)
        click.echo(f"  reports: {len(result.reports) - len(todo)} current, "
                   + (f"{len(todo)} to render" if dry_run else
                      f"{len(todo) - failed} rendered, {failed} failed"))
        if result.register is not None:
            click.echo(f"  register: {result.register[0]} results added, "
                       f"{result.register[1]} already present")
        for page in result.overview:
            click.echo(f"  overview: {page.html}")
        if result.register_error:
            click.secho(f"  register: {result.register_error}", fg="red")
        failed |= not result.ok
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


class _ProgressBar:
    """A rich progress bar on a terminal, with log lines printed above it; silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.progress = None
        self.task = None

    def __enter__(self):
        if self.enabled:
            self.progress = Progress("reports", BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), transient=True)
            self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.__exit__(*exc)

    def start(self, total: int) -> None:
        if self.progress is not None:
            self.task = self.progress.add_task("reports", total=total)

    def advance(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task)

    def print(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False)
        else:
            click.echo(text)

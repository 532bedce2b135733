"""The ``evaltools`` command line.

Exit codes, for people and schedulers alike:

* 0: everything succeeded;
* 1: problems in the data, a definition or a run (the message says which and where);
* 2: the call itself was wrong (unknown option, missing argument, a path that does not exist).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from evaltools import __version__
from evaltools.errors import (
    EvaltoolsError,
    ProblemsError,
    format_value,
    problems_frame,
    sort_problems,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

_EPILOG = "Exit codes: 0 ok, 1 problems in the data or the run, 2 wrong call."


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn evaltools' own errors into a message and an exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProblemsError as exc:
            _print_problems(str(exc).splitlines()[0], exc.problems)
            sys.exit(exc.exit_code)
        except EvaltoolsError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


def _print_problems(headline: str, problems: list) -> None:
    click.secho(headline, fg="red" if any(p.severity == "error" for p in problems) else "yellow",
                err=True)
    for p in sort_problems(problems):
        colour = "red" if p.severity == "error" else "yellow"
        click.echo(click.style(f"  {p.severity:<7}", fg=colour) + " " + p.describe(), err=True)


@click.group(epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evaltools")
def cli() -> None:
    """evaltools: evaluate social interventions with pre- and post-intervention survey waves.

    Start with `evaltools demo` to generate a synthetic study, then `evaltools validate` it.
    """


@cli.command(epilog=_EPILOG)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path),
                default="demo-study", required=False)
@click.option("--seed", type=int, default=20240901, show_default=True,
              help="Random seed; the same seed gives byte-identical files.")
@click.option("--sites", "n_sites", type=click.IntRange(1, 40), default=6, show_default=True,
              help="Number of sites (focus areas).")
@click.option("--force", is_flag=True,
              help="Replace an earlier demo study in DIRECTORY (other folders are never touched).")
@_friendly
def demo(directory: Path, seed: int, n_sites: int, force: bool) -> None:
    """Generate the synthetic demo study in DIRECTORY (default: ./demo-study).

    The study has intervention and comparison groups, three waves (baseline, post, 6-month
    follow-up), wave files in CSV, Excel and SPSS with realistic mess, and the true effects in
    DIRECTORY/truth/ so that analyses can be checked against them.
    """
    from evaltools.simulate import generate_demo_study

    result = generate_demo_study(directory, seed=seed, force=force, n_sites=n_sites)
    key_note = _demo_key(directory)
    sim = result.simulation
    n_people = len(sim.participants)
    click.echo(f"Demo study written to {directory}/ (seed {seed})")
    click.echo(f"  {len(sim.sites)} sites, {n_people} respondents, "
               f"{len(result.wave_files)} wave files, {len(sim.responses)} submissions")
    click.echo(f"  definition:   {directory / 'study.yml'}")
    click.echo(f"  true effects: {directory / 'truth' / 'true_effects.csv'}")
    click.echo(f"  key:          {key_note}")


def _demo_key(directory: Path) -> str:
    """The synthetic demo study gets its pseudonymisation key made for it, if it has none."""
    import os

    from evaltools.pseudonym import create_key, default_key_file, key_env_name
    from evaltools.study import load_study

    study = load_study(directory)
    if os.environ.get(key_env_name(study.id)):
        return f"from ${key_env_name(study.id)}"
    if default_key_file(study.id).exists():
        return f"{default_key_file(study.id)} (kept)"
    return f"{create_key(study)} (new)"


@cli.command(epilog=_EPILOG)
@click.argument("study", type=click.Path(exists=True, path_type=Path))
@click.option("--data", "with_data", is_flag=True,
              help="Also read and check every wave file (nothing is ingested or written).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@_friendly
def validate(study: Path, with_data: bool, as_json: bool) -> None:
    """Check a study definition (STUDY: a study folder or its study.yml).

    Lists every problem at once, each with file, line, key path, the value found and what is
    allowed. With --data, also checks every wave file. Exits 1 if there is any error; warnings
    alone exit 0.
    """
    from evaltools.study import check_study

    result, problems = check_study(study)
    if with_data and result is not None:
        from evaltools.ingest import check_data

        checked = check_data(result)
        if not as_json:
            _print_definition_ok(study, result, problems)
            _print_outcomes(checked, verb="checked")
            sys.exit(EXIT_OK if checked.ok else EXIT_FAILED)
        problems = problems + checked.problems + [p for o in checked.outcomes
                                                  for p in o.problems]
        if not checked.ok:
            result = None
    if as_json:
        frame = problems_frame(problems)
        records = json.loads(frame.to_json(orient="records"))
        click.echo(json.dumps({"valid": result is not None, "problems": records}, indent=2,
                              ensure_ascii=False))
    elif result is None:
        n = sum(p.severity == "error" for p in problems)
        _print_problems(f"{study}: {n} error{'s' if n != 1 else ''} in the study definition",
                        problems)
    else:
        _print_definition_ok(study, result, problems)
    sys.exit(EXIT_OK if result is not None else EXIT_FAILED)


def _print_definition_ok(study: Path, result, problems: list) -> None:
    n_items = len(result.item_ids)
    click.echo(f"{study}: study definition is valid")
    click.echo(f"  {result.id}: {result.design} design, {len(result.sites)} sites, "
               f"{len(result.groups)} groups, waves {', '.join(w.id for w in result.waves)}, "
               f"{len(result.instruments)} instruments ({n_items} items)")
    if problems:
        _print_problems(f"{len(problems)} warning(s):", problems)


_STATUS_COLOUR = {"accepted": "green", "checked": "green", "unchanged": None,
                  "quarantined": "red", "duplicate": "yellow", "removed": "yellow"}


def _print_outcomes(result, verb: str) -> None:
    """A short summary per file; the full tables are in store/validation/."""
    for p in result.problems:
        click.echo(click.style(f"  {p.severity:<7}", fg="red" if p.severity == "error"
                               else "yellow") + " " + p.describe())
    width = max([len(o.file) for o in result.outcomes] + [10])
    for o in result.outcomes:
        status = "quarantined" if verb == "checked" and o.errors else o.status
        line = f"  {status:<11}  {o.file:<{width}}  {o.rows:>6} rows"
        if o.errors or o.warnings:
            line += f", {o.errors} errors, {o.warnings} warnings"
        click.echo(click.style(line, fg=_STATUS_COLOUR.get(status)))
        shown = sorted(o.problems, key=lambda p: p.severity != "error")
        for p in shown[:3]:
            click.echo(f"      {p.severity}: {p.location}: {p.message}"
                       + (f"; found {format_value(p.found)}" if p.found is not None else ""))
        if len(shown) > 3:
            click.echo(f"      ... {len(shown) - 3} more")
        if o.report:
            click.echo(f"      full table: {o.report} (.html beside it)")
    counts = {}
    for o in result.outcomes:
        key = "quarantined" if verb == "checked" and o.errors else o.status
        counts[key] = counts.get(key, 0) + 1
    click.echo(f"{len(result.outcomes)} files " + verb + ": " + ", ".join(
        f"{n} {k}" for k, n in sorted(counts.items())))


@cli.command(epilog=_EPILOG)
@click.argument("study", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--rebuild", is_flag=True,
              help="Forget what was ingested and ingest every file again (e.g. after a key "
                   "change). Raw files are never touched.")
@_friendly
def ingest(study: Path, rebuild: bool) -> None:
    """Ingest new and changed wave files of STUDY into its store.

    Each file is read, checked, pseudonymised and stored; a file with errors is quarantined
    (with its problem table) while the others go through. Running it again ingests nothing
    that did not change. Exits 1 if any file is quarantined.
    """
    from evaltools.ingest import ingest as run_ingest

    result = run_ingest(study, rebuild=rebuild)
    click.echo(f"ingest {study}:")
    _print_outcomes(result, verb="seen")
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


@cli.command(epilog=_EPILOG)
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
@_friendly
def report(study: Path, template: str | None, site: str, wave: str, language: str | None,
           reports_dir: Path, everything: bool) -> None:
    """Render report(s) of STUDY as self-contained HTML, with their tables as CSV and JSON.

    The study's wave files must have been ingested. Exits 1 if a report failed (its
    notebook is kept for diagnosis; an earlier good report stays in place).
    """
    from evaltools.report import ReportError, render_all, render_report

    if everything == bool(template):
        raise click.UsageError("pass --template, or --all")
    if everything:
        def show(result) -> None:
            if isinstance(result, ReportError):
                click.secho(f"  failed: {result}", fg="red")
            else:
                click.echo(f"  ok      {result.html}  ({result.headline})")

        results = render_all(study, reports_dir=reports_dir, language=language or "",
                             on_result=show)
        failed = sum(isinstance(r, ReportError) for r in results)
        from evaltools.study import load_study

        index = Path(reports_dir) / load_study(study).id / "index.html"
        click.echo(f"{len(results) - failed} reports rendered, {failed} failed; index: {index}")
        sys.exit(EXIT_FAILED if failed else EXIT_OK)
    result = render_report(study, template, site=site, wave=wave, language=language or "",
                           reports_dir=reports_dir)
    click.echo(f"report: {result.html} ({result.headline})")


@cli.command(epilog=_EPILOG)
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
@_friendly
def run(studies: tuple[Path, ...], jobs: int | None, force: bool, dry_run: bool,
        only: tuple[str, ...], reports_dir: Path, fresh_kernels: bool, executor: str,
        scheduler: str | None, register: str | None, no_register: bool) -> None:
    """The one command for scheduled use: ingest, then render only what changed.

    Ingests new and changed wave files (quarantining bad ones), renders the reports whose
    inputs changed (or that failed, were interrupted or are missing) and refreshes the index.
    Exit codes: 0 everything succeeded, 1 something failed (a quarantined file, a failed
    report, another run busy), 2 wrong call.
    """
    from evaltools.pipeline import run_study

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
        with bar:
            result = run_study(study, jobs=jobs, force=force, dry_run=dry_run,
                               only=list(only), reports_dir=reports_dir,
                               fresh_kernels=fresh_kernels, executor=executor,
                               scheduler=scheduler, register=register,
                               use_register=not no_register, on_event=event,
                               on_plan=bar.start)
        counts = result.ingest.summary()["status"].value_counts().to_dict()
        click.echo("  files: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        if result.interrupted:
            click.echo(f"  {result.interrupted} jobs of an interrupted run will be redone")
        todo = [r for r in result.reports if r.reason not in ("current", "no data yet")]
        if dry_run:
            for r in todo:
                click.echo(f"  would render {r.key}  ({r.reason})")
        click.echo(f"  reports: {len(result.reports) - len(todo)} current, {len(todo)} "
                   + ("to render" if dry_run else
                      f"rendered ({sum(r.status == 'failed' for r in todo)} failed)"))
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
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

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


@cli.command(epilog=_EPILOG)
@click.argument("study", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("reports"), show_default=True)
@_friendly
def status(study: Path, as_json: bool, reports_dir: Path) -> None:
    """Which reports of STUDY are current, stale, failed or missing; quarantined files."""
    from evaltools.pipeline import report_status

    reports, quarantined = report_status(study, reports_dir=reports_dir)
    if as_json:
        click.echo(json.dumps({"reports": json.loads(reports.to_json(orient="records")),
                               "quarantined": json.loads(quarantined.to_json(
                                   orient="records"))}, indent=2, ensure_ascii=False))
        return
    for r in reports.itertuples():
        click.echo(f"  {r.state:<11} {r.site}/{r.wave}/{r.template}"
                   + (f"  ({r.error})" if r.state == "failed" and r.error else ""))
    for q in quarantined.itertuples():
        click.secho(f"  quarantined {q.file} ({q.errors} errors; {q.report})", fg="red")
    counts = reports["state"].value_counts().to_dict()
    click.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no reports declared")


@cli.group(epilog=_EPILOG)
def key() -> None:
    """Manage a study's pseudonymisation key."""


@key.command("create", epilog=_EPILOG)
@click.argument("study", type=click.Path(exists=True, path_type=Path))
@_friendly
def key_create(study: Path) -> None:
    """Create a new random key for STUDY in its key file (never inside the study folder).

    Refuses to replace an existing key: a new key changes every pseudonym.
    """
    from evaltools.pseudonym import create_key
    from evaltools.study import load_study

    path = create_key(load_study(study))
    click.echo(f"created a new key for {study}: {path} (readable by you only). Back it up "
               "securely; without it, new waves cannot be linked to earlier ones.")


@cli.group(epilog=_EPILOG)
def instruments() -> None:
    """Browse the instrument library: list, show and write codebooks."""


def _library(study: Path | None):
    from evaltools.instruments import find_instruments

    extra = [] if study is None else [(study if study.is_dir() else study.parent) / "surveys"]
    return find_instruments(extra)


def _pick(library: dict, instrument_id: str, version: str | None):
    from evaltools.instruments import choose

    try:
        return choose(library, instrument_id, version)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0],
                                 param_hint="--version" if version else "ID") from None


_STUDY_OPTION = click.option(
    "--study", type=click.Path(exists=True, path_type=Path),
    help="Also list the instruments in this study's own surveys/ folder.")
_LANG_OPTION = click.option("--language", "-l", type=click.Choice(["nl", "en"]), default="nl",
                            show_default=True, help="Language of labels and texts.")


@instruments.command("list", epilog=_EPILOG)
@_STUDY_OPTION
@_LANG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@_friendly
def instruments_list(study: Path | None, language: str, as_json: bool) -> None:
    """List the instruments: id, version, title, protective factor, level, items, licence."""
    rows = []
    for versions in sorted(_library(study).values(), key=lambda v: v[-1].id):
        for inst in versions:
            rows.append({"id": inst.id, "version": inst.version,
                         "title": inst.title.get(language),
                         "protective_factor": inst.protective_factor, "level": inst.level,
                         "items": len(inst.items), "scales": [s.id for s in inst.scales],
                         "licence": inst.licence, "items_shippable": inst.items_shippable,
                         "validated": inst.validated})
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        flag = "" if r["validated"] else "  [example, not validated]"
        click.echo(f"{r['id']:<{width}}  {r['version']:<5} {r['items']:>3} items  "
                   f"{r['level']:<10}  {r['protective_factor']:<24} {r['title']}{flag}")


@instruments.command("show", epilog=_EPILOG)
@click.argument("instrument_id", metavar="ID")
@click.option("--version", "version", help="A specific version (default: the newest).")
@_STUDY_OPTION
@_LANG_OPTION
@_friendly
def instruments_show(instrument_id: str, version: str | None, study: Path | None,
                     language: str) -> None:
    """Show one instrument: items, scales, scoring, cut-offs and licence (as Markdown)."""
    from evaltools.codebook import render_codebook

    inst = _pick(_library(study), instrument_id, version)
    click.echo(render_codebook(inst, language, "md"))


@instruments.command("codebook", epilog=_EPILOG)
@click.argument("instrument_ids", metavar="[ID]...", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every instrument in the library.")
@_STUDY_OPTION
@_LANG_OPTION
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="html",
              show_default=True, help="Markdown or a self-contained HTML page.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("codebooks"), show_default=True, help="Folder to write to.")
@_friendly
def instruments_codebook(instrument_ids: tuple[str, ...], everything: bool, study: Path | None,
                         language: str, fmt: str, output: Path) -> None:
    """Write codebooks that a fieldwork team can build a questionnaire from."""
    from evaltools.codebook import write_codebook

    library = _library(study)
    if everything == bool(instrument_ids):
        raise click.UsageError("name one or more instrument ids, or pass --all")
    chosen = ([v[-1] for v in library.values()] if everything
              else [_pick(library, i, None) for i in instrument_ids])
    for inst in chosen:
        path = write_codebook(inst, output, language, fmt)
        click.echo(f"wrote {path}")


from evaltools._cli_register import overview, register  # noqa: E402

cli.add_command(register)
cli.add_command(overview)


def main() -> None:
    """Entry point of the ``evaltools`` console script."""
    cli(prog_name="evaltools")


if __name__ == "__main__":  # pragma: no cover
    main()

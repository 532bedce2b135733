"""``evaltools register ...`` and ``evaltools overview``: the evidence register on the command
line. Attached to the main command group by :mod:`evaltools.cli`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from evaltools.cli.common import EPILOG, friendly
from evaltools.register import Register, register_url
from evaltools.register.collect import collect
from evaltools.register.exchange import export_register, import_register, schema_path
from evaltools.reports.overview import render_overview
from evaltools.reports.render import write_index
from evaltools.study.load import load_study

_REGISTER = click.option(
    "--register", "url", metavar="URL", default=None,
    help="SQLAlchemy URL of the register (sqlite:///file.sqlite, "
         "postgresql+psycopg://user@host/db); default: $EVALTOOLS_REGISTER, else "
         "REPORTS_DIR/register.sqlite.")
_REPORTS = click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path),
                        default=Path("reports"), show_default=True)


def _open(url: str | None, reports_dir: Path, study=None):
    return Register(register_url(study, url=url, reports_dir=reports_dir))


@click.group(epilog=EPILOG)
def register() -> None:
    """The evidence register: aggregate results of every study, for synthesis and sharing."""


@register.command("add", epilog=EPILOG)
@click.argument("study", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_REGISTER
@_REPORTS
@friendly
def register_add(study: Path, url: str | None, reports_dir: Path) -> None:
    """Add STUDY's current results (its ingested data) to the register.

    Rows already present (same study, site, scale, waves, analysis and data) are skipped, so
    adding twice changes nothing. `evaltools run` does this by itself.
    """
    definition = load_study(study)
    with _open(url, reports_dir, definition) as reg:
        added, present = reg.add(collect(definition), source=f"study {definition.id}")
        click.echo(f"register {reg.display}: {added} results added, {present} already present")


@register.command("export", epilog=EPILOG)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default=None,
              help="Default: from FILE's extension.")
@click.option("--current", is_flag=True,
              help="Only the newest row per result (drop rows of older data versions).")
@_REGISTER
@_REPORTS
@friendly
def register_export(file: Path, fmt: str | None, current: bool, url: str | None,
                    reports_dir: Path) -> None:
    """Write the register to FILE (.csv or .parquet) and FILE's schema (.schema.json).

    The export holds aggregate results only; share it so that others can import it.
    """
    with _open(url, reports_dir) as reg:
        path, count = export_register(reg, file, fmt=fmt, current=current)
    click.echo(f"wrote {count} results to {path} (schema: {schema_path(path)})")


@register.command("import", epilog=EPILOG)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default=None,
              help="Default: from FILE's extension.")
@_REGISTER
@_REPORTS
@friendly
def register_import(file: Path, fmt: str | None, url: str | None, reports_dir: Path) -> None:
    """Add the results in FILE (an export of this or another register).

    Every row is checked first (problems are listed by row, column, value and rule, and
    nothing is added); rows already present are skipped, so importing twice changes nothing.
    """
    with _open(url, reports_dir) as reg:
        added, present = import_register(reg, file, fmt=fmt)
        click.echo(f"register {reg.display}: {added} results added from {file.name}, "
                   f"{present} already present")


@register.command("show", epilog=EPILOG)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@_REGISTER
@_REPORTS
@friendly
def register_show(as_json: bool, url: str | None, reports_dir: Path) -> None:
    """What the register holds: per intervention, studies, sites and results."""
    with _open(url, reports_dir) as reg:
        rows = reg.read()
        every = reg.read(current=False)
        summary = {"register": reg.display, "schema_revision": reg.revision,
                   "results": len(every), "current_results": len(rows),
                   "interventions": {}}
        for name, part in rows.groupby("intervention"):
            summary["interventions"][name] = {
                "studies": sorted(part["study"].unique().tolist()),
                "protective_factors": sorted(part["protective_factor"].unique().tolist()),
                "results": len(part)}
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    click.echo(f"register {summary['register']} (schema {summary['schema_revision']}): "
               f"{summary['results']} results, {summary['current_results']} current")
    for name, info in summary["interventions"].items():
        click.echo(f"  {name}: {len(info['studies'])} studies "
                   f"({', '.join(info['studies'])}); factors: "
                   f"{', '.join(info['protective_factors'])}")


@register.command("upgrade", epilog=EPILOG)
@_REGISTER
@_REPORTS
@friendly
def register_upgrade(url: str | None, reports_dir: Path) -> None:
    """Bring the register's schema to this evaltools version (also done on every open)."""
    with _open(url, reports_dir) as reg:
        click.echo(f"register {reg.display} is at schema {reg.revision}")


@click.command(epilog=EPILOG)
@click.option("--language", "-l", type=click.Choice(["nl", "en", "both"]), default="both",
              show_default=True)
@click.option("--method", type=click.Choice(["REML", "DL"]), default="REML", show_default=True,
              help="Estimator of the between-study variance.")
@click.option("--test", type=click.Choice(["knha", "z"]), default="knha", show_default=True,
              help="Hartung-Knapp (t) or normal (z) intervals.")
@_REGISTER
@_REPORTS
@friendly
def overview(language: str, method: str, test: str, url: str | None,
             reports_dir: Path) -> None:
    """Render the "Wat werkt" overview of the register to REPORTS_DIR/wat-werkt/<language>/."""
    with _open(url, reports_dir) as reg:
        for lang in (["nl", "en"] if language == "both" else [language]):
            page = render_overview(reg, reports_dir=reports_dir, language=lang, method=method,
                                   test=test)
            click.echo(f"overview: {page.html} ({page.headline})")
    for index in sorted(Path(reports_dir).glob("*/index.html")):  # link it from each index
        write_index(reports_dir, index.parent.name)
    sys.exit(0)


@register.command("retract", epilog=EPILOG)
@click.argument("study_id", metavar="STUDY_ID")
@click.option("--reason", required=True, help="Why the results are withdrawn (kept in the "
              "register's history).")
@click.option("--organisation", default=None, help="Only this organisation's rows of the study.")
@_REGISTER
@_REPORTS
@friendly
def register_retract(study_id: str, reason: str, organisation: str | None, url: str | None,
                     reports_dir: Path) -> None:
    """Withdraw every result of study STUDY_ID (its id in study.yml) from the register.

    The rows stay in the register's history with the reason and the time, but no longer count
    in `register show`, `register export --current` and the overview (rendered again by the
    next `evaltools run` or `evaltools overview`).
    """
    with _open(url, reports_dir) as reg:
        count = reg.retract(study_id, reason, organisation=organisation)
        click.echo(f"register {reg.display}: {count} results of study {study_id!r} withdrawn "
                   f"({reason.strip()})")

"""``evaltools demo``, ``validate``, ``ingest`` and ``key``: a study and its data."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from evaltools.cli.common import EPILOG, EXIT_FAILED, EXIT_OK, friendly, print_problems
from evaltools.core.errors import problems_frame
from evaltools.data.ingest import check_data
from evaltools.data.ingest import ingest as run_ingest
from evaltools.data.problems import group_problems, write_check_table
from evaltools.data.pseudonym import create_key, default_key_file, key_env_name
from evaltools.demo.files import generate_demo_study
from evaltools.demo.simulate import DEMO_SECOND_ARM
from evaltools.study.contrasts import describe_contrasts, planned_contrasts
from evaltools.study.defaults import describe_reports
from evaltools.study.load import check_study, load_study


@click.command(epilog=EPILOG)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path),
                default="demo-study", required=False)
@click.option("--seed", type=int, default=20240901, show_default=True,
              help="Random seed; the same seed gives byte-identical files.")
@click.option("--sites", "n_sites", type=click.IntRange(1, 40), default=None,
              help="Number of sites (focus areas)  [default: 6; 8 neighbourhoods with "
                   "--design repeated_cross_section]")
@click.option("--force", is_flag=True,
              help="Replace an earlier demo study in DIRECTORY (other folders are never touched).")
@click.option("--design", type=click.Choice(["controlled", "repeated_cross_section"]),
              default="controlled", show_default=True,
              help="repeated_cross_section: a neighbourhood monitor, new respondents at every "
                   "wave, whole neighbourhoods as intervention or comparison (default 8 sites).")
@click.option("--arms", type=click.Choice(["2", "3"]), default="2", show_default=True,
              help="3: a three-arm study, with a second intervention arm (interventie_b) "
                   "that has its own true effects (controlled design only).")
@friendly
def demo(directory: Path, seed: int, n_sites: int, force: bool, design: str = "controlled",
         arms: str = "2") -> None:
    """Generate the synthetic demo study in DIRECTORY (default: ./demo-study).

    The study has intervention and comparison groups, three waves (baseline, post, 6-month
    follow-up), wave files in CSV, Excel and SPSS with realistic mess, and the true effects in
    DIRECTORY/truth/ so that analyses can be checked against them.
    """
    if design != "controlled" and arms != "2":
        raise click.UsageError("--arms 3 needs the controlled design; a repeated "
                               "cross-section demo has one intervention and one comparison group")
    extra = {} if design == "controlled" else {"design": design}
    if arms == "3":
        extra["second_arm"] = dict(DEMO_SECOND_ARM)
    if design != "controlled" and n_sites is None:
        n_sites = 8
    result = generate_demo_study(directory, seed=seed, force=force, n_sites=n_sites or 6,
                                 **extra)
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
    study = load_study(directory)
    if os.environ.get(key_env_name(study.id)):
        return f"from ${key_env_name(study.id)}"
    if default_key_file(study.id).exists():
        return f"{default_key_file(study.id)} (kept)"
    return f"{create_key(study)} (new)"


@click.command(epilog=EPILOG)
@click.argument("study", type=click.Path(exists=True, path_type=Path))
@click.option("--data", "with_data", is_flag=True,
              help="Also read and check every wave file (nothing is ingested or written).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@friendly
def validate(study: Path, with_data: bool, as_json: bool) -> None:
    """Check a study definition (STUDY: a study folder or its study.yml).

    Lists every problem at once, each with file, line, key path, the value found and what is
    allowed. With --data, also checks every wave file. Exits 1 if there is any error; warnings
    alone exit 0.
    """
    result, problems = check_study(study)
    table = None
    if with_data and result is not None:
        checked = check_data(result)
        data_problems = checked.problems + [p for o in checked.outcomes for p in o.problems]
        table = _write_check_table(result, data_problems)
        if not as_json:
            _print_definition_ok(study, result, problems)
            _print_outcomes(checked, verb="checked")
            if table:
                click.echo(f"full problem table: {table} (.html beside it, grouped by column "
                           "and rule)")
            sys.exit(EXIT_OK if checked.ok else EXIT_FAILED)
        problems = problems + data_problems
        if not checked.ok:
            result = None
    if as_json:
        frame = problems_frame(problems)
        records = json.loads(frame.to_json(orient="records"))
        groups = json.loads(group_problems(problems).to_json(orient="records"))
        contrasts = planned_contrasts(result) if result is not None else []
        click.echo(json.dumps({"valid": result is not None, "problems": records,
                               "groups": groups, "table": table, "contrasts": contrasts},
                              indent=2, ensure_ascii=False))
    elif result is None:
        n = sum(p.severity == "error" for p in problems)
        print_problems(f"{study}: {n} error{'s' if n != 1 else ''} in the study definition",
                        problems)
    else:
        _print_definition_ok(study, result, problems)
    sys.exit(EXIT_OK if result is not None else EXIT_FAILED)


def _write_check_table(study, problems: list) -> str | None:
    """The full problem table of ``validate --data`` in the study's store (None: no problems,
    or the store cannot be written; the summary still shows the problems)."""
    if not problems:
        return None
    try:
        return write_check_table(study.store_dir, problems)[0]
    except OSError as exc:
        click.echo(f"  (the full problem table could not be written: {exc.strerror}; use "
                   "--json for every problem)", err=True)
        return None


def _group_line(g) -> str:
    """One grouped problem for the terminal: a single row as its location, else a count."""
    where = f"column {g.column}" if g.column else "(file)"
    if g.count == 1 and g.rows and "," not in g.rows:
        where = f"row {g.rows}, {where}" if g.column else f"row {g.rows}"
    elif g.rows:
        where += f", {g.count} rows ({g.rows})"
    elif g.count > 1:
        where += f", {g.count} rows"
    return f"      {g.severity}: {where}: {g.message}" + (f"; found {g.found}" if g.found
                                                        else "")


def _print_definition_ok(study: Path, result, problems: list) -> None:
    n_items = len(result.item_ids)
    click.echo(f"{study}: study definition is valid")
    click.echo(f"  {result.id}: {result.design} design, {len(result.sites)} sites, "
               f"{len(result.groups)} groups, waves {', '.join(w.id for w in result.waves)}, "
               f"{len(result.instruments)} instruments ({n_items} items)")
    click.echo(f"  {describe_reports(result)}")
    for line in describe_contrasts(result):
        click.echo(f"  {line}")
    if problems:
        print_problems(f"{len(problems)} warning(s):", problems)


_SHOWN = 6  # grouped problems listed per file; the full table has every one

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
        groups = group_problems(o.problems)  # errors first; one line per column and rule
        for g in groups.head(_SHOWN).itertuples(index=False):
            click.echo(_group_line(g))
        if len(groups) > _SHOWN:
            click.echo(f"      ... {len(groups) - _SHOWN} more kinds of problem "
                       f"({int(groups['count'].iloc[_SHOWN:].sum())} rows)")
        if o.report:
            click.echo(f"      full table: {o.report} (.html beside it)")
    counts = {}
    for o in result.outcomes:
        key = "quarantined" if verb == "checked" and o.errors else o.status
        counts[key] = counts.get(key, 0) + 1
    click.echo(f"{len(result.outcomes)} files " + verb + ": " + ", ".join(
        f"{n} {k}" for k, n in sorted(counts.items())))


@click.command(epilog=EPILOG)
@click.argument("study", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--rebuild", is_flag=True,
              help="Forget what was ingested and ingest every file again (e.g. after a key "
                   "change). Raw files are never touched.")
@friendly
def ingest(study: Path, rebuild: bool) -> None:
    """Ingest new and changed wave files of STUDY into its store.

    Each file is read, checked, pseudonymised and stored; a file with errors is quarantined
    (with its problem table) while the others go through. Running it again ingests nothing
    that did not change. Exits 1 if any file is quarantined.
    """
    result = run_ingest(study, rebuild=rebuild)
    click.echo(f"ingest {study}:")
    _print_outcomes(result, verb="seen")
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


@click.group(epilog=EPILOG)
def key() -> None:
    """Manage a study's pseudonymisation key."""


@key.command("create", epilog=EPILOG)
@click.argument("study", type=click.Path(exists=True, path_type=Path))
@friendly
def key_create(study: Path) -> None:
    """Create a new random key for STUDY in its key file (never inside the study folder).

    Refuses to replace an existing key: a new key changes every pseudonym.
    """
    path = create_key(load_study(study))
    click.echo(f"created a new key for {study}: {path} (readable by you only). Back it up "
               "securely; without it, new waves cannot be linked to earlier ones.")

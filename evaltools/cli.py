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
from evaltools.errors import EvaltoolsError, ProblemsError, problems_frame, sort_problems

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
@click.option("--sites", "n_sites", type=click.IntRange(1, 8), default=6, show_default=True,
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
    sim = result.simulation
    n_people = len(sim.participants)
    click.echo(f"Demo study written to {directory}/ (seed {seed})")
    click.echo(f"  {len(sim.sites)} sites, {n_people} respondents, "
               f"{len(result.wave_files)} wave files, {len(sim.responses)} submissions")
    click.echo(f"  definition:   {directory / 'study.yml'}")
    click.echo(f"  true effects: {directory / 'truth' / 'true_effects.csv'}")


@cli.command(epilog=_EPILOG)
@click.argument("study", type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@_friendly
def validate(study: Path, as_json: bool) -> None:
    """Check a study definition (STUDY: a study folder or its study.yml).

    Lists every problem at once, each with file, line, key path, the value found and what is
    allowed. Exits 1 if there is any error; warnings alone exit 0.
    """
    from evaltools.study import check_study

    result, problems = check_study(study)
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
        n_items = len(result.item_ids)
        click.echo(f"{study}: study definition is valid")
        click.echo(f"  {result.id}: {result.design} design, {len(result.sites)} sites, "
                   f"{len(result.groups)} groups, waves {', '.join(w.id for w in result.waves)}, "
                   f"{len(result.instruments)} instruments ({n_items} items)")
        if problems:
            _print_problems(f"{len(problems)} warning(s):", problems)
    sys.exit(EXIT_OK if result is not None else EXIT_FAILED)


def main() -> None:
    """Entry point of the ``evaltools`` console script."""
    cli(prog_name="evaltools")


if __name__ == "__main__":  # pragma: no cover
    main()

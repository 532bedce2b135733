"""What every ``evaltools`` command shares: exit codes and turning errors into messages."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from evaltools.core.errors import EvaltoolsError, ProblemsError, sort_problems

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EPILOG", "friendly", "print_problems"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

EPILOG = "Exit codes: 0 ok, 1 problems in the data or the run, 2 wrong call."


def friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn evaltools' own errors into a message and an exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ProblemsError as exc:
            print_problems(str(exc).splitlines()[0], exc.problems)
            sys.exit(exc.exit_code)
        except EvaltoolsError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper


def print_problems(headline: str, problems: list) -> None:
    click.secho(headline, fg="red" if any(p.severity == "error" for p in problems) else "yellow",
                err=True)
    for p in sort_problems(problems):
        colour = "red" if p.severity == "error" else "yellow"
        click.echo(click.style(f"  {p.severity:<7}", fg=colour) + " " + p.describe(), err=True)

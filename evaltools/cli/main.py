"""The ``evaltools`` command line.

Exit codes, for people and schedulers alike:

* 0: everything succeeded;
* 1: problems in the data, a definition or a run (the message says which and where);
* 2: the call itself was wrong (unknown option, missing argument, a path that does not exist).

Each command lives in a module of its own and is imported only when it is called, so that
``evaltools --version`` or ``evaltools status`` does not pay for the statistics and plotting
libraries that ``evaltools report`` needs (see ``benchmarks/RESULTS.md`` for start-up times).
"""

from __future__ import annotations

import importlib

import click

from evaltools.cli.common import EPILOG
from evaltools.core.version import __version__

__all__ = ["cli", "main", "COMMANDS"]

#: Command name -> "module:object" that defines it, in the order ``--help`` lists them.
COMMANDS = {
    "demo": "evaltools.cli.data:demo",
    "validate": "evaltools.cli.data:validate",
    "ingest": "evaltools.cli.data:ingest",
    "report": "evaltools.cli.reports:report",
    "run": "evaltools.cli.run:run",
    "status": "evaltools.cli.status:status",
    "key": "evaltools.cli.data:key",
    "instruments": "evaltools.cli.instruments:instruments",
    "register": "evaltools.cli.register:register",
    "overview": "evaltools.cli.register:overview",
    "plan": "evaltools.cli.plan:plan",
}


class LazyGroup(click.Group):
    """A command group that imports a command's module when the command is used."""

    def __init__(self, *args, lazy: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy, *(n for n in super().list_commands(ctx) if n not in self.lazy)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, name = self.lazy[cmd_name].partition(":")
        command = getattr(importlib.import_module(module), name)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
        return command


@click.group(cls=LazyGroup, lazy=COMMANDS, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evaltools")
def cli() -> None:
    """evaltools: evaluate social interventions with pre- and post-intervention survey waves.

    Start with `evaltools demo` to generate a synthetic study, then `evaltools validate` it.
    """


def main() -> None:
    """Entry point of the ``evaltools`` console script."""
    cli(prog_name="evaltools")


if __name__ == "__main__":  # pragma: no cover
    main()

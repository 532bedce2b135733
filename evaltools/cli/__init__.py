"""The ``evaltools`` command line: one group of commands over the layers below.

The top of the stack: it may import from every other layer, and nothing imports from it.
"""

from evaltools.cli.main import cli, main

__all__ = ["cli", "main"]

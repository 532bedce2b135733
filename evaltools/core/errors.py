"""Exceptions and the structured problem records behind them.

Every error evaltools raises on purpose subclasses :class:`EvaltoolsError`. Checks of files a user
wrote (study definitions, instruments, wave files) collect *all* problems first, as
:class:`Problem` records, and raise once with a :class:`ProblemsError` that carries the full table.
The command line prints the summary and exits with :attr:`EvaltoolsError.exit_code`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EvaltoolsError",
    "Problem",
    "ProblemsError",
    "StudyDefinitionError",
    "InstrumentDefinitionError",
    "OutputLocationError",
    "format_value",
]

Severity = Literal["error", "warning"]

#: Columns of :meth:`ProblemsError.to_frame`, in order.
PROBLEM_COLUMNS = ["severity", "file", "line", "location", "found", "expected", "message"]


class EvaltoolsError(Exception):
    """Base class of every error evaltools raises on purpose.

    Attributes
    ----------
    exit_code : int
        What the command line exits with: 1 for problems in the data, definitions or a run,
        2 for a wrong call.
    """

    exit_code: int = 1


@dataclass(frozen=True)
class Problem:
    """One located problem in a file a user supplied.

    Parameters
    ----------
    file : str
        The file as the user named it (never made absolute).
    location : str
        Where in the file: a key path such as ``waves[1].role`` or ``row 12, column brs_3``.
    message : str
        What is wrong, in one sentence.
    found : object, optional
        The offending value, if there is one.
    expected : str, optional
        What would have been accepted (allowed values, a type, a range).
    line : int, optional
        1-based line in the file, where known.
    severity : {"error", "warning"}
        Errors make the file unusable; warnings are reported and the file is used.
    """

    file: str
    location: str
    message: str
    found: Any = None
    expected: str = ""
    line: int | None = None
    severity: Severity = "error"

    def describe(self) -> str:
        """One line for a terminal: location, message, found and expected values."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [f"{where}: {self.location or '(file)'}: {self.message}"]
        if self.found is not None:
            parts.append(f"found {format_value(self.found)}")
        if self.expected:
            parts.append(f"expected {self.expected}")
        return "; ".join(parts)


def format_value(value: Any, limit: int = 60) -> str:
    """Render a found value for a message, quoted and shortened.

    Examples
    --------
    >>> format_value("pre")
    "'pre'"
    >>> format_value(3)
    '3'
    >>> format_value("x" * 100)[-4:]
    "...'"
    """
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 4] + "...'" if text.startswith("'") else text[: limit - 3] + "..."
    return text


class ProblemsError(EvaltoolsError):
    """Raised once after a check collected one or more errors.

    Parameters
    ----------
    subject : str
        What was checked, e.g. ``"study definition build/demo/study.yml"``.
    problems : sequence of Problem
        Every problem found, warnings included.
    """

    def __init__(self, subject: str, problems: Sequence[Problem]):
        self.subject = subject
        self.problems = list(problems)
        super().__init__(self._summary())

    @property
    def errors(self) -> list[Problem]:
        """The problems with severity ``"error"``."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems with severity ``"warning"``."""
        return [p for p in self.problems if p.severity == "warning"]

    def _summary(self) -> str:
        n_err, n_warn = len(self.errors), len(self.warnings)
        head = (
            f"{self.subject}: {n_err} error{'s' if n_err != 1 else ''}"
            f"{f' and {n_warn} warning' + ('s' if n_warn != 1 else '') if n_warn else ''}"
        )
        lines = [head] + [f"  {p.severity:<7} {p.describe()}" for p in sort_problems(self.problems)]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """All problems as a table with columns ``severity, file, line, location, found,
        expected, message``."""
        return problems_frame(self.problems)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Order problems by file, then line (unknown lines last), then location, with the
    numbers in a location compared as numbers (row 2 before row 10).

    Examples
    --------
    >>> [p.location for p in sort_problems([Problem("a", f"row {r}, column x", "m")
    ...                                     for r in (10, 2, 1)])]
    ['row 1, column x', 'row 2, column x', 'row 10, column x']
    """
    return sorted(
        problems,
        key=lambda p: (p.file, p.line if p.line is not None else 10**9,
                       _numbers_as_numbers(p.location), p.location, p.message),
    )


def _numbers_as_numbers(text: str) -> tuple:
    """A sort key in which runs of digits compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text or "") if part)


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Problems as a tidy table (see :data:`PROBLEM_COLUMNS`).

    pandas is imported here rather than at the top: every command imports this module (for its
    exit codes) and most never build a problem table, while importing pandas costs several
    times the rest of ``evaltools --version`` (measured in ``benchmarks/pipeline.py``).
    """
    import pandas as pd

    rows = [asdict(p) for p in sort_problems(problems)]
    frame = pd.DataFrame(rows, columns=PROBLEM_COLUMNS)
    frame["found"] = frame["found"].map(lambda v: None if v is None else format_value(v, 200))
    frame["line"] = frame["line"].astype("Int64")
    return frame


class StudyDefinitionError(ProblemsError):
    """A ``study.yml`` that cannot be used; :attr:`problems` lists every mistake."""


class InstrumentDefinitionError(ProblemsError):
    """An instrument definition in ``surveys/`` that cannot be used."""


class OutputLocationError(EvaltoolsError):
    """An output folder that evaltools refuses to write to (for instance one holding data)."""

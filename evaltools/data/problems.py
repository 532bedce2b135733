"""Problem tables summarised: one line per file, column and rule, with counts and examples.

A wave file with 121 bad cells gives a problem table of 121 located rows (up to ten per column
and rule, then a summary row); that is the full record, but not what a person reads first.
:func:`group_problems` folds it into one row per file, severity, column and rule with the
number of rows it concerns, the first row numbers (sorted as numbers; ``...`` where there are
more) and a few of the values
found. :func:`write_check_table` writes the full table of ``evaltools validate --data`` beside
the ingest tables, so that the terminal summary can point to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from evaltools.core.errors import Problem, format_value, problems_frame
from evaltools.core.io import atomic_write_text, csv_safe

__all__ = ["group_problems", "write_check_table", "GROUP_COLUMNS", "natural_key"]

#: Columns of :func:`group_problems`.
GROUP_COLUMNS = ["severity", "file", "column", "message", "count", "rows", "found"]

_EXAMPLES = 5
_ROW = re.compile(r"^rows? ([\d, ]+)")
_COLUMN = re.compile(r"column (.+?)(?: \(and (\d+) more rows?\))?$")
_MORE = re.compile(r"^(\d+) more rows: (.*)$")


def natural_key(text: str) -> tuple:
    """A sort key that orders the numbers in ``text`` as numbers (row 2 before row 10).

    Examples
    --------
    >>> sorted(["row 10, column a", "row 2, column a", "row 1, column a"], key=natural_key)
    ['row 1, column a', 'row 2, column a', 'row 10, column a']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text or "") if part)


def group_problems(problems: Iterable[Problem]) -> pd.DataFrame:
    """One row per file, severity, column and rule.

    Parameters
    ----------
    problems : iterable of Problem
        As validation located them (``row 12, column brs_3``; ``column brs_3`` with ``N more
        rows: ...``; ``rows 3, 7`` for a repeated respondent; ``(file)``).

    Returns
    -------
    DataFrame
        ``severity, file, column, message, count, rows, found``: ``column`` is the file column
        (empty for the file as a whole), ``message`` the rule, ``count`` the number of rows
        it concerns (1 for a problem without rows), ``rows`` the first five row numbers in
        numeric order (text, e.g. ``2, 5, 9, ...``), ``found`` up to three values found.
        Errors first, then by file and column.

    Examples
    --------
    >>> from evaltools.core.errors import Problem
    >>> ps = [Problem("a.csv", f"row {r}, column x", "not a number", found="?") for r in (10, 2)]
    >>> ps.append(Problem("a.csv", "column x", "7 more rows: not a number"))
    >>> group_problems(ps)[["column", "count", "rows"]].values.tolist()
    [['x', 9, '2, 10, ...']]
    """
    groups: dict[tuple, dict] = {}
    for p in problems:
        column, rows, extra, message = _parse(p)
        key = (p.severity, p.file, column, message)
        group = groups.setdefault(key, {"count": 0, "rows": [], "found": []})
        group["count"] += (len(rows) or (0 if extra else 1)) + extra
        group["rows"] += rows
        if p.found is not None and len(group["found"]) < 3 \
                and format_value(p.found) not in group["found"]:
            group["found"].append(format_value(p.found))
    out = []
    for (severity, file, column, message), g in groups.items():
        rows = sorted(set(g["rows"]))
        more = len(rows) > _EXAMPLES or (rows and g["count"] > len(rows))
        shown = ", ".join(map(str, rows[:_EXAMPLES])) + (", ..." if more else "")
        out.append((severity, file, column, message, g["count"], shown, ", ".join(g["found"])))
    frame = pd.DataFrame(out, columns=GROUP_COLUMNS)
    order = sorted(range(len(frame)), key=lambda i: (
        frame["severity"].iloc[i] != "error", frame["file"].iloc[i],
        natural_key(frame["column"].iloc[i]), natural_key(frame["message"].iloc[i])))
    return frame.iloc[order].reset_index(drop=True)


def _parse(p: Problem) -> tuple[str, list[int], int, str]:
    """(column, row numbers, rows counted beyond them, rule) of one located problem."""
    location = p.location or ""
    rows: list[int] = []
    match = _ROW.match(location)
    if match:
        rows = [int(n) for n in re.findall(r"\d+", match.group(1))]
    column, extra = "", 0
    col = _COLUMN.search(location)
    if col:
        column, extra = col.group(1), int(col.group(2) or 0)
    message = p.message
    more = _MORE.match(message)
    if more:
        extra, message = extra + int(more.group(1)), more.group(2)
    return column, rows, extra, message


def write_check_table(store: Path, problems: list[Problem]) -> tuple[str, str]:
    """Write the full problem table of a data check (every file) as CSV and HTML.

    The table goes to ``store/validation/check.problems.csv`` (and ``.html``) of the study;
    raw files are not touched. Returns both paths relative to the study folder.
    """
    frame = problems_frame(problems)
    grouped = group_problems(problems)
    folder = Path("store") / "validation"
    csv_path, html_path = folder / "check.problems.csv", folder / "check.problems.html"
    atomic_write_text(store.parent / csv_path, csv_safe(frame).to_csv(index=False,
                                                                      lineterminator="\n"))
    atomic_write_text(store.parent / html_path, _html(frame, grouped))
    return csv_path.as_posix(), html_path.as_posix()


def _html(frame: pd.DataFrame, grouped: pd.DataFrame) -> str:
    n_err = int((frame["severity"] == "error").sum())
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            "<title>Data check: problems</title><style>body{font-family:system-ui,sans-serif;"
            "margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
            "padding:.25rem .5rem;text-align:left}</style></head><body>\n"
            f"<h1>Data check: problems</h1>\n<p>{n_err} errors, {len(frame) - n_err} warnings."
            "</p>\n<h2>By column and rule</h2>\n" + grouped.to_html(index=False, na_rep="")
            + "\n<h2>Every problem</h2>\n" + frame.to_html(index=False, na_rep="")
            + "\n</body></html>\n")

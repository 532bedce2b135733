"""The cells of a CSV text, every one as text, and what stops the text from being read as a table.

:func:`read_csv_text` checks that every row has the header's number of fields and that no column
name occurs twice, then reads the cells as ``pd.read_csv(..., dtype=str, keep_default_na=False,
na_filter=False, engine="c")`` does. A text without quotes (the usual export) is read with
pyarrow's CSV reader, several times faster, wherever that gives the same table
(:func:`read_plain_csv`); any other text with pandas. :func:`sniff_delimiter` guesses the
delimiter, :func:`blank_rows` finds rows empty apart from delimiters. Row numbers in problems
count the rows as a spreadsheet program shows them (the header is row 1).
"""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from evaltools.core.errors import Problem

__all__ = ["read_csv_text", "read_plain_csv", "sniff_delimiter", "field_count_problems",
           "blank_rows"]

_DELIMITERS = (";", ",", "\t", "|")
#: A carriage return that does not end a line as part of ``\r\n``.
_LONE_CR = re.compile("\r(?!\n)")
#: Where :meth:`str.splitlines` ends a line, besides ``\n`` and ``\r``.
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def read_csv_text(text: str, delim: str, display: str
                  ) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The cells of a CSV text as text, or None and the problems that stop it being read.

    Parameters
    ----------
    text : str
        The decoded file.
    delim : str
        The delimiter.
    display : str
        The file's name in problems.

    Returns
    -------
    frame : DataFrame or None
        Every cell as text (``str``, or ``string`` when read by pyarrow), the header's names as
        written; None when a row has another number of fields than the header or a column name
        occurs twice.
    problems : list of Problem
        Those errors (:func:`field_count_problems`).

    Raises
    ------
    csv.Error
        A cell longer than the csv module's field limit.
    pandas.errors.EmptyDataError, pandas.errors.ParserError
        From pandas, for a text it cannot read.
    """
    frame = read_plain_csv(text, delim)
    if frame is not None and not any(c in text for c in _OTHER_BREAKS):
        # pyarrow read every line with the header's number of fields, and no line holds a
        # break that would split it for field_count_problems: only the names are left to check
        problems = _name_problems(_first_line(text), delim, display)
    else:
        problems = field_count_problems(text, delim, display)
    if any(p.severity == "error" for p in problems):
        return None, problems
    if frame is None:
        frame = pd.read_csv(io.StringIO(text), sep=delim, dtype=str, keep_default_na=False,
                            na_filter=False, engine="c", skip_blank_lines=True)
    return frame, problems


def read_plain_csv(text: str, delim: str) -> pd.DataFrame | None:
    """Every cell of a CSV text without quotes, as text: the frame that ``pd.read_csv(...,
    dtype=str, keep_default_na=False, na_filter=False, engine="c")`` returns (then made
    ``string``), read by pyarrow's CSV reader, which is several times faster.

    None, for that slower reader, wherever the two could read the text differently: quotes, a
    NUL, a byte-order mark left in the text, a line ended by a carriage return alone (old Mac
    files: pandas drops a delimiter that starts the line after a blank one), a delimiter that
    is not one plain character, a single column or a line of only spaces and tabs (pandas
    skips such a line, pyarrow refuses it), an empty or repeated column name (pandas names
    them ``Unnamed: k`` and ``a.1``), rows with another number of fields than the header
    (pandas pads or shifts them, pyarrow refuses them), and a line that starts with a space or
    tab (pandas' C parser, 3.1, drops that whitespace where such a line crosses the edge of
    the blocks it reads in).
    """
    if (len(delim) != 1 or delim in '"\r\n \x00' or '"' in text or "\x00" in text
            or text.startswith("\ufeff") or _LONE_CR.search(text)):
        return None
    names = _first_line(text).split(delim)
    if len(names) < 2 or "" in names or len(set(names)) < len(names) or \
            names[0][:1] in (" ", "\t"):
        return None
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            parse_options=pacsv.ParseOptions(delimiter=delim, quote_char=False,
                                             escape_char=False, newlines_in_values=False,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[], check_utf8=False))
    except pa.ArrowException:
        return None
    if table.column_names != names or pc.any(pc.match_substring_regex(
            table.column(0), "^[ \t]")).as_py():
        return None
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def sniff_delimiter(text: str) -> str:
    """The delimiter of ``;``, ``,``, tab and ``|`` that splits the first 50 lines (blank ones
    aside) most evenly into the most fields; ``,`` when none splits the first line."""
    lines = [line for line in _head_lines(text, 50) if line.strip()]
    best, best_score = ",", -1
    for delim in _DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        if not counts or counts[0] < 2:
            continue
        score = sum(c == counts[0] for c in counts) * counts[0]
        if score > best_score:
            best, best_score = delim, score
    return best


def _head_lines(text: str, n: int) -> list[str]:
    """``text.splitlines()[:n]``, splitting only as much of the text as that needs."""
    size = 1 << 16
    while size < len(text):
        lines = text[:size].splitlines()
        if len(lines) > n:  # line n ended before the cut
            return lines[:n]
        size *= 4
    return text.splitlines()[:n]


def _first_line(text: str) -> str:
    """The first line that is not empty (lines end at ``\\n`` or ``\\r``)."""
    return re.match(r"[\r\n]*([^\r\n]*)", text).group(1)


def field_count_problems(text: str, delim: str, display: str) -> list[Problem]:
    """Rows whose number of fields differs from the header's (truncated or shifted rows), and
    column names that occur more than once."""
    lines = text.splitlines()
    if '"' in text:
        try:
            counts = [len(r) if any(c.strip() for c in r) else 0
                      for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim,
                                          strict=True)]
        except csv.Error as exc:
            return [Problem(display, "(file)", f"not readable as CSV ({exc}); the file may be "
                            "truncated", expected=f"CSV with {delim!r} between fields")]
    else:
        counts = [line.count(delim) + 1 if line.strip() else 0 for line in lines]
    counts = np.asarray(counts, dtype=np.int64)
    numbered = np.flatnonzero(counts) + 1  # row numbers of the lines that are not blank
    if not len(numbered):
        return []
    header = int(counts[numbered[0] - 1])
    problems = _name_problems(lines[numbered[0] - 1], delim, display)
    rows = numbered[1:][counts[numbered[1:] - 1] != header]
    bad = [(int(row), int(counts[row - 1])) for row in rows]
    last_row = int(numbered[-1])
    for row, n in bad[:20]:
        truncated = row == last_row and n < header and not text.endswith(("\n", "\r"))
        problems.append(Problem(
            display, f"row {row}", f"row has {n} fields, the header has {header}"
            + (" (the file looks truncated)" if truncated else ""),
            expected=f"{header} fields separated by {delim!r}"))
    if len(bad) > 20:
        problems.append(Problem(display, "(file)", f"{len(bad) - 20} more rows with the wrong "
                                "number of fields"))
    return problems


def _name_problems(header_line: str, delim: str, display: str) -> list[Problem]:
    """Column names (stripped) that occur more than once in the header line."""
    names = [c.strip() for c in next(csv.reader([header_line], delimiter=delim))]
    return [Problem(display, f"column {name}", "column name occurs more than once",
                    found=name, expected="unique column names")
            for name in sorted({n for n in names if names.count(n) > 1})]


def blank_rows(frame: pd.DataFrame) -> pd.Series:
    """Which rows hold nothing but blanks, as ``frame.apply(lambda col: col.str.strip() ==
    "").all(axis=1)`` says, looking at each column only in the rows still blank so far (the
    first column, an id, usually settles every row)."""
    blank = np.ones(len(frame), bool) if len(frame.columns) else np.zeros(len(frame), bool)
    for k in range(len(frame.columns)):
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        column = frame.iloc[rows, k]
        blank[rows] = (column.str.strip() == "").to_numpy(dtype=bool)
    return pd.Series(blank, index=frame.index)

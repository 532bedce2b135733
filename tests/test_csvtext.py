"""CSV text read by pyarrow where that gives what pandas' C parser gives, and by pandas elsewhere.

The references are the rules before the change: ``pd.read_csv(dtype=str, keep_default_na=False,
na_filter=False, engine="c")`` made ``string``, every line's fields counted, the delimiter sniffed
from ``text.splitlines()[:50]`` and blank rows found by stripping every cell.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.core.errors import Problem
from evaltools.data import csvtext


def _pandas(text: str, delim: str) -> pd.DataFrame:
    """The reading before the change (the reference)."""
    return pd.read_csv(io.StringIO(text), sep=delim, dtype=str, keep_default_na=False,
                       na_filter=False, engine="c", skip_blank_lines=True).astype("string")


CELL = st.text(alphabet="a1 é\t,;|x\x0b\x0c\x1c\x85\u2028-", max_size=5)
NAME = st.text(alphabet="abcé1 _.", min_size=1, max_size=4)
ENDING = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def csv_texts(draw) -> tuple[str, str]:
    """A header and rows, with blank and ragged lines and odd characters now and then."""
    delim = draw(st.sampled_from([";", ",", "\t", "|"]))
    names = draw(st.lists(NAME, min_size=1, max_size=5, unique=True))
    lines = [delim.join(names)]
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["row", "row", "row", "blank", "ragged"]))
        if kind == "blank":
            lines.append(draw(st.sampled_from(["", " ", "\t", "  \t"])))
        else:
            n = len(names) + (draw(st.sampled_from([-1, 1])) if kind == "ragged" else 0)
            lines.append(delim.join(draw(st.lists(CELL, min_size=max(n, 0), max_size=max(n, 0)))))
    ending = draw(ENDING)
    lead = draw(st.sampled_from(["", "", "\n", ending * 2]))
    return lead + ending.join(lines) + draw(st.sampled_from(["", ending])), delim


@settings(max_examples=300, deadline=None)
@given(case=csv_texts())
def test_pyarrow_reads_what_pandas_reads_whenever_it_reads(case) -> None:
    text, delim = case
    got = csvtext.read_plain_csv(text, delim)
    if got is None:
        return  # left to pandas
    pd.testing.assert_frame_equal(got, _pandas(text, delim))


def test_a_plain_export_is_read_by_pyarrow() -> None:
    text = "\n".join(["resp;site;brs_1"] + [f"{i};a;{i % 5 + 1}" for i in range(500)]) + "\n"
    got = csvtext.read_plain_csv(text, ";")
    assert got is not None and got.shape == (500, 3)
    pd.testing.assert_frame_equal(got, _pandas(text, ";"))


@pytest.mark.parametrize("text", [
    'resp;name\n1;"a;b"\n',                     # quotes
    "resp\n1\n \n2\n",                           # one column: pandas skips the blank line
    "resp;\n1;x\n",                              # an empty column name (pandas: Unnamed: 1)
    "resp;b\n1;2\n 3;4\n",                       # a line starting with a space
    "\ufeffresp;b\n1;2\n",                       # a byte-order mark left in the text
    "resp;b\n1;2\x00\n",                         # a NUL
    "resp;b\n1;2;3\n",                           # more fields than the header
    "resp;b\n1\n",                               # fewer
    "resp;b\n1;2\n  \n3;4\n",                    # a line of spaces
])
def test_texts_pyarrow_could_read_otherwise_are_left_to_pandas(text: str) -> None:
    assert csvtext.read_plain_csv(text, ";") is None


def test_leading_spaces_at_pandas_block_edges_are_left_to_pandas() -> None:
    """pandas' C parser drops the spaces of a line that crosses the edge of a block it reads
    in; such a file must be read by pandas, as before, not by pyarrow."""
    text = "\n".join(["a;b"] + [f" {i};x" for i in range(40000)]) + "\n"
    assert csvtext.read_plain_csv(text, ";") is None


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(st.sampled_from(["", " ", "\t", "a", " 1 ", "\u00a0"]),
                              min_size=3, max_size=3), max_size=12))
def test_blank_rows_are_those_of_every_cell_stripped(rows) -> None:
    frame = pd.DataFrame(rows, columns=["x", "y", "z"], dtype="str")
    want = frame.apply(lambda col: col.str.strip() == "").all(axis=1) if len(frame) else \
        pd.Series(True, index=frame.index, dtype=bool)
    got = csvtext.blank_rows(frame)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy(dtype=bool))
    assert got.index.equals(frame.index)


def _field_counts_before(text: str, delim: str, display: str) -> list[Problem]:
    """field_count_problems before the change (the reference)."""
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
    numbered = [(row, n) for row, n in enumerate(counts, start=1) if n]
    if not numbered:
        return []
    header = numbered[0][1]
    names = [c.strip() for c in next(csv.reader([lines[numbered[0][0] - 1]], delimiter=delim))]
    problems = [Problem(display, f"column {name}", "column name occurs more than once",
                        found=name, expected="unique column names")
                for name in sorted({n for n in names if names.count(n) > 1})]
    bad = [(row, n) for row, n in numbered[1:] if n != header]
    for row, n in bad[:20]:
        truncated = row == numbered[-1][0] and n < header and not text.endswith(("\n", "\r"))
        problems.append(Problem(
            display, f"row {row}", f"row has {n} fields, the header has {header}"
            + (" (the file looks truncated)" if truncated else ""),
            expected=f"{header} fields separated by {delim!r}"))
    if len(bad) > 20:
        problems.append(Problem(display, "(file)", f"{len(bad) - 20} more rows with the wrong "
                                "number of fields"))
    return problems


@st.composite
def any_csv_texts(draw) -> tuple[str, str]:
    """csv_texts, now and then with quotes, a repeated name or many ragged rows."""
    text, delim = draw(csv_texts())
    extra = draw(st.sampled_from(["", "", "quote", "twice", "ragged"]))
    if extra == "quote":
        text = text.replace("a", '"', 1)
    elif extra == "twice":
        first = text.lstrip("\r\n").split(delim, 1)[0].split("\n")[0].split("\r")[0]
        text = first + " " + delim + text
    elif extra == "ragged":
        text += "\n" + "\n".join(["1"] * 25)
    return text, delim


@settings(max_examples=300, deadline=None)
@given(case=any_csv_texts())
def test_read_csv_text_reads_and_refuses_as_before(case) -> None:
    """The same problems, and the same cells (or the same refusal), as counting the fields of
    every line and then reading with pandas."""
    text, delim = case
    want = _field_counts_before(text, delim, "f.csv")
    try:
        frame, problems = csvtext.read_csv_text(text, delim, "f.csv")
    except (pd.errors.EmptyDataError, pd.errors.ParserError):
        assert not any(p.severity == "error" for p in want)
        with pytest.raises((pd.errors.EmptyDataError, pd.errors.ParserError)):
            _pandas(text, delim)
        return
    assert problems == want
    if any(p.severity == "error" for p in want):
        assert frame is None
    else:
        pd.testing.assert_frame_equal(frame.astype("string"), _pandas(text, delim))


def test_more_than_twenty_bad_rows_are_summarised() -> None:
    text = "a;b\n" + "\n".join(["1"] * 25 + ["1;2"]) + "\n1"
    problems = csvtext.field_count_problems(text, ";", "f.csv")
    assert problems == _field_counts_before(text, ";", "f.csv")
    assert [p.location for p in problems[:2]] == ["row 2", "row 3"]
    assert problems[-1].message == "6 more rows with the wrong number of fields"  # 26 bad


def _sniff_before(text: str) -> str:
    """sniff_delimiter before the change: every line split, the first 50 kept."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_score = ",", -1
    for delim in (";", ",", "\t", "|"):
        counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        if not counts or counts[0] < 2:
            continue
        score = sum(c == counts[0] for c in counts) * counts[0]
        if score > best_score:
            best, best_score = delim, score
    return best


@pytest.mark.parametrize("width", [10, 1300, 1400, 5000, 70000])
@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_the_delimiter_is_sniffed_from_the_first_fifty_lines(width: int, ending: str) -> None:
    """Lines so long that the 50th ends after the first cut (64 KiB), with the 51st line
    changing the verdict if it were read."""
    rows = ["a;b;c"] + [";".join(["x" * (width // 3)] * 3) for _ in range(49)]
    text = ending.join(rows + [",".join(["1"] * 40)] * 60) + ending
    assert csvtext.sniff_delimiter(text) == _sniff_before(text) == ";"
    for cut in (65536, 65537, 70001, len(text) // 2):  # ending anywhere, unfinished lines
        assert csvtext.sniff_delimiter(text[:cut]) == _sniff_before(text[:cut])

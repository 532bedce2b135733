"""CSV text read by pyarrow where that gives what pandas' C parser gives, and pandas elsewhere.

The reference is the reading before the change: ``pd.read_csv(dtype=str, keep_default_na=False,
na_filter=False, engine="c")`` made ``string``, and blank rows found by stripping every cell.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.data import readers


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
    got = readers._read_plain(text, delim)
    if got is None:
        return  # left to pandas
    pd.testing.assert_frame_equal(got, _pandas(text, delim))


def test_a_plain_export_is_read_by_pyarrow() -> None:
    text = "\n".join(["resp;site;brs_1"] + [f"{i};a;{i % 5 + 1}" for i in range(500)]) + "\n"
    got = readers._read_plain(text, ";")
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
    assert readers._read_plain(text, ";") is None


def test_leading_spaces_at_pandas_block_edges_are_left_to_pandas() -> None:
    """pandas' C parser drops the spaces of a line that crosses the edge of a block it reads
    in; such a file must be read by pandas, as before, not by pyarrow."""
    text = "\n".join(["a;b"] + [f" {i};x" for i in range(40000)]) + "\n"
    assert readers._read_plain(text, ";") is None


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(st.sampled_from(["", " ", "\t", "a", " 1 ", "\u00a0"]),
                              min_size=3, max_size=3), max_size=12))
def test_blank_rows_are_those_of_every_cell_stripped(rows) -> None:
    frame = pd.DataFrame(rows, columns=["x", "y", "z"], dtype="str")
    want = frame.apply(lambda col: col.str.strip() == "").all(axis=1) if len(frame) else \
        pd.Series(True, index=frame.index, dtype=bool)
    got = readers._blank_rows(frame)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy(dtype=bool))
    assert got.index.equals(frame.index)

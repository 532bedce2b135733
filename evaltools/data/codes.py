"""Answer codes and answer texts as item values (``data.values`` in ``study.yml``).

Survey platforms rarely write the item values an instrument defines: LimeSurvey writes answer
codes (``A1`` ... ``A5``) or the full answer texts, Qualtrics numbers its choices from 1 where an
instrument may start at 0, or writes the choice texts. ``data.values`` says, per instrument or
item, how the files code its answers; :func:`map_item_values` turns those cells into the values
before validation checks them against the response scale:

``codes``
    A code or answer text -> the item value (compared without regard to case or surrounding
    spaces), e.g. ``{A1: 1, A2: 2, ..., A6: 9}``.
``labels: true``
    The instrument's own answer texts, Dutch or English (``helemaal mee eens``, ``strongly
    agree``), and the texts of its missing codes (``weet niet``).
``shift``
    Added to every number that is not a declared code: ``-1`` for choices coded 1..6 of a 0..5
    item.

A cell that is neither a declared code, nor an answer text (where ``labels`` is on), nor a number
is an error naming the file, the column, the rows and the value. Empty cells stay missing. The
caller's table is not changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.core.errors import Problem
from evaltools.data.readers import RawTable

__all__ = ["map_item_values", "answer_texts"]

_LISTED = 10


def answer_texts(study, item_id: str) -> dict[str, float]:
    """The instrument's answer texts of an item (Dutch and English, case-folded) -> value.

    A text that two values share (in either language) is left out: it cannot say which.

    Examples
    --------
    >>> from evaltools.instruments.library import get_instrument
    >>> class _S:  # a stand-in for a Study with one instrument
    ...     instruments = (get_instrument("brs"),)
    >>> answer_texts(_S(), "brs_1")["helemaal mee eens"], answer_texts(_S(), "brs_1")["neutral"]
    (5.0, 3.0)
    """
    for inst in study.instruments:
        if item_id in inst.item_ids:
            rs = inst.response_scales[inst.item(item_id).response_scale]
            found: dict[str, set[float]] = {}
            for value, text in [*rs.labels.items(), *rs.missing.items()]:
                for label in (text.nl, text.en):
                    if label:
                        found.setdefault(label.strip().casefold(), set()).add(float(value))
            return {text: next(iter(v)) for text, v in found.items() if len(v) == 1}
    raise KeyError(f"no instrument of the study has item {item_id!r}")


def map_item_values(table: RawTable, study, display: str, *, wave: str | None = None
                    ) -> tuple[RawTable, list[Problem]]:
    """Item columns with codes and answer texts turned into item values (``data.values``).

    Parameters
    ----------
    table : RawTable
        The wave file as read (a platform export already made plain).
    study : Study
    display : str
        The file's name in problems.
    wave : str, optional
        The file's wave, for the per-wave ``data.renames``.

    Returns
    -------
    table : RawTable
        A new table; columns of items without an entry in ``data.values`` are as they were,
        the others hold the values as text (``'3'``), missing cells as missing.
    problems : list of Problem
        An error per column and value that is not a declared code, an answer text or a number.
    """
    spec = study.data.values
    if not spec:
        return table, []
    renames = dict(study.data.item_columns)
    if wave is not None:
        renames.update(study.data.renames.get(wave, {}))
    decimal = study.data.csv_decimal
    rows = table.frame.index.to_numpy(dtype=np.int64) + table.first_row
    frame = table.frame.copy()
    problems: list[Problem] = []
    by_case = {key.casefold(): key for key in spec}  # item columns match in any case (A1 = a1)
    for column in table.frame.columns:
        item = by_case.get(str(renames.get(column, column)).casefold())
        if item is None:
            continue
        values = spec[item]
        texts = answer_texts(study, item) if values.labels else {}
        codes = {code.casefold(): value for code, value in values.codes.items()}
        mapped, bad = _compute_values(table.frame[column], codes, texts, values.shift, decimal)
        frame[column] = mapped
        problems += _bad_cells(display, column, item, table.frame[column], bad, rows, values,
                               texts)
    out = RawTable(frame, table.kind, table.first_row, table.value_labels, table.encoding,
                   table.delimiter)
    return out, problems


def _compute_values(series: pd.Series, codes: dict[str, float], texts: dict[str, float],
                    shift: int, decimal: str) -> tuple[pd.Series, np.ndarray]:
    """The mapped column as text, and a mask of cells that could not be mapped.

    Each distinct cell value is mapped once (a column holds a handful among many rows).
    """
    codes_of, distinct = pd.factorize(series.astype("string"), use_na_sentinel=True)
    results, failed = [], []
    for raw in distinct:
        value = _one_value(str(raw), codes, texts, shift, decimal)
        results.append(pd.NA if value is None or value is _EMPTY else _number_text(value))
        failed.append(value is None)
    present = codes_of >= 0
    out = np.full(len(series), pd.NA, dtype=object)
    bad = np.zeros(len(series), bool)
    if len(distinct):
        out[present] = np.asarray(results, dtype=object)[codes_of[present]]
        bad[present] = np.asarray(failed)[codes_of[present]]
    return pd.Series(out, index=series.index, dtype="string"), bad


_EMPTY = object()


def _one_value(raw: str, codes: dict[str, float], texts: dict[str, float], shift: int,
               decimal: str):
    """One cell's item value; ``_EMPTY`` for an empty cell, None for one that is not mapped."""
    text = raw.strip()
    if not text:
        return _EMPTY
    key = text.casefold()
    if key in codes:
        return codes[key]
    if key in texts:
        return texts[key]
    if decimal == ",":
        text = text.replace(",", ".", 1) if text.count(",") == 1 and "." not in text else text
    try:
        number = float(text)
    except ValueError:
        return None
    if not np.isfinite(number):
        return None
    return number + shift


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _bad_cells(display: str, column: str, item: str, raw: pd.Series, bad: np.ndarray,
               rows: np.ndarray, values, texts: dict) -> list[Problem]:
    if not bad.any():
        return []
    accepted = []
    if values.codes:
        accepted.append(f"a code of data.values.{values.entry or item} (" + ", ".join(
            list(values.codes)[:8]) + (", ..." if len(values.codes) > 8 else "") + ")")
    if texts:
        accepted.append("an answer text of the instrument")
    accepted.append("a number")
    cells = raw.astype("string").str.strip()
    problems = []
    for value in pd.unique(cells[bad])[:_LISTED]:
        hits = rows[bad & (cells == value).fillna(False).to_numpy()]
        where = f"row {hits[0]}, column {column}" + (
            f" (and {len(hits) - 1} more row{'s' if len(hits) > 2 else ''})"
            if len(hits) > 1 else "")
        problems.append(Problem(display, where, f"answer not among the declared codes of item "
                                f"{item}", found=value, expected=" or ".join(accepted)))
    more = len(pd.unique(cells[bad])) - _LISTED
    if more > 0:
        problems.append(Problem(display, f"column {column}", f"{more} more values not among "
                                "the declared codes"))
    return problems

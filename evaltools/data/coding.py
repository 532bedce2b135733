"""How a wave file codes things, brought back to the study's terms before validation.

* **SPSS user-missing values** (declared in the ``.sav`` file, e.g. 99 = "weigert") become
  missing, as the instrument's own missing codes do (:func:`blank_user_missing`).
* **Codes and labels for site, group and wave**: a file that stores the group as 1/2 (with
  SPSS value labels "Interventie"/"Controle") is mapped to the study's ids through
  ``data.recode`` in ``study.yml`` (by code or by label text), or through value labels that
  equal an id (:func:`map_codes`).
* **Item columns in any case**: ``A1`` matches item ``a1`` (:func:`match_item_case`).
* **Respondent ids mangled by Excel**: ids shown in scientific notation (``2,02501E+11``) no
  longer link a person across waves (:func:`scientific_ids`).

Each function is pure: it takes columns and returns new ones (never changing the file or the
frame it was given) together with what a problem table should say.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from evaltools.core.errors import Problem
from evaltools.data.pseudonym import normalise_id

__all__ = ["blank_user_missing", "map_codes", "match_item_case", "scientific_ids",
           "long_number_ids", "rename_keys", "code_key", "zero_padding_links",
           "mangled_id_problems", "user_missing_problems"]

_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+$")


def code_key(value) -> str:
    """A code as text, the way :func:`map_codes` compares codes: ``1``, ``1.0`` and ``"1"``
    are the same code.

    Examples
    --------
    >>> code_key(1), code_key(1.0), code_key(" 1 "), code_key("Interventie")
    ('1', '1', '1', 'Interventie')
    """
    return str(normalise_id(pd.Series([value], dtype=object)).iloc[0])


def rename_keys(mapping: Mapping[str, object], renames: Mapping[str, str]) -> dict:
    """``mapping`` (per column of a file) with its keys renamed as the columns were."""
    return {renames.get(column, column): value for column, value in mapping.items()}


def blank_user_missing(frame: pd.DataFrame, user_missing: Mapping[str, list],
                       keep: Mapping[str, Iterable[float]]) -> tuple[pd.DataFrame, dict]:
    """Cells holding a value the SPSS file declares user-missing, made missing.

    Parameters
    ----------
    frame : DataFrame
        The file's cells (not changed).
    user_missing : dict
        Column -> ranges ``[{"lo": 97, "hi": 99}, ...]`` (pyreadstat's ``missing_ranges``; a
        single code has ``lo == hi``; text columns have text codes).
    keep : dict
        Column -> codes to leave as they are: an item's declared missing codes (9 = "weet
        niet"), which scoring already treats as missing and counts as such.

    Returns
    -------
    frame : DataFrame
        A copy with those cells missing (the frame itself when there was nothing to do).
    counts : dict
        Column -> (number of cells blanked, the codes found), for the problem table.
    """
    counts: dict[str, tuple[int, list]] = {}
    out = frame
    for column, ranges in user_missing.items():
        if column not in frame.columns or not ranges:
            continue
        series = frame[column]
        mask = np.zeros(len(series), bool)
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(
            series)
        values = series.to_numpy(dtype=float, na_value=np.nan) if numeric else \
            series.astype("string").str.strip().to_numpy(dtype=object, na_value=None)
        for r in ranges:
            lo, hi = r["lo"], r["hi"]
            if numeric and isinstance(lo, int | float) and isinstance(hi, int | float):
                mask |= (values >= lo) & (values <= hi)
            elif not numeric:
                mask |= np.array([v is not None and v == str(lo).strip() for v in values],
                                 dtype=bool)
        if numeric:
            mask &= ~np.isin(values, [float(k) for k in keep.get(column, ())])
        if mask.any():
            if out is frame:
                out = frame.copy()
            found = sorted(pd.unique(values[mask]).tolist(), key=str)
            out[column] = series.mask(pd.Series(mask, index=series.index))
            counts[column] = (int(mask.sum()), found)
    return out, counts


def map_codes(series: pd.Series, recode: Mapping[str, str], labels: Mapping | None,
              known: Iterable[str]) -> tuple[pd.Series, dict[str, str]]:
    """Site, group or wave codes as the study's ids.

    A value becomes, in this order: what ``data.recode`` gives for its code; what it gives for
    the code's SPSS value label; the value itself if it is a known id; the value label if that
    equals a known id (ignoring case). Anything else stays as it is (and validation reports it
    as unknown).

    Parameters
    ----------
    series : Series
        The column as read.
    recode : dict
        ``data.recode.<role>`` as loaded: code or label text (as :func:`code_key`) -> id.
    labels : dict, optional
        The column's SPSS value labels (code -> label).
    known : iterable of str
        The study's ids for this role.

    Returns
    -------
    values : Series of string
        The ids (missing stays missing).
    via_labels : dict
        Code -> id for codes mapped through their value labels (for a warning: the file's
        labels decided, not ``study.yml``).

    Examples
    --------
    >>> ids, via = map_codes(pd.Series([1.0, 2.0, 1.0]), {}, {1.0: "Intervention",
    ...                      2.0: "Control"}, ["intervention", "control"])
    >>> ids.tolist(), via
    (['intervention', 'control', 'intervention'], {'1': 'intervention', '2': 'control'})
    """
    values = normalise_id(series)
    known = list(known)
    folded = {k.casefold(): k for k in known}
    label_of = {code_key(code): str(text).strip() for code, text in (labels or {}).items()}
    mapping: dict[str, str] = {}
    via_labels: dict[str, str] = {}
    for code in pd.unique(values.dropna()):
        label = label_of.get(code)
        if code in recode:
            mapping[code] = recode[code]
        elif label is not None and label in recode:
            mapping[code] = recode[label]
        elif code in known:
            continue
        elif label is not None and label.casefold() in folded:
            mapping[code] = via_labels[code] = folded[label.casefold()]
    if not mapping:
        return values, via_labels
    return values.replace(mapping).astype("string"), via_labels


def match_item_case(columns: Iterable[str], item_ids: Iterable[str]
                    ) -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    """Columns that name an item in another case (``A1`` for ``a1``), and clashes.

    Returns
    -------
    renames : dict
        Column -> item id, for items with exactly one column that matches ignoring case and
        none that matches exactly.
    clashes : list of (item id, columns)
        Items that more than one column names, ignoring case (``A1`` and ``a1``).

    Examples
    --------
    >>> match_item_case(["RESP", "A1", "a2", "A2", "b1"], ["a1", "a2", "b1"])
    ({'A1': 'a1'}, [('a2', ['a2', 'A2'])])
    """
    folded: dict[str, list[str]] = {}
    for column in columns:
        if isinstance(column, str):
            folded.setdefault(column.casefold(), []).append(column)
    renames, clashes = {}, []
    for item in item_ids:
        hits = folded.get(item.casefold(), [])
        if len(hits) > 1:
            clashes.append((item, hits))
        elif hits and hits[0] != item:
            renames[hits[0]] = item
    return renames, clashes


def scientific_ids(ids: pd.Series) -> np.ndarray:
    """Which ids are numbers in scientific notation (``2,02501E+11``, ``2.02501e11``): Excel
    shows long numeric ids this way, and a file saved from that view has lost their digits.

    Examples
    --------
    >>> scientific_ids(pd.Series(["2,02501E+11", "202501234567", "A1E5", None])).tolist()
    [True, False, False, False]
    """
    text = ids.astype("string").str.strip()
    return text.str.fullmatch(_SCIENTIFIC.pattern).fillna(False).to_numpy(dtype=bool)


def long_number_ids(ids: pd.Series) -> np.ndarray:
    """Which ids are stored as numbers of more than 15 digits (an Excel or SPSS number column):
    a spreadsheet keeps 15 significant digits, so their last digits are already lost.

    Examples
    --------
    >>> long_number_ids(pd.Series([2.0250112345678901e16, 123456.0, np.nan])).tolist()
    [True, False, False]
    """
    if not pd.api.types.is_numeric_dtype(ids) or pd.api.types.is_bool_dtype(ids):
        return np.zeros(len(ids), bool)
    values = ids.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        return np.abs(values) >= 1e15


def zero_padding_links(ids: pd.Series, waves: pd.Series, pseudonyms: pd.Series,
                       linked: Mapping[str, set], pseudonym: Callable[[pd.Series], pd.Series],
                       sample: int = 200) -> int:
    """How many ids link to another wave only after adding or removing leading zeros.

    Excel reads ``001234`` as the number 1234; a wave saved that way no longer links its
    respondents to the waves that kept the zeros (or the other way round).

    Parameters
    ----------
    ids : Series of string
        A file's normalised respondent ids.
    waves : Series of string
        The wave of each row.
    pseudonyms : Series of string
        The pseudonym of each id (as stored).
    linked : dict
        Wave -> pseudonyms already stored for that wave (from other files).
    pseudonym : callable
        Ids -> their pseudonyms (the study's key).
    sample : int
        Unlinked ids tried first; when none of them links with other zeros, the rest are not
        tried (mangling hits a whole file, and each try costs a keyed hash).

    Returns
    -------
    int
        Ids that link to no other wave as given, but would with up to three leading zeros
        added, or with their leading zeros removed.

    Examples
    --------
    >>> stored = {"t0": {"0012", "0345", "77"}}
    >>> ids = pd.Series(["12", "345", "077", "99"])
    >>> zero_padding_links(ids, pd.Series(["t1"] * 4), ids, stored, lambda s: s)
    3
    """
    # plain Python sets and lists: pandas' isin on Arrow strings rebuilds the set every call
    ids_, waves_, pseudonyms_ = (s.to_numpy(dtype=object, na_value=None)
                                 for s in (ids, waves, pseudonyms))
    given = np.array([x is not None for x in ids_]) & np.array([x is not None for x in waves_]) \
        & np.array([x is not None for x in pseudonyms_])
    count = 0
    for wave in dict.fromkeys(waves_[given].tolist()):  # in order of appearance
        others = [p for w, p in linked.items() if w != wave and p]  # not one union: a copy
        if not others:
            continue
        rows = given & (waves_ == wave)
        alone = set(pseudonyms_[rows].tolist())
        for stored in others:
            alone = {p for p in alone if p not in stored}
        if not alone:  # every id links as given
            continue
        unlinked = list(dict.fromkeys(
            i for i, p in zip(ids_[rows].tolist(), pseudonyms_[rows].tolist(), strict=True)
            if p in alone and i.isdigit()))
        first = _padding_hits(unlinked[:sample], others, pseudonym)
        count += first
        if first and len(unlinked) > sample:
            count += _padding_hits(unlinked[sample:], others, pseudonym)
    return count


def _padding_hits(ids: list[str], others: list[set], pseudonym) -> int:
    """How many of ``ids`` link to one of the sets ``others`` with leading zeros added or
    removed."""
    if not ids:
        return 0
    variants, owner = [], []
    for k, i in enumerate(ids):
        tries = ["0" + i, "00" + i, "000" + i]
        if i.startswith("0") and i.strip("0"):
            tries.append(i.lstrip("0"))
        variants += tries
        owner += [k] * len(tries)
    hashed = pseudonym(pd.Series(variants, dtype="string")).tolist()
    return len({k for k, h in zip(owner, hashed, strict=True)
                if any(h in stored for stored in others)})


def mangled_id_problems(file: str, ids: pd.Series, missing_id: np.ndarray, column: str
                        ) -> list[Problem]:
    """The problem with a file's ids in scientific notation or of more than 15 digits: a
    warning with their count, or an error (no usable id) when every id is one. Counts only:
    no id is quoted."""
    mangled = (scientific_ids(ids) | long_number_ids(ids)) & ~missing_id
    if not mangled.any():
        return []
    n, usable = int(mangled.sum()), int((~missing_id).sum())
    what = ("numbers in scientific notation (as Excel shows long numbers) or stored as numbers "
            "of more than 15 digits")
    how = ("format the id column as text in Excel (or export it from the survey tool "
           "again) so that every digit is kept")
    if n == usable:
        return [Problem(file, f"column {column}", f"no usable respondent id: every id is one of "
                        f"the {what}; their last digits are lost, so no one can be linked across "
                        "waves; the file is refused", found=f"{n} ids", expected=how)]
    return [Problem(file, f"column {column}", f"{n} of {usable} respondent ids are {what}; their "
                    "last digits are lost, so these respondents no longer link to their answers "
                    "in other waves", found=f"{n} ids", expected=how, severity="warning")]


def user_missing_problems(file: str, blanked: Mapping[str, tuple[int, list]],
                          id_column: str, listed: int = 10) -> list[Problem]:
    """One warning naming the columns (and codes) :func:`blank_user_missing` made missing;
    the respondent id column's codes are not quoted."""
    if not blanked:
        return []

    def codes(values: list) -> str:
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values[:5])

    return [Problem(file, "(file)", "values the SPSS file declares user-missing read as missing "
                    "answers", found="; ".join(
                        f"{column}: {n} cell{'s' if n > 1 else ''}"
                        + ("" if column == id_column else f" ({codes(found)})")
                        for column, (n, found) in list(blanked.items())[:listed]),
                    severity="warning")]

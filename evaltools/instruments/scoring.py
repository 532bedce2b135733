"""Scoring item answers into scale scores, and flagging contradictory answering.

All functions take a data frame with one row per questionnaire and one column per item (named by
item id), never change it, and work on whole columns at once.

Scoring rules, in order (see ``surveys/README.md`` for the instrument format):

1. missing codes of the item's response scale (e.g. 9 = "weet niet") become missing;
2. any other value outside the response scale (a numeric scale: outside its range, or with
   more decimals than it allows) is an error (:class:`ScoringError`, with rows);
3. reverse-keyed items are mirrored within their response range (``low + high - x``);
   recoded items get their scored value (e.g. the De Jong Gierveld dichotomies);
4. a scale's raw score is the mean of the answered items, or their sum (prorated: the mean of
   the answered items times the number of items; or not prorated: the sum of the answered
   items), and is missing when fewer than ``min_valid`` items were answered;
5. the score is the raw score converted to another metric where the scale defines one (a table
   or ``raw * multiply + add``), otherwise the raw score;
6. the category is the cut-off category the raw or converted score falls in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaltools.core.errors import Problem, ProblemsError
from evaltools.instruments.answers import check_answers, expected_answers, score_item
from evaltools.instruments.model import Instrument, Scale, as_instruments

__all__ = ["score_scales", "score_table", "scored_items", "flag_inconsistent", "ScoringError",
           "SCORE_COLUMNS", "INCONSISTENCY_COLUMNS"]

#: Columns of :func:`score_scales` after the key columns.
SCORE_COLUMNS = ["instrument", "scale", "n_items", "n_valid", "raw_score", "score", "category"]
#: Columns of :func:`flag_inconsistent` after the key columns.
INCONSISTENCY_COLUMNS = ["instrument", "scale", "n_positive", "n_reversed", "mean_positive",
                         "mean_reversed", "difference", "straight_lining", "inconsistent"]
_DEFAULT_KEYS = ("respondent_id", "site", "group", "wave")
_MAX_LISTED = 20


class ScoringError(ProblemsError):
    """Answers that cannot be scored: missing item columns, text, or values off the scale."""


def _keys(data: pd.DataFrame, keys: Sequence[str] | None) -> list[str]:
    if keys is None:
        return [k for k in _DEFAULT_KEYS if k in data.columns]
    missing = [k for k in keys if k not in data.columns]
    if missing:
        raise KeyError(f"key columns not in the data: {missing}; columns: {list(data.columns)}")
    return list(keys)


def _item_matrix(data: pd.DataFrame, inst: Instrument, problems: list[Problem]) -> np.ndarray:
    """Scored item values (rows x items), missing codes as NaN; collects value problems."""
    absent = [i for i in inst.item_ids if i not in data.columns]
    if absent:
        problems.append(Problem("data", ", ".join(absent), f"item columns of instrument "
                                f"{inst.id!r} are missing", expected="a column per item"))
        return np.empty((len(data), 0))
    out = np.empty((len(data), len(inst.items)), dtype=float)
    for j, item in enumerate(inst.items):
        column = data[item.id]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            numeric = pd.to_numeric(column, errors="coerce")
            bad = column.notna() & numeric.isna()
            _report(problems, data.index[bad.to_numpy()], item.id, column[bad], "not a number",
                    inst, item.response_scale)
            values = numeric.to_numpy(dtype=float)
        else:
            values = column.to_numpy(dtype=float, na_value=np.nan)
        rs = inst.response_scales[item.response_scale]
        check = check_answers(rs, values)
        for bad, rule in ((check.off_scale, "value outside the response scale"),
                          (check.too_precise, "more decimals than the response scale allows")):
            if bad.any():
                _report(problems, data.index[bad], item.id, column[bad], rule, inst,
                        item.response_scale)
        out[:, j] = score_item(inst, item, values)
    return out


def _report(problems, rows, column, values, rule, inst, rs_id) -> None:
    expected = expected_answers(inst.response_scales[rs_id])
    for row, value in list(zip(rows, values, strict=True))[:_MAX_LISTED]:
        problems.append(Problem("data", f"row {row}, column {column}", rule, found=value,
                                expected=expected))
    if len(rows) > _MAX_LISTED:
        problems.append(Problem("data", f"column {column}", f"{len(rows) - _MAX_LISTED} more "
                                f"rows with the same problem", expected=expected))


def scored_items(data: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Item answers as scored: missing codes to NaN, reverse keying and recodes applied.

    Parameters
    ----------
    data : DataFrame
        One row per questionnaire, a column per item.
    instrument : Instrument

    Returns
    -------
    DataFrame
        Same index as ``data``, one float column per item of the instrument.

    Raises
    ------
    ScoringError
        Listing item columns that are absent and values that are not on the response scale.
    """
    problems: list[Problem] = []
    matrix = _item_matrix(data, instrument, problems)
    if problems:
        raise ScoringError(f"scoring instrument {instrument.id}", problems)
    return pd.DataFrame(matrix, index=data.index, columns=list(instrument.item_ids))


def _compute_scale(matrix: np.ndarray, positions: list[int], scale: Scale):
    block = matrix[:, positions]
    answered = ~np.isnan(block)
    n_valid = answered.sum(axis=1)
    total = np.where(answered, block, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n_valid
    if scale.method == "mean":
        raw = mean
    elif scale.prorate:
        raw = mean * len(positions)
    else:
        raw = total
    raw = np.where(n_valid >= scale.min_valid, raw, np.nan)
    score = raw
    conv = scale.conversion
    if conv is not None and conv.table is not None:
        keys = np.array(sorted(conv.table))
        vals = np.array([conv.table[k] for k in keys])
        ok = ~np.isnan(raw)
        score = np.full(raw.shape, np.nan)
        score[ok] = vals[np.searchsorted(keys, np.round(raw[ok], 9))]
    elif conv is not None:
        score = raw * conv.multiply + conv.add
    category = None
    if scale.cutoffs is not None:
        basis = raw if scale.cutoffs.on == "raw" else score
        lowers = np.array([c.lower for c in scale.cutoffs.categories])
        ids = np.array([c.id for c in scale.cutoffs.categories], dtype=object)
        ok = ~np.isnan(basis)
        category = np.full(basis.shape, None, dtype=object)
        index = np.searchsorted(lowers, basis[ok] + 1e-9, side="right") - 1
        category[ok] = ids[np.clip(index, 0, len(ids) - 1)]
    return n_valid, raw, score, category


def _matrices(data, instruments, problems: list[Problem]):
    """(instrument, scored item matrix, item -> column) for each instrument that can be read."""
    for inst in as_instruments(instruments):
        matrix = _item_matrix(data, inst, problems)
        if matrix.shape[1]:
            yield inst, matrix, {item: j for j, item in enumerate(inst.item_ids)}


def _score(data, instruments, keys):
    problems: list[Problem] = []
    results = []
    for inst, matrix, position in _matrices(data, instruments, problems):
        for scale in inst.scales:
            n_valid, raw, score, category = _compute_scale(
                matrix, [position[i] for i in scale.items], scale)
            results.append((inst, scale, n_valid, raw, score, category))
    if problems:
        raise ScoringError("scoring", problems)
    return results


def score_scales(data: pd.DataFrame, instruments, *, keys: Sequence[str] | None = None
                 ) -> pd.DataFrame:
    """Scale scores in long form: one row per questionnaire and scale.

    Parameters
    ----------
    data : DataFrame
        One row per questionnaire, one column per item (named by item id); not modified.
    instruments : Instrument, list of Instrument, or Study
        The instruments to score (every scale of each).
    keys : list of str, optional
        Columns identifying a questionnaire, carried into the result. Default: those of
        ``respondent_id, site, group, wave`` present in ``data``.

    Returns
    -------
    DataFrame
        The key columns, then ``instrument, scale, n_items, n_valid, raw_score, score,
        category``: items in the scale, items answered, the raw score (NaN below
        ``min_valid``), the score (converted where the scale defines a conversion, else the
        raw score) and the cut-off category id (missing where the scale has no cut-offs).

    Raises
    ------
    ScoringError
        Listing absent item columns, non-numeric answers and values off the response scale,
        with their rows.

    Notes
    -----
    Missing data: missing codes and blanks are not answers; a scale is scored from the answered
    items when at least ``min_valid`` of them were answered (the instrument's proration rule).

    Examples
    --------
    >>> from evaltools.instruments import get_instrument
    >>> answers = pd.DataFrame({"respondent_id": ["a", "b"], "brs_1": [5, 4], "brs_2": [1, 9],
    ...                         "brs_3": [5, 4], "brs_4": [1, 2], "brs_5": [5, 4],
    ...                         "brs_6": [1, 2]})
    >>> score_scales(answers, get_instrument("brs"))[["respondent_id", "score", "category"]]
      respondent_id  score category
    0             a    5.0     high
    1             b    4.0   normal
    """
    key_cols = _keys(data, keys)
    results = _score(data, instruments, keys)
    base = data[key_cols].reset_index(drop=True)
    frames = []
    for inst, scale, n_valid, raw, score, category in results:
        frame = base.copy()
        frame["instrument"] = inst.id
        frame["scale"] = scale.id
        frame["n_items"] = len(scale.items)
        frame["n_valid"] = n_valid
        frame["raw_score"] = raw
        frame["score"] = score
        frame["category"] = pd.Series(category, dtype="string") if category is not None \
            else pd.Series(pd.NA, index=frame.index, dtype="string")
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=key_cols + SCORE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[key_cols + SCORE_COLUMNS]


def score_table(data: pd.DataFrame, instruments, *, keys: Sequence[str] | None = None
                ) -> pd.DataFrame:
    """Scale scores in wide form: the key columns, then one column per scale (its score).

    Same rules and errors as :func:`score_scales`; handy for modelling and plotting.
    """
    key_cols = _keys(data, keys)
    results = _score(data, instruments, keys)
    columns = {scale.id: score for _, scale, _, _, score, _ in results}
    return pd.concat([data[key_cols].reset_index(drop=True),
                      pd.DataFrame(columns, index=range(len(data)))], axis=1)


def flag_inconsistent(data: pd.DataFrame, instruments, *, keys: Sequence[str] | None = None,
                      threshold: float = 0.5) -> pd.DataFrame:
    """Flag answers to reversed and non-reversed items that contradict each other.

    For every scale with both reverse-keyed and normally keyed items, compares each
    respondent's mean scored answer on the two sets. Both sets measure the same thing, so a
    large difference (someone who agrees with "I bounce back quickly" and with "I take a long
    time to get over setbacks") suggests inattentive or acquiescent answering; so does giving the
    same answer to every item (straight-lining), which on such a scale is itself a contradiction
    unless it is the midpoint.

    Parameters
    ----------
    data : DataFrame
        One row per questionnaire, one column per item; not modified.
    instruments : Instrument, list of Instrument, or Study
    keys : list of str, optional
        Key columns to carry (see :func:`score_scales`).
    threshold : float
        Share of the response range; a difference at least this large is inconsistent.
        Default 0.5 (2 points on a 1-5 scale).

    Returns
    -------
    DataFrame
        The key columns, then ``instrument, scale, n_positive, n_reversed, mean_positive,
        mean_reversed, difference, straight_lining, inconsistent``; the means are on the scored
        scale; ``inconsistent`` is missing where one of the two sets has no answer.

    Notes
    -----
    The Dutch BRS validation found that respondents answer its reversed items inconsistently,
    which is why evaltools reports this check beside reliability.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold={threshold!r}: expected a share of the range in (0, 1]")
    key_cols = _keys(data, keys)
    base = data[key_cols].reset_index(drop=True)
    frames, problems = [], []
    for inst, matrix, position in _matrices(data, instruments, problems):
        for scale in inst.scales:
            items = [inst.item(i) for i in scale.items if inst.item(i).recode is None]
            rev = [position[i.id] for i in items if i.reverse]
            pos = [position[i.id] for i in items if not i.reverse]
            if not rev or not pos:
                continue
            span = max(inst.response_scales[i.response_scale].high
                       - inst.response_scales[i.response_scale].low for i in items)
            m_pos = _nanmean(matrix[:, pos])
            m_rev = _nanmean(matrix[:, rev])
            diff = m_pos - m_rev
            raw = matrix[:, pos + rev].copy()  # answers as given: undo the reverse keying
            for k, j in enumerate(rev, start=len(pos)):
                rs = inst.response_scales[inst.items[j].response_scale]
                raw[:, k] = rs.low + rs.high - raw[:, k]
            complete = ~np.isnan(raw).any(axis=1)
            straight = complete & (np.nanmax(raw, axis=1, initial=-np.inf)
                                   == np.nanmin(raw, axis=1, initial=np.inf))
            frame = base.copy()
            frame["instrument"] = inst.id
            frame["scale"] = scale.id
            frame["n_positive"] = (~np.isnan(matrix[:, pos])).sum(axis=1)
            frame["n_reversed"] = (~np.isnan(matrix[:, rev])).sum(axis=1)
            frame["mean_positive"] = m_pos
            frame["mean_reversed"] = m_rev
            frame["difference"] = diff
            frame["straight_lining"] = straight
            flag = pd.array(np.abs(diff) >= threshold * span - 1e-12, dtype="boolean")
            flag[np.isnan(diff)] = pd.NA
            frame["inconsistent"] = flag
            frames.append(frame)
    if problems:
        raise ScoringError("consistency check", problems)
    if not frames:
        return pd.DataFrame(columns=key_cols + INCONSISTENCY_COLUMNS)
    return pd.concat(frames, ignore_index=True)[key_cols + INCONSISTENCY_COLUMNS]


def _nanmean(block: np.ndarray) -> np.ndarray:
    answered = ~np.isnan(block)
    n = answered.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(answered, block, 0.0).sum(axis=1) / np.where(n > 0, n, np.nan)

"""Which delivered values are answers to an item, and what each scores.

One place for the rules that ingest (:mod:`evaltools.data.validation`) and scoring
(:mod:`evaltools.instruments.scoring`) both apply, for both kinds of response scale:

* a *categorical* scale (``values`` with labels, e.g. 1-5 agree): an answer is one of the values;
* a *numeric* scale (``type: numeric``, ``min``, ``max``, ``decimals``; weight, BMI, a total
  score delivered as a number) or a *count* (``type: count``; days absent): an answer is any
  number from ``min`` to ``max`` with at most ``decimals`` decimals (a count: none).

On both, the scale's missing codes (e.g. 9 = "weet niet", -9 = "niet ingevuld") are not answers
and not errors. :func:`shifted_by_one` spots a whole column coded one too high (1-6 for a 0-5
item), which would otherwise make every score silently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaltools.instruments.model import Instrument, Item, ResponseScale

__all__ = ["AnswerCheck", "check_answers", "expected_answers", "score_item", "shifted_by_one",
           "label_offset"]

_TOLERANCE = 1e-6  # for float noise in decimals such as 72.3 read from Excel


@dataclass(frozen=True)
class AnswerCheck:
    """Masks over a column of values (floats, NaN for blank cells).

    ``answer``: a substantive answer; ``missing_code``: one of the scale's missing codes;
    ``off_scale``: outside the values or the range; ``too_precise``: in the range, but with
    more decimals than the scale allows (never set for a categorical scale).
    """

    answer: np.ndarray
    missing_code: np.ndarray
    off_scale: np.ndarray
    too_precise: np.ndarray


def check_answers(rs: ResponseScale, values: np.ndarray) -> AnswerCheck:
    """Classify every value of a column against a response scale.

    Examples
    --------
    >>> from evaltools.instruments.model import ResponseScale
    >>> kg = ResponseScale("kg", (), {}, {-9: None}, kind="numeric", minimum=0, maximum=200,
    ...                    decimals=1)
    >>> c = check_answers(kg, np.array([72.5, 250.0, -9.0, 70.25, np.nan]))
    >>> c.answer.tolist(), c.off_scale.tolist(), c.too_precise.tolist()
    ([True, False, False, False, False], [False, True, False, False, False], \
[False, False, False, True, False])
    """
    values = np.asarray(values, dtype=float)
    present = ~np.isnan(values)
    missing_code = present & np.isin(values, list(rs.missing))
    if rs.is_numeric:
        in_range = present & (values >= rs.minimum - _TOLERANCE) & (
            values <= rs.maximum + _TOLERANCE)
        scaled = np.where(in_range, values, 0.0) * 10.0 ** rs.decimals
        precise = np.abs(scaled - np.round(scaled)) <= _TOLERANCE * np.maximum(1, np.abs(scaled))
        answer = in_range & precise & ~missing_code
        too_precise = in_range & ~precise & ~missing_code
    else:
        answer = present & np.isin(values, np.asarray(rs.values, dtype=float))
        too_precise = np.zeros(values.shape, bool)
    off_scale = present & ~answer & ~missing_code & ~too_precise
    return AnswerCheck(answer, missing_code, off_scale, too_precise)


def expected_answers(rs: ResponseScale) -> str:
    """What a cell of an item on ``rs`` may hold, for problem messages.

    Examples
    --------
    >>> from evaltools.instruments.model import ResponseScale
    >>> expected_answers(ResponseScale("days", (), {}, {}, kind="count", minimum=0,
    ...                                maximum=365))
    'a whole number from 0 to 365'
    """
    if rs.is_numeric:
        if rs.kind == "count" or rs.decimals == 0:
            text = f"a whole number from {rs.minimum:g} to {rs.maximum:g}"
        else:
            text = (f"a number from {rs.minimum:g} to {rs.maximum:g} with at most "
                    f"{rs.decimals} decimal" + ("s" if rs.decimals > 1 else ""))
    else:
        text = f"one of {list(rs.values)}"
    return text + (f" or missing code {list(rs.missing)}" if rs.missing else "")


def score_item(inst: Instrument, item: Item, values: np.ndarray) -> np.ndarray:
    """Scored values of one item's column: NaN for blanks, missing codes and non-answers;
    reverse keying (``low + high - x``) and recodes applied."""
    rs = inst.response_scales[item.response_scale]
    values = np.asarray(values, dtype=float)
    check = check_answers(rs, values)
    result = np.full(values.shape, np.nan)
    if rs.is_numeric:
        answered = values[check.answer]
        result[check.answer] = rs.low + rs.high - answered if item.reverse else answered
        return result
    answers, scored = inst.scored_values(item.id)
    if check.answer.any():
        result[check.answer] = scored[np.searchsorted(answers, values[check.answer])]
    return result


def shifted_by_one(rs: ResponseScale, values: np.ndarray, *, min_answers: int = 10,
                   min_top: int = 2, min_top_share: float = 0.02) -> bool:
    """Whether a column looks coded one too high: every answer (missing codes aside) lies in
    ``low + 1 .. high + 1`` and ``high + 1`` occurs (e.g. 1-6 for a 0-5 item).

    Only for categorical scales with consecutive whole-number values, where an export that
    numbers answers from 1 (or a coding slip) shifts every answer by one. A single stray
    ``high + 1`` is a typing error, not a shift, and a handful of answers may simply not use
    the lowest one: the column needs ``min_answers`` answers, and ``high + 1`` at least
    ``min_top`` times and in ``min_top_share`` of them.

    Examples
    --------
    >>> from evaltools.instruments.model import ResponseScale
    >>> freq6 = ResponseScale("freq6", (0, 1, 2, 3, 4, 5), {}, {9: None})
    >>> shifted = np.array([1, 6, 3, 9, np.nan, 2, 4, 6, 5, 3, 6, 2])
    >>> shifted_by_one(freq6, shifted), shifted_by_one(freq6, np.append(shifted, 0))
    (True, False)
    >>> shifted_by_one(freq6, np.array([1, 6, 3]))  # too few answers to tell from a typo
    False
    """
    if rs.is_numeric or list(rs.values) != list(range(rs.low, rs.high + 1)):
        return False
    values = np.asarray(values, dtype=float)
    given = values[~np.isnan(values) & ~np.isin(values, list(rs.missing))]
    top = int((given == rs.high + 1).sum())
    if len(given) < min_answers or top < max(min_top, min_top_share * len(given)):
        return False
    return bool(np.isin(given, np.arange(rs.low + 1, rs.high + 2)).all())


def label_offset(rs: ResponseScale, labels: dict) -> int | None:
    """How far a file's value labels put the answers from the instrument's codes.

    Compares the labels a file declares for an item's codes (SPSS value labels) with the
    response scale's Dutch and English labels, ignoring case: when at least two labels match
    and every match is shifted by the same non-zero amount (``1 = "nooit"`` in the file,
    ``0 = "nooit"`` in the instrument), that amount; otherwise None. Unlike
    :func:`shifted_by_one`, this finds a shift even when nobody gave the top answer.

    Examples
    --------
    >>> from evaltools.core.text import LocalText
    >>> rs = ResponseScale("f", (0, 1, 2), {0: LocalText("nooit", "never"),
    ...                    1: LocalText("soms", "sometimes"), 2: LocalText("vaak", "often")}, {})
    >>> label_offset(rs, {1.0: "Nooit", 2.0: "soms", 3.0: "vaak", 9.0: "weet niet"})
    1
    >>> label_offset(rs, {0.0: "never", 1.0: "sometimes"}) is None
    True
    """
    if rs.is_numeric or not labels:
        return None
    code_of = {}
    for code, text in rs.labels.items():
        for variant in (text.nl, text.en):
            code_of.setdefault(str(variant).strip().casefold(), code)
    offsets = set()
    matches = 0
    for file_code, text in labels.items():
        code = code_of.get(str(text).strip().casefold())
        try:
            value = float(file_code)
        except (TypeError, ValueError):
            return None
        if code is None:
            continue
        matches += 1
        offsets.add(value - code)
    if matches < 2 or len(offsets) != 1:
        return None
    offset = offsets.pop()
    return int(offset) if offset and float(offset).is_integer() else None

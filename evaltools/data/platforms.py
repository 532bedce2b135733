"""Survey platform exports read as delivered: Qualtrics and LimeSurvey.

A file rule in ``study.yml`` with ``format: qualtrics`` or ``format: limesurvey`` makes
:func:`read_platform` turn the export, as :func:`~evaltools.data.readers.read_table` read it, into
the plain wave table that :func:`~evaltools.data.validation.validate_table` checks: the extra
header rows go, rows that are not a respondent's submitted answers are left out (each with its
reason, counted in the file's problem table), the platform's own metadata columns are dropped
unless ``study.yml`` maps them, and date-times are written the one way validation reads. The raw
file is never changed and no cleaned copy is written.

Qualtrics ("Export data", CSV, numeric values or choice text)
    Row 1 holds the column names (``StartDate``, ..., ``ResponseId``, ``ExternalReference``,
    ..., the question ids such as ``Q1_1``), row 2 the question texts and row 3 a JSON
    ``{"ImportId": ...}`` per column; the answers start on row 4. Left out: responses whose
    ``Status`` (Qualtrics' "Response Type") is a survey preview, a survey test or spam, and
    responses with ``Finished`` false (unfinished). Date-times (``StartDate``, ``EndDate``,
    ``RecordedDate``) are read as ISO (``2024-09-15 14:32:10``) or as the older
    month/day/year form. Dropped, whatever ``study.yml`` says: ``IPAddress``,
    ``RecipientLastName``, ``RecipientFirstName``, ``LocationLatitude``,
    ``LocationLongitude`` (``RecipientEmail`` too, unless it is the respondent id, which is
    pseudonymised). Source: Qualtrics support, "Understanding your dataset".

LimeSurvey ("Export responses", CSV, answer codes or full answers)
    Row 1 holds the column names (``id``, ``submitdate``, ``lastpage``, ``startlanguage``,
    ``seed``, ``token``, ``startdate``, ``datestamp``, optionally ``ipaddr`` and ``refurl``,
    then the question codes, ``G01Q01[SQ001]`` for an array's subquestion); answers start on
    row 2. Left out: responses without a ``submitdate`` (not submitted). Dropped: ``ipaddr``,
    ``refurl``, the participant's ``firstname``, ``lastname`` and ``email`` (exported with
    participant information) and the timing columns (``interviewtime``, ``groupTime...``,
    ``...Time``).
    Source: LimeSurvey manual, "Export responses".

Answer codes (``A1``) and answer texts become item values through ``data.values``
(:mod:`evaltools.data.codes`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from evaltools.core.errors import Problem
from evaltools.data.readers import RawTable
from evaltools.study.model import FILE_FORMATS

__all__ = ["read_platform", "file_format", "LEFT_OUT_COLUMNS", "QUALTRICS_STATUS"]

#: Columns of the table of rows left out (:func:`read_platform`).
LEFT_OUT_COLUMNS = ["file", "row", "reason"]

#: Qualtrics ``Status`` (Response Type) as numeric value and as choice text, and whether the
#: response is a respondent's (kept) or not (left out, with the reason).
QUALTRICS_STATUS: dict[str, str | None] = {
    "0": None, "ip address": None,
    "4": None, "imported": None,
    "16": None, "offline": None,
    "1": "survey preview", "survey preview": "survey preview",
    "2": "survey test", "survey test": "survey test",
    "8": "spam", "spam": "spam",
    "9": "survey preview (spam)", "survey preview spam": "survey preview (spam)",
    "12": "imported spam", "imported spam": "imported spam",
    "17": "survey preview (offline)", "survey preview offline": "survey preview (offline)",
}
_QUALTRICS_META = ("StartDate", "EndDate", "Status", "IPAddress", "Progress",
                   "Duration (in seconds)", "Finished", "RecordedDate", "ResponseId",
                   "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                   "ExternalReference", "LocationLatitude", "LocationLongitude",
                   "DistributionChannel", "UserLanguage", "ResponseSet")
_QUALTRICS_PRIVATE = ("IPAddress", "RecipientLastName", "RecipientFirstName",
                      "RecipientEmail", "LocationLatitude", "LocationLongitude")
_QUALTRICS_DATES = ("StartDate", "EndDate", "RecordedDate")
_LIME_META = ("id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate",
              "datestamp", "ipaddr", "refurl", "interviewtime")
_LIME_PRIVATE = ("ipaddr", "refurl", "firstname", "lastname", "email")  # the last three
# come with 'participant information' in the export
_TRUE = {"1", "true", "ja", "yes"}
_FALSE = {"0", "false", "nee", "no"}
_LISTED = 10


def file_format(study, path: Path) -> tuple[str, str]:
    """The ``format`` of the ``data.files`` rule that matches ``path``, and its pattern.

    Only rules with a platform format are matched (plain tables need nothing here).
    """
    for rule in study.data.files:
        fmt = getattr(rule, "format", "table")
        if fmt != "table" and path in set(study.data.raw_dir.glob(rule.pattern)):
            return fmt, rule.pattern
    return "table", ""


def read_platform(table: RawTable, fmt: str, study, display: str
                  ) -> tuple[RawTable | None, pd.DataFrame, list[Problem]]:
    """Turn a platform export into the plain wave table validation expects.

    Parameters
    ----------
    table : RawTable
        The file as :func:`~evaltools.data.readers.read_table` read it (row 1 the header).
    fmt : {"table", "qualtrics", "limesurvey"}
    study : Study
        For the columns ``study.yml`` maps (those are kept even if the platform wrote them).
    display : str
        The file's name in problems.

    Returns
    -------
    table : RawTable or None
        The respondent rows, indexed so that ``index + first_row`` is still the row number in
        the file; None when the file is not the export its rule says.
    left_out : DataFrame
        One row per row left out: ``file, row, reason``.
    problems : list of Problem
        A warning per reason with the number of rows left out and the first rows; errors when
        the file is not an export of the platform.
    """
    if fmt == "table":
        return table, _left_out([], display), []
    if fmt not in FILE_FORMATS:
        raise ValueError(f"unknown file format {fmt!r}; expected one of {FILE_FORMATS}")
    if table.kind != "csv":
        return None, _left_out([], display), [Problem(
            display, "(file)", f"a {fmt} export is read from its CSV download", found=table.kind,
            expected="the CSV file as the platform exports it")]
    compute = _qualtrics if fmt == "qualtrics" else _limesurvey
    frame, reasons, problems = compute(table.frame, _mapped(study), display, table.first_row)
    if frame is None:
        return None, _left_out([], display), problems
    rows = []
    for reason, index in reasons:
        numbers = [int(i) + table.first_row for i in index]
        rows += [(display, n, reason) for n in numbers]
        if numbers:
            problems.append(Problem(
                display, "(file)", f"{len(numbers)} row{'s' if len(numbers) != 1 else ''} "
                f"left out: {reason}", found=_row_list(numbers), severity="warning"))
    out = RawTable(frame, table.kind, table.first_row, table.value_labels, table.encoding,
                   table.delimiter)
    return out, _left_out(rows, display), problems


def _left_out(rows: list, display: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=LEFT_OUT_COLUMNS).astype({"row": "int64"})


def _row_list(numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:_LISTED]))
    more = f" and {len(numbers) - _LISTED} more" if len(numbers) > _LISTED else ""
    return ("row " if len(numbers) == 1 else "rows ") + shown + more


def _mapped(study) -> set[str]:
    """Columns ``study.yml`` names: they are kept even where the platform wrote them."""
    data = study.data
    names = {data.respondent_id, data.site_column, data.group_column, data.wave_column,
             data.submitted_at, *data.ignore, *data.identifiers, *data.item_columns,
             *(s.column for s in study.subgroups)}
    for renames in data.renames.values():
        names |= set(renames)
    return {n for n in names if n}


def _text(series: pd.Series) -> pd.Series:
    return series.astype("string").str.strip().fillna("")


def _qualtrics(frame: pd.DataFrame, mapped: set[str], display: str, first_row: int):
    problems: list[Problem] = []
    missing = [c for c in ("Status", "Finished") if c not in frame.columns]
    if missing:
        return None, [], [Problem(display, "(file)", "not a Qualtrics 'Export data' CSV: "
                                  "column " + " and ".join(map(repr, missing)) + " missing",
                                  found=", ".join(list(frame.columns)[:6]),
                                  expected="the CSV as Qualtrics exports it (StartDate, EndDate, "
                                  "Status, ..., Finished, ...)")]
    header_rows = _qualtrics_header_rows(frame)
    if header_rows == 0:
        problems.append(Problem(display, "(file)", "rows 2 and 3 of a Qualtrics export (question "
                                "texts, ImportId) are not there; the rows are read as answers",
                                severity="warning"))
    body = frame.iloc[header_rows:]
    reasons: list[tuple[str, pd.Index]] = []
    status = _text(body["Status"]).str.casefold()
    why = np.array([QUALTRICS_STATUS.get(s) for s in status], dtype=object)
    for reason in dict.fromkeys(w for w in why if w is not None):
        reasons.append((f"Status is {reason} (not a respondent's response)",
                        body.index[why == reason]))
    unknown = ~status.isin(list(QUALTRICS_STATUS)) & (status != "")
    for value in pd.unique(status[unknown])[:_LISTED]:
        rows = body.index[(status == value).to_numpy()] + first_row
        problems.append(Problem(display, "column Status", "Status value unknown to evaltools; "
                                f"the {len(rows)} row(s) are kept", found=value,
                                expected="'IP Address', 'Imported', 'Offline' (kept) or 'Survey "
                                "Preview', 'Survey Test', 'Spam' (left out)",
                                severity="warning"))
    keep = np.array([w is None for w in why], dtype=bool)
    finished = _text(body["Finished"]).str.casefold()
    unfinished = finished.isin(_FALSE).to_numpy() & keep
    reasons.append(("unfinished response (Finished is false)", body.index[unfinished]))
    odd = ~finished.isin(_TRUE | _FALSE).to_numpy() & keep
    if odd.any():
        problems.append(Problem(display, "column Finished", "Finished is neither true nor false; "
                                f"the {int(odd.sum())} row(s) are kept",
                                found=finished[odd].iloc[0], expected="1/0 or True/False",
                                severity="warning"))
    body = body.loc[keep & ~unfinished]
    for column in _QUALTRICS_DATES:
        if column in body.columns:
            body = body.assign(**{column: _qualtrics_times(body[column])})
    private = set(_QUALTRICS_PRIVATE) - ({"RecipientEmail"} & mapped)
    drop = [c for c in body.columns if c in private or (
        c not in mapped and (c in _QUALTRICS_META or c.startswith("Q_")))]
    return body.drop(columns=drop), reasons, problems


def _qualtrics_header_rows(frame: pd.DataFrame) -> int:
    """How many of rows 2 and 3 are Qualtrics' header rows (question texts, ImportId JSON)."""
    if len(frame) >= 2 and _is_import_id(frame.iloc[1]):
        return 2
    if len(frame) >= 1 and _is_import_id(frame.iloc[0]):
        return 1
    if len(frame) >= 1 and str(frame["Status"].iloc[0]).strip() == "Response Type":
        return 1
    return 0


def _is_import_id(row: pd.Series) -> bool:
    cells = [str(v).strip() for v in row if isinstance(v, str) and str(v).strip()]
    if not cells:
        return False
    hits = 0
    for cell in cells:
        try:
            parsed = json.loads(cell)
        except ValueError:
            continue
        hits += isinstance(parsed, dict) and "ImportId" in parsed
    return hits >= max(1, len(cells) // 2)


def _qualtrics_times(series: pd.Series) -> pd.Series:
    """Qualtrics date-times as ``YYYY-MM-DD HH:MM:SS``: ISO as given, the older month/day/year
    form (``9/15/2024 14:32``) rewritten; what is neither stays as written."""
    text = _text(series)
    us = text.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}( \d{1,2}:\d{2}(:\d{2})?)?")
    if not us.any():
        return series
    parsed = pd.to_datetime(text[us], format="mixed", dayfirst=False, errors="coerce")
    out = series.astype("string").copy()
    good = parsed.notna()
    out[good[good].index] = parsed[good].dt.strftime("%Y-%m-%d %H:%M:%S")
    return out


_LIME_TIMING = re.compile(r"^(groupTime\d+|.+Time)$")


def _limesurvey(frame: pd.DataFrame, mapped: set[str], display: str, first_row: int):
    if "submitdate" not in frame.columns:
        return None, [], [Problem(display, "(file)", "not a LimeSurvey 'Export responses' CSV: "
                                  "column 'submitdate' missing",
                                  found=", ".join(list(frame.columns)[:6]),
                                  expected="the CSV as LimeSurvey exports it (id, submitdate, "
                                  "lastpage, startlanguage, ...), with question codes as "
                                  "headings")]
    submitted = _text(frame["submitdate"]) != ""
    reasons = [("not submitted (no submitdate): the respondent did not finish",
                frame.index[~submitted.to_numpy()])]
    body = frame.loc[submitted.to_numpy()]
    columns = set(body.columns)
    timing = {c for c in columns if _LIME_TIMING.match(c) and (
        c.startswith("groupTime") or c[:-4] in columns)}
    drop = [c for c in body.columns if c in _LIME_PRIVATE or (
        c not in mapped and (c in _LIME_META or c in timing))]
    return body.drop(columns=drop), reasons, []

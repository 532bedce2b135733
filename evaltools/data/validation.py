"""Checking one wave file against the study definition, and bringing it into canonical form.

:func:`validate_table` collects every problem in a file before deciding, each located by file,
row, column, value and rule, and classed as an *error* (the file cannot be used and is
quarantined) or a *warning* (the file is used; the note says what was done):

============================================  ========  =======================================
rule                                          class     what happens
============================================  ========  =======================================
a required column is missing                  error     (respondent id, site, group, wave, items)
a column is not in the definition             warning   it is not ingested
an item value is not a number                 error
an item value is off the response scale       error     (missing codes such as 9 are allowed;
                                                        a numeric scale: outside min-max)
an item value has more decimals than allowed  error     (numeric response scales)
an item column coded one too high             error     every answer in low+1..high+1, and
                                                        high+1 given (1-6 for a 0-5 item;
                                                        :func:`shifted_by_one`); or
                                                        its SPSS value labels shifted against
                                                        the instrument's labels
an unknown site, group or wave                error     (after ``data.recode`` and SPSS value
                                                        labels that equal an id)
site/group/wave codes mapped by value labels  warning   mapped to the ids they name
SPSS user-missing values                      warning   made missing (an item's own missing
                                                        codes stay as they are)
two columns naming one item in another case   error     (``A1`` alone matches item ``a1``)
a row without respondent id                   warning   the row is not ingested
ids in scientific notation (``2,02501E+11``)  warning   they link to no other wave; an error
or numbers of more than 15 digits                       when every id is (no usable id)
the same respondent twice in the file         warning   ``data.duplicates``: keep_last (by
                                                        submission time, then row) or
                                                        keep_first; ``error`` makes it an error
a submission time that cannot be read         warning   the time is left empty
a submission outside the wave's window        warning
a subgroup value not among its declared ones  warning   kept as given
a declared subgroup column is absent          warning
============================================  ========  =======================================

Respondent identifiers never appear in a problem: rows are named by number.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from evaltools.core.errors import Problem
from evaltools.core.schema import suggest
from evaltools.data.coding import (
    blank_user_missing,
    code_key,
    mangled_id_problems,
    map_codes,
    match_item_case,
    rename_keys,
    user_missing_problems,
)
from evaltools.data.pseudonym import normalise_id
from evaltools.data.readers import RawTable
from evaltools.instruments.answers import (
    check_answers,
    expected_answers,
    label_offset,
    shifted_by_one,
)

__all__ = ["validate_table", "canonical_columns"]

_LISTED = 10  # problems listed per column and rule before summarising


def canonical_columns(study) -> list[str]:
    """Columns of a validated wave file, in order (``respondent_key`` is replaced on ingest)."""
    return (["respondent_key", "site", "group", "wave", "submitted_at"]
            + [s.column for s in study.subgroups] + covariate_columns(study)
            + list(study.item_ids) + ["source_row"])


def covariate_columns(study) -> list[str]:
    """The declared covariates (``analysis.covariates``) that are not subgroup columns: kept
    on ingest beside the subgroups (personal data: stored pseudonymised, never published)."""
    subgroups = {s.column for s in study.subgroups}
    spec = getattr(study, "analysis", None)
    return [c for c in getattr(spec, "covariates", ()) if c not in subgroups]


class _Collector:
    def __init__(self, file: str, row_numbers: np.ndarray):
        self.file = file
        self.row_numbers = row_numbers  # position in the frame -> row number in the file
        self.problems: list[Problem] = []

    def add(self, where: str, message: str, found=None, expected: str = "",
            severity: str = "error") -> None:
        self.problems.append(Problem(self.file, where, message, found=found, expected=expected,
                                     severity=severity))

    def cells(self, mask: np.ndarray, column: str, values: pd.Series, message: str,
              expected: str, severity: str = "error", show_values: bool = True) -> None:
        rows = np.flatnonzero(mask)
        for i in rows[:_LISTED]:
            self.add(f"row {self.row_numbers[i]}, column {column}", message,
                     found=_plain(values.iloc[i]) if show_values else None, expected=expected,
                     severity=severity)
        if len(rows) > _LISTED:
            self.add(f"column {column}", f"{len(rows) - _LISTED} more rows: {message}",
                     expected=expected, severity=severity)


def _covariate(c: _Collector, study, frame: pd.DataFrame, column: str, present, n: int
               ) -> pd.Series:
    """A covariate column: numbers (a value that is not one is left empty, with a warning),
    or codes for a categorical one; missing from the file: empty, with a warning."""
    categorical = column in study.analysis.factor_covariates
    if column not in present:
        c.add(f"column {column}", "covariate column is absent from this file; analyses "
              "adjusting for it leave these respondents out", severity="warning")
        return (pd.Series([pd.NA] * n, dtype="string") if categorical
                else pd.Series(np.full(n, np.nan)))
    raw = frame[column].reset_index(drop=True)
    if categorical:
        return _codes(raw).reset_index(drop=True)
    values, bad = _numbers(raw, study.data.csv_decimal)
    c.cells(bad, column, raw, "covariate value is not a number; left empty",
            "a number (or declare the covariate type: categorical)", severity="warning",
            show_values=False)
    return pd.Series(values)


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)  # "found 6", not "found 6.0" (items are parsed as floats)
    return value


def _rename_map(study, wave: str | None) -> dict[str, str]:
    mapping = dict(study.data.item_columns)
    if wave is not None:
        mapping.update(study.data.renames.get(wave, {}))
    return mapping


def _numbers(series: pd.Series, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """Floats, and a mask of cells that hold something that is not a number."""
    return _numbers_of_columns([series], decimal)[0]


def _numbers_of_columns(columns: list[pd.Series], decimal: str
                        ) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`_numbers` of several columns, parsing each distinct value of each column once.

    An item column holds a handful of distinct values among 100,000 rows: they are parsed
    together, in one call for all columns, and spread back over the cells. The result is
    exactly that of parsing every cell, since parsing goes cell by cell. Values are made text
    before they are told apart, so that ``1``, ``1.0`` and ``True`` in one Excel column stay
    three values, as they were.
    """
    out: list = [None] * len(columns)
    codes_of, distinct_of = {}, []
    for k, series in enumerate(columns):
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            out[k] = (series.to_numpy(dtype=float, na_value=np.nan), np.zeros(len(series), bool))
            continue
        if pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
            series = series.astype("string")
        codes, distinct = pd.factorize(series, use_na_sentinel=True)
        offset = sum(len(d) for d in distinct_of)
        codes_of[k] = (codes, offset, offset + len(distinct))
        distinct_of.append(np.asarray(distinct, dtype=object))
    if not codes_of:
        return out
    every = pd.Series(np.concatenate(distinct_of), dtype="object")
    parsed, not_number = _parse_numbers(every, decimal)
    for k, (codes, start, end) in codes_of.items():
        # one take per column: code -1 (a missing cell) takes the appended NaN and False
        out[k] = (np.append(parsed[start:end], np.nan)[codes],
                  np.append(not_number[start:end], False)[codes])
    return out


def _parse_numbers(series: pd.Series, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_numbers` on every cell of a text column."""
    text = series.astype("string").str.strip()
    empty = text.isna() | (text == "")
    if decimal == ",":
        text = text.str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
    parsed = pd.to_numeric(text.where(~empty), errors="coerce")
    values = parsed.to_numpy(dtype=float, na_value=np.nan)
    return values, (~empty.to_numpy()) & np.isnan(values)


def _times(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Submission times as local wall-clock times, and a mask of cells that hold text that is
    not a time. A UTC offset (``+02:00``, ``Z``; also mixed across daylight saving time) or a
    time zone in a Parquet column is dropped, not applied. Text is parsed once per distinct
    value (exports stamp many rows with the same minute), as :func:`_parse_times` would parse
    every cell.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_localize(None)
        return pd.to_datetime(series), np.zeros(len(series), bool)
    if pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty"):
        return _parse_times(series)
    codes, distinct = pd.factorize(series, use_na_sentinel=True)
    parsed, bad = _parse_times(pd.Series(np.asarray(distinct, dtype=object), dtype="object")
                               .astype(series.dtype))
    present = codes >= 0
    times = pd.Series(pd.NaT, index=series.index, dtype=parsed.dtype)
    times[present] = parsed.to_numpy()[codes[present]]
    retry = np.zeros(len(series), bool)
    retry[present] = bad[codes[present]]
    return times, retry


def _parse_times(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """:func:`_times` on every cell of a column."""
    text = series.astype("string").str.strip().str.replace(
        r"^(.*\d:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)$", r"\1",
        regex=True)
    empty = (text.isna() | (text == "")).to_numpy()
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    retry = parsed.isna().to_numpy() & ~empty
    if retry.any():
        for fmt in ("%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y", "%d/%m/%Y %H:%M",
                    "%d/%m/%Y"):
            again = pd.to_datetime(text[retry], errors="coerce", format=fmt)
            parsed[retry] = again
            retry = parsed.isna().to_numpy() & ~empty
            if not retry.any():
                break
    return parsed, retry


def _codes(series: pd.Series) -> pd.Series:
    """Site, group or wave codes as trimmed text (whole numbers without '.0')."""
    return normalise_id(series)


def validate_table(table: RawTable, study, display: str, *, wave: str | None = None,
                   site: str | None = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Check one wave file and return it in canonical form.

    Parameters
    ----------
    table : RawTable
        As read by :func:`evaltools.readers.read_table`.
    study : Study
    display : str
        The file's name in problems.
    wave, site : str, optional
        Wave and site given by the file rule in ``study.yml``.

    Returns
    -------
    frame : DataFrame or None
        Columns :func:`canonical_columns` (``respondent_key`` is the normalised original id,
        which ingestion replaces by a pseudonym); None when there is an error.
    problems : list of Problem
    """
    rows = table.frame.index.to_numpy(dtype=np.int64) + table.first_row
    c = _Collector(display, rows)
    data = study.data
    renames = _rename_map(study, wave)
    frame = table.frame.rename(columns=renames).reset_index(drop=True)
    case, clashes = match_item_case(frame.columns, study.item_ids)
    for item, hits in clashes:
        c.add(f"column {item}", "columns whose names differ only in upper and lower case name "
              "the same item", found=", ".join(hits), expected="one column per item (drop or "
              "rename one of them)")
    frame = frame.rename(columns=case)
    labels = rename_keys(rename_keys(table.value_labels, renames), case)
    user_missing = rename_keys(rename_keys(table.user_missing, renames), case)
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    for name in duplicated:
        c.add(f"column {name}", "column name occurs more than once (after renames)", found=name)
    if duplicated or clashes:
        return None, c.problems
    present = set(frame.columns)
    needed = {data.respondent_id: "respondent id"}
    if data.site_column and site is None:
        needed[data.site_column] = "site"
    if data.group_column:
        needed[data.group_column] = "group"
    if data.wave_column and wave is None:
        needed[data.wave_column] = "wave"
    needed.update({item: "item" for item in study.item_ids})
    for column, role in needed.items():
        if column not in present:
            c.add(f"column {column}", f"required {role} column is missing"
                  + suggest(column, sorted(present - set(needed))), expected=f"a column "
                  f"named {column!r}")
    known = set(needed) | set(data.identifiers) | {s.column for s in study.subgroups}
    known |= set(covariate_columns(study))
    known |= {x for x in (data.site_column, data.wave_column, data.submitted_at) if x}
    known |= set(data.ignore)
    for column in frame.columns:
        if column not in known:
            c.add(f"column {column}", "column is not in the study definition; not ingested",
                  found=column, expected="a mapped column, an item, a subgroup or an "
                  "identifier", severity="warning")
    for sub in study.subgroups:
        if sub.column not in present:
            c.add(f"column {sub.column}", "subgroup column is absent from this file",
                  severity="warning")
    if any(p.severity == "error" for p in c.problems):
        return None, c.problems

    frame = _blank_user_missing(c, study, frame, user_missing)
    n = len(frame)
    out = pd.DataFrame(index=range(n))
    out["respondent_key"] = normalise_id(frame[data.respondent_id]).reset_index(drop=True)
    missing_id = out["respondent_key"].isna().to_numpy()
    c.cells(missing_id, data.respondent_id, out["respondent_key"], "row has no respondent id; "
            "not ingested", "an id", severity="warning", show_values=False)
    c.problems += mangled_id_problems(c.file, frame[data.respondent_id].reset_index(drop=True),
                                      missing_id, data.respondent_id)
    for role, column, fixed, allowed in (
            ("site", data.site_column, site, [s.id for s in study.sites]),
            ("group", data.group_column, None, [g.id for g in study.groups]),
            ("wave", data.wave_column, wave, [w.id for w in study.waves])):
        if column and column in present:
            values, via = map_codes(frame[column], data.recode.get(role, {}),
                                    labels.get(column), allowed)
            values = values.reset_index(drop=True)
            if via:
                c.add(f"column {column}", f"{role} codes mapped to ids through the file's "
                      f"value labels (map them yourself with data.recode.{role} in study.yml)",
                      found=", ".join(f"{k} = {v}" for k, v in via.items()),
                      severity="warning")
            unknown = ~values.isin(allowed).to_numpy() | values.isna().to_numpy()
            if fixed is not None:
                unknown |= (values != fixed).fillna(True).to_numpy()
                allowed = [fixed]
            label_of = {code_key(k): v for k, v in (labels.get(column) or {}).items()}
            for value in pd.unique(values[unknown])[:_LISTED]:
                hits = np.flatnonzero(unknown & (values == value).fillna(False).to_numpy()
                                      if value is not pd.NA else values.isna().to_numpy())
                label = label_of.get(value) if value is not pd.NA else None
                c.add(f"row {rows[hits[0]]}, column {column}"
                      + (f" (and {len(hits) - 1} more rows)" if len(hits) > 1 else ""),
                      (f"unknown {role}" + (f" (value label {label!r})" if label else "")
                       + suggest(value, allowed)) if value is not pd.NA else
                      f"no {role}", found=None if value is pd.NA else value,
                      expected="one of " + ", ".join(map(repr, allowed))
                      + ("" if fixed is not None or value is pd.NA else
                         f", or map this code in data.recode.{role} in study.yml"))
            out[role] = values
        else:
            default = fixed if fixed is not None else (allowed[0] if len(allowed) == 1 else None)
            out[role] = pd.Series([default] * n, dtype="string")
    if data.submitted_at and data.submitted_at in present:
        times, bad = _times(frame[data.submitted_at].reset_index(drop=True))
        c.cells(bad, data.submitted_at, frame[data.submitted_at], "submission time cannot be "
                "read; left empty", "a date and time such as 15-09-2024 14:32",
                severity="warning")
        out["submitted_at"] = times
        _check_window(c, study, out, data.submitted_at)
    else:
        out["submitted_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    for sub in study.subgroups:
        if sub.column in present:
            values = _codes(frame[sub.column]).reset_index(drop=True)
            if sub.values is not None:
                allowed = [str(v) for v in sub.values]
                odd = values.notna().to_numpy() & ~values.isin(allowed).to_numpy()
                for value in pd.unique(values[odd])[:_LISTED]:
                    c.add(f"column {sub.column}", f"subgroup value not among the declared "
                          f"ones ({int((values[odd] == value).sum())} rows); kept as given",
                          found=value, expected="one of " + ", ".join(map(repr, allowed)),
                          severity="warning")
            out[sub.column] = values
        else:
            out[sub.column] = pd.Series([pd.NA] * n, dtype="string")
    for column in covariate_columns(study):
        out[column] = _covariate(c, study, frame, column, present, n)
    out = _check_items(c, study, frame, out, labels)
    out["source_row"] = rows
    out = out.loc[~missing_id]
    out = _resolve_duplicates(c, study, out)
    if any(p.severity == "error" for p in c.problems):
        return None, c.problems
    return out[canonical_columns(study)].reset_index(drop=True), c.problems


def _blank_user_missing(c: _Collector, study, frame: pd.DataFrame, user_missing: dict
                        ) -> pd.DataFrame:
    """The frame with SPSS user-missing cells made missing, and one warning saying where
    (an item's own missing codes stay, as scoring counts them as missing already)."""
    if not user_missing:
        return frame
    keep = {item.id: list(inst.response_scales[item.response_scale].missing)
            for inst in study.instruments for item in inst.items}
    frame, blanked = blank_user_missing(frame, user_missing, keep)
    c.problems += user_missing_problems(c.file, blanked, study.data.respondent_id)
    return frame


def _check_window(c: _Collector, study, out: pd.DataFrame, column: str) -> None:
    for wave in study.waves:
        if wave.start is None:
            continue
        times = out["submitted_at"]
        in_wave = (out["wave"] == wave.id).fillna(False).to_numpy() & times.notna().to_numpy()
        start = pd.Timestamp(wave.start)
        end = pd.Timestamp(wave.end) + pd.Timedelta(days=1)
        outside = in_wave & ~((times >= start) & (times < end)).fillna(False).to_numpy()
        if outside.any():
            c.cells(outside, column, times.dt.strftime("%Y-%m-%d %H:%M"),
                    f"submitted outside the window of wave {wave.id}",
                    f"{wave.start} to {wave.end}", severity="warning")


def _check_items(c: _Collector, study, frame: pd.DataFrame, out: pd.DataFrame,
                 labels: dict | None = None) -> pd.DataFrame:
    """``out`` with the item columns as floats (added at once, not one by one)."""
    items = [(inst, item) for inst in study.instruments for item in inst.items]
    raws = [frame[item.id].reset_index(drop=True) for _, item in items]
    parsed = _numbers_of_columns(raws, study.data.csv_decimal)
    columns = {}
    for (inst, item), raw, (values, not_number) in zip(items, raws, parsed, strict=True):
        rs = inst.response_scales[item.response_scale]
        expected = expected_answers(rs)
        c.cells(not_number, item.id, raw, "not a number", expected)
        check = check_answers(rs, values)
        offset = label_offset(rs, (labels or {}).get(item.id, {}))
        if offset:
            c.add(f"column {item.id}", f"the file's value labels put every answer {offset:+d} "
                  f"from the codes of instrument {inst.id} (response scale "
                  f"{item.response_scale}: {rs.low:g} = {rs.labels[rs.low].nl!r}); every "
                  f"score would be wrong; recode the column (answer {-offset:+d}) in the export "
                  "or the file's coding", found=f"{rs.labels[rs.low].nl!r} = "
                  f"{rs.low + offset:g}", expected=f"{rs.labels[rs.low].nl!r} = {rs.low:g}")
            check = dataclasses.replace(check, off_scale=np.zeros(len(values), bool))
        elif check.off_scale.any() and shifted_by_one(rs, values):
            c.add(f"column {item.id}", f"every answer lies one above the response scale "
                  f"({rs.low + 1:g}-{rs.high + 1:g} for {rs.low:g}-{rs.high:g}): the column "
                  "looks coded from one too high (e.g. an export that numbers answers from "
                  f"{rs.low + 1:g}), which would make every score wrong; recode it (answer "
                  "minus 1) in the export or the file's coding, and check the other items",
                  found=f"{int((values == rs.high + 1).sum())} answers of {rs.high + 1:g}",
                  expected=expected)
            check = dataclasses.replace(check, off_scale=np.zeros(len(values), bool))
        c.cells(check.off_scale, item.id, pd.Series(values), "value outside the response "
                "scale", expected)
        c.cells(check.too_precise, item.id, pd.Series(values), "more decimals than the "
                "response scale allows", expected)
        columns[item.id] = values
    items_frame = pd.DataFrame(columns, index=out.index)
    kept = out.drop(columns=[c for c in items_frame.columns if c in out.columns])
    return pd.concat([kept, items_frame], axis=1)


def _resolve_duplicates(c: _Collector, study, out: pd.DataFrame) -> pd.DataFrame:
    keys = ["respondent_key", "wave"]
    dup = out.duplicated(keys, keep=False).to_numpy()
    if not dup.any():
        return out
    policy = study.data.duplicates
    order = out.sort_values(["submitted_at", "source_row"], na_position="first", kind="stable")
    keep = "last" if policy == "keep_last" else "first"
    kept = order.drop_duplicates(keys, keep=keep)
    groups = out[dup].groupby(keys, sort=False)["source_row"].apply(list)
    severity = "error" if policy == "error" else "warning"
    for rows in list(groups)[:_LISTED]:
        chosen = kept.loc[kept["source_row"].isin(rows), "source_row"].iloc[0]
        c.add("rows " + ", ".join(map(str, rows)), "the same respondent more than once in "
              "this wave" + ("" if policy == "error" else f"; kept row {chosen} ({policy})"),
              expected="one row per respondent and wave", severity=severity)
    if len(groups) > _LISTED:
        c.add("(file)", f"{len(groups) - _LISTED} more respondents with more than one row",
              severity=severity)
    return kept.sort_values("source_row").copy()

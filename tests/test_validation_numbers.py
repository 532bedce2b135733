"""Parsing item cells once per distinct value gives what parsing every cell gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaltools.data import validation


def _every_cell(series: pd.Series, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """The rule before the change: one to_numeric over every cell (the reference)."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan), np.zeros(len(series), bool)
    text = series.astype("string").str.strip()
    empty = text.isna() | (text == "")
    if decimal == ",":
        text = text.str.replace(r"^(-?\d+),(\d+)$", r"\1.\2", regex=True)
    parsed = pd.to_numeric(text.where(~empty), errors="coerce")
    values = parsed.to_numpy(dtype=float, na_value=np.nan)
    return values, (~empty.to_numpy()) & np.isnan(values)


CASES = {
    "text": pd.Series(["1", " 2", "3 ", "", None, "x", "2,5", "-1,0", "1e1", "4", "4", "inf",
                       "nan", "1.5", "9"] * 3, dtype="object"),
    "string dtype": pd.Series(["1", "2", pd.NA, "", "weet niet", "5"] * 4, dtype="string"),
    "excel mix": pd.Series([1, 1.0, True, "1", 2.5, None, "a", False, 0, "0,5"], dtype="object"),
    "all missing": pd.Series([None, None, np.nan], dtype="object"),
    "empty": pd.Series([], dtype="object"),
    "numbers": pd.Series([1.0, np.nan, 3.0]),
    "integers": pd.Series([1, 2, 3]),
}


@pytest.mark.parametrize("decimal", [".", ","])
@pytest.mark.parametrize("name", sorted(CASES))
def test_distinct_values_parse_as_every_cell(name, decimal):
    got = validation._numbers(CASES[name], decimal)
    want = _every_cell(CASES[name], decimal)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])


def _normalise_every_cell(values: pd.Series) -> pd.Series:
    """normalise_id's rule applied to every cell (the reference)."""
    def one(value):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return None
        if isinstance(value, float | np.floating) and float(value).is_integer():
            return str(int(value))
        text = str(value).strip()
        return text or None

    return pd.Series([one(v) for v in values], index=values.index, dtype="string")


IDS = {
    "text": pd.Series([" 100234 ", "A-17", "", "  ", None, "A-17", "x\t"], dtype="object"),
    "string dtype": pd.Series(["1", pd.NA, " 2", "1"], dtype="string", index=[5, 6, 7, 8]),
    "excel mix": pd.Series([" 100234 ", 100234.0, "A-17", None, True, 1, np.nan],
                           dtype="object"),
    "all missing": pd.Series([None, np.nan], dtype="object"),
    "floats": pd.Series([1.0, 2.5, np.nan]),
}


@pytest.mark.parametrize("name", sorted(IDS))
def test_normalised_ids_are_those_of_every_cell(name):
    from evaltools.data.pseudonym import normalise_id

    pd.testing.assert_series_equal(normalise_id(IDS[name]), _normalise_every_cell(IDS[name]))


def _times_every_cell(series: pd.Series):
    """_times' rule on every cell (the reference)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return pd.to_datetime(series), np.zeros(len(series), bool)
    text = series.astype("string").str.strip()
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


TIMES = {
    "csv text": pd.Series(["15-09-2024 14:32", "2024-09-15T14:32:00", "", "gisteren",
                           "15-09-2024 14:32", " 16/09/2024 ", None, "15-09-2024"] * 3,
                          dtype="string"),
    "iso only": pd.Series(["2024-09-15 10:00", "2024-09-16 11:30", "2024-09-15 10:00"],
                          dtype="string", index=[3, 4, 5]),
    "all blank": pd.Series(["", "", None], dtype="string"),
    "excel objects": pd.Series([pd.Timestamp("2024-09-15 10:00"), "15-09-2024", None],
                               dtype="object"),
}


@pytest.mark.parametrize("name", sorted(TIMES))
def test_times_parse_as_every_cell(name):
    got, got_bad = validation._times(TIMES[name])
    want, want_bad = _times_every_cell(TIMES[name])
    pd.testing.assert_series_equal(got, want, check_names=False)
    np.testing.assert_array_equal(got_bad, want_bad)

"""The study store: pseudonymised, validated wave data and the record of what was ingested.

Layout, inside the study folder (never inside ``data/raw``)::

    store/
      manifest.json                      one entry per raw file: content hash, status, counts
      responses/<wave>/<hash>.parquet    the validated, pseudonymised rows of one accepted file
      validation/<wave>/<file>.problems.csv|.html   the full problem table of each file

Every file is written atomically (a temporary file, then one rename), and the manifest last,
so an interrupted ingest leaves the previous state readable. Paths in the manifest are relative
to the study folder. Nothing in the store holds an original identifier or the key.
"""

from __future__ import annotations

import hashlib
import html
import io
from pathlib import Path

import pandas as pd

from evaltools.core.errors import Problem, problems_frame
from evaltools.core.io import atomic_write_bytes, atomic_write_text, csv_safe
from evaltools.data.manifest import FileRecord, Manifest, StoreError, file_hash, now
from evaltools.data.problems import group_problems

#: The manifest's classes live in :mod:`evaltools.data.manifest` (no pandas) and stay importable
#: from here.
__all__ = ["FileRecord", "Manifest", "StoreError", "file_hash", "now", "write_part", "read_part",
           "write_problem_tables"]


def write_part(store: Path, wave: str, sha256: str, frame: pd.DataFrame) -> str:
    """Write an accepted file's rows as Parquet; returns the path relative to the study."""
    relative = Path("store") / "responses" / wave / f"{sha256[:24]}.parquet"
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    atomic_write_bytes(store.parent / relative, buffer.getvalue())
    return relative.as_posix()


def read_part(study_folder: Path, relative: str, columns: list[str] | None = None
              ) -> pd.DataFrame:
    """Read one stored part (``columns``: only these)."""
    return pd.read_parquet(study_folder / relative, columns=columns)


def write_problem_tables(store: Path, wave: str | None, name: str,
                         problems: list[Problem]) -> str:
    """Write a file's problems as CSV and HTML; returns the CSV path relative to the study."""
    frame = problems_frame(problems)
    folder = Path("store") / "validation" / (wave or "_unknown")
    name = _short_name(name)
    csv_path, html_path = folder / f"{name}.problems.csv", folder / f"{name}.problems.html"
    atomic_write_text(store.parent / csv_path, csv_safe(frame).to_csv(index=False,
                                                                      lineterminator="\n"))
    atomic_write_text(store.parent / html_path, _html(name, frame)
                      .replace("<table>", _grouped_html(problems) + "<h2>Every problem</h2>\n"
                               "<table>", 1))
    return csv_path.as_posix()


def _grouped_html(problems: list[Problem]) -> str:
    """The problems grouped per column and rule (:func:`evaltools.data.problems.group_problems`),
    as the first table of a file's problem page."""
    return ("<h2>By column and rule</h2>\n" + group_problems(problems).to_html(
        index=False, na_rep="", border=0) + "\n")
def _short_name(name: str) -> str:
    """A raw file's name, cut to at most 120 bytes (so that ``.problems.html`` fits the file
    system's 255-byte limit): its first bytes, a hash of the whole name, and its extension.
    Bytes, not characters: 60 characters of emoji or CJK text are 240 bytes.

    Examples
    --------
    >>> _short_name("t0.csv"), len(_short_name("é" * 200 + ".csv").encode())
    ('t0.csv', 77)
    """
    raw = name.encode("utf-8", "replace")
    if len(raw) <= 120:
        return name
    suffix = Path(name).suffix
    if len(suffix.encode("utf-8", "replace")) > 12:
        suffix = ""
    head = raw[:60].decode("utf-8", "ignore").rstrip()
    return head + "-" + hashlib.sha256(raw).hexdigest()[:12] + suffix


def _html(name: str, frame: pd.DataFrame) -> str:
    e = html.escape
    n_err = int((frame["severity"] == "error").sum())
    n_warn = int((frame["severity"] == "warning").sum())
    rows = "".join(
        "<tr class=\"{}\">{}</tr>\n".format(
            e(str(r["severity"])),
            "".join(f"<td>{e('' if pd.isna(v) else str(v))}</td>" for v in r.to_numpy()))
        for _, r in frame.iterrows())
    head = "".join(f"<th>{e(c)}</th>" for c in frame.columns)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>Problems in {e(name)}</title><style>"
            "body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}"
            "tr.error td:first-child{color:#b00020;font-weight:bold}"
            "tr.warning td:first-child{color:#8a6d00}</style></head><body>\n"
            f"<h1>Problems in {e(name)}</h1>\n<p>{n_err} errors, {n_warn} warnings. Errors "
            "keep the file out of the study (quarantined); warnings say what was done.</p>\n"
            f"<table><tr>{head}</tr>\n{rows}</table>\n</body></html>\n")

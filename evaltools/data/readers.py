"""Reading wave files as delivered: CSV, Excel (.xlsx), SPSS (.sav) and Parquet.

:func:`read_table` never changes the file. It checks that the content is what the extension
says, reads every value as delivered (CSV as text, so that validation sees exactly what was
written), and reports what stops a file from being read (empty, truncated, undecodable, not the
format its name says) as located :class:`~evaltools.core.errors.Problem` records.

Row numbers in problems are as a spreadsheet program shows them: the header is row 1, the first
respondent row 2 (SPSS and Parquet files have no header row: their first case is row 1).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
from pandas.io.excel._openpyxl import OpenpyxlReader

from evaltools.core.errors import Problem
from evaltools.data.csvtext import blank_rows, read_csv_text, sniff_delimiter

__all__ = ["RawTable", "read_table", "detect_kind", "EXTENSIONS"]

#: File name endings evaltools reads, and the format each promises.
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".sav": "sav",
              ".zsav": "sav", ".parquet": "parquet", ".pq": "parquet"}
_KIND_NAMES = {"csv": "a text (CSV) file", "xlsx": "an Excel workbook (.xlsx)",
               "sav": "an SPSS data file (.sav)", "parquet": "a Parquet file",
               "xls": "an old Excel workbook (.xls)", "pdf": "a PDF document",
               "binary": "a binary file", "utf16": "UTF-16 text"}


@dataclass
class RawTable:
    """A wave file's contents as delivered."""

    frame: pd.DataFrame
    kind: str
    first_row: int
    value_labels: dict[str, dict] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    #: SPSS user-missing values per column: ranges ``{"lo": ..., "hi": ...}``
    user_missing: dict[str, list] = field(default_factory=dict)


def detect_kind(head: bytes) -> str:
    """The format of a file from its first bytes.

    Examples
    --------
    >>> detect_kind(b"PK\\x03\\x04rest"), detect_kind(b"$FL2@(#)"), detect_kind(b"resp;x\\n")
    ('xlsx', 'sav', 'csv')
    """
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head[:4] in (b"$FL2", b"$FL3"):
        return "sav"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf16"
    if b"\x00" in head[:4096]:
        return "binary"
    return "csv"


def read_table(path: Path, display: str, *, delimiter: str = "auto", encoding: str = "auto",
               sheet: str | int | None = None) -> tuple[RawTable | None, list[Problem]]:
    """Read one wave file.

    Parameters
    ----------
    path : Path
        The file; opened read-only.
    display : str
        How to name the file in problems (relative to the study folder).
    delimiter, encoding : str
        CSV settings from ``study.yml`` (``"auto"`` detects them).
    sheet : str or int, optional
        Excel sheet (default: the first).

    Returns
    -------
    table : RawTable or None
        None when the file cannot be read at all.
    problems : list of Problem
        Errors that make the file unreadable, and warnings about how it was read.
    """
    ext = path.suffix.lower()
    if ext == ".xls":
        return None, [Problem(display, "(file)", "old Excel format (.xls) is not read",
                              expected="save the workbook as .xlsx (or CSV)")]
    promised = EXTENSIONS.get(ext)
    if promised is None:
        return None, [Problem(display, "(file)", "unsupported file type", found=ext or "(none)",
                              expected="one of " + ", ".join(sorted(EXTENSIONS)))]
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192)
    except OSError as exc:
        return None, [Problem(display, "(file)", f"file cannot be opened ({exc.strerror})")]
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        return None, [Problem(display, "(file)", "file is empty", expected="a header and rows")]
    actual = detect_kind(head)
    if actual == "xls" and promised == "xlsx" and _encrypted(path):
        return None, [Problem(display, "(file)", "workbook is protected with a password",
                              expected="the workbook saved without a password (File > Info > "
                              "Protect Workbook), or exported as CSV UTF-8")]
    if actual == "utf16" and promised == "csv":
        return None, [Problem(display, "(file)", "file is UTF-16 text (Excel's 'Unicode text'), "
                              "which is not read", found="UTF-16",
                              expected="the file saved as 'CSV UTF-8' (or .xlsx)")]
    if actual != promised:
        return None, [Problem(display, "(file)", f"file is {_KIND_NAMES[actual]}, but its name "
                              f"ends in {ext}", found=ext,
                              expected=f"content matching the extension: {_KIND_NAMES[promised]}")]
    reader = {"csv": _read_csv, "xlsx": _read_xlsx, "sav": _read_sav,
              "parquet": _read_parquet}[actual]
    if actual == "csv":
        return reader(path, display, delimiter, encoding)
    if actual == "xlsx":
        return reader(path, display, sheet)
    return reader(path, display)


def _encrypted(path: Path) -> bool:
    """Whether an OLE2 file is an encrypted Office document (a password-protected .xlsx)."""
    try:
        with open(path, "rb") as fh:
            return "EncryptedPackage".encode("utf-16-le") in fh.read(1 << 20)
    except OSError:
        return False


def _decode(raw: bytes, display: str, encoding: str) -> tuple[str | None, str, list[Problem]]:
    if encoding == "auto":
        if raw.startswith(b"\xef\xbb\xbf"):
            candidates = ["utf-8-sig"]
        else:
            candidates = ["utf-8", "cp1252"]
    else:
        candidates = [encoding]
    error = None
    for name in candidates:
        try:
            return raw.decode(name), name, []
        except UnicodeDecodeError as exc:
            error = exc
    start = error.start + (3 if candidates[-1] == "utf-8-sig" else 0)  # after the BOM
    line = raw[:start].count(b"\n") + 1
    return None, candidates[-1], [Problem(
        display, f"line {line}", "text cannot be decoded",
        found=f"byte {raw[start]:#04x} at offset {start}",
        expected=" or ".join(candidates) + " text" + ("" if encoding != "auto" else
                                                      " (set data.csv.encoding in study.yml)"))]


def _read_csv(path: Path, display: str, delimiter: str, encoding: str):
    raw = path.read_bytes()
    text, used, problems = _decode(raw, display, encoding)
    if text is None:
        return None, problems
    try:
        delim = sniff_delimiter(text) if delimiter == "auto" else delimiter
        frame, found = read_csv_text(text, delim, display)
    except csv.Error as exc:  # a cell longer than the csv module's field limit
        return None, problems + [Problem(display, "(file)", f"not readable as CSV ({exc})",
                                         expected=f"cells of at most {csv.field_size_limit()} "
                                         "characters")]
    except pd.errors.EmptyDataError:
        return None, [Problem(display, "(file)", "file is empty", expected="a header and rows")]
    except pd.errors.ParserError as exc:
        return None, [Problem(display, "(file)", "not readable as CSV; the file may be "
                              f"truncated ({str(exc).strip()})",
                              expected=f"CSV with {delim!r} between fields")]
    problems += found
    if frame is None:
        return None, problems
    frame.columns = [str(c).strip() for c in frame.columns]
    blank = blank_rows(frame)
    if blank.any():
        problems.append(Problem(display, "(file)", f"{int(blank.sum())} row(s) empty apart from "
                                "delimiters; skipped", found=f"row {int(blank.idxmax()) + 2}",
                                severity="warning"))
        frame = frame[~blank]
    if frame.empty:
        return None, [Problem(display, "(file)", "file has a header but no rows",
                              expected="at least one respondent row")]
    return RawTable(frame.astype("string"), "csv", 2, encoding=used, delimiter=delim), problems


class _ScanningReader(OpenpyxlReader):
    """pandas' openpyxl reader that notes Excel error cells (``#N/A``, ``#DIV/0!``: pandas
    reads them as blanks) as it converts them, so a workbook is parsed once, not twice."""

    def __init__(self, path: Path):
        self.errors: list[tuple[int, int, str]] = []  # (row, column number, value)
        super().__init__(path, storage_options=None, engine_kwargs={})

    def _convert_cell(self, cell):
        if cell.value is not None and cell.data_type == "e":
            self.errors.append((cell.row, cell.column, cell.value))
        return super()._convert_cell(cell)


def _read_xlsx(path: Path, display: str, sheet):
    sheet_name = 0 if sheet is None else sheet
    try:
        reader = _ScanningReader(path)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on broken files
        return None, [Problem(display, "(file)", "workbook cannot be read; it may be damaged or "
                              f"truncated ({type(exc).__name__})")]
    try:
        frame = reader.parse(sheet_name=sheet_name, dtype=object)
        header = _xlsx_header(reader.book, sheet)
    except ValueError as exc:
        if "not found" in str(exc).lower() or "worksheet" in str(exc).lower():
            return None, [Problem(display, "(file)", "sheet not found in the workbook",
                                  found=sheet, expected="a sheet name from the workbook")]
        return None, [Problem(display, "(file)", f"workbook cannot be read ({exc})")]
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on broken files
        return None, [Problem(display, "(file)", "workbook cannot be read; it may be damaged or "
                              f"truncated ({type(exc).__name__})")]
    finally:
        reader.close()
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.dropna(how="all")
    if frame.empty:
        return None, [Problem(display, "(file)", "sheet has a header but no rows",
                              expected="at least one respondent row")]
    problems = _xlsx_cells(display, header, reader.errors)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return RawTable(frame, "xlsx", 2), problems


def _xlsx_header(book, sheet) -> list[str]:
    """The sheet's first row as Excel shows it (only that row is parsed)."""
    try:
        sheet_ = book[sheet] if isinstance(sheet, str) else book.worksheets[sheet or 0]
        first = next(sheet_.iter_rows(max_row=1), [])
    except Exception:  # noqa: BLE001 - pandas read the workbook; this only adds checks
        return []
    return [str(c.value).strip() if c.value is not None else "" for c in first]


def _xlsx_cells(display: str, header: list[str],
                errors: list[tuple[int, int, str]]) -> list[Problem]:
    """What pandas hides in a workbook: a column name given twice (it renames the second
    ``name.1``) and error cells such as ``#N/A`` or ``#DIV/0!`` (it reads them as blanks)."""
    problems = [Problem(display, f"column {name}", "column name occurs more than once",
                        found=name, expected="unique column names")
                for name in sorted({n for n in header if n and header.count(n) > 1})]
    errors = [(r, header[c - 1] if c - 1 < len(header) else str(c), value)
              for r, c, value in errors]
    problems += [Problem(display, f"row {r}, column {name}", "Excel error value in a cell",
                         found=value, expected="a value, or an empty cell for a missing answer")
                 for r, name, value in errors[:50]]
    if len(errors) > 50:
        problems.append(Problem(display, "(file)", f"{len(errors) - 50} more Excel error cells"))
    return problems


def _read_sav(path: Path, display: str):
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except Exception as exc:  # noqa: BLE001 - pyreadstat raises its own and OS errors
        return None, [Problem(display, "(file)", "SPSS file cannot be read; it may be damaged "
                              f"or truncated ({type(exc).__name__}: {exc})")]
    if frame.empty:
        return None, [Problem(display, "(file)", "SPSS file has no cases",
                              expected="at least one respondent")]
    labels = {k: dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    missing = {k: list(v) for k, v in (getattr(meta, "missing_ranges", None) or {}).items()}
    return RawTable(frame, "sav", 1, value_labels=labels, user_missing=missing), []


def _read_parquet(path: Path, display: str):
    try:
        names = pq.read_schema(path).names
    except Exception:  # noqa: BLE001 - reported below by read_parquet
        names = []
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return None, [Problem(display, f"column {name}", "column name occurs more than once",
                              found=name, expected="unique column names") for name in twice]
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds on broken files
        return None, [Problem(display, "(file)", "Parquet file cannot be read; it may be "
                              f"damaged or truncated ({type(exc).__name__})")]
    if frame.empty:
        return None, [Problem(display, "(file)", "Parquet file has no rows",
                              expected="at least one respondent row")]
    frame.columns = [str(c) for c in frame.columns]
    return RawTable(frame.reset_index(drop=True), "parquet", 1), []

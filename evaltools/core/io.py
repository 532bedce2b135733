"""Writing output files atomically: a temporary file beside the target, then one rename.

A reader (or a crash) never sees a half-written file: either the old content or the new.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | Path, data: bytes, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` atomically (parent folders are created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode(encoding))


#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def csv_safe(frame):
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'`` (which spreadsheets show as text); numbers, also negative numbers written as
    text, stay as they are. :func:`csv_unsafe` undoes it on reading.

    Examples
    --------
    >>> import pandas as pd
    >>> csv_safe(pd.DataFrame({"a": ["=1+1", "-2.5", "@x", "ok"], "b": [-1, 2, 3, 4]})
    ...          ).to_dict("list")
    {'a': ["'=1+1", '-2.5', "'@x", 'ok'], 'b': [-1, 2, 3, 4]}
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not (values.dtype.kind in "O" or str(values.dtype) == "string"):
            continue
        if values.dtype != object and not values.str.startswith(  # a text dtype
                FORMULA_STARTS).fillna(False).any():
            continue  # text only, none starting like a formula: nothing to change (most)
        out[column] = values.map(_safe_cell)
    return out


def _safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_unsafe(value):
    """The text :func:`csv_safe` neutralised, as it was (other values unchanged)."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and \
            value[1:].startswith(FORMULA_STARTS) and not _NUMBER.match(value[1:]):
        return value[1:]
    return value

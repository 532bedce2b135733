"""Exchange between registers: export to CSV or Parquet with a JSON Schema, import back.

An export is two files: the rows (``.csv``: UTF-8, comma-separated, ``.`` as the decimal
point, ``true``/``false``, empty for missing; or ``.parquet``) and ``<name>.schema.json``, a
JSON Schema (draft 2020-12) for one row, with the register's column descriptions. Importing
checks every row against the register's rules and adds the rows whose ``result_id`` is not
present yet, so importing the same export twice changes nothing. A CSV file re-saved by a
spreadsheet with Dutch settings (semicolons, decimal commas) is read as well.
"""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path

import pandas as pd

from evaltools.core.io import atomic_write_bytes, atomic_write_text, csv_safe, csv_unsafe
from evaltools.register.columns import ARM_COLUMNS, COLUMNS, KEY_COLUMNS
from evaltools.register.database import CELL_FLOOR, Register, RegisterError

__all__ = ["export_register", "import_register", "read_export", "json_schema",
           "SCHEMA_VERSION", "FORMATS"]

#: Version of the exchange format (the row schema); bumped with every register migration
#: that changes the columns.
#: 2: site_name; 3: arm, comparison_arm (both optional, so earlier exports import unchanged)
SCHEMA_VERSION = 4
FORMATS = ("csv", "parquet")
_JSON_TYPES = {"text": "string", "integer": "integer", "number": "number",
               "boolean": "boolean"}


def json_schema() -> dict:
    """The JSON Schema of one exported row."""
    properties = {}
    for col in COLUMNS:
        spec: dict = {"type": _JSON_TYPES[col.kind] if col.required
                      else [_JSON_TYPES[col.kind], "null"], "description": col.description}
        if col.enum:
            spec["enum"] = [*col.enum] + ([] if col.required else [None])
        if col.kind == "text" and col.required and col.name != "organisation":
            spec["minLength"] = 1
        if col.name in ("n", "n_intervention", "n_comparison"):
            spec["minimum"] = CELL_FLOOR
        if col.name == "min_cell_size":
            spec["minimum"] = CELL_FLOOR
        if col.name in ("p_value",):
            spec.update(minimum=0, maximum=1)
        if col.name == "se":
            spec["exclusiveMinimum"] = 0
        if col.name == "ci_level":
            spec.update(exclusiveMinimum=0, exclusiveMaximum=1)
        if col.name in ("result_id", "inputs_fingerprint"):
            spec["pattern"] = "^[0-9a-f]{64}$"
        properties[col.name] = spec
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"evaltools-register-row-v{SCHEMA_VERSION}",
        "title": "evaltools evidence register: one result",
        "description": "Aggregate results only: no respondent-level data, no cell below the "
                       "row's min_cell_size. result_id is the SHA-256 of the key columns "
                       "joined by the unit separator (U+001F), followed by the arm columns "
                       "when either is set.",
        "type": "object",
        "additionalProperties": False,
        "required": [c.name for c in COLUMNS if c.required],
        "properties": properties,
        "x-evaltools-schema-version": SCHEMA_VERSION,
        "x-evaltools-key-columns": KEY_COLUMNS,
        "x-evaltools-arm-columns": ARM_COLUMNS,
        "x-evaltools-csv": {"encoding": "utf-8", "delimiter": ",", "decimal": ".",
                            "booleans": ["true", "false"], "missing": ""},
    }


def _format(path: Path, fmt: str | None) -> str:
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise RegisterError(f"{path.name}: unknown exchange format {fmt!r}; use a .csv or "
                            ".parquet file name (or --format csv|parquet)")
    return fmt


def schema_path(path: Path) -> Path:
    """Where the JSON Schema of an export lives: ``<name>.schema.json`` beside it."""
    return path.with_name(path.name.rsplit(".", 1)[0] + ".schema.json")


def export_register(register: Register, path: str | Path, *, fmt: str | None = None,
                    current: bool = False) -> tuple[Path, int]:
    """Write the register's rows (``current``: only the newest per result) and the schema.

    Returns
    -------
    (path, rows written)
    """
    path = Path(path)
    fmt = _format(path, fmt)
    frame = register.read(current=current)
    if fmt == "csv":
        text = csv_safe(frame).assign(**{c.name: frame[c.name].map(
            lambda v: "" if pd.isna(v) else ("true" if v else "false"))
            for c in COLUMNS if c.kind == "boolean"}).to_csv(
            index=False, lineterminator="\n", float_format="%.17g")
        atomic_write_text(path, text)
    else:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        atomic_write_bytes(path, buffer.getvalue())
    atomic_write_text(schema_path(path), json.dumps(json_schema(), indent=2) + "\n")
    return path, len(frame)


def import_register(register: Register, path: str | Path, *, fmt: str | None = None
                    ) -> tuple[int, int]:
    """Check an export and add its new rows.

    Returns
    -------
    (added, already_present)

    Raises
    ------
    RegisterError
        The file cannot be read, is of a newer exchange version, or breaks the register's
        rules (every problem is listed with row, column, value and rule); nothing is added.
    """
    path = Path(path)
    return register.add(read_export(path, fmt=fmt), source=path.name)


def read_export(path: str | Path, *, fmt: str | None = None) -> pd.DataFrame:
    """The rows of an export as written (unchecked: :func:`evaltools.register.check_rows`
    checks them). A CSV re-saved by a Dutch spreadsheet (semicolons, decimal commas) is read
    too.

    Raises
    ------
    RegisterError
        The file is missing, of an unknown format or a newer exchange version, or unreadable.
    """
    path = Path(path)
    fmt = _format(path, fmt)
    if not path.is_file():
        raise RegisterError(f"{path}: no such file")
    sidecar = schema_path(path)
    if sidecar.is_file():
        try:
            version = json.loads(sidecar.read_text("utf-8")).get("x-evaltools-schema-version")
        except ValueError as exc:
            raise RegisterError(f"{sidecar.name}: not valid JSON ({exc})") from None
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise RegisterError(f"{path.name} uses register exchange format {version}; this "
                                f"evaltools reads up to {SCHEMA_VERSION}: upgrade evaltools")
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        with open(path, encoding="utf-8-sig") as handle:
            header = handle.readline()
        dutch = ";" in header and "," not in header
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                            sep=";" if dutch else ",")
        if dutch:
            numeric = [c.name for c in COLUMNS if c.kind in ("integer", "number")
                       and c.name in frame.columns]
            frame[numeric] = frame[numeric].apply(
                lambda col: col.str.replace(",", ".", regex=False))
        return frame.map(csv_unsafe).replace("", None)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise RegisterError(f"{path.name}: cannot be read as {fmt} ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own error types
        raise RegisterError(f"{path.name}: cannot be read as {fmt} "
                            f"({type(exc).__name__}: {exc})") from None


def committed_schema() -> Path:
    """The schema as shipped in evaltools/schemas/ (documentation; a test keeps it current)."""
    return Path(str(resources.files("evaltools.schemas").joinpath("register.schema.json")))


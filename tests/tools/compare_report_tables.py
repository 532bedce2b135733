"""Compare the published tables of two report folders (for example ``make demo`` before and
after a refactoring): every ``tables/*.csv`` and ``tables.json`` must be identical.

Usage::

    python tests/tools/compare_report_tables.py BEFORE/reports AFTER/reports

``meta.json`` (creation date, evaltools version) is left out, and so are the columns and keys
that record when or with which version a row was made (``VOLATILE``), in the tables and in two
register exports named with ``--register BEFORE.csv AFTER.csv``. Exits 1 and lists the
differences, 0 when identical.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import pandas as pd

VOLATILE = {"created", "recorded_at", "evaltools_version", "inputs_fingerprint", "result_id"}


def table_files(root: Path) -> dict[str, Path]:
    """Relative path -> file, for every published table under ``root``."""
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("tables/*"))
            if p.name != "meta.json" and p.suffix in (".csv", ".json")}


def _drop_volatile(value):
    if isinstance(value, dict):
        return {k: _drop_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_drop_volatile(v) for v in value]
    return value


def _content(path: Path):
    """A table's content, byte for byte except the time-stamp and version columns."""
    if path.suffix == ".json":
        return _drop_volatile(json.loads(path.read_text("utf-8")))
    lines = path.read_text("utf-8").splitlines()
    if not lines:
        return lines
    header = next(csv.reader([lines[0]]))
    if not VOLATILE & set(header):
        return lines
    keep = [i for i, c in enumerate(header) if c not in VOLATILE]
    return [[row[i] for i in keep] for row in csv.reader(lines)]


def compare(before: Path, after: Path) -> list[str]:
    """The differences between the tables of two report folders (empty when identical)."""
    old, new = table_files(before), table_files(after)
    problems = [f"only in {before}: {k}" for k in sorted(old.keys() - new.keys())]
    problems += [f"only in {after}: {k}" for k in sorted(new.keys() - old.keys())]
    problems += [f"differs: {k}" for k in sorted(old.keys() & new.keys())
                 if _content(old[k]) != _content(new[k])]
    if not old:
        problems.append(f"no tables under {before}")
    return problems


def compare_register(before: Path, after: Path) -> list[str]:
    """Differences between two register exports, leaving out dates, versions and ids."""
    a, b = (pd.read_csv(p, dtype=str, keep_default_na=False) for p in (before, after))
    a, b = (f.drop(columns=[c for c in VOLATILE if c in f.columns]) for f in (a, b))
    key = [c for c in a.columns if c not in ("estimate",)]
    a, b = (f.sort_values(key).reset_index(drop=True) for f in (a, b))
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return [f"register exports differ in shape: {a.shape} vs {b.shape}"]
    diff = (a != b).any(axis=1)
    return [f"register row differs: {a.loc[i].to_dict()} vs {b.loc[i].to_dict()}"
            for i in a.index[diff][:10]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--register", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args(argv)
    problems = compare(args.before, args.after)
    if args.register:
        problems += compare_register(*args.register)
    for line in problems:
        print(line)
    n = len(table_files(args.before))
    print(f"{n} tables compared: " + ("identical" if not problems else
                                      f"{len(problems)} differences"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""The script that compares two report folders' tables (used to check a refactoring)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "compare_report_tables", Path(__file__).parent / "tools" / "compare_report_tables.py")
compare_tables = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_tables)


def _reports(root: Path, value: str) -> Path:
    tables = root / "study" / "t1" / "all" / "prepost" / "tables"
    tables.mkdir(parents=True)
    (tables / "change.csv").write_text(f"scale,n,mean\nbrs,40,{value}\n")
    (tables / "meta.json").write_text(f'{{"created": "{value}"}}')
    return root


def test_identical_tables_pass_and_a_changed_value_fails(tmp_path, capsys):
    a = _reports(tmp_path / "a", "3.1")
    b = _reports(tmp_path / "b", "3.1")
    c = _reports(tmp_path / "c", "3.2")
    assert compare_tables.main([str(a), str(b)]) == 0
    assert "1 tables compared: identical" in capsys.readouterr().out
    assert compare_tables.main([str(a), str(c)]) == 1
    assert "differs: study/t1/all/prepost/tables/change.csv" in capsys.readouterr().out


def test_a_missing_table_fails(tmp_path):
    a = _reports(tmp_path / "a", "3.1")
    (tmp_path / "b").mkdir()
    assert compare_tables.compare(a, tmp_path / "b") == [
        f"only in {a}: study/t1/all/prepost/tables/change.csv"]

"""Strict YAML reading: line numbers, YAML 1.2 booleans, dates as text, repeated keys."""

from __future__ import annotations

from pathlib import Path

from evaltools.core.yamlio import format_path, read_yaml


def _doc(tmp_path: Path, text: str):
    path = tmp_path / "x.yml"
    path.write_text(text, "utf-8")
    return read_yaml(path, "x.yml")


def test_lines_of_nested_keys(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "a: 1\nb:\n  - c: 2\n    d: 3\n  - c: 4\n")
    assert doc.lines[("a",)] == 1
    assert doc.lines[("b", 0, "d")] == 4
    assert doc.lines[("b", 1)] == 5
    assert doc.line_of(("b", 1, "c", "deeper")) == 5
    assert format_path(("b", 1, "c")) == "b[1].c"


def test_scalars_keep_their_spelling(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "d: 2024-09-01\nn: no\no: on\nt: true\nf: False\ni: 3\n")
    assert doc.data == {"d": "2024-09-01", "n": "no", "o": "on", "t": True, "f": False, "i": 3}


def test_repeated_key(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "a: 1\nb: 2\na: 3\n")
    assert [(p.location, p.line) for p in doc.problems] == [("a", 3)]
    assert "first on line 1" in doc.problems[0].message


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert read_yaml(path).data == {"a": 1}


def test_tabs_and_bad_indentation_are_syntax_errors_with_a_line(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "a:\n  b: 1\n c: 2\n")
    assert doc.data is None
    assert doc.problems[0].line == 3

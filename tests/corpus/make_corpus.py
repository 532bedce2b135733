"""Write the bad-input corpus: one broken wave file per case (run from this folder).

    ../../.venv/bin/python make_corpus.py

The files are committed; tests/test_corpus.py says what each must produce. The study they
belong to is study.yml in this folder (one instrument, BRS; sites a and b).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat

HERE = Path(__file__).parent
OUT = HERE / "files"
HEADER = ["id", "site", "group"] + [f"brs_{k}" for k in range(1, 7)]
GOOD = [["1", "a", "interventie", "4", "2", "4", "2", "4", "2"],
        ["2", "b", "controle", "3", "3", "3", "3", "3", "9"],
        ["3", "a", "controle", "5", "1", "5", "1", "", "1"]]


def csv_text(rows, header=HEADER, sep=";") -> str:
    return "\r\n".join(sep.join(r) for r in [header, *rows]) + "\r\n"


def frame(rows=GOOD, header=HEADER) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=header)
    for column in header[3:]:
        df[column] = pd.to_numeric(df[column], errors="coerce")
    return df


def xlsx_bytes(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.to_excel(buffer, index=False)
    return buffer.getvalue()


def sav_bytes(df: pd.DataFrame, path: Path) -> bytes:
    pyreadstat.write_sav(df, str(path))
    data = path.read_bytes()
    path.unlink()
    return data


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    good_csv = csv_text(GOOD)
    tmp = OUT / "tmp.sav"
    files: dict[str, bytes] = {
        "empty.csv": b"",
        "blank_lines.csv": b"\r\n\r\n  \r\n",
        "header_only.csv": csv_text([]).encode(),
        "truncated.csv": good_csv.encode()[:-12],
        "too_many_fields.csv": csv_text(GOOD[:1] + [GOOD[1] + ["7"]]).encode(),
        "unclosed_quote.csv": (good_csv + '4;a;"controle;1;1;1;1;1;1\r\n').encode(),
        "undecodable.csv": good_csv.encode().replace(b"interventie", b"interv\x81\x8dntie"),
        "xlsx_named_csv.csv": xlsx_bytes(frame()),
        "pdf_named_csv.csv": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        "binary_junk.csv": bytes(range(256)) * 4,
        "text_named_xlsx.xlsx": good_csv.encode(),
        "truncated.xlsx": xlsx_bytes(frame())[:600],
        "header_only.xlsx": xlsx_bytes(frame([])),
        "text_named_sav.sav": good_csv.encode(),
        "truncated.sav": sav_bytes(frame(), tmp)[:300],
        "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
        "notes.docx": _zip_with("word/document.xml"),
        "missing_item_column.csv": csv_text([r[:5] + r[6:] for r in GOOD],
                                            HEADER[:5] + HEADER[6:]).encode(),
        "missing_id_column.csv": csv_text([r[1:] for r in GOOD], HEADER[1:]).encode(),
        "misspelt_column.csv": csv_text(GOOD, HEADER[:3] + ["brs-1"] + HEADER[4:]).encode(),
        "duplicate_column.csv": csv_text(GOOD, HEADER[:8] + ["brs_1"]).encode(),
        "out_of_range.csv": csv_text(GOOD[:2] + [GOOD[2][:3] + ["6"] + GOOD[2][4:]]).encode(),
        "negative_value.csv": csv_text([GOOD[0][:4] + ["-1"] + GOOD[0][5:]] + GOOD[1:]).encode(),
        "decimal_value.csv": csv_text([GOOD[0][:5] + ["3,5"] + GOOD[0][6:]] + GOOD[1:]).encode(),
        "non_numeric.csv": csv_text([GOOD[0][:6] + ["vaak"] + GOOD[0][7:]] + GOOD[1:]).encode(),
        "unknown_site.csv": csv_text([GOOD[0][:1] + ["Rotterdam"] + GOOD[0][2:]]
                                     + GOOD[1:]).encode(),
        "unknown_group.csv": csv_text([GOOD[0][:2] + ["interventiegroep"] + GOOD[0][3:]]
                                      + GOOD[1:]).encode(),
        "missing_group.csv": csv_text([GOOD[0][:2] + [""] + GOOD[0][3:]] + GOOD[1:]).encode(),
        "out_of_range.sav": sav_bytes(frame(GOOD[:1] + [GOOD[1][:3] + ["7"] + GOOD[1][4:]]),
                                      tmp),
        "out_of_range.xlsx": xlsx_bytes(frame(GOOD[:1] + [GOOD[1][:8] + ["0"]])),
        "out_of_range.parquet": _parquet(frame(GOOD[:2] + [GOOD[2][:4] + ["8"] + GOOD[2][5:]])),
        **hostile_files(),
    }
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(files)} files to {OUT}")


def hostile_files() -> dict[str, bytes]:
    """What fieldwork agencies, spreadsheets and survey platforms also deliver (issue 14)."""
    good_csv = csv_text(GOOD)
    return {
        "huge_cell.csv": csv_text([GOOD[0][:6] + ["x" * 200_000] + GOOD[0][7:]]).encode(),
        "utf16.csv": good_csv.encode("utf-16"),
        "formula_site.csv": csv_text([GOOD[0][:1] + ["=cmd|' /C calc'!A0"] + GOOD[0][2:]]
                                     ).encode(),
        "only_delimiters.csv": csv_text([[""] * 9, [" "] * 9]).encode(),
        "html_error_page.csv": b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>"
                               b"</body></html>\n",
        "json_export.csv": b'[{"id": 1, "site": "a", "brs_1": 4}]\n',
        "nul_in_text.csv": good_csv.encode().replace(b"interventie", b"interv\x00ntie"),
        "bom_undecodable.csv": b"\xef\xbb\xbf" + good_csv.encode().replace(b"interventie",
                                                                          b"interv\x81ntie"),
        "password.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
                         + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512,
        "no_ids.csv": csv_text([[""] + r[1:] for r in GOOD]).encode(),
        "duplicate_column.parquet": _parquet_table(HEADER[:8] + ["brs_1"], GOOD[0]),
        "excel_error_cells.xlsx": _workbook(HEADER, [GOOD[0][:3] + [4, "#N/A", 4, 2, 4,
                                                                    "#DIV/0!"]]),
        "duplicate_column.xlsx": _workbook(HEADER[:8] + ["brs_1"],
                                           [GOOD[0][:3] + [4, 2, 4, 2, 4, 2]]),
    }


def _parquet_table(header: list, row: list) -> bytes:
    """A Parquet file with the columns as given (pandas would refuse duplicate names)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table([pa.array([v]) for v in row], names=header), buffer)
    return buffer.getvalue()


def _workbook(header: list, rows: list) -> bytes:
    """An .xlsx written cell by cell (openpyxl stores '#N/A' as an error cell)."""
    import openpyxl

    book = openpyxl.Workbook()
    for row in [header, *rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip_with(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(member, "<w:document/>")
    return buffer.getvalue()


def _parquet(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False)
    return buffer.getvalue()


if __name__ == "__main__":
    main()

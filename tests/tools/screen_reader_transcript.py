"""Write how a screen reader reads the first screen of a rendered report, as plain text.

Usage::

    python tests/tools/screen_reader_transcript.py REPORT.html [OUT.txt]

Reads Chromium's accessibility tree with :func:`evaltools.reports.accessibility.accessibility_tree`
up to the first appendix heading and writes one line per item, the way browse mode reads it:
``[heading 2] Samenvatting``; a table cell with the headers a screen reader announces with it
(``[cell] Veerkracht (BRS) / verschil in verandering | Verschil: 0,40``). The header names the
date, the Chromium version and the page, so a later reading can be compared with this one
(``tests/reference/screen_reader/``).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd

from evaltools.core.i18n import t
from evaltools.reports.accessibility import accessibility_tree, find_chromium


def reading_lines(read: pd.DataFrame, language: str, cells: int = 15) -> list[str]:
    """One line per item read, up to the first appendix heading; of each table the first
    ``cells`` cells (the rest counted)."""
    appendix = {t("sec.appendix", language), t("sec.methods", language)}
    lines = []
    in_table = skipped = 0
    for r in read.itertuples():
        if r.role in ("cell", "rowheader"):
            in_table += 1
            if in_table > cells:
                skipped += 1
                continue
        elif r.role != "columnheader":
            if skipped:
                lines.append(f"    ... ({skipped} more cells of this table)")
            in_table = skipped = 0
        if r.role == "heading" and r.name in appendix:
            lines.append(f"[heading {int(r.level)}] {r.name}  (the appendix; reading stops)")
            break
        if r.role == "text":
            lines.append(f"    {r.name}")
        elif r.role == "heading":
            lines.append(f"[heading {int(r.level)}] {r.name}")
        elif r.role in ("cell", "rowheader"):
            context = " | ".join(x for x in (r.row_headers, r.column_headers) if x)
            lines.append(f"[{r.role}] {context}: {r.name}" if context else
                         f"[{r.role}] {r.name}")
        else:
            lang = f" (lang={r.lang})" if r.lang and r.lang != language else ""
            lines.append(f"[{r.role}] {r.name}{lang}".rstrip())
    return lines


def main(page: str, out: str | None = None) -> None:
    chromium = find_chromium()
    version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout
    read = accessibility_tree([page], chromium=chromium)
    language = read["lang"].iloc[0] or "nl"
    text = "\n".join([
        f"# Screen-reader reading (Chromium accessibility tree, browse-mode order) of {page}",
        f"# {dt.date.today().isoformat()}, {version.strip()}",
        "# [role] name; cells as 'row headers | column header: value'", "",
        *reading_lines(read, language)]) + "\n"
    if out:
        Path(out).write_text(text, "utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(*sys.argv[1:])

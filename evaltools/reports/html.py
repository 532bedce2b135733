"""HTML building blocks of the reports: escaped text, tables, embedded figures, kept tables.

Every rendered report (:class:`~evaltools.reports.notebook.Report`, the site synthesis sections,
the "Wat werkt" overview) builds its HTML and its published tables with these helpers.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Image
from matplotlib.text import Text

from evaltools.core.i18n import number
from evaltools.core.io import csv_safe
from evaltools.core.version import __version__

__all__ = ["Shown", "write_tables", "png", "escape", "suppress_count", "count_text",
           "table_html"]


@dataclass
class Shown:
    """A table shown in a report, kept to be published beside it."""

    name: str
    frame: pd.DataFrame


def write_tables(tables: list[Shown], folder: str | Path, meta: dict) -> None:
    """Each table as CSV, all as ``tables.json``, and ``meta.json`` (with date and version)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    payload = {}
    for shown in tables:
        csv_safe(shown.frame).to_csv(out / f"{shown.name}.csv", index=False,
                                     lineterminator="\n")
        payload[shown.name] = json.loads(shown.frame.to_json(orient="records"))
    (out / "tables.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False),
                                     "utf-8")
    meta = {**meta, "created": dt.date.today().isoformat(), "evaltools_version": __version__}
    (out / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), "utf-8")


def png(fig, bbox_inches: str | None = "tight"):
    """A matplotlib figure as an embedded PNG (96 dpi), whatever the plotting backend; the
    figure is closed afterwards."""
    buffer = io.BytesIO()
    for text in fig.findobj(Text):  # labels are users' text: "$5 tot $10" is no formula
        text.set_parse_math(False)
    fig.savefig(buffer, format="png", dpi=96, bbox_inches=bbox_inches)
    plt.close(fig)
    return Image(data=buffer.getvalue(), format="png")


def escape(text) -> str:
    """``text`` as a string, escaped for HTML."""
    return html.escape(str(text))


def suppress_count(n, study) -> float:
    """``n``, or NaN where it is a count below the study's minimum cell size (but not 0)."""
    return np.nan if 0 < n < study.min_cell_size else n


def count_text(n, report) -> str:
    """A count as the report shows it: ``< k`` for a suppressed (or small) count."""
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return f"< {report.study.min_cell_size}"
    if 0 < n < report.study.min_cell_size:
        return f"< {report.study.min_cell_size}"
    return number(n, report.language, 0)


def table_html(heading: str, header: list[str], rows: list[list[str]], report, level: int = 2):
    """An HTML table with an optional heading; ``report.tr`` words the empty case."""
    if not rows:
        body = f"<p>{escape(report.tr('txt.no_data'))}</p>"
    else:
        head = "".join(f"<th>{escape(h)}</th>" for h in header)
        body = ("<table class='evaltools'><thead><tr>" + head + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>"
                          for r in rows) + "</tbody></table>")
    title = f"<h{level}>{escape(heading)}</h{level}>" if heading else ""
    return HTML(title + body)

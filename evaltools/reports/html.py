"""HTML building blocks of the reports: escaped text, tables, embedded figures, kept tables.

Every rendered report (:class:`~evaltools.reports.notebook.Report`, the site synthesis sections,
the "Wat werkt" overview) builds its HTML and its published tables with these helpers.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import io
import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.text import Text

from evaltools.analysis.disclosure import suppress_frame
from evaltools.core.errors import EvaltoolsError
from evaltools.core.i18n import number
from evaltools.core.io import atomic_write_text, csv_safe
from evaltools.core.version import __version__
from evaltools.reports.language import mark_quoted_terms  # noqa: F401 - re-exported

__all__ = ["Shown", "Figure", "write_tables", "png", "escape", "suppress_count", "count_text",
           "table_html", "mark_quoted_terms"]


@dataclass
class Shown:
    """A table shown in a report, kept to be published beside it."""

    name: str
    frame: pd.DataFrame


def write_tables(tables: list[Shown], folder: str | Path, meta: dict, *,
                 min_cell_size: int | None) -> None:
    """Each table as CSV, all as ``tables.json``, and ``meta.json`` (with date and version).

    Every table passes :func:`evaltools.analysis.disclosure.suppress_frame` with
    ``min_cell_size`` on its way out (the one gate before published files); ``None`` only for
    tables that describe no respondents (a planning report's assumptions).
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    payload = {}
    for shown in tables:
        frame = shown.frame if min_cell_size is None else suppress_frame(shown.frame,
                                                                         min_cell_size)
        atomic_write_text(out / f"{shown.name}.csv",
                          csv_safe(frame).to_csv(index=False, lineterminator="\n"))
        payload[shown.name] = json.loads(frame.to_json(orient="records"))
    atomic_write_text(out / "tables.json", json.dumps(payload, indent=1, ensure_ascii=False))
    meta = {**meta, "created": dt.date.today().isoformat(), "evaltools_version": __version__}
    atomic_write_text(out / "meta.json", json.dumps(meta, indent=1, ensure_ascii=False))


@dataclass(frozen=True)
class Figure:
    """An embedded PNG figure with its text alternative, as a notebook display object.

    Jupyter and the exported HTML show ``<img alt="...">`` (the HTML representation comes
    first); the plain PNG stays in the notebook for viewers that show only images. A
    ``caption`` is HTML text under the image (``<figure>``/``<figcaption>``), not pixels: it
    can be read aloud, enlarged and translated (WCAG 2.1 success criterion 1.4.5, images of
    text), and drawing it in the figure was a sixth of a change figure's time.
    """

    data: bytes
    alt: str
    caption: str = ""

    def _repr_mimebundle_(self, include=None, exclude=None):
        encoded = base64.b64encode(self.data).decode("ascii")
        return {"text/html": self.html(), "image/png": encoded,
                "text/plain": f"<figure: {self.alt}>"}

    def html(self) -> str:
        """The figure as an ``<img>`` element with the PNG inline."""
        encoded = base64.b64encode(self.data).decode("ascii")
        image = (f'<img class="figure" src="data:image/png;base64,{encoded}" '
                 f'alt="{escape(self.alt)}">')
        if not self.caption:
            return image
        return f"<figure>{image}<figcaption>{escape(self.caption)}</figcaption></figure>"


def png(fig, bbox_inches: str | None = "tight", *, alt: str, caption: str = "") -> Figure:
    """A matplotlib figure as an embedded PNG (96 dpi) with a text alternative.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Drawn with any backend; closed afterwards.
    bbox_inches : str or None
        As :meth:`matplotlib.figure.Figure.savefig`; ``None`` keeps the figure's own layout.
    alt : str
        What the figure shows, in the report's language (WCAG 2.1 success criterion 1.1.1);
        screen readers read it and the PDF and Word versions keep it.
    caption : str
        Shown under the figure as text (optional).

    Returns
    -------
    Figure
        Shown as ``<img alt="...">`` in the report.

    Raises
    ------
    EvaltoolsError
        ``alt`` is empty.
    """
    if not alt.strip():
        raise EvaltoolsError("a report figure needs a text alternative: png(fig, alt=...) "
                             "was given an empty alt")
    buffer = io.BytesIO()
    for text in fig.findobj(Text):  # labels are users' text: "$5 tot $10" is no formula
        text.set_parse_math(False)
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        # left by tight_layout: savefig would draw the figure once more only to lay it out
        fig.set_layout_engine(None)
    # zlib's fastest level: the same pixels, files about 5 % larger, encoded in 5 instead of
    # 13 ms (a tenth of a change figure's time)
    fig.savefig(buffer, format="png", dpi=96, bbox_inches=bbox_inches,
                pil_kwargs={"compress_level": 1})
    plt.close(fig)
    return Figure(buffer.getvalue(), alt.strip(), caption.strip())


def escape(text) -> str:
    """``text`` as a string, escaped for HTML."""
    return html.escape(str(text))


def suppress_count(n, study) -> float:
    """``n``, or NaN where it is a count below the study's minimum cell size (but not 0)."""
    return np.nan if 0 < n < study.min_cell_size else n


def count_text(n, report) -> str:
    """A count as the report shows it: ``< k`` for 1 to k - 1 respondents, 0 as 0, and one
    wording for every count that disclosure control hid (NaN or None): "onderdrukt (minder
    dan k, of daaruit af te leiden)".

    A hidden count may be small or a complement (hidden so that a small count cannot be
    derived by subtraction, and then possibly large): ``< k`` would misstate a complement, and
    two wordings would tell the reader which is which and with the totals give the small
    count away. So every hidden count reads the same.
    """
    k = report.study.min_cell_size
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return report.tr("suppressed_count", k=k)
    if 0 < n < k:
        return f"< {k}"
    return number(n, report.language, 0)


def table_html(heading: str, header: list[str], rows: list[list[str]], report, level: int = 2,
               *, label: str = "", row_headers: int = 1):
    """An HTML table with an optional heading; ``report.tr`` words the empty case.

    Parameters
    ----------
    heading : str
        Shown as ``<h{level}>`` above the table, which it names (``aria-labelledby``), so a
        screen reader says the table's name when entering it. ``""`` for a table under a
        heading shown elsewhere; then ``label`` names it.
    header : list of str
        The column headers (``<th scope="col">``).
    rows : list of list of str
        The cells, as text.
    report
        Anything with ``tr(key)`` (the report), for the text of an empty table.
    level : int
        The heading's level.
    label : str
        The table's accessible name (``aria-label``) when it has no ``heading``.
    row_headers : int
        How many leading columns label the row (``<th scope="row">``, styled as plain cells):
        a screen reader then says e.g. the scale and group with every number of the row.

    Raises
    ------
    EvaltoolsError
        Neither ``heading`` nor ``label`` is given: a table without a name.
    """
    if not (heading or label).strip():
        raise EvaltoolsError(f"a report table needs a name: table_html(heading=..., or "
                             f"label=...) got neither for the table with columns {header}")
    title = ""
    if heading:
        anchor = "t-" + hashlib.sha1(
            json.dumps([heading, header, rows], default=str).encode("utf-8")).hexdigest()[:10]
        title = f"<h{level} id='{anchor}'>{escape(heading)}</h{level}>"
        name = f" aria-labelledby='{anchor}'"
    else:
        name = f" aria-label='{escape(label)}'"
    if not rows:
        body = f"<p>{escape(report.tr('txt.no_data'))}</p>"
    else:
        head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in header)
        body = (f"<table class='evaltools'{name}><thead><tr>" + head + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(_cell(c, i < row_headers) for i, c in enumerate(r))
                          + "</tr>" for r in rows) + "</tbody></table>")
    return HTML(title + body)


def _cell(text, row_header: bool) -> str:
    if row_header:
        return f"<th scope='row'>{escape(text)}</th>"
    return f"<td>{escape(text)}</td>"

"""A study's index page of reports, and the names and style every report page shares.

Apart from :mod:`evaltools.reports.render` so that ``evaltools run`` can refresh the index after
a run with nothing to render without importing papermill and nbconvert
(``benchmarks/pipeline.py``).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from evaltools.core.i18n import t
from evaltools.core.io import atomic_write_text

__all__ = ["write_index", "read_meta", "TEMPLATE_TITLES", "OVERVIEW_FOLDER", "OVERVIEW_STAMP",
           "overview_is_current", "PAGE_CSS"]

TEMPLATE_TITLES = {"prepost": "report.prepost", "controlled": "report.controlled",
                   "data_quality": "report.data_quality", "site_overview": "report.site_overview",
                   "site_synthesis": "report.site_synthesis"}

#: The folder of the register's "Wat werkt" overview, beside the studies' folders.
OVERVIEW_FOLDER = "wat-werkt"
#: Beside each overview page: the fingerprint of the register rows it was built on.
OVERVIEW_STAMP = "register.sha256"

#: The style sheet of report pages and the index.
PAGE_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:62rem;margin:2rem auto;
padding:0 1.2rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.3rem;margin-top:2.2rem;
border-bottom:2px solid #08519c;padding-bottom:.2rem}h3{font-size:1.05rem;margin-top:1.4rem}
.subtitle{color:#555;margin-top:0}.summary{background:#eef4fa;padding:.6rem 1rem;
border-radius:6px}.note{font-size:.9rem;color:#444;font-style:italic}
table.evaltools{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
table.evaltools th,table.evaltools td{border:1px solid #ccd;padding:.25rem .5rem;
text-align:left;vertical-align:top}table.evaltools th{background:#f0f3f7}
table.evaltools tbody th{font-weight:normal;background:none}
img{max-width:100%;height:auto}.small{font-size:.8rem}
figure{margin:.5rem 0 1.2rem}figcaption{font-size:.85rem;color:#444}
a{color:#0b4f8a}a:visited{color:#5a2a82}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}
h2{break-after:avoid}h3{break-after:avoid}table.evaltools{width:100%;font-size:8pt}
table.evaltools th,table.evaltools td{padding:.15rem .3rem;hyphens:auto}
table.evaltools th{overflow-wrap:break-word}tr,img,figure{break-inside:avoid}}
@page{size:A4;margin:18mm 16mm}
"""


def read_meta(folder: Path) -> dict:
    """A report folder's ``tables/meta.json``; empty when it is missing or unreadable."""
    try:
        return json.loads((folder / "tables" / "meta.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _overview_link(reports_dir: Path, language: str) -> str:
    """A link to the register's "Wat werkt" overview, when it has been rendered."""
    page = reports_dir / "wat-werkt" / language / "report.html"
    if not page.is_file():
        return ""
    return (f"<p><a href='../wat-werkt/{language}/report.html'>"
            f"{html.escape(t('report.wat_werkt', language))}</a></p>\n")


def write_index(reports_dir: str | Path, study_id: str) -> Path:
    """Write ``<reports_dir>/<study>/index.html`` linking every report by wave and site.

    The page shows labels, not ids: the study's title, each report's wave and site names and
    its headline finding (from the report's ``tables/meta.json``), in the reports' language.
    Wave, site and report name are the row's headers, so a screen reader says which report a
    headline, status or date belongs to, and a report's link has that context.
    """
    root = Path(reports_dir) / study_id
    entries = []
    titles = []
    for meta_path in sorted(root.glob("*/*/*/tables/meta.json")):
        folder = meta_path.parent.parent
        if any(part.startswith(".") for part in folder.relative_to(root).parts):
            continue  # a report being written (.<template>.tmp-<pid>) or being replaced
        meta = read_meta(folder)
        name, _, superseded = folder.name.partition(".superseded-")
        wave, site = folder.parent.parent.name, folder.parent.name
        titles.append(meta.get("study_title") or "")
        entries.append(((meta.get("wave_label") or wave), (meta.get("site_name") or site),
                        name, "superseded" if superseded else "ok",
                        meta.get("created", ""), meta.get("headline", ""),
                        (folder / "report.html").relative_to(root).as_posix(),
                        meta.get("language", "nl"), wave, site))
    for failed in sorted(root.glob("*/*/*.failed.ipynb")):
        wave, site = failed.parent.parent.name, failed.parent.name
        entries.append((wave, site, failed.name.removesuffix(".failed.ipynb"), "failed", "",
                        "", failed.relative_to(root).as_posix(), "nl", wave, site))
    language = entries[0][7] if entries else "nl"
    title = next((x for x in titles if x), study_id)
    e = html.escape
    status_words = {"nl": {"ok": "actueel", "superseded": "vervangen", "failed": "mislukt"},
                    "en": {"ok": "current", "superseded": "superseded", "failed": "failed"}}
    order = sorted(entries, key=lambda x: (x[8] if x[8] != "all-waves" else "", x[9] != "all",
                                           x[1], x[2], x[3]))
    rows = "".join(
        f"<tr class='{status}'><th scope='row'>{e(wave)}</th><th scope='row'>{e(site)}</th>"
        f"<th scope='row'><a href='{e(link)}'>"
        f"{e(t(TEMPLATE_TITLES.get(template, 'report.prepost'), lang))}</a></th>"
        f"<td>{e(headline)}</td><td>{e(status_words[language].get(status, status))}</td>"
        f"<td>{e(date)}</td></tr>\n"
        for wave, site, template, status, date, headline, link, lang, _, _ in order)
    heads = ("Meting", "Locatie", "Rapport", "Belangrijkste uitkomst", "Status", "Datum") \
        if language == "nl" else ("Wave", "Site", "Report", "Main finding", "Status", "Date")
    page = (f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8">'
            f"<title>{e(title)}</title><style>{PAGE_CSS}"
            "tr.failed td,tr.failed th{color:#b00020}</style></head><body><main>\n"
            f"<h1 id='reports'>{e(title)}</h1>\n{_overview_link(root.parent, language)}"
            "<table class='evaltools' aria-labelledby='reports'><thead><tr>"
            + "".join(f"<th scope='col'>{h}</th>" for h in heads) + "</tr></thead><tbody>\n"
            f"{rows}</tbody></table>\n</main></body></html>\n")
    root.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(root / "index.html", page)


def overview_is_current(reports_dir: str | Path, language: str, fingerprint: str) -> bool:
    """Whether the overview in ``language`` was built on the register rows ``fingerprint``
    identifies (:meth:`evaltools.register.Register.fingerprint`)."""
    stamp = Path(reports_dir) / OVERVIEW_FOLDER / language / OVERVIEW_STAMP
    try:
        return stamp.read_text("utf-8").strip() == fingerprint and \
            (stamp.parent / "report.html").is_file()
    except OSError:
        return False

"""Accessibility checks of rendered reports in a real browser (axe-core in headless Chromium).

Dutch public bodies publish to WCAG 2.1 level AA. :func:`axe_violations` opens each page in
Chromium, runs the axe-core rules of WCAG 2.0/2.1 levels A and AA (and axe's best practices,
such as one ``<main>`` landmark and no skipped heading levels) and returns every violation as
one row. Axe cannot judge whether a text alternative *says* what a figure shows;
:func:`figure_alt_texts` lists them so that a test can. :func:`accessibility_tree` reads what
screen readers read (NVDA, JAWS, VoiceOver and Orca all take Chromium's accessibility tree) and
lists it in the order a screen reader's browse mode speaks it, with each cell's headers.

Needs the optional packages ``playwright`` and ``axe-playwright-python`` (``pip install
evaltools[accessibility]``) and a Chromium browser (Debian: ``apt-get install chromium``);
Playwright's own browser download is not used.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from evaltools.core.errors import EvaltoolsError

__all__ = ["axe_violations", "accessibility_tree", "find_chromium", "figure_alt_texts",
           "heading_levels", "AccessibilityCheckError", "WCAG_AA_TAGS", "TREE_COLUMNS"]

#: The axe-core tags of WCAG 2.0 and 2.1, levels A and AA.
WCAG_AA_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
_COLUMNS = ["page", "rule", "impact", "tags", "target", "summary", "help_url"]
#: The columns of :func:`accessibility_tree`.
TREE_COLUMNS = ["page", "position", "role", "name", "level", "lang", "row_headers",
                "column_headers"]
_CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic"]


class AccessibilityCheckError(EvaltoolsError):
    """The accessibility check could not run (no browser, or a missing optional package)."""


def _missing(exc: ImportError) -> AccessibilityCheckError:
    return AccessibilityCheckError(
        f"the accessibility check needs the optional package {exc.name!r}: "
        "pip install 'evaltools[accessibility]'")


@contextmanager
def _page(chromium: str | None, timeout_ms: int) -> Iterator:
    """A page of a headless Chromium with a throwaway profile (and its accessibility on)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise _missing(exc) from None
    browser = chromium or find_chromium()
    if not browser:
        raise AccessibilityCheckError(
            "no Chromium found for the accessibility check (set EVALTOOLS_CHROMIUM or install "
            "Debian's chromium: .ci/install-browser)")
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=browser, headless=True, args=_CHROMIUM_ARGS)
        try:
            page = context.new_page()
            page.set_default_timeout(timeout_ms)
            yield page
        finally:
            context.close()


def find_chromium() -> str | None:
    """The Chromium executable: ``$EVALTOOLS_CHROMIUM``, else ``chromium`` on the PATH."""
    named = os.environ.get("EVALTOOLS_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def axe_violations(pages: Iterable[str | Path], *, tags: Iterable[str] = WCAG_AA_TAGS,
                   best_practice: bool = True, chromium: str | None = None,
                   timeout_ms: int = 60_000) -> pd.DataFrame:
    """Run axe-core on each page in headless Chromium and list the violations.

    Parameters
    ----------
    pages : iterable of str or Path
        HTML files (opened as ``file://`` pages, as a reader would open a report folder).
    tags : iterable of str
        axe-core rule tags to run; default WCAG 2.0 and 2.1, levels A and AA.
    best_practice : bool
        Also run axe's ``best-practice`` rules (landmarks, heading order, one ``<h1>``).
    chromium : str, optional
        The browser executable; default :func:`find_chromium`.
    timeout_ms : int
        Per page, for loading it and for axe.

    Returns
    -------
    pandas.DataFrame
        One row per violating element: ``page`` (the path as given), ``rule`` (axe rule id),
        ``impact``, ``tags`` (comma-separated), ``target`` (CSS selector), ``summary`` (axe's
        failure summary), ``help_url``. Empty when every page passes.

    Raises
    ------
    AccessibilityCheckError
        No Chromium, or playwright / axe-playwright-python not installed.
    """
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError as exc:
        raise _missing(exc) from None
    run_only = [*tags, "best-practice"] if best_practice else list(tags)
    options = {"runOnly": {"type": "tag", "values": run_only}, "resultTypes": ["violations"]}
    rows = []
    with _page(chromium, timeout_ms) as page:
        axe = Axe()
        for path in pages:
            page.goto(Path(path).resolve().as_uri(), wait_until="load")
            result = axe.run(page, options=options).response
            for rule in result["violations"]:
                for node in rule["nodes"]:
                    rows.append([str(path), rule["id"], rule.get("impact") or "",
                                 ",".join(rule["tags"]), " ".join(map(str, node["target"])),
                                 (node.get("failureSummary") or "").replace("\n", " "),
                                 rule.get("helpUrl", "")])
    return pd.DataFrame(rows, columns=_COLUMNS)


#: Roles read with their accessible name, whose text is not read again (a heading's words).
_NAMED_ROLES = {"heading", "image", "img", "link", "cell", "gridcell", "columnheader",
                "rowheader", "button", "caption"}
#: Roles listed as structure (a screen reader announces entering them), with their name.
_STRUCTURE_ROLES = {"main", "navigation", "banner", "contentinfo", "region", "complementary",
                    "search", "form", "table", "list", "figure", "math"}
_CELL_ROLES = {"cell", "gridcell", "columnheader", "rowheader"}


def accessibility_tree(pages: Iterable[str | Path], *, chromium: str | None = None,
                       timeout_ms: int = 60_000) -> pd.DataFrame:
    """What a screen reader reads on each page, in its reading order (Chromium's tree).

    Screen readers (NVDA, JAWS, VoiceOver, Orca) read a page from the browser's accessibility
    tree, not from the HTML. This opens each page in headless Chromium, takes the full tree
    (DevTools ``Accessibility.getFullAXTree``) and lists it in document order, as browse mode
    ("say all") reads it: landmarks, tables and lists where they begin, headings, images,
    links and table cells with their accessible names, and the text between them.

    Parameters
    ----------
    pages : iterable of str or Path
        HTML files (opened as ``file://`` pages).
    chromium : str, optional
        The browser executable; default :func:`find_chromium`.
    timeout_ms : int
        Per page, for loading it.

    Returns
    -------
    pandas.DataFrame
        One row per item read, in reading order: ``page`` (the path as given), ``position``
        (0, 1, ... per page), ``role`` (``document`` first, named by the page's
        ``<title>``; then Chromium's role: ``heading``, ``image``, ``table``,
        ``columnheader``, ``rowheader``, ``cell``, ``link``, ``main``, ...; ``text`` for text
        outside those), ``name`` (the accessible name; for ``text`` the text),
        ``level`` (a heading's level, else NaN), ``lang`` (the language the item is in: the
        nearest ``lang`` attribute), ``row_headers`` and ``column_headers`` (for table cells:
        the names of the row and column headers a screen reader announces with the cell,
        joined by ``" / "``; for a row header the row headers before it; ``""`` where there
        are none, NaN outside tables).

    Raises
    ------
    AccessibilityCheckError
        No Chromium, or playwright not installed.

    Notes
    -----
    A cell's column headers are the ``columnheader`` cells at its position in the table's
    rows above it, its row headers the ``rowheader`` cells of its row; cells spanning columns
    are counted as one column (evaltools' tables have no spans). Ignored nodes (``aria-hidden``,
    ``display: none``) and the text inside a read item (a heading's words) are left out, as a
    screen reader leaves them out. The tree is Chromium's; Firefox's may differ in details.
    """
    rows = []
    with _page(chromium, timeout_ms) as page:
        session = page.context.new_cdp_session(page)
        for path in pages:
            page.goto(Path(path).resolve().as_uri(), wait_until="load")
            nodes = session.send("Accessibility.getFullAXTree")["nodes"]
            document = session.send("DOM.getDocument", {"depth": -1, "pierce": False})["root"]
            rows += [[str(path), i, *item]
                     for i, item in enumerate(_compute_reading(nodes, _compute_langs(document)))]
    out = pd.DataFrame(rows, columns=TREE_COLUMNS)
    out["level"] = out["level"].astype("Float64")
    return out


def _compute_langs(document: dict) -> dict[int, str]:
    """Each DOM node's (backend id) language: the nearest ``lang`` attribute above it."""
    langs: dict[int, str] = {}
    stack = [(document, "")]
    while stack:
        node, inherited = stack.pop()
        attributes = node.get("attributes") or []
        named = dict(zip(attributes[::2], attributes[1::2], strict=False))
        lang = named.get("lang", inherited)
        langs[node["backendNodeId"]] = lang
        stack += [(child, lang) for child in node.get("children", []) + (
            [node["contentDocument"]] if "contentDocument" in node else [])]
    return langs


def _value(node: dict, key: str):
    return (node.get(key) or {}).get("value")


def _compute_reading(nodes: list[dict], langs: dict[int, str]) -> list[list]:
    """The tree's nodes in reading order: [role, name, level, lang, row, column headers]."""
    by_id = {node["nodeId"]: node for node in nodes}
    headers = _compute_cell_headers(nodes, by_id)
    out: list[list] = []

    def walk(node: dict, quiet: bool) -> None:
        role = _value(node, "role") or ""
        name = str(_value(node, "name") or "").strip()
        lang = langs.get(node.get("backendDOMNodeId"), "")
        read = False
        if not node.get("ignored"):
            if role == "RootWebArea":  # the page's <title>, said when the page opens
                out.append(["document", name, None, lang, np.nan, np.nan])
            elif role in _NAMED_ROLES or role in _STRUCTURE_ROLES:
                level = next((p["value"]["value"] for p in node.get("properties", [])
                              if p["name"] == "level"), None)
                row, column = headers.get(node["nodeId"], (np.nan, np.nan))
                out.append([role, name, level, lang, row, column])
                read = role in _NAMED_ROLES
            elif role == "StaticText" and not quiet and name:
                out.append(["text", name, None, lang, np.nan, np.nan])
        for child in node.get("childIds", []):
            if child in by_id:
                walk(by_id[child], quiet or read)

    roots = [n for n in nodes if not n.get("parentId")]
    for root in roots:
        walk(root, False)
    return out


def _compute_cell_headers(nodes: list[dict], by_id: dict) -> dict[str, tuple[str, str]]:
    """Per table cell (node id): its row headers and column headers, as a screen reader
    announces them."""
    out: dict[str, tuple[str, str]] = {}

    def rows_of(node: dict) -> list[dict]:
        found = []
        for child in node.get("childIds", []):
            sub = by_id.get(child)
            if sub is None:
                continue
            if _value(sub, "role") == "row":
                found.append(sub)
            elif _value(sub, "role") not in ("table", "grid"):
                found += rows_of(sub)
        return found

    for table in (n for n in nodes if _value(n, "role") in ("table", "grid")):
        column_names: dict[int, list[str]] = {}
        for row in rows_of(table):
            cells = [by_id[c] for c in row.get("childIds", []) if c in by_id
                     and _value(by_id[c], "role") in _CELL_ROLES]
            row_names = [(i, str(_value(c, "name") or "").strip()) for i, c in enumerate(cells)
                         if _value(c, "role") == "rowheader"]
            for column, cell in enumerate(cells):
                role = _value(cell, "role")
                name = str(_value(cell, "name") or "").strip()
                # a data cell is read with all of its row's headers, a row header with those
                # before it
                row = [n for i, n in row_names if role == "cell" or i < column]
                out[cell["nodeId"]] = ("" if role == "columnheader" else " / ".join(row),
                                       " / ".join(column_names.get(column, [])))
                if role == "columnheader":
                    column_names.setdefault(column, []).append(name)
    return out


def figure_alt_texts(page_html: str) -> list[str]:
    """The ``alt`` text of every ``<img>`` in a page (``""`` where an image has none)."""
    out = []
    for tag in re.findall(r"<img\b[^>]*>", page_html):
        found = re.search(r'\balt\s*=\s*("([^"]*)"|\'([^\']*)\')', tag)
        out.append((found.group(2) if found.group(2) is not None else found.group(3))
                   if found else "")
    return out


def heading_levels(page_html: str) -> list[int]:
    """The levels of the page's headings in document order (``<h2>`` -> 2)."""
    return [int(level) for level in re.findall(r"<h([1-6])\b", page_html)]

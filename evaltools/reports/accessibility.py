"""Accessibility checks of rendered reports in a real browser (axe-core in headless Chromium).

Dutch public bodies publish to WCAG 2.1 level AA. :func:`axe_violations` opens each page in
Chromium, runs the axe-core rules of WCAG 2.0/2.1 levels A and AA (and axe's best practices,
such as one ``<main>`` landmark and no skipped heading levels) and returns every violation as
one row. Axe cannot judge whether a text alternative *says* what a figure shows;
:func:`figure_alt_texts` lists them so that a test can.

Needs the optional packages ``playwright`` and ``axe-playwright-python`` (``pip install
evaltools[accessibility]``) and a Chromium browser (Debian: ``apt-get install chromium``);
Playwright's own browser download is not used.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from evaltools.core.errors import EvaltoolsError

__all__ = ["axe_violations", "find_chromium", "figure_alt_texts", "heading_levels",
           "AccessibilityCheckError", "WCAG_AA_TAGS"]

#: The axe-core tags of WCAG 2.0 and 2.1, levels A and AA.
WCAG_AA_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
_COLUMNS = ["page", "rule", "impact", "tags", "target", "summary", "help_url"]
_CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-quic"]


class AccessibilityCheckError(EvaltoolsError):
    """The accessibility check could not run (no browser, or a missing optional package)."""


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
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise AccessibilityCheckError(
            f"the accessibility check needs the optional package {exc.name!r}: "
            "pip install 'evaltools[accessibility]'") from None
    browser = chromium or find_chromium()
    if not browser:
        raise AccessibilityCheckError(
            "no Chromium found for the accessibility check (set EVALTOOLS_CHROMIUM or install "
            "Debian's chromium: .ci/install-browser)")
    run_only = [*tags, "best-practice"] if best_practice else list(tags)
    options = {"runOnly": {"type": "tag", "values": run_only}, "resultTypes": ["violations"]}
    rows = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=browser, headless=True, args=_CHROMIUM_ARGS)
        try:
            page = context.new_page()
            page.set_default_timeout(timeout_ms)
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
        finally:
            context.close()
    return pd.DataFrame(rows, columns=_COLUMNS)


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

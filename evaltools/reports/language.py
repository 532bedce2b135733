"""Marking names in the other language on a report page (light: the rendering worker of
``evaltools run`` imports it without the analyses or matplotlib)."""

from __future__ import annotations

import html
import re

from evaltools.core.i18n import QUOTED_TERMS

__all__ = ["mark_quoted_terms"]


def _escape(text) -> str:
    return html.escape(str(text))


def mark_quoted_terms(page_html: str, language: str) -> str:
    """Wrap the other language's names in a page's text in ``<span lang="...">``.

    The names are :data:`evaltools.core.i18n.QUOTED_TERMS` (the Dutch recognition levels on an
    English page, for instance); a screen reader then reads "goed onderbouwd" with a Dutch
    voice, not as English (WCAG 2.1 criterion 3.1.2). Only text between tags changes: tags,
    their attributes (an ``alt`` text cannot hold markup) and ``<style>``, ``<script>`` and
    ``<title>`` are left as they are.
    """
    other, names = QUOTED_TERMS.get(language, ("", ()))
    if not names:
        return page_html
    found = re.compile("|".join(re.escape(_escape(name)) for name in
                                sorted(names, key=len, reverse=True)), flags=re.IGNORECASE)
    parts = re.split(r"(<[^>]*>)", page_html)
    raw = False
    for i, part in enumerate(parts):
        if part.startswith("<"):
            tag = part[1:].lstrip("/").split(None, 1)[0].rstrip(">").lower() if len(part) > 2 \
                else ""
            if tag in ("style", "script", "title"):
                raw = not part.startswith("</")
            continue
        if not raw:
            parts[i] = found.sub(lambda m: f'<span lang="{other}">{m.group(0)}</span>', part)
    return "".join(parts)

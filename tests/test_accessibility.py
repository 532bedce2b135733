"""The HTML reports meet WCAG 2.1 AA as far as a machine can tell: axe-core in a real browser.

Every report template is rendered in Dutch and in English on a small demo study, together with
the study's index page and the register's "Wat werkt" overview; axe-core runs on each page in
headless Chromium (WCAG 2.0/2.1 A and AA rules, and axe's best practices: one ``<main>``, no
skipped heading levels). Axe cannot judge an alt text, so the tests below also check that every
figure's text alternative is in the report's language and names what the figure shows.

Needs Debian's chromium (``.ci/install-browser``) and the ``accessibility`` extra; locally these
tests skip without them, under CI (``CI=true``) they fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from evaltools.core.errors import EvaltoolsError
from evaltools.data.ingest import ingest
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.demo.files import generate_demo_study
from evaltools.pipeline.kernels import WarmKernel
from evaltools.register import Register
from evaltools.register.collect import collect
from evaltools.reports.accessibility import (
    axe_violations,
    figure_alt_texts,
    find_chromium,
    heading_levels,
)
from evaltools.reports.html import png
from evaltools.reports.overview import render_overview
from evaltools.reports.render import render_report, write_index
from evaltools.study.load import load_study

TEMPLATES = ("prepost", "controlled", "data_quality", "site_overview", "site_synthesis")
LANGUAGES = ("nl", "en")
#: nbconvert's English placeholder for an image without alt text
NBCONVERT_DEFAULT_ALT = "No description has been provided for this image"


def _need(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}: CI runs the accessibility tests (see .ci/install-browser)")
    pytest.skip(f"{what} (run .ci/install-browser and pip install 'evaltools[accessibility]')")


@pytest.fixture(scope="module")
def chromium() -> str:
    for package in ("playwright", "axe_playwright_python"):
        if importlib.util.find_spec(package) is None:
            _need(f"the Python package {package!r} is not installed")
    found = find_chromium()
    if not found:
        _need("no Chromium browser found")
    return found


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Every template in both languages, the index and the overview: (template, language) ->
    report.html."""
    folder = tmp_path_factory.mktemp("a11y-study") / "study"
    generate_demo_study(folder, seed=31, n_sites=2, size=(60, 80))
    study = load_study(folder)
    if default_key_file(study.id).exists():
        default_key_file(study.id).unlink()
    create_key(study)
    ingest(study)
    reports = tmp_path_factory.mktemp("a11y-reports")
    out = {}
    kernel = WarmKernel()
    database = tmp_path_factory.mktemp("a11y-register") / "register.sqlite"
    try:
        for language in LANGUAGES:
            for template in TEMPLATES:
                site = "all" if template in ("site_overview", "site_synthesis",
                                             "data_quality") else "rotterdam-zuid"
                done = render_report(study, template, site=site, wave="t1",
                                     language=language, reports_dir=reports / language,
                                     kernel=kernel, index=False)
                out[(template, language)] = done.html
        with Register(f"sqlite:///{database}") as register:
            register.add(collect(study))
            for language in LANGUAGES:
                done = render_overview(register, reports_dir=reports / language,
                                       language=language, kernel=kernel)
                out[("wat_werkt", language)] = done.html
            # many outcomes: one summary forest plot per protective factor instead
            done = render_overview(register, reports_dir=reports / "summary-plots",
                                   language="en", max_forest_plots=1, kernel=kernel)
            out[("wat_werkt_summary", "en")] = done.html
    finally:
        kernel.shutdown()
    for language in LANGUAGES:  # the index links the overview and speaks the reports' language
        out[("index", language)] = write_index(reports / language, study.id)
    return out


def test_no_axe_violations_of_wcag21_aa(chromium: str, pages) -> None:
    found = axe_violations(pages.values(), chromium=chromium)
    assert found.empty, (f"{len(found)} accessibility violations (axe-core, WCAG 2.1 A/AA and "
                         "best practices):\n" + found[["page", "rule", "impact", "target",
                                                       "summary"]].to_string())


def test_axe_finds_what_it_should(chromium: str, tmp_path: Path) -> None:
    """The check itself can fail: a page without lang, alt text, main or a proper heading order
    is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><title>x</title></head><body><h1>a</h1>"
                   "<h3>b</h3><img src='data:image/png;base64,iVBORw0KGgo='>"
                   "<p style='color:#aaa'>low contrast</p></body></html>", "utf-8")
    rules = set(axe_violations([bad], chromium=chromium)["rule"])
    assert {"html-has-lang", "image-alt", "color-contrast", "heading-order",
            "landmark-one-main"} <= rules


def test_every_page_declares_its_language(pages) -> None:
    for (_, language), page in pages.items():
        text = page.read_text("utf-8")
        assert re.search(rf'<html lang="{language}"', text), f"{page}: lang is not {language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_figure_says_what_it_shows_in_the_reports_language(pages, language) -> None:
    starts = {"nl": ("Figuur ", "Forest plot ", "Overzichtsfiguur "),
              "en": ("Figure ", "Forest plot ", "Summary figure ")}[language]
    words = {"nl": ("verandering", "effect"), "en": ("change", "effect")}[language]
    seen = 0
    for (template, lang), page in pages.items():
        if lang != language:
            continue
        for alt in figure_alt_texts(page.read_text("utf-8")):
            seen += 1
            assert alt != NBCONVERT_DEFAULT_ALT, f"{template}: nbconvert's default alt text"
            assert alt.startswith(starts), f"{template} ({language}): alt text {alt!r}"
            assert any(w in alt for w in words), f"{template}: alt text {alt!r}"
            assert len(alt) > 60, f"{template}: alt text too short to say anything: {alt!r}"
    assert seen >= 3, f"only {seen} figures in the {language} reports"


def test_headings_skip_no_level_and_tables_have_column_headers(pages) -> None:
    for (template, language), page in pages.items():
        text = page.read_text("utf-8")
        levels = heading_levels(text)
        assert levels and levels[0] == 1 and levels.count(1) == 1, f"{template}: {levels}"
        jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        assert not jumps, f"{template} ({language}): heading levels skip: {jumps}"
        assert "<main>" in text and "</main>" in text, f"{template}: no <main> landmark"
        for table in re.findall(r"<table\b.*?</table>", text, flags=re.S):
            headers = re.findall(r"<th\b[^>]*>", table)
            assert headers, f"{template}: a table without column headers"
            assert all("scope='col'" in h or 'scope="col"' in h for h in headers), template


def test_a_figure_without_alt_text_is_refused() -> None:
    fig, _ = plt.subplots()
    with pytest.raises(EvaltoolsError, match="needs a text alternative"):
        png(fig, alt="  ")
    plt.close(fig)
    fig, _ = plt.subplots()
    shown = png(fig, alt='Figure "x" & <y>')
    assert 'alt="Figure &quot;x&quot; &amp; &lt;y&gt;"' in shown.html()
    assert set(shown._repr_mimebundle_()) >= {"text/html", "image/png"}

"""The HTML reports meet WCAG 2.1 AA as far as a machine can tell: axe-core in a real browser.

Every report template is rendered in Dutch and in English on a small demo study, together with
the study's index page and the register's "Wat werkt" overview; axe-core runs on each page in
headless Chromium (WCAG 2.0/2.1 A and AA rules, and axe's best practices: one ``<main>``, no
skipped heading levels). Axe cannot judge an alt text, so the tests below also check that every
figure's text alternative is in the report's language and names what the figure shows.

The screen-reader tests read Chromium's accessibility tree (what NVDA, JAWS, VoiceOver and Orca
read) in reading order and check what the screen-reader review of issue 13 found and fixed: the
page's title names the report; the title is the first heading and the headline is read before
any table; every table has a name and every cell its column and row headers; quoted names in
the other language are marked with ``lang``; no code identifiers, arrows or "(s)" plurals are
read out. ``tests/reference/screen_reader/`` keeps a transcript of that review.

Needs Debian's chromium (``.ci/install-browser``) and the ``accessibility`` extra; locally these
tests skip without them, under CI (``CI=true``) they fail.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from evaltools.core.errors import EvaltoolsError
from evaltools.core.i18n import t
from evaltools.data.ingest import ingest
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.demo.files import generate_demo_study
from evaltools.pipeline.kernels import WarmKernel
from evaltools.register import Register
from evaltools.register.collect import collect
from evaltools.reports.accessibility import (
    accessibility_tree,
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
#: Pages that state a headline finding (the index's "main finding" column quotes it).
HEADLINED = ("prepost", "controlled", "site_overview", "site_synthesis", "wat_werkt",
             "wat_werkt_summary")
#: What a screen reader should not read out: code identifiers (``morris_dppc2``), arrows
#: ("pijl naar rechts"), "(s)" plurals; and link texts that say nothing out of context.
UNREADABLE = {"code identifier": r"\b[a-z]{3,}_[a-z0-9_]+\b", "arrow": r"[\u2190-\u21ff]",
              "(s) plural": r"\w\((?:s|en|ies)\)"}
VAGUE_LINKS = {"hier", "klik hier", "lees meer", "meer", "link", "here", "click here",
               "read more", "more"}


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


@pytest.mark.parametrize("language", LANGUAGES)
def test_figure_captions_are_text_not_pixels(pages, language) -> None:
    """WCAG 1.4.5 (images of text): the change figures' caption is a ``<figcaption>`` in the
    report's language, beside its image in one ``<figure>``, so that it can be read aloud and
    enlarged (it was drawn into the PNG)."""
    page = pages[("prepost", language)].read_text("utf-8")
    figures = re.findall(r"<figure>(.*?)</figure>", page, flags=re.S)
    caption = t("txt.fig_change", language)
    assert len(figures) >= 3
    for figure in figures:
        assert re.match(r"<img\b[^>]*\balt=", figure), figure[:80]
        assert figure.endswith(f"<figcaption>{html.escape(caption)}</figcaption>")


def test_headings_skip_no_level_and_tables_have_column_headers(pages) -> None:
    for (template, language), page in pages.items():
        text = page.read_text("utf-8")
        levels = heading_levels(text)
        assert levels and levels[0] == 1 and levels.count(1) == 1, f"{template}: {levels}"
        jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        assert not jumps, f"{template} ({language}): heading levels skip: {jumps}"
        assert "<main>" in text and "</main>" in text, f"{template}: no <main> landmark"
        for table in re.findall(r"<table\b.*?</table>", text, flags=re.S):
            head, _, body = table.partition("</thead>")
            headers = re.findall(r"<th\b[^>]*>", head)
            assert headers, f"{template}: a table without column headers"
            assert all("scope='col'" in h for h in headers), template
            assert all("scope='row'" in h for h in re.findall(r"<th\b[^>]*>", body)), template


def test_a_figure_without_alt_text_is_refused() -> None:
    fig, _ = plt.subplots()
    with pytest.raises(EvaltoolsError, match="needs a text alternative"):
        png(fig, alt="  ")
    plt.close(fig)
    fig, _ = plt.subplots()
    shown = png(fig, alt='Figure "x" & <y>')
    assert 'alt="Figure &quot;x&quot; &amp; &lt;y&gt;"' in shown.html()
    assert set(shown._repr_mimebundle_()) >= {"text/html", "image/png"}


@pytest.fixture(scope="module")
def tree(chromium: str, pages) -> pd.DataFrame:
    """What a screen reader reads on every page, with the page's template and language."""
    found = accessibility_tree(pages.values(), chromium=chromium)
    which = {str(path): key for key, path in pages.items()}
    found["template"] = found["page"].map(lambda p: which[p][0])
    found["language"] = found["page"].map(lambda p: which[p][1])
    return found


def _pages(tree: pd.DataFrame):
    for (template, language), read in tree.groupby(["template", "language"], sort=False):
        yield template, language, read.reset_index(drop=True)


def test_the_title_is_heard_first_and_the_headline_before_any_table(tree, pages) -> None:
    titles = {}
    for template, language, read in _pages(tree):
        headings = read[read["role"] == "heading"]
        first = headings.iloc[0]
        assert first["level"] == 1 and (headings["level"] == 1).sum() == 1, template
        levels = headings["level"].astype(int).tolist()
        jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        assert not jumps, f"{template} ({language}): heading levels skip: {jumps}"
        # the page's <title>, which a screen reader says on opening it, names the report
        assert read["role"].iloc[0] == "document", template
        title = read["name"].iloc[0]
        assert title.startswith(first["name"]), f"{template} ({language}): title {title!r}"
        if template in ("prepost", "controlled"):
            assert "Rotterdam-Zuid" in title, title
        if template not in ("index", "wat_werkt_summary"):  # the latter: the overview again
            titles.setdefault(language, []).append(title)
        if template in HEADLINED:
            meta = pages[(template, language)].parent / "tables" / "meta.json"
            headline = json.loads(meta.read_text("utf-8"))["headline"]
            said = read.index[(read["role"] == "text")
                              & read["name"].str.contains(headline, regex=False)]
            tables = read.index[read["role"] == "table"]
            assert len(said), f"{template} ({language}): the headline {headline!r} is not read"
            assert tables.empty or said[0] < tables[0], (
                f"{template} ({language}): a table is read before the headline")
    for language, said in titles.items():
        assert len(set(said)) == len(said), f"pages share a title ({language}): {said}"


def test_every_image_is_named_in_the_pages_language(tree) -> None:
    images = tree[tree["role"].isin(["image", "img"])]
    assert len(images) >= 6
    for r in images.itertuples():
        assert r.name.strip() and r.name != NBCONVERT_DEFAULT_ALT, f"{r.template}: {r.name!r}"
        assert r.lang == r.language, f"{r.template}: image read as {r.lang}, page {r.language}"
        assert not re.search(r"\.(png|svg|jpe?g)\b|^image\d*$", r.name), r.name


def test_every_table_is_named_and_every_cell_has_its_headers(tree) -> None:
    tables = tree[tree["role"] == "table"]
    assert len(tables) >= 20
    unnamed = tables[tables["name"].str.strip() == ""]
    assert unnamed.empty, f"tables without a name: {sorted(set(unnamed['template']))}"
    cells = tree[tree["role"].isin(["cell", "rowheader"])]
    no_column = cells[cells["column_headers"] == ""]
    assert no_column.empty, f"cells without column headers:\n{no_column.head()}"
    # the first column labels the row: "Veerkracht (BRS), Verschil, 0,40", not "0,40"
    data = cells[cells["role"] == "cell"]
    no_row = data[data["row_headers"] == ""]
    assert no_row.empty, (f"cells read without the row they are in "
                          f"({sorted(set(no_row['template']))}):\n{no_row.head()}")


def test_quoted_names_in_the_other_language_are_marked(tree) -> None:
    quoted = {"en": ("goed onderbouwd", "nl"), "nl": ("What Works Clearinghouse", "en")}
    for language, (name, lang) in quoted.items():
        found = tree[(tree["language"] == language) & (tree["role"] == "text")
                     & tree["name"].str.contains(name, case=False, regex=False)]
        assert len(found), f"no {name!r} on the {language} pages to check"
        wrong = found[found["lang"] != lang]
        assert wrong.empty, f"{name!r} read as {set(wrong['lang'])} on {set(wrong['template'])}"


def _first_screen(read: pd.DataFrame, language: str) -> pd.DataFrame:
    """What is read before the appendix (which names files and instruments by their ids)."""
    appendix = {t(key, language) for key in ("sec.appendix", "sec.methods")}
    starts = read.index[(read["role"] == "heading") & read["name"].isin(appendix)]
    return read.loc[:starts[0] - 1] if len(starts) else read


def test_no_code_identifiers_arrows_or_vague_links_are_read(tree) -> None:
    before = pd.concat([_first_screen(read, language) for _, language, read in _pages(tree)])
    for what, pattern in UNREADABLE.items():
        hit = before[before["name"].str.contains(pattern, regex=True)]
        assert hit.empty, f"{what} read out: {hit[['template', 'name']].head().to_string()}"
    links = tree[tree["role"] == "link"]
    assert len(links) >= 4
    vague = links[links["name"].str.strip().str.lower().isin(VAGUE_LINKS)]
    assert vague.empty, vague["name"].tolist()


def test_accessibility_tree_reads_like_a_screen_reader(chromium: str, tmp_path: Path) -> None:
    """Reading order, names, levels, languages and a cell's headers, on a page made for it."""
    page = tmp_path / "page.html"
    page.write_text(
        "<!DOCTYPE html><html lang='nl'><head><title>Titel</title></head><body><main>"
        "<h1>Kop</h1><p>Tekst <span lang='en'>quoted</span></p>"
        "<img src='data:image/png;base64,iVBORw0KGgo=' alt='Figuur'>"
        "<h2 id='t'>Tabel</h2><table aria-labelledby='t'><thead><tr><th scope='col'>Schaal"
        "</th><th scope='col'>Verschil</th></tr></thead><tbody><tr><th scope='row'>BRS</th>"
        "<td>0,40</td></tr></tbody></table><p aria-hidden='true'>verborgen</p>"
        "</main></body></html>", "utf-8")
    read = accessibility_tree([page], chromium=chromium)
    assert read["role"].tolist() == ["document", "main", "heading", "text", "text", "image",
                                     "heading", "table", "columnheader", "columnheader",
                                     "rowheader", "cell"]
    assert read["name"].tolist()[:6] == ["Titel", "", "Kop", "Tekst", "quoted", "Figuur"]
    assert read["lang"].tolist()[3:5] == ["nl", "en"]
    assert read["level"].dropna().tolist() == [1, 2]
    cell = read.iloc[-1]
    assert (cell["name"], cell["row_headers"], cell["column_headers"]) == (
        "0,40", "BRS", "Verschil")


def test_the_notebooks_narrative_stays_out_of_the_reports() -> None:
    """A template's markdown cells are for whoever reads the notebook, in English; a report
    says everything through evaltools, in its own language. An untagged cell put "Declared
    subgroups (study.yml subgroups:) ..." in English into every Dutch report."""
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    for template in (*TEMPLATES, "wat_werkt"):
        cells = json.loads((folder / f"{template}.ipynb").read_text("utf-8"))["cells"]
        shown = [c.get("id") for c in cells if c["cell_type"] == "markdown"
                 and "notebook-only" not in c.get("metadata", {}).get("tags", [])]
        assert not shown, f"{template}.ipynb: markdown cells shown in the report: {shown}"

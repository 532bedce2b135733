"""Notebook templates and rendered reports: thin committed notebooks, checked parameters,
Dutch and English reports without code, raw data, paths or secrets, and safe failure."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from evaltools.cli.main import cli
from evaltools.core.i18n import TEXTS
from evaltools.data.ingest import ingest
from evaltools.data.pseudonym import create_key, default_key_file
from evaltools.demo.files import generate_demo_study
from evaltools.reports.notebook import ReportParameterError
from evaltools.reports.render import (
    ReportError,
    _check_against_template,
    notebooks_dir,
    render_report,
    write_index,
)
from evaltools.study.load import load_study

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))
REPORT_TEMPLATES = ("prepost", "controlled", "data_quality", "site_overview", "site_synthesis")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one parameters cell"
    for line in params[0].source.splitlines():
        assert re.match(r"^\w+: (str|int|float|bool) = .+  # .+$", line), line
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"^\s*(def|class|for|while) ", code, re.M), "notebooks stay thin"
    assert not re.search(r"(?<![.\w])open\(", code) and "read_csv" not in code


def test_templates_declare_their_parameters() -> None:
    assert {p.stem for p in NOTEBOOKS} >= {*REPORT_TEMPLATES, "getting_started"}
    with pytest.raises(ReportParameterError, match="unknown parameter 'colour'"):
        _check_against_template("prepost", {"study_dir": "s", "colour": "red"})
    with pytest.raises(ReportParameterError, match="parameter 'site' must be str, got int"):
        _check_against_template("prepost", {"study_dir": "s", "site": 3})
    with pytest.raises(ReportParameterError, match="required parameter 'study_dir' is missing"):
        _check_against_template("prepost", {"site": "all"})


@pytest.fixture(scope="module")
def small_study(tmp_path_factory) -> Path:
    """A small demo study (2 sites), ingested."""
    folder = tmp_path_factory.mktemp("report-study") / "study"
    generate_demo_study(folder, seed=21, n_sites=2, size=(70, 90))
    study = load_study(folder)
    if default_key_file(study.id).exists():
        default_key_file(study.id).unlink()
    create_key(study)
    ingest(study)
    return folder


@pytest.fixture(scope="module")
def rendered(small_study: Path, tmp_path_factory) -> Path:
    """Every template rendered once in Dutch, the prepost report in English, and the
    register's overview in both."""
    from evaltools.register import Register
    from evaltools.register.collect import collect
    from evaltools.reports.overview import render_overview

    reports = tmp_path_factory.mktemp("reports")
    for template in REPORT_TEMPLATES:
        render_report(small_study, template, site="all", wave="t1", reports_dir=reports)
    render_report(small_study, "prepost", site="rotterdam-zuid", wave="t2", language="en",
                  reports_dir=reports)
    database = tmp_path_factory.mktemp("register") / "register.sqlite"
    with Register(f"sqlite:///{database}") as register:
        register.add(collect(load_study(small_study)))
        for language in ("nl", "en"):
            render_overview(register, reports_dir=reports, language=language)
    return reports


def test_reports_land_where_documented(rendered: Path) -> None:
    root = rendered / "veerkracht-demo"
    for folder in ("t1/all/prepost", "t1/all/controlled", "all-waves/all/data_quality",
                   "t1/all/site_overview", "t1/all/site_synthesis", "t2/rotterdam-zuid/prepost",
                   "../wat-werkt/nl", "../wat-werkt/en"):
        assert (root / folder / "report.html").is_file(), folder
        assert (root / folder / "report.ipynb").is_file()
        assert (root / folder / "tables" / "tables.json").is_file()
        assert list((root / folder / "tables").glob("*.csv"))
    index = (root / "index.html").read_text("utf-8")
    assert index.count("report.html") == 6


def _html(rendered: Path, folder: str) -> str:
    return (rendered / "veerkracht-demo" / folder / "report.html").read_text("utf-8")


def test_html_is_self_contained_and_code_free(rendered: Path) -> None:
    page = _html(rendered, "t1/all/prepost")
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert page.count("data:image/png;base64") >= 8  # one figure per protective factor
    assert "Report.open" not in page and "report.results()" not in page
    assert "In&nbsp;[" not in page and "jp-InputArea" not in page
    assert "study_dir" not in page  # no parameters cell, no injected parameters
    assert 'lang="nl"' in page


def test_dutch_and_english_reports_are_each_in_one_language(rendered: Path) -> None:
    nl, en = _html(rendered, "t1/all/prepost"), _html(rendered, "t2/rotterdam-zuid/prepost")
    en_text = en.replace("Erkenningscommissie Interventies", "")  # a name, not a translation
    for key, (dutch, english) in TEXTS.items():
        if key.startswith(("sec.", "col.")) and dutch != english:
            assert dutch not in en_text or dutch in english, \
                f"Dutch {dutch!r} in the English report"
    for heading in ("Samenvatting", "Opzet en deelname", "Resultaten per beschermende factor",
                    "Wat zegt dit over de werkzaamheid?", "Verantwoording (methode)"):
        assert heading in nl and heading not in en
    for heading in ("Summary", "Design and participation", "Results per protective factor",
                    "Methods appendix"):
        assert heading in en
    assert re.search(r"\d,\d\d", nl) and re.search(r"\d\.\d\d", en)  # decimal comma / point
    assert 'lang="en"' in en


def test_evidence_statement_is_indicative(rendered: Path) -> None:
    page = _html(rendered, "t1/all/controlled")
    assert "goede aanwijzingen" in page and "Erkenningscommissie" in page
    assert "indicatie" in page


def test_no_personal_data_paths_or_secret_in_any_output(rendered: Path, small_study: Path
                                                        ) -> None:
    from evaltools.data.panel import load_responses

    study = load_study(small_study)
    pseudonyms = set(load_responses(study)["respondent_id"])
    people = pd.read_csv(small_study / "truth" / "participants.csv",
                         dtype={"respondent_id": str})
    originals = set(people["respondent_id"])
    secret = default_key_file(study.id).read_text("ascii").strip()
    forbidden = [secret, str(small_study.resolve()), str(Path.home()), "@example.org",
                 "/tmp/", "sqlite:", "register.sqlite"]
    files = [p for p in rendered.rglob("*") if p.is_file()]  # the study's and the overview
    assert any("wat-werkt" in p.parts for p in files)
    assert {p.suffix for p in files} >= {".html", ".ipynb", ".csv", ".json"}
    for path in files:
        text = path.read_text("utf-8")
        # embedded figures are base64: random letters and digits, not data; scan the rest
        text = re.sub(r'"image/png": "[^"]*"|data:image/png;base64,[A-Za-z0-9+/=]+', "", text)
        # execution times and timestamps have digits that can look like an id
        text = re.sub(r'"duration": [\d.]+|\d{4}-\d\d-\d\dT[\d:.]+', "", text)
        for word in forbidden:
            assert word not in text, f"{word!r} in {path.name}"
        tokens = set(re.findall(r"p[0-9a-f]{20}", text))
        assert not tokens & pseudonyms, f"pseudonym in {path}"
        numbers = set(re.findall(r"\b1\d{5}\b", text))
        assert not numbers & originals, f"original id {numbers & originals} in {path}"


def test_small_cells_are_suppressed(small_study: Path, tmp_path: Path) -> None:
    study_yml = small_study / "study.yml"
    strict = tmp_path / "strict"
    shutil.copytree(small_study, strict, symlinks=True)
    text = study_yml.read_text("utf-8").replace("min_cell_size: 10", "min_cell_size: 5000")
    (strict / "study.yml").write_text(text, "utf-8")
    result = render_report(strict, "prepost", site="rotterdam-zuid", wave="t1",
                           reports_dir=tmp_path / "reports")
    page = result.html.read_text("utf-8")
    assert "onderdrukt (te weinig deelnemers)" in page and "&lt; 5000" in page
    tables = json.loads((result.folder / "tables" / "tables.json").read_text("utf-8"))
    assert all(row["suppressed"] for row in tables["results"])
    assert all(row["n"] is None for row in tables["participant_flow"] if row["n"] is None)


@pytest.mark.parametrize("warm", [False, True])
def test_a_failing_template_keeps_the_previous_report(small_study: Path, tmp_path: Path,
                                                      monkeypatch, warm: bool) -> None:
    """A template that fails leaves the previous report as it was and keeps the failed
    notebook beside it, with the error: in a fresh kernel (papermill) and in a warm one
    (whose executed notebook is written only then)."""
    from evaltools.pipeline.kernels import WarmKernel

    kernel = WarmKernel() if warm else None
    reports = tmp_path / "reports"
    good = render_report(small_study, "site_overview", wave="t1", reports_dir=reports,
                         kernel=kernel)
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest()
              for p in good.folder.rglob("*") if p.is_file()}
    broken = tmp_path / "templates"
    shutil.copytree(notebooks_dir(), broken)
    nb = nbformat.read(broken / "site_overview.ipynb", as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell("raise RuntimeError('kapotte cel')"))
    nbformat.write(nb, broken / "site_overview.ipynb")
    monkeypatch.setattr("evaltools.reports.render.notebooks_dir", lambda: broken)
    # its place in the executed notebook (after papermill's parameters cell), for warm and
    # fresh kernels alike, with the execution count the kept notebook shows
    with pytest.raises(ReportError,
                       match=r"failed in cell 6 \(In \[\d+\]\) \(RuntimeError: kapotte cel"):
        render_report(small_study, "site_overview", wave="t1", reports_dir=reports,
                      kernel=kernel)
    if kernel is not None:
        kernel.shutdown()
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in good.folder.rglob("*") if p.is_file()}
    assert after == before
    failed = good.folder.parent / "site_overview.failed.ipynb"
    assert failed.is_file() and "kapotte cel" in failed.read_text("utf-8")
    index = write_index(reports, "veerkracht-demo").read_text("utf-8")
    assert "failed" in index


def test_report_command(small_study: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["report", str(small_study), "--template", "prepost", "--site",
                              "nergens", "--reports-dir", str(tmp_path)])
    assert bad.exit_code == 2 and "site='nergens'" in bad.output
    neither = runner.invoke(cli, ["report", str(small_study)])
    assert neither.exit_code == 2
    ok = runner.invoke(cli, ["report", str(small_study), "--template", "data_quality",
                             "--reports-dir", str(tmp_path), "-l", "en"])
    assert ok.exit_code == 0, ok.output
    assert "reliability (alpha)" in ok.output


def test_getting_started_runs_on_the_demo(small_study: Path, tmp_path: Path) -> None:
    import papermill as pm

    out = tmp_path / "gs.ipynb"
    pm.execute_notebook(str(notebooks_dir() / "getting_started.ipynb"), str(out),
                        parameters={"study_dir": str(small_study)}, progress_bar=False,
                        cwd=str(tmp_path))
    nb = nbformat.read(out, as_version=4)
    assert any(o.get("output_type") in ("display_data", "execute_result")
               and "image/png" in o.get("data", {})
               for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_every_image_is_an_embedded_valid_png(rendered: Path) -> None:
    import base64
    import io

    import matplotlib.image as mpimg

    for page in (rendered / "veerkracht-demo").rglob("report.html"):
        text = page.read_text("utf-8")
        sources = re.findall(r'<img[^>]*src="([^"]+)"', text)
        for src in sources:
            assert src.startswith("data:image/png;base64,"), f"external image in {page}"
            image = mpimg.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])),
                                 format="png")
            assert image.shape[0] > 50 and image.shape[1] > 50


def test_prepost_report_has_every_section(rendered: Path) -> None:
    page = _html(rendered, "t1/all/prepost")
    # the findings first; the detailed data-quality tables and the method in the appendix
    order = [page.index(h) for h in ("Samenvatting", "Opzet en deelname",
                                     "Resultaten per beschermende factor",
                                     "Vergelijking met de vergelijkingsgroep",
                                     "Wat zegt dit over de werkzaamheid?",
                                     "Bijlage: gegevens en methode", "Datakwaliteit",
                                     "Verantwoording (methode)")]
    assert order == sorted(order)
    for citation in ("Smith, B. W.", "De Jong Gierveld", "Sampson"):
        assert citation in page
    assert re.search(r"<code>rotterdam-zuid_t0\.csv</code> [0-9a-f]{16}", page)


def test_reports_in_one_kernel_share_the_data_until_it_or_the_study_changes(
        small_study: Path, tmp_path: Path) -> None:
    """A warm kernel renders report after report: they share the study's panel and answers
    and what was derived from them, each report gets its own copy of a shared table, and a
    re-ingested wave file or a changed study.yml starts afresh."""
    import yaml

    from evaltools.reports import notebook
    from evaltools.reports.notebook import Report

    folder = tmp_path / "study"
    shutil.copytree(small_study, folder)
    site = load_study(folder).sites[0].id
    notebook._SHARED.clear()
    first = Report.open(str(folder), "prepost", site=site, wave="t1")
    found = first.findings()
    second = Report.open(str(folder), "controlled", site=site, wave="t1")
    assert second.study_panel is first.study_panel and second.panel is first.panel
    assert second.responses is first.responses
    assert second.study is first.study  # one study object: checked once per kernel
    found.loc[:, "estimate"] = 99.0  # one report's change reaches no other report
    shared = second.findings()
    assert not (shared["estimate"] == 99.0).any()
    notebook._SHARED.clear()
    fresh = Report.open(str(folder), "controlled", site=site, wave="t1")
    assert fresh.study_panel is not first.study_panel
    pd.testing.assert_frame_equal(shared, fresh.findings())
    pd.testing.assert_frame_equal(second._change(), fresh._change())

    # a wave file changed and ingested again: the reports read the new data
    raw = next(p for p in sorted((folder / "data" / "raw").rglob("*.csv"))
               if b";4;" in p.read_bytes())
    raw.write_bytes(raw.read_bytes().replace(b";4;", b";1;", 3))
    ingest(load_study(folder))
    changed = Report.open(str(folder), "controlled", site=site, wave="t1")
    assert changed.study_panel is not fresh.study_panel
    assert not changed.study_panel.equals(fresh.study_panel)
    assert Report.open(str(folder), "prepost", site=site, wave="t1").study_panel \
        is changed.study_panel

    # study.yml changed: another study definition, nothing shared
    path = folder / "study.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["disclosure"] = {**(data.get("disclosure") or {}),
                          "min_cell_size": load_study(folder).min_cell_size + 1}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    edited = Report.open(str(folder), "controlled", site=site, wave="t1")
    assert edited.study.min_cell_size == changed.study.min_cell_size + 1
    assert edited.study_panel is not changed.study_panel
    assert edited.responses is not changed.responses


def test_the_key_figure_is_drawn_once_for_the_reports_of_a_site_and_wave(
        small_study: Path, tmp_path: Path, monkeypatch) -> None:
    """The prepost and the controlled report of a site and wave lead with the same key
    figure: one kernel draws it once; another wave or language draws its own, and the shared
    figure is the one a fresh kernel draws."""
    from evaltools.reports import notebook
    from evaltools.reports.html import Figure
    from evaltools.reports.notebook import Report

    folder = tmp_path / "study"
    shutil.copytree(small_study, folder)
    site = load_study(folder).sites[0].id
    shown: list = []
    monkeypatch.setattr(notebook, "display", lambda *objs, **kw: shown.extend(objs))
    drawn: list = []
    real = notebook.key_figure
    monkeypatch.setattr(notebook, "key_figure", lambda *a, **k: drawn.append(1) or real(*a, **k))

    def key_figure_of(template: str, wave: str = "t1", language: str = "") -> Figure:
        shown.clear()
        Report.open(str(folder), template, site=site, wave=wave, language=language).summary()
        figures = [o for o in shown if isinstance(o, Figure)]
        assert len(figures) == 1
        return figures[0]

    notebook._SHARED.clear()
    first = key_figure_of("prepost")
    assert key_figure_of("controlled") is first and len(drawn) == 1
    assert key_figure_of("controlled", language="en").alt != first.alt and len(drawn) == 2
    key_figure_of("prepost", wave="t2")
    assert len(drawn) == 3
    notebook._SHARED.clear()
    assert key_figure_of("controlled") == first and len(drawn) == 4


def test_the_site_overview_reads_the_sites_kept_panels(small_study: Path, tmp_path: Path,
                                                       monkeypatch) -> None:
    """The site overview estimates each site on the panel its site reports use in the same
    kernel (so their fits are shared), and its numbers are those of a fresh panel."""
    from evaltools.reports import notebook
    from evaltools.reports.notebook import Report

    folder = tmp_path / "study"
    shutil.copytree(small_study, folder)
    study = load_study(folder)
    site = study.sites[0].id
    seen: list = []
    real = notebook.diff_in_diff
    monkeypatch.setattr(notebook, "diff_in_diff",
                        lambda panel, *a, **k: seen.append(panel) or real(panel, *a, **k))
    monkeypatch.setattr(notebook, "display", lambda *objs, **kw: None)
    notebook._SHARED.clear()
    mine = Report.open(str(folder), "prepost", site=site, wave="t1").panel
    overview = Report.open(str(folder), "site_overview", site="all", wave="t1")
    overview.site_overview()
    assert any(panel is mine for panel in seen)
    assert len(seen) == len(study.sites)
    table = overview.tables[-1].frame
    fresh = real(overview.study_panel[overview.study_panel["site"] == site], study, post="t1")
    got = table[table["site"] == site].reset_index(drop=True)
    shown = ~got["suppressed"].astype(bool)
    assert shown.any()
    np.testing.assert_array_equal(got.loc[shown, "value"].to_numpy(),
                                  fresh.loc[shown.to_numpy(), "estimate"].to_numpy())


def test_every_hidden_count_reads_the_same() -> None:
    """'< k' for 1 to k - 1 respondents shown as such, 0 as 0; a count hidden by disclosure
    control reads one way whether it is small or a complement (hidden so that a small count
    cannot be derived, possibly large): '< k' would misstate a complement, and two wordings
    would tell which hidden count is the small one (with the totals, its exact value)."""
    from types import SimpleNamespace

    import numpy as np

    from evaltools.core.i18n import t
    from evaltools.reports.html import count_text

    for language, hidden in (("nl", "onderdrukt (minder dan 10, of daaruit af te leiden)"),
                             ("en", "suppressed (fewer than 10, or would reveal such a count)")):
        report = SimpleNamespace(study=SimpleNamespace(min_cell_size=10), language=language,
                                 tr=lambda key, language=language, **v: t(key, language, **v))
        assert count_text(0, report) == "0"
        assert count_text(3, report) == count_text(9, report) == "< 10"
        assert count_text(np.nan, report) == count_text(None, report) == hidden
        assert count_text(1234, report) in ("1.234", "1,234")


def test_embedded_figures_keep_matplotlibs_pixels() -> None:
    """``png`` encodes with zlib's fastest level (speed): the image is the one matplotlib
    saves by default, pixel for pixel, and its text alternative and caption come along."""
    import io

    import matplotlib.pyplot as plt
    import numpy as np
    from PIL import Image

    from evaltools.reports.html import png

    def drawn():
        fig, ax = plt.subplots(dpi=96)
        ax.plot([1, 3, 2], label="verandering")
        ax.set_title("Veerkracht (BRS)")
        ax.legend()
        return fig

    figure = png(drawn(), alt="Figuur: drie punten", caption="Bijschrift")
    default = io.BytesIO()
    fig = drawn()
    fig.savefig(default, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    ours = np.asarray(Image.open(io.BytesIO(figure.data)))
    theirs = np.asarray(Image.open(io.BytesIO(default.getvalue())))
    assert ours.shape == theirs.shape and (ours == theirs).all()
    assert figure.alt == "Figuur: drie punten" and "<figcaption>Bijschrift</figcaption>" in \
        figure.html()


def test_change_figures_on_a_kept_figure_have_a_new_figures_pixels(small_study: Path) -> None:
    """The reports draw their change figures on one kept Figure per group layout (speed):
    scale after scale, wave, language, and with a group too small to show, each image is the
    one a new figure (change_distribution) gives, pixel for pixel; one Figure per layout."""
    import io

    from PIL import Image

    from evaltools.data.panel import load_panel
    from evaltools.reports.html import png
    from evaltools.reports.plots import ChangeFigures, change_distribution

    study = load_study(small_study)
    panel = load_panel(study)
    # one site keeps only 3 respondents of the comparison group: its figures show one group
    site = study.sites[0].id
    few = panel[(panel["site"] == site) & (panel["group"] == study.groups[-1].id)]
    dropped = few["respondent_id"].drop_duplicates().iloc[3:]
    small = panel[(panel["site"] == site) & ~panel["respondent_id"].isin(dropped)]
    scales = [s.id for i in study.instruments for s in i.scales]
    kept = ChangeFigures()

    def pixels(fig) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(png(fig, bbox_inches=None, alt="x").data)))

    checked = 0
    for frame in (panel, small):
        for wave in ("t1", "t2"):
            for language in ("nl", "en"):
                for scale in scales:
                    title = f"{scale} ({wave})"
                    ours = pixels(kept.draw(frame, study, scale=scale, post=wave,
                                            language=language, title=title))
                    theirs = pixels(change_distribution(frame, study, scale=scale, post=wave,
                                                        language=language, title=title))
                    assert ours.shape == theirs.shape, (scale, wave, language)
                    assert (ours == theirs).all(), (scale, wave, language)
                    checked += 1
    assert checked == 2 * 2 * 2 * len(scales) and len(scales) > 3
    assert len(kept._kept) == 4  # (two groups, one group) x (nl, en)


def test_the_key_figure_turns_effects_so_that_right_is_favourable() -> None:
    """Each shown scale's interval and estimate are drawn at its row in its verdict's colour,
    turned where a higher score is worse; suppressed rows are left out; factors head rows."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from evaltools.reports.plots import VERDICT_COLOURS, key_figure

    found = pd.DataFrame({
        "scale": ["brs", "sdq", "ucla", "hidden"],
        "protective_factor": ["resilience", "resilience", "family", "family"],
        "direction": ["higher_is_better", "higher_is_worse", "higher_is_better",
                      "higher_is_better"],
        "effect_size": [0.4, 0.56, -0.1, 0.9],
        "effect_size_ci_low": [0.1, 0.2, -0.5, 0.5],
        "effect_size_ci_high": [0.7, 0.9, 0.3, 1.3],
        "verdict": ["favourable", "unfavourable", "unclear", "favourable"],
        "suppressed": [False, False, False, True]})
    fig, ax = plt.subplots()
    key_figure(found, labels={"brs": "BRS", "sdq": "SDQ", "ucla": "UCLA"},
               groups={"resilience": "Veerkracht", "family": "Gezin"}, xlabel="g",
               left="ongunstig", right="gunstig", ax=ax)
    lines = [line for line in ax.get_lines() if list(line.get_xdata()) != [0, 0]]  # not zero
    drawn = {}  # (colour, kind) -> list of (x values, y)
    for line in lines:
        kind = "dot" if line.get_marker() == "o" else "interval"
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        for part_x, part_y in zip(np.split(x, np.flatnonzero(np.isnan(x))),
                                  np.split(y, np.flatnonzero(np.isnan(y))), strict=True):
            keep = ~np.isnan(part_x)
            if kind == "dot":
                for one_x, one_y in zip(part_x[keep], part_y[keep], strict=True):
                    drawn.setdefault((to_hex(line.get_color()), kind), []).append(
                        ((round(float(one_x), 6),), float(one_y)))
            elif keep.any():
                drawn.setdefault((to_hex(line.get_color()), kind), []).append(
                    (tuple(np.round(part_x[keep], 6)), float(part_y[keep][0])))
    plt.close(fig)
    fav, unfav, unclear = (VERDICT_COLOURS[v] for v in ("favourable", "unfavourable", "unclear"))
    # rows: 0 Veerkracht, 1 BRS, 2 SDQ, 3 Gezin, 4 UCLA ("hidden" left out)
    assert drawn == {
        (fav, "interval"): [((0.1, 0.7), 1.0)], (fav, "dot"): [((0.4,), 1.0)],
        (unfav, "interval"): [((-0.9, -0.2), 2.0)], (unfav, "dot"): [((-0.56,), 2.0)],
        (unclear, "interval"): [((-0.5, 0.3), 4.0)], (unclear, "dot"): [((-0.1,), 4.0)]}
    assert [t.get_text().strip() for t in ax.get_yticklabels()] == ["BRS", "SDQ", "UCLA"]
    assert [t.get_text() for t in ax.texts][:2] == ["Veerkracht", "Gezin"]

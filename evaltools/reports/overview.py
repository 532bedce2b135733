"""The "Wat werkt" overview: what the evidence register says, per protective factor.

The template ``notebooks/wat_werkt.ipynb`` opens an :class:`Overview` on a snapshot of the
register (written by :func:`render_overview`, so the notebook never sees a database address)
and calls one method per cell. Per protective factor it shows, per intervention and scale,
the pooled effect (across studies, or across the sites of a single study), its confidence and
prediction intervals, heterogeneity, the indicative recognition level, and forest plots.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pandas as pd
from IPython.display import HTML, display

from evaltools.analysis.evidence import LADDER, classify_register
from evaltools.analysis.findings import verdict
from evaltools.analysis.synthesis import METHODS, TESTS, register_synthesis
from evaltools.core.i18n import interval, number, t
from evaltools.core.io import atomic_write_text
from evaltools.core.version import __version__
from evaltools.instruments.library import find_instruments
from evaltools.register import CELL_FLOOR, check_rows, current_rows, rows_fingerprint
from evaltools.register.exchange import export_register, read_export
from evaltools.reports.evidence_sections import forest_figure
from evaltools.reports.html import Shown, escape, png, table_html, write_tables
from evaltools.reports.index import OVERVIEW_FOLDER, OVERVIEW_STAMP, overview_is_current
from evaltools.reports.notebook import ReportParameterError
from evaltools.reports.render import RenderedReport, ReportError, execute_and_place

__all__ = ["Overview", "render_overview", "shown_level", "overview_is_current",
           "OVERVIEW_FOLDER", "OVERVIEW_STAMP"]

#: OVERVIEW_STAMP and overview_is_current live in :mod:`evaltools.reports.index` (no pandas,
#: for a run that has nothing to do) and stay importable from here.


@dataclass
class Overview:
    """The register's current rows and what the overview has shown so far."""

    rows: pd.DataFrame
    language: str = "nl"
    method: str = "REML"
    test: str = "knha"
    max_forest_plots: int = 40
    tables: list = field(default_factory=list)
    headline: str = ""
    _pooled: tuple | None = None
    _levels: pd.DataFrame | None = None
    _labels: dict[str, str] | None = None

    @classmethod
    def open(cls, register_file: str, *, language: str = "nl", method: str = "REML",
             test: str = "knha", max_forest_plots: int = 40) -> Overview:
        """Read a register export (Parquet or CSV), checking it against the register rules.

        With more pooled outcomes than ``max_forest_plots``, each protective factor gets one
        summary forest plot of its pooled effects instead of one plot per outcome.
        """
        if language not in ("nl", "en"):
            raise ReportParameterError(f"language={language!r}: expected 'nl' or 'en'")
        if method not in METHODS or test not in TESTS:
            raise ReportParameterError(f"method={method!r}, test={test!r}: expected method "
                                       f"in {METHODS} and test in {TESTS}")

        path = Path(register_file)
        rows = current_rows(check_rows(read_export(path), source=path.name))
        return cls(rows, language, method, test, max_forest_plots)

    # ------------------------------------------------------------------ helpers

    def tr(self, key: str, **values) -> str:
        return t(key, self.language, **values)

    def num(self, value, digits: int = 2) -> str:
        return number(value, self.language, digits)

    def keep(self, name: str, frame: pd.DataFrame) -> None:
        self.tables.append(Shown(name, frame.reset_index(drop=True)))

    def pooled(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(inputs, pooled) of :func:`~evaltools.analysis.synthesis.register_synthesis`, once."""
        if self._pooled is None:
            self._pooled = register_synthesis(self.rows, method=self.method, test=self.test)
        return self._pooled

    def levels(self) -> pd.DataFrame:
        """The indicative recognition level per intervention and scale (all waves count)."""
        if self._levels is None:
            whole = self.rows[self.rows["site"] == "all"]
            self._levels = classify_register(whole, language=self.language)
        return self._levels

    # ------------------------------------------------------------------ sections

    def title(self):
        """Title and what the register holds."""
        studies = self.rows.groupby(["organisation", "study"]).ngroups
        sub = self.tr("txt.overview_sub", interventions=self.rows["intervention"].nunique(),
                      studies=studies, factors=self.rows["protective_factor"].nunique())
        return HTML(f"<h1>{escape(self.tr('report.wat_werkt'))}</h1>"
                    f"<p class='subtitle'>{escape(sub)}</p>")

    def summary(self):
        """Plain language: per protective factor, the interventions with a favourable pooled
        effect and their highest indicative level."""
        _, pooled = self.pooled()
        levels = self.levels().set_index(["intervention", "protective_factor", "scale"])
        directions = self.rows.drop_duplicates("scale").set_index("scale")["direction"]
        items, favourable = [], 0
        for factor, part in pooled.groupby("protective_factor", sort=True):
            said = [verdict(r.estimate, r.ci_low, r.ci_high, directions[r.scale])
                    for r in part.itertuples()]
            good = [r for r, v in zip(part.itertuples(), said, strict=True) if v == "favourable"]
            bad = [r for r, v in zip(part.itertuples(), said, strict=True)
                   if v == "unfavourable"]
            favourable += len(good)
            if good:
                best = {}
                for r in good:
                    level = levels.loc[(r.intervention, factor, r.scale), "level"]
                    if LADDER.index(level) >= LADDER.index(best.get(r.intervention, LADDER[0])):
                        best[r.intervention] = level
                by_level: dict[str, list[str]] = {}
                for name, lv in sorted(best.items()):
                    by_level.setdefault(lv, []).append(name)
                what = "; ".join(f"{', '.join(names)} ({self.tr(f'level.{lv}')})"
                                 for lv, names in sorted(by_level.items(),
                                                         key=lambda x: -LADDER.index(x[0])))
                items.append(self.tr("txt.overview_factor", factor=self.tr(f"factor.{factor}"),
                                     what=what))
            else:
                items.append(self.tr("txt.overview_factor_none",
                                     factor=self.tr(f"factor.{factor}")))
            if bad:
                what = "; ".join(f"{r.intervention} ({self.scale_label(r.scale)})" for r in bad)
                items.append(self.tr("txt.overview_factor_unfavourable",
                                     factor=self.tr(f"factor.{factor}"), what=what))
        self.headline = self.tr("txt.overview_headline", n=favourable, m=len(pooled))
        return HTML(f"<h2>{self.tr('sec.summary')}</h2><div class='summary'>"
                    f"<p class='headline'><strong>{escape(self.headline)}</strong></p><ul>"
                    + "".join(f"<li>{escape(x)}</li>" for x in items) + "</ul></div>"
                    f"<p class='note'>{escape(self.tr('txt.indicative'))}</p>")

    def factors(self) -> None:
        """Per protective factor: the pooled effects with their levels, and forest plots."""
        inputs, pooled = self.pooled()
        levels = self.levels().set_index(["intervention", "protective_factor", "scale"])
        directions = self.rows.drop_duplicates("scale").set_index("scale")["direction"]
        kept = []
        if len(pooled) > self.max_forest_plots:
            note = self.tr("txt.overview_summary_plots", n=len(pooled), m=self.max_forest_plots)
            display(HTML(f"<p class='note'>{escape(note)}</p>"))
        for factor, part in pooled.groupby("protective_factor", sort=True):
            display(HTML(f"<h2>{escape(self.tr(f'factor.{factor}'))}</h2>"))
            rows = []
            for r in part.itertuples():
                level = levels.loc[(r.intervention, factor, r.scale)]
                said = verdict(r.estimate, r.ci_low, r.ci_high, directions[r.scale])
                shown = shown_level(level["level"], said)
                unit = self.tr("col.k_studies" if r.unit == "study" else "col.k_sites")
                rows.append([r.intervention, self.scale_label(r.scale), f"{r.k} {unit.lower()}",
                             self.num(r.estimate), interval(r.ci_low, r.ci_high, self.language),
                             interval(r.pi_low, r.pi_high, self.language),
                             self.num(r.i2, 0) + "%" if r.k > 1 else "–",
                             self.num(r.tau2, 3) if r.k > 1 else "–",
                             self.tr(f"verdict.short.{said}"), self.tr(f"level.{shown}")])
                kept.append({**r._asdict(), "direction": directions[r.scale],
                             "verdict": said, "level": shown,
                             "level_from_studies": level["level"],
                             "reasons": level["reasons"]})
            display(table_html("", [self.tr("col.intervention"), self.tr("col.scale"), "k",
                                self.tr("col.pooled"), self.tr("col.ci"), self.tr("col.pi"),
                                "I²", "tau²", self.tr("col.verdict"), self.tr("col.level")],
                                rows, self, label=self.tr(f"factor.{factor}"), row_headers=2))
            if len(pooled) > self.max_forest_plots:
                kinds = sorted(set(part["effect_size_type"]))
                alt = self.tr("alt.forest_summary", factor=self.tr(f"factor.{factor}"),
                              effect=" / ".join(self.tr(f"es.{k}") for k in kinds),
                              n=len(part))
                display(png(self._summary_figure(factor, part), alt=alt))
                continue
            for r in part.itertuples():
                these = inputs[(inputs["intervention"] == r.intervention)
                               & (inputs["scale"] == r.scale)
                               & (inputs["effect_size_type"] == r.effect_size_type)]
                title = f"{r.intervention} · {self.scale_label(r.scale)}"
                alt = self.tr("alt.forest_studies", what=title,
                              effect=self.tr(f"es.{r.effect_size_type}"), k=len(these),
                              estimate=self.num(r.estimate),
                              ci=interval(r.ci_low, r.ci_high, self.language))
                display(png(forest_figure(these, r._asdict(), label="label", title=title,
                                          xlabel=self.tr(f"es.{r.effect_size_type}"),
                                          pooled_label=self.tr("txt.pooled_label")), alt=alt))
        self.keep("pooled", pd.DataFrame(kept).drop(columns="Index", errors="ignore"))
        self.keep("inputs", inputs.drop(columns=["inputs_fingerprint", "result_id"]))

    def _summary_figure(self, factor: str, part: pd.DataFrame):
        """One forest plot per protective factor: each row a pooled effect with its interval
        (used instead of one plot per outcome when there are many)."""
        rows = part.assign(label=[f"{r.intervention} · {self.scale_label(r.scale)}"
                                  for r in part.itertuples()],
                           effect_size=part["estimate"])
        kinds = sorted(set(part["effect_size_type"]))
        return forest_figure(rows, None, label="label", title=self.tr(f"factor.{factor}"),
                             xlabel=" / ".join(self.tr(f"es.{k}") for k in kinds),
                             pooled_label="", se=None)

    def evidence(self):
        """Why each intervention and scale has its indicative level."""
        table = self.levels()
        self.keep("levels", table)
        rows = [[r.intervention, self.scale_label(r.scale), str(r.k_studies),
                 self.tr(f"level.{r.level}"), r.reasons] for r in table.itertuples()]
        body = table_html("", [self.tr("col.intervention"), self.tr("col.scale"),
                           self.tr("col.k_studies"), self.tr("col.level"),
                           self.tr("col.reasons")], rows, self, label=self.tr("sec.levels"),
                           row_headers=2)
        return HTML(f"<h2>{escape(self.tr('sec.levels'))}</h2>"
                    f"<p>{escape(self.tr('txt.indicative'))}</p>" + body.data
                    + f"<p class='small'>{escape(self.tr('txt.criteria'))}</p>")

    def methods(self):
        """How the overview was made."""
        parts = [self.tr("txt.overview_methods", method=self.method,
                         test=self.tr(f"test.{self.test}")),
                 self.tr("txt.overview_privacy"),
                 self.tr("txt.versions", version=__version__,
                         packages=", ".join(f"{p} {version(p)}" for p in
                                            ("pandas", "numpy", "scipy", "statsmodels")))]
        return HTML(f"<h2>{self.tr('sec.methods')}</h2>"
                    + "".join(f"<p>{escape(p)}</p>" for p in parts))

    def save_tables(self, folder: str = "tables") -> None:
        """Write every table shown, plus meta.json."""
        write_tables(self.tables, folder, {"study": OVERVIEW_FOLDER, "template": "wat_werkt",
                                           "site": "all", "wave": "", "language":
                                           self.language, "headline": self.headline},
                     min_cell_size=CELL_FLOOR)

    def scale_label(self, scale: str) -> str:
        """The scale's label from the instrument library (newest version first), else the
        label its rows carry (a study's own instrument; register schema 4), else its id; read
        once per overview."""
        if self._labels is None:
            self._labels = {}
            for versions in find_instruments().values():
                for inst in reversed(versions):
                    for sc in inst.scales:
                        self._labels.setdefault(sc.id, sc.label.get(self.language))
            column = f"scale_label_{self.language}"
            if column in self.rows.columns:
                named = self.rows.dropna(subset=[column])
                named = named[named[column].astype(str).str.strip() != ""]
                for sc, label in zip(named["scale"], named[column], strict=True):
                    self._labels.setdefault(sc, str(label))
        return self._labels.get(scale, scale)


def shown_level(level: str, said: str) -> str:
    """The recognition level shown beside a pooled effect: an effectiveness level
    (eerste/goede/sterke aanwijzingen) only where the pooled effect itself is favourable;
    otherwise at most "goed onderbouwd", so that a level never contradicts the effect beside
    it."""
    cap = LADDER.index("goed_onderbouwd")
    if said == "favourable" or LADDER.index(level) <= cap:
        return level
    return LADDER[cap]


def render_overview(register, *, reports_dir: str | Path = "reports", language: str = "nl",
                    method: str = "REML", test: str = "knha", max_forest_plots: int = 40,
                    kernel=None):
    """Render the "Wat werkt" overview of a register into
    ``<reports_dir>/wat-werkt/<language>/``.

    Parameters
    ----------
    register : evaltools.register.Register
        The register; its current rows are exported to a snapshot the notebook reads.

    Returns
    -------
    evaltools.reports.RenderedReport
    """
    final = Path(reports_dir) / OVERVIEW_FOLDER / language
    work = Path(tempfile.mkdtemp(prefix=f"evaltools-overview-{os.getpid()}-"))
    try:
        _, count = export_register(register, work / "register.parquet", current=True)
        built_on = rows_fingerprint(pd.read_parquet(work / "register.parquet",
                                                    columns=["result_id"])["result_id"])
        if count == 0:
            raise ReportError(f"the register at {register.display} holds no results yet: run "
                              "'evaltools register add STUDY' or 'evaltools run STUDY' first")
        meta = execute_and_place(
            "wat_werkt", {"register_file": "register.parquet", "language": language,
                          "method": method, "test": test,
                          "max_forest_plots": max_forest_plots}, final, work,
            title=t("report.wat_werkt", language), language=language, private=[],
            what=f"overview 'wat_werkt' ({language})", kernel=kernel)
        # after the swap: a run killed in between leaves no stamp, so the next one rebuilds
        atomic_write_text(final / OVERVIEW_STAMP, built_on + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return RenderedReport(final, final / "report.html", "wat_werkt", "all", "",
                          meta.get("headline", ""))

"""The "Wat werkt" overview: what the evidence register says, per protective factor.

The template ``notebooks/wat_werkt.ipynb`` opens an :class:`Overview` on a snapshot of the
register (written by :func:`render_overview`, so the notebook never sees a database address)
and calls one method per cell. Per protective factor it shows, per intervention and scale,
the pooled effect (across studies, or across the sites of a single study), its confidence and
prediction intervals, heterogeneity, the indicative recognition level, and forest plots.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaltools.i18n import interval, number, t

__all__ = ["Overview", "render_overview", "OVERVIEW_FOLDER"]

#: Where the overview goes under the reports folder: ``<reports>/wat-werkt/<language>/``.
OVERVIEW_FOLDER = "wat-werkt"


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
        from evaltools.register import check_rows, current_rows
        from evaltools.reporting import ReportParameterError
        from evaltools.synthesis import METHODS, TESTS

        if language not in ("nl", "en"):
            raise ReportParameterError(f"language={language!r}: expected 'nl' or 'en'")
        if method not in METHODS or test not in TESTS:
            raise ReportParameterError(f"method={method!r}, test={test!r}: expected method "
                                       f"in {METHODS} and test in {TESTS}")
        from evaltools.register.exchange import read_export

        path = Path(register_file)
        rows = current_rows(check_rows(read_export(path), source=path.name))
        return cls(rows, language, method, test, max_forest_plots)

    # ------------------------------------------------------------------ helpers

    def _t(self, key: str, **values) -> str:
        return t(key, self.language, **values)

    def _n(self, value, digits: int = 2) -> str:
        return number(value, self.language, digits)

    def _keep(self, name: str, frame: pd.DataFrame) -> None:
        from evaltools.reporting import _Shown

        self.tables.append(_Shown(name, frame.reset_index(drop=True)))

    def pooled(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(inputs, pooled) of :func:`evaltools.synthesis.register_synthesis`, computed once."""
        from evaltools.synthesis import register_synthesis

        if self._pooled is None:
            self._pooled = register_synthesis(self.rows, method=self.method, test=self.test)
        return self._pooled

    def levels(self) -> pd.DataFrame:
        """The indicative recognition level per intervention and scale (all waves count)."""
        from evaltools.evidence import classify_register

        if self._levels is None:
            whole = self.rows[self.rows["site"] == "all"]
            self._levels = classify_register(whole, language=self.language)
        return self._levels

    # ------------------------------------------------------------------ sections

    def title(self):
        """Title and what the register holds."""
        from IPython.display import HTML

        from evaltools.reporting import _e

        studies = self.rows.groupby(["organisation", "study"]).ngroups
        sub = self._t("txt.overview_sub", interventions=self.rows["intervention"].nunique(),
                      studies=studies, factors=self.rows["protective_factor"].nunique())
        return HTML(f"<h1>{_e(self._t('report.wat_werkt'))}</h1>"
                    f"<p class='subtitle'>{_e(sub)}</p>")

    def summary(self):
        """Plain language: per protective factor, the interventions with a favourable pooled
        effect and their highest indicative level."""
        from IPython.display import HTML

        from evaltools.evidence import LADDER
        from evaltools.reporting import _e

        _, pooled = self.pooled()
        levels = self.levels().set_index(["intervention", "protective_factor", "scale"])
        directions = self.rows.drop_duplicates("scale").set_index("scale")["direction"]
        items, favourable = [], 0
        for factor, part in pooled.groupby("protective_factor", sort=True):
            good = []
            for r in part.itertuples():
                if (r.ci_low > 0 or r.ci_high < 0) and (r.estimate > 0) == (
                        directions[r.scale] == "higher_is_better"):
                    good.append(r)
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
                what = "; ".join(f"{', '.join(names)} ({self._t(f'level.{lv}')})"
                                 for lv, names in sorted(by_level.items(),
                                                         key=lambda x: -LADDER.index(x[0])))
                items.append(self._t("txt.overview_factor", factor=self._t(f"factor.{factor}"),
                                     what=what))
            else:
                items.append(self._t("txt.overview_factor_none",
                                     factor=self._t(f"factor.{factor}")))
        self.headline = self._t("txt.overview_headline", n=favourable, m=len(pooled))
        return HTML(f"<h2>{self._t('sec.summary')}</h2><div class='summary'><ul>"
                    + "".join(f"<li>{_e(x)}</li>" for x in items) + "</ul></div>"
                    f"<p class='note'>{_e(self._t('txt.indicative'))}</p>")

    def factors(self) -> None:
        """Per protective factor: the pooled effects with their levels, and forest plots."""
        from IPython.display import HTML, display

        from evaltools._evidence_sections import forest_figure
        from evaltools.reporting import _e, _table, png

        inputs, pooled = self.pooled()
        levels = self.levels().set_index(["intervention", "protective_factor", "scale"])
        kept = []
        if len(pooled) > self.max_forest_plots:
            note = self._t("txt.overview_summary_plots", n=len(pooled), m=self.max_forest_plots)
            display(HTML(f"<p class='note'>{_e(note)}</p>"))
        for factor, part in pooled.groupby("protective_factor", sort=True):
            display(HTML(f"<h2>{_e(self._t(f'factor.{factor}'))}</h2>"))
            rows = []
            for r in part.itertuples():
                level = levels.loc[(r.intervention, factor, r.scale)]
                unit = self._t("col.k_studies" if r.unit == "study" else "col.k_sites")
                rows.append([r.intervention, self._scale_label(r.scale), f"{r.k} {unit.lower()}",
                             self._n(r.estimate), interval(r.ci_low, r.ci_high, self.language),
                             interval(r.pi_low, r.pi_high, self.language),
                             self._n(r.i2, 0) + "%" if r.k > 1 else "–",
                             self._n(r.tau2, 3) if r.k > 1 else "–",
                             self._t(f"level.{level['level']}")])
                kept.append({**r._asdict(), "level": level["level"],
                             "reasons": level["reasons"]})
            display(_table("", [self._t("col.intervention"), self._t("col.scale"), "k",
                                self._t("col.pooled"), self._t("col.ci"), self._t("col.pi"),
                                "I²", "tau²", self._t("col.level")], rows, self, level=3))
            if len(pooled) > self.max_forest_plots:
                display(png(self._summary_figure(factor, part)))
                continue
            for r in part.itertuples():
                these = inputs[(inputs["intervention"] == r.intervention)
                               & (inputs["scale"] == r.scale)
                               & (inputs["effect_size_type"] == r.effect_size_type)]
                title = f"{r.intervention} · {self._scale_label(r.scale)}"
                display(png(forest_figure(these, r._asdict(), label="label", title=title,
                                          xlabel=self._t(f"es.{r.effect_size_type}"),
                                          pooled_label=self._t("txt.pooled_label"))))
        self._keep("pooled", pd.DataFrame(kept).drop(columns="Index", errors="ignore"))
        self._keep("inputs", inputs.drop(columns=["inputs_fingerprint", "result_id"]))

    def _summary_figure(self, factor: str, part: pd.DataFrame):
        """One forest plot per protective factor: each row a pooled effect with its interval
        (used instead of one plot per outcome when there are many)."""
        from evaltools._evidence_sections import forest_figure

        rows = part.assign(label=[f"{r.intervention} · {self._scale_label(r.scale)}"
                                  for r in part.itertuples()],
                           effect_size=part["estimate"])
        kinds = sorted(set(part["effect_size_type"]))
        return forest_figure(rows, None, label="label", title=self._t(f"factor.{factor}"),
                             xlabel=" / ".join(self._t(f"es.{k}") for k in kinds),
                             pooled_label="", se=None)

    def evidence(self):
        """Why each intervention and scale has its indicative level."""
        from IPython.display import HTML

        from evaltools.reporting import _e, _table

        table = self.levels()
        self._keep("levels", table)
        rows = [[r.intervention, self._scale_label(r.scale), str(r.k_studies),
                 self._t(f"level.{r.level}"), r.reasons] for r in table.itertuples()]
        body = _table("", [self._t("col.intervention"), self._t("col.scale"),
                           self._t("col.k_studies"), self._t("col.level"),
                           self._t("col.reasons")], rows, self, level=3)
        return HTML(f"<h2>{_e(self._t('sec.levels'))}</h2>"
                    f"<p>{_e(self._t('txt.indicative'))}</p>" + body.data
                    + f"<p class='small'>{_e(self._t('txt.criteria'))}</p>")

    def methods(self):
        """How the overview was made."""
        from importlib.metadata import version

        from IPython.display import HTML

        from evaltools import __version__
        from evaltools.reporting import _e

        parts = [self._t("txt.overview_methods", method=self.method,
                         test=self._t(f"test.{self.test}")),
                 self._t("txt.overview_privacy"),
                 self._t("txt.versions", version=__version__,
                         packages=", ".join(f"{p} {version(p)}" for p in
                                            ("pandas", "numpy", "scipy", "statsmodels")))]
        return HTML(f"<h2>{self._t('sec.methods')}</h2>"
                    + "".join(f"<p>{_e(p)}</p>" for p in parts))

    def save_tables(self, folder: str = "tables") -> None:
        """Write every table shown, plus meta.json."""
        from evaltools.reporting import write_tables

        write_tables(self.tables, folder, {"study": OVERVIEW_FOLDER, "template": "wat_werkt",
                                           "site": "all", "wave": "", "language":
                                           self.language, "headline": self.headline})

    def _scale_label(self, scale: str) -> str:
        """The scale's label from the instrument library (newest version first), else its id;
        the library is read once per overview."""
        if self._labels is None:
            from evaltools.instruments import find_instruments

            self._labels = {}
            for versions in find_instruments().values():
                for inst in reversed(versions):
                    for sc in inst.scales:
                        self._labels.setdefault(sc.id, sc.label.get(self.language))
        return self._labels.get(scale, scale)


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
    evaltools.report.RenderedReport
    """
    from evaltools.register.exchange import export_register
    from evaltools.report import RenderedReport, ReportError, _execute_and_place

    final = Path(reports_dir) / OVERVIEW_FOLDER / language
    work = Path(tempfile.mkdtemp(prefix="evaltools-overview-"))
    try:
        _, count = export_register(register, work / "register.parquet", current=True)
        if count == 0:
            raise ReportError(f"the register at {register.display} holds no results yet: run "
                              "'evaltools register add STUDY' or 'evaltools run STUDY' first")
        meta = _execute_and_place(
            "wat_werkt", {"register_file": "register.parquet", "language": language,
                          "method": method, "test": test,
                          "max_forest_plots": max_forest_plots}, final, work,
            title=t("report.wat_werkt", language), language=language, private=[],
            what=f"overview 'wat_werkt' ({language})", kernel=kernel)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return RenderedReport(final, final / "report.html", "wat_werkt", "all", "",
                          meta.get("headline", ""))

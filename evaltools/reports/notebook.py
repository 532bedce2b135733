"""The building blocks of a report notebook: one call per cell, text in the report's language.

A template notebook opens a :class:`Report` from its parameters (checked before anything runs),
then calls one method per cell. Each method computes with :mod:`evaltools.analysis.effects` and
friends,
applies disclosure control (cells with fewer respondents than the study's minimum are
suppressed and marked), shows a formatted table or figure, and keeps the underlying table so
that :meth:`Report.save_tables` can write every table of the report as CSV and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML, display

from evaltools.analysis.effects import (
    adjust_by_domain,
    ancova,
    baseline_equivalence,
    diff_in_diff,
    reliable_change_summary,
    within_change,
)
from evaltools.analysis.effects.common import scale_info
from evaltools.core.errors import EvaltoolsError
from evaltools.core.i18n import interval, number, percent, t
from evaltools.core.version import __version__
from evaltools.data.panel import attrition, load_panel, load_responses, participant_flow
from evaltools.data.store import Manifest
from evaltools.instruments.reliability import reliability
from evaltools.instruments.scoring import flag_inconsistent
from evaltools.reports.evidence_sections import evidence_html, show_site_synthesis
from evaltools.reports.html import (
    Shown,
    count_text,
    escape,
    png,
    suppress_count,
    table_html,
    write_tables,
)
from evaltools.reports.index import TEMPLATE_TITLES
from evaltools.reports.inputs import data_slice
from evaltools.reports.plots import change_distribution
from evaltools.study.load import load_study
from evaltools.study.model import TEMPLATES, Study

__all__ = ["Report", "ReportParameterError", "TEMPLATE_TITLES"]



class ReportParameterError(EvaltoolsError):
    """A report was asked for with parameters the study or template does not allow."""

    exit_code = 2


@dataclass
class Report:
    """The validated configuration of one report, and what it has shown so far."""

    study: Study
    template: str
    site: str
    wave: str
    language: str
    tables: list[Shown] = field(default_factory=list)
    headline: str = ""
    _panel: pd.DataFrame | None = None
    _responses: pd.DataFrame | None = None
    _change_table: pd.DataFrame | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, study_dir: str, template: str, *, site: str = "all", wave: str = "",
             language: str = "") -> Report:
        """Check the parameters against the study and load it.

        Raises
        ------
        ReportParameterError
            Naming the parameter, the value and the allowed values.
        """
        study = load_study(study_dir)
        return cls(study, *check_parameters(study, template, site, wave, language))

    @property
    def panel(self) -> pd.DataFrame:
        """The study panel, restricted to the report's site."""
        if self._panel is None:
            panel = load_panel(self.study)
            self._panel = panel if self.site == "all" else panel[panel["site"] == self.site]
        return self._panel

    @property
    def responses(self) -> pd.DataFrame:
        """The study's item answers (all sites; read once per report)."""
        if self._responses is None:
            self._responses = load_responses(self.study)
        return self._responses

    def tr(self, key: str, **values) -> str:
        return t(key, self.language, **values)

    def num(self, value, digits: int = 2) -> str:
        return number(value, self.language, digits)

    def place(self) -> str:
        if self.site == "all":
            return self.tr("all_sites")
        return next(s.name for s in self.study.sites if s.id == self.site)

    def scale_label(self, scale: str) -> str:
        for inst in self.study.instruments:
            for s in inst.scales:
                if s.id == scale:
                    return s.label.get(self.language)
        return scale

    def wave_label(self, wave: str) -> str:
        return self.study.wave(wave).label.get(self.language)

    def group_label(self, group: str) -> str:
        return next(g.label.get(self.language) for g in self.study.groups if g.id == group)

    def keep(self, name: str, frame: pd.DataFrame) -> None:
        self.tables.append(Shown(name, frame.reset_index(drop=True)))

    # ------------------------------------------------------------------ sections

    def title(self):
        """The report's title and subtitle."""
        what = self.tr(TEMPLATE_TITLES[self.template])
        sub = f"{self.study.title.get(self.language)} · {self.place()}"
        if self.template != "data_quality":
            sub += f" · {self.wave_label(self.study.baseline.id)} → {self.wave_label(self.wave)}"
        return HTML(f"<h1>{escape(what)}</h1><p class='subtitle'>{escape(sub)}</p>")

    def summary(self):
        """A plain-language summary for policy staff."""
        change = self._change()
        mine = change[(change["group"] == self._intervention()) & (change["site"] == "all")]
        n = int(mine["n"].max()) if len(mine) else 0
        lines = [self.tr("txt.summary_intro", intervention=self.study.intervention,
                         place=self.place(), pre=self.wave_label(self.study.baseline.id),
                         post=self.wave_label(self.wave), n=count_text(n, self))]
        design = self.tr(f"design.{self.study.design}")
        lines.append(self.tr("txt.summary_compare", design=design)
                     if self.study.has_comparison else self.tr("txt.summary_no_compare"))
        items = []
        better = 0
        for row in mine.itertuples():
            if row.note:
                continue
            sign = 1 if row.direction == "higher_is_better" else -1
            clear = row.ci_low > 0 or row.ci_high < 0
            word = ("word.better" if sign * row.mean_change > 0 else "word.worse") if clear \
                else "word.unclear"
            better += clear and sign * row.mean_change > 0
            items.append(self.tr("txt.improved", scale=self.scale_label(row.scale),
                                 direction_word=self.tr(word),
                                 change=self.num(row.mean_change),
                                 ci=interval(row.ci_low, row.ci_high, self.language)))
        self.headline = self.tr("txt.headline", n_better=better, n_scales=len(items))
        body = "".join(f"<p>{escape(x)}</p>" for x in lines)
        body += "<ul>" + "".join(f"<li>{escape(x)}</li>" for x in items) + "</ul>"
        return HTML(f"<h2>{self.tr('sec.summary')}</h2><div class='summary'>{body}</div>"
                    f"<p class='note'>{escape(self.tr('txt.indicative'))}</p>")

    def flow(self):
        """Participant flow per group (counts below the minimum cell size suppressed)."""
        flow = participant_flow(self.panel, self.study)
        flow = flow[flow["site"] == ("all" if self.site == "all" else self.site)]
        flow = flow[(flow["wave"].isna()) | (flow["wave"] == self.wave)
                    | ((flow["stage"] == "measured") & (flow["wave"] == self.study.baseline.id))]
        shown = flow.assign(n=[suppress_count(v, self.study) for v in flow["n"]])
        self.keep("participant_flow", shown.assign(
            suppressed=shown["n"].isna()).drop(columns="site"))
        rows = [[self.tr(f"stage.{r.stage}") + (f" ({self.wave_label(r.wave)})"
                                                 if isinstance(r.wave, str) else ""),
                 self.group_label(r.group), count_text(r.n, self)]
                for r in shown.itertuples()]
        return table_html(self.tr("sec.design"), [self.tr("col.stage"), self.tr("col.group"),
                                              self.tr("col.n")], rows, self)

    def _intervention(self) -> str:
        return next(g.id for g in self.study.groups if g.role == "intervention")

    def _change(self) -> pd.DataFrame:
        """Within-group change of every scale (computed once per report)."""
        if self._change_table is None:
            self._change_table = within_change(self.panel, self.study, post=self.wave,
                                               by_site=False)
        return self._change_table

    def results(self):
        """Per protective factor: change table with reliable change shares, and a figure."""
        change = self._change()
        display(HTML(f"<h2>{self.tr('sec.results')}</h2>"))
        alphas = self._baseline_alphas()
        kept = []
        for factor in dict.fromkeys(i.protective_factor for i in self.study.instruments):
            scales = [s.id for i in self.study.instruments if i.protective_factor == factor
                      for s in i.scales]
            block = change[change["scale"].isin(scales)]
            rows = []
            for r in block.itertuples():
                shares = {"share_improved": np.nan, "share_deteriorated": np.nan}
                if not r.note:
                    try:
                        rc = reliable_change_summary(self.panel, self.study, scale=r.scale,
                                                     post=self.wave, by_site=False,
                                                     reliability=alphas.get(r.scale))
                        mine = rc[rc["group"] == r.group].iloc[0]
                        shares = {"share_improved": mine["share_improved"]
                                  + (mine["share_recovered"] if mine["share_recovered"]
                                     == mine["share_recovered"] else 0.0),
                                  "share_deteriorated": mine["share_deteriorated"]}
                    except EvaltoolsError:
                        pass
                kept.append({"protective_factor": factor, "scale": r.scale, "group": r.group,
                             "n": r.n if not r.note else np.nan, "mean_pre": r.mean_pre,
                             "mean_post": r.mean_post, "mean_change": r.mean_change,
                             "ci_low": r.ci_low, "ci_high": r.ci_high, "g_av": r.g_av,
                             **shares, "suppressed": bool(r.note)})
                if r.note:
                    rows.append([self.scale_label(r.scale), self.group_label(r.group),
                                 self.tr("suppressed"), "", "", "", "", "", ""])
                    continue
                rows.append([self.scale_label(r.scale), self.group_label(r.group),
                             count_text(r.n, self), self.num(r.mean_pre), self.num(r.mean_post),
                             self.num(r.mean_change),
                             interval(r.ci_low, r.ci_high, self.language),
                             self.num(r.g_av), f"{percent(shares['share_improved'], self.language)}"
                             f" / {percent(shares['share_deteriorated'], self.language)}"])
            display(table_html(self.tr(f"factor.{factor}"), [
                self.tr("col.scale"), self.tr("col.group"), self.tr("col.n"),
                self.tr("col.mean_pre"), self.tr("col.mean_post"), self.tr("col.change"),
                self.tr("col.ci"), "g_av", self.tr("col.improved") + " / "
                + self.tr("col.deteriorated").lower()], rows, self, level=3))
            display(self._figure(scales[0]))
        self.keep("results", pd.DataFrame(kept))

    def _baseline_alphas(self) -> dict[str, float]:
        """Cronbach's alpha of every scale at baseline (this report's sites), for reliable
        change; a report reads no data of other sites."""
        responses = self.responses
        base = responses[responses["wave"] == self.study.baseline.id]
        if self.site != "all":
            base = base[base["site"] == self.site]
        table = reliability(base, self.study)
        return {r.scale: r.alpha for r in table.itertuples()
                if r.alpha == r.alpha and 0 < r.alpha < 1}

    def _figure(self, scale: str):
        """The change figure as an embedded PNG (whatever the plotting backend)."""
        fig = change_distribution(self.panel, self.study, scale=scale, post=self.wave,
                                  language=self.language, title=self.scale_label(scale),
                                  caption=self.tr("txt.fig_change"))
        return png(fig, bbox_inches=None)  # its layout already leaves room for the caption

    def comparison(self):
        """Intervention versus comparison: difference in differences and ANCOVA."""
        if not self.study.has_comparison:
            return HTML("")
        table = pd.concat([diff_in_diff(self.panel, self.study, post=self.wave),
                           ancova(self.panel, self.study, post=self.wave)], ignore_index=True)
        table = adjust_by_domain(table, self.study, by=["method"])
        self.keep("comparison", table.drop(columns=["intervention", "comparison"]))
        rows = []
        for r in table.itertuples():
            if r.note:
                rows.append([self.scale_label(r.scale), self.tr(f"method.{r.method}"),
                             self.tr("suppressed"), "", "", "", ""])
                continue
            rows.append([self.scale_label(r.scale), self.tr(f"method.{r.method}"),
                         count_text(r.n, self), self.num(r.estimate),
                         interval(r.ci_low, r.ci_high, self.language), self.num(r.effect_size),
                         self.num(r.p_bh, 3)])
        return table_html(self.tr("sec.comparison"), [
            self.tr("col.scale"), self.tr("col.method"), self.tr("col.n"),
            self.tr("col.estimate"), self.tr("col.ci"), self.tr("col.effect"),
            self.tr("col.p_adj")], rows, self)

    def evidence(self):
        """The indicative evidence statement: WWC-style rating and recognition-ladder rung per
        scale, with the reasons (see :mod:`evaltools.analysis.evidence`)."""
        return evidence_html(self)

    def synthesis(self):
        """The sites' effects pooled per scale (random effects), forest plots, influence."""
        show_site_synthesis(self)

    def equivalence(self):
        """WWC baseline equivalence of the analytic sample, per scale."""
        table = baseline_equivalence(self.panel, self.study, post=self.wave)
        self.keep("baseline_equivalence", table)
        rows = [[self.scale_label(r.scale), self.tr("suppressed") if r.note else
                 self.num(r.effect_size), "" if r.note else self.tr(f"eq.{r.equivalence}")]
                for r in table.itertuples()]
        return table_html(self.tr("col.equivalence"), [self.tr("col.scale"), "g (WWC)",
                                                   self.tr("col.equivalence")], rows, self)

    def attrition(self):
        """Dropouts compared with completers on their baseline scores."""
        table = attrition(self.panel, self.study, wave=self.wave)
        table = table[table["group"] == "all"]
        small = (table["n_completers"] < self.study.min_cell_size) | (
            table["n_dropouts"] < self.study.min_cell_size)
        self.keep("attrition", table.assign(suppressed=small))
        rows = [[self.scale_label(r.scale), self.tr("suppressed") if bad else
                 self.num(r.difference), "" if bad else self.num(r.std_difference),
                 "" if bad else self.num(r.p_value, 3)]
                for r, bad in zip(table.itertuples(), small, strict=True)]
        return table_html(self.tr("sec.attrition"), [self.tr("col.scale"),
                                                 self.tr("col.difference"), "d",
                                                 self.tr("col.p")], rows, self)

    def direction(self, scale: str) -> str:
        return scale_info(self.study, scale)[1].direction

    def data_quality(self):
        """Missing answers and reliability per wave (and site), contradictory answering."""
        responses = self.responses
        if self.site != "all":
            responses = responses[responses["site"] == self.site]
        display(HTML(f"<h2>{self.tr('sec.quality')}</h2>"))
        rel = reliability(responses, self.study, by=["wave"])
        self.keep("reliability", rel)
        rows = [[self.scale_label(r.scale), self.wave_label(r.wave), count_text(r.n, self),
                 self.num(r.alpha) if r.n >= self.study.min_cell_size else "–",
                 self.num(r.omega_total) if r.n >= self.study.min_cell_size else "–"]
                for r in rel.itertuples()]
        display(table_html(self.tr("sec.reliability"), [
            self.tr("col.scale"), self.tr("col.wave"), self.tr("col.n"), self.tr("col.alpha"),
            self.tr("col.omega")], rows, self, level=3))
        items = list(self.study.item_ids)
        missing = responses.groupby("wave")[items].apply(lambda b: b.isna().mean().mean())
        alphas = rel.loc[rel["n"] >= self.study.min_cell_size, "alpha"]
        self.headline = self.tr("txt.headline_quality", low=self.num(alphas.min()),
                                high=self.num(alphas.max()),
                                missing=percent(missing.mean(), self.language, 1))
        self.keep("missing_answers", missing.rename("share_missing").reset_index())
        display(table_html(self.tr("sec.missing"), [self.tr("col.wave"), self.tr("col.missing")],
                       [[self.wave_label(w), percent(v, self.language, 1)]
                        for w, v in missing.items()], self, level=3))
        flags = flag_inconsistent(responses, self.study)
        share = flags.groupby(["wave", "scale"])["inconsistent"].mean().reset_index()
        self.keep("contradictory_answering", share)
        display(table_html(self.tr("sec.consistency"), [
            self.tr("col.wave"), self.tr("col.scale"), self.tr("col.flagged")],
            [[self.wave_label(r.wave), self.scale_label(r.scale),
              percent(r.inconsistent, self.language, 1)] for r in share.itertuples()], self,
            level=3))

    def site_overview(self):
        """Each site's difference in differences (or change), side by side."""
        display(HTML(f"<h2>{self.tr('sec.sites')}</h2>"))
        rows, kept = [], []
        for site in self.study.sites:
            panel = self.panel[self.panel["site"] == site.id]
            if self.study.has_comparison:
                table = diff_in_diff(panel, self.study, post=self.wave)
                est = table.rename(columns={"estimate": "value"})
            else:
                table = within_change(panel, self.study, post=self.wave, by_site=False)
                table = table[table["site"] == "all"]
                est = table.rename(columns={"mean_change": "value"})
            for r in est.itertuples():
                kept.append({"site": site.id, "scale": r.scale, "n": r.n if not r.note
                             else np.nan, "value": r.value, "ci_low": r.ci_low,
                             "ci_high": r.ci_high, "suppressed": bool(r.note)})
                rows.append([site.name, self.scale_label(r.scale),
                             self.tr("suppressed") if r.note else count_text(r.n, self),
                             "" if r.note else self.num(r.value),
                             "" if r.note else interval(r.ci_low, r.ci_high, self.language)])
        self.keep("sites", pd.DataFrame(kept))
        self.headline = self.tr("txt.headline_sites", k=len(self.study.sites))
        display(table_html("", [self.tr("col.site"), self.tr("col.scale"), self.tr("col.n"),
                            self.tr("col.estimate" if self.study.has_comparison
                                    else "col.change"), self.tr("col.ci")], rows, self,
                       level=3))

    def methods(self):
        """Methods appendix: versions, instruments with citations and licences, data."""
        packages = ", ".join(f"{p} {version(p)}" for p in
                             ("pandas", "numpy", "scipy", "statsmodels", "pingouin"))
        parts = [self.tr("txt.methods_change")]
        if self.study.has_comparison:
            parts.append(self.tr("txt.methods_compare"))
        parts.append(self.tr("txt.suppression", k=self.study.min_cell_size))
        parts.append(self.tr("txt.versions", version=__version__, packages=packages))
        inst = "".join(f"<li>{escape(i.title.get(self.language))} "
                       f"({escape(i.id)} {escape(i.version)}): "
                       f"{escape(i.citation)} — {escape(i.licence)}</li>"
                       for i in self.study.instruments)

        manifest = Manifest.load(self.study.store_dir, self.study.id)
        files = data_slice(self.study, manifest, self.template, self.site, self.wave)
        prints = "".join(f"<li><code>{escape(Path(r.path).name)}</code> {r.sha256[:16]}</li>"
                         for r in sorted(files, key=lambda r: r.path))
        self.keep("data_fingerprints", pd.DataFrame(
            [{"file": Path(r.path).name, "wave": r.wave, "sha256": r.sha256, "rows": r.rows}
             for r in files]))
        return HTML(f"<h2>{self.tr('sec.methods')}</h2>"
                    + "".join(f"<p>{escape(p)}</p>" for p in parts)
                    + f"<h3>{self.tr('txt.instruments')}</h3><ul>{inst}</ul>"
                    + f"<p>{escape(self.tr('txt.fingerprint'))}</p><ul class='small'>{prints}</ul>")

    def save_tables(self, folder: str = "tables") -> None:
        """Write every table shown as CSV and all of them as one JSON file, plus meta.json."""
        write_tables(self.tables, folder, {
            "study": self.study.id, "template": self.template, "site": self.site,
            "wave": self.wave, "language": self.language, "headline": self.headline})


def check_parameters(study: Study, template: str, site: str, wave: str, language: str):
    def bad(name, value, allowed):
        raise ReportParameterError(f"report parameter {name}={value!r} is not valid for study "
                                   f"{study.id!r}; allowed: " + ", ".join(map(repr, allowed)))

    if template not in TEMPLATES:
        bad("template", template, list(TEMPLATES))
    if TEMPLATES[template] and not study.has_comparison:
        raise ReportParameterError(f"template {template!r} needs a comparison group; study "
                                   f"{study.id!r} has design {study.design!r}")
    sites = ["all", *(s.id for s in study.sites)]
    if site not in sites:
        bad("site", site, sites)
    later = [w.id for w in study.waves if w.id != study.baseline.id]
    wave = wave or later[0]
    if wave not in later:
        bad("wave", wave, later)
    language = language or study.language
    if language not in ("nl", "en"):
        bad("language", language, ["nl", "en"])
    return template, site, wave, language

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

from evaltools.analysis.disclosure import flow_hidden, hidden_cells, suppress_frame
from evaltools.analysis.effects import (
    adjust_by_domain,
    ancova,
    arm_omnibus,
    baseline_equivalence,
    cluster_icc,
    diff_in_diff,
    reliable_change_summary,
    within_change,
)
from evaltools.analysis.effects.common import keep_pairs, kept_result, scale_info
from evaltools.analysis.effects.crosssection import cluster_of
from evaltools.analysis.findings import FINDING_STATS, primary_estimates, verdict
from evaltools.core.errors import EvaltoolsError
from evaltools.core.i18n import interval, number, percent, t
from evaltools.core.version import __version__
from evaltools.data.linkage import linkage_check, prepost_correlations
from evaltools.data.panel import (
    attrition,
    load_panel,
    load_responses,
    participant_flow,
    stored_parts,
)
from evaltools.data.store import Manifest
from evaltools.instruments.reliability import reliability
from evaltools.instruments.scoring import flag_inconsistent, scored_items
from evaltools.reports.crosssection import counts_html, no_attrition_html
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
from evaltools.reports.parameters import ReportParameterError, check_parameters
from evaltools.reports.plots import ChangeFigures, key_figure
from evaltools.reports.subgroup_sections import subgroups_html
from evaltools.study.load import load_study
from evaltools.study.model import Study

__all__ = ["Report", "ReportParameterError", "TEMPLATE_TITLES"]


#: The panel and the answers of the study opened last in this process, with what was derived
#: from them (:func:`evaltools.analysis.effects.common.kept_result`): the reports that one warm
#: kernel renders one after another share them. Kept while the stored parts (path and
#: modification time) and the study's definition (study.yml and its instruments, compared as
#: loaded) stay the same; one study at a time.
_SHARED: dict[str, tuple] = {}

#: The change figures of the reports rendered in this process, drawn on kept Figures.
CHANGE_FIGURES = ChangeFigures()


def _held_study(study: Study) -> Study:
    """The equal study the shared frames were loaded with, if any, else ``study``: the
    reports of one kernel then use one study object, and what is checked or kept per study
    (the panel contract) is done once, not once per report."""
    return next((held[1] for held in _SHARED.values() if held[1] == study), study)


def _shared(kind: str, study: Study, load) -> pd.DataFrame:
    """``load(study)`` (``load_panel`` or ``load_responses``), shared with the reports
    rendered before in this process while the study and its stored data are unchanged; the
    frame is registered with :func:`keep_pairs` (nobody changes it)."""
    signature = (str(Path(study.folder).resolve()), stored_parts(study))
    held = _SHARED.get(kind)
    if held is not None and held[0] == signature and held[1] == study:
        return held[2]
    _SHARED.pop(kind, None)
    frame = keep_pairs(load(study))
    _SHARED[kind] = (signature, study, frame)
    return frame


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
    _findings: pd.DataFrame | None = None
    _hidden: dict | None = None
    _study_panel: pd.DataFrame | None = None
    _flow: pd.DataFrame | None = None
    _flow_hidden: set | None = None

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
        study = _held_study(load_study(study_dir))
        return cls(study, *check_parameters(study, template, site, wave, language))

    @property
    def study_panel(self) -> pd.DataFrame:
        """The whole study's panel (every site): disclosure control decides on all of it.

        Shared with the reports this kernel renders next: read it, never change it in place.
        """
        if self._study_panel is None:  # the reports never change it: its pairs are kept
            self._study_panel = _shared("panel", self.study, load_panel)
        return self._study_panel

    @property
    def panel(self) -> pd.DataFrame:
        """The study panel, restricted to the report's site."""
        if self._panel is None:
            self._panel = self._of_site(self.study_panel)
        return self._panel

    def _of_site(self, frame: pd.DataFrame, site: str | None = None) -> pd.DataFrame:
        """The rows of a shared frame (panel or answers) for ``site`` (default the report's):
        made once per kernel and site, and kept like the frame itself."""
        site = site or self.site
        if site == "all":
            return frame
        return kept_result(frame, ("site", site),
                           lambda: keep_pairs(frame[frame["site"] == site]), copy=False)

    @property
    def responses(self) -> pd.DataFrame:
        """The study's item answers (all sites; read once per report)."""
        if self._responses is None:
            self._responses = _shared("responses", self.study, load_responses)
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

    @property
    def several_contrasts(self) -> bool:
        """Whether the study compares more than one pair of arms (then every result names
        its pair)."""
        return len(self.study.contrasts) > 1

    def contrast_label(self, intervention: str | None, comparison: str | None) -> str:
        """"Arm vs. comparison" in the report's language; empty without a comparison."""
        if not isinstance(comparison, str) or not comparison:
            return ""
        return self.tr("txt.contrast", intervention=self.group_label(intervention),
                       comparison=self.group_label(comparison))

    def result_label(self, scale: str, intervention: str | None = None,
                     comparison: str | None = None) -> str:
        """The scale's label, followed by its pair of arms when the study has several."""
        label = self.scale_label(scale)
        if self.several_contrasts and isinstance(comparison, str) and comparison:
            label += " · " + self.contrast_label(intervention, comparison)
        return label

    def keep(self, name: str, frame: pd.DataFrame) -> None:
        """Keep a table for publication, through the disclosure-control step."""
        self.tables.append(Shown(name, suppress_frame(frame.reset_index(drop=True),
                                                      self.study.min_cell_size)))

    # ------------------------------------------------------------------ disclosure control

    @property
    def site_key(self) -> str:
        return "all" if self.site == "all" else self.site

    def hidden(self, scale: str, group: str | None = None, site: str | None = None) -> bool:
        """Whether disclosure control hides this scale's cell (for ``group``, or for any
        group) at ``site`` (default: the report's), decided once for the whole study."""
        if self._hidden is None:  # {(scale, site): hidden groups}, asked ~300 times
            cells = kept_result(self.study_panel, ("hidden_cells", self.wave),
                                lambda: hidden_cells(self.study_panel, self.study,
                                                     post=self.wave))
            self._hidden = {}
            for row in cells[cells["hidden"]].itertuples():
                self._hidden.setdefault((row.scale, row.site), set()).add(row.group)
        groups = self._hidden.get((scale, site or self.site_key), set())
        return bool(groups) if group is None else group in groups

    def hidden_pair(self, scale: str, intervention: str, comparison: str) -> bool:
        """Whether disclosure control hides either arm of a contrast for this scale."""
        return self.hidden(scale, intervention) or self.hidden(scale, comparison)

    def flow_hidden(self, group: str, wave: str, site: str | None = None) -> bool:
        """Whether the flow's counts of ``wave`` for ``group`` are hidden at ``site``."""
        if self._flow_hidden is None:
            self._flow_hidden = kept_result(self.study_panel, "flow_hidden", lambda: flow_hidden(
                participant_flow(self.study_panel, self.study), self.study.min_cell_size))
        return (site or self.site_key, group, wave) in self._flow_hidden

    # ------------------------------------------------------------------ sections

    def title(self):
        """The report's title and subtitle."""
        what = self.tr(TEMPLATE_TITLES[self.template])
        sub = f"{self.study.title.get(self.language)} · {self.place()}"
        if self.template != "data_quality":
            sub += " · " + self.tr("txt.waves_from_to", pre=self.wave_label(self.study.baseline.id),
                                   post=self.wave_label(self.wave))
        return HTML(f"<h1>{escape(what)}</h1><p class='subtitle'>{escape(sub)}</p>")

    def findings(self) -> pd.DataFrame:
        """The estimate the design supports per scale, with its verdict (computed once)."""
        if self._findings is None:
            found = kept_result(self.panel, ("primary_estimates", self.wave),
                                lambda: primary_estimates(self.panel, self.study,
                                                          post=self.wave))
            hide = [self.hidden_pair(r.scale, r.intervention, r.comparison) if r.comparative
                    else self.hidden(r.scale, r.intervention) for r in found.itertuples()]
            found.loc[hide, "suppressed"] = True
            found.loc[hide, FINDING_STATS] = np.nan
            found.loc[hide, "verdict"] = "unclear"
            self._findings = found
        return self._findings

    def _participant_flow(self) -> pd.DataFrame:
        """The participant flow of this report's panel (computed once)."""
        if self._flow is None:
            self._flow = kept_result(self.panel, "participant_flow",
                                     lambda: participant_flow(self.panel, self.study))
        return self._flow

    def _completers(self) -> int:
        """Respondents measured (a scored scale) at the baseline and at this report's wave."""
        if not self.study.paired:  # nobody is followed: everyone measured at either wave
            at = self.panel[self.panel["wave"].isin([self.study.baseline.id, self.wave])]
            scales = [s.id for i in self.study.instruments for s in i.scales
                      if s.id in at.columns]
            return int(at[scales].notna().any(axis=1).sum())
        flow = self._participant_flow()
        done = flow[(flow["site"] == "all") & (flow["stage"] == "completer")
                    & (flow["wave"] == self.wave)]
        return int(done["n"].sum())

    def summary(self):
        """The page policy staff read first: what the design supports saying, per scale,
        grouped by protective factor, with one key figure and the design's caveats."""
        found = self.findings()
        kind = "compare" if self.study.has_comparison else "change"
        shown = found[~found["suppressed"]]
        count = shown["verdict"].value_counts()
        n_fav, n_unfav = int(count.get("favourable", 0)), int(count.get("unfavourable", 0))
        if not len(shown):
            self.headline = self.tr("txt.headline_none")
        else:
            which = "compare_arms" if self.several_contrasts else kind
            self.headline = self.tr(f"txt.headline_{which}", n_fav=n_fav, n=len(shown))
            if n_unfav:
                self.headline += "; " + self.tr("txt.headline_unfavourable", k=n_unfav)
        intro = self.tr("txt.summary_intro" if self.study.paired
                        else "txt.summary_intro_cross_section",
                        intervention=self.study.intervention,
                        place=self.place(), pre=self.wave_label(self.study.baseline.id),
                        post=self.wave_label(self.wave),
                        n=count_text(self._completers(), self))
        lead = self.tr(f"method.lead.{self.study.primary_method}")
        caveat = self.tr(f"caveat.{self.study.design}")
        blocks = []
        for factor, block in found.groupby("protective_factor", sort=False):
            items = []
            for r in block.itertuples():
                label = self.result_label(r.scale, r.intervention, r.comparison)
                if r.suppressed:
                    items.append(self.tr("txt.finding_suppressed", scale=label))
                    continue
                items.append(self.tr(
                    f"txt.finding_{kind}", scale=label,
                    verdict=self.tr(f"verdict.{kind}.{r.verdict}"),
                    estimate=self.num(r.estimate),
                    ci=interval(r.ci_low, r.ci_high, self.language),
                    es=f"{self.num(r.effect_size)} "
                       f"({self.tr(f'es.short.{r.effect_size_type}')})"))
            blocks.append(f"<li><strong>{escape(self.tr(f'factor.{factor}'))}</strong><ul>"
                          + "".join(f"<li>{escape(x)}</li>" for x in items) + "</ul></li>")
        self.keep("findings", found)
        display(HTML(f"<h2>{escape(self.tr('sec.summary'))}</h2><div class='summary'>"
                     f"<p>{escape(intro)} {escape(lead)}</p>"
                     f"<p class='headline'><strong>{escape(self.headline)}</strong></p></div>"))
        if len(shown):
            # the same figure leads the prepost and the controlled report of a site and wave
            # (one kernel renders both): drawn once, the Figure is immutable
            display(kept_result(self.panel, ("key_figure", self.wave, self.language),
                                lambda: self._key_figure(found, kind, n_fav, n_unfav,
                                                         int(count.get("unclear", 0))),
                                copy=False))
        display(HTML("<ul class='findings'>" + "".join(blocks) + "</ul>"
                     f"<p>{escape(caveat)}</p>"
                     f"<p class='note'>{escape(self.tr('txt.indicative'))}</p>"))

    def _key_figure(self, found: pd.DataFrame, kind: str, n_fav: int, n_unfav: int,
                    n_unclear: int):
        """The summary's key figure (an embedded PNG with its text alternative)."""
        labels = {s: self.scale_label(s) for s in found["scale"]}
        labels.update({(r.scale, r.intervention, r.comparison):
                       self.result_label(r.scale, r.intervention, r.comparison)
                       for r in found.itertuples()})
        fig = key_figure(found, labels=labels,
                         groups={f: self.tr(f"factor.{f}") for f in found["protective_factor"]},
                         xlabel=self.tr("fig.key_x"), left=self.tr("fig.key_left"),
                         right=self.tr("fig.key_right"))
        return png(fig, bbox_inches=None, alt=self.tr(  # laid out by key_figure
            "fig.key_alt", what=self.tr(f"fig.key_what_{kind}"), n_fav=n_fav,
            n_unfav=n_unfav, n_unclear=n_unclear))

    def flow(self):
        """Participant flow per group (counts below the minimum cell size suppressed); for a
        repeated cross-section, respondents per cluster, group and wave instead."""
        if not self.study.paired:
            return counts_html(self)
        flow = self._participant_flow()
        flow = flow[flow["site"] == ("all" if self.site == "all" else self.site)]
        flow = flow[(flow["wave"].isna()) | (flow["wave"] == self.wave)
                    | ((flow["stage"] == "measured") & (flow["wave"] == self.study.baseline.id))]
        base = self.study.baseline.id
        shown = flow.assign(n=[np.nan if isinstance(r.wave, str) and r.wave != base
                               and self.flow_hidden(r.group, r.wave)
                               else suppress_count(r.n, self.study) for r in flow.itertuples()])
        self.keep("participant_flow", shown.assign(
            suppressed=shown["n"].isna()).drop(columns="site"))
        rows = [[self.tr(f"stage.{r.stage}") + (f" ({self.wave_label(r.wave)})"
                                                 if isinstance(r.wave, str) else ""),
                 self.group_label(r.group), count_text(r.n, self)]
                for r in shown.itertuples()]
        return table_html(self.tr("sec.design"), [self.tr("col.stage"), self.tr("col.group"),
                                              self.tr("col.n")], rows, self, row_headers=2)

    def _change(self) -> pd.DataFrame:
        """Within-group change of every scale (computed once per report)."""
        if self._change_table is None:
            # kept per panel by within_change itself (kept_analysis)
            self._change_table = within_change(self.panel, self.study, post=self.wave,
                                               by_site=False)
        return self._change_table

    def results(self):
        """Per protective factor: change table with reliable change shares, and a figure."""
        change = self._change()
        display(HTML(f"<h2>{self.tr('sec.results')}</h2>"))
        alphas = self._baseline_alphas()
        summaries = {}  # scale -> reliable change of all its groups (None: not computable)
        kept = []
        for factor in dict.fromkeys(i.protective_factor for i in self.study.instruments):
            scales = [s.id for i in self.study.instruments if i.protective_factor == factor
                      for s in i.scales]
            block = change[change["scale"].isin(scales)]
            rows = []
            for r in block.itertuples():
                shares = {"share_improved": np.nan, "share_deteriorated": np.nan}
                if self.hidden(r.scale, r.group):
                    r = r._replace(note="suppressed by disclosure control")
                if not r.note and r.scale not in summaries:  # once per scale, not per group
                    try:
                        summaries[r.scale] = reliable_change_summary(
                            self.panel, self.study, scale=r.scale, post=self.wave,
                            by_site=False, reliability=alphas.get(r.scale))
                    except EvaltoolsError:
                        summaries[r.scale] = None
                if not r.note and summaries[r.scale] is not None:
                    rc = summaries[r.scale]
                    mine = rc[rc["group"] == r.group].iloc[0]
                    shares = {"share_improved": mine["share_improved"]
                              + (mine["share_recovered"] if mine["share_recovered"]
                                 == mine["share_recovered"] else 0.0),
                              "share_deteriorated": mine["share_deteriorated"]}
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
                + self.tr("col.deteriorated").lower()], rows, self, level=3, row_headers=2))
            display(self._figure(scales[0]))
        self.keep("results", pd.DataFrame(kept))

    def _baseline_alphas(self) -> dict[str, float]:
        """Cronbach's alpha of every scale at baseline (this report's sites), for reliable
        change; a report reads no data of other sites."""
        responses = self._of_site(self.responses)

        def alphas() -> dict[str, float]:
            table = reliability(responses[responses["wave"] == self.study.baseline.id],
                                self.study)
            return {r.scale: r.alpha for r in table.itertuples()
                    if r.alpha == r.alpha and 0 < r.alpha < 1}
        return kept_result(responses, "baseline_alphas", alphas)

    def _figure(self, scale: str):
        """The change figure as an embedded PNG (whatever the plotting backend)."""
        fig = CHANGE_FIGURES.draw(self.panel, self.study, scale=scale, post=self.wave,
                                  language=self.language, title=self.scale_label(scale))
        alt = self.tr("alt.change", scale=self.scale_label(scale),
                      pre=self.wave_label(self.study.baseline.id), post=self.wave_label(self.wave),
                      groups=", ".join(g.label.get(self.language) for g in self.study.groups))
        # its layout is final (tight_layout); the caption is text under it
        return png(fig, bbox_inches=None, alt=alt, caption=self.tr("txt.fig_change"))

    def comparison(self):
        """Intervention versus comparison: difference in differences and ANCOVA."""
        if not self.study.has_comparison:
            return HTML("")
        table = pd.concat([method(self.panel, self.study, post=self.wave)  # kept_analysis
                           for method in ((diff_in_diff, ancova) if self.study.paired
                                          else (diff_in_diff,))], ignore_index=True)
        table = adjust_by_domain(table, self.study, by=["method"])
        hide = [self.hidden_pair(r.scale, r.intervention, r.comparison)
                for r in table.itertuples()]
        table.loc[hide, "note"] = "suppressed by disclosure control"
        self.keep("comparison", table)
        rows = []
        for r in table.itertuples():
            label = self.result_label(r.scale, r.intervention, r.comparison)
            if r.note:
                rows.append([label, self.tr(f"method.{r.method}"),
                             self.tr("suppressed"), "", "", "", ""])
                continue
            rows.append([label, self.tr(f"method.{r.method}"),
                         count_text(r.n, self), self.num(r.estimate),
                         interval(r.ci_low, r.ci_high, self.language),
                         f"{self.num(r.effect_size)} "
                         f"({self.tr(f'es.short.{r.effect_size_type}')})"
                         if isinstance(r.effect_size_type, str) else self.num(r.effect_size),
                         self.num(r.p_bh, 3)])
        shown = table_html(self.tr("sec.comparison"), [
            self.tr("col.scale"), self.tr("col.method"), self.tr("col.n"),
            self.tr("col.estimate"), self.tr("col.ci"), self.tr("col.effect"),
            self.tr("col.p_adj")], rows, self, row_headers=2)
        if len(self.study.groups) <= 2:
            return shown
        return HTML(shown.data + self._omnibus().data)

    def _omnibus(self):
        """With more than two arms: each scale's omnibus F across the arms and the arms'
        adjusted means (suppressed arms are named in the table's note)."""
        table = arm_omnibus(self.panel, self.study, post=self.wave)
        table.loc[[self.hidden(s) for s in table["scale"]], "note"] = \
            "suppressed by disclosure control"
        table.loc[table["note"] == "suppressed by disclosure control",
                  ["n", "estimate", "se", "ci_low", "ci_high", "statistic", "p_value"]] = np.nan
        self.keep("omnibus", table)
        rows = []
        for (scale, _), block in table.groupby(["scale", "wave"], sort=False):
            head = block[block["row"] == "omnibus"].iloc[0]
            means = block[block["row"] == "adjusted_mean"]
            if head["note"].startswith(("suppressed", "not estimated")):
                rows.append([self.scale_label(scale), self.tr("suppressed"), "", ""])
                continue
            rows.append([self.scale_label(scale),
                         f"F({head['df']:.0f}; {head['df_residual']:.0f}) = "
                         f"{self.num(head['statistic'])}", self.num(head["p_value"], 3),
                         "; ".join(f"{self.group_label(m.group)} {self.num(m.estimate)}"
                                   for m in means.itertuples())])
        adjust = ", ".join([self.tr("txt.baseline_score"), *self.study.analysis.covariates])
        return HTML(table_html(self.tr("sec.omnibus"), [
            self.tr("col.scale"), "F", self.tr("col.p"), self.tr("col.adjusted_means")],
            rows, self, level=3).data
            + f"<p class='small'>{escape(self.tr('txt.omnibus', adjust=adjust))}</p>")

    def subgroups(self):
        """Declared subgroups (study.yml ``subgroups:``): the difference from the comparison
        group per subgroup and the interaction test (controlled template), or the
        intervention's change per subgroup (prepost); small values suppressed with their
        complements (see :mod:`evaltools.reports.subgroup_sections`)."""
        return subgroups_html(self)

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
        rows = [[self.result_label(r.scale, r.intervention, r.comparison),
                 self.tr("suppressed") if r.note else
                 self.num(r.effect_size), "" if r.note else self.tr(f"eq.{r.equivalence}")]
                for r in table.itertuples()]
        return table_html(self.tr("col.equivalence"), [self.tr("col.scale"), "g (WWC)",
                                                   self.tr("col.equivalence")], rows, self)

    def attrition(self):
        """Dropouts compared with completers on their baseline scores (not for a repeated
        cross-section, which follows nobody)."""
        if not self.study.paired:
            return no_attrition_html(self)
        table = attrition(self.panel, self.study, wave=self.wave)
        table = table[table["group"] == "all"]
        k = self.study.min_cell_size
        small = table["n_completers"].between(1, k - 1) | table["n_dropouts"].between(1, k - 1)
        none = table["n_dropouts"] == 0
        self.keep("attrition", table.assign(suppressed=small))
        rows = []
        for r, bad, nobody in zip(table.itertuples(), small, none, strict=True):
            if bad or nobody:
                rows.append([self.scale_label(r.scale), self.tr("suppressed") if bad
                             else self.tr("txt.no_dropouts"), "", ""])
                continue
            rows.append([self.scale_label(r.scale), self.num(r.difference),
                         self.num(r.std_difference), self.num(r.p_value, 3)])
        return table_html(self.tr("sec.attrition"), [self.tr("col.scale"),
                                                 self.tr("col.difference"), "d",
                                                 self.tr("col.p")], rows, self)

    def _site_clustering(self):
        """ICC of the baseline scores within sites and the design effect (clustered design)."""
        table = cluster_icc(self.panel, self.study)
        self.keep("site_icc", table)
        rows = [[self.scale_label(r.scale), count_text(r.n, self), str(r.n_clusters),
                 self.num(r.estimate, 3) if not r.note else "–",
                 interval(r.ci_low, r.ci_high, self.language, 3) if not r.note else "",
                 self.num(r.design_effect) if not r.note else "–"] for r in table.itertuples()]
        return HTML(table_html(self.tr("sec.site_icc"), [
            self.tr("col.scale"), self.tr("col.n"), self.tr("col.sites"), "ICC(1)",
            self.tr("col.ci"), self.tr("col.design_effect")], rows, self, level=3).data
            + f"<p class='small'>{escape(self.tr('txt.site_icc'))}</p>")

    def direction(self, scale: str) -> str:
        return scale_info(self.study, scale)[1].direction

    def data_quality(self):
        """Missing answers and reliability per wave (and site), contradictory answering."""
        responses = self._of_site(self.responses)  # the same for every report of the site
        display(HTML(f"<h2>{self.tr('sec.quality')}</h2>"))
        rel = kept_result(responses, "reliability_by_wave",
                          lambda: reliability(responses, self.study, by=["wave"]))
        self.keep("reliability", rel)
        rows = [[self.scale_label(r.scale), self.wave_label(r.wave), count_text(r.n, self),
                 self.num(r.alpha) if r.n >= self.study.min_cell_size else "–",
                 self.num(r.omega_total) if r.n >= self.study.min_cell_size else "–"]
                for r in rel.itertuples()]
        display(table_html(self.tr("sec.reliability"), [
            self.tr("col.scale"), self.tr("col.wave"), self.tr("col.n"), self.tr("col.alpha"),
            self.tr("col.omega")], rows, self, level=3, row_headers=2))
        uses = sorted(set(rel["alpha_use"]))
        display(HTML("<p class='small'>" + escape(self.tr(
            "txt.alpha_use", use=", ".join(self.tr(f"use.{u}") for u in uses))) + "</p>"))
        if self.site == "all" and len(self.study.sites) > 1:
            display(self._site_clustering())
        def missing_shares() -> pd.Series:
            items = list(self.study.item_ids)
            # declared missing codes ("weet niet", 99) count as missing, like blanks
            scored = pd.concat([scored_items(responses, inst)
                                for inst in self.study.instruments], axis=1)[items]
            return scored.isna().groupby(responses["wave"]).mean().mean(axis=1)
        missing = kept_result(responses, "missing_shares", missing_shares)
        alphas = rel.loc[rel["n"] >= self.study.min_cell_size, "alpha"]
        if self.template == "data_quality":  # other reports lead with their findings
            share = percent(missing.mean(), self.language, 1)
            # no alpha at all: every scale is a single item (e.g. a numeric outcome)
            self.headline = self.tr("txt.headline_quality", low=self.num(alphas.min()),
                                    high=self.num(alphas.max()), missing=share) \
                if alphas.notna().any() else self.tr("txt.headline_missing", missing=share)
        k = self.study.min_cell_size
        # shares of fewer than k respondents are suppressed like any other statistic
        missing_table = suppress_frame(pd.DataFrame({
            "wave": missing.index, "n": responses.groupby("wave").size().reindex(
                missing.index).to_numpy(), "share_missing": missing.to_numpy()}), k)
        self.keep("missing_answers", missing_table)
        display(table_html(self.tr("sec.missing"), [self.tr("col.wave"), self.tr("col.missing")],
                           [[self.wave_label(r.wave), self.tr("suppressed") if r.suppressed
                             else percent(r.share_missing, self.language, 1)]
                            for r in missing_table.itertuples()], self, level=3))
        flags = kept_result(responses, "inconsistent",
                            lambda: flag_inconsistent(responses, self.study))
        share = suppress_frame(flags.groupby(["wave", "scale"])["inconsistent"].agg(
            inconsistent="mean", n="count").reset_index(), k)
        self.keep("contradictory_answering", share)
        display(table_html(self.tr("sec.consistency"), [
            self.tr("col.wave"), self.tr("col.scale"), self.tr("col.flagged")],
            [[self.wave_label(r.wave), self.scale_label(r.scale), self.tr("suppressed")
              if r.suppressed else percent(r.inconsistent, self.language, 1)]
             for r in share.itertuples()], self, level=3, row_headers=2))
        if self.template == "data_quality" and self.study.paired:  # respondents followed
            display(self._linkage())

    def _linkage(self):
        """Pre-post correlation per scale and wave; a warning when they are near zero
        (respondents linked wrongly between waves, :mod:`evaltools.data.linkage`)."""
        table = prepost_correlations(self.panel, self.study)
        k = self.study.min_cell_size
        table = table.assign(suppressed=table["n_pairs"] < k)
        self.keep("prepost_correlations", table)  # n_pairs < k: blanked on the way out
        rows = [[self.scale_label(r.scale), self.wave_label(r.wave),
                 count_text(r.n_pairs if not r.suppressed else None, self),
                 "–" if r.suppressed or np.isnan(r.r) else self.num(r.r)]
                for r in table.itertuples()]
        note = self.tr("txt.linkage_warn") if linkage_check(table) else self.tr(
            "txt.linkage_ok")
        return HTML(table_html(self.tr("sec.linkage"), [
            self.tr("col.scale"), self.tr("col.wave"), self.tr("col.pairs"),
            self.tr("col.r_prepost")], rows, self, level=3, row_headers=2).data
            + f"<p class='small'>{escape(note)}</p>")

    def site_overview(self):
        """Each site's difference in differences (or change), side by side."""
        display(HTML(f"<h2>{self.tr('sec.sites')}</h2>"))
        rows, kept = [], []
        for site in self.study.sites:
            # the site's kept panel: its fits are those its own reports made in this kernel
            panel = self._of_site(self.panel, site.id)
            if self.study.has_comparison:
                table = diff_in_diff(panel, self.study, post=self.wave)
                est = table.rename(columns={"estimate": "value"})
            else:
                table = within_change(panel, self.study, post=self.wave, by_site=False)
                table = table[table["site"] == "all"]
                est = table.rename(columns={"mean_change": "value"})
            for r in est.itertuples():
                if self.hidden(r.scale, site=site.id):
                    r = r._replace(note="suppressed by disclosure control")
                said = "unclear" if r.note else verdict(r.value, r.ci_low, r.ci_high,
                                                        self.direction(r.scale))
                pair = (getattr(r, "intervention", None), getattr(r, "comparison", None))
                kept.append({"site": site.id, "scale": r.scale,
                             "intervention": pair[0] if self.study.has_comparison else None,
                             "comparison": pair[1] if self.study.has_comparison else None,
                             "n": r.n if not r.note
                             else np.nan, "value": r.value, "ci_low": r.ci_low,
                             "ci_high": r.ci_high, "verdict": said,
                             "suppressed": bool(r.note)})
                label = (self.result_label(r.scale, *pair) if self.study.has_comparison
                         else self.scale_label(r.scale))
                rows.append([site.name, label,
                             self.tr("suppressed") if r.note else count_text(r.n, self),
                             "" if r.note else self.num(r.value),
                             "" if r.note else interval(r.ci_low, r.ci_high, self.language)])
        self.keep("sites", pd.DataFrame(kept))
        said = pd.DataFrame(kept)
        shown = said[~said["suppressed"]] if len(said) else said
        self.headline = self.tr("txt.headline_sites", k=len(self.study.sites),
                                n_fav=int((shown["verdict"] == "favourable").sum())
                                if len(shown) else 0, n=len(shown))
        # the finding first: a screen reader reaches the table after it, not before
        display(HTML(f"<p class='headline'><strong>{escape(self.headline)}</strong></p>"))
        display(table_html("", [self.tr("col.site"), self.tr("col.scale"), self.tr("col.n"),
                            self.tr("col.estimate" if self.study.has_comparison
                                    else "col.change"), self.tr("col.ci")], rows, self,
                       label=self.tr("sec.sites"), row_headers=2))

    def appendix(self):
        """The heading of the appendix: the detailed tables for readers who check the work."""
        return HTML(f"<h2 class='appendix'>{escape(self.tr('sec.appendix'))}</h2>"
                    f"<p>{escape(self.tr('txt.appendix'))}</p>")

    def methods(self):
        """Methods appendix: versions, instruments with citations and licences, data."""
        packages = ", ".join(f"{p} {version(p)}" for p in
                             ("pandas", "numpy", "scipy", "statsmodels", "pingouin"))
        parts = [self.tr("txt.methods_change")]
        if not self.study.paired:
            cluster = cluster_of(self.study)
            parts = [self.tr("txt.methods_cross_section", cluster=self.tr("col.site").lower()
                             if cluster == "site" else cluster)]
        elif self.study.has_comparison:
            parts += [self.tr("txt.methods_compare"), self.tr("txt.methods_dppc2_se")]
            if self.several_contrasts:
                parts.append(self.tr("txt.methods_arms", k=len(self.study.groups), pairs="; ".join(
                    self.contrast_label(i, c) for i, c in self.study.contrasts)))
            if self.study.analysis.covariates:
                parts.append(self.tr("txt.methods_covariates",
                                     covariates=", ".join(self.study.analysis.covariates)))
        parts.append(self.tr("txt.methods_alpha"))
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
            "wave": self.wave, "language": self.language, "headline": self.headline,
            # labels for the index page, in the report's language
            "study_title": self.study.title.get(self.language), "site_name": self.place(),
            "wave_label": (self.wave_label(self.wave) if self.template != "data_quality"
                           else self.tr("txt.all_waves"))},
            min_cell_size=self.study.min_cell_size)

"""The building blocks of a report notebook: one call per cell, text in the report's language.

A template notebook opens a :class:`Report` from its parameters (checked before anything runs),
then calls one method per cell. Each method computes with :mod:`evaltools.effects` and friends,
applies disclosure control (cells with fewer respondents than the study's minimum are
suppressed and marked), shows a formatted table or figure, and keeps the underlying table so
that :meth:`Report.save_tables` can write every table of the report as CSV and JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaltools.errors import EvaltoolsError
from evaltools.i18n import interval, number, percent, t
from evaltools.study import Study, load_study

__all__ = ["Report", "ReportParameterError", "TEMPLATE_TITLES"]

TEMPLATE_TITLES = {"prepost": "report.prepost", "controlled": "report.controlled",
                   "data_quality": "report.data_quality", "site_overview": "report.site_overview",
                   "site_synthesis": "report.site_synthesis"}


class ReportParameterError(EvaltoolsError):
    """A report was asked for with parameters the study or template does not allow."""

    exit_code = 2


@dataclass
class _Shown:
    name: str
    frame: pd.DataFrame


@dataclass
class Report:
    """The validated configuration of one report, and what it has shown so far."""

    study: Study
    template: str
    site: str
    wave: str
    language: str
    tables: list[_Shown] = field(default_factory=list)
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
        return cls(study, *_check_parameters(study, template, site, wave, language))

    @property
    def panel(self) -> pd.DataFrame:
        """The study panel, restricted to the report's site."""
        if self._panel is None:
            from evaltools.panel import load_panel

            panel = load_panel(self.study)
            self._panel = panel if self.site == "all" else panel[panel["site"] == self.site]
        return self._panel

    @property
    def responses(self) -> pd.DataFrame:
        """The study's item answers (all sites; read once per report)."""
        if self._responses is None:
            from evaltools.panel import load_responses

            self._responses = load_responses(self.study)
        return self._responses

    def _t(self, key: str, **values) -> str:
        return t(key, self.language, **values)

    def _n(self, value, digits: int = 2) -> str:
        return number(value, self.language, digits)

    def _place(self) -> str:
        if self.site == "all":
            return self._t("all_sites")
        return next(s.name for s in self.study.sites if s.id == self.site)

    def _scale_label(self, scale: str) -> str:
        for inst in self.study.instruments:
            for s in inst.scales:
                if s.id == scale:
                    return s.label.get(self.language)
        return scale

    def _wave_label(self, wave: str) -> str:
        return self.study.wave(wave).label.get(self.language)

    def _group_label(self, group: str) -> str:
        return next(g.label.get(self.language) for g in self.study.groups if g.id == group)

    def _keep(self, name: str, frame: pd.DataFrame) -> None:
        self.tables.append(_Shown(name, frame.reset_index(drop=True)))

    # ------------------------------------------------------------------ sections

    def title(self):
        """The report's title and subtitle."""
        from IPython.display import HTML

        what = self._t(TEMPLATE_TITLES[self.template])
        sub = f"{self.study.title.get(self.language)} · {self._place()}"
        if self.template != "data_quality":
            sub += f" · {self._wave_label(self.study.baseline.id)} → {self._wave_label(self.wave)}"
        return HTML(f"<h1>{_e(what)}</h1><p class='subtitle'>{_e(sub)}</p>")

    def summary(self):
        """A plain-language summary for policy staff."""
        from IPython.display import HTML

        change = self._change()
        mine = change[(change["group"] == self._intervention()) & (change["site"] == "all")]
        n = int(mine["n"].max()) if len(mine) else 0
        lines = [self._t("txt.summary_intro", intervention=self.study.intervention,
                         place=self._place(), pre=self._wave_label(self.study.baseline.id),
                         post=self._wave_label(self.wave), n=_count(n, self))]
        design = self._t(f"design.{self.study.design}")
        lines.append(self._t("txt.summary_compare", design=design)
                     if self.study.has_comparison else self._t("txt.summary_no_compare"))
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
            items.append(self._t("txt.improved", scale=self._scale_label(row.scale),
                                 direction_word=self._t(word),
                                 change=self._n(row.mean_change),
                                 ci=interval(row.ci_low, row.ci_high, self.language)))
        self.headline = self._t("txt.headline", n_better=better, n_scales=len(items))
        body = "".join(f"<p>{_e(x)}</p>" for x in lines)
        body += "<ul>" + "".join(f"<li>{_e(x)}</li>" for x in items) + "</ul>"
        return HTML(f"<h2>{self._t('sec.summary')}</h2><div class='summary'>{body}</div>"
                    f"<p class='note'>{_e(self._t('txt.indicative'))}</p>")

    def flow(self):
        """Participant flow per group (counts below the minimum cell size suppressed)."""
        from evaltools.panel import participant_flow

        flow = participant_flow(self.panel, self.study)
        flow = flow[flow["site"] == ("all" if self.site == "all" else self.site)]
        flow = flow[(flow["wave"].isna()) | (flow["wave"] == self.wave)
                    | ((flow["stage"] == "measured") & (flow["wave"] == self.study.baseline.id))]
        shown = flow.assign(n=[_suppress_count(v, self.study) for v in flow["n"]])
        self._keep("participant_flow", shown.assign(
            suppressed=shown["n"].isna()).drop(columns="site"))
        rows = [[self._t(f"stage.{r.stage}") + (f" ({self._wave_label(r.wave)})"
                                                 if isinstance(r.wave, str) else ""),
                 self._group_label(r.group), _count(r.n, self)]
                for r in shown.itertuples()]
        return _table(self._t("sec.design"), [self._t("col.stage"), self._t("col.group"),
                                              self._t("col.n")], rows, self)

    def _intervention(self) -> str:
        return next(g.id for g in self.study.groups if g.role == "intervention")

    def _change(self) -> pd.DataFrame:
        """Within-group change of every scale (computed once per report)."""
        from evaltools.effects import within_change

        if self._change_table is None:
            self._change_table = within_change(self.panel, self.study, post=self.wave,
                                               by_site=False)
        return self._change_table

    def results(self):
        """Per protective factor: change table with reliable change shares, and a figure."""
        from IPython.display import HTML, display

        from evaltools.effects import reliable_change_summary

        change = self._change()
        display(HTML(f"<h2>{self._t('sec.results')}</h2>"))
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
                    rows.append([self._scale_label(r.scale), self._group_label(r.group),
                                 self._t("suppressed"), "", "", "", "", "", ""])
                    continue
                rows.append([self._scale_label(r.scale), self._group_label(r.group),
                             _count(r.n, self), self._n(r.mean_pre), self._n(r.mean_post),
                             self._n(r.mean_change),
                             interval(r.ci_low, r.ci_high, self.language),
                             self._n(r.g_av), f"{percent(shares['share_improved'], self.language)}"
                             f" / {percent(shares['share_deteriorated'], self.language)}"])
            display(_table(self._t(f"factor.{factor}"), [
                self._t("col.scale"), self._t("col.group"), self._t("col.n"),
                self._t("col.mean_pre"), self._t("col.mean_post"), self._t("col.change"),
                self._t("col.ci"), "g_av", self._t("col.improved") + " / "
                + self._t("col.deteriorated").lower()], rows, self, level=3))
            display(self._figure(scales[0]))
        self._keep("results", pd.DataFrame(kept))

    def _baseline_alphas(self) -> dict[str, float]:
        """Cronbach's alpha of every scale at baseline (this report's sites), for reliable
        change; a report reads no data of other sites."""
        from evaltools.reliability import reliability

        responses = self.responses
        base = responses[responses["wave"] == self.study.baseline.id]
        if self.site != "all":
            base = base[base["site"] == self.site]
        table = reliability(base, self.study)
        return {r.scale: r.alpha for r in table.itertuples()
                if r.alpha == r.alpha and 0 < r.alpha < 1}

    def _figure(self, scale: str):
        """The change figure as an embedded PNG (whatever the plotting backend)."""
        from evaltools.plots import change_distribution

        fig = change_distribution(self.panel, self.study, scale=scale, post=self.wave,
                                  language=self.language, title=self._scale_label(scale),
                                  caption=self._t("txt.fig_change"))
        return png(fig, bbox_inches=None)  # its layout already leaves room for the caption

    def comparison(self):
        """Intervention versus comparison: difference in differences and ANCOVA."""
        from IPython.display import HTML

        from evaltools.effects import adjust_by_domain, ancova, diff_in_diff

        if not self.study.has_comparison:
            return HTML("")
        table = pd.concat([diff_in_diff(self.panel, self.study, post=self.wave),
                           ancova(self.panel, self.study, post=self.wave)], ignore_index=True)
        table = adjust_by_domain(table, self.study, by=["method"])
        self._keep("comparison", table.drop(columns=["intervention", "comparison"]))
        rows = []
        for r in table.itertuples():
            if r.note:
                rows.append([self._scale_label(r.scale), self._t(f"method.{r.method}"),
                             self._t("suppressed"), "", "", "", ""])
                continue
            rows.append([self._scale_label(r.scale), self._t(f"method.{r.method}"),
                         _count(r.n, self), self._n(r.estimate),
                         interval(r.ci_low, r.ci_high, self.language), self._n(r.effect_size),
                         self._n(r.p_bh, 3)])
        return _table(self._t("sec.comparison"), [
            self._t("col.scale"), self._t("col.method"), self._t("col.n"),
            self._t("col.estimate"), self._t("col.ci"), self._t("col.effect"),
            self._t("col.p_adj")], rows, self)

    def evidence(self):
        """The indicative evidence statement: WWC-style rating and recognition-ladder rung per
        scale, with the reasons (see :mod:`evaltools.evidence`)."""
        from evaltools._evidence_sections import evidence_html

        return evidence_html(self)

    def synthesis(self):
        """The sites' effects pooled per scale (random effects), forest plots, influence."""
        from evaltools._evidence_sections import show_site_synthesis

        show_site_synthesis(self)

    def equivalence(self):
        """WWC baseline equivalence of the analytic sample, per scale."""
        from evaltools.effects import baseline_equivalence

        table = baseline_equivalence(self.panel, self.study, post=self.wave)
        self._keep("baseline_equivalence", table)
        rows = [[self._scale_label(r.scale), self._t("suppressed") if r.note else
                 self._n(r.effect_size), "" if r.note else self._t(f"eq.{r.equivalence}")]
                for r in table.itertuples()]
        return _table(self._t("col.equivalence"), [self._t("col.scale"), "g (WWC)",
                                                   self._t("col.equivalence")], rows, self)

    def attrition(self):
        """Dropouts compared with completers on their baseline scores."""
        from evaltools.panel import attrition

        table = attrition(self.panel, self.study, wave=self.wave)
        table = table[table["group"] == "all"]
        small = (table["n_completers"] < self.study.min_cell_size) | (
            table["n_dropouts"] < self.study.min_cell_size)
        self._keep("attrition", table.assign(suppressed=small))
        rows = [[self._scale_label(r.scale), self._t("suppressed") if bad else
                 self._n(r.difference), "" if bad else self._n(r.std_difference),
                 "" if bad else self._n(r.p_value, 3)]
                for r, bad in zip(table.itertuples(), small, strict=True)]
        return _table(self._t("sec.attrition"), [self._t("col.scale"),
                                                 self._t("col.difference"), "d",
                                                 self._t("col.p")], rows, self)

    def _direction(self, scale: str) -> str:
        from evaltools.effects._common import scale_info

        return scale_info(self.study, scale)[1].direction

    def data_quality(self):
        """Missing answers and reliability per wave (and site), contradictory answering."""
        from IPython.display import HTML, display

        from evaltools.reliability import reliability
        from evaltools.scoring import flag_inconsistent

        responses = self.responses
        if self.site != "all":
            responses = responses[responses["site"] == self.site]
        display(HTML(f"<h2>{self._t('sec.quality')}</h2>"))
        rel = reliability(responses, self.study, by=["wave"])
        self._keep("reliability", rel)
        rows = [[self._scale_label(r.scale), self._wave_label(r.wave), _count(r.n, self),
                 self._n(r.alpha) if r.n >= self.study.min_cell_size else "–",
                 self._n(r.omega_total) if r.n >= self.study.min_cell_size else "–"]
                for r in rel.itertuples()]
        display(_table(self._t("sec.reliability"), [
            self._t("col.scale"), self._t("col.wave"), self._t("col.n"), self._t("col.alpha"),
            self._t("col.omega")], rows, self, level=3))
        items = list(self.study.item_ids)
        missing = responses.groupby("wave")[items].apply(lambda b: b.isna().mean().mean())
        alphas = rel.loc[rel["n"] >= self.study.min_cell_size, "alpha"]
        self.headline = self._t("txt.headline_quality", low=self._n(alphas.min()),
                                high=self._n(alphas.max()),
                                missing=percent(missing.mean(), self.language, 1))
        self._keep("missing_answers", missing.rename("share_missing").reset_index())
        display(_table(self._t("sec.missing"), [self._t("col.wave"), self._t("col.missing")],
                       [[self._wave_label(w), percent(v, self.language, 1)]
                        for w, v in missing.items()], self, level=3))
        flags = flag_inconsistent(responses, self.study)
        share = flags.groupby(["wave", "scale"])["inconsistent"].mean().reset_index()
        self._keep("contradictory_answering", share)
        display(_table(self._t("sec.consistency"), [
            self._t("col.wave"), self._t("col.scale"), self._t("col.flagged")],
            [[self._wave_label(r.wave), self._scale_label(r.scale),
              percent(r.inconsistent, self.language, 1)] for r in share.itertuples()], self,
            level=3))

    def site_overview(self):
        """Each site's difference in differences (or change), side by side."""
        from IPython.display import HTML, display

        from evaltools.effects import diff_in_diff, within_change

        display(HTML(f"<h2>{self._t('sec.sites')}</h2>"))
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
                rows.append([site.name, self._scale_label(r.scale),
                             self._t("suppressed") if r.note else _count(r.n, self),
                             "" if r.note else self._n(r.value),
                             "" if r.note else interval(r.ci_low, r.ci_high, self.language)])
        self._keep("sites", pd.DataFrame(kept))
        self.headline = self._t("txt.headline_sites", k=len(self.study.sites))
        display(_table("", [self._t("col.site"), self._t("col.scale"), self._t("col.n"),
                            self._t("col.estimate" if self.study.has_comparison
                                    else "col.change"), self._t("col.ci")], rows, self,
                       level=3))

    def methods(self):
        """Methods appendix: versions, instruments with citations and licences, data."""
        from importlib.metadata import version

        from IPython.display import HTML

        from evaltools import __version__
        from evaltools.store import Manifest

        packages = ", ".join(f"{p} {version(p)}" for p in
                             ("pandas", "numpy", "scipy", "statsmodels", "pingouin"))
        parts = [self._t("txt.methods_change")]
        if self.study.has_comparison:
            parts.append(self._t("txt.methods_compare"))
        parts.append(self._t("txt.suppression", k=self.study.min_cell_size))
        parts.append(self._t("txt.versions", version=__version__, packages=packages))
        inst = "".join(f"<li>{_e(i.title.get(self.language))} ({_e(i.id)} {_e(i.version)}): "
                       f"{_e(i.citation)} — {_e(i.licence)}</li>"
                       for i in self.study.instruments)
        from evaltools.pipeline import data_slice

        manifest = Manifest.load(self.study.store_dir, self.study.id)
        files = data_slice(self.study, manifest, self.template, self.site, self.wave)
        prints = "".join(f"<li><code>{_e(Path(r.path).name)}</code> {r.sha256[:16]}</li>"
                         for r in sorted(files, key=lambda r: r.path))
        self._keep("data_fingerprints", pd.DataFrame(
            [{"file": Path(r.path).name, "wave": r.wave, "sha256": r.sha256, "rows": r.rows}
             for r in files]))
        return HTML(f"<h2>{self._t('sec.methods')}</h2>"
                    + "".join(f"<p>{_e(p)}</p>" for p in parts)
                    + f"<h3>{self._t('txt.instruments')}</h3><ul>{inst}</ul>"
                    + f"<p>{_e(self._t('txt.fingerprint'))}</p><ul class='small'>{prints}</ul>")

    def save_tables(self, folder: str = "tables") -> None:
        """Write every table shown as CSV and all of them as one JSON file, plus meta.json."""
        write_tables(self.tables, folder, {
            "study": self.study.id, "template": self.template, "site": self.site,
            "wave": self.wave, "language": self.language, "headline": self.headline})


def write_tables(tables: list[_Shown], folder: str | Path, meta: dict) -> None:
    """Each table as CSV, all as ``tables.json``, and ``meta.json`` (with date and version)."""
    from evaltools import __version__

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    payload = {}
    for shown in tables:
        shown.frame.to_csv(out / f"{shown.name}.csv", index=False, lineterminator="\n")
        payload[shown.name] = json.loads(shown.frame.to_json(orient="records"))
    (out / "tables.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False),
                                     "utf-8")
    meta = {**meta, "created": dt.date.today().isoformat(), "evaltools_version": __version__}
    (out / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), "utf-8")


def _check_parameters(study: Study, template: str, site: str, wave: str, language: str):
    from evaltools.study import TEMPLATES

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


def png(fig, bbox_inches: str | None = "tight"):
    """A matplotlib figure as an embedded PNG (96 dpi), whatever the plotting backend; the
    figure is closed afterwards."""
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches=bbox_inches)
    plt.close(fig)
    return Image(data=buffer.getvalue(), format="png")


def _e(text) -> str:
    import html

    return html.escape(str(text))


def _suppress_count(n, study) -> float:
    return np.nan if 0 < n < study.min_cell_size else n


def _count(n, report) -> str:
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return f"< {report.study.min_cell_size}"
    if 0 < n < report.study.min_cell_size:
        return f"< {report.study.min_cell_size}"
    return number(n, report.language, 0)


def _table(heading: str, header: list[str], rows: list[list[str]], report, level: int = 2):
    from IPython.display import HTML

    if not rows:
        body = f"<p>{_e(report._t('txt.no_data'))}</p>"
    else:
        head = "".join(f"<th>{_e(h)}</th>" for h in header)
        body = ("<table class='evaltools'><thead><tr>" + head + "</tr></thead><tbody>"
                + "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>"
                          for r in rows) + "</tbody></table>")
    title = f"<h{level}>{_e(heading)}</h{level}>" if heading else ""
    return HTML(title + body)

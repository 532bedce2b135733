"""Report sections on evidence: the site synthesis and the indicative evidence statement.

Called by :class:`evaltools.reports.Report` (``synthesis()``, ``evidence()``); kept apart so
that the report module stays readable.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display

from evaltools.analysis.effects.common import kept_result
from evaltools.analysis.evidence import LADDER, study_evidence
from evaltools.analysis.synthesis import leave_one_out, site_synthesis
from evaltools.core.i18n import interval, number, t
from evaltools.reports.html import escape, png, table_html
from evaltools.reports.plots import forest_plot

__all__ = ["show_site_synthesis", "evidence_html", "forest_figure"]


def forest_figure(rows: pd.DataFrame, pooled, *, label: str, title: str, xlabel: str,
                  pooled_label: str, se: str | None = "se"):
    """A forest plot figure for a report (rows: one per site or study)."""
    fig, ax = plt.subplots(figsize=(6.4, 0.3 * (len(rows) + 2) + 1.0))
    forest_plot(rows, pooled, label=label, pooled_label=pooled_label, xlabel=xlabel, se=se,
                ax=ax)
    ax.set_title(title, loc="left", fontsize=10)
    return fig


def show_site_synthesis(report) -> None:
    """Per scale: the sites' effects pooled by a random-effects model, forest plots and
    leave-one-out influence."""
    lang = report.language
    sites, pooled = site_synthesis(report.panel, report.study, post=report.wave)
    report.keep("site_effects", sites)
    report.keep("pooled", pooled)
    names = {s.id: s.name for s in report.study.sites}
    display(HTML(f"<h2>{escape(t('sec.synthesis', lang))}</h2>"
                 f"<p>{escape(t('txt.synthesis_intro', lang, k=len(report.study.sites)))}</p>"))
    rows, favourable = [], 0
    for r in pooled.itertuples():
        if r.note:
            rows.append([report.result_label(r.scale, r.intervention, r.comparison), str(r.k),
                         t("txt.not_pooled", lang),
                         "", "", "", ""])
            continue
        good = (r.ci_low > 0 or r.ci_high < 0) and (
            (r.estimate > 0) == (report.direction(r.scale) == "higher_is_better"))
        favourable += bool(good)
        rows.append([report.result_label(r.scale, r.intervention, r.comparison), str(r.k),
                     number(r.estimate, lang),
                     interval(r.ci_low, r.ci_high, lang), interval(r.pi_low, r.pi_high, lang),
                     number(r.i2, lang, 0) + "%", number(r.p_value, lang, 3)])
    report.headline = t("txt.headline_synthesis", lang, k=len(report.study.sites),
                        n=favourable, m=int((pooled["note"] == "").sum()))
    display(HTML(f"<p class='headline'><strong>{escape(report.headline)}</strong></p>"))
    display(table_html("", [t("col.scale", lang), t("col.k_sites", lang), t("col.pooled", lang),
                        t("col.ci", lang), t("col.pi", lang), "I²", t("col.p", lang)],
                   rows, report, label=t("sec.synthesis", lang)))
    display(HTML(f"<p class='note'>{escape(t('txt.synthesis_read', lang))}</p>"))
    influence = []
    for r in pooled.itertuples():
        part = sites[(sites["scale"] == r.scale) & (sites["intervention"] == r.intervention)
                     & (sites["comparison"] == r.comparison) & (sites["note"] == "")]
        if r.note:
            continue
        shown = part.assign(label=part["site"].map(names))
        label = report.result_label(r.scale, r.intervention, r.comparison)
        alt = t("alt.forest_sites", lang, scale=label,
                effect=t(f"es.{r.effect_size_type}", lang), k=len(part),
                estimate=number(r.estimate, lang), ci=interval(r.ci_low, r.ci_high, lang))
        display(png(forest_figure(shown, r._asdict(), label="label",
                                  title=label,
                                  xlabel=t(f"es.{r.effect_size_type}", lang),
                                  pooled_label=t("txt.pooled_label", lang)), alt=alt))
        if len(part) >= 3:
            loo = leave_one_out(part, label="site", test="knha")
            low, high = loo.loc[loo["estimate"].idxmin()], loo.loc[loo["estimate"].idxmax()]
            influence.append({"scale": r.scale, "intervention": r.intervention,
                              "comparison": r.comparison, "estimate": r.estimate,
                              "min_estimate": low["estimate"], "min_omitted": low["omitted"],
                              "max_estimate": high["estimate"], "max_omitted": high["omitted"]})
    if influence:
        table = pd.DataFrame(influence)
        report.keep("leave_one_out", table)
        display(table_html(t("sec.influence", lang), [
            t("col.scale", lang), t("col.pooled", lang), t("col.loo_low", lang),
            t("col.loo_high", lang)],
            [[report.result_label(r.scale, r.intervention, r.comparison),
              number(r.estimate, lang),
              f"{number(r.min_estimate, lang)} ({names.get(r.min_omitted, r.min_omitted)})",
              f"{number(r.max_estimate, lang)} ({names.get(r.max_omitted, r.max_omitted)})"]
             for r in table.itertuples()], report, level=3))


def evidence_html(report):
    """The indicative evidence statement: WWC-style rating and ladder rung per scale; each
    distinct set of reasons is stated once, with the scales it applies to."""
    lang = report.language
    # the same for the prepost and the controlled report of a site and wave (one kernel)
    table = kept_result(report.panel, ("study_evidence", report.wave, lang),
                        lambda: study_evidence(report.panel, report.study, post=report.wave,
                                               language=lang))
    report.keep("evidence", table)
    rows = []
    reasons: dict[str, list[str]] = {}
    for r in table.itertuples():
        label = report.result_label(r.scale, r.intervention, r.comparison)
        if r.note:
            rows.append([label, t("suppressed", lang), "", ""])
            continue
        rows.append([label,
                     f"{number(r.effect_size, lang)} "
                     f"({t(f'es.short.{r.effect_size_type}', lang)})",
                     t(f"wwc.{r.wwc_rating}", lang), t(f"level.{r.level}", lang)])
        reasons.setdefault(r.reasons, []).append(label)
    best = list(table.loc[table["note"] == "", "level"])
    top = max(best, key=LADDER.index) if best else "not_assessed"
    intro = [t("txt.evidence_intro", lang, level=t(f"level.{top}", lang),
               place=report.place()),
             t(f"caveat.{report.study.design}", lang), t("txt.indicative", lang)]
    body = table_html("", [t("col.scale", lang), t("col.effect", lang), t("col.wwc", lang),
                           t("col.level", lang)], rows, report,
                      label=t("sec.evidence", lang))
    why = "".join(f"<p><strong>{escape(', '.join(scales))}</strong>: {escape(text)}</p>"
                  for text, scales in reasons.items())
    return HTML(f"<h2>{escape(t('sec.evidence', lang))}</h2>"
                + "".join(f"<p>{escape(p)}</p>" for p in intro) + body.data
                + (f"<h3>{escape(t('col.reasons', lang))}</h3>{why}" if why else "")
                + f"<p class='small'>{escape(t('txt.criteria', lang))}</p>")

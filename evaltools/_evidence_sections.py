"""Report sections on evidence: the site synthesis and the indicative evidence statement.

Called by :class:`evaltools.reporting.Report` (``synthesis()``, ``evidence()``); kept apart so
that the report module stays readable.
"""

from __future__ import annotations

import pandas as pd

from evaltools.i18n import interval, number, t

__all__ = ["show_site_synthesis", "evidence_html", "forest_figure"]


def forest_figure(rows: pd.DataFrame, pooled, *, label: str, title: str, xlabel: str,
                  pooled_label: str, se: str | None = "se"):
    """A forest plot figure for a report (rows: one per site or study)."""
    import matplotlib.pyplot as plt

    from evaltools.plots import forest_plot

    fig, ax = plt.subplots(figsize=(6.4, 0.3 * (len(rows) + 2) + 1.0))
    forest_plot(rows, pooled, label=label, pooled_label=pooled_label, xlabel=xlabel, se=se,
                ax=ax)
    ax.set_title(title, loc="left", fontsize=10)
    return fig


def show_site_synthesis(report) -> None:
    """Per scale: the sites' effects pooled by a random-effects model, forest plots and
    leave-one-out influence."""
    from IPython.display import HTML, display

    from evaltools.reporting import _e, _table, png
    from evaltools.synthesis import leave_one_out, site_synthesis

    lang = report.language
    sites, pooled = site_synthesis(report.panel, report.study, post=report.wave)
    report._keep("site_effects", sites)
    report._keep("pooled", pooled)
    names = {s.id: s.name for s in report.study.sites}
    display(HTML(f"<h2>{_e(t('sec.synthesis', lang))}</h2>"
                 f"<p>{_e(t('txt.synthesis_intro', lang, k=len(report.study.sites)))}</p>"))
    rows, favourable = [], 0
    for r in pooled.itertuples():
        if r.note:
            rows.append([report._scale_label(r.scale), str(r.k), t("txt.not_pooled", lang),
                         "", "", "", ""])
            continue
        good = (r.ci_low > 0 or r.ci_high < 0) and (
            (r.estimate > 0) == (report._direction(r.scale) == "higher_is_better"))
        favourable += bool(good)
        rows.append([report._scale_label(r.scale), str(r.k), number(r.estimate, lang),
                     interval(r.ci_low, r.ci_high, lang), interval(r.pi_low, r.pi_high, lang),
                     number(r.i2, lang, 0) + "%", number(r.p_value, lang, 3)])
    report.headline = t("txt.headline_synthesis", lang, k=len(report.study.sites),
                        n=favourable, m=int((pooled["note"] == "").sum()))
    display(_table("", [t("col.scale", lang), t("col.k_sites", lang), t("col.pooled", lang),
                        t("col.ci", lang), t("col.pi", lang), "I²", t("col.p", lang)],
                   rows, report, level=3))
    display(HTML(f"<p class='note'>{_e(t('txt.synthesis_read', lang))}</p>"))
    influence = []
    for r in pooled.itertuples():
        part = sites[(sites["scale"] == r.scale) & (sites["note"] == "")]
        if r.note:
            continue
        shown = part.assign(label=part["site"].map(names))
        display(png(forest_figure(shown, r._asdict(), label="label",
                                  title=report._scale_label(r.scale),
                                  xlabel=t(f"es.{r.effect_size_type}", lang),
                                  pooled_label=t("txt.pooled_label", lang))))
        if len(part) >= 3:
            loo = leave_one_out(part, label="site", test="knha")
            low, high = loo.loc[loo["estimate"].idxmin()], loo.loc[loo["estimate"].idxmax()]
            influence.append({"scale": r.scale, "estimate": r.estimate,
                              "min_estimate": low["estimate"], "min_omitted": low["omitted"],
                              "max_estimate": high["estimate"], "max_omitted": high["omitted"]})
    if influence:
        table = pd.DataFrame(influence)
        report._keep("leave_one_out", table)
        display(_table(t("sec.influence", lang), [
            t("col.scale", lang), t("col.pooled", lang), t("col.loo_low", lang),
            t("col.loo_high", lang)],
            [[report._scale_label(r.scale), number(r.estimate, lang),
              f"{number(r.min_estimate, lang)} ({names.get(r.min_omitted, r.min_omitted)})",
              f"{number(r.max_estimate, lang)} ({names.get(r.max_omitted, r.max_omitted)})"]
             for r in table.itertuples()], report, level=3))


def evidence_html(report):
    """The indicative evidence statement: WWC-style rating and ladder rung per scale."""
    from IPython.display import HTML

    from evaltools.evidence import LADDER, study_evidence
    from evaltools.reporting import _e, _table

    lang = report.language
    table = study_evidence(report.panel, report.study, post=report.wave, language=lang)
    report._keep("evidence", table)
    rows = []
    for r in table.itertuples():
        if r.note:
            rows.append([report._scale_label(r.scale), t("suppressed", lang), "", "", ""])
            continue
        rows.append([report._scale_label(r.scale), number(r.effect_size, lang),
                     t(f"wwc.{r.wwc_rating}", lang), t(f"level.{r.level}", lang), r.reasons])
    best = list(table.loc[table["note"] == "", "level"])
    top = max(best, key=LADDER.index) if best else "not_assessed"
    intro = [t("txt.evidence_intro", lang, level=t(f"level.{top}", lang),
               place=report._place()),
             t("txt.limits", lang), t("txt.indicative", lang)]
    body = _table("", [t("col.scale", lang), t("col.effect", lang), t("col.wwc", lang),
                       t("col.level", lang), t("col.reasons", lang)], rows, report, level=3)
    return HTML(f"<h2>{_e(t('sec.evidence', lang))}</h2>"
                + "".join(f"<p>{_e(p)}</p>" for p in intro) + body.data
                + f"<p class='small'>{_e(t('txt.criteria', lang))}</p>")



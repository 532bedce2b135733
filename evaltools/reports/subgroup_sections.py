"""Report section on declared subgroups (study.yml ``subgroups:``), for every design.

Called by :class:`evaltools.reports.Report` (``subgroups()``). With a comparison group (the
``controlled`` template) each subgroup value gets the ANCOVA difference of every contrast and
the interaction test; in a repeated cross-section (nobody paired, so no ANCOVA) the difference
in differences of means with CR2 errors per subgroup value (the cluster column itself is no
subgroup there); otherwise (the ``prepost`` template) the intervention arms' change per
subgroup value.

Disclosure: a subgroup value with fewer respondents than the minimum cell size is suppressed,
and then further values, smallest first, until the suppressed values together reach it, so
that no suppressed value can be recovered from the whole group and the other values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import HTML

from evaltools.analysis.disclosure import complement_values
from evaltools.analysis.effects import subgroup_effects, within_change
from evaltools.analysis.effects.crosssection import (
    REPEATED_CROSS_SECTION,
    cluster_of,
    cross_section_did,
)
from evaltools.core.errors import EvaltoolsError
from evaltools.core.i18n import interval, number, t
from evaltools.reports.html import count_text, escape, table_html

__all__ = ["subgroups_html", "complement_values"]

SUPPRESSED = "suppressed by disclosure control"


def _suppress(table: pd.DataFrame, keys: list[str], k: int) -> pd.DataFrame:
    """Mark rows (``note``) by :func:`complement_values` within each ``keys`` block."""
    out = table.copy()
    note = out["note"].to_numpy(object).copy()
    value = out["subgroup_value"].to_numpy(object)
    rows = np.flatnonzero(value != "interaction")
    marked = note[rows].astype(bool)
    # only a block with a value too small to estimate hides anything (most have none): the
    # blocks as positions, and one assignment at the end (pandas' filtering and setting per
    # block was most of this section's time)
    blocks = out.iloc[rows].groupby(keys, sort=False).indices if marked.any() else {}
    counted = out["n"].to_numpy(dtype=float, na_value=np.nan)
    for positions in blocks.values():
        block = rows[positions]
        small = set(value[block][marked[positions]])
        if not small:
            continue
        counts = pd.Series(counted[block], index=value[block]).fillna(0)
        hide = complement_values(counts, small, k)
        note[block[[v in hide for v in value[block]]]] = SUPPRESSED
    out["note"] = pd.Series(note, index=out.index, dtype=out["note"].dtype)
    stats = [c for c in ("n", "n_intervention", "n_comparison", "estimate", "se", "ci_low",
                         "ci_high", "statistic", "p_value", "mean_change", "g_av")
             if c in out.columns]
    out.loc[note == SUPPRESSED, stats] = np.nan
    return out


def _compared(report, column: str) -> pd.DataFrame:
    parts = []
    for inst in report.study.instruments:
        for scale in inst.scales:
            try:
                parts.append(subgroup_effects(report.panel, report.study, scale=scale.id,
                                              subgroup=column, post=report.wave))
            except EvaltoolsError:
                continue
    return _per_contrast(parts, report)


def _cross_sectioned(report, column: str) -> pd.DataFrame:
    """A repeated cross-section's difference in differences per subgroup value (CR2)."""
    parts = []
    for value, part in report.panel.groupby(column, sort=True, dropna=True):
        did = cross_section_did(part, report.study, post=report.wave)
        parts.append(did.assign(subgroup=column, subgroup_value=value))
    return _per_contrast(parts, report)


def _per_contrast(parts: list[pd.DataFrame], report) -> pd.DataFrame:
    """The parts as one table, suppressed within each scale and contrast (empty: none)."""
    if not parts:
        return pd.DataFrame()
    return _suppress(pd.concat(parts, ignore_index=True), ["scale", "intervention", "comparison"],
                     report.study.min_cell_size)


def _changed(report, column: str) -> pd.DataFrame:
    arms = report.study.arms("intervention")
    table = within_change(report.panel, report.study, post=report.wave, by_site=False,
                          subgroup=column, groups=arms, totals=False)
    return _suppress(table.reset_index(drop=True), ["scale", "group"],
                     report.study.min_cell_size)


def subgroups_html(report):
    """The subgroup section: one table per declared subgroup (see the module docstring)."""
    lang, study = report.language, report.study
    if not study.subgroups:
        return HTML("")
    compare = study.has_comparison and report.template == "controlled"
    unpaired = study.design == REPEATED_CROSS_SECTION
    subgroups = [s for s in study.subgroups if not (unpaired and s.column == cluster_of(study))]
    if not subgroups:
        return HTML("")
    intro = t("txt.subgroups_cross_section" if compare and unpaired else
              "txt.subgroups_compare" if compare else "txt.subgroups_change", lang,
              k=study.min_cell_size)
    parts = [f"<h2>{escape(t('sec.subgroups', lang))}</h2><p>{escape(intro)}</p>"]
    for sub in subgroups:
        table = (_cross_sectioned(report, sub.column) if compare and unpaired else
                 _compared(report, sub.column) if compare else _changed(report, sub.column))
        hidden = [report.hidden(s) for s in table["scale"]] if len(table) else []
        if len(table):
            table.loc[hidden, "note"] = SUPPRESSED
            value_rows = table["subgroup_value"].astype(str) != "interaction"
            table["suppressed"] = (table["note"] == SUPPRESSED) | (
                value_rows & (table["note"] != ""))
        report.keep(f"subgroups_{sub.column}", table)
        rows = []
        for r in table.itertuples():
            if compare:
                label = report.result_label(r.scale, r.intervention, r.comparison)
                if r.subgroup_value == "interaction":
                    rows.append([label, t("col.interaction", lang), "", "", "",
                                 "" if r.note and np.isnan(r.p_value)
                                 else number(r.p_value, lang, 3)])
                    continue
                est = r.estimate
            else:
                label = report.result_label(r.scale)
                if len(study.arms("intervention")) > 1:
                    label += f" · {report.group_label(r.group)}"
                est = r.mean_change
            if r.note:
                rows.append([label, str(r.subgroup_value), t("suppressed", lang), "", "", ""])
                continue
            rows.append([label, str(r.subgroup_value), count_text(r.n, report),
                         number(est, lang),
                         interval(r.ci_low, r.ci_high, lang), number(r.p_value, lang, 3)])
        estimate = t("col.estimate" if compare else "col.change", lang)
        parts.append(table_html(sub.label.get(lang), [
            t("col.scale", lang), t("col.subgroup", lang), t("col.n", lang), estimate,
            t("col.ci", lang), t("col.p", lang)], rows, report, level=3, row_headers=2).data)
    return HTML("".join(parts))

"""Report sections of a repeated cross-section (``design: repeated_cross_section``).

Such a study follows nobody, so its reports show no participant flow, pairs, reliable change
or attrition. In place of the flow, :func:`counts_html` shows the respondents per cluster,
group and wave. Called by :class:`evaltools.reports.Report` (``flow()``, ``attrition()``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import HTML

from evaltools.analysis.disclosure import complementary
from evaltools.analysis.effects.crosssection import (
    FEW_CLUSTERS,
    cluster_of,
    cross_section_counts,
)
from evaltools.core.i18n import t
from evaltools.reports.html import count_text, escape, table_html

__all__ = ["counts_html", "no_attrition_html", "suppressed_counts"]


def suppressed_counts(counts: pd.DataFrame, k: int) -> pd.DataFrame:
    """The counts of :func:`~evaltools.analysis.effects.cross_section_counts` with disclosure
    control: per group and wave, clusters counting 1 to k-1 and enough further clusters that
    none can be recovered from the total (:func:`evaltools.analysis.disclosure.complementary`)
    get ``n`` NaN and ``suppressed`` True (the total too, if even all clusters stay below k).
    """
    out = counts.assign(suppressed=False)
    for _, block in out.groupby(["group", "wave"], sort=False):
        per = block[block["cluster_value"] != "all"].set_index("cluster_value")["n"]
        hide = complementary(per, k)
        rows = block.index[block["cluster_value"].isin(hide)
                           | ((block["cluster_value"] == "all") & ("all" in hide))]
        out.loc[rows, "suppressed"] = True
    out.loc[out["suppressed"], "n"] = np.nan
    return out


def counts_html(report) -> HTML:
    """Respondents per cluster, group and wave (this report's site), disclosure-controlled."""
    study, lang = report.study, report.language
    cluster = cluster_of(study)
    counts = suppressed_counts(cross_section_counts(report.panel, study),
                               study.min_cell_size)
    report.keep("cross_section_counts", counts)
    waves = [w.id for w in study.waves]
    rows = []
    for (value, group), block in counts.groupby(["cluster_value", "group"], sort=False):
        n = block.set_index("wave")["n"].reindex(waves)
        name = t("all_sites", lang) if value == "all" else str(value)
        rows.append([name, report.group_label(group),
                     *(count_text(v, report) for v in n)])
    table = table_html(t("sec.cross_section_counts", lang),
                       [t("col.cluster", lang), t("col.group", lang),
                        *(report.wave_label(w) for w in waves)], rows, report, row_headers=2)
    name = t("col.site", lang).lower() if cluster == "site" else cluster
    note = t("txt.cross_section_counts", lang, cluster=name)
    per_group = counts[counts["cluster_value"] != "all"].groupby("group")["cluster_value"]
    fewest = int(per_group.nunique().min()) if len(counts) else 0
    if fewest < FEW_CLUSTERS:
        note += " " + t("txt.few_clusters", lang, k=fewest, cluster=name)
    return HTML(table.data + f"<p class='small'>{escape(note)}</p>")


def no_attrition_html(report) -> HTML:
    """Why a repeated cross-section's report has no attrition analysis."""
    return HTML(f"<h2>{escape(t('sec.attrition', report.language))}</h2>"
                f"<p>{escape(t('txt.no_attrition_cross_section', report.language))}</p>")

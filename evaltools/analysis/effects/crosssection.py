"""Repeated cross-sectional designs: different respondents at every wave, often in clusters.

Neighbourhood and youth monitors survey a new sample at each wave, so nobody can be followed
from one wave to the next: there is no change per person, no pre-post correlation, no
reliable change and no participant flow. What such a design can estimate is the difference in
differences of *means*: how much more the mean of the intervention neighbourhoods moved than
the mean of the comparison neighbourhoods. Because respondents of one neighbourhood (school,
site) resemble each other and the intervention is assigned per neighbourhood, the standard
error must be cluster-robust, and with the usual handful of neighbourhoods it must be corrected
for few clusters: :func:`cross_section_did` uses CR2 with Satterthwaite degrees of freedom
(:mod:`evaltools.analysis.robust`, as R ``clubSandwich``).

:func:`cross_section_counts` gives the respondents per wave, group and cluster: the design
table of a repeated cross-section, in place of a participant flow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.analysis.effects.common import (
    EQUIVALENCE_COLUMNS,
    AnalysisError,
    check_panel,
    check_scales,
    check_wave,
    equivalence_row,
    hedges_j,
    later_waves,
    t_interval,
    too_small,
)
from evaltools.analysis.robust import RobustError, ols_cr2

__all__ = ["cross_section_did", "cross_section_counts", "cluster_of", "CROSS_SECTION_COLUMNS",
           "COUNT_COLUMNS", "REPEATED_CROSS_SECTION", "check_cluster",
           "cross_section_equivalence", "EQUIVALENCE_COLUMNS"]

#: The design name in study.yml.
REPEATED_CROSS_SECTION = "repeated_cross_section"

#: Columns of :func:`cross_section_did`: those of
#: :data:`evaltools.analysis.effects.controlled.COMPARISON_COLUMNS`, then the clustering.
CROSS_SECTION_COLUMNS = [
    "scale", "wave", "method", "intervention", "comparison", "n", "n_intervention",
    "n_comparison", "estimate", "se", "ci_low", "ci_high", "ci_level", "statistic", "df",
    "p_value", "effect_size", "effect_size_ci_low", "effect_size_ci_high", "effect_size_type",
    "note", "cluster", "n_clusters", "n_clusters_intervention", "n_clusters_comparison",
    "vcov_type", "df_method", "caution"]

#: Columns of :func:`cross_section_counts`.
COUNT_COLUMNS = ["cluster", "cluster_value", "group", "wave", "n"]

#: Fewer clusters per arm than this and even CR2 intervals are unreliable: say so.
FEW_CLUSTERS = 4


def cluster_of(study) -> str:
    """The panel column that holds the clusters of a study: ``analysis.cluster``, else
    ``site``."""
    return getattr(getattr(study, "analysis", None), "cluster", None) or "site"


def check_cluster(panel: pd.DataFrame, cluster: str) -> None:
    """Refuse a cluster column that the panel does not have (naming the columns it has)."""
    if cluster not in panel.columns:
        raise AnalysisError(f"the cluster column {cluster!r} is not in the panel (columns: "
                            f"{', '.join(map(str, panel.columns))}); declare it as a subgroup "
                            "in study.yml and name it in analysis.cluster")


def _contrasts(study) -> tuple[tuple[str, str], ...]:
    """Every (intervention arm, comparison arm) pair: no arm is left out."""
    if not study.contrasts:
        raise AnalysisError(f"study {study.id!r} has no comparison group (design "
                            f"{study.design!r}): a difference in differences needs one")
    return study.contrasts


def cross_section_did(panel: pd.DataFrame, study, *, scales: Sequence[str] | str | None = None,
                      post: str | Sequence[str] | None = None, cluster: str | None = None,
                      ci_level: float = 0.95) -> pd.DataFrame:
    """Difference in differences on independent samples, with CR2 cluster-robust inference.

    For each scale, each wave after the baseline and each comparison group, fits
    ``y ~ treated + post + treated:post`` by least squares on every respondent measured at the
    baseline or at that wave (different people at each wave; nobody is paired), and reports
    the interaction: the intervention group's change in mean minus the comparison group's.

    Parameters
    ----------
    panel : DataFrame
        From :func:`evaltools.data.panel.load_panel`.
    study : Study
    scales : str or list of str, optional
        Default: every scale.
    post : str or list of str, optional
        Default: every wave after the baseline.
    cluster : str, optional
        The panel column whose values are the clusters (default: ``analysis.cluster`` of
        study.yml, else ``site``).
    ci_level : float

    Returns
    -------
    DataFrame
        Columns :data:`CROSS_SECTION_COLUMNS`, one row per scale, post wave and comparison
        group: ``method = "diff_in_diff"``; ``n`` respondents in the four cells,
        ``n_intervention`` and ``n_comparison`` per group over both waves; ``estimate`` the
        difference in differences of means with its CR2 ``se``, t ``statistic``,
        Satterthwaite ``df``, ``p_value`` and interval; ``effect_size`` the standardised
        difference in differences (``effect_size_type = "hedges_g_did"``) with the interval
        of ``estimate`` on the same scale; ``cluster`` the clustering column and the number of
        clusters in all and per group; ``vcov_type = "CR2"``, ``df_method = "satterthwaite"``;
        ``note`` why a row is not estimated, or a warning about few clusters.

    Raises
    ------
    AnalysisError
        Unknown scale, wave or cluster column, or a study without a comparison group.

    Notes
    -----
    The standard error is CR2 (Bell & McCaffrey 2002) clustered by ``cluster`` and the t test
    uses the Satterthwaite degrees of freedom of Pustejovsky & Tipton (2018); checked against
    R ``clubSandwich::coef_test(lm(y ~ treated * post), vcov = "CR2", cluster = ...,
    test = "Satterthwaite")`` (``tests/reference/crosssection_r.json``). Respondents are
    never linked across waves, even when a pseudonym recurs.

    The standardised effect is ``J * estimate / SD_pooled`` with ``SD_pooled`` the pooled
    within-group SD of the two groups at the baseline and Hedges' ``J = 1 - 3 / (4 df - 1)``,
    ``df = n_T0 + n_C0 - 2``: the numerator and denominator of Morris's (2008) d_ppc2, which
    needs no pre-post correlation here because the samples are independent. Its interval is
    the estimate's CR2 interval divided by the same SD (the SD taken as known).

    The estimate is valid under parallel trends: without the intervention the two groups'
    means would have moved alike. A change in who answers the survey (composition) between
    waves biases it just as a real change would.
    """
    scales = check_scales(study, scales)
    cluster = cluster or cluster_of(study)
    check_panel(panel, ["respondent_id", "site", "group", "wave", *scales], study)
    check_cluster(panel, cluster)
    posts = later_waves(study) if post is None else ([post] if isinstance(post, str)
                                                     else list(post))
    base = study.baseline.id
    for wave in posts:
        check_wave(study, wave, role="post")
        if wave == base:
            raise AnalysisError("the post wave cannot be the baseline")
    rows = []
    for scale in scales:
        for wave in posts:
            for intervention, comparison in _contrasts(study):
                part = panel.loc[panel["wave"].isin([base, wave])
                                 & panel["group"].isin([intervention, comparison])
                                 & panel[scale].notna() & panel[cluster].notna(),
                                 ["group", "wave", cluster, scale]]
                rows.append({"scale": scale, "wave": wave, "intervention": intervention,
                             "comparison": comparison, "cluster": cluster,
                             **_did_cell(part, study, scale, cluster, intervention, base,
                                         ci_level)})
    return pd.DataFrame(rows, columns=CROSS_SECTION_COLUMNS)


def _did_cell(part: pd.DataFrame, study, scale: str, cluster: str, intervention: str,
              base: str, ci_level: float) -> dict:
    treated = (part["group"] == intervention).to_numpy(float)
    after = (part["wave"] != base).to_numpy(float)
    cells = [int(((treated == t) & (after == a)).sum()) for t in (1, 0) for a in (0, 1)]
    labels = part[cluster].astype(str).to_numpy()
    k_t = len(np.unique(labels[treated == 1]))
    k_c = len(np.unique(labels[treated == 0]))
    out = dict(method="diff_in_diff", n=len(part), n_intervention=cells[0] + cells[1],
               n_comparison=cells[2] + cells[3], ci_level=ci_level,
               effect_size_type="hedges_g_did", n_clusters=len(np.unique(labels)),
               n_clusters_intervention=k_t, n_clusters_comparison=k_c, vcov_type="CR2",
               df_method="satterthwaite", caution="",
               note=too_small(min(cells), study))
    if out["note"]:
        return out
    if min(k_t, k_c) < 1 or out["n_clusters"] < 3:
        return {**out, "note": f"not estimated: {out['n_clusters']} {cluster} cluster(s); "
                "needs at least 3 with both groups represented"}
    X = np.column_stack([np.ones(len(part)), treated, after, treated * after])
    y = part[scale].to_numpy(float)
    try:
        fit = ols_cr2(X, y, labels)
    except RobustError as err:
        return {**out, "note": f"not estimated: {err}"}
    est, se, df = float(fit.coef[3]), float(fit.se[3]), float(fit.df[3])
    low, high = t_interval(est, se, df, ci_level)
    pre_t, pre_c = y[(treated == 1) & (after == 0)], y[(treated == 0) & (after == 0)]
    df_sd = len(pre_t) + len(pre_c) - 2
    sd = np.sqrt(((len(pre_t) - 1) * pre_t.var(ddof=1) + (len(pre_c) - 1) * pre_c.var(ddof=1))
                 / df_sd)
    j = hedges_j(df_sd) / sd if sd > 0 else np.nan
    caution = "" if min(k_t, k_c) >= FEW_CLUSTERS else (
        f"only {k_t} intervention and {k_c} comparison {cluster} cluster(s): the interval "
        "rests on very few clusters")
    return {**out, "estimate": est, "se": se, "ci_low": low, "ci_high": high,
            "statistic": est / se, "df": df, "p_value": float(2 * stats.t.sf(abs(est / se), df)),
            "effect_size": est * j, "effect_size_ci_low": low * j,
            "effect_size_ci_high": high * j, "note": "", "caution": caution}


def cross_section_equivalence(panel: pd.DataFrame, study, *,
                              scales: Sequence[str] | str | None = None,
                              post: str | Sequence[str] | None = None) -> pd.DataFrame:
    """WWC-style baseline equivalence of the two groups' baseline samples, per scale.

    In a repeated cross-section the analytic sample at baseline is everyone measured at the
    baseline (nobody is followed): Hedges' g (WWC, ``omega = 1 - 3 / (4N - 9)``) of the
    intervention minus the comparison group's baseline scores decides as in
    :func:`evaltools.analysis.effects.baseline_equivalence`: ``|g| <= 0.05`` satisfied,
    up to 0.25 ``adjustment_required`` (the difference in differences adjusts for it), else
    ``not_satisfied``. One row per scale, post wave and comparison group (the baseline sample
    is the same for every post wave).

    Returns
    -------
    DataFrame
        Columns :data:`EQUIVALENCE_COLUMNS`.
    """
    scales = check_scales(study, scales)
    check_panel(panel, ["respondent_id", "site", "group", "wave", *scales], study)
    posts = later_waves(study) if post is None else ([post] if isinstance(post, str)
                                                     else list(post))
    base = panel[panel["wave"] == study.baseline.id]
    rows = []
    for scale in scales:
        for wave in posts:
            for intervention, comparison in _contrasts(study):
                t = base.loc[base["group"] == intervention, scale].dropna().to_numpy(float)
                c = base.loc[base["group"] == comparison, scale].dropna().to_numpy(float)
                rows.append(equivalence_row(scale, wave, intervention, comparison, t, c,
                                            study))
    return pd.DataFrame(rows, columns=EQUIVALENCE_COLUMNS)


def cross_section_counts(panel: pd.DataFrame, study, *, cluster: str | None = None
                         ) -> pd.DataFrame:
    """Respondents measured per cluster, group and wave: the design table of a repeated
    cross-section (it has no participant flow, since nobody is followed).

    Parameters
    ----------
    panel : DataFrame
    study : Study
    cluster : str, optional
        Default: ``analysis.cluster`` of study.yml, else ``site``.

    Returns
    -------
    DataFrame
        Columns :data:`COUNT_COLUMNS`: ``cluster`` (the column name), ``cluster_value``
        (``"all"`` for the total over clusters), ``group``, ``wave`` and ``n``, the respondents
        with at least one scale score. Counts below the minimum cell size are published only
        after :func:`evaltools.analysis.disclosure.suppress_frame`.
    """
    cluster = cluster or cluster_of(study)
    scales = [s for s in check_scales(study, None) if s in panel.columns]
    check_panel(panel, ["respondent_id", "site", "group", "wave"], study)
    check_cluster(panel, cluster)
    measured = panel[panel[scales].notna().any(axis=1)] if scales else panel.iloc[:0]
    rows = []
    values = sorted(measured[cluster].dropna().astype(str).unique())
    for value in [*values, "all"]:
        block = measured if value == "all" else measured[measured[cluster].astype(str) == value]
        for group in study.groups:
            in_group = block[block["group"] == group.id]
            if value != "all" and in_group.empty:
                continue
            for wave in study.waves:
                rows.append((cluster, value, group.id, wave.id,
                             int((in_group["wave"] == wave.id).sum())))
    return pd.DataFrame(rows, columns=COUNT_COLUMNS)

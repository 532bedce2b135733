"""Within-group change between two waves, and Jacobson-Truax reliable change.

For designs without a comparison group this is the whole analysis; in controlled designs it
describes each arm. Effect sizes follow Lakens (2013): ``d_z`` standardises the mean change by
the SD of the change scores, ``d_av`` by the average of the two waves' SDs (comparable with
between-group d), and ``g_av`` is ``d_av`` with Hedges' correction ``J = 1 - 3/(4 df - 1)``,
``df = 2(n - 1)``. Never compare ``d_z`` with a between-groups d.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaltools.analysis.effects.common import (
    ALL,
    AnalysisError,
    check_panel,
    check_scales,
    check_wave,
    hedges_j,
    kept_analysis,
    later_waves,
    noncentral_t_interval,
    paired,
    scale_info,
    signed_rank_test,
    t_interval,
    t_p_value,
    too_small,
)
from evaltools.data.panel import NothingIngestedError, load_responses
from evaltools.instruments.reliability import reliability as alpha_table

__all__ = ["within_change", "paired_change", "reliable_change", "reliable_change_summary",
           "CHANGE_COLUMNS", "PAIRED_COLUMNS", "RC_COLUMNS", "RC_SUMMARY_COLUMNS"]

CHANGE_COLUMNS = [
    "scale", "direction", "group", "site", "subgroup", "subgroup_value", "wave_pre", "wave_post",
    "n", "mean_pre", "sd_pre", "mean_post", "sd_post", "r_pre_post", "mean_change", "sd_change",
    "se", "ci_low", "ci_high", "ci_level", "statistic", "df", "p_value", "wilcoxon_statistic",
    "wilcoxon_p_value", "d_z", "d_z_ci_low", "d_z_ci_high", "d_av", "d_av_ci_low",
    "d_av_ci_high", "g_av", "g_av_ci_low", "g_av_ci_high", "note"]

_STATS = CHANGE_COLUMNS[CHANGE_COLUMNS.index("n"):-1]


#: Columns of :func:`paired_change` (the statistics of :data:`CHANGE_COLUMNS`).
PAIRED_COLUMNS = list(_STATS)


def paired_change(pre, post, *, ci_level: float = 0.95) -> pd.DataFrame:
    """Change statistics of paired scores (the numbers behind :func:`within_change`).

    Parameters
    ----------
    pre, post : array
        Scores of the same respondents at two waves (no missing values).
    ci_level : float

    Returns
    -------
    DataFrame
        One row, columns :data:`PAIRED_COLUMNS`: ``n, mean_pre, sd_pre, mean_post, sd_post,
        r_pre_post, mean_change, sd_change`` (post minus pre), ``se, ci_low, ci_high,
        ci_level`` of the mean change, the paired t ``statistic`` with ``df`` and ``p_value``,
        ``wilcoxon_statistic, wilcoxon_p_value``, and ``d_z, d_av, g_av`` each with
        ``_ci_low`` and ``_ci_high``.

    Raises
    ------
    AnalysisError
        For unpaired shapes, missing values, fewer than 2 pairs or a constant change.

    Notes
    -----
    Paired t-test as R ``t.test(post, pre, paired = TRUE)``; Wilcoxon signed-rank as R
    ``wilcox.test(post, pre, paired = TRUE)`` (V = sum of the ranks of positive changes; exact
    p-value below 50 pairs without ties or zeros, otherwise the normal approximation with
    continuity and tie correction); ``d_z`` and its noncentral-t interval as R
    ``effectsize::cohens_d(post, pre, paired = TRUE)``. The interval of ``d_av`` rescales that of
    ``d_z`` by ``sd_change / sd_av`` (Algina & Keselman 2003); ``g_av``'s by ``J``. ``d_av`` and
    ``g_av`` reproduce the worked example of Lakens (2013).

    Examples
    --------
    >>> pre = np.array([9, 7, 8, 9, 8, 9, 9, 10, 9, 9.0])    # Lakens (2013), movie 1
    >>> post = np.array([9, 6, 7, 8, 7, 9, 8, 8, 8, 7.0])    # movie 2
    >>> r = paired_change(pre, post).iloc[0]
    >>> [round(float(r[k]), 2) for k in ("d_z", "d_av", "g_av")]
    [-1.5, -1.13, -1.08]
    """
    return pd.DataFrame([_compute_paired_change(pre, post, ci_level)], columns=PAIRED_COLUMNS)


def _compute_paired_change(pre, post, ci_level: float) -> dict:
    """The statistics of :func:`paired_change` as a dict (raises AnalysisError)."""
    pre, post = np.asarray(pre, float), np.asarray(post, float)
    if pre.shape != post.shape or pre.ndim != 1:
        raise AnalysisError(f"pre and post must be paired: shapes {pre.shape} and {post.shape}")
    if np.isnan(pre).any() or np.isnan(post).any():
        raise AnalysisError("pre and post contain missing values; pass complete pairs only")
    n = len(pre)
    if n < 2:
        raise AnalysisError(f"{n} complete pair(s): paired change needs at least 2")
    diff = post - pre
    sd_pre, sd_post, sd_change = _sd(pre), _sd(post), diff.std(ddof=1)
    if sd_change <= 1e-12 * max(1.0, abs(diff.mean())):
        raise AnalysisError("every respondent changed by the same amount (a constant "
                            "outcome): the t-test and d are undefined")
    out = dict.fromkeys(_STATS, np.nan)
    out.update(n=n, ci_level=ci_level, mean_pre=pre.mean(), mean_post=post.mean(),
               mean_change=diff.mean(), sd_pre=sd_pre, sd_post=sd_post, sd_change=sd_change,
               df=n - 1)
    if sd_pre > 0 and sd_post > 0:
        out["r_pre_post"] = float(np.corrcoef(pre, post)[0, 1])
    se = sd_change / np.sqrt(n)
    t = diff.mean() / se
    low, high = t_interval(diff.mean(), se, n - 1, ci_level)
    out.update(se=se, ci_low=low, ci_high=high, statistic=t, p_value=t_p_value(t, n - 1))
    nonzero = diff[diff != 0]
    if len(nonzero):
        exact = len(nonzero) < 50 and len(np.unique(np.abs(nonzero))) == len(nonzero) \
            and len(nonzero) == n
        out["wilcoxon_statistic"], out["wilcoxon_p_value"] = signed_rank_test(diff, exact)
    ncp_low, ncp_high = noncentral_t_interval(t, n - 1, ci_level)
    d_z = t / np.sqrt(n)
    out.update(d_z=d_z, d_z_ci_low=ncp_low / np.sqrt(n), d_z_ci_high=ncp_high / np.sqrt(n))
    sd_av = (sd_pre + sd_post) / 2
    if sd_av > 0:
        scale = sd_change / sd_av
        j = hedges_j(2 * (n - 1))
        out.update(d_av=diff.mean() / sd_av, d_av_ci_low=out["d_z_ci_low"] * scale,
                   d_av_ci_high=out["d_z_ci_high"] * scale)
        out.update(g_av=out["d_av"] * j, g_av_ci_low=out["d_av_ci_low"] * j,
                   g_av_ci_high=out["d_av_ci_high"] * j)
    return out


def _sd(values: np.ndarray) -> float:
    """The SD, with a constant's rounding noise (1e-16 of its size, after shifting or scaling
    the scores) taken for what it is: 0, so that a correlation with it stays undefined."""
    sd = float(values.std(ddof=1))
    return 0.0 if sd <= 1e-12 * max(1.0, float(np.abs(values).max())) else sd


def _cells(pairs: pd.DataFrame, in_group: np.ndarray, by_site: bool | None,
           subgroup: str | None, totals: bool = True):
    """(site, subgroup value, row positions) of the cells of one group (``in_group``): all its
    pairs (``totals``); each site's, in order of appearance (``by_site``; None: when it has
    several); each subgroup value's, in sorted order (missing values left out)."""
    rows = np.flatnonzero(in_group)
    if totals:
        yield ALL, ALL, rows
    if by_site or by_site is None:
        # sites in order of appearance; a missing site has code -1 and no cell
        codes, sites = pd.factorize(pairs["site"].to_numpy(object)[rows])
        if by_site or len(sites) > 1:
            for code, site in enumerate(sites):
                yield site, ALL, rows[codes == code]
    if subgroup:
        codes, values = pd.factorize(pairs[subgroup].iloc[rows], sort=True)
        for code, value in enumerate(values):
            yield ALL, str(value), rows[codes == code]


@kept_analysis
def within_change(panel: pd.DataFrame, study, *, scales: Sequence[str] | str | None = None,
                  pre: str | None = None, post: str | Sequence[str] | None = None,
                  by_site: bool | None = None, subgroup: str | None = None,
                  groups: Sequence[str] | None = None,
                  ci_level: float = 0.95, totals: bool = True) -> pd.DataFrame:
    """Change from one wave to another, per scale, group, site and subgroup.

    Parameters
    ----------
    panel : DataFrame
        From :func:`evaltools.data.panel.load_panel`.
    study : Study
    scales : str or list of str, optional
        Default: every scale.
    pre : str, optional
        The earlier wave (default: the baseline).
    post : str or list of str, optional
        The later wave(s) (default: every wave after the baseline).
    by_site : bool, optional
        Also report each site (rows with ``site = "all"`` are always there). Default: only
        for a group measured at more than one site, where a site's rows differ from the
        ``all`` rows; ``True`` always (a single site then repeats the ``all`` rows),
        ``False`` never.
    subgroup : str, optional
        A subgroup column declared in ``study.yml`` to break results down by.
    groups : list of str, optional
        Only these groups (default: every group of the study).
    ci_level : float
    totals : bool
        Include the rows of all sites and all subgroup values together (``site`` and
        ``subgroup_value`` both ``"all"``); ``False`` leaves them out, for a caller that only
        shows the breakdown (the report's subgroup section has the totals already).

    Returns
    -------
    DataFrame
        Columns :data:`CHANGE_COLUMNS`: one row per scale, group, site or subgroup value and
        wave pair, for respondents measured at both waves. ``direction`` says whether a higher
        score is better. Cells with fewer respondents than the study's minimum cell size are not
        estimated (statistics missing, ``note`` says why).

    Raises
    ------
    AnalysisError
        For an unknown scale, wave or subgroup, or ``pre`` equal to ``post``.
    """
    scales = check_scales(study, scales)
    check_panel(panel, ["respondent_id", "site", "group", "wave"], study)
    pre = check_wave(study, pre or study.baseline.id, role="earlier")
    posts = later_waves(study) if post is None else ([post] if isinstance(post, str)
                                                     else list(post))
    for wave in posts:
        check_wave(study, wave, role="later")
        if wave == pre:
            raise AnalysisError(f"pre and post are the same wave ({pre!r})")
    if subgroup is not None and subgroup not in [s.column for s in study.subgroups]:
        raise AnalysisError(f"unknown subgroup {subgroup!r}; subgroups of study {study.id!r}: "
                            + ", ".join(s.column for s in study.subgroups))
    known = [g.id for g in study.groups]
    if groups is not None:
        groups = [groups] if isinstance(groups, str) else list(groups)
        odd = [g for g in groups if g not in known]
        if odd:
            raise AnalysisError(f"unknown group(s) {odd}; groups of study {study.id!r}: "
                                + ", ".join(known))
    rows = []
    for scale in scales:
        _, meta = scale_info(study, scale)
        for wave in posts:
            pairs = paired(panel, scale, pre, wave, extra=[subgroup] if subgroup else [])
            # on arrays: pandas' filtering per group, site and subgroup value took most of
            # the time of this function
            group_of = pairs["group"].to_numpy(object)
            before, after = pairs["pre"].to_numpy(float), pairs["post"].to_numpy(float)
            for group in (known if groups is None else [g for g in known if g in groups]):
                for site, value, cell in _cells(pairs, group_of == group, by_site, subgroup,
                                                totals):
                    note = too_small(len(cell), study)
                    values = {**dict.fromkeys(_STATS, np.nan), "n": len(cell),
                              "ci_level": ci_level}
                    if not note:
                        try:
                            values = _compute_paired_change(before[cell], after[cell],
                                                            ci_level)
                        except AnalysisError as exc:
                            note = f"not estimated: {exc}"
                    rows.append({"scale": scale, "direction": meta.direction, "group": group,
                                 "site": site, "subgroup": subgroup or ALL,
                                 "subgroup_value": value, "wave_pre": pre, "wave_post": wave,
                                 **values, "note": note})
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


RC_COLUMNS = ["respondent_id", "site", "group", "scale", "wave_pre", "wave_post", "score_pre",
              "score_post", "change", "rci", "category"]
RC_SUMMARY_COLUMNS = ["scale", "group", "site", "wave_pre", "wave_post", "n", "share_recovered",
                      "share_improved", "share_unchanged", "share_deteriorated", "sd",
                      "reliability", "cutoff", "source", "note"]
CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated")


def _rc_parameters(study, scale: str, pairs: pd.DataFrame, sd, reliability, cutoff):
    inst, meta = scale_info(study, scale)
    sources = []
    if sd is None and meta.reliable_change is not None:
        sd, reliability = meta.reliable_change.sd, reliability or \
            meta.reliable_change.reliability
        sources.append(f"SD and reliability from the instrument ({meta.reliable_change.source})")
    if sd is None:
        sd = float(pairs["pre"].std(ddof=1))
        sources.append("SD of the baseline scores in this study")
    if reliability is None:
        try:
            responses = load_responses(study)
        except NothingIngestedError:
            raise AnalysisError(
                f"scale {scale!r} needs a reliability for reliable change, and study "
                f"{study.id!r} has no ingested answers to compute Cronbach's alpha from (a "
                "hand-built panel?): pass reliability= (e.g. alpha from "
                "evaltools.reliability on the baseline answers, or the instrument's "
                "published value)") from None
        base = responses[responses["wave"] == study.baseline.id]
        table = alpha_table(base, inst)
        reliability = float(table.loc[table["scale"] == scale, "alpha"].iloc[0])
        sources.append("Cronbach's alpha of the baseline answers in this study")
    if cutoff is None and meta.cutoffs is not None and meta.cutoffs.on == "raw" \
            and meta.conversion is None:
        cutoff = meta.cutoffs.categories[1].lower
        sources.append(f"cut-off {cutoff:g}: the lower bound of the instrument's second "
                       f"category ({meta.cutoffs.categories[1].label.en})")
    if not np.isfinite(reliability) or not 0 < reliability < 1:
        raise AnalysisError(f"reliability {reliability!r} for scale {scale!r} is not between "
                            "0 and 1; pass reliability=")
    return float(sd), float(reliability), cutoff, meta.direction, "; ".join(sources)


def reliable_change(panel: pd.DataFrame, study, *, scale: str, pre: str | None = None,
                    post: str | None = None, sd: float | None = None,
                    reliability: float | None = None, cutoff: float | None = None
                    ) -> pd.DataFrame:
    """Jacobson-Truax reliable change per respondent.

    ``SE = sd * sqrt(1 - reliability)``, ``S_diff = sqrt(2) * SE``, ``RCI = (post - pre) /
    S_diff``; ``|RCI| > 1.96`` is reliable change. Improvement follows the scale's direction.
    A reliably improved respondent who also moved from the problem side of the cut-off to the
    other side is *recovered*.

    Parameters
    ----------
    panel : DataFrame
    study : Study
    scale : str
    pre, post : str, optional
        Waves (default: baseline and the first later wave).
    sd, reliability : float, optional
        Default: the instrument's reliable-change values, else the study's own baseline SD and
        Cronbach's alpha of the study's ingested baseline answers; for a hand-built panel
        (nothing ingested) pass ``reliability``.
    cutoff : float, optional
        Default: the instrument's first cut-off on the raw score (e.g. BRS 3.00: below is low
        resilience); without one, nobody is classed recovered.

    Returns
    -------
    DataFrame
        Columns :data:`RC_COLUMNS` (respondent level: for analysis, never for reports).
    """
    pre = check_wave(study, pre or study.baseline.id, role="earlier")
    post = check_wave(study, post or later_waves(study)[0], role="later")
    check_panel(panel, ["respondent_id", "site", "group", "wave", scale], study)
    pairs = paired(panel, scale, pre, post)
    if len(pairs) < 2:
        raise AnalysisError(f"fewer than 2 respondents with {scale!r} at both {pre} and {post}")
    sd, rel, cut, direction, _ = _rc_parameters(study, scale, pairs, sd, reliability, cutoff)
    change, rci, category = _classify(pairs["pre"].to_numpy(float),
                                      pairs["post"].to_numpy(float), sd, rel, cut, direction)
    return pd.DataFrame({"respondent_id": pairs["respondent_id"], "site": pairs["site"],
                         "group": pairs["group"], "scale": scale, "wave_pre": pre,
                         "wave_post": post, "score_pre": pairs["pre"],
                         "score_post": pairs["post"], "change": change, "rci": rci,
                         "category": category}, columns=RC_COLUMNS, index=pairs.index)


def _classify(pre: np.ndarray, post: np.ndarray, sd: float, reliability: float,
              cutoff: float | None, direction: str):
    """(change, RCI, category) per respondent (see :func:`reliable_change`)."""
    s_diff = np.sqrt(2.0) * sd * np.sqrt(1.0 - reliability)
    sign = 1.0 if direction == "higher_is_better" else -1.0
    change = post - pre
    rci = change / s_diff
    better, worse = sign * rci > 1.96, sign * rci < -1.96
    category = np.where(better, "improved", np.where(worse, "deteriorated", "unchanged"))
    if cutoff is not None:
        was_problem = sign * (pre - cutoff) < 0
        now_fine = sign * (post - cutoff) >= 0
        category = np.where(better & was_problem & now_fine, "recovered", category)
    return change, rci, category


@kept_analysis
def reliable_change_summary(panel: pd.DataFrame, study, *, scale: str, pre: str | None = None,
                            post: str | None = None, sd: float | None = None,
                            reliability: float | None = None, cutoff: float | None = None,
                            by_site: bool = True) -> pd.DataFrame:
    """Shares recovered, improved, unchanged and deteriorated, per group (and site).

    Returns
    -------
    DataFrame
        Columns :data:`RC_SUMMARY_COLUMNS`; ``sd``, ``reliability`` and ``cutoff`` are the
        values used and ``source`` says where they came from. Cells below the minimum cell size
        are not estimated.
    """
    pre_w = check_wave(study, pre or study.baseline.id, role="earlier")
    post_w = check_wave(study, post or later_waves(study)[0], role="later")
    pairs = paired(panel, scale, pre_w, post_w)
    sd_, rel, cut, direction, source = _rc_parameters(study, scale, pairs, sd, reliability,
                                                      cutoff)
    if len(pairs) < 2:  # as reliable_change
        raise AnalysisError(f"fewer than 2 respondents with {scale!r} at both {pre_w} and "
                            f"{post_w}")
    # on arrays (reliable_change's table and pandas' counting per cell took 10 ms a scale)
    _, _, category = _classify(pairs["pre"].to_numpy(float), pairs["post"].to_numpy(float),
                               sd_, rel, cut, direction)
    group_of = pairs["group"].to_numpy(object)
    rows = []
    for group in [g.id for g in study.groups]:
        # all the group's pairs, then each site's in order of appearance (by_site)
        for site, _, cell in _cells(pairs, group_of == group, bool(by_site), None):
            note = too_small(len(cell), study)
            found = category[cell]
            values = [np.nan] * 4 if note else [
                float(np.count_nonzero(found == c) / len(cell)) for c in CATEGORIES]
            if cut is None and not note:
                values[0] = np.nan
            rows.append([scale, group, site, pre_w, post_w, len(cell), *values, sd_, rel,
                         np.nan if cut is None else cut, source, note])
    return pd.DataFrame(rows, columns=RC_SUMMARY_COLUMNS)

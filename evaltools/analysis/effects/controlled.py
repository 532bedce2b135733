"""Controlled designs: intervention versus comparison.

* :func:`ancova`: the post-test regressed on group and the baseline score (and declared
  covariates), the standard estimator for randomised designs;
* :func:`diff_in_diff`: the difference between the groups' mean changes, which relies on
  parallel trends rather than on randomisation;
* :func:`hedges_g_wwc` and :func:`morris_dppc2`: standardised effects;
* :func:`baseline_equivalence` and :func:`wwc_attrition`: the What Works Clearinghouse checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.analysis.effects.arms import arm_contrasts
from evaltools.analysis.effects.common import (
    EQUIVALENCE_COLUMNS,
    AnalysisError,
    check_panel,
    check_scales,
    check_wave,
    equivalence_row,
    kept_analysis,
    later_waves,
    paired,
    t_interval,
    too_small,
    wwc_hedges_g,
    z_interval,
)
from evaltools.analysis.effects.crosssection import (
    REPEATED_CROSS_SECTION,
    cross_section_did,
    cross_section_equivalence,
)

__all__ = ["ancova", "diff_in_diff", "hedges_g_wwc", "morris_dppc2", "baseline_equivalence",
           "wwc_attrition", "COMPARISON_COLUMNS", "EQUIVALENCE_COLUMNS", "ATTRITION_COLUMNS",
           "EFFECT_SIZE_COLUMNS", "WWC_BOUNDARIES"]

COMPARISON_COLUMNS = [
    "scale", "wave", "method", "intervention", "comparison", "n", "n_intervention",
    "n_comparison", "estimate", "se", "ci_low", "ci_high", "ci_level", "statistic", "df",
    "p_value", "effect_size", "effect_size_ci_low", "effect_size_ci_high", "effect_size_type",
    "note"]


def _contrasts(study) -> tuple[tuple[str, str], ...]:
    if not study.has_comparison:
        raise AnalysisError(f"study {study.id!r} has no comparison group (design "
                            f"{study.design!r}); use within_change instead")
    return study.contrasts


#: Columns of :func:`hedges_g_wwc` and :func:`morris_dppc2` (one row).
EFFECT_SIZE_COLUMNS = ["effect_size_type", "effect_size", "se", "ci_low", "ci_high", "ci_level",
                       "n_intervention", "n_comparison", "r_pre_post", "note"]


def _effect_frame(kind: str, values, ci_level: float, nt: int, nc: int, rho: float,
                  note: str) -> pd.DataFrame:
    return pd.DataFrame([[kind, *(float(v) for v in values), ci_level, nt, nc, rho, note]],
                        columns=EFFECT_SIZE_COLUMNS)


def _arrays(*arrays) -> list[np.ndarray]:
    out = [np.asarray(a, float) for a in arrays]
    for a in out:
        if a.ndim != 1:
            raise AnalysisError(f"expected one-dimensional scores; got shape {a.shape}")
        if np.isnan(a).any():
            raise AnalysisError("the scores contain missing values; pass complete cases only")
    return out


def hedges_g_wwc(treated, control, *, difference: float | None = None,
                 ci_level: float = 0.95) -> pd.DataFrame:
    """Hedges' g as the What Works Clearinghouse computes it.

    Parameters
    ----------
    treated, control : array-like
        Outcome scores of the intervention and the comparison group (no missing values).
    difference : float, optional
        An adjusted mean difference (e.g. from ANCOVA) to use instead of the raw one.
    ci_level : float

    Returns
    -------
    DataFrame
        One row, columns :data:`EFFECT_SIZE_COLUMNS`: ``effect_size_type = "hedges_g_wwc"``,
        ``effect_size`` (g), ``se``, the normal interval ``ci_low``-``ci_high`` at
        ``ci_level``, ``n_intervention``, ``n_comparison``, ``r_pre_post`` (NaN: not used) and
        ``note`` (why g is missing: fewer than 2 per group, or no variance).

    Notes
    -----
    ``g = omega * (mean_T - mean_C) / S_pooled``, ``omega = 1 - 3 / (4N - 9)``, with the
    pooled within-group SD (``n - 1`` weights); ``se = sqrt(N / (n_T n_C) + g^2 / (2N))``
    (WWC Procedures Handbook v5.0, appendix E). Before the correction, ``g / omega`` equals R
    ``effectsize::cohens_d(treated, control)`` (tests/reference/effects_r.json).

    Examples
    --------
    >>> row = hedges_g_wwc([5, 6, 7, 8.0], [4, 5, 6, 6.0]).iloc[0]
    >>> round(float(row["effect_size"]), 3), row["effect_size_type"]
    (0.956, 'hedges_g_wwc')
    """
    t, c = _arrays(treated, control)
    values = wwc_hedges_g(t, c, difference, ci_level)
    note = "" if np.isfinite(values[0]) else (
        "not estimated: fewer than 2 respondents in a group" if min(len(t), len(c)) < 2
        else "not estimated: no variance within the groups")
    return _effect_frame("hedges_g_wwc", values, ci_level, len(t), len(c), np.nan, note)


def _compute_dppc2(pre_t, post_t, pre_c, post_c, ci_level: float
                   ) -> tuple[float, float, float, float, float]:
    """(d, se, ci_low, ci_high, pooled pre-post r) of Morris's d_ppc2; NaN where undefined."""
    nt, nc = len(pre_t), len(pre_c)
    if nt < 3 or nc < 3:
        return (np.nan,) * 5
    sd_pre = np.sqrt(((nt - 1) * pre_t.var(ddof=1) + (nc - 1) * pre_c.var(ddof=1))
                     / (nt + nc - 2))
    if sd_pre == 0:
        return (np.nan,) * 5
    cp = 1 - 3 / (4 * (nt + nc - 2) - 1)
    d = cp * ((post_t.mean() - pre_t.mean()) - (post_c.mean() - pre_c.mean())) / sd_pre
    rho = (((nt - 1) * np.corrcoef(pre_t, post_t)[0, 1] + (nc - 1)
            * np.corrcoef(pre_c, post_c)[0, 1]) / (nt + nc - 2))
    k = (nt + nc) / (nt * nc)
    var = (2 * cp**2 * (1 - rho) * k * (nt + nc - 2) / (nt + nc - 4)
           * (1 + d * d / (2 * (1 - rho) * k)) - d * d)
    se = np.sqrt(var) if var > 0 else np.nan
    return (d, se, *z_interval(d, se, ci_level), rho)


def morris_dppc2(pre_t, post_t, pre_c, post_c, *, ci_level: float = 0.95) -> pd.DataFrame:
    """Morris's (2008) d_ppc2: difference in mean change over the pooled pre-test SD.

    Parameters
    ----------
    pre_t, post_t, pre_c, post_c : array-like
        Paired scores (same respondents, same order) of the intervention (``_t``) and the
        comparison group (``_c``) before and after; no missing values.
    ci_level : float

    Returns
    -------
    DataFrame
        One row, columns :data:`EFFECT_SIZE_COLUMNS`: ``effect_size_type = "morris_dppc2"``,
        ``effect_size`` (d), ``se``, the normal interval, the group sizes, ``r_pre_post``
        (the pooled pre-post correlation the standard error used) and ``note``.

    Notes
    -----
    ``d = c_p [(M_post,T - M_pre,T) - (M_post,C - M_pre,C)] / SD_pre,pooled`` with
    ``c_p = 1 - 3 / (4 (n_T + n_C - 2) - 1)``; variance (Morris 2008, eq. 25)
    ``2 c_p^2 (1 - rho) (n_T + n_C)/(n_T n_C) (n_T + n_C - 2)/(n_T + n_C - 4)
    (1 + d^2 / (2 (1 - rho) (n_T + n_C)/(n_T n_C))) - d^2`` with the pre-post correlation
    pooled over both groups, ``rho = ((n_T - 1) r_T + (n_C - 1) r_C) / (n_T + n_C - 2)``.

    References
    ----------
    Morris, S. B. (2008). Estimating effect sizes from pretest-posttest-control group designs.
    Organizational Research Methods, 11, 364-386.
    """
    pre_t, post_t, pre_c, post_c = _arrays(pre_t, post_t, pre_c, post_c)
    if len(pre_t) != len(post_t) or len(pre_c) != len(post_c):
        raise AnalysisError(f"pre and post must be paired: {len(pre_t)} and {len(post_t)} "
                            f"intervention, {len(pre_c)} and {len(post_c)} comparison scores")
    *values, rho = _compute_dppc2(pre_t, post_t, pre_c, post_c, ci_level)
    note = "" if np.isfinite(values[0]) else (
        "not estimated: fewer than 3 respondents in a group"
        if min(len(pre_t), len(pre_c)) < 3 else "not estimated: no pre-test variance")
    return _effect_frame("morris_dppc2", values, ci_level, len(pre_t), len(pre_c), rho, note)


def _prepare(panel, study, scales, post):
    scales = check_scales(study, scales)
    check_panel(panel, ["respondent_id", "site", "group", "wave"], study)
    posts = later_waves(study) if post is None else ([post] if isinstance(post, str)
                                                     else list(post))
    for wave in posts:
        check_wave(study, wave, role="post")
        if wave == study.baseline.id:
            raise AnalysisError("the post wave cannot be the baseline")
    return scales, posts


def comparison_arms(panel, study, scales, post, extra: Sequence[str] = ()):
    """(scale, wave, intervention, comparison, pairs of both arms) for every contrast.

    Every intervention arm meets every comparison arm (:attr:`Study.contrasts`): with two
    intervention arms and one comparison group there are two contrasts per scale and wave.
    """
    contrasts = _contrasts(study)
    scales, posts = _prepare(panel, study, scales, post)
    check_panel(panel, ["respondent_id", "site", "group", "wave"], study)
    for scale in scales:
        for wave in posts:
            pairs = paired(panel, scale, study.baseline.id, wave, extra=list(extra))
            for intervention, comparison in contrasts:
                both = pairs[pairs["group"].isin([intervention, comparison])]
                yield scale, wave, intervention, comparison, both


def declared_covariates(study) -> list[str]:
    """The baseline covariates study.yml declares (``analysis.covariates``; none: empty)."""
    return list(getattr(getattr(study, "analysis", None), "covariates", ()) or ())


def _covariates(study, covariates) -> tuple[list[str], list[str]]:
    """(covariates, the categorical ones): the given ones, else study.yml's."""
    spec = getattr(study, "analysis", None)
    covariates = list(declared_covariates(study) if covariates is None else covariates)
    factors = [c for c in covariates if c in tuple(getattr(spec, "factor_covariates", ()))]
    return covariates, factors


@kept_analysis
def ancova(panel: pd.DataFrame, study, *, scales: Sequence[str] | str | None = None,
           post: str | Sequence[str] | None = None, covariates: Sequence[str] | None = None,
           ci_level: float = 0.95) -> pd.DataFrame:
    """ANCOVA: post-test on group, adjusted for the baseline score (and covariates).

    Fits ``post ~ group + pre (+ covariates)`` by least squares on respondents with both
    waves, over every arm at once (the k-level group factor), and reports each intervention
    arm's adjusted difference from each comparison arm with a t-based interval, and Hedges'
    g (WWC) of that adjusted difference over the two arms' pooled post-test SD.

    Parameters
    ----------
    covariates : list of str, optional
        Baseline covariates (panel columns; text columns and study.yml's categorical ones as
        categories); default the study's ``analysis.covariates``. Respondents missing one
        are left out.

    Returns
    -------
    DataFrame
        Columns :data:`COMPARISON_COLUMNS` (``method = "ancova"``), one row per scale, post
        wave and contrast (:attr:`Study.contrasts`: every intervention arm against every
        comparison arm); ``statistic`` is the t statistic of the contrast (with two arms its
        square is the type II F of R ``car::Anova``).

    Notes
    -----
    Checked against R ``lm(post ~ group + pre)``, ``car::Anova(model, type = 2)`` and, with
    three arms, ``emmeans::contrast(emmeans(model, "group"), "trt.vs.ctrl", adjust =
    "none")`` (tests/reference/arms_r.json). Arms below the minimum cell size are left out of
    the model; their contrasts carry a ``note``. In a quasi-experiment where groups differ at
    baseline, ANCOVA under-adjusts for that difference when the baseline score is measured
    with error (Lord's paradox); prefer :func:`diff_in_diff` or the mixed model there, and
    report both. The omnibus test across arms and the adjusted means are
    :func:`evaltools.analysis.effects.arm_omnibus`.
    """
    if study.design == REPEATED_CROSS_SECTION:
        raise AnalysisError(f"study {study.id!r} is a repeated cross-section: ANCOVA needs each "
                            "respondent's own baseline score; use diff_in_diff")
    covariates, factors = _covariates(study, covariates)
    contrasts = _contrasts(study)
    scales, posts = _prepare(panel, study, scales, post)
    check_panel(panel, ["respondent_id", "site", "group", "wave", *covariates], study)
    rows = []
    for scale in scales:
        for wave in posts:
            pairs = paired(panel, scale, study.baseline.id, wave, extra=covariates)
            data = pairs.dropna(subset=covariates) if covariates else pairs
            group = data["group"].to_numpy(object)
            later = data["post"].to_numpy(float)
            usable = [g.id for g in study.groups
                      if not too_small(int((group == g.id).sum()), study)]
            wanted = [(a, b) for a, b in contrasts if a in usable and b in usable]
            found = {}
            if wanted:
                table = arm_contrasts(data[np.isin(group, usable)], outcome="post",
                                      group="group", pairs=wanted,
                                      covariates=["pre", *covariates], factors=factors,
                                      levels=usable, ci_level=ci_level)
                found = {(r["intervention"], r["comparison"]): r
                         for r in table.to_dict("records")}
            for intervention, comparison in contrasts:
                t = later[group == intervention]
                c = later[group == comparison]
                note = too_small(min(len(t), len(c)), study)
                base = dict(scale=scale, wave=wave, method="ancova",
                            intervention=intervention, comparison=comparison,
                            n=len(t) + len(c), n_intervention=len(t), n_comparison=len(c),
                            ci_level=ci_level, effect_size_type="hedges_g_wwc", note=note)
                if note or (intervention, comparison) not in found:
                    rows.append(base)
                    continue
                r = found[(intervention, comparison)]
                g = wwc_hedges_g(t, c, r["estimate"], ci_level)
                rows.append({**base, "estimate": r["estimate"], "se": r["se"],
                             "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                             "statistic": r["statistic"], "df": r["df"],
                             "p_value": r["p_value"], "effect_size": g[0],
                             "effect_size_ci_low": g[2], "effect_size_ci_high": g[3]})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


@kept_analysis
def diff_in_diff(panel: pd.DataFrame, study, *, scales: Sequence[str] | str | None = None,
                 post: str | Sequence[str] | None = None,
                 covariates: Sequence[str] | None = None, ci_level: float = 0.95
                 ) -> pd.DataFrame:
    """Difference in differences: intervention's mean change minus the comparison's.

    Estimated as the group coefficient of ``(post - pre) ~ group (+ covariates)`` on
    respondents with both waves of the two arms (pooled-variance t), with Morris's d_ppc2
    as the standardised effect; one estimate per contrast (every intervention arm against
    every comparison arm).

    Parameters
    ----------
    covariates : list of str, optional
        Baseline covariates; default the study's ``analysis.covariates``.

    Returns
    -------
    DataFrame
        Columns :data:`COMPARISON_COLUMNS` (``method = "diff_in_diff"``).

    Notes
    -----
    Checked against R ``lm(I(post - pre) ~ group)``. Valid when, without the intervention,
    both groups would have changed alike (parallel trends). In a repeated cross-section
    (different respondents at every wave) nobody can be paired: the difference in differences
    of means with CR2 cluster-robust errors is computed instead
    (:func:`evaltools.analysis.effects.crosssection.cross_section_did`). With covariates, the
    estimate and its test come from ``lm(I(post - pre) ~ group + covariates)``; d_ppc2 stays the
    unadjusted standardised difference.
    """
    if study.design == REPEATED_CROSS_SECTION:
        return cross_section_did(panel, study, scales=scales, post=post, ci_level=ci_level)[
            COMPARISON_COLUMNS]
    covariates, factors = _covariates(study, covariates)
    rows = []
    for scale, wave, intervention, comparison, both in comparison_arms(
            panel, study, scales, post, covariates):
        rows.append({"scale": scale, "wave": wave,
                     **did_row(both.dropna(subset=covariates) if covariates else both,
                               study, intervention,
                               comparison, ci_level, covariates=covariates,
                               factors=factors)})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def did_row(both: pd.DataFrame, study, intervention: str, comparison: str,
            ci_level: float = 0.95, *, covariates: Sequence[str] = (),
            factors: Sequence[str] = ()) -> dict:
    """One difference-in-differences estimate from the pairs (``pre``, ``post``, ``group``
    and any ``covariates``) of two arms: the columns of :data:`COMPARISON_COLUMNS` but
    ``scale`` and ``wave``."""
    group = both["group"].to_numpy(object)
    in_t, in_c = group == intervention, group == comparison
    n_t, n_c = int(in_t.sum()), int(in_c.sum())
    note = too_small(min(n_t, n_c), study)
    base = dict(method="diff_in_diff", intervention=intervention, comparison=comparison,
                n=n_t + n_c, n_intervention=n_t, n_comparison=n_c,
                ci_level=ci_level, effect_size_type="morris_dppc2", note=note)
    if note:
        return base
    pre, post = both["pre"].to_numpy(float), both["post"].to_numpy(float)
    if covariates:
        data = pd.concat([both[in_t], both[in_c]]).assign(change=lambda x: x["post"] - x["pre"])
        found = arm_contrasts(data, outcome="change", group="group",
                              pairs=[(intervention, comparison)], covariates=covariates,
                              factors=factors, levels=[comparison, intervention],
                              ci_level=ci_level).iloc[0]
        est, se, df = found["estimate"], found["se"], found["df"]
    else:  # on arrays: a report's DiD runs once per scale and contrast
        ct, cc = post[in_t] - pre[in_t], post[in_c] - pre[in_c]
        est = ct.mean() - cc.mean()
        df = n_t + n_c - 2
        pooled = ((n_t - 1) * ct.var(ddof=1) + (n_c - 1) * cc.var(ddof=1)) / df
        se = np.sqrt(pooled * (1 / n_t + 1 / n_c))
    low, high = t_interval(est, se, df, ci_level)
    d = _compute_dppc2(pre[in_t], post[in_t], pre[in_c], post[in_c], ci_level)
    return {**base, "estimate": est, "se": se, "ci_low": low, "ci_high": high,
            "statistic": est / se, "df": df, "p_value": 2 * stats.t.sf(abs(est / se), df),
            "effect_size": d[0], "effect_size_ci_low": d[2], "effect_size_ci_high": d[3]}


@kept_analysis
def baseline_equivalence(panel: pd.DataFrame, study, *,
                         scales: Sequence[str] | str | None = None,
                         post: str | Sequence[str] | None = None) -> pd.DataFrame:
    """WWC baseline equivalence of the analytic sample, per scale.

    The analytic sample is everyone measured at baseline and at ``post``. Hedges' g (WWC) of
    the baseline difference decides: ``|g| <= 0.05`` satisfied; ``0.05 < |g| <= 0.25``
    satisfied only if the analysis adjusts for the baseline (``adjustment_required``);
    ``|g| > 0.25`` not satisfied.

    Returns
    -------
    DataFrame
        Columns :data:`EQUIVALENCE_COLUMNS`. A repeated cross-section compares the groups'
        baseline samples (:func:`.crosssection.cross_section_equivalence`).
    """
    if study.design == REPEATED_CROSS_SECTION:
        return cross_section_equivalence(panel, study, scales=scales, post=post)
    rows = []
    for scale, wave, intervention, comparison, both in comparison_arms(panel, study, scales, post):
        t = both.loc[both["group"] == intervention, "pre"].to_numpy(float)
        c = both.loc[both["group"] == comparison, "pre"].to_numpy(float)
        rows.append(equivalence_row(scale, wave, intervention, comparison, t, c, study))
    return pd.DataFrame(rows, columns=EQUIVALENCE_COLUMNS)


#: WWC attrition boundaries: the highest differential attrition (percentage points) that is
#: still "low" for overall attrition 0, 1, ..., 65 % (Standards Handbook v4.1/v5.0, table II.1).
#: The cautious boundary ends at 57 % (0.0): from 58 % on every differential is high (``None``).
#: Transcribed from the R package baselinr 0.6.0 (``R/attrition_boundary.R``,
#: ``.wwc_attrition_table()``); every row is tested against
#: ``tests/reference/wwc_attrition_boundaries.csv``. Corrected (issue 18): the earlier table had
#: six 10.9 entries in the optimistic column (8-13 % instead of 8-12 %), which shifted every
#: optimistic value from 13 % on by one row, and stopped at 57 %. The RWWC v4.0 calculator
#: (HaiwenChu/RWWC-v.4-Group-Designs, 2019) has the old optimistic column for 13-57 %, so the
#: optimistic values from 13 % on rest on baselinr alone until checked against the handbook.
WWC_BOUNDARIES = {
    "cautious": [5.7, 5.8, 5.9, 5.9, 6.0, 6.1, 6.2, 6.3, 6.3, 6.3, 6.3, 6.2, 6.2, 6.1, 6.0, 5.9,
                 5.9, 5.8, 5.7, 5.5, 5.4, 5.3, 5.2, 5.1, 4.9, 4.8, 4.7, 4.5, 4.4, 4.3, 4.1, 4.0,
                 3.8, 3.6, 3.5, 3.3, 3.2, 3.1, 2.9, 2.8, 2.6, 2.5, 2.3, 2.1, 2.0, 1.8, 1.6, 1.5,
                 1.3, 1.2, 1.0, 0.9, 0.7, 0.6, 0.4, 0.3, 0.2, 0.0,
                 None, None, None, None, None, None, None, None],
    "optimistic": [10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.7, 10.8, 10.9, 10.9, 10.9, 10.9, 10.9,
                   10.8, 10.8, 10.7, 10.6, 10.5, 10.3, 10.2, 10.0, 9.9, 9.7, 9.5, 9.4, 9.2,
                   9.0, 8.8, 8.6, 8.4, 8.2, 8.0, 7.8, 7.6, 7.4, 7.2, 7.0, 6.7, 6.5, 6.3, 6.0,
                   5.8, 5.6, 5.3, 5.1, 4.9, 4.6, 4.4, 4.2, 3.9, 3.7, 3.5, 3.2, 3.0, 2.8, 2.6,
                   2.3, 2.1, 1.9, 1.6, 1.4, 1.1, 0.9, 0.7, 0.5, 0.3],
}
ATTRITION_COLUMNS = ["group", "randomised_intervention", "analysed_intervention",
                     "randomised_comparison", "analysed_comparison", "overall",
                     "differential", "boundary_type", "boundary", "attrition", "note"]


def wwc_attrition(randomised_intervention: int, analysed_intervention: int,
                  randomised_comparison: int, analysed_comparison: int, *,
                  boundary: str = "cautious", group: str = "all") -> pd.DataFrame:
    """Overall and differential attrition against the WWC boundary.

    Overall attrition is ``(randomised - analysed) / randomised`` over both groups;
    differential attrition is the absolute difference between the groups' rates, in
    percentage points. Attrition is ``low`` when the differential, rounded to one decimal, is
    at most the boundary for the overall rate rounded to a whole percentage (table
    :data:`WWC_BOUNDARIES`); ``high`` where the table has no boundary: the cautious one ends at
    57 % overall attrition, the optimistic one at 65 % (``boundary`` is then NaN and ``note``
    says why).

    Returns
    -------
    DataFrame
        One row, columns :data:`ATTRITION_COLUMNS` (rates in percent).

    Examples
    --------
    >>> row = wwc_attrition(100, 80, 100, 75).iloc[0]
    >>> [float(row["overall"]), float(row["differential"]), float(row["boundary"])]
    [22.5, 5.0, 5.1]
    >>> row["attrition"]
    'low'
    """
    if boundary not in WWC_BOUNDARIES:
        raise AnalysisError(f"boundary={boundary!r}: expected 'cautious' or 'optimistic'")
    counts = [randomised_intervention, analysed_intervention, randomised_comparison,
              analysed_comparison]
    if any(int(c) != c or c < 0 for c in counts) or randomised_intervention == 0 \
            or randomised_comparison == 0 or analysed_intervention > randomised_intervention \
            or analysed_comparison > randomised_comparison:
        raise AnalysisError(f"attrition counts {counts} are not possible: expected whole "
                            "numbers with 0 <= analysed <= randomised and randomised > 0")
    rate_t = 100 * (1 - analysed_intervention / randomised_intervention)
    rate_c = 100 * (1 - analysed_comparison / randomised_comparison)
    overall = 100 * (1 - (analysed_intervention + analysed_comparison)
                     / (randomised_intervention + randomised_comparison))
    overall, differential = round(overall, 9), round(abs(rate_t - rate_c), 9)
    table = WWC_BOUNDARIES[boundary]
    index = int(np.floor(overall + 0.5))
    limit = table[index] if index < len(table) else None
    low = limit is not None and round(differential, 1) <= limit + 1e-9
    note = "" if limit is not None else (
        f"overall attrition {index} % is beyond the WWC {boundary} boundary (last row: "
        f"{max(i for i, v in enumerate(table) if v is not None)} %): attrition is high")
    limit = np.nan if limit is None else limit
    return pd.DataFrame([[group, *counts, float(round(overall, 4)), float(round(differential, 4)),
                          boundary, limit, "low" if low else "high", note]],
                        columns=ATTRITION_COLUMNS)

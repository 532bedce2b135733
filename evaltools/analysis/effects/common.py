"""Shared pieces of the effect analyses: argument checks, paired data, interval helpers."""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from evaltools.core.errors import EvaltoolsError
from evaltools.data.panel import PANEL_KEYS, PanelError
from evaltools.data.panel import check_panel as check_panel_contract

ALL = "all"


class AnalysisError(EvaltoolsError):
    """An analysis cannot be run as asked (unknown wave, scale or group; too little data)."""


def scales_of(study) -> list[str]:
    """Every scale id of the study's instruments, in order."""
    return [s.id for inst in study.instruments for s in inst.scales]


def scale_info(study, scale: str):
    """(instrument, scale) for a scale id."""
    for inst in study.instruments:
        for s in inst.scales:
            if s.id == scale:
                return inst, s
    raise AnalysisError(f"unknown scale {scale!r}; scales of study {study.id!r}: "
                        + ", ".join(scales_of(study)))


def check_scales(study, scales: Sequence[str] | str | None) -> list[str]:
    if scales is None:
        return scales_of(study)
    scales = [scales] if isinstance(scales, str) else list(scales)
    for scale in scales:
        scale_info(study, scale)
    return scales


def check_wave(study, wave: str | None, *, role: str) -> str:
    """A wave id that exists (``role`` says what it is for, in the message)."""
    ids = [w.id for w in study.waves]
    if wave not in ids:
        raise AnalysisError(f"unknown {role} wave {wave!r}; waves of study {study.id!r}: "
                            + ", ".join(ids))
    return wave


def later_waves(study) -> list[str]:
    return [w.id for w in study.waves if w.id != study.baseline.id]


def one_contrast(study, arms: Sequence[str] | None = None) -> tuple[str, str] | None:
    """The (intervention, comparison) pair an analysis of one contrast compares: ``arms``
    when given, else the study's only contrast; None without a comparison group.

    Raises
    ------
    AnalysisError
        When ``arms`` names no such arms, or the study has several contrasts and ``arms`` is
        not given: arms are never pooled silently.
    """
    if not study.has_comparison:
        return None
    if arms is not None:
        intervention, comparison = arms
        for arm, role in ((intervention, "intervention"), (comparison, "comparison")):
            if arm not in study.arms(role):
                raise AnalysisError(f"arms={tuple(arms)!r}: {arm!r} is not a {role} arm of "
                                    f"study {study.id!r}; {role} arms: "
                                    + ", ".join(study.arms(role)))
        return intervention, comparison
    if len(study.contrasts) > 1:
        raise AnalysisError(f"study {study.id!r} has {len(study.contrasts)} contrasts ("
                            + "; ".join(f"{i} vs. {c}" for i, c in study.contrasts)
                            + "); this analysis compares one: pass arms=(intervention, "
                            "comparison)")
    return study.contrasts[0]


def check_panel(panel: pd.DataFrame, columns: Sequence[str], study=None) -> None:
    """The panel contract (:func:`evaltools.data.panel.check_panel`): the key columns
    ``respondent_id, site, group, wave, wave_order``, the ``columns`` the analysis needs, and
    with ``study`` its groups, waves and wave order; raised as an :class:`AnalysisError`."""
    columns = [c for c in columns if c not in PANEL_KEYS]
    kept = _kept(panel)
    # a kept panel no longer changes (keep_pairs): its keys, groups, waves and rows are checked
    # once per study, each further column once
    checked = kept.get(("checked", id(study))) if kept is not None else None
    todo = columns if checked is None else [c for c in columns if c not in checked[1]]
    if checked is not None and not todo:
        return
    try:
        check_panel_contract(panel, study, todo, keys=checked is None)
    except PanelError as exc:
        raise AnalysisError(str(exc)) from None
    if kept is not None:
        # the study is held, so its id is not reused
        kept.setdefault(("checked", id(study)), (study, set()))[1].update(todo)


#: Panels registered with :func:`keep_pairs`: id -> (weak reference, {arguments: pairs}).
_KEPT: dict[int, tuple[weakref.ref, dict]] = {}


def keep_pairs(panel: pd.DataFrame) -> pd.DataFrame:
    """Let :func:`paired` compute the pairs of ``panel`` once per (scale, pre, post, extra) and
    hand out copies afterwards; returns ``panel``.

    For a panel that no longer changes, such as a report's: one prepost report asks for the
    same pairs about 200 times through its analyses (23 ms each, pandas on Arrow strings;
    ``benchmarks/report.py``). The panel contract (:func:`check_panel`) is checked once per
    study and list of columns too. The promise not to modify ``panel`` is the caller's; the
    kept pairs go when the panel does.
    """
    key = id(panel)
    if _kept(panel) is None:
        _KEPT[key] = (weakref.ref(panel, lambda _, key=key: _KEPT.pop(key, None)), {})
    return panel


def kept_result(frame: pd.DataFrame, key, compute, *, copy: bool = True):
    """``compute()``, computed once per ``key`` for a frame registered with
    :func:`keep_pairs` (every time for any other frame).

    For what a report derives from its unchanging panel or answers more than once, or what
    the reports one warm kernel renders share (the study's disclosure decisions, a site's
    reliability). A DataFrame, Series, set or dict is handed out as a copy (unless ``copy``
    is false), so a caller that changes it changes no later caller's.
    """
    kept = _kept(frame)
    if kept is None:
        return compute()
    slot = ("result", key)
    if slot not in kept:
        kept[slot] = compute()
    return _handed_out(kept[slot]) if copy else kept[slot]


def _handed_out(value):
    """A kept value as a caller gets it: a copy of a DataFrame, Series, set or dict."""
    return value.copy() if isinstance(value, (pd.DataFrame, pd.Series, set, dict)) else value


def kept_analysis(function):
    """Decorator: an analysis ``function(panel, study, **options)`` that, on a panel registered
    with :func:`keep_pairs`, is computed once per study object and options, and hands out a
    copy afterwards (on any other panel it runs every time).

    A report asks for the same table from several places: its primary estimate, its
    comparison section and the site's evidence each wanted the difference in differences of
    the same panel (three fits per scale and contrast, about a tenth of a prepost report's
    time). Options that cannot be hashed (an array of scales, say) are computed every time.
    """
    name = f"{function.__module__}.{function.__qualname__}"
    signature = inspect.signature(function)

    @functools.wraps(function)
    def analysis(panel, study, **options):
        kept = _kept(panel)
        try:  # every option, defaults included: post="t1" and post="t1", ci_level=0.95 meet
            bound = signature.bind(panel, study, **options)
            bound.apply_defaults()
            items = []
            for option, value in list(bound.arguments.items())[2:]:
                if signature.parameters[option].kind is inspect.Parameter.VAR_KEYWORD:
                    items += sorted(value.items())
                else:
                    items.append((option, value))
            key = ("analysis", name, id(study),
                   tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in items))
            hash(key)
        except TypeError:
            kept = None
        if kept is None:
            return function(panel, study, **options)
        # the study is held with the result, so its id is not reused
        held = kept_result(panel, key, lambda: (study, function(panel, study, **options)),
                           copy=False)
        return _handed_out(held[1])

    return analysis


def _kept(panel: pd.DataFrame) -> dict | None:
    """What is kept for ``panel`` (registered with :func:`keep_pairs`), else None."""
    kept = _KEPT.get(id(panel))
    return kept[1] if kept is not None and kept[0]() is panel else None


def paired(panel: pd.DataFrame, scale: str, pre: str, post: str,
           extra: Sequence[str] = ()) -> pd.DataFrame:
    """One row per respondent with both waves: ``pre``, ``post`` and the respondent's keys.

    Site, group and ``extra`` columns are taken from the pre wave. For a panel registered
    with :func:`keep_pairs`, each result is computed once and a copy is returned.
    """
    kept = _kept(panel)
    if kept is None:
        return _compute_paired(panel, scale, pre, post, extra)
    arguments = (scale, pre, post, tuple(extra))
    if arguments not in kept:
        kept[arguments] = _compute_paired(panel, scale, pre, post, extra)
    return kept[arguments].copy()


def _compute_paired(panel: pd.DataFrame, scale: str, pre: str, post: str,
                    extra: Sequence[str]) -> pd.DataFrame:
    check_panel(panel, ["respondent_id", "site", "group", "wave", scale, *extra])
    keys = ["respondent_id", "site", "group", *extra]
    wave, person = _wave_and_person(panel)
    values = panel[scale].to_numpy()
    if values.dtype.kind != "f" or (person < 0).any():  # built by hand: align by label
        a = panel.loc[wave == pre, keys + [scale]].rename(columns={scale: "pre"})
        later = panel.loc[wave == post, ["respondent_id", scale]].set_index(
            "respondent_id")[scale]
        both = a.assign(post=later.reindex(a["respondent_id"].to_numpy()).to_numpy())
        return both.dropna(subset=["pre", "post"]).reset_index(drop=True)
    # respondents as integer codes: the same pairs as aligning by id (the panel contract
    # allows one row per respondent and wave), without hashing the ids for every scale
    at_pre, at_post = np.flatnonzero(wave == pre), np.flatnonzero(wave == post)
    later = np.full(int(person.max()) + 1 if len(person) else 0, np.nan)
    later[person[at_post]] = values[at_post]
    pre_values, post_values = values[at_pre], later[person[at_pre]]
    rows = at_pre[~(np.isnan(pre_values) | np.isnan(post_values))]
    if len(set(keys)) < len(keys):  # an extra column named twice: as many columns
        both = panel[keys].iloc[rows].reset_index(drop=True)
        both["pre"] = values[rows]
        both["post"] = later[person[rows]]
        return both
    # one frame from the columns' arrays (taking the rows of a sub-frame and adding two
    # columns cost two to four times as much)
    return pd.DataFrame({**{key: panel[key].array.take(rows) for key in keys},
                         "pre": values[rows], "post": later[person[rows]]})


def _wave_and_person(panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The panel's waves (an array) and respondents as integer codes, once per kept panel."""
    kept = _kept(panel)
    if kept is not None and "wave_and_person" in kept:
        return kept["wave_and_person"]
    found = (panel["wave"].to_numpy(), pd.factorize(panel["respondent_id"])[0])
    if kept is not None:
        kept["wave_and_person"] = found
    return found


def ols_pinv(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, float]:
    """Least squares as statsmodels' ``OLS.fit()`` computes it (through the pseudo-inverse of
    ``x``): coefficients, their covariance, the residual degrees of freedom (n minus the rank
    of ``x``) and the residual sum of squares.

    For the analyses that fit many small models (subgroups, arms): a formula fit builds its
    design matrix through patsy, which took 13 of the 14 ms of each such fit.
    """
    pinv = np.linalg.pinv(x)
    params = pinv @ y
    resid = y - x @ params
    rss = float(resid @ resid)
    df_resid = len(y) - int(np.linalg.matrix_rank(x))
    sigma2 = rss / df_resid if df_resid > 0 else np.nan  # the caller refuses df_resid < 1
    return params, sigma2 * (pinv @ pinv.T), df_resid, rss


# The t and normal quantiles and tails below call the special functions that scipy.stats'
# distributions call after checking their arguments: identical values (NaN for df <= 0 as
# well), without about 50 microseconds of checks per call; a report asks for thousands.

def t_interval(estimate: float, se: float, df: float, level: float) -> tuple[float, float]:
    q = special.stdtrit(df, 0.5 + level / 2)  # stats.t.ppf(0.5 + level / 2, df)
    return estimate - q * se, estimate + q * se


def z_interval(estimate: float, se: float, level: float) -> tuple[float, float]:
    q = special.ndtri(0.5 + level / 2)  # stats.norm.ppf(0.5 + level / 2)
    return estimate - q * se, estimate + q * se


def t_p_value(statistic: float, df: float) -> float:
    """Two-sided p-value of a t statistic: ``2 * stats.t.sf(abs(statistic), df)``."""
    return float(2 * special.stdtr(df, -abs(statistic)))


def signed_rank_test(diff: np.ndarray, exact: bool) -> tuple[float, float]:
    """Wilcoxon's signed-rank test of paired differences: ``(V, p)``, two-sided.

    ``V`` is the sum of the ranks of the positive differences (R ``wilcox.test``'s ``V``);
    zero differences are dropped (``zero_method="wilcox"``). ``exact`` (no ties, no zeros):
    the exact null distribution; otherwise the normal approximation with the tie correction
    and the continuity correction. The same p-values as ``scipy.stats.wilcoxon(post, pre,
    zero_method="wilcox", correction=not exact, method="exact" if exact else "approx")``
    (tested), at a tenth of its time.
    """
    nonzero = diff[diff != 0]
    n = len(nonzero)
    if n == 0:
        return float("nan"), float("nan")
    ranks = stats.rankdata(np.abs(nonzero))
    v = float(ranks[nonzero > 0].sum())
    if exact:
        cdf = _signed_rank_cdf(n)
        top = n * (n + 1) // 2
        # P(V <= ceil(v)) and P(V >= floor(v)) = P(V <= top - floor(v)) by symmetry
        p = 2 * min(cdf[int(np.ceil(v))], cdf[top - int(np.floor(v))])
        return v, float(min(p, 1.0))
    _, ties = np.unique(np.abs(nonzero), return_counts=True)
    se = np.sqrt((n * (n + 1) * (2 * n + 1) - (ties ** 3 - ties).sum() / 2) / 24)
    z = (v - n * (n + 1) / 4) / se
    z -= np.sign(z) * 0.5 / se
    return v, float(2 * special.ndtr(-abs(z)))


@functools.lru_cache(maxsize=64)
def _signed_rank_cdf(n: int) -> np.ndarray:
    """P(V <= k), k = 0..n(n+1)/2, of the signed-rank statistic of n untied differences
    (the number of subsets of 1..n with each sum, over 2^n)."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:len(counts) - k]
    return np.cumsum(counts) / 2.0 ** n


def noncentral_t_interval(t: float, df: float, level: float) -> tuple[float, float]:
    """Interval for the noncentrality parameter of a t statistic (Steiger & Fouladi 1997).

    The bounds are the noncentralities under which the observed ``t`` is the upper and the lower
    ``(1 - level) / 2`` quantile; R ``effectsize`` uses the same inversion for d's intervals.
    """
    if not np.isfinite(t) or df <= 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2

    def cdf(ncp: float) -> float:
        # scipy.stats.nct.cdf computes special.nctdtr after checking its arguments: the same
        # value, without about 40 microseconds of checks in each of ~15 brentq steps
        value = special.nctdtr(df, ncp, t)
        if np.isnan(value):  # far in a tail, where scipy gives up: the limit is known
            return 1.0 if ncp < t else 0.0
        return float(value)

    spread = 10.0 * np.sqrt(1.0 + t * t / (2.0 * df))

    def solve(prob: float) -> float:
        f = lambda ncp: cdf(ncp) - prob  # noqa: E731
        low, high = t - spread, t + spread
        while f(low) < 0:
            low -= spread
        while f(high) > 0:
            high += spread
        return optimize.brentq(f, low, high, xtol=1e-12, rtol=1e-12, maxiter=500)

    return solve(1 - tail), solve(tail)


def hedges_j(df: float) -> float:
    """Hedges' small-sample correction ``1 - 3 / (4 df - 1)``."""
    return 1.0 - 3.0 / (4.0 * df - 1.0)


def too_small(n: int, study) -> str:
    """The note for a cell below the study's minimum cell size, or an empty string."""
    if n < study.min_cell_size:
        return ("not estimated: fewer respondents than the minimum cell size "
                f"({study.min_cell_size})")
    return ""


def wwc_hedges_g(t: np.ndarray, c: np.ndarray, difference: float | None,
                 ci_level: float) -> tuple[float, float, float, float]:
    """(g, se, ci_low, ci_high) of WWC Hedges' g (``omega = 1 - 3 / (4N - 9)``) of ``t``
    minus ``c`` (or of ``difference`` over their pooled SD); NaN where it is undefined."""
    nt, nc = len(t), len(c)
    if nt < 2 or nc < 2:
        return (np.nan,) * 4
    pooled = np.sqrt(((nt - 1) * t.var(ddof=1) + (nc - 1) * c.var(ddof=1)) / (nt + nc - 2))
    if pooled == 0:
        return (np.nan,) * 4
    n = nt + nc
    diff = t.mean() - c.mean() if difference is None else difference
    g = (1 - 3 / (4 * n - 9)) * diff / pooled
    se = np.sqrt(n / (nt * nc) + g * g / (2 * n))
    return (g, se, *z_interval(g, se, ci_level))


#: Columns of baseline equivalence (``baseline_equivalence``, ``cross_section_equivalence``).
EQUIVALENCE_COLUMNS = ["scale", "wave", "intervention", "comparison", "n_intervention",
                       "mean_intervention", "sd_intervention", "n_comparison",
                       "mean_comparison", "sd_comparison", "effect_size", "effect_size_type",
                       "equivalence", "note"]


def equivalence_row(scale: str, wave: str, intervention: str, comparison: str,
                    t: np.ndarray, c: np.ndarray, study) -> list:
    """One :data:`EQUIVALENCE_COLUMNS` row from the two arms' baseline scores: WWC Hedges' g
    decides, ``|g| <= 0.05`` satisfied, up to 0.25 ``adjustment_required``, else
    ``not_satisfied``; arms below the minimum cell size get a note and no statistics."""
    note = too_small(min(len(t), len(c)), study)
    g = wwc_hedges_g(t, c, None, 0.95)[0] if not note else np.nan
    verdict = ("" if np.isnan(g) else "satisfied" if abs(g) <= 0.05 else
               "adjustment_required" if abs(g) <= 0.25 else "not_satisfied")
    stats_t = (t.mean(), t.std(ddof=1)) if not note else (np.nan, np.nan)
    stats_c = (c.mean(), c.std(ddof=1)) if not note else (np.nan, np.nan)
    return [scale, wave, intervention, comparison, len(t), *stats_t, len(c), *stats_c, g,
            "hedges_g_wwc", verdict, note]

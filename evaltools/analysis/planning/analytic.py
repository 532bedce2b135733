"""Power, minimum detectable effect size (MDES) and sample size by formula.

Every design reduces to a t statistic with a *standardised standard error* ``se`` (the standard
error of the effect estimate in units of the outcome's SD) and degrees of freedom ``df``
(Bloom 2006; Dong & Maynard 2013). For an effect ``d`` the noncentrality is ``d / se`` and

``power = P(T > t_crit) + P(T < -t_crit)`` (two-sided; only the first term one-sided), with
``T ~ t(df, d / se)`` and ``t_crit`` the ``1 - alpha / sides`` quantile of the central t: the
same noncentral-t power as R ``pwr`` and PowerUpR. Per design (``n`` persons analysed, ``p`` the
share treated, ``r`` the pre-post correlation, ``J`` clusters of ``m`` persons analysed, ``rho``
the ICC, ``g`` covariates at the level of assignment)::

    pre_post            se = sqrt(2 (1 - r) / n)                     df = n - 1
    ancova              se = sqrt((1 - r^2) / (p (1 - p) n))         df = n - 2 - g
    diff_in_diff        se = sqrt(2 (1 - r) / (p (1 - p) n))         df = n - 2
    cluster_randomised  se = sqrt(rho (1 - R2_2) / (p (1 - p) J)
                                  + (1 - rho) (1 - R2_1) / (p (1 - p) J m))   df = J - g - 2
    multisite           se = sqrt(rho omega (1 - R2_2) / J
                                  + (1 - rho) (1 - R2_1) / (p (1 - p) J m))   df = J - g - 1
    multisite, omega=0  se = sqrt((1 - R2_1) / (p (1 - p) J m))      df = J (m - 1) - g - 1

The effect ``d`` is in SD units of the outcome (for clusters: the total SD, persons and clusters
together). In ``pre_post`` the paired t-test's own effect is ``d_z = d / sqrt(2 (1 - r))``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evaltools.analysis.planning.design import PlanDesign, PlanningError

__all__ = ["plan_power", "plan_mdes", "plan_sample_size", "plan_grid", "standard_error",
           "PLAN_COLUMNS"]

#: Columns of every analytic planning result, in order.
PLAN_COLUMNS = [
    "design", "solve_for", "effect", "power", "n_enrolled", "n_analysed", "clusters",
    "cluster_size", "df", "se_standardised", "ncp", "alpha", "alpha_adjusted", "sides",
    "share_treated", "r_pre_post", "icc", "r2_individual", "r2_cluster", "omega",
    "retention", "n_outcomes", "adjust", "method"]

_MAX_N = 1e8


def standard_error(design: PlanDesign, *, n: float | None = None,
                   clusters: float | None = None) -> tuple[float, float]:
    """(standardised standard error, degrees of freedom) of a design at a sample size.

    Parameters
    ----------
    design : PlanDesign
    n : float, optional
        Persons enrolled (all groups together); designs without clusters.
    clusters : float, optional
        Clusters (sites) enrolled; cluster designs.

    Returns
    -------
    (float, float)
        Attrition already applied (``design.retention``).
    """
    size = _size(design, n, clusters)
    return _compute_se_df(design, size)


def _size(design: PlanDesign, n, clusters) -> float:
    if design.clustered:
        if clusters is None:
            raise PlanningError(f"design {design.kind!r} needs clusters= (the number of "
                                "clusters); n is cluster_size x clusters")
        return float(clusters)
    if n is None:
        raise PlanningError(f"design {design.kind!r} needs n= (persons enrolled)")
    return float(n)


def _compute_se_df(d: PlanDesign, size: float) -> tuple[float, float]:
    """se and df for ``size`` persons (or clusters) enrolled."""
    p, r, g = d.share_treated, d.r_pre_post, d.n_covariates
    pq = p * (1.0 - p)
    if not d.clustered:
        n = size * d.retention
        if d.kind == "pre_post":
            return math.sqrt(2.0 * (1.0 - r) / n), n - 1.0
        if d.kind == "ancova":
            return math.sqrt((1.0 - r * r) / (pq * n)), n - 2.0 - g
        return math.sqrt(2.0 * (1.0 - r) / (pq * n)), n - 2.0  # diff_in_diff
    j, m = size, d.cluster_size * d.retention
    rho = d.icc
    within = (1.0 - rho) * (1.0 - d.r2_individual) / (pq * j * m)
    if d.kind == "cluster_randomised":
        return math.sqrt(rho * (1.0 - d.r2_cluster) / (pq * j) + within), j - g - 2.0
    if d.omega == 0:
        return math.sqrt((1.0 - d.r2_individual) / (pq * j * m)), j * (m - 1.0) - g - 1.0
    return (math.sqrt(rho * d.omega * (1.0 - d.r2_cluster) / j + within), j - g - 1.0)


def _power(effect, se, df, alpha: float, sides: int):
    """Noncentral-t power (vectorised); NaN where df < 1."""
    effect, se, df = np.broadcast_arrays(*(np.asarray(x, float) for x in (effect, se, df)))
    ok = df >= 1
    out = np.full(effect.shape, np.nan)
    dfo, ncp = df[ok], effect[ok] / se[ok]
    crit = stats.t.ppf(1.0 - alpha / sides, dfo)
    value = stats.nct.sf(crit, dfo, ncp)
    if sides == 2:
        value = value + stats.nct.cdf(-crit, dfo, ncp)
    out[ok] = value
    return out


def _row(d: PlanDesign, solve_for: str, effect: float, power: float, size: float,
         se: float, df: float, method: str) -> dict:
    if d.clustered:
        clusters, n_enrolled = size, size * d.cluster_size
    else:
        clusters, n_enrolled = np.nan, size
    return {
        "design": d.kind, "solve_for": solve_for, "effect": effect, "power": power,
        "n_enrolled": n_enrolled, "n_analysed": n_enrolled * d.retention,
        "clusters": clusters,
        "cluster_size": d.cluster_size if d.clustered else np.nan,
        "df": df, "se_standardised": se, "ncp": effect / se, "alpha": d.alpha,
        "alpha_adjusted": d.alpha_adjusted, "sides": d.sides,
        "share_treated": d.share_treated, "r_pre_post": d.r_pre_post,
        "icc": d.icc if d.clustered else np.nan,
        "r2_individual": d.r2_individual if d.clustered else np.nan,
        "r2_cluster": d.r2_cluster if d.clustered else np.nan,
        "omega": d.omega if d.kind == "multisite" else np.nan,
        "retention": d.retention, "n_outcomes": d.n_outcomes, "adjust": d.adjust,
        "method": method,
    }


def _check_df(d: PlanDesign, size: float, df: float) -> None:
    if df < 1:
        unit = "clusters" if d.clustered else "persons"
        raise PlanningError(f"design {d.kind!r} with {size:g} {unit} enrolled leaves {df:g} "
                            "degrees of freedom after attrition and covariates: expected 1 "
                            "or more")


def plan_power(design: PlanDesign, *, effect: float, n: float | None = None,
               clusters: float | None = None) -> pd.DataFrame:
    """Power to detect ``effect`` with a given sample size.

    Parameters
    ----------
    design : PlanDesign
    effect : float
        True effect in SD units of the outcome (Cohen's d; see the module docstring).
    n : float, optional
        Persons enrolled, all groups together (designs without clusters).
    clusters : float, optional
        Clusters enrolled (cluster designs; persons per cluster are ``design.cluster_size``).

    Returns
    -------
    DataFrame
        One row, columns :data:`PLAN_COLUMNS`: ``design``, ``solve_for = "power"``,
        ``effect``, ``power``, ``n_enrolled`` and ``n_analysed`` (persons, after attrition),
        ``clusters`` and ``cluster_size`` (NaN without clusters), ``df``,
        ``se_standardised``, ``ncp = effect / se_standardised``, ``alpha`` and
        ``alpha_adjusted`` (after the multiple-outcome correction), ``sides``, the design's
        assumptions (``share_treated, r_pre_post, icc, r2_individual, r2_cluster, omega``;
        NaN where they do not apply), ``retention``, ``n_outcomes``, ``adjust`` and
        ``method = "noncentral_t"``.

    Raises
    ------
    PlanningError
        Without the sample size the design needs, or with fewer than 1 degree of freedom.

    Notes
    -----
    Equals R ``pwr::pwr.t.test`` (``pre_post`` with ``d = effect / sqrt(2 (1 - r))``) and
    ``pwr::pwr.t2n.test`` (``ancova`` with ``r_pre_post = 0``; ``diff_in_diff`` with
    ``d = effect / sqrt(2 (1 - r))``) to 1e-6, and PowerUpR ``power.cra2``, ``power.bira2``,
    ``power.bira2c1``, ``power.ira`` for the others (``tests/reference/planning_pwr.json``).

    Examples
    --------
    >>> d = PlanDesign("ancova")
    >>> round(float(plan_power(d, effect=0.5, n=128)["power"].iloc[0]), 4)
    0.8015
    """
    size = _size(design, n, clusters)
    se, df = _compute_se_df(design, size)
    _check_df(design, size, df)
    value = float(_power(effect, se, df, design.alpha_adjusted, design.sides)[()])
    return pd.DataFrame([_row(design, "power", float(effect), value, size, se, df,
                              "noncentral_t")], columns=PLAN_COLUMNS)


def _check_power(power: float) -> None:
    if not 0.0 < power < 1.0:
        raise PlanningError(f"power={power!r}: expected a probability between 0 and 1")


def plan_mdes(design: PlanDesign, *, n: float | None = None, clusters: float | None = None,
              power: float = 0.8, method: str = "exact") -> pd.DataFrame:
    """Minimum detectable effect size: the smallest effect found with probability ``power``.

    Parameters
    ----------
    design : PlanDesign
    n, clusters : float, optional
        As in :func:`plan_power`.
    power : float
        Target power.
    method : {"exact", "multiplier"}
        ``exact`` solves the noncentral-t power equation (as R ``pwr`` does);
        ``multiplier`` is Bloom's ``MDES = (t_{1 - alpha/sides} + t_power) * se`` with central
        t quantiles on ``df`` degrees of freedom, which PowerUp! and PowerUpR report. The two
        differ in the third decimal with few degrees of freedom.

    Returns
    -------
    DataFrame
        One row, columns :data:`PLAN_COLUMNS` (``solve_for = "mdes"``, the MDES in
        ``effect``, ``method = "noncentral_t"`` or ``"multiplier"``).

    Raises
    ------
    PlanningError
        As :func:`plan_power`, or for an unknown method or a power outside (0, 1).

    Notes
    -----
    ``multiplier`` equals PowerUpR 1.1.0 ``mdes.cra2``, ``mdes.bira2``, ``mdes.bira2c1`` and
    ``mdes.ira`` (Dong & Maynard 2013) and, for many degrees of freedom, Bloom's (2006)
    multipliers 2.80 (two-sided) and 2.49 (one-sided) for alpha = .05 and power = .80.

    Examples
    --------
    >>> d = PlanDesign("cluster_randomised", icc=0.17, cluster_size=15)
    >>> round(float(plan_mdes(d, clusters=20, method="multiplier")["effect"].iloc[0]), 3)
    0.629
    """
    if method not in ("exact", "multiplier"):
        raise PlanningError(f"method={method!r}: expected 'exact' or 'multiplier'")
    _check_power(power)
    size = _size(design, n, clusters)
    se, df = _compute_se_df(design, size)
    _check_df(design, size, df)
    alpha, sides = design.alpha_adjusted, design.sides
    if method == "multiplier":
        effect = (stats.t.ppf(1.0 - alpha / sides, df) + stats.t.ppf(power, df)) * se
        label = "multiplier"
    else:
        def gap(e: float) -> float:
            return float(_power(e, se, df, alpha, sides)[()]) - power
        high = se
        while gap(high) < 0:
            high *= 2.0
        effect = optimize.brentq(gap, 0.0, high, xtol=1e-12, rtol=1e-12)
        label = "noncentral_t"
    achieved = float(_power(effect, se, df, alpha, sides)[()])
    return pd.DataFrame([_row(design, "mdes", float(effect), achieved, size, se, df, label)],
                        columns=PLAN_COLUMNS)


def plan_sample_size(design: PlanDesign, *, effect: float, power: float = 0.8
                     ) -> pd.DataFrame:
    """Persons (or clusters) to enrol so that ``effect`` is found with probability ``power``.

    Parameters
    ----------
    design : PlanDesign
        With its attrition: the answer is what to *enrol* so that enough remain.
    effect : float
        True effect in SD units.
    power : float
        Target power.

    Returns
    -------
    DataFrame
        One row, columns :data:`PLAN_COLUMNS` (``solve_for = "sample_size"``). ``n_analysed``
        (designs without clusters) is the exact, fractional solution of the power equation,
        comparable with R ``pwr``'s ``n``; ``n_enrolled`` is the whole number of persons to
        enrol (``ceil(n_analysed / retention)``), ``clusters`` the whole number of clusters.
        ``power`` is the power at the whole numbers.

    Raises
    ------
    PlanningError
        If the power cannot be reached (e.g. a cluster design whose cluster-level variance
        alone keeps the power below the target at any number of persons per cluster).

    Examples
    --------
    >>> r = plan_sample_size(PlanDesign("ancova", attrition=(0.2,)), effect=0.5)
    >>> int(r["n_enrolled"].iloc[0])
    160
    """
    _check_power(power)
    if effect <= 0:
        raise PlanningError(f"effect={effect!r}: expected a positive effect size")
    alpha, sides = design.alpha_adjusted, design.sides

    def gap(size: float) -> float:
        se, df = _compute_se_df(design, size)
        return float(_power(effect, se, df, alpha, sides)[()]) - power if df >= 1 else -power

    low = _smallest_size(design)
    high = max(low * 2.0, 8.0)
    while gap(high) < 0:
        high *= 2.0
        if high > _MAX_N:
            raise PlanningError(f"design {design.kind!r}: power {power} for effect {effect} "
                                "cannot be reached at any sample size")
    size = optimize.brentq(gap, low, high, xtol=1e-10, rtol=1e-12)
    if design.clustered:
        whole = float(math.ceil(size - 1e-9))
        se, df = _compute_se_df(design, whole)
        row = _row(design, "sample_size", effect, float(_power(effect, se, df, alpha,
                                                                 sides)[()]), whole, se, df,
                   "noncentral_t")
        return pd.DataFrame([row], columns=PLAN_COLUMNS)
    analysed = size * design.retention
    whole = float(math.ceil(size - 1e-9))
    se, df = _compute_se_df(design, whole)
    row = _row(design, "sample_size", effect,
               float(_power(effect, se, df, alpha, sides)[()]), whole, se, df, "noncentral_t")
    row["n_analysed"] = analysed
    return pd.DataFrame([row], columns=PLAN_COLUMNS)


def _smallest_size(d: PlanDesign) -> float:
    """A size just above the one that leaves 1 degree of freedom."""
    size = 1.0
    while _compute_se_df(d, size)[1] < 1:
        size *= 1.1
    return size


def plan_grid(design: PlanDesign, *, effect: Sequence[float] | float,
              n: Sequence[float] | float | None = None,
              clusters: Sequence[float] | float | None = None, power: float = 0.8,
              **assumptions: Sequence) -> pd.DataFrame:
    """Power and MDES over a grid of sample sizes, effects and assumptions.

    Parameters
    ----------
    design : PlanDesign
        The assumptions held fixed.
    effect : float or list of float
    n, clusters : float or list of float
        Sample sizes (as in :func:`plan_power`).
    power : float
        Target power of the MDES column.
    **assumptions
        Lists of values of :class:`PlanDesign` fields to vary, e.g. ``icc=[0.02, 0.05]``.

    Returns
    -------
    DataFrame
        One row per grid point: the varied fields, then :data:`PLAN_COLUMNS` with
        ``solve_for = "power"`` and a column ``mdes`` (multiplier method, see
        :func:`plan_mdes`) at the target ``power``. Points with fewer than 1 degree of
        freedom have NaN power and MDES.
    """
    _check_power(power)
    sizes = clusters if design.clustered else n
    if sizes is None:
        raise PlanningError(f"design {design.kind!r} needs "
                            + ("clusters=" if design.clustered else "n="))
    axes = {"effect": np.atleast_1d(effect).tolist(), "size": np.atleast_1d(sizes).tolist(),
            **{k: list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v]
               for k, v in assumptions.items()}}
    names = list(axes)
    rows, ses, dfs, effects, alphas = [], [], [], [], []
    designs: dict[tuple, PlanDesign] = {}
    for point in itertools.product(*axes.values()):
        values = dict(zip(names, point, strict=True))
        key = tuple(values[k] for k in names[2:])
        if key not in designs:
            designs[key] = design.with_(**{k: values[k] for k in names[2:]})
        d = designs[key]
        se, df = _compute_se_df(d, float(values["size"]))
        rows.append((d, values))
        ses.append(se)
        dfs.append(df)
        effects.append(values["effect"])
        alphas.append(d.alpha_adjusted)
    ses, dfs, effects = (np.asarray(x, float) for x in (ses, dfs, effects))
    alphas = np.asarray(alphas)
    powers = np.full(len(rows), np.nan)
    mdes = np.full(len(rows), np.nan)
    for sides in (1, 2):
        for alpha in np.unique(alphas):
            pick = (alphas == alpha) & np.array([d.sides == sides for d, _ in rows])
            if pick.any():
                powers[pick] = _power(effects[pick], ses[pick], dfs[pick], alpha, sides)
                ok = pick & (dfs >= 1)
                mdes[ok] = (stats.t.ppf(1 - alpha / sides, dfs[ok])
                            + stats.t.ppf(power, dfs[ok])) * ses[ok]
    out = []
    for i, (d, values) in enumerate(rows):
        row = _row(d, "power", float(effects[i]), float(powers[i]), float(values["size"]),
                   float(ses[i]), float(dfs[i]), "noncentral_t")
        out.append({**{k: values[k] for k in names[2:]}, **row, "mdes": float(mdes[i])})
    extra = [k for k in names[2:] if k not in PLAN_COLUMNS]
    return pd.DataFrame(out, columns=[*extra, *PLAN_COLUMNS, "mdes"])

"""Random-effects meta-analysis: pooling effect sizes across sites and studies.

The estimators follow R ``metafor::rma`` (Viechtbauer 2010) for an intercept-only model:
REML (Fisher scoring) or DerSimonian–Laird between-study variance, Wald-type (``test="z"``)
or Hartung–Knapp(–Sidik–Jonkman) (``test="knha"``) inference, Cochran's Q, I², H², and a
prediction interval for the effect in a new site or study. :func:`site_synthesis` applies it to
the sites of one study.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import brentq

from evaltools.analysis.effects import within_change
from evaltools.analysis.effects.common import (
    AnalysisError,
    check_wave,
    kept_analysis,
    later_waves,
)
from evaltools.analysis.effects.controlled import (
    comparison_arms,
    declared_covariates,
    did_row,
    diff_in_diff,
)
from evaltools.analysis.effects.crosssection import REPEATED_CROSS_SECTION, cross_section_did
from evaltools.study.model import Site

__all__ = ["meta_analysis", "leave_one_out", "site_effects", "site_synthesis",
           "study_effects", "as_one_site", "register_inputs", "register_synthesis",
           "META_COLUMNS", "LOO_COLUMNS",
           "SITE_EFFECT_COLUMNS", "REGISTER_POOL_COLUMNS", "METHODS", "TESTS"]

METHODS = ("REML", "DL")
TESTS = ("z", "knha")

META_COLUMNS = ["k", "estimate", "se", "ci_low", "ci_high", "ci_level", "statistic", "df",
                "p_value", "tau2", "tau", "i2", "h2", "q", "q_df", "q_p", "pi_low", "pi_high",
                "method", "test", "note"]
LOO_COLUMNS = ["omitted", "k", "estimate", "se", "ci_low", "ci_high", "p_value", "tau2", "i2",
               "q", "q_p"]


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / v
    mu = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu) ** 2)
    c = np.sum(w) - np.sum(w * w) / np.sum(w)
    return max(0.0, (q - (len(y) - 1)) / c)


def _reml_score(tau2: float, y: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    """Twice the REML score of tau², and the expected information (times 2), for an
    intercept-only model: ``y'PPy - tr(P)`` and ``tr(PP)`` with ``P = W - w w'/sum(w)``."""
    w = 1 / (v + tau2)
    p = np.diag(w) - np.outer(w, w) / np.sum(w)
    py = p @ y
    return py @ py - np.trace(p), np.sum(p * p)


def _tau2_reml(y: np.ndarray, v: np.ndarray, tol: float = 1e-12, max_iter: int = 100
               ) -> float:
    """REML tau²: Fisher scoring from the DL estimate (as metafor), stepping back to stay
    non-negative. Where Fisher scoring oscillates without converging (metafor then stops with
    "did not converge"), the root of the REML score is found by Brent's method instead."""
    tau2 = _tau2_dl(y, v)
    for _ in range(max_iter):
        score, information = _reml_score(tau2, y, v)
        step = score / information
        while tau2 + step < 0:
            step /= 2
        tau2 += step
        if abs(step) <= tol:
            return max(tau2, 0.0)
    if _reml_score(0.0, y, v)[0] <= 0:
        return 0.0
    upper = max(np.var(y, ddof=1), np.max(v), 1e-8)
    while _reml_score(upper, y, v)[0] > 0:
        upper *= 2
    return brentq(lambda t: _reml_score(t, y, v)[0], 0.0, upper, xtol=1e-15, rtol=1e-14)


def _compute_random_effects(y: np.ndarray, v: np.ndarray, method: str, test: str,
                            ci_level: float) -> dict:
    k = len(y)
    w_fe = 1 / v
    mu_fe = np.sum(w_fe * y) / np.sum(w_fe)
    q = float(np.sum(w_fe * (y - mu_fe) ** 2))
    if k == 1:  # nothing to pool: the one estimate with its own (Wald) interval
        se1 = float(np.sqrt(v[0]))
        z1 = stats.norm.ppf(0.5 + ci_level / 2)
        return dict(k=1, estimate=y[0], se=se1, ci_low=y[0] - z1 * se1,
                    ci_high=y[0] + z1 * se1, ci_level=ci_level, statistic=y[0] / se1,
                    p_value=2 * stats.norm.sf(abs(y[0] / se1)), q=0.0, q_df=0,
                    method=method, test=test, note="one estimate: nothing to pool")
    tau2 = _tau2_reml(y, v) if method == "REML" else _tau2_dl(y, v)
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / np.sum(w)
    if test == "knha":
        df = k - 1
        se = np.sqrt(np.sum(w * (y - mu) ** 2) / ((k - 1) * np.sum(w)))
        if se <= 1e-12 * (1 + abs(mu)):  # identical estimates: no spread to scale by
            se = 0.0
        crit = stats.t.ppf(0.5 + ci_level / 2, df)
        p_value = 2 * stats.t.sf(abs(mu / se), df) if se > 0 else np.nan
    else:
        df = np.nan
        se = np.sqrt(1 / np.sum(w))
        crit = stats.norm.ppf(0.5 + ci_level / 2)
        p_value = 2 * stats.norm.sf(abs(mu / se))
    typical = (k - 1) * np.sum(w_fe) / (np.sum(w_fe) ** 2 - np.sum(w_fe ** 2))
    pi_half = crit * np.sqrt(se ** 2 + tau2)
    return dict(k=k, estimate=mu, se=se, ci_low=mu - crit * se, ci_high=mu + crit * se,
                ci_level=ci_level, statistic=mu / se if se > 0 else np.nan, df=df,
                p_value=p_value, tau2=tau2, tau=np.sqrt(tau2),
                i2=100 * tau2 / (typical + tau2), h2=(typical + tau2) / typical, q=q,
                q_df=k - 1, q_p=stats.chi2.sf(q, k - 1), pi_low=mu - pi_half,
                pi_high=mu + pi_half, method=method, test=test, note="")


def _inputs(data: pd.DataFrame, estimate: str, se: str | None, variance: str | None,
            label: str | None) -> tuple[np.ndarray, np.ndarray]:
    if se is not None and variance is not None:
        raise AnalysisError(f"se={se!r} and variance={variance!r}: give the column of the "
                            "standard errors or of the variances, not both")
    if se is None and variance is None:
        se = "se"
    spread = se if se is not None else variance
    for column in (estimate, spread, label):
        if column is not None and column not in data.columns:
            raise AnalysisError(f"column {column!r} is not in the data; columns are "
                                f"{', '.join(map(str, data.columns))}")
    y = pd.to_numeric(data[estimate], errors="coerce").to_numpy(float)
    s = pd.to_numeric(data[spread], errors="coerce").to_numpy(float)
    v = s ** 2 if se is not None else s
    bad = ~np.isfinite(y) | ~np.isfinite(v) | (v <= 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        name = data[label].iloc[i] if label else data.index[i]
        raise AnalysisError(
            f"row {name!r}: {estimate}={data[estimate].iloc[i]!r}, {spread}="
            f"{data[spread].iloc[i]!r}; every estimate needs a finite value and a positive "
            f"{'standard error' if se is not None else 'variance'} (drop suppressed rows "
            "first)")
    return y, v


def _check_options(method: str, test: str, ci_level: float) -> None:
    if method not in METHODS:
        raise ValueError(f"method={method!r}: expected one of {', '.join(METHODS)}")
    if test not in TESTS:
        raise ValueError(f"test={test!r}: expected 'z' or 'knha' (Hartung–Knapp)")
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level={ci_level!r}: expected a share between 0 and 1, e.g. 0.95")


def meta_analysis(data: pd.DataFrame, *, estimate: str = "effect_size", se: str | None = None,
                  variance: str | None = None, by: Sequence[str] | str | None = None,
                  method: str = "REML", test: str = "z", ci_level: float = 0.95,
                  label: str | None = None) -> pd.DataFrame:
    """Pool effect sizes with a random-effects model.

    Parameters
    ----------
    data : DataFrame
        One row per site or study, with an effect size and its standard error (or variance).
    estimate, se, variance : str
        Column names: the estimate, and either its standard error (``se``) or its variance
        (``variance``), not both; with neither, the column ``"se"``.
    by : str or list of str, optional
        Pool separately within each combination of these columns (e.g. ``"scale"``).
    method : {"REML", "DL"}
        Estimator of the between-study variance tau².
    test : {"z", "knha"}
        Wald-type normal inference, or the Hartung–Knapp adjustment (t on k - 1 df), which
        holds its coverage better with few studies.
    ci_level : float
        Level of the confidence and prediction intervals.
    label : str, optional
        Column naming each row, used in error messages.

    Returns
    -------
    DataFrame
        Columns ``by`` + :data:`META_COLUMNS`, one row per group: ``k``, pooled ``estimate``
        with ``se``, interval, ``statistic`` (z or t), ``df`` (NaN for z), ``p_value``;
        ``tau2``, ``tau``; ``i2`` (percent) and ``h2`` from tau² and the typical within-study
        variance; Cochran's ``q`` with ``q_df`` and ``q_p``; the prediction interval
        ``pi_low``–``pi_high``. With one row there is nothing to pool: the row's own estimate
        is returned with ``note`` set.

    Notes
    -----
    Checked against R ``metafor::rma(yi, vi, method=, test=)`` and ``predict()`` (metafor
    3.8.1) on ``dat.bcg`` and ``dat.normand1999`` to 1e-6 (tests/reference/meta_metafor.R).
    As in metafor, the prediction interval uses the normal quantile under ``test="z"`` and
    t(k - 1) under ``"knha"``. Where metafor's Fisher scoring does not converge (it can
    oscillate), the REML estimate is the root of the REML score found by Brent's method. Under
    ``"knha"``, identical estimates give ``se = 0`` and no test (``p_value`` NaN).

    Examples
    --------
    >>> sites = pd.DataFrame({"site": list("abcd"), "effect_size": [0.1, 0.3, 0.35, 0.6],
    ...                       "se": [0.1, 0.12, 0.15, 0.2]})
    >>> fit = meta_analysis(sites, label="site").iloc[0]
    >>> [round(float(fit[c]), 4) for c in ("estimate", "tau2", "i2")]  # metafor: same
    [0.2922, 0.0171, 48.5419]
    """
    _check_options(method, test, ci_level)
    groups = [by] if isinstance(by, str) else list(by or [])
    missing = [c for c in groups if c not in data.columns]
    if missing:
        raise AnalysisError(f"by: column(s) {', '.join(missing)} not in the data")
    rows = []
    parts = data.groupby(groups, sort=True, dropna=False) if groups else [((), data)]
    for key, part in parts:
        y, v = _inputs(part, estimate, se, variance, label)
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(groups, key, strict=True)),
                     **_compute_random_effects(y, v, method, test, ci_level)})
    return pd.DataFrame(rows, columns=groups + META_COLUMNS)


def leave_one_out(data: pd.DataFrame, *, label: str, estimate: str = "effect_size",
                  se: str | None = None, variance: str | None = None, method: str = "REML",
                  test: str = "z", ci_level: float = 0.95) -> pd.DataFrame:
    """The pooled result with each row left out in turn (influence of single sites/studies).

    Returns
    -------
    DataFrame
        Columns :data:`LOO_COLUMNS`, one row per omitted row (``omitted`` = its ``label``).

    Notes
    -----
    Checked against R ``metafor::leave1out(rma(...))`` (metafor 3.8.1).
    """
    _check_options(method, test, ci_level)
    y, v = _inputs(data, estimate, se, variance, label)
    if len(y) < 3:
        raise AnalysisError(f"leave-one-out needs at least 3 estimates; got {len(y)}")
    rows = []
    for i, name in enumerate(data[label]):
        keep = np.arange(len(y)) != i
        fit = _compute_random_effects(y[keep], v[keep], method, test, ci_level)
        rows.append({"omitted": name, **{c: fit.get(c, np.nan) for c in LOO_COLUMNS[1:]}})
    return pd.DataFrame(rows, columns=LOO_COLUMNS)


SITE_EFFECT_COLUMNS = ["scale", "site", "wave_pre", "wave_post", "intervention", "comparison",
                       "n", "n_intervention", "n_comparison", "effect_size",
                       "effect_size_type", "se", "ci_low", "ci_high", "p_value", "note"]


@kept_analysis
def site_effects(panel: pd.DataFrame, study, *, post: str | None = None,
                 ci_level: float = 0.95) -> pd.DataFrame:
    """Each site's standardised effect per scale: the input of :func:`site_synthesis`.

    With a comparison group: Morris's d_ppc2 of the difference in differences of every
    contrast (each intervention arm against each comparison arm, ``intervention`` and
    ``comparison`` name them), as :func:`evaltools.analysis.effects.diff_in_diff` computes it
    for the site alone; without one (``comparison`` empty): g_av of the intervention group's change
    (:func:`evaltools.analysis.effects.within_change`). The standard error is the half-width of the
    effect size's confidence interval over the normal quantile (exact for d_ppc2's normal
    interval, an approximation for g_av's noncentral-t interval). Sites below the minimum
    cell size keep their row with ``note`` set and no numbers.

    Returns
    -------
    DataFrame
        Columns :data:`SITE_EFFECT_COLUMNS`.
    """
    post = check_wave(study, post or later_waves(study)[0], role="post")
    sites = [s.id for s in study.sites]
    rows = []
    if study.design == REPEATED_CROSS_SECTION:  # nobody paired: DiD of means per site
        for site in sites:
            rows += _cross_section_rows(panel[panel["site"] == site], study, post, ci_level,
                                        site)
    elif study.has_comparison:
        for scale, wave, intervention, comparison, both in comparison_arms(
                panel, study, None, post):
            groups = dict(tuple(both.groupby("site", sort=False)))
            for site in sites:
                part = groups.get(site, both.iloc[:0])
                r = did_row(part, study, intervention, comparison, ci_level)
                rows.append(dict(scale=scale, site=site, wave_pre=study.baseline.id,
                                 wave_post=wave, intervention=intervention,
                                 comparison=comparison, n=r["n"],
                                 n_intervention=r["n_intervention"],
                                 n_comparison=r["n_comparison"],
                                 effect_size=r.get("effect_size", np.nan),
                                 effect_size_type=r["effect_size_type"],
                                 ci_low=r.get("effect_size_ci_low", np.nan),
                                 ci_high=r.get("effect_size_ci_high", np.nan),
                                 p_value=r.get("p_value", np.nan), note=r["note"]))
    else:
        table = within_change(panel, study, post=post, by_site=True, ci_level=ci_level)
        table = table[(table["site"].isin(sites))
                      & (table["group"].isin(study.arms("intervention")))]
        # a study seen as one site called "all": its rows and the overall rows coincide
        table = table.drop_duplicates(subset=["scale", "site", "group", "wave_post"])
        for r in table.itertuples():
            rows.append(dict(scale=r.scale, site=r.site, wave_pre=r.wave_pre,
                             wave_post=r.wave_post, intervention=r.group, comparison="",
                             n=r.n, n_intervention=r.n,
                             n_comparison=np.nan, effect_size=r.g_av,
                             effect_size_type="g_av", ci_low=r.g_av_ci_low,
                             ci_high=r.g_av_ci_high, p_value=r.p_value, note=r.note))
    return _with_se(pd.DataFrame(rows, columns=SITE_EFFECT_COLUMNS), ci_level)


def _with_se(out: pd.DataFrame, ci_level: float) -> pd.DataFrame:
    """:data:`SITE_EFFECT_COLUMNS` rows with ``se``: the interval's half-width over the normal
    quantile; a missing ``note`` as ``""``."""
    z = stats.norm.ppf(0.5 + ci_level / 2)
    out["se"] = (out["ci_high"] - out["ci_low"]) / (2 * z)
    out["note"] = out["note"].fillna("")
    return out


def as_one_site(study):
    """The study seen as one site called "all" (for study-level effects)."""
    return replace(study, sites=(Site("all", "all", None),))


def _cross_section_rows(panel: pd.DataFrame, study, post: str, ci_level: float,
                        site: str) -> list[dict]:
    """:data:`SITE_EFFECT_COLUMNS` rows (no ``se``) of a repeated cross-section's difference in
    differences of means (``hedges_g_did``) on ``panel``, labelled ``site``."""
    table = cross_section_did(panel, study, post=post, ci_level=ci_level)
    return [dict(scale=r.scale, site=site, wave_pre=study.baseline.id, wave_post=r.wave,
                 intervention=r.intervention, comparison=r.comparison, n=r.n,
                 n_intervention=r.n_intervention, n_comparison=r.n_comparison,
                 effect_size=r.effect_size, effect_size_type=r.effect_size_type,
                 ci_low=r.effect_size_ci_low, ci_high=r.effect_size_ci_high,
                 p_value=r.p_value, note=r.note) for r in table.itertuples()]


def study_effects(panel: pd.DataFrame, study, *, post: str | None = None,
                  ci_level: float = 0.95) -> pd.DataFrame:
    """The whole study's standardised effect per scale (and contrast), as one site ``all``:
    :func:`site_effects`' columns.

    For a repeated cross-section the clusters (often the sites themselves) stay in the model:
    its cluster-robust standard errors need them, so the study is not merged into one site
    before estimating.
    """
    if study.design == REPEATED_CROSS_SECTION:
        post = check_wave(study, post or later_waves(study)[0], role="post")
        return _with_se(pd.DataFrame(_cross_section_rows(panel, study, post, ci_level, "all"),
                                     columns=SITE_EFFECT_COLUMNS), ci_level)
    if study.has_comparison:
        # site_effects' difference in differences of the study as one site is diff_in_diff's
        # without covariates (the same pairs, the same did_row): taken from there, so that a
        # report's evidence shares the fits of its comparison section (kept_analysis)
        post = check_wave(study, post or later_waves(study)[0], role="post")
        did = diff_in_diff(panel, study, post=post, ci_level=ci_level,
                           **({"covariates": []} if declared_covariates(study) else {}))
        out = pd.DataFrame({
            "scale": did["scale"], "site": "all", "wave_pre": study.baseline.id,
            "wave_post": did["wave"], "intervention": did["intervention"],
            "comparison": did["comparison"], "n": did["n"],
            "n_intervention": did["n_intervention"], "n_comparison": did["n_comparison"],
            "effect_size": did["effect_size"], "effect_size_type": did["effect_size_type"],
            "se": np.nan, "ci_low": did["effect_size_ci_low"],
            "ci_high": did["effect_size_ci_high"], "p_value": did["p_value"],
            "note": did["note"]}, columns=SITE_EFFECT_COLUMNS)
        return _with_se(out, ci_level)
    return site_effects(panel.assign(site="all"), as_one_site(study), post=post,
                        ci_level=ci_level)


def site_synthesis(panel: pd.DataFrame, study, *, post: str | None = None,
                   method: str = "REML", test: str = "knha", ci_level: float = 0.95
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pool each scale's site effects with a random-effects model.

    Hartung–Knapp is the default here because a study has few sites.

    Returns
    -------
    sites : DataFrame
        :func:`site_effects`.
    pooled : DataFrame
        ``scale, intervention, comparison, effect_size_type`` + :data:`META_COLUMNS`, one row
        per scale and contrast; where fewer than two sites
        could be estimated carry a ``note`` and no pooled numbers.
    """
    sites = site_effects(panel, study, post=post, ci_level=ci_level)
    usable = sites[(sites["note"] == "") & np.isfinite(sites["se"]) & (sites["se"] > 0)]
    pooled = []
    keys = ["scale", "intervention", "comparison"]
    for key, block in sites.groupby(keys, sort=False):
        part = usable[(usable[keys] == list(key)).all(axis=1)]
        kind = block["effect_size_type"].iloc[0]
        head = {**dict(zip(keys, key, strict=True)), "effect_size_type": kind}
        if len(part) < 2:
            pooled.append({**head, "k": len(part), "method": method, "test": test,
                           "ci_level": ci_level,
                           "note": "fewer than two sites with enough respondents"})
            continue
        fit = meta_analysis(part, label="site", method=method, test=test, ci_level=ci_level)
        pooled.append({**head, **fit.iloc[0].to_dict()})
    return sites, pd.DataFrame(pooled, columns=[*keys, "effect_size_type"] + META_COLUMNS)


REGISTER_POOL_COLUMNS = ["intervention", "protective_factor", "scale", "effect_size_type",
                         "unit", "wave_post"] + META_COLUMNS


def register_inputs(rows: pd.DataFrame) -> pd.DataFrame:
    """What to pool per intervention and scale, from register rows.

    Across studies when there are at least two (each study's whole-study row at its
    post-test: the smallest ``follow_up_months``); otherwise across the sites of the one
    study, at that wave. Effect size types are never mixed.

    Returns
    -------
    DataFrame
        The chosen register rows with ``unit`` (``study`` or ``site``) and ``label``.
    """
    if rows.empty:
        return rows.assign(unit=pd.Series(dtype=str), label=pd.Series(dtype=str))
    keys = ["intervention", "protective_factor", "scale", "effect_size_type"]
    chosen = []
    for _, part in rows.groupby(keys, sort=True):
        whole = part[part["site"] == "all"]
        first = whole.sort_values(["follow_up_months", "wave_post"]).groupby(
            ["organisation", "study"], sort=True).head(1)
        if len(first) >= 2:
            label = np.where(first["organisation"] != "",
                             first["organisation"] + " / " + first["study"], first["study"])
            chosen.append(first.assign(unit="study", label=label))
            continue
        if first.empty:
            continue
        one = first.iloc[0]
        sites = part[(part["site"] != "all") & (part["study"] == one["study"])
                     & (part["organisation"] == one["organisation"])
                     & (part["wave_post"] == one["wave_post"])]
        if len(sites) >= 2:
            named = sites.get("site_name", pd.Series("", index=sites.index)).fillna("")
            chosen.append(sites.assign(unit="site",
                                       label=named.where(named != "", sites["site"])))
        else:
            chosen.append(first.assign(unit="study", label=first["study"]))
    return pd.concat(chosen, ignore_index=True) if chosen else rows.iloc[:0].assign(
        unit="", label="")


def register_synthesis(rows: pd.DataFrame, *, method: str = "REML", test: str = "knha",
                       ci_level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pooled effects per intervention and scale across the register (see
    :func:`register_inputs` for what is pooled).

    Returns
    -------
    inputs : DataFrame
        :func:`register_inputs`.
    pooled : DataFrame
        Columns :data:`REGISTER_POOL_COLUMNS`.
    """
    _check_options(method, test, ci_level)
    inputs = register_inputs(rows)
    out = []
    keys = ["intervention", "protective_factor", "scale", "effect_size_type"]
    for key, part in inputs.groupby(keys, sort=True):
        fit = meta_analysis(part, label="label", method=method, test=test,
                            ci_level=ci_level).iloc[0].to_dict()
        out.append({**dict(zip(keys, key, strict=True)), "unit": part["unit"].iloc[0],
                    "wave_post": ", ".join(sorted(part["wave_post"].unique())), **fit})
    return inputs, pd.DataFrame(out, columns=REGISTER_POOL_COLUMNS)

"""Reliability and item analysis of scales: Cronbach's alpha, McDonald's omega, item statistics.

Each statistic is computed on the *scored* items (missing codes removed, reverse keying and
recodes applied). Alpha and omega use the item covariances from pairwise-complete data by
default, as R ``psych::alpha`` does (``use = "pairwise"``), or from the respondents who answered
every item (``use="complete"``, listwise deletion); the table says which (``alpha_use``) and
reports the ``n`` used. Item statistics always use complete cases.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evaltools.instruments.model import as_instruments
from evaltools.instruments.scoring import scored_items

__all__ = ["cronbach_alpha", "omega_total", "reliability", "item_analysis",
           "RELIABILITY_COLUMNS", "ITEM_COLUMNS", "ALPHA_USES"]

#: Columns of :func:`reliability` after the ``by`` columns.
RELIABILITY_COLUMNS = ["instrument", "scale", "n", "n_complete", "n_items", "alpha_use", "alpha",
                       "ci_low", "ci_high", "ci_level", "omega_total", "note"]
#: How :func:`reliability` and :func:`cronbach_alpha` treat missing item answers (R
#: ``psych::alpha``'s ``use``): ``pairwise`` (psych's default) or ``complete``.
ALPHA_USES = ("pairwise", "complete")
#: Columns of :func:`item_analysis` after the ``by`` columns.
ITEM_COLUMNS = ["instrument", "scale", "item", "n", "mean", "sd", "r_drop", "alpha_if_deleted"]


def _check_use(use: str) -> str:
    if use not in ALPHA_USES:
        raise ValueError(f"use={use!r}: expected 'pairwise' (R psych::alpha's default) or "
                         "'complete' (respondents who answered every item)")
    return use


def _covariance(items: np.ndarray, use: str) -> np.ndarray:
    """Item covariance matrix, pairwise-complete or from complete rows (R ``cov(use=)``)."""
    if use == "complete":
        items = items[~np.isnan(items).any(axis=1)]
        if len(items) < 2:
            return np.full((items.shape[1],) * 2, np.nan)
        return np.atleast_2d(np.cov(items, rowvar=False))
    return pd.DataFrame(items).cov(min_periods=2).to_numpy()


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    total = cov.sum()
    if k < 2 or not np.isfinite(total) or total <= 0:
        return float("nan")
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def cronbach_alpha(items: np.ndarray, *, use: str = "pairwise") -> float:
    """Cronbach's alpha of item data (rows: respondents, columns: items; NaN = missing).

    ``alpha = k / (k - 1) * (1 - sum(var_i) / var_total)`` with sample (co)variances, from the
    pairwise-complete covariances (``use="pairwise"``, the default of R ``psych::alpha``) or
    from the rows without a missing item (``use="complete"``). Identical on complete data.

    Notes
    -----
    Equals ``raw_alpha`` of R ``psych::alpha(x, use = )`` (checked to 1e-10 in the tests, with
    and without missing answers).

    Examples
    --------
    >>> round(cronbach_alpha(np.array([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 5.0]])), 4)
    0.9825
    """
    items = np.asarray(items, dtype=float)
    n, k = items.shape
    if k < 2 or n < 2:
        return float("nan")
    return _alpha_from_cov(_covariance(items, _check_use(use)))


def _feldt_ci(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    """Feldt (1965) interval: 1 - (1 - alpha) * F quantiles with (n-1, (n-1)(k-1)) df."""
    if not np.isfinite(alpha) or n < 2 or k < 2:
        return float("nan"), float("nan")
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - level) / 2
    low = 1 - (1 - alpha) * stats.f.ppf(1 - tail, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(tail, df1, df2)
    return float(low), float(high)


def _minres_loadings(r: np.ndarray) -> np.ndarray:
    """One-factor minimum-residual loadings of a correlation matrix (as R psych::fa does).

    Iterated principal axes: put the communalities on the diagonal, take the first principal
    axis, update the communalities from its loadings, until they stop changing (1e-14). At its
    fixed point this is the minimum-residual (unweighted least squares) solution; uniquenesses
    are kept at or above 0.005 as in psych. Should it not converge, the residual is minimised
    directly (L-BFGS-B).
    """
    k = r.shape[0]
    communality = np.clip(1.0 - 1.0 / np.diag(np.linalg.pinv(r)), 0.0, 0.995)

    def axis(diagonal: np.ndarray) -> np.ndarray:
        reduced = r.copy()
        np.fill_diagonal(reduced, diagonal)
        values, vectors = np.linalg.eigh(reduced)
        lam = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
        return lam if lam.sum() >= 0 else -lam

    for _ in range(10000):
        lam = axis(communality)
        updated = np.minimum(lam**2, 0.995)
        if np.max(np.abs(updated - communality)) < 1e-14:
            return lam
        communality = updated
    lower = np.tril_indices(k, -1)

    def residual(psi: np.ndarray) -> float:
        loadings = axis(1.0 - psi)
        return float(((r - np.outer(loadings, loadings))[lower] ** 2).sum())

    fit = optimize.minimize(residual, np.clip(1.0 - communality, 0.005, 1.0),
                            method="L-BFGS-B", bounds=[(0.005, 1.0)] * k,
                            options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000})
    return axis(1.0 - np.clip(fit.x, 0.005, 1.0))


def _omega_from_cov(cov: np.ndarray) -> float:
    sd = np.sqrt(np.diag(cov))
    if cov.shape[0] < 3 or not np.all(np.isfinite(cov)) or np.any(sd == 0):
        return float("nan")
    r = cov / np.outer(sd, sd)
    lam = _minres_loadings(r)
    uniq = 1.0 - lam**2
    vt = r.sum()
    return float((vt - uniq.sum()) / vt)


def omega_total(items: np.ndarray, *, use: str = "pairwise") -> float:
    """McDonald's omega total from a one-factor model of item data (NaN = missing).

    ``omega_t = (V_t - sum(u_i^2)) / V_t`` with ``V_t`` the sum of the item correlation
    matrix and ``u_i^2 = 1 - lambda_i^2`` the uniquenesses of a one-factor minimum-residual
    solution. The correlations are pairwise-complete (``use="pairwise"``, as R
    ``psych::omega``) or from complete rows (``use="complete"``).

    Notes
    -----
    Equals ``omega.tot`` of R ``psych::omega(x, nfactors = 1)`` (checked in the tests). Needs
    at least 3 items: with fewer, a one-factor model is not identified and the result is NaN.
    """
    items = np.asarray(items, dtype=float)
    n, k = items.shape
    if k < 3 or n < 3:
        return float("nan")
    return _omega_from_cov(_covariance(items, _check_use(use)))


def _check_by(data: pd.DataFrame, by: Sequence[str] | None) -> list[str]:
    by = list(by or [])
    missing = [b for b in by if b not in data.columns]
    if missing:
        raise KeyError(f"grouping columns not in the data: {missing}; columns: "
                       f"{list(data.columns)[:20]}")
    return by


def _groups(data: pd.DataFrame, by: list[str]):
    if not by:
        yield (), data
        return
    for key, block in data.groupby(list(by), sort=True, observed=True, dropna=False):
        yield (key if isinstance(key, tuple) else (key,)), block


def _item_blocks(data: pd.DataFrame, instruments, by: list[str]):
    """(group key, instrument, scale, scored item matrix with NaN) for every scale and group."""
    for inst in as_instruments(instruments):
        scored = scored_items(data, inst)
        for key, block in _groups(pd.concat([data[by], scored], axis=1), by):
            for scale in inst.scales:
                yield key, inst, scale, block[list(scale.items)].to_numpy(dtype=float)


def _pair_counts(items: np.ndarray) -> np.ndarray:
    answered = (~np.isnan(items)).astype(int)
    return answered.T @ answered


def reliability(data: pd.DataFrame, instruments, *, by: Sequence[str] | None = None,
                ci_level: float = 0.95, use: str = "pairwise") -> pd.DataFrame:
    """Reliability of every scale of ``instruments``, optionally per group (wave, site, ...).

    Parameters
    ----------
    data : DataFrame
        One row per questionnaire, one column per item; not modified.
    instruments : Instrument, list of Instrument, or Study
    by : list of str, optional
        Columns to compute reliability within (e.g. ``["wave"]`` or ``["wave", "site"]``).
    ci_level : float
        Level of the confidence interval for alpha.
    use : {"pairwise", "complete"}
        Missing answers: item covariances from pairwise-complete data (default, as R
        ``psych::alpha``'s ``use = "pairwise"``), or only respondents who answered every item
        of the scale (listwise deletion, R ``use = "complete.obs"``).

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``instrument, scale, n, n_complete, n_items, alpha_use, alpha,
        ci_low, ci_high, ci_level, omega_total, note``: ``n`` is the sample behind the
        estimates (``complete``: respondents with every item answered; ``pairwise``: the
        smallest number answering any pair of the scale's items), ``n_complete`` respondents
        with every item answered; ``alpha_use`` says how missing answers were treated; alpha
        with its Feldt confidence interval (on ``n``); omega total from a one-factor model of
        the same covariances; ``note`` says why a value is missing (too few items or
        respondents, no variance).

    Notes
    -----
    Checked against R ``psych::alpha`` (raw_alpha and its Feldt interval, with ``use =
    "pairwise"`` and ``"complete.obs"`` on data with missing answers) and ``psych::omega(nfactors
    = 1)`` (omega.tot) on the ``bfi`` data; values, R calls and versions are stored in
    ``tests/reference/``. On complete data both ``use`` give the same values.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334. Feldt, L. S. (1965). The approximate sampling distribution of
    Kuder-Richardson reliability coefficient twenty. Psychometrika, 30, 357-370.
    McDonald, R. P. (1999). Test theory: a unified treatment. Erlbaum.
    """
    if not 0 < ci_level < 1:
        raise ValueError(f"ci_level={ci_level!r}: expected a number between 0 and 1")
    _check_use(use)
    by = _check_by(data, by)
    rows = []
    for key, inst, scale, items in _item_blocks(data, instruments, by):
        k = items.shape[1]
        n_complete = int((~np.isnan(items).any(axis=1)).sum())
        if use == "complete":
            n = n_complete
        else:
            counts = _pair_counts(items)
            n = int(counts.min()) if k > 1 else int(counts[0, 0])
        cov = _covariance(items, use) if k > 1 else np.full((1, 1), np.nan)
        note = ""
        if k < 2:
            note = "one item: no internal consistency"
        elif n < 3:
            note = ("fewer than 3 complete responses" if use == "complete" else
                    "fewer than 3 responses to some pair of items")
        elif np.any(np.diag(cov) <= 0) or not np.all(np.isfinite(cov)):
            note = "an item without variance"
        alpha = _alpha_from_cov(cov) if not note else float("nan")
        low, high = _feldt_ci(alpha, n, k, ci_level)
        omega = _omega_from_cov(cov) if not note else float("nan")
        if not note and k < 3:
            note = "two items: omega not identified"
        rows.append((*key, inst.id, scale.id, n, n_complete, k, use, alpha, low, high,
                     ci_level, omega, note))
    return pd.DataFrame(rows, columns=by + RELIABILITY_COLUMNS)


def item_analysis(data: pd.DataFrame, instruments, *, by: Sequence[str] | None = None
                  ) -> pd.DataFrame:
    """Item statistics per scale: mean, SD, corrected item-total correlation, alpha if deleted.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``instrument, scale, item, n, mean, sd, r_drop,
        alpha_if_deleted``, on the scored items of respondents who answered the whole scale:
        ``r_drop`` is the correlation of the item with the sum of the scale's other items,
        ``alpha_if_deleted`` the alpha of the scale without the item.

    Notes
    -----
    Checked against R ``psych::alpha`` (``item.stats$r.drop``, ``alpha.drop$raw_alpha``,
    item means and SDs) on complete data.
    """
    by = _check_by(data, by)
    rows = []
    for key, inst, scale, items in _item_blocks(data, instruments, by):
        complete = items[~np.isnan(items).any(axis=1)]
        n, k = complete.shape
        for j, item in enumerate(scale.items):
            column = complete[:, j]
            rest = np.delete(complete, j, axis=1)
            r_drop = float("nan")
            if k > 1 and n > 2 and column.std() > 0 and rest.sum(axis=1).std() > 0:
                r_drop = float(np.corrcoef(column, rest.sum(axis=1))[0, 1])
            rows.append((*key, inst.id, scale.id, item, n,
                         float(column.mean()) if n else float("nan"),
                         float(column.std(ddof=1)) if n > 1 else float("nan"),
                         r_drop, cronbach_alpha(rest) if k > 2 else float("nan")))
    return pd.DataFrame(rows, columns=by + ITEM_COLUMNS)

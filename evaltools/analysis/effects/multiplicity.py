"""Multiple comparisons: R ``p.adjust``'s methods, and Holm and Benjamini-Hochberg within an
outcome domain."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaltools.analysis.effects.common import AnalysisError, scale_info

__all__ = ["adjust_pvalues", "adjust_by_domain", "P_ADJUST_METHODS"]

#: The methods of R ``p.adjust`` (``p.adjust.methods``), under R's names.
P_ADJUST_METHODS = ("holm", "hochberg", "hommel", "bonferroni", "BH", "BY", "fdr", "none")
_ALIASES = {m.lower(): m for m in P_ADJUST_METHODS}


def _method(method: str) -> str:
    canonical = _ALIASES.get(str(method).lower())
    if canonical is None:
        raise AnalysisError(f"method={method!r}: expected one of R p.adjust's methods "
                            f"{', '.join(P_ADJUST_METHODS)} (BH and BY in any case)")
    return "BH" if canonical == "fdr" else canonical


def _compute_adjusted(p: np.ndarray, method: str, n: int) -> np.ndarray:
    """R ``p.adjust``'s algorithms on non-missing ``p`` out of ``n`` hypotheses."""
    lp = len(p)
    if method == "none" or n <= 1:
        return p.copy()
    if method == "hommel" and n == 2:
        method = "hochberg"  # as R: Hommel's procedure equals Hochberg's for two hypotheses
    if method == "bonferroni":
        return np.minimum(1.0, n * p)
    if method == "holm":
        order = np.argsort(p, kind="stable")
        adj = np.maximum.accumulate((n - np.arange(lp)) * p[order])
    elif method in ("hochberg", "BH", "BY"):
        order = np.argsort(-p, kind="stable")
        i = np.arange(lp, 0, -1)
        factor = {"hochberg": n - i + 1, "BH": n / i,
                  "BY": np.sum(1.0 / np.arange(1, n + 1)) * n / i}[method]
        adj = np.minimum.accumulate(factor * p[order])
    else:  # hommel
        full = np.concatenate([p, np.ones(n - lp)])
        order = np.argsort(full, kind="stable")
        q_sorted = full[order]
        i = np.arange(1, n + 1)
        pa = np.full(n, np.min(n * q_sorted / i))
        q = pa.copy()
        for m in range(n - 1, 1, -1):
            i1 = np.arange(n - m + 1)
            i2 = np.arange(n - m + 1, n)
            q1 = np.min(m * q_sorted[i2] / np.arange(2, m + 1))
            q[i1] = np.minimum(m * q_sorted[i1], q1)
            q[i2] = q[n - m]
            pa = np.maximum(pa, q)
        result = np.empty(n)
        result[order] = np.maximum(pa, q_sorted)
        return result[:lp]
    result = np.empty(lp)
    result[order] = np.minimum(adj, 1.0)
    return result


def adjust_pvalues(pvalues, method: str, *, n: int | None = None) -> np.ndarray:
    """Adjusted p-values by R ``p.adjust``'s methods; missing p-values stay missing.

    Parameters
    ----------
    pvalues : array-like
    method : {"holm", "hochberg", "hommel", "bonferroni", "BH", "fdr", "BY", "none"}
        R's names (``"BH"``/``"BY"`` also in lower case; ``"fdr"`` is ``"BH"``). Holm (1979)
        step-down, Hochberg (1988) step-up and Hommel (1988) control the family-wise error
        rate, as Bonferroni does more conservatively; Benjamini & Hochberg (1995) control the
        false discovery rate under independence or positive dependence (the WWC's choice
        within a domain), Benjamini & Yekutieli (2001) under any dependence.
    n : int, optional
        The number of hypotheses (R's ``n``); default the number of non-missing p-values.
        May exceed it (Hommel then counts the untested hypotheses as p = 1).

    Returns
    -------
    ndarray
        Adjusted p-values, in the order given.

    Raises
    ------
    AnalysisError
        For an unknown method, a p-value outside [0, 1] or ``n`` below the number of
        non-missing p-values.

    Notes
    -----
    Equal to R ``p.adjust(p, method)`` for every method, including missing values and ties
    (tests/reference/adjust_icc_r.json, R 4.2.2). As in R, missing values do not count
    towards ``n``.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, np.nan], "holm").round(3).tolist()
    [0.03, 0.06, 0.06, nan]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "BH").round(3).tolist()
    [0.03, 0.04, 0.04]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "hommel").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    method = _method(method)
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    values = p[ok]
    if np.any((values < 0) | (values > 1)):
        bad = values[(values < 0) | (values > 1)][0]
        raise AnalysisError(f"p-value {float(bad)!r} is not between 0 and 1")
    total = len(values) if n is None else int(n)
    if total < len(values):
        raise AnalysisError(f"n={n!r} is smaller than the {len(values)} non-missing p-values")
    if len(values):
        out[ok] = _compute_adjusted(values, method, total)
    return out


def adjust_by_domain(table: pd.DataFrame, study, *, p_column: str = "p_value",
                     by: Sequence[str] = ()) -> pd.DataFrame:
    """Add Holm and Benjamini-Hochberg p-values, adjusted within each outcome domain.

    The domain of a scale is its instrument's protective factor. Adjustment runs within each
    domain and each combination of the ``by`` columns (e.g. ``["wave", "method", "site"]``).

    Returns
    -------
    DataFrame
        A copy of ``table`` with the columns ``domain``, ``p_holm`` and ``p_bh`` added.
    """
    missing = [c for c in ["scale", p_column, *by] if c not in table.columns]
    if missing:
        raise AnalysisError(f"the table lacks columns {missing}")
    out = table.copy()
    out["domain"] = [scale_info(study, s)[0].protective_factor for s in out["scale"]]
    out["p_holm"] = np.nan
    out["p_bh"] = np.nan
    for _, block in out.groupby(["domain", *by], sort=False, dropna=False):
        index = block.index
        p = block[p_column].to_numpy(dtype=float)
        out.loc[index, "p_holm"] = adjust_pvalues(p, "holm")
        out.loc[index, "p_bh"] = adjust_pvalues(p, "bh")
    return out

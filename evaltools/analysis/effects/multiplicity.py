"""Multiple comparisons within an outcome domain: Holm and Benjamini-Hochberg adjustment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaltools.analysis.effects.common import AnalysisError, scale_info

__all__ = ["adjust_pvalues", "adjust_by_domain"]


def adjust_pvalues(pvalues, method: str) -> np.ndarray:
    """Adjusted p-values; missing p-values stay missing and do not count.

    Parameters
    ----------
    pvalues : array-like
    method : {"holm", "bh"}
        Holm (1979) step-down, controlling the family-wise error rate; Benjamini & Hochberg
        (1995) step-up, controlling the false discovery rate (the WWC's choice within a domain).

    Notes
    -----
    Equal to R ``p.adjust(p, "holm")`` and ``p.adjust(p, "BH")``.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, np.nan], "holm").round(3).tolist()
    [0.03, 0.06, 0.06, nan]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    values = p[ok]
    if np.any((values < 0) | (values > 1)):
        raise AnalysisError("p-values must lie between 0 and 1")
    n = len(values)
    if n == 0:
        return out
    order = np.argsort(values)
    ranked = values[order]
    if method == "holm":
        adj = np.maximum.accumulate((n - np.arange(n)) * ranked)
    elif method == "bh":
        adj = np.minimum.accumulate(n / np.arange(n, 0, -1) * ranked[::-1])[::-1]
    else:
        raise AnalysisError(f"method={method!r}: expected 'holm' or 'bh'")
    result = np.empty(n)
    result[order] = np.minimum(adj, 1.0)
    out[ok] = result
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

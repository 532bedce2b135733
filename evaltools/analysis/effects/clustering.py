"""Clustered designs: how alike respondents of one site (or other cluster) are.

:func:`cluster_icc` estimates the intraclass correlation of a scale's scores within clusters
(ICC(1), one-way random effects) and the design effect ``1 + (m - 1) ICC`` that it implies
for clusters of mean size ``m``: the factor by which clustering inflates the variance of a
mean, so the factor by which a sample must grow to keep its precision.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.analysis.effects.common import AnalysisError, check_panel, check_scales, check_wave

__all__ = ["cluster_icc", "CLUSTER_ICC_COLUMNS"]

#: Columns of :func:`cluster_icc`, one row per scale.
CLUSTER_ICC_COLUMNS = ["scale", "wave", "cluster", "n", "n_clusters", "mean_cluster_size", "n0",
                       "estimate", "statistic", "df1", "df2", "p_value", "ci_low", "ci_high",
                       "ci_level", "design_effect", "note"]


def _compute_one_way(y: np.ndarray, labels: np.ndarray, ci_level: float) -> dict:
    """ICC(1) from the one-way ANOVA of ``y`` by cluster, with Searle's F interval."""
    _, codes = np.unique(labels, return_inverse=True)
    sizes = np.bincount(codes)
    n, j = len(y), len(sizes)
    means = np.bincount(codes, weights=y) / sizes
    msb = float((sizes * (means - y.mean()) ** 2).sum() / (j - 1))
    msw = float(((y - means[codes]) ** 2).sum() / (n - j))
    n0 = (n - (sizes**2).sum() / n) / (j - 1)
    f = msb / msw
    upper = 0.5 + ci_level / 2
    f_low = f / stats.f.ppf(upper, j - 1, n - j)
    f_high = f * stats.f.ppf(upper, n - j, j - 1)
    icc = (msb - msw) / (msb + (n0 - 1) * msw)
    return dict(n=n, n_clusters=j, mean_cluster_size=n / j, n0=n0, estimate=icc, statistic=f,
                df1=j - 1, df2=n - j, p_value=stats.f.sf(f, j - 1, n - j),
                ci_low=(f_low - 1) / (f_low + n0 - 1), ci_high=(f_high - 1) / (f_high + n0 - 1),
                design_effect=1 + (n / j - 1) * icc)


def cluster_icc(panel: pd.DataFrame, study, *, scales: Sequence[str] | str | None = None,
                wave: str | None = None, cluster: str = "site",
                ci_level: float = 0.95) -> pd.DataFrame:
    """Intraclass correlation of scores within clusters, and the design effect.

    Parameters
    ----------
    panel : DataFrame
        From :func:`evaltools.data.panel.load_panel` (or built by hand).
    study : Study
    scales : str or list of str, optional
        Default: every scale.
    wave : str, optional
        The wave whose scores are used (default: the baseline, before any intervention).
    cluster : str
        The clustering column (default ``site``).
    ci_level : float

    Returns
    -------
    DataFrame
        Columns :data:`CLUSTER_ICC_COLUMNS`, one row per scale: ``n`` respondents in
        ``n_clusters`` clusters of ``mean_cluster_size``; ``n0`` the effective cluster size of
        the one-way ANOVA; ``estimate`` = ICC(1) with its F ``statistic`` (``df1``, ``df2``),
        ``p_value`` (H0: ICC = 0) and interval; ``design_effect = 1 + (mean_cluster_size - 1)
        * estimate``; ``note`` when it cannot be estimated (fewer than 2 clusters, a cluster of
        one only, or no variance).

    Notes
    -----
    One-way random-effects ANOVA: ``ICC(1) = (MSB - MSW) / (MSB + (n0 - 1) MSW)`` with
    ``n0 = (N - sum n_j^2 / N) / (J - 1)`` for unequal clusters (Searle 1971); the interval
    inverts the F statistic. With equal clusters ``n0`` is the cluster size and the result is
    Shrout & Fleiss's ICC(1,1) with clusters as targets and members as ratings, equal to R
    ``psych::ICC`` (tested through :func:`evaltools.instruments.agreement.icc`, which is
    checked against psych). A negative estimate means clusters differ less than chance.

    References
    ----------
    Searle, S. R. (1971). Linear models. Wiley. Donner, A. (1986). A review of inference
    procedures for the intraclass correlation coefficient in the one-way random effects model.
    International Statistical Review, 54, 67-82.
    """
    if not 0 < ci_level < 1:
        raise AnalysisError(f"ci_level={ci_level!r}: expected a share between 0 and 1")
    scales = check_scales(study, scales)
    wave = check_wave(study, wave or study.baseline.id, role="ICC")
    check_panel(panel, [cluster, *scales], study)
    at_wave = panel[panel["wave"] == wave]
    rows = []
    for scale in scales:
        data = at_wave[[cluster, scale]].dropna()
        y = data[scale].to_numpy(float)
        labels = data[cluster].astype(str).to_numpy()
        n, j = len(y), len(np.unique(labels))
        base = dict(scale=scale, wave=wave, cluster=cluster, n=n, n_clusters=j,
                    ci_level=ci_level, note="")
        if j < 2 or n - j < 1:
            rows.append({**base, "note": f"not estimated: {j} {cluster}(s) with {n} "
                                         "respondent(s); needs 2 clusters and more "
                                         "respondents than clusters"})
            continue
        if np.ptp(y) == 0:
            rows.append({**base, "note": "not estimated: every score is the same"})
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            rows.append({**base, **_compute_one_way(y, labels, ci_level)})
    return pd.DataFrame(rows, columns=CLUSTER_ICC_COLUMNS)

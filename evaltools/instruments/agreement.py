"""Agreement between raters, or between members of a cluster: intraclass correlations.

:func:`icc` gives the six Shrout & Fleiss (1979) forms with their F tests and confidence
intervals, as R ``psych::ICC`` (and pingouin's ``intraclass_corr``) report them. Use it for
rater agreement (targets rated by the same raters) and, with the one-way form ``ICC1``, for the
share of variance between clusters (sites, schools) that sets a clustered design's design
effect ``1 + (m - 1) ICC``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.core.errors import EvaltoolsError

__all__ = ["icc", "ICC_COLUMNS", "ICC_TYPES", "IccError"]

#: Columns of :func:`icc`, one row per form.
ICC_COLUMNS = ["type", "description", "estimate", "statistic", "df1", "df2", "p_value",
               "ci_low", "ci_high", "ci_level", "n_targets", "n_raters"]

#: The six forms: (psych's type, psych's label, Shrout & Fleiss's name).
ICC_TYPES = [
    ("ICC1", "Single_raters_absolute", "ICC(1,1): one-way random, single rater"),
    ("ICC2", "Single_random_raters", "ICC(2,1): two-way random, absolute agreement, single"),
    ("ICC3", "Single_fixed_raters", "ICC(3,1): two-way mixed, consistency, single rater"),
    ("ICC1k", "Average_raters_absolute", "ICC(1,k): one-way random, mean of k raters"),
    ("ICC2k", "Average_random_raters", "ICC(2,k): two-way random, absolute, mean of k"),
    ("ICC3k", "Average_fixed_raters", "ICC(3,k): two-way mixed, consistency, mean of k"),
]


class IccError(EvaltoolsError):
    """The ratings cannot give an intraclass correlation (shape, missing columns, too few)."""


def _matrix(data: pd.DataFrame, targets: str | None, raters: str | None,
            ratings: str | None) -> tuple[np.ndarray, int]:
    """Targets x raters matrix of complete targets, and the number of targets dropped."""
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(np.asarray(data, dtype=float))
    long = [targets, raters, ratings]
    if any(c is not None for c in long):
        if any(c is None for c in long):
            raise IccError("give all of targets=, raters= and ratings= (long data), or none "
                           "of them (wide data: one row per target, one column per rater)")
        missing = [c for c in long if c not in data.columns]
        if missing:
            raise IccError(f"columns {missing} are not in the data; columns are "
                           f"{', '.join(map(str, data.columns))}")
        twice = data.duplicated([targets, raters])
        if twice.any():
            row = data.loc[twice].iloc[0]
            raise IccError(f"target {row[targets]} has two ratings by rater {row[raters]} "
                           f"(row {data.index[twice][0]}); expected one")
        data = data.pivot(index=targets, columns=raters, values=ratings)
    values = data.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    complete = ~np.isnan(values).any(axis=1)
    return values[complete], int((~complete).sum())


def _compute_icc(x: np.ndarray, ci_level: float) -> list[list[float]]:
    """The six forms from the two-way ANOVA of ``x`` (psych::ICC with lmer = FALSE)."""
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    ss_error = ss_total - ss_rows - ss_cols
    msb = ss_rows / (n - 1)
    msj = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_error) / (n * (k - 1))
    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    icc3 = (msb - mse) / (msb + (k - 1) * mse)
    icc1k = (msb - msw) / msb
    icc2k = (msb - mse) / (msb + (msj - mse) / n)
    icc3k = (msb - mse) / msb
    df1, df1w, df2e = n - 1, n * (k - 1), (n - 1) * (k - 1)
    f1, f3 = msb / msw, msb / mse
    p1, p3 = stats.f.sf(f1, df1, df1w), stats.f.sf(f3, df1, df2e)
    upper = 0.5 + ci_level / 2
    f1l, f1u = f1 / stats.f.ppf(upper, df1, df1w), f1 * stats.f.ppf(upper, df1w, df1)
    f3l, f3u = f3 / stats.f.ppf(upper, df1, df2e), f3 * stats.f.ppf(upper, df2e, df1)
    l1, u1 = (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)
    l3, u3 = (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)
    # ICC(2,1): Satterthwaite df for the denominator (Shrout & Fleiss 1979, eq. 9-10)
    fj = msj / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    f2u, f2l = stats.f.ppf(upper, n - 1, v), stats.f.ppf(upper, v, n - 1)
    denominator = k * msj + (k * n - k - n) * mse
    l2 = n * (msb - f2u * mse) / (f2u * denominator + n * msb)
    u2 = n * (f2l * msb - mse) / (denominator + n * f2l * msb)
    return [
        [icc1, f1, df1, df1w, p1, l1, u1],
        [icc2, f3, df1, df2e, p3, l2, u2],
        [icc3, f3, df1, df2e, p3, l3, u3],
        [icc1k, f1, df1, df1w, p1, 1 - 1 / f1l, 1 - 1 / f1u],
        [icc2k, f3, df1, df2e, p3, l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))],
        [icc3k, f3, df1, df2e, p3, 1 - 1 / f3l, 1 - 1 / f3u],
    ]


def icc(data, *, targets: str | None = None, raters: str | None = None,
        ratings: str | None = None, ci_level: float = 0.95) -> pd.DataFrame:
    """Intraclass correlations: the six Shrout-Fleiss forms with F tests and intervals.

    Parameters
    ----------
    data : DataFrame or 2-d array
        Long data with ``targets``, ``raters`` and ``ratings`` columns (one rating per target
        and rater), or wide data: one row per target, one column per rater.
    targets, raters, ratings : str, optional
        Column names of long data (all three, or none for wide data).
    ci_level : float
        Level of the confidence intervals.

    Returns
    -------
    DataFrame
        Columns :data:`ICC_COLUMNS`, one row per form (``ICC1, ICC2, ICC3, ICC1k, ICC2k,
        ICC3k``): ``type``; ``description`` (Shrout & Fleiss's name); ``estimate``; the F
        ``statistic`` with ``df1`` and ``df2`` and its ``p_value`` (H0: ICC = 0); the interval
        ``ci_low``–``ci_high`` at ``ci_level``; ``n_targets`` and ``n_raters`` used.

    Raises
    ------
    IccError
        For missing or doubled ratings columns, fewer than 2 complete targets or raters, or
        ratings that are all equal. Perfect agreement (no error variance) gives an estimate
        of 1 and an infinite F.

    Notes
    -----
    One-way (``ICC1``): raters differ per target; two-way random (``ICC2``): the same raters,
    a sample of possible raters, absolute agreement; two-way mixed (``ICC3``): these raters
    only, consistency. The ``k`` forms are the reliability of the mean of the ``k`` raters.
    Mean squares come from the two-way ANOVA without interaction (targets x raters); the
    intervals are Shrout & Fleiss's (1979) F-based ones, for ``ICC2`` with Satterthwaite's
    degrees of freedom. Targets with any missing rating are left out (``n_targets`` counts
    those used), as R ``psych::ICC(x, missing = TRUE)`` does.

    Equal to R ``psych::ICC(x, lmer = FALSE)$results`` (psych 2.2.9) on the Shrout-Fleiss
    6 x 4 table and a simulated 15 x 3 set (tests/reference/adjust_icc_r.json); pingouin's
    ``intraclass_corr`` reports the same estimates and intervals.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin, 86, 420-428. McGraw, K. O., & Wong, S. P. (1996).
    Forming inferences about some intraclass correlation coefficients. Psychological Methods,
    1, 30-46.

    Examples
    --------
    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
    ...       [6, 2, 4, 7]]                                   # Shrout & Fleiss (1979), table 2
    >>> icc(sf).set_index("type")["estimate"].round(2).tolist()
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    if not 0 < ci_level < 1:
        raise IccError(f"ci_level={ci_level!r}: expected a share between 0 and 1, e.g. 0.95")
    x, dropped = _matrix(data, targets, raters, ratings)
    n, k = x.shape
    if n < 2 or k < 2:
        raise IccError(f"{n} complete target(s) and {k} rater(s) ({dropped} target(s) with a "
                       "missing rating left out): an ICC needs at least 2 of each")
    if np.ptp(x) == 0:
        raise IccError(f"all {x.size} ratings are {x.flat[0]:g}: without variance there is "
                       "no intraclass correlation")
    with np.errstate(divide="ignore", invalid="ignore"):  # perfect agreement: F infinite
        rows = _compute_icc(x, ci_level)
    return pd.DataFrame([[kind, description, *values, ci_level, n, k]
                         for (kind, _, description), values in zip(ICC_TYPES, rows, strict=True)],
                        columns=ICC_COLUMNS)

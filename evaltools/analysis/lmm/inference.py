"""Inference for a fitted linear mixed model: Wald tests with Satterthwaite degrees of freedom
(as R lmerTest), variance components with the ICC per level, likelihood-ratio tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from evaltools.analysis.lmm.fit import LmmFit, derivatives, fit_lmm, profile, sufficient_stats
from evaltools.analysis.lmm.model import LmmError

__all__ = ["FIXED_COLUMNS", "VARIANCE_COLUMNS", "LRT_COLUMNS", "fixed_effects",
           "satterthwaite", "variance_components", "likelihood_ratio_test"]

FIXED_COLUMNS = ["term", "estimate", "se", "ci_low", "ci_high", "ci_level", "statistic", "df",
                 "p_value", "df_method"]
VARIANCE_COLUMNS = ["level", "term", "term2", "variance", "sd", "correlation", "icc",
                    "boundary"]
LRT_COLUMNS = ["model", "n_params", "loglik", "deviance", "statistic", "df", "p_value",
               "refitted_ml"]
#: Eigenvalues of the deviance Hessian below this are treated as zero (lmerTest's ``tol``).
EIGEN_TOL = 1e-8


def _varpar_information(fit: LmmFit) -> tuple[np.ndarray, list[np.ndarray]]:
    """Asymptotic covariance of (theta, sigma) and the Jacobian of vcov(beta) with respect to
    them: lmerTest's ``vcov_varpar`` and ``Jac_list``.

    The deviance as a function of (theta, sigma) is ``D(theta) + r2(theta) / sigma^2 +
    n' log(2 pi sigma^2)`` (lmerTest ``devfun_vp``), with ``D = log|L|^2 (+ log|R_X|^2)`` and
    ``n' = n (- p)`` for ML (REML). Its derivatives in sigma are analytic; those of ``D``,
    ``r2`` and ``(X'V^-1 X)^-1 / sigma^2`` in theta come from Richardson-extrapolated central
    differences (numDeriv in lmerTest).
    """
    model = fit.model
    n, p = model.n_obs, len(fit.beta)
    st = sufficient_stats(model)
    nt = len(fit.theta)

    def parts(theta: np.ndarray) -> np.ndarray:
        prof = profile(st, model, theta)
        det = prof.ldL2 + (prof.ldRX2 if fit.reml else 0.0)
        return np.concatenate([[det, prof.r2], prof.cov_unscaled().ravel()])

    sigma = fit.sigma
    prof = profile(st, model, fit.theta)
    n_eff = n - p if fit.reml else n
    C = prof.cov_unscaled()
    H = np.zeros((nt + 1, nt + 1))
    jac = []
    if nt:
        grad, hess = derivatives(parts, fit.theta)
        H[:nt, :nt] = hess[0] + hess[1] / sigma ** 2
        H[:nt, nt] = H[nt, :nt] = -2 * grad[1] / sigma ** 3
        jac = [sigma ** 2 * grad[2:, k].reshape(p, p) for k in range(nt)]
    H[nt, nt] = 6 * prof.r2 / sigma ** 4 - 2 * n_eff / sigma ** 2
    jac.append(2 * sigma * C)
    values, vectors = np.linalg.eigh(H)
    pos = values > EIGEN_TOL
    A = 2 * (vectors[:, pos] / values[pos]) @ vectors[:, pos].T
    return A, jac


def satterthwaite(fit: LmmFit, contrasts: np.ndarray) -> np.ndarray:
    """Satterthwaite degrees of freedom of ``L beta`` for each row ``L`` of ``contrasts``.

    ``df = 2 (L' V L)^2 / (g' A g)`` with ``V = vcov(beta)``, ``A`` the asymptotic covariance
    of (theta, sigma) (twice the inverse Hessian of the deviance) and ``g`` the gradient of
    ``L' V L`` in (theta, sigma): lmerTest ``contest1D`` (Kuznetsova et al. 2017, J. Stat.
    Softw. 82(13)).
    """
    L = np.atleast_2d(np.asarray(contrasts, dtype=float))
    with threadpool_limits(limits=1, user_api="blas"):
        A, jac = _varpar_information(fit)
    out = []
    for row in L:
        var = row @ fit.vcov @ row
        g = np.array([row @ J @ row for J in jac])
        out.append(2 * var ** 2 / (g @ A @ g))
    return np.array(out)


def fixed_effects(fit: LmmFit, *, ci_level: float = 0.95,
                  df_method: str = "satterthwaite") -> pd.DataFrame:
    """Fixed effects with Wald t (Satterthwaite df) or z intervals and tests.

    Parameters
    ----------
    fit : LmmFit
    ci_level : float
    df_method : {"satterthwaite", "normal"}
        Satterthwaite's degrees of freedom as lmerTest, or the normal distribution (z).

    Returns
    -------
    DataFrame
        Columns :data:`FIXED_COLUMNS`, one row per coefficient: ``term``, ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``ci_level``, ``statistic`` (t or z), ``df`` (NaN for z),
        ``p_value`` (two-sided), ``df_method``.

    Notes
    -----
    Checked against ``summary(lmerTest::lmer(...))`` (lmerTest 3.1-3): estimates, standard
    errors, df, t and p to 1e-5 relative.
    """
    if df_method not in ("satterthwaite", "normal"):
        raise LmmError(f"df_method={df_method!r}: expected 'satterthwaite' or 'normal'")
    if not 0 < ci_level < 1:
        raise LmmError(f"ci_level={ci_level!r}: expected a number between 0 and 1")
    se = np.sqrt(np.diag(fit.vcov))
    stat = fit.beta / se
    if df_method == "satterthwaite":
        df = satterthwaite(fit, np.eye(len(fit.beta)))
        q = stats.t.ppf(0.5 + ci_level / 2, df)
        p = 2 * stats.t.sf(np.abs(stat), df)
    else:
        df = np.full(len(fit.beta), np.nan)
        q = stats.norm.ppf(0.5 + ci_level / 2)
        p = 2 * stats.norm.sf(np.abs(stat))
    return pd.DataFrame({"term": fit.x_names, "estimate": fit.beta, "se": se,
                         "ci_low": fit.beta - q * se, "ci_high": fit.beta + q * se,
                         "ci_level": ci_level, "statistic": stat, "df": df, "p_value": p,
                         "df_method": df_method}, columns=FIXED_COLUMNS)


def variance_components(fit: LmmFit) -> pd.DataFrame:
    """Variances, covariances and the intraclass correlation per level.

    Returns
    -------
    DataFrame
        Columns :data:`VARIANCE_COLUMNS`, in the order of R ``as.data.frame(VarCorr(fit))``:
        per level (grouping factor) a row per variance (``term``, ``term2`` empty) and per
        covariance (``term2`` set; ``variance`` holds the covariance and ``correlation`` the
        correlation), then ``level = "residual"``. ``sd`` is the square root of a variance.
        ``icc`` (intercept rows and the residual row) is the share of the total intercept
        variance ``sum_l var_l + sigma^2`` at that level; with a random slope it holds where
        the slope variable is 0. ``boundary`` marks a variance estimated as 0.
    """
    rows, intercepts = [], []
    for label, names, cov in fit.covariances:
        k = len(names)
        for i in range(k):
            rows.append(dict(level=label, term=names[i], term2="", variance=cov[i, i],
                             sd=np.sqrt(cov[i, i]), correlation=np.nan,
                             boundary=bool(cov[i, i] <= 1e-8 * fit.sigma ** 2)))
            if names[i] == "(Intercept)":
                intercepts.append((len(rows) - 1, cov[i, i]))
        for i in range(k):
            for j in range(i + 1, k):
                denom = np.sqrt(cov[i, i] * cov[j, j])
                rows.append(dict(level=label, term=names[i], term2=names[j],
                                 variance=cov[i, j], sd=np.nan,
                                 correlation=cov[i, j] / denom if denom > 0 else np.nan,
                                 boundary=False))
    rows.append(dict(level="residual", term="", term2="", variance=fit.sigma ** 2,
                     sd=fit.sigma, correlation=np.nan, boundary=False))
    total = fit.sigma ** 2 + sum(v for _, v in intercepts)
    for row in rows:
        row["icc"] = np.nan
    for index, value in intercepts:
        rows[index]["icc"] = value / total
    rows[-1]["icc"] = fit.sigma ** 2 / total
    return pd.DataFrame(rows, columns=VARIANCE_COLUMNS)


def likelihood_ratio_test(fits: Sequence[LmmFit], names: Sequence[str] | None = None
                          ) -> pd.DataFrame:
    """Likelihood-ratio tests between nested models, smallest first (as R ``anova``).

    REML fits are refitted by ML first (as lme4's ``anova(..., refit = TRUE)``): REML
    likelihoods of models with different fixed effects are not comparable.

    Returns
    -------
    DataFrame
        Columns :data:`LRT_COLUMNS`, one row per model in order of increasing number of
        parameters: ``statistic`` = twice the log-likelihood gain over the previous row,
        ``df`` = the number of extra parameters, ``p_value`` from chi-square(df) (NaN on the
        first row). A variance tested on its boundary makes this p-value conservative.

    Raises
    ------
    LmmError
        Fewer than two models, or models fitted to different observations.
    """
    fits = list(fits)
    names = list(names) if names is not None else [f"model{i + 1}" for i in range(len(fits))]
    if len(fits) < 2 or len(names) != len(fits):
        raise LmmError("likelihood_ratio_test needs at least two fits (and one name per fit)")
    n_obs = {f.model.n_obs for f in fits}
    if len(n_obs) > 1 or any(not np.array_equal(f.model.y, fits[0].model.y) for f in fits):
        raise LmmError("the models were fitted to different observations "
                       f"(n = {sorted(n_obs)}); compare models on the same rows")
    refitted = [f.reml for f in fits]
    fits = [fit_lmm(f.model, reml=False) if f.reml else f for f in fits]
    order = np.argsort([f.n_params for f in fits], kind="stable")
    rows, previous = [], None
    for i in order:
        f = fits[i]
        row = dict(model=names[i], n_params=f.n_params, loglik=f.loglik, deviance=-2 * f.loglik,
                   statistic=np.nan, df=np.nan, p_value=np.nan, refitted_ml=refitted[i])
        if previous is not None:
            stat = 2 * (f.loglik - previous.loglik)
            df = f.n_params - previous.n_params
            row.update(statistic=stat, df=df,
                       p_value=stats.chi2.sf(stat, df) if df > 0 else np.nan)
        rows.append(row)
        previous = f
    return pd.DataFrame(rows, columns=LRT_COLUMNS)

"""Missing data: multiple imputation with Rubin's rules, and a sensitivity table.

Complete-case analysis (the default elsewhere) is unbiased when dropout does not depend on the
outcome once the baseline is accounted for; multiple imputation and the mixed model use all
observed waves and are valid under the weaker assumption that data are missing at random given
what was observed. Reporting them side by side shows how much the conclusion rests on that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.imputation.mice import MICEData

from evaltools.analysis.effects.change import within_change
from evaltools.analysis.effects.common import (
    AnalysisError,
    check_panel,
    check_wave,
    later_waves,
    one_contrast,
    scale_info,
    t_interval,
    too_small,
)
from evaltools.analysis.effects.controlled import ancova, diff_in_diff
from evaltools.analysis.effects.mixed import mixed_model

__all__ = ["rubin_pool", "multiple_imputation", "sensitivity", "SENSITIVITY_COLUMNS",
           "RUBIN_COLUMNS"]

SENSITIVITY_COLUMNS = ["scale", "wave", "method", "estimand", "estimate", "se", "ci_low",
                       "ci_high", "ci_level", "df", "p_value", "n", "note"]


#: Columns of :func:`rubin_pool` (one row).
RUBIN_COLUMNS = ["estimate", "within", "between", "total", "se", "df", "m"]


def rubin_pool(estimates, variances=None, *, se=None,
               df_complete: float | None = None) -> pd.DataFrame:
    """Pool estimates from multiply imputed data sets (Rubin's rules).

    Parameters
    ----------
    estimates : array-like
        The estimate from each imputed data set.
    variances, se : array-like
        Their sampling variances or their standard errors: give one of the two.
    df_complete : float, optional
        Residual degrees of freedom of the complete-data analysis (Barnard & Rubin 1999).

    Returns
    -------
    DataFrame
        One row, columns :data:`RUBIN_COLUMNS`: the pooled ``estimate``; the ``within``,
        ``between`` and ``total`` variance; ``se = sqrt(total)``; ``df``; ``m`` imputations.

    Raises
    ------
    AnalysisError
        With fewer than 2 imputations, both or neither of ``variances`` and ``se``, or
        lengths that differ.

    Notes
    -----
    ``Q = mean(q)``, ``U = mean(u)``, ``B = var(q)``, ``T = U + (1 + 1/m) B``; degrees of
    freedom by Barnard & Rubin (1999) when ``df_complete`` is given, else Rubin (1987).
    Checked against R ``mice::pool.scalar(Q, U, n, k)``.
    """
    if (variances is None) == (se is None):
        raise AnalysisError("give the sampling variances (variances=) or the standard errors "
                            "(se=) of the estimates, not both and not neither")
    u = np.asarray(variances, float) if se is None else np.asarray(se, float) ** 2
    q = np.asarray(estimates, float)
    if q.shape != u.shape:
        raise AnalysisError(f"{q.size} estimates but {u.size} "
                            f"{'variances' if se is None else 'standard errors'}")
    return pd.DataFrame([_compute_rubin(q, u, df_complete)], columns=RUBIN_COLUMNS)


def _compute_rubin(q: np.ndarray, u: np.ndarray, df_complete: float | None) -> dict:
    m = len(q)
    if m < 2:
        raise AnalysisError("pooling needs at least 2 imputations")
    qbar, ubar, b = q.mean(), u.mean(), q.var(ddof=1)
    t = ubar + (1 + 1 / m) * b
    if b == 0:
        df = np.inf if df_complete is None else float(df_complete)
    else:
        lam = (1 + 1 / m) * b / t
        df_old = (m - 1) / lam**2
        if df_complete is None:
            df = df_old
        else:
            df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
            df = df_old * df_obs / (df_old + df_obs)
    return {"estimate": qbar, "within": ubar, "between": b, "total": t, "se": np.sqrt(t),
            "df": df, "m": m}


def _wide(panel: pd.DataFrame, study, scale: str, pair=None) -> pd.DataFrame:
    check_panel(panel, ["respondent_id", "group", "wave", scale], study)
    wide = panel.pivot_table(index="respondent_id", columns="wave", values=scale,
                             aggfunc="first")
    for wave in study.waves:
        if wave.id not in wide.columns:
            wide[wave.id] = np.nan
    groups = panel.drop_duplicates("respondent_id").set_index("respondent_id")["group"]
    interventions = [pair[0]] if pair else list(study.arms("intervention"))
    wide = wide[[w.id for w in study.waves]].rename(columns=lambda w: f"y_{w}")
    wide["treated"] = groups.reindex(wide.index).isin(interventions).astype(float)
    return wide.reset_index(drop=True)


def multiple_imputation(panel: pd.DataFrame, study, *, scale: str, post: str | None = None,
                        m: int = 20, seed: int = 20240901, ci_level: float = 0.95,
                        arms: tuple[str, str] | None = None) -> dict:
    """ANCOVA (or, without a comparison group, mean change) over ``m`` imputed data sets.

    Each respondent seen at any wave contributes. Scores at every wave and the group are
    imputed by chained equations (statsmodels ``MICEData``, predictive mean matching), the
    analysis is run on each completed data set and pooled by :func:`rubin_pool`. ``arms``:
    the (intervention, comparison) pair, required when the study has several contrasts.

    Returns
    -------
    dict
        Pooled ``estimate, se, ci_low, ci_high, df, p_value, m, n``.
    """
    scale_info(study, scale)
    if m < 2:
        raise AnalysisError(f"m={m!r}: multiple imputation needs at least 2 data sets")
    post = check_wave(study, post or later_waves(study)[0], role="post")
    pair = one_contrast(study, arms)
    if pair:
        panel = panel[panel["group"].isin(pair)]
    wide = _wide(panel, study, scale, pair)
    pre_col, post_col = f"y_{study.baseline.id}", f"y_{post}"
    if wide[[pre_col, post_col]].notna().all(axis=1).sum() < study.min_cell_size:
        raise AnalysisError(f"too few respondents with {scale!r} at both waves to impute")
    columns = [c for c in wide.columns if c.startswith("y_") and wide[c].notna().any()]
    data = wide[columns + (["treated"] if study.has_comparison else [])]
    estimates, variances = [], []
    imputer = MICEData(data, rng=np.random.default_rng(seed))
    imputer.update_all(10)
    for _ in range(m):
        imputer.update_all(2)
        done = imputer.data
        if study.has_comparison:
            fit = smf.ols(f"{post_col} ~ treated + {pre_col}", done).fit()
            estimates.append(fit.params["treated"])
            variances.append(fit.bse["treated"] ** 2)
            k = 3
        else:
            change = done[post_col] - done[pre_col]
            estimates.append(change.mean())
            variances.append(change.var(ddof=1) / len(change))
            k = 1
    pooled = _compute_rubin(np.asarray(estimates, float), np.asarray(variances, float),
                            len(data) - k)
    low, high = t_interval(pooled["estimate"], pooled["se"], pooled["df"], ci_level)
    p = 2 * stats.t.sf(abs(pooled["estimate"] / pooled["se"]), pooled["df"])
    return {**pooled, "ci_low": low, "ci_high": high, "p_value": p, "n": len(data)}


def sensitivity(panel: pd.DataFrame, study, *, scale: str, post: str | None = None,
                m: int = 20, seed: int = 20240901, ci_level: float = 0.95,
                arms: tuple[str, str] | None = None) -> pd.DataFrame:
    """Complete-case, multiple-imputation and mixed-model estimates side by side.

    ``arms``: the (intervention, comparison) pair, required when the study has several
    contrasts. The complete-case ANCOVA adjusts for the baseline only, as the imputation
    model does.

    Returns
    -------
    DataFrame
        Columns :data:`SENSITIVITY_COLUMNS`; ``estimand`` names what each row estimates
        (``adjusted_difference`` for ANCOVA, ``difference_in_change`` for difference in
        differences and the mixed model's group x wave contrast, ``mean_change`` without a
        comparison group).
    """
    post = check_wave(study, post or later_waves(study)[0], role="post")
    pair = one_contrast(study, arms)
    rows = []

    def add(method, estimand, est, se, low, high, df, p, n, note=""):
        rows.append([scale, post, method, estimand, est, se, low, high, ci_level, df, p, n,
                     note])

    if study.has_comparison:
        for table, estimand in ((ancova(panel, study, scales=scale, post=post, covariates=[],
                                        ci_level=ci_level), "adjusted_difference"),
                                (diff_in_diff(panel, study, scales=scale, post=post,
                                              covariates=[], ci_level=ci_level),
                                 "difference_in_change")):
            r = table[(table["intervention"] == pair[0])
                      & (table["comparison"] == pair[1])].iloc[0]
            add(f"complete_case_{r['method']}", estimand, r["estimate"], r["se"], r["ci_low"],
                r["ci_high"], r["df"], r["p_value"], r["n"], r["note"])
        mi_estimand = "adjusted_difference"
    else:
        r = within_change(panel, study, scales=scale, post=post, by_site=False,
                          ci_level=ci_level).iloc[0]
        add("complete_case_change", "mean_change", r["mean_change"], r["se"], r["ci_low"],
            r["ci_high"], r["df"], r["p_value"], r["n"], r["note"])
        mi_estimand = "mean_change"
    try:
        mi = multiple_imputation(panel, study, scale=scale, post=post, m=m, seed=seed,
                                 ci_level=ci_level, arms=pair)
        add(f"multiple_imputation_m{m}", mi_estimand, mi["estimate"], mi["se"], mi["ci_low"],
            mi["ci_high"], mi["df"], mi["p_value"], mi["n"])
    except AnalysisError as exc:
        add(f"multiple_imputation_m{m}", mi_estimand, *[np.nan] * 6, 0, str(exc))
    model = mixed_model(panel, study, scales=scale, ci_level=ci_level, arms=pair)
    r = model[model["wave"] == post]
    if len(r):
        r = r.iloc[0]
        add("mixed_model", "difference_in_change" if study.has_comparison else "mean_change",
            r["estimate"], r["se"], r["ci_low"], r["ci_high"], np.nan, r["p_value"],
            r["n_respondents"], r["note"])
    out = pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)
    out["note"] = [n if n else too_small(int(k), study) if k == k else ""
                   for n, k in zip(out["note"], out["n"], strict=True)]
    return out

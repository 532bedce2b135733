"""Several arms at once: the k-level group factor of an ANCOVA, its omnibus test and the
adjusted (estimated marginal) means per arm.

* :func:`arm_anova`: the type II table of ``outcome ~ group + covariates`` (R ``car::Anova``);
* :func:`adjusted_means`: each arm's estimated marginal mean (R ``emmeans::emmeans``);
* :func:`arm_contrasts`: every intervention arm against every comparison arm from the one
  model (R ``emmeans::contrast(..., adjust = "none")``);
* :func:`arm_omnibus`: the study-level wrapper, per scale and later wave.

The data functions take a plain long frame (one row per respondent) so that they can be checked
against R on public data; :func:`arm_omnibus` builds that frame from a study's panel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm

from evaltools.analysis.effects.common import (
    AnalysisError,
    check_panel,
    check_scales,
    check_wave,
    later_waves,
    ols_pinv,
    paired,
    t_interval,
    too_small,
)

__all__ = ["fit_arms", "arm_anova", "adjusted_means", "arm_contrasts", "arm_omnibus",
           "covariate_terms", "ANOVA_COLUMNS", "MEANS_COLUMNS", "CONTRAST_COLUMNS",
           "OMNIBUS_COLUMNS"]

#: :func:`arm_anova`: one row per model term and the residual.
ANOVA_COLUMNS = ["term", "sum_sq", "df", "statistic", "p_value"]
#: :func:`adjusted_means`: one row per arm.
MEANS_COLUMNS = ["group", "n", "estimate", "se", "df", "ci_low", "ci_high", "ci_level"]
#: :func:`arm_contrasts`: one row per (intervention, comparison) pair.
CONTRAST_COLUMNS = ["intervention", "comparison", "estimate", "se", "df", "ci_low", "ci_high",
                    "ci_level", "statistic", "p_value"]


def _quote(name: str) -> str:
    return f"Q({name!r})"


def _is_numeric(data: pd.DataFrame, column: str, factors: Sequence[str]) -> bool:
    """Whether a covariate enters as it is (else as a category)."""
    return column not in factors and pd.api.types.is_numeric_dtype(data[column]) \
        and not pd.api.types.is_bool_dtype(data[column])


def covariate_terms(data: pd.DataFrame, covariates: Sequence[str],
                    factors: Sequence[str] = ()) -> list[str]:
    """Formula terms for covariates: numeric columns as they are, the others (and every
    column named in ``factors``) as categories."""
    terms = []
    for c in covariates:
        if c not in data.columns:
            raise AnalysisError(f"covariate {c!r} is not a column of the data; columns: "
                                + ", ".join(map(str, data.columns)))
        terms.append(_quote(c) if _is_numeric(data, c, factors) else f"C({_quote(c)})")
    return terms


def _prepare(data: pd.DataFrame, outcome: str, group: str, covariates: Sequence[str],
             levels: Sequence[str] | None) -> pd.DataFrame:
    """The rows a model of ``outcome ~ group + covariates`` uses, ``group`` as a categorical
    of the levels present (in the order of ``levels``, default sorted)."""
    needed = [outcome, group, *covariates]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise AnalysisError(f"column(s) {', '.join(missing)} not in the data; columns: "
                            + ", ".join(map(str, data.columns)))
    data = data[needed].dropna().copy()
    labels = data[group].astype(str)
    levels = list(levels) if levels is not None else sorted(labels.unique())
    # rows of a group outside ``levels`` are left out (before the categorical: pandas will
    # refuse values outside its categories)
    data = data[labels.isin(levels).to_numpy()]
    data[group] = pd.Categorical(labels[labels.isin(levels)], categories=levels)
    present = [lv for lv in levels if (data[group] == lv).any()]
    if len(present) < 2:
        raise AnalysisError(f"fewer than two groups with data in {group!r} (levels: "
                            + ", ".join(levels) + ")")
    data[group] = data[group].cat.set_categories(present)
    return data


def fit_arms(data: pd.DataFrame, *, outcome: str, group: str, covariates: Sequence[str] = (),
             factors: Sequence[str] = (), levels: Sequence[str] | None = None):
    """Least-squares fit of ``outcome ~ group + covariates`` (treatment coding, first level
    of ``levels`` as the reference); rows missing any variable are left out.

    Returns
    -------
    (fit, data)
        The statsmodels result and the rows it used (``group`` as an ordered categorical).
    """
    data = _prepare(data, outcome, group, covariates, levels)
    present = list(data[group].cat.categories)
    terms = [f"C({_quote(group)}, Treatment({present[0]!r}))",
             *covariate_terms(data, covariates, factors)]
    fit = smf.ols(f"{_quote(outcome)} ~ " + " + ".join(terms), data=data).fit()
    if fit.df_resid < 1:
        raise AnalysisError(f"no residual degrees of freedom: {len(data)} rows for "
                            f"{len(fit.params)} coefficients")
    return fit, data


def _least_squares(data: pd.DataFrame, *, outcome: str, group: str,
                   covariates: Sequence[str], factors: Sequence[str],
                   levels: Sequence[str] | None):
    """The model of :func:`fit_arms` from a design matrix built here, with each group's
    averaged reference-grid row (emmeans' default: numeric covariates at their mean, each
    categorical covariate's levels weighted equally).

    Returns ``(params, cov, df_resid, rows, used)``. The same coefficients, covariance and
    residual df as the formula fit (treatment coding, categorical levels sorted), without
    patsy, which took most of the ~20 ms of each of a report's 18 ANCOVA fits.
    """
    used = _prepare(data, outcome, group, covariates, levels)
    columns, averaged = [], []  # the covariates' columns and their part of every grid row
    for c in covariates:
        if _is_numeric(used, c, factors):
            values = used[c].to_numpy(float)
            columns.append(values)
            averaged.append(float(used[c].mean()))
        else:
            kinds = sorted(used[c].unique())
            columns += [(used[c] == kind).to_numpy(float) for kind in kinds[1:]]
            averaged += [1.0 / len(kinds)] * (len(kinds) - 1)
    return (*_fit_coded(used[outcome].to_numpy(float), used[group].cat.codes.to_numpy(),
                        list(used[group].cat.categories), columns, averaged), used)


def _fit_coded(y: np.ndarray, codes: np.ndarray, present: list[str], columns: list,
               averaged: list[float]):
    """``(params, cov, df_resid, rows)`` of ``y`` on an intercept, a dummy for each group
    level but the first (``codes`` index ``present``) and the covariates' ``columns``;
    ``rows`` holds each level's reference-grid row (``averaged``: the covariates' part)."""
    x = np.column_stack([np.ones(len(codes))]
                        + [(codes == k).astype(float) for k in range(1, len(present))]
                        + columns)
    params, cov, df_resid, _ = ols_pinv(y, x)
    if df_resid < 1:
        raise AnalysisError(f"no residual degrees of freedom: {len(codes)} rows for "
                            f"{x.shape[1]} coefficients")
    rows = {}
    for k, level in enumerate(present):
        dummies = np.zeros(len(present) - 1)
        if k:
            dummies[k - 1] = 1.0
        rows[level] = np.concatenate([[1.0], dummies, averaged])
    return params, cov, df_resid, rows


def _least_squares_numeric(data: pd.DataFrame, *, outcome: str, group: str,
                           covariates: Sequence[str], factors: Sequence[str],
                           levels: Sequence[str] | None):
    """:func:`_least_squares`'s ``(params, cov, df_resid, rows)`` from the columns' arrays
    when every covariate enters as it is (the report's ANCOVA on the baseline score): the
    same rows, design matrix and fit, without the frame and categorical that
    :func:`_prepare` builds (most of each fit's time). None when a covariate is categorical.
    """
    needed = [outcome, group, *covariates]
    if any(c not in data.columns for c in needed) \
            or not all(_is_numeric(data, c, factors) for c in [outcome, *covariates]):
        return None
    y = data[outcome].to_numpy(dtype=float, na_value=np.nan)
    values = [data[c].to_numpy(dtype=float, na_value=np.nan) for c in covariates]
    labels = data[group].to_numpy(dtype=object)
    keep = ~np.isnan(y) & ~pd.isna(labels)
    for column in values:
        keep &= ~np.isnan(column)
    labels = np.array([str(v) for v in labels[keep]], dtype=object)
    levels = list(levels) if levels is not None else sorted(set(labels))
    present = [lv for lv in levels if (labels == lv).any()]
    if len(present) < 2:
        raise AnalysisError(f"fewer than two groups with data in {group!r} (levels: "
                            + ", ".join(levels) + ")")
    codes = np.full(len(labels), -1)
    for k, level in enumerate(present):
        codes[labels == level] = k
    used = codes >= 0  # a level outside ``levels`` is left out, as by the categorical
    covered = [column[keep][used] for column in values]
    return _fit_coded(y[keep][used], codes[used], present, covered,
                      [float(column.mean()) for column in covered])


def arm_anova(data: pd.DataFrame, *, outcome: str, group: str, covariates: Sequence[str] = (),
              factors: Sequence[str] = (), levels: Sequence[str] | None = None
              ) -> pd.DataFrame:
    """Type II ANOVA table of ``outcome ~ group + covariates``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    outcome, group : str
        Column names; ``group`` may have any number of levels.
    covariates : list of str
        Further columns; numeric ones enter as they are, others as categories.
    factors : list of str
        Numeric covariates to treat as categories (e.g. a neighbourhood code).
    levels : list of str, optional
        The group levels in order (the first is the reference); default sorted.

    Returns
    -------
    DataFrame
        Columns :data:`ANOVA_COLUMNS`; ``term`` is ``group``, each covariate by its column
        name, and ``residual``; ``statistic`` is F.

    Notes
    -----
    Without interactions, type II tests each term after all others: the ``group`` row is the
    omnibus test that all arms have the same adjusted mean. Checked against R
    ``car::Anova(lm(...), type = 2)`` (tests/reference/arms_r.json: car::Baumann, mtcars,
    PlantGrowth).
    """
    fit, _ = fit_arms(data, outcome=outcome, group=group, covariates=covariates,
                      factors=factors, levels=levels)
    table = anova_lm(fit, typ=2)
    # patsy puts categorical terms first: put the rows back in the order asked for
    terms = fit.model.formula.split("~", 1)[1].split(" + ")
    table = table.loc[[t.strip() for t in terms] + ["Residual"]]
    names = [group, *covariates, "residual"]
    return pd.DataFrame({"term": names, "sum_sq": table["sum_sq"].to_numpy(float),
                         "df": table["df"].to_numpy(float),
                         "statistic": table["F"].to_numpy(float),
                         "p_value": table["PR(>F)"].to_numpy(float)}, columns=ANOVA_COLUMNS)


def adjusted_means(data: pd.DataFrame, *, outcome: str, group: str,
                   covariates: Sequence[str] = (), factors: Sequence[str] = (),
                   levels: Sequence[str] | None = None, ci_level: float = 0.95
                   ) -> pd.DataFrame:
    """Adjusted (estimated marginal) mean of each group in ``outcome ~ group + covariates``.

    Returns
    -------
    DataFrame
        Columns :data:`MEANS_COLUMNS`, one row per group level: ``n`` respondents in the
        model, ``estimate`` the adjusted mean, its ``se``, the residual ``df`` and a t
        interval at ``ci_level``.

    Notes
    -----
    As R ``emmeans::emmeans(model, "group")`` by default: the prediction at the mean of each
    numeric covariate, averaged with equal weights over the levels of each categorical
    covariate; ``se = sqrt(L V L')`` with ``L`` that averaged design row and ``V`` the
    coefficients' covariance (tests/reference/arms_r.json).
    """
    params, cov, df_resid, rows, used = _least_squares(
        data, outcome=outcome, group=group, covariates=list(covariates), factors=factors,
        levels=levels)
    out = []
    for level, x in rows.items():
        est = float(x @ params)
        se = float(np.sqrt(x @ cov @ x))
        low, high = t_interval(est, se, df_resid, ci_level)
        out.append([level, int((used[group] == level).sum()), est, se, float(df_resid),
                    low, high, ci_level])
    return pd.DataFrame(out, columns=MEANS_COLUMNS)


def _contrast_rows(params: np.ndarray, cov: np.ndarray, df_resid: float,
                   rows: dict[str, np.ndarray], pairs, ci_level: float) -> list[list]:
    out = []
    for a, b in pairs:
        x = rows[a] - rows[b]
        est = float(x @ params)
        se = float(np.sqrt(x @ cov @ x))
        low, high = t_interval(est, se, df_resid, ci_level)
        t = est / se if se > 0 else np.nan
        out.append([a, b, est, se, float(df_resid), low, high, ci_level, t,
                    float(2 * stats.t.sf(abs(t), df_resid))])
    return out


def arm_contrasts(data: pd.DataFrame, *, outcome: str, group: str,
                  pairs: Sequence[tuple[str, str]], covariates: Sequence[str] = (),
                  factors: Sequence[str] = (), levels: Sequence[str] | None = None,
                  ci_level: float = 0.95) -> pd.DataFrame:
    """Differences of adjusted means (first minus second of each pair) from the one model.

    Returns
    -------
    DataFrame
        Columns :data:`CONTRAST_COLUMNS`: t test and interval on the residual df, not
        adjusted for multiplicity (that is :func:`evaltools.analysis.effects.adjust_by_domain`'s
        job).

    Notes
    -----
    As R ``emmeans::contrast(emmeans(model, "group"), method = "trt.vs.ctrl",
    adjust = "none")``; with two groups, the group coefficient of ``lm``.
    """
    fitted = _least_squares_numeric(data, outcome=outcome, group=group,
                                    covariates=list(covariates), factors=factors,
                                    levels=levels)
    if fitted is None:  # a categorical covariate: the general path
        fitted = _least_squares(data, outcome=outcome, group=group,
                                covariates=list(covariates), factors=factors,
                                levels=levels)[:4]
    params, cov, df_resid, rows = fitted
    unknown = [g for pair in pairs for g in pair if g not in rows]
    if unknown:
        raise AnalysisError(f"groups {', '.join(map(str, unknown))} have no data; groups: "
                            + ", ".join(rows))
    return pd.DataFrame(_contrast_rows(params, cov, df_resid, rows, pairs, ci_level),
                        columns=CONTRAST_COLUMNS)


#: :func:`arm_omnibus`: one row per scale, post wave and model row.
OMNIBUS_COLUMNS = ["scale", "wave", "row", "group", "n", "estimate", "se", "ci_low", "ci_high",
                   "ci_level", "statistic", "df", "df_residual", "p_value", "covariates",
                   "note"]


def arm_omnibus(panel: pd.DataFrame, study, *, scales: Sequence[str] | str | None = None,
                post: str | Sequence[str] | None = None, covariates: Sequence[str] | None = None,
                ci_level: float = 0.95) -> pd.DataFrame:
    """Across all arms: the omnibus F of the group factor and each arm's adjusted mean.

    Fits ``post ~ group + pre + covariates`` on respondents measured at the baseline and at
    ``post`` (every arm with at least the minimum cell size; arms below it are named in
    ``note``).

    Parameters
    ----------
    covariates : list of str, optional
        Baseline covariates (panel columns); default the study's ``analysis.covariates``.

    Returns
    -------
    DataFrame
        Columns :data:`OMNIBUS_COLUMNS`. Per scale and wave: a row ``row = "omnibus"``
        (``statistic`` the type II F of the group factor, ``df`` and ``df_residual``, ``n``
        respondents in the model), then a row ``row = "adjusted_mean"`` per arm (``group``,
        ``n``, ``estimate``, ``se``, t interval). ``covariates`` lists the adjustment.
    """
    covariates = list(study.analysis.covariates if covariates is None else covariates)
    factors = [c for c in covariates if c in study.analysis.factor_covariates]
    scales = check_scales(study, scales)
    posts = later_waves(study) if post is None else ([post] if isinstance(post, str)
                                                     else list(post))
    check_panel(panel, ["respondent_id", "site", "group", "wave", *covariates], study)
    arms = [g.id for g in study.groups]
    adjust = ", ".join(["pre", *covariates])
    rows = []
    for scale in scales:
        for wave in posts:
            check_wave(study, wave, role="post")
            pairs = paired(panel, scale, study.baseline.id, wave, extra=covariates)
            pairs = pairs.dropna(subset=covariates)
            counts = pairs["group"].value_counts()
            small = [a for a in arms if too_small(int(counts.get(a, 0)), study)]
            keep = [a for a in arms if a not in small]
            base = dict(scale=scale, wave=wave, ci_level=ci_level, covariates=adjust)
            note = ("arms below the minimum cell size left out: " + ", ".join(small)
                    if small else "")
            if len(keep) < 2:
                rows.append({**base, "row": "omnibus", "n": len(pairs),
                             "note": "not estimated: fewer than two arms large enough"})
                continue
            data = pairs[pairs["group"].isin(keep)]
            try:
                table = arm_anova(data, outcome="post", group="group",
                                  covariates=["pre", *covariates], factors=factors,
                                  levels=keep)
                means = adjusted_means(data, outcome="post", group="group",
                                       covariates=["pre", *covariates], factors=factors,
                                       levels=keep, ci_level=ci_level)
            except AnalysisError as exc:
                rows.append({**base, "row": "omnibus", "n": len(data),
                             "note": f"not estimated: {exc}"})
                continue
            g, res = table.iloc[0], table.iloc[-1]
            rows.append({**base, "row": "omnibus", "n": int(means["n"].sum()),
                         "statistic": g["statistic"], "df": g["df"], "df_residual": res["df"],
                         "p_value": g["p_value"], "note": note})
            for m in means.itertuples():
                rows.append({**base, "row": "adjusted_mean", "group": m.group, "n": m.n,
                             "estimate": m.estimate, "se": m.se, "ci_low": m.ci_low,
                             "ci_high": m.ci_high, "df_residual": m.df, "note": ""})
    out = pd.DataFrame(rows, columns=OMNIBUS_COLUMNS)
    out["note"] = out["note"].fillna("")
    return out

"""Longitudinal models over all waves: a linear mixed model and a cluster-robust alternative.

The model for a scale score ``y`` of respondent *i* at wave *w*::

    y = b0 + b_w [wave w] + b_T [intervention] + c_w [intervention] x [wave w] + u_i (+ v_s) + e

with a random intercept per respondent ``u_i`` (and optionally per site ``v_s``). The
interaction ``c_w`` is the intervention's effect at wave *w* relative to the baseline (a
difference in differences that uses every available wave, so respondents who missed a wave still
count: valid when data are missing at random given the observed waves). In a design without a
comparison group the model has only the wave terms and ``b_w`` is the mean change. With
``time`` the waves become a continuous time since baseline (optionally with a random slope per
respondent). The fit is :mod:`evaltools.analysis.lmm` (profiled REML/ML as lme4).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from evaltools.analysis.effects.common import (
    AnalysisError,
    check_panel,
    check_scales,
    one_contrast,
    t_interval,
)
from evaltools.analysis.effects.crosssection import (
    REPEATED_CROSS_SECTION,
    check_cluster,
    cluster_of,
)
from evaltools.analysis.lmm import (
    LmmError,
    RandomEffect,
    build_model,
    fit_lmm,
    fixed_effects,
    variance_components,
)

__all__ = ["mixed_model", "cluster_robust", "MODEL_COLUMNS"]

MODEL_COLUMNS = ["scale", "term", "wave", "estimate", "se", "ci_low", "ci_high", "ci_level",
                 "statistic", "df", "p_value", "n_obs", "n_respondents", "n_clusters", "method",
                 "note"]


def _arms(study, arms) -> tuple[list[str], list[str]]:
    """(intervention arms, comparison arms) of the model (see :func:`one_contrast`)."""
    intervention, comparison = one_contrast(study, arms)
    return [intervention], [comparison]


def _long(panel: pd.DataFrame, study, scale: str,
          extra: Sequence[str] = (), arms=None) -> tuple[pd.DataFrame, str, list[str]]:
    check_panel(panel, ["respondent_id", "site", "group", "wave", scale])
    columns = list(dict.fromkeys(["respondent_id", "site", "group", "wave", scale, *extra]))
    data = panel.loc[panel[scale].notna(), columns]
    data = data.rename(columns={scale: "y"}).reset_index(drop=True)
    base = study.baseline.id
    later = [w.id for w in study.waves if w.id != base and (data["wave"] == w.id).any()]
    for wave in later:
        data[f"w_{wave}"] = (data["wave"] == wave).astype(float)
    interventions, comparisons = _arms(study, arms) if study.has_comparison else (
        list(study.arms("intervention")), [])
    data["treated"] = data["group"].isin(interventions).astype(float)
    if study.has_comparison:
        data = data[data["group"].isin(interventions + comparisons)]
        terms = [f"w_{w}" for w in later] + ["treated"] + [f"treated:w_{w}" for w in later]
    else:
        terms = [f"w_{w}" for w in later]
    return data, " + ".join(terms), later


def _contrast_terms(study, later: list[str]) -> list[tuple[str, str, str]]:
    """(coefficient name, term label, wave) of the reported contrasts."""
    if study.has_comparison:
        return [(f"treated:w_{w}", f"intervention x {w}", w) for w in later]
    return [(f"w_{w}", f"change to {w}", w) for w in later]


def mixed_model(panel: pd.DataFrame, study, *, scales: Sequence[str] | str | None = None,
                site_effect: bool = False, time: str | None = None,
                random_slope: bool = False, covariates: Sequence[str] = (),
                reml: bool = True, df_method: str = "satterthwaite",
                ci_level: float = 0.95, arms: tuple[str, str] | None = None) -> pd.DataFrame:
    """Linear mixed model per scale: group x wave (or x time) contrasts and variance components.

    Parameters
    ----------
    panel : DataFrame
        From :func:`evaltools.data.panel.load_panel`.
    study : Study
    scales : str or list of str, optional
    site_effect : bool
        Add a random intercept per site, with respondents nested in sites (lme4
        ``(1 | site) + (1 | site:respondent_id)``). With few sites (fewer than about 10) a site
        variance is poorly estimated: prefer :func:`cluster_robust`.
    time : str, optional
        Numeric panel column with the time since baseline (e.g. months). Then the fixed
        effects are ``time * intervention`` and the contrast is the difference in slopes;
        by default waves are categories (``wave * intervention``).
    random_slope : bool
        A random slope for ``time`` per respondent, correlated with the intercept (needs
        ``time``).
    covariates : list of str
        Numeric panel columns added as fixed effects (e.g. age, a baseline score); rows
        missing one are left out.
    reml : bool
        REML (default) or maximum likelihood (for likelihood-ratio tests of fixed effects).
    df_method : {"satterthwaite", "normal"}
        t tests and intervals on Satterthwaite's degrees of freedom (as lmerTest), or z.
    ci_level : float
    arms : (intervention, comparison), optional
        The two arms to compare; required when the study has several contrasts (several
        intervention or comparison arms are never pooled silently).

    Returns
    -------
    DataFrame
        Columns :data:`MODEL_COLUMNS`: per scale, one row per contrast (``intervention x
        <wave>``, ``change to <wave>`` without a comparison group, or ``intervention x time``
        / ``change per time`` with ``time``) with a Wald interval and test, then the variance
        components in ``estimate``: ``var_respondent``, (``var_respondent_slope``,
        ``cov_respondent_slope``,) (``var_site``,) ``var_residual``, and the intraclass
        correlations ``icc_respondent`` (and ``icc_site``). ``method`` is ``lmm_reml`` or
        ``lmm_ml``; ``note`` names a boundary fit (a variance estimated as 0), a
        non-converged fit, a dropped term or dropped rows.

    Raises
    ------
    AnalysisError
        Unknown columns, ``random_slope`` without ``time``, or a model that cannot be fitted.

    Notes
    -----
    Fitted with :mod:`evaltools.analysis.lmm` (profiled REML/ML and penalised least squares as
    lme4). Checked against R ``lmerTest::lmer(y ~ wave * treated + (1 | respondent))`` and
    ``(1 | site) + (1 | site:respondent)`` (fixed effects, standard errors, Satterthwaite df,
    variance components; ``tests/reference/``). Respondents observed once (dropouts after
    baseline) count in the fixed effects and inform the residual variance. If *every*
    respondent has one observation the respondent variance cannot be told from the residual:
    the term is dropped (with a note) and the standard errors are those of OLS.

    In a repeated cross-section (``design: repeated_cross_section``) respondents are never
    linked across waves, even when a pseudonym recurs, and there is no respondent term (with a
    note). ``site_effect`` then adds a random intercept per cluster (``analysis.cluster``,
    default ``site``) and per cluster and wave, lme4 ``(1 | cluster) + (1 | cluster:wave)``:
    without the cluster-by-wave term the model assumes every neighbourhood moves exactly
    with its group's mean, and the standard error of the difference in differences is too
    small whenever neighbourhoods move apart (Hooper et al. 2016). Its rows are
    ``var_cluster``, ``var_cluster_wave``, ``var_residual``, ``icc_cluster`` and
    ``icc_cluster_wave``. Checked against ``lmerTest::lmer(y ~ wave * treated + (1 | school) +
    (1 | school:wave))`` on AchievementAwardsRCT (``tests/reference/crosssection_r.json``).
    """
    if random_slope and time is None:
        raise AnalysisError("random_slope=True needs time=<numeric column with the time since "
                            "baseline>")
    if df_method not in ("satterthwaite", "normal"):
        raise AnalysisError(f"df_method={df_method!r}: expected 'satterthwaite' or 'normal'")
    scales = check_scales(study, scales)
    extra = [c for c in [time, *covariates] if c]
    check_panel(panel, ["respondent_id", "site", "group", "wave", *extra], study)
    unpaired = study.design == REPEATED_CROSS_SECTION
    if unpaired:  # the clusters take the place of the sites in the model
        check_cluster(panel, cluster_of(study))
        panel = panel.assign(site=panel[cluster_of(study)])
        panel = panel[panel["site"].notna()]
        if random_slope:
            raise AnalysisError("random_slope=True needs respondents measured more than once; "
                                "a repeated cross-section measures each respondent once")
    rows = []
    for scale in scales:
        data, rhs, later = _long(panel, study, scale, extra, arms)
        if unpaired:  # different people at every wave: a recurring pseudonym links nobody
            data["respondent_id"] = (data["respondent_id"].astype(str) + "@"
                                     + data["wave"].astype(str))
        n_resp, n_sites = data["respondent_id"].nunique(), data["site"].nunique()
        base = dict(scale=scale, ci_level=ci_level, n_obs=len(data), n_respondents=n_resp,
                    n_clusters=n_sites if site_effect else n_resp,
                    method="lmm_reml" if reml else "lmm_ml")
        if not later or n_resp < study.min_cell_size:
            rows.append({**base, "term": "(model)", "note": "not estimated: too few "
                         "respondents or no wave after the baseline"})
            continue
        fixed, contrasts = _design(data, study, later, time, covariates)
        random = [RandomEffect(("site", "respondent_id") if site_effect else "respondent_id",
                               time if random_slope else None)]
        if site_effect:
            random.append(RandomEffect("site"))
        if unpaired:
            random = [RandomEffect(("site", "wave")), RandomEffect("site")] \
                if site_effect else []
        try:
            fit = fit_lmm(build_model(data, "y", fixed, random), reml=reml)
            table = fixed_effects(fit, ci_level=ci_level, df_method=df_method)
        except LmmError as err:
            raise AnalysisError(f"scale {scale!r}: {err}") from err
        notes = list(fit.notes)
        if unpaired:
            notes.insert(0, "repeated cross-section: every respondent is measured once, so "
                         "there is no respondent random effect")
        if fit.model.n_dropped:
            notes.append(f"{fit.model.n_dropped} observations without a covariate left out")
        note = "; ".join(notes)
        base["n_obs"] = fit.model.n_obs
        table = table.set_index("term")
        for name, label, wave in contrasts:
            r = table.loc[name]
            rows.append({**base, "term": label, "wave": wave, "estimate": r["estimate"],
                         "se": r["se"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                         "statistic": r["statistic"], "df": r["df"], "p_value": r["p_value"],
                         "note": note})
        parts = _cluster_components(fit, site_effect) if unpaired else \
            _components(fit, site_effect)
        for term, value in parts.items():
            rows.append({**base, "term": term, "estimate": value, "note": note})
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def _design(data: pd.DataFrame, study, later: list[str], time: str | None,
            covariates: Sequence[str]) -> tuple[list[str], list[tuple[str, str, str | None]]]:
    """Fixed-effect columns (added to ``data``) and the reported contrasts."""
    if time is None:
        fixed = [f"w_{w}" for w in later]
        if study.has_comparison:
            for w in later:
                data[f"treated:w_{w}"] = data["treated"] * data[f"w_{w}"]
            fixed += ["treated"] + [f"treated:w_{w}" for w in later]
        contrasts = _contrast_terms(study, later)
    else:
        data["time"] = data[time].astype(float)
        fixed = ["time"]
        if study.has_comparison:
            data["treated:time"] = data["treated"] * data["time"]
            fixed += ["treated", "treated:time"]
            contrasts = [("treated:time", "intervention x time", None)]
        else:
            contrasts = [("time", "change per time", None)]
    return fixed + list(covariates), contrasts


def _components(fit, site_effect: bool) -> dict[str, float]:
    """Variance components and ICCs of a fitted evaluation model, by row name."""
    vc = variance_components(fit)
    out = {"var_respondent": np.nan}
    for row in vc.itertuples():
        if row.level == "residual":
            continue
        who = "site" if row.level == "site" else "respondent"
        if row.term2:
            out[f"cov_{who}_slope"] = row.variance
        elif row.term == "(Intercept)":
            out[f"var_{who}"] = row.variance
        else:
            out[f"var_{who}_slope"] = row.variance
    if site_effect and "var_site" not in out:
        out["var_site"] = np.nan
    out["var_residual"] = fit.sigma ** 2
    icc = dict(zip(vc["level"], vc["icc"], strict=True))
    out["icc_respondent"] = next((v for k, v in icc.items() if "respondent" in k), np.nan)
    if site_effect:
        out["icc_site"] = icc.get("site", np.nan)
    return out


def _cluster_components(fit, site_effect: bool) -> dict[str, float]:
    """Variance components of a repeated cross-section's model: cluster, cluster x wave."""
    if not site_effect:
        return {"var_residual": fit.sigma ** 2}
    vc = variance_components(fit).set_index("level")
    return {"var_cluster": vc.loc["site", "variance"],
            "var_cluster_wave": vc.loc["site:wave", "variance"],
            "var_residual": fit.sigma ** 2, "icc_cluster": vc.loc["site", "icc"],
            "icc_cluster_wave": vc.loc["site:wave", "icc"]}


def cluster_robust(panel: pd.DataFrame, study, *, scales: Sequence[str] | str | None = None,
                   cluster: str = "site", ci_level: float = 0.95,
                   arms: tuple[str, str] | None = None) -> pd.DataFrame:
    """The same contrasts by least squares with cluster-robust standard errors.

    Fits ``y ~ waves * intervention`` by OLS on all available observations and computes
    CR1 standard errors clustered by ``cluster`` (``"site"`` or ``"respondent_id"``), with
    t-tests on ``G - 1`` degrees of freedom for ``G`` clusters. Clustering by site also
    accounts for repeated measures of a respondent (who stays in one site). ``arms``: as in
    :func:`mixed_model`.

    Returns
    -------
    DataFrame
        Columns :data:`MODEL_COLUMNS` (``method = "ols_cluster_robust"``), contrast rows only.

    Notes
    -----
    Checked against R ``sandwich::vcovCL(lm(...), cluster = ~site, type = "HC1")`` with
    ``lmtest::coeftest(..., df = G - 1)``. With very few clusters (fewer than about 6) even
    these intervals are too narrow; report the number of clusters beside them.
    """
    if cluster not in ("site", "respondent_id"):
        raise AnalysisError(f"cluster={cluster!r}: expected 'site' or 'respondent_id'")
    scales = check_scales(study, scales)
    check_panel(panel, ["respondent_id", "site", "group", "wave"], study)
    rows = []
    for scale in scales:
        data, rhs, later = _long(panel, study, scale, arms=arms)
        groups = pd.factorize(data[cluster])[0]
        n_clusters = int(groups.max() + 1) if len(groups) else 0
        base = dict(scale=scale, ci_level=ci_level, n_obs=len(data),
                    n_respondents=data["respondent_id"].nunique(), n_clusters=n_clusters,
                    method="ols_cluster_robust")
        if not later or n_clusters < 2:
            rows.append({**base, "term": "(model)", "note": "not estimated: fewer than 2 "
                         "clusters or no wave after the baseline"})
            continue
        fit = smf.ols(f"y ~ {rhs}", data).fit(cov_type="cluster",
                                               cov_kwds={"groups": groups,
                                                         "use_correction": True})
        df = n_clusters - 1
        note = "" if n_clusters >= 6 else f"only {n_clusters} clusters: intervals too narrow"
        for name, label, wave in _contrast_terms(study, later):
            est, se = float(fit.params[name]), float(fit.bse[name])
            low, high = t_interval(est, se, df, ci_level)
            rows.append({**base, "term": label, "wave": wave, "estimate": est, "se": se,
                         "ci_low": low, "ci_high": high, "statistic": est / se, "df": df,
                         "p_value": 2 * stats.t.sf(abs(est / se), df), "note": note})
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


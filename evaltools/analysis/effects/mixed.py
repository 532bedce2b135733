"""Longitudinal models over all waves: a linear mixed model and a cluster-robust alternative.

The model for a scale score ``y`` of respondent *i* at wave *w*::

    y = b0 + b_w [wave w] + b_T [intervention] + c_w [intervention] x [wave w] + u_i (+ v_s) + e

with a random intercept per respondent ``u_i`` (and optionally per site ``v_s``). The
interaction ``c_w`` is the intervention's effect at wave *w* relative to the baseline (a
difference in differences that uses every available wave, so respondents who missed a wave still
count: valid when data are missing at random given the observed waves). In a design without a
comparison group the model has only the wave terms and ``b_w`` is the mean change.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from evaltools.analysis.effects.common import (
    AnalysisError,
    check_panel,
    check_scales,
    t_interval,
    z_interval,
)

__all__ = ["mixed_model", "cluster_robust", "MODEL_COLUMNS"]

MODEL_COLUMNS = ["scale", "term", "wave", "estimate", "se", "ci_low", "ci_high", "ci_level",
                 "statistic", "df", "p_value", "n_obs", "n_respondents", "n_clusters", "method",
                 "note"]


def _long(panel: pd.DataFrame, study, scale: str) -> tuple[pd.DataFrame, str, list[str]]:
    check_panel(panel, ["respondent_id", "site", "group", "wave", scale])
    data = panel.loc[panel[scale].notna(), ["respondent_id", "site", "group", "wave", scale]]
    data = data.rename(columns={scale: "y"}).reset_index(drop=True)
    base = study.baseline.id
    later = [w.id for w in study.waves if w.id != base and (data["wave"] == w.id).any()]
    for wave in later:
        data[f"w_{wave}"] = (data["wave"] == wave).astype(float)
    interventions = [g.id for g in study.groups if g.role == "intervention"]
    data["treated"] = data["group"].isin(interventions).astype(float)
    if study.has_comparison:
        comparisons = [g.id for g in study.groups if g.role == "comparison"]
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
                site_effect: bool = False, ci_level: float = 0.95) -> pd.DataFrame:
    """Linear mixed model per scale: group x wave contrasts and variance components.

    Parameters
    ----------
    panel : DataFrame
        From :func:`evaltools.data.panel.load_panel`.
    study : Study
    scales : str or list of str, optional
    site_effect : bool
        Add a random intercept per site (respondents nested in sites). With few sites (fewer
        than about 10) a site variance is poorly estimated: prefer :func:`cluster_robust`.
    ci_level : float

    Returns
    -------
    DataFrame
        Columns :data:`MODEL_COLUMNS`: per scale, one row per contrast (``intervention x
        <wave>``, or ``change to <wave>`` without a comparison group) with a Wald z interval and
        test, then rows ``var_respondent``, (``var_site``,) ``var_residual`` holding the REML
        variance components in ``estimate``.

    Notes
    -----
    Fitted by REML with statsmodels ``MixedLM``; checked against R
    ``lme4::lmer(y ~ wave * treated + (1 | respondent), REML = TRUE)`` (fixed effects, standard
    errors and variance components; values in ``tests/reference/``).
    """
    scales = check_scales(study, scales)
    check_panel(panel, ["respondent_id", "site", "group", "wave"], study)
    rows = []
    for scale in scales:
        data, rhs, later = _long(panel, study, scale)
        n_resp, n_sites = data["respondent_id"].nunique(), data["site"].nunique()
        base = dict(scale=scale, ci_level=ci_level, n_obs=len(data), n_respondents=n_resp,
                    n_clusters=n_sites if site_effect else n_resp, method="lmm_reml")
        if not later or n_resp < study.min_cell_size:
            rows.append({**base, "term": "(model)", "note": "not estimated: too few "
                         "respondents or no wave after the baseline"})
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            if site_effect:
                model = smf.mixedlm(f"y ~ {rhs}", data, groups="site", re_formula="1",
                                    vc_formula={"respondent": "0 + C(respondent_id)"})
            else:
                model = smf.mixedlm(f"y ~ {rhs}", data, groups="respondent_id")
            fit = model.fit(reml=True, method=["lbfgs", "bfgs", "cg"])
        note = "" if fit.converged else "the optimiser did not report convergence"
        for name, label, wave in _contrast_terms(study, later):
            est, se = float(fit.fe_params[name]), float(fit.bse_fe[name])
            low, high = z_interval(est, se, ci_level)
            rows.append({**base, "term": label, "wave": wave, "estimate": est, "se": se,
                         "ci_low": low, "ci_high": high, "statistic": est / se,
                         "p_value": 2 * stats.norm.sf(abs(est / se)), "note": note})
        if site_effect:
            components = {"var_site": float(fit.cov_re.iloc[0, 0]),
                          "var_respondent": float(fit.vcomp[0])}
        else:
            components = {"var_respondent": float(fit.cov_re.iloc[0, 0])}
        components["var_residual"] = float(fit.scale)
        for term, value in components.items():
            rows.append({**base, "term": term, "estimate": value, "note": note})
    return pd.DataFrame(rows, columns=MODEL_COLUMNS)


def cluster_robust(panel: pd.DataFrame, study, *, scales: Sequence[str] | str | None = None,
                   cluster: str = "site", ci_level: float = 0.95) -> pd.DataFrame:
    """The same contrasts by least squares with cluster-robust standard errors.

    Fits ``y ~ waves * intervention`` by OLS on all available observations and computes
    CR1 standard errors clustered by ``cluster`` (``"site"`` or ``"respondent_id"``), with
    t-tests on ``G - 1`` degrees of freedom for ``G`` clusters. Clustering by site also
    accounts for repeated measures of a respondent (who stays in one site).

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
        data, rhs, later = _long(panel, study, scale)
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


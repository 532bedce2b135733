"""Subgroups and moderators: the intervention effect within each subgroup, and whether it
differs between them (the group x subgroup interaction)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.analysis.effects.common import (
    AnalysisError,
    check_panel,
    check_wave,
    kept_analysis,
    later_waves,
    ols_pinv,
    paired,
    scale_info,
    t_interval,
    t_p_value,
    too_small,
)

__all__ = ["subgroup_effects", "SUBGROUP_COLUMNS"]

SUBGROUP_COLUMNS = ["scale", "wave", "intervention", "comparison", "subgroup",
                    "subgroup_value", "n", "n_intervention", "n_comparison", "estimate", "se",
                    "ci_low", "ci_high", "ci_level", "statistic", "df", "df_residual", "p_value",
                    "note"]


@kept_analysis
def subgroup_effects(panel: pd.DataFrame, study, *, scale: str, subgroup: str,
                     post: str | None = None, ci_level: float = 0.95) -> pd.DataFrame:
    """ANCOVA effect per subgroup value, and the interaction test.

    Parameters
    ----------
    panel : DataFrame
    study : Study
        Must have a comparison group.
    scale : str
    subgroup : str
        A subgroup column declared in ``study.yml``.
    post : str, optional
        Default: the first wave after the baseline.
    ci_level : float

    Returns
    -------
    DataFrame
        Columns :data:`SUBGROUP_COLUMNS`, per contrast (every intervention arm against every
        comparison arm, on those two arms' respondents): a row per subgroup value (ANCOVA
        adjusted difference within that subgroup), then a row ``subgroup_value =
        "interaction"`` with the F test of
        ``intervention x subgroup`` in ``post ~ intervention * subgroup + pre`` (``df`` and
        ``df_residual`` its degrees of freedom). Subgroup values where either arm has fewer
        respondents than the minimum cell size are not estimated, are marked, and are left out
        of the interaction test.

    Notes
    -----
    The interaction F equals the type II test of R ``car::Anova(lm(post ~ treated * subgroup
    + pre), type = 2)``.
    """
    scale_info(study, scale)
    if subgroup not in [s.column for s in study.subgroups]:
        raise AnalysisError(f"unknown subgroup {subgroup!r}; subgroups of study {study.id!r}: "
                            + ", ".join(s.column for s in study.subgroups) or "(none)")
    if not study.has_comparison:
        raise AnalysisError("subgroup effects need a comparison group; use within_change "
                            "with subgroup= instead")
    post = check_wave(study, post or later_waves(study)[0], role="post")
    check_panel(panel, ["respondent_id", "site", "group", "wave", scale, subgroup], study)
    pairs = paired(panel, scale, study.baseline.id, post, extra=[subgroup])
    pairs = pairs.dropna(subset=[subgroup])
    # the analysis runs on arrays: pandas' filtering and grouping took most of its time
    group = pairs["group"].to_numpy(object)
    values = pairs[subgroup].astype(str).to_numpy(object)
    pre, later = pairs["pre"].to_numpy(float), pairs["post"].to_numpy(float)
    rows = []  # one frame at the end (a frame per contrast, inserts and a concat took half)
    for intervention, comparison in study.contrasts:
        arms = (group == intervention) | (group == comparison)
        rows += [{**row, "intervention": intervention, "comparison": comparison}
                 for row in _compute_subgroups(later[arms], pre[arms],
                                               (group[arms] == intervention).astype(float),
                                               values[arms], study, scale, post, subgroup,
                                               ci_level)]
    out = pd.DataFrame(rows, columns=SUBGROUP_COLUMNS)
    return out.astype({"estimate": float, "se": float, "p_value": float})


def _compute_subgroups(y: np.ndarray, pre: np.ndarray, treated: np.ndarray, sub: np.ndarray,
                       study, scale: str, post: str, subgroup: str,
                       ci_level: float) -> list[dict]:
    """The rows of :func:`subgroup_effects` for one contrast (without its arms): post-test
    ``y``, ``pre``, ``treated`` (1.0 for the intervention arm) and the subgroup value ``sub``
    (text) of each respondent of the two arms."""
    rows, usable = [], []
    for value in sorted(set(sub)):
        cell = sub == value
        nt = int(treated[cell].sum())
        nc = int(cell.sum()) - nt
        note = too_small(min(nt, nc), study)
        row = dict(scale=scale, wave=post, subgroup=subgroup, subgroup_value=value,
                   n=nt + nc, n_intervention=nt, n_comparison=nc, ci_level=ci_level,
                   note=note)
        if not note:
            params, cov, df_resid, _ = ols_pinv(y[cell], np.column_stack(
                [np.ones(nt + nc), treated[cell], pre[cell]]))
            est, se = float(params[1]), float(np.sqrt(cov[1, 1]))
            low, high = t_interval(est, se, df_resid, ci_level)
            statistic = est / se
            row.update(estimate=est, se=se, ci_low=low, ci_high=high, statistic=statistic,
                       df=float(df_resid), df_residual=float(df_resid),
                       p_value=t_p_value(statistic, df_resid))
            usable.append(value)
        rows.append(row)
    inter = dict(scale=scale, wave=post, subgroup=subgroup, subgroup_value="interaction",
                 ci_level=ci_level)
    kept = np.isin(sub, usable)
    n_kept, n_treated = int(kept.sum()), int(treated[kept].sum())
    if len(usable) >= 2:
        statistic, df, df_resid, p_value = _interaction_f(y[kept], pre[kept], treated[kept],
                                                          sub[kept])
        inter.update(n=n_kept, n_intervention=n_treated, n_comparison=n_kept - n_treated,
                     statistic=statistic, df=df, df_residual=df_resid, p_value=p_value,
                     note="" if len(usable) == len(rows) else
                     "subgroups below the minimum cell size left out")
    else:
        inter.update(n=n_kept, note="not estimated: fewer than 2 subgroups large enough")
    rows.append(inter)
    for row in rows:
        row.setdefault("note", "")
    return rows


def _interaction_f(y: np.ndarray, pre: np.ndarray, treated: np.ndarray,
                   sub: np.ndarray) -> tuple[float, float, float, float]:
    """F, df, residual df and p of ``treated x sub`` in ``post ~ treated * C(sub) + pre``.

    The interaction is the model's highest-order term, so its type II test (R
    ``car::Anova(type = 2)``, statsmodels ``anova_lm(typ=2)``) is the Wald F of its
    coefficients in the full model, ``b' V^-1 b / q`` with ``q`` the rank of ``V``.
    """
    levels = sorted(set(sub))
    dummies = np.column_stack([(sub == v).astype(float) for v in levels[1:]])
    x = np.column_stack([np.ones(len(y)), dummies, treated, pre,
                         dummies * treated[:, None]])
    params, cov, df_resid, _ = ols_pinv(y, x)
    term = slice(x.shape[1] - dummies.shape[1], x.shape[1])
    b, v = params[term], cov[term, term]
    df = int(np.linalg.matrix_rank(v))
    if df == 0:  # no interaction estimable (cannot happen with both arms in each subgroup)
        return float("nan"), 0.0, float(df_resid), float("nan")
    f = float(b @ np.linalg.pinv(v) @ b) / df
    return f, float(df), float(df_resid), float(stats.f.sf(f, df, df_resid))

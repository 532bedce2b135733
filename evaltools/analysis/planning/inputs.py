"""Design assumptions from earlier data: ICC per level, pre-post correlation and attrition.

A pilot, or the first waves of an earlier evaluation, tells more about the next study than
rules of thumb do. :func:`planning_inputs` estimates, per scale, what :class:`PlanDesign` needs
from an ingested study's panel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaltools.analysis.effects.common import check_scales
from evaltools.analysis.planning.design import PlanDesign, PlanningError
from evaltools.data.panel import load_panel
from evaltools.study.model import Study

__all__ = ["planning_inputs", "anova_icc", "design_from_inputs", "INPUT_COLUMNS"]

#: Columns of :func:`planning_inputs`.
INPUT_COLUMNS = ["scale", "wave", "n_baseline", "n_clusters", "mean_cluster_size", "icc",
                 "icc_group_adjusted", "r_pre_post", "n_pairs", "retention", "attrition"]


def anova_icc(values: np.ndarray, clusters: np.ndarray) -> tuple[float, float]:
    """One-way ANOVA estimator of the intraclass correlation ICC(1).

    ``ICC = (MSB - MSW) / (MSB + (n0 - 1) MSW)`` with the adjusted mean cluster size
    ``n0 = (N - sum n_j^2 / N) / (J - 1)`` for unequal clusters (Donner 1986; Snijders &
    Bosker 2012, eq. 3.12), truncated at 0.

    Returns
    -------
    (icc, n0)
        NaN with fewer than 2 clusters or no within-cluster replication.
    """
    frame = pd.DataFrame({"y": np.asarray(values, float), "c": np.asarray(clusters)}).dropna()
    groups = frame.groupby("c")["y"]
    sizes, means = groups.size().to_numpy(float), groups.mean().to_numpy()
    j, n = len(sizes), len(frame)
    if j < 2 or n - j < 1:
        return float("nan"), float("nan")
    grand = frame["y"].mean()
    msb = float((sizes * (means - grand) ** 2).sum() / (j - 1))
    msw = float(((frame["y"] - groups.transform("mean")) ** 2).sum() / (n - j))
    n0 = (n - (sizes**2).sum() / n) / (j - 1)
    denominator = msb + (n0 - 1) * msw
    icc = (msb - msw) / denominator if denominator > 0 else float("nan")
    return max(0.0, float(icc)), float(n0)


def planning_inputs(study: Study, *, scales: Sequence[str] | str | None = None,
                    panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """Estimate a design's assumptions from an ingested study, per scale and later wave.

    Parameters
    ----------
    study : Study
    scales : str or list of str, optional
        Default: every scale.
    panel : DataFrame, optional
        The study's panel (default: :func:`evaltools.load_panel`).

    Returns
    -------
    DataFrame
        Columns :data:`INPUT_COLUMNS`, one row per scale and wave after the baseline:
        ``n_baseline`` (respondents with a baseline score), ``n_clusters`` (sites),
        ``mean_cluster_size`` (the ANOVA's adjusted size n0), ``icc`` (site ICC of the baseline
        scores, one-way ANOVA estimator), ``icc_group_adjusted`` (the same on scores centred
        on their arm's mean, so that a difference between arms is not counted as site
        variance; NaN without a comparison group), ``r_pre_post`` (Pearson correlation between the
        baseline and that wave among respondents with both, pooled over groups after centring
        within group), ``n_pairs``, ``retention`` (share of the baseline respondents with a
        score at that wave) and ``attrition`` (share lost since the previous wave, as
        :class:`PlanDesign` takes it).

    Notes
    -----
    The ICC is the one-way ANOVA estimator (not a random-intercept model): it has a closed
    form, needs no convergence and is unbiased for balanced data; with few sites (fewer than
    about 10) any ICC estimate is imprecise, so plan with a range around it.
    """
    scales = check_scales(study, scales)
    panel = load_panel(study) if panel is None else panel
    base = study.baseline.id
    later = [w.id for w in study.waves if w.id != base]
    rows = []
    for scale in scales:
        at_base = panel.loc[(panel["wave"] == base) & panel[scale].notna(),
                            ["respondent_id", "site", "group", scale]]
        icc, n0 = anova_icc(at_base[scale].to_numpy(), at_base["site"].to_numpy())
        adjusted = np.nan
        if study.has_comparison:
            arm_means = at_base.groupby("group")[scale].transform("mean")
            adjusted, _ = anova_icc((at_base[scale] - arm_means).to_numpy(),
                                    at_base["site"].to_numpy())
        previous = 1.0
        for wave in later:
            post = panel.loc[(panel["wave"] == wave) & panel[scale].notna(),
                             ["respondent_id", scale]].rename(columns={scale: "post"})
            pairs = at_base.merge(post, on="respondent_id")
            if len(pairs) >= 3:
                pre_c = pairs[scale] - pairs.groupby("group")[scale].transform("mean")
                post_c = pairs["post"] - pairs.groupby("group")["post"].transform("mean")
                r = float(np.corrcoef(pre_c, post_c)[0, 1])
            else:
                r = np.nan
            retention = len(pairs) / len(at_base) if len(at_base) else np.nan
            attrition = 1 - retention / previous if previous > 0 else np.nan
            previous = retention
            rows.append({"scale": scale, "wave": wave, "n_baseline": len(at_base),
                         "n_clusters": at_base["site"].nunique(), "mean_cluster_size": n0,
                         "icc": icc, "icc_group_adjusted": adjusted, "r_pre_post": r,
                         "n_pairs": len(pairs), "retention": retention,
                         "attrition": attrition})
    return pd.DataFrame(rows, columns=INPUT_COLUMNS)


def design_from_inputs(design: PlanDesign, inputs: pd.DataFrame, *, scale: str) -> PlanDesign:
    """``design`` with the ICC, the pre-post correlation and the attrition of ``scale``
    replaced by the estimates in ``inputs`` (from :func:`planning_inputs`), up to the last wave
    (the ICC adjusted for the arms where there is a comparison group)."""
    rows = inputs[inputs["scale"] == scale]
    if rows.empty:
        raise PlanningError(f"no planning inputs for scale {scale!r}; scales: "
                            + ", ".join(sorted(inputs["scale"].unique())))
    last = rows.iloc[-1]
    icc = last["icc_group_adjusted"] if np.isfinite(last["icc_group_adjusted"]) else last["icc"]
    changes = {"r_pre_post": round(float(last["r_pre_post"]), 4),
               "attrition": tuple(round(float(a), 4) for a in rows["attrition"])}
    if np.isfinite(icc):
        changes["icc"] = round(float(min(icc, 0.99)), 4)
    return design.with_(**changes)

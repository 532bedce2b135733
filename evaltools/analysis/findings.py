"""What a study's design supports saying: the primary estimate per scale and its verdict.

One set of rules for every place that words a result (report summaries and headlines, the key
figure, the index, register rows and the "Wat werkt" overview):

* With a comparison group, the result is the between-group estimate of the study's primary
  estimator (``study.primary_method``: ANCOVA by default for a randomised design, difference in
  differences for a controlled one). Its verdict compares the groups: *favourable*,
  *unfavourable*, or *no clear difference* from the comparison group.
* Without one (pre-post), the result is the intervention group's own change, worded as change
  (*favourable change*, *unfavourable change*, *no clear change*), never as an effect.
* Favourable follows each scale's direction: on a scale where higher is worse (symptoms), a
  decrease is favourable.
* "Clear" means the confidence interval excludes zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.analysis.effects.change import within_change
from evaltools.analysis.effects.common import scale_info
from evaltools.analysis.effects.controlled import ancova, diff_in_diff
from evaltools.study.model import Study

__all__ = ["verdict", "verdicts", "primary_estimates", "oriented", "FINDING_COLUMNS",
           "FINDING_STATS", "VERDICTS"]

#: The three verdicts; the words differ by whether the design compares groups.
VERDICTS = ("favourable", "unfavourable", "unclear")

FINDING_COLUMNS = [
    "scale", "protective_factor", "direction", "method", "comparative", "intervention",
    "comparison", "wave", "n", "estimate", "ci_low", "ci_high", "effect_size",
    "effect_size_ci_low", "effect_size_ci_high", "effect_size_type", "p_value", "verdict",
    "suppressed"]
#: The columns that describe respondents: blanked (NaN) in a suppressed row.
FINDING_STATS = ["n", "estimate", "ci_low", "ci_high", "effect_size", "effect_size_ci_low",
                 "effect_size_ci_high", "p_value"]


def verdict(estimate: float, ci_low: float, ci_high: float, direction: str) -> str:
    """``favourable``, ``unfavourable`` or ``unclear`` for one estimate.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        The estimate (intervention minus comparison, or post minus pre) and its interval.
    direction : {"higher_is_better", "higher_is_worse"}
        The scale's direction.

    Returns
    -------
    str
        ``unclear`` when the interval includes zero or any value is missing.

    Examples
    --------
    >>> verdict(0.3, 0.1, 0.5, "higher_is_better"), verdict(0.3, 0.1, 0.5, "higher_is_worse")
    ('favourable', 'unfavourable')
    >>> verdict(0.3, -0.1, 0.7, "higher_is_better")
    'unclear'
    """
    values = np.array([estimate, ci_low, ci_high], dtype=float)
    if np.isnan(values).any() or (ci_low <= 0 <= ci_high):
        return "unclear"
    sign = 1.0 if direction == "higher_is_better" else -1.0
    return "favourable" if sign * estimate > 0 else "unfavourable"


def verdicts(frame: pd.DataFrame, *, estimate: str = "estimate", ci_low: str = "ci_low",
             ci_high: str = "ci_high", direction: str = "direction") -> pd.Series:
    """:func:`verdict` for every row of ``frame`` (column names as given)."""
    return pd.Series([verdict(e, lo, hi, d) for e, lo, hi, d in
                      zip(frame[estimate], frame[ci_low], frame[ci_high], frame[direction],
                          strict=True)], index=frame.index, dtype=object)


def oriented(values, direction) -> np.ndarray:
    """Values turned so that positive is favourable (sign flipped where higher is worse)."""
    sign = np.where(np.asarray(direction) == "higher_is_worse", -1.0, 1.0)
    return np.asarray(values, dtype=float) * sign


def primary_estimates(panel: pd.DataFrame, study: Study, *, post: str) -> pd.DataFrame:
    """The estimate the study's design supports, per scale (and comparison), with its verdict.

    Parameters
    ----------
    panel : DataFrame
        From :func:`evaltools.load_panel`, restricted to the rows the result is about (one
        site, or all).
    study : Study
    post : str
        The later wave.

    Returns
    -------
    DataFrame
        :data:`FINDING_COLUMNS`, one row per scale (per intervention-comparison pair where the
        design compares groups): ``method`` is ``ancova``, ``diff_in_diff`` or
        ``within_change``; ``comparative`` whether the verdict compares groups; ``estimate``
        and its interval in score units (intervention minus comparison, or the intervention
        group's post minus pre); ``effect_size`` standardised (WWC Hedges' g, Morris' d_ppc2
        or g_av) with its interval; ``verdict`` one of :data:`VERDICTS`; ``suppressed`` where
        a cell is below the study's minimum cell size (then the statistics are NaN and the
        verdict ``unclear``).
    """
    method = study.primary_method
    if method == "within_change":
        change = within_change(panel, study, post=post, by_site=False)
        arms = study.arms("intervention")  # every intervention arm, none left out
        rows = change[(change["group"].isin(arms)) & (change["site"] == "all")]
        out = pd.DataFrame({
            "scale": rows["scale"], "method": method, "comparative": False,
            "intervention": rows["group"], "comparison": None, "wave": post, "n": rows["n"],
            "estimate": rows["mean_change"], "ci_low": rows["ci_low"],
            "ci_high": rows["ci_high"], "effect_size": rows["g_av"],
            "effect_size_ci_low": rows["g_av_ci_low"],
            "effect_size_ci_high": rows["g_av_ci_high"], "effect_size_type": "g_av",
            "p_value": rows["p_value"],
            "suppressed": rows["note"].astype(bool)})
    else:
        table = (ancova if method == "ancova" else diff_in_diff)(panel, study, post=post)
        out = pd.DataFrame({
            "scale": table["scale"], "method": method, "comparative": True,
            "intervention": table["intervention"], "comparison": table["comparison"],
            "wave": post, "n": table["n"], "estimate": table["estimate"],
            "ci_low": table["ci_low"], "ci_high": table["ci_high"],
            "effect_size": table["effect_size"],
            "effect_size_ci_low": table["effect_size_ci_low"],
            "effect_size_ci_high": table["effect_size_ci_high"],
            "effect_size_type": table["effect_size_type"],
            "p_value": table["p_value"], "suppressed": table["note"].astype(bool)})
    out = out.reset_index(drop=True)
    info = [scale_info(study, s) for s in out["scale"]]
    out["protective_factor"] = [inst.protective_factor for inst, _ in info]
    out["direction"] = [scale.direction for _, scale in info]
    out.loc[out["suppressed"], FINDING_STATS] = np.nan
    out["verdict"] = verdicts(out)
    return out[FINDING_COLUMNS]

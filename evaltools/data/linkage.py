"""Are respondents linked right between waves? A check on the pre-post correlations.

A person's score on a scale before and after an intervention correlates: test-retest
correlations of the scales evaltools ships lie around 0.4 to 0.8 over months. When ids are
linked wrongly between waves (an agency renumbered respondents, a column of row numbers was
taken for the id, the pseudonymisation key changed), baseline and later answers belong to
different people, and every scale's pre-post correlation falls to about zero, while nothing
else in the data looks wrong. :func:`linkage_check` warns when that happens across the scales.

Rule: a warning when the median pre-post Pearson correlation of the scales (per later wave,
pooled over the waves) with at least ``min_pairs`` linked respondents (baseline and a later
wave) lies below ``threshold`` (default 0.2). The median, not "every scale": with respondents
linked at random, each of 30 or more correlations scatters around zero with a standard error
of about ``1 / sqrt(n_pairs)``, so one of them reaching 0.2 by chance must not hide the
problem. Scales with fewer pairs are not judged; with none left, nothing is said. A low
correlation on one scale among well-correlated others is not flagged: it can be real (a
scale that changes a lot, or an unreliable one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.core.errors import Problem
from evaltools.instruments.scoring import score_table

__all__ = ["prepost_correlations", "linkage_check", "linkage_from_answers",
           "LINKAGE_COLUMNS", "LINKAGE_THRESHOLD", "LINKAGE_MIN_PAIRS"]

#: Columns of :func:`prepost_correlations`.
LINKAGE_COLUMNS = ["scale", "wave", "n_pairs", "r"]
LINKAGE_THRESHOLD = 0.2
LINKAGE_MIN_PAIRS = 20


def prepost_correlations(panel: pd.DataFrame, study, *, id_column: str = "respondent_id"
                         ) -> pd.DataFrame:
    """The correlation of each scale between the baseline and each later wave.

    Parameters
    ----------
    panel : DataFrame
        One row per respondent and wave: ``id_column``, ``wave`` and one column per scale (as
        :func:`~evaltools.data.panel.load_panel` gives it).
    study : Study
    id_column : str
        The column that links a respondent's rows.

    Returns
    -------
    DataFrame
        ``scale, wave, n_pairs, r``: one row per scale and later wave; ``r`` is Pearson's
        correlation over the ``n_pairs`` respondents with a score in both waves (NaN with fewer
        than 3 pairs or a constant score).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace as NS
    >>> study = NS(waves=(NS(id="t0", role="baseline"), NS(id="t1", role="post")),
    ...            instruments=(NS(scales=(NS(id="s"),)),))
    >>> panel = pd.DataFrame({"respondent_id": [1, 2, 3, 1, 2, 3], "wave": ["t0"] * 3 + ["t1"] * 3,
    ...                       "s": [1.0, 2.0, 3.0, 1.5, 2.5, 3.0]})
    >>> prepost_correlations(panel, study).round(3).values.tolist()
    [['s', 't1', 3, 0.982]]
    """
    baseline = next(w.id for w in study.waves if w.role == "baseline")
    scales = [s.id for inst in study.instruments for s in inst.scales if s.id in panel.columns]
    rows = []
    base = panel[panel["wave"] == baseline].drop_duplicates(id_column, keep="last")
    base = base.set_index(id_column)
    for wave in [w.id for w in study.waves if w.id != baseline]:
        later = panel[panel["wave"] == wave].drop_duplicates(id_column, keep="last")
        later = later.set_index(id_column)
        both = base.index.intersection(later.index)
        for scale in scales:
            x = base.loc[both, scale].to_numpy(float)
            y = later.loc[both, scale].to_numpy(float)
            ok = ~np.isnan(x) & ~np.isnan(y)
            rows.append((scale, wave, int(ok.sum()), _pearson(x[ok], y[ok])))
    return pd.DataFrame(rows, columns=LINKAGE_COLUMNS)


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 3 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def linkage_check(correlations: pd.DataFrame, *, file: str = "(study)",
                  threshold: float = LINKAGE_THRESHOLD, min_pairs: int = LINKAGE_MIN_PAIRS
                  ) -> list[Problem]:
    """A warning when the pre-post correlations of the scales are near zero (median below
    ``threshold``).

    Parameters
    ----------
    correlations : DataFrame
        As :func:`prepost_correlations` returns it.
    file : str
        What to name in the warning.
    threshold, min_pairs : float, int
        See the module docstring.

    Returns
    -------
    list of Problem
        Empty, or one warning naming the scales, their correlations and numbers of pairs.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"scale": ["a", "b"], "wave": ["t1", "t1"], "n_pairs": [50, 50],
    ...                   "r": [0.04, -0.02]})
    >>> linkage_check(c)[0].message[:60]
    'pre-post correlations of the 2 scales are near zero (median '
    >>> linkage_check(c.assign(r=[0.5, -0.02]))
    []
    """
    judged = correlations[(correlations["n_pairs"] >= min_pairs) & correlations["r"].notna()]
    if judged.empty or judged["r"].median() >= threshold:
        return []
    shown = "; ".join(f"{r.scale} ({r.wave}) r = {r.r:.2f} over {r.n_pairs} pairs"
                      for r in judged.head(6).itertuples())
    return [Problem(
        file, "respondent ids between waves", f"pre-post correlations of the "
        f"{judged['scale'].nunique()} scales are near zero (median r = "
        f"{judged['r'].median():.2f}): respondents may be linked wrongly "
        "between waves (ids renumbered or reused, the wrong id column, another "
        "pseudonymisation key)", found=shown + ("; ..." if len(judged) > 6 else ""),
        expected=f"correlations of {threshold} or more for scales measured twice in the same "
        "people (usually 0.4 to 0.8)", severity="warning")]


def linkage_from_answers(frames: list[pd.DataFrame], study, *, file: str = "(study)"
                         ) -> tuple[pd.DataFrame, list[Problem]]:
    """:func:`prepost_correlations` and :func:`linkage_check` on validated wave files.

    ``frames`` are wave files as :func:`~evaltools.data.validation.validate_table` returns
    them (``respondent_key``, ``wave`` and the item columns), before pseudonymisation, as
    ``evaltools validate --data`` sees them. Nothing is stored.
    """
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame(columns=LINKAGE_COLUMNS), []
    answers = pd.concat(frames, ignore_index=True)
    scored = score_table(answers, study, keys=["respondent_key", "wave"])
    correlations = prepost_correlations(scored, study, id_column="respondent_key")
    return correlations, linkage_check(correlations, file=file)

"""Disclosure control: which cells may be published, for every artefact alike.

Two rules, applied before anything leaves evaltools (report HTML and tables, register rows):

* **Primary suppression**: a cell counting 1 to (minimum cell size - 1) respondents is not
  published, nor any statistic computed from it (a count of 0 is published: it discloses
  nobody).
* **Complementary (secondary) suppression**: results are published per site and for all sites
  together, so a suppressed site could be recovered by subtraction (the "all sites" count or
  mean minus the other sites'). Whenever a site's cell is suppressed, further sites are
  suppressed with it, smallest first, until the suppressed sites together count at least the
  minimum cell size; if even all sites together do not, the "all sites" cell goes too. The
  decision is made once per study from the whole panel, so that every report (one per site,
  and one for all sites) suppresses the same cells.

:func:`suppress_frame` applies the primary rule to any published table by its count columns
(``n`` and ``n_*``), blanking every statistic in a suppressed row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.analysis.effects.common import paired
from evaltools.analysis.effects.crosssection import REPEATED_CROSS_SECTION
from evaltools.study.model import Study

__all__ = ["complementary", "complement_values", "hidden_cells", "flow_hidden",
           "suppress_frame", "count_columns", "KEEP_COLUMNS", "HIDDEN_COLUMNS", "NOT_RESPONDENTS"]

#: Numeric columns that describe a row rather than measure respondents (never blanked).
KEEP_COLUMNS = frozenset({"ci_level", "min_cell_size", "follow_up_months", "wave_order", "k",
                          "q_df", "order", "rows", "alpha_level"})
HIDDEN_COLUMNS = ["scale", "group", "site", "n", "primary", "hidden"]


def complementary(counts: pd.Series, k: int) -> set:
    """The labels of ``counts`` (one per site) to suppress, primary and complementary.

    Parameters
    ----------
    counts : Series
        Count per site (index: site ids), for one cell (scale x group, or a flow stage).
    k : int
        The minimum cell size.

    Returns
    -------
    set
        Sites with 1 to k-1, plus the smallest further sites (with a count above 0) until the
        suppressed total reaches ``k``; ``"all"`` is added when even every site together stays
        below ``k``.

    Examples
    --------
    >>> sorted(complementary(pd.Series({"a": 3, "b": 40, "c": 25}), 10))
    ['a', 'c']
    >>> sorted(complementary(pd.Series({"a": 12, "b": 40}), 10))
    []
    >>> sorted(complementary(pd.Series({"a": 3, "b": 4}), 10))
    ['a', 'all', 'b']
    """
    counts = counts.astype(float)
    hidden = complement_values(counts, set(counts.index[(counts >= 1) & (counts < k)]), k)
    if hidden and float(counts[list(hidden)].sum()) < k:
        hidden.add("all")
    return hidden


def complement_values(counts: pd.Series, small: set, k: int) -> set:
    """The values to suppress: ``small``, plus the smallest further values (with a count
    above 0) until the suppressed values together count at least ``k``.

    Examples
    --------
    >>> sorted(complement_values(pd.Series({"a": 3, "b": 40, "c": 25}), {"a"}, 10))
    ['a', 'c']
    >>> complement_values(pd.Series({"a": 30, "b": 40}), set(), 10)
    set()
    """
    hidden = set(small)
    if not hidden:
        return hidden
    # on arrays (called for every cell of every report: pandas' selection and sorting of a
    # handful of counts took a millisecond); the order is pandas' sort_values' (quicksort)
    labels = list(counts.index)
    values = counts.to_numpy(dtype=float, na_value=np.nan)
    where = {label: i for i, label in enumerate(labels)}
    total = float(np.nansum(values[[where[v] for v in hidden]]))
    others = np.array([i for i, label in enumerate(labels)
                       if values[i] > 0 and label not in hidden], dtype=int)
    for i in others[np.argsort(values[others], kind="quicksort")]:
        if total >= k:
            break
        hidden.add(labels[i])
        total += float(values[i])
    return hidden


def hidden_cells(panel: pd.DataFrame, study: Study, *, post: str) -> pd.DataFrame:
    """Per scale, group and site: respondents with both waves, and whether the cell is hidden.

    Parameters
    ----------
    panel : DataFrame
        The whole study's panel (all sites): the decision must be the same in every report.
    study : Study
    post : str
        The later wave.

    Returns
    -------
    DataFrame
        :data:`HIDDEN_COLUMNS`; ``primary`` for 1 to k-1 respondents, ``hidden`` for primary
        and complementary suppression (``site = "all"`` rows only where the total is hidden).
        In a repeated cross-section nobody is paired: a cell counts the respondents with a
        score at the baseline or at ``post``, whichever is fewer (each wave's mean is shown).
    """
    k = study.min_cell_size
    sites = [s.id for s in study.sites]
    unpaired = study.design == REPEATED_CROSS_SECTION
    rows = []
    for inst in study.instruments:
        for scale in inst.scales:
            if unpaired:
                scored = panel[panel[scale.id].notna()]
                per_wave = [scored[scored["wave"] == w].groupby(["group", "site"]).size()
                            for w in (study.baseline.id, post)]
            else:
                pairs = paired(panel, scale.id, study.baseline.id, post)
            for group in [g.id for g in study.groups]:
                if unpaired:
                    counts = pd.concat([
                        c[c.index.get_level_values("group") == group].droplevel("group")
                        .reindex(sites, fill_value=0) for c in per_wave], axis=1).min(axis=1)
                else:
                    counts = (pairs[pairs["group"] == group]["site"].value_counts()
                              .reindex(sites, fill_value=0))
                hide = complementary(counts, k)
                rows += [(scale.id, group, site, int(n), 1 <= n < k, site in hide)
                         for site, n in counts.items()]
                total = int(counts.sum()) if not unpaired else int(min(
                    c[c.index.get_level_values("group") == group].sum() for c in per_wave))
                rows.append((scale.id, group, "all", total, 1 <= total < k, "all" in hide))
    return pd.DataFrame(rows, columns=HIDDEN_COLUMNS)


def flow_hidden(flow: pd.DataFrame, k: int) -> set[tuple[str, str, str]]:
    """(site, group, wave) blocks of a participant flow whose wave-specific counts are hidden.

    Within a block, enrolled minus completers gives the dropouts, and completers plus
    non-starters the measured; so when one of a wave's counts is suppressed, all of that
    wave's counts in the block are. Across sites, the same complementary rule as for means.
    """
    waves = flow.dropna(subset=["wave"])
    stages = waves[waves["stage"].isin(["completer", "dropout", "non_starter"])]
    hidden: set[tuple[str, str, str]] = set()
    for (group, wave, _stage), part in stages.groupby(["group", "wave", "stage"]):
        per_site = part[part["site"] != "all"].set_index("site")["n"]
        for site in complementary(per_site, k):
            hidden.add((site, group, wave))
    return hidden


#: ``n_*`` columns that count no respondents (clusters, sites, items, waves, simulations): a
#: count of 4 intervention neighbourhoods or 5 items discloses nobody and blanks no row.
NOT_RESPONDENTS = frozenset({"n_clusters", "n_clusters_intervention", "n_clusters_comparison",
                             "n_sites", "n_items", "n_reversed", "n_waves", "n_outcomes",
                             "n_sims", "n_failed", "n_params", "n_targets"})


def count_columns(frame: pd.DataFrame) -> list[str]:
    """The columns that count respondents: ``n`` and ``n_*`` but :data:`NOT_RESPONDENTS`."""
    return [c for c in frame.columns if (c == "n" or c.startswith("n_"))
            and c not in NOT_RESPONDENTS and pd.api.types.is_numeric_dtype(frame[c])]


def suppress_frame(frame: pd.DataFrame, min_cell_size: int) -> pd.DataFrame:
    """``frame`` with every row that counts 1 to k-1 respondents blanked (primary rule).

    In such a row the small counts and every numeric statistic (all numeric columns except
    :data:`KEEP_COLUMNS`) become NaN, and ``suppressed`` is True (the column is added when
    missing). Rows already marked ``suppressed`` are blanked as well. A frame without count
    columns is returned unchanged apart from honouring ``suppressed``.
    """
    counts = count_columns(frame)
    if not counts and "suppressed" not in frame.columns:
        return frame.copy()
    # on arrays: a report keeps and writes a dozen tables, each passing here (pandas'
    # conversions, masks and .loc assignment took 2 to 10 ms a table)
    small = np.zeros(len(frame), dtype=bool)
    for c in counts:
        values = frame[c].to_numpy(dtype=float, na_value=np.nan)
        small |= (values >= 1) & (values < min_cell_size)
    if "suppressed" in frame.columns:
        small |= frame["suppressed"].fillna(False).astype(bool).to_numpy()
    stats = [c for c, dtype in frame.dtypes.items() if pd.api.types.is_numeric_dtype(dtype)
             and not pd.api.types.is_bool_dtype(dtype) and c not in KEEP_COLUMNS]
    if not small.any() or not stats or frame.columns.has_duplicates:
        out = frame.copy()
        if small.any():
            for c in stats:  # a copy: an Arrow column's array is read-only
                out[c] = out[c].to_numpy(dtype=float, na_value=np.nan, copy=True)
            out.loc[small, stats] = np.nan
        out["suppressed"] = small
        return out
    blanked = frame[stats].to_numpy(dtype=float, na_value=np.nan, copy=True)
    blanked[small] = np.nan
    position = {c: i for i, c in enumerate(stats)}
    columns = {c: blanked[:, position[c]] if c in position else frame[c]
               for c in frame.columns}
    columns["suppressed"] = small
    return pd.DataFrame(columns, index=frame.index)

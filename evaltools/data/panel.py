"""The panel: ingested waves matched by pseudonym, scored, with participant flow and attrition.

Terms of Dutch routine outcome monitoring, for each wave *w* after the baseline:

* **completer**: measured at the baseline and at *w*;
* **dropout**: measured at the baseline, not at *w*;
* **non-starter**: measured at *w*, not at the baseline.

Someone who never took part appears in no file, so non-responders cannot be counted from the
data; report them from the enrolment register.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.core.errors import EvaltoolsError
from evaltools.data.store import Manifest, read_part
from evaltools.instruments.scoring import score_table
from evaltools.study.load import load_study
from evaltools.study.model import Study

__all__ = ["load_responses", "load_panel", "participant_flow", "attrition", "check_panel",
           "PANEL_KEYS", "FLOW_COLUMNS", "ATTRITION_COLUMNS", "NothingIngestedError",
           "PanelError", "measured"]

#: The panel contract: the key columns every analysis needs (then one column per scale).
PANEL_KEYS = ["respondent_id", "site", "group", "wave", "wave_order"]

FLOW_COLUMNS = ["site", "group", "stage", "wave", "n"]
ATTRITION_COLUMNS = ["group", "scale", "wave", "n_completers", "mean_completers",
                     "sd_completers", "n_dropouts", "mean_dropouts", "sd_dropouts", "difference",
                     "std_difference", "statistic", "df", "p_value"]


class NothingIngestedError(EvaltoolsError):
    """The study has no accepted wave files in its store yet."""


class PanelError(EvaltoolsError):
    """A panel (from :func:`load_panel` or built by hand) breaks the panel contract."""


def check_panel(panel: pd.DataFrame, study: Study | None = None,
                columns: Sequence[str] = (), *, keys: bool = True) -> None:
    """Check the panel contract; every problem is listed in one error.

    A panel has one row per respondent and wave with the columns :data:`PANEL_KEYS`
    (``respondent_id, site, group, wave, wave_order``), then one numeric column per scale.
    With ``study``: groups and waves are the study's, ``wave_order`` is each wave's ``order``
    in study.yml, and no respondent has two rows for one wave.

    Parameters
    ----------
    panel : DataFrame
        From :func:`load_panel`, or built by hand.
    study : Study, optional
    columns : list of str
        Further columns the caller needs (scales, subgroups, covariates).
    keys : bool
        ``False`` checks only ``columns`` (present, numeric), for a panel whose keys, groups,
        waves and rows passed this check before and have not changed since.

    Raises
    ------
    PanelError
        Naming each missing column, unknown group or wave value, wrong ``wave_order`` and
        doubled respondent-wave row, and how to add ``wave_order`` to a hand-built panel.

    Examples
    --------
    >>> hand_built = pd.DataFrame({"respondent_id": ["a"], "site": ["s"], "group": ["g"],
    ...                            "wave": ["t0"]})
    >>> check_panel(hand_built)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evaltools.data.panel.PanelError: the panel breaks ...: it lacks the column(s) ['wave_order'] ...
    """
    if not isinstance(panel, pd.DataFrame):
        raise PanelError(f"the panel must be a pandas DataFrame; got {type(panel).__name__}")
    problems = []
    missing = [c for c in dict.fromkeys([*(PANEL_KEYS if keys else ()), *columns])
               if c not in panel.columns]
    if missing:
        text = f"it lacks the column(s) {missing}"
        if "wave_order" in missing:
            text += (" (a hand-built panel can add it with panel['wave_order'] = "
                     "panel['wave'].map({w.id: w.order for w in study.waves}))")
        problems.append(text)
    if study is not None and keys:
        for column, known in (("group", [g.id for g in study.groups]),
                              ("wave", [w.id for w in study.waves])):
            if column in panel.columns:
                odd = sorted({str(v) for v in pd.unique(panel[column].dropna())} - set(known))
                if odd:
                    problems.append(f"it has {column} values {odd} that study {study.id!r} "
                                    f"does not define ({', '.join(known)})")
        if {"wave", "wave_order"} <= set(panel.columns):
            order = panel["wave"].map({w.id: w.order for w in study.waves})
            wrong = panel["wave_order"].notna() & order.notna() & (panel["wave_order"] != order)
            if wrong.any():
                row = panel.loc[wrong].iloc[0]
                problems.append(f"wave_order {row['wave_order']} for wave {str(row['wave'])!r} "
                                f"(row {panel.index[wrong][0]!r}; {int(wrong.sum())} row(s) in "
                                f"all) is not that wave's order in study.yml "
                                f"({int(order[wrong].iloc[0])})")
    if keys and {"respondent_id", "wave"} <= set(panel.columns):
        twice = panel.duplicated(["respondent_id", "wave"])
        if twice.any():
            row = panel.loc[twice].iloc[0]
            rows = int(((panel["respondent_id"] == row["respondent_id"])
                        & (panel["wave"] == row["wave"])).sum())
            problems.append(f"respondent {row['respondent_id']!r} has {rows} rows for wave "
                            f"{row['wave']!r} ({int(twice.sum())} doubled row(s) in all); "
                            "expected one row per respondent and wave")
    for column in columns:
        if column in panel.columns and column not in PANEL_KEYS \
                and panel[column].dtype == object:
            values = pd.to_numeric(panel[column], errors="coerce")
            bad = values.isna() & panel[column].notna()
            if bad.any():
                problems.append(f"column {column!r} holds non-numeric values such as "
                                f"{panel.loc[bad, column].iloc[0]!r} (row "
                                f"{panel.index[bad][0]!r})")
    if problems:
        raise PanelError("the panel breaks the panel contract: " + "; ".join(problems)
                         + ". Build it with evaltools.load_panel, or see the README section "
                         "'The panel, participant flow and attrition'")


def _study(study: Study | str) -> Study:
    return study if isinstance(study, Study) else load_study(study)


def load_responses(study: Study | str, *, sources: bool = False) -> pd.DataFrame:
    """Every accepted, pseudonymised questionnaire of the study, one row per respondent and wave.

    Parameters
    ----------
    study : Study or str
    sources : bool
        Keep ``source_file`` and ``source_row`` (where each row came from).

    Returns
    -------
    DataFrame
        ``respondent_id`` (the pseudonym), ``site, group, wave, submitted_at``, the subgroup
        columns, one column per item (answers as given: missing codes kept), and with
        ``sources`` the source columns. A respondent found in two files of one wave is kept
        once, by the study's duplicates policy (latest submission for ``keep_last``).

    Raises
    ------
    NothingIngestedError
        If no wave file has been accepted yet.
    """
    study = _study(study)
    stamps = stored_parts(study)
    frame = _read_parts(study.folder, stamps).copy()
    keep = "first" if study.data.duplicates == "keep_first" else "last"
    frame = (frame.sort_values(["submitted_at", "source_file", "source_row"],
                               na_position="first", kind="stable")
             .drop_duplicates(["respondent_id", "wave"], keep=keep))
    order = {w.id: w.order for w in study.waves}
    frame = frame.assign(_o=frame["wave"].map(order)).sort_values(
        ["_o", "site", "respondent_id"], kind="stable").drop(columns="_o")
    if not sources:
        frame = frame.drop(columns=["source_file", "source_row"])
    return frame.reset_index(drop=True)


def stored_parts(study: Study) -> tuple[tuple[str, int], ...]:
    """The study's accepted stored parts and their modification times (a part is rewritten,
    never changed in place): what :func:`load_responses` reads, as a key for caches.

    Raises
    ------
    NothingIngestedError
        If no wave file has been accepted yet.
    """
    manifest = Manifest.load(study.store_dir, study.id)
    parts = [r.part for r in sorted(manifest.files.values(), key=lambda r: r.path)
             if r.status == "accepted" and r.part]
    if not parts:
        raise NothingIngestedError(f"study {study.id!r} has no ingested wave files yet; run "
                                   f"'evaltools ingest {study.folder.name}' first")
    return tuple((p, (study.folder / p).stat().st_mtime_ns) for p in parts)


@functools.lru_cache(maxsize=4)
def _read_parts(folder, stamps: tuple[tuple[str, int], ...]) -> pd.DataFrame:
    """The stored parts, concatenated, cached by path and modification time (a part is
    rewritten, never changed in place): a warm kernel re-uses them across reports."""
    return pd.concat([read_part(folder, p) for p, _ in stamps], ignore_index=True)


def load_panel(study: Study | str) -> pd.DataFrame:
    """Scale scores per respondent and wave: the analysis panel.

    Returns
    -------
    DataFrame
        ``respondent_id, site, group, wave, wave_order, submitted_at``, the subgroup columns,
        the covariate columns (``analysis.covariates``), then one column per scale of the
        study's instruments (the score as defined by the instrument: converted where it
        defines a conversion).
    """
    study = _study(study)
    responses = load_responses(study)
    keys = ["respondent_id", "site", "group", "wave", "submitted_at",
            *[s.column for s in study.subgroups],
            *[c for c in study.analysis.covariates
              if c not in {s.column for s in study.subgroups}]]
    panel = score_table(responses, study, keys=keys)
    panel.insert(4, "wave_order", panel["wave"].map({w.id: w.order for w in study.waves}))
    return panel


def measured(panel: pd.DataFrame, study: Study) -> pd.Series:
    """Whether each panel row counts as measured: at least one scale has a score.

    The one definition of "measured" that the participant flow, attrition and every analysis
    share: a row whose answers were all missing (blank, or declared missing codes such as
    "weet niet") scores no scale and does not count, so the flow's completers equal the
    respondents the analyses can use.
    """
    scales = [s.id for inst in study.instruments for s in inst.scales if s.id in panel.columns]
    if not scales:
        return pd.Series(False, index=panel.index)
    return panel[scales].notna().any(axis=1)


def _presence(panel: pd.DataFrame, study: Study) -> pd.DataFrame:
    panel = panel[measured(panel, study)]
    flags = (panel.assign(_present=True)
             .pivot_table(index=["respondent_id"], columns="wave", values="_present",
                          aggfunc="any", fill_value=False))
    for wave in study.waves:
        if wave.id not in flags.columns:
            flags[wave.id] = False
    first = panel.sort_values("wave_order").drop_duplicates("respondent_id")
    flags = flags.join(first.set_index("respondent_id")[["site", "group"]])
    return flags.reset_index()


def participant_flow(panel: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Participant flow per site and group, and for all sites together (``site = "all"``).

    Returns
    -------
    DataFrame
        ``site, group, stage, wave, n`` with stages ``enrolled`` (wave missing), ``measured``
        (per wave), and per wave after the baseline ``completer``, ``dropout`` and
        ``non_starter``. A respondent is counted in the site and group of their first wave.
    """
    check_panel(panel, study)
    flags = _presence(panel, study)
    base = study.baseline.id
    later = [w.id for w in study.waves if w.id != base]
    rows = []
    for site_key, site_block in [*flags.groupby("site", sort=False), ("all", flags)]:
        for group in [g.id for g in study.groups]:
            block = site_block[site_block["group"] == group]
            rows.append((site_key, group, "enrolled", None, len(block)))
            for wave in study.waves:
                rows.append((site_key, group, "measured", wave.id, int(block[wave.id].sum())))
            for wave in later:
                b, w = block[base], block[wave]
                rows += [(site_key, group, "completer", wave, int((b & w).sum())),
                         (site_key, group, "dropout", wave, int((b & ~w).sum())),
                         (site_key, group, "non_starter", wave, int((~b & w).sum()))]
    out = pd.DataFrame(rows, columns=FLOW_COLUMNS)
    out["wave"] = out["wave"].astype("string")
    return out


def attrition(panel: pd.DataFrame, study: Study, *, wave: str | None = None) -> pd.DataFrame:
    """Do dropouts differ from completers at baseline? Per group and scale.

    Parameters
    ----------
    panel : DataFrame
        From :func:`load_panel`.
    study : Study
    wave : str, optional
        The wave that defines completing (default: the first wave after the baseline).

    Returns
    -------
    DataFrame
        ``group, scale, wave, n_completers, mean_completers, sd_completers, n_dropouts,
        mean_dropouts, sd_dropouts, difference, std_difference, statistic, df, p_value``:
        baseline scores of those measured again at ``wave`` and of those who were not;
        ``difference`` is dropouts minus completers, ``std_difference`` that difference over
        the pooled SD (Cohen's d), and the test is Welch's t-test. Groups are the study's
        groups and ``all``.

    Notes
    -----
    Checked against R ``t.test(dropouts, completers)`` (Welch) and
    ``effectsize::cohens_d(dropouts, completers)`` (values in ``tests/reference/``).
    """
    later = [w.id for w in study.waves if w.id != study.baseline.id]
    wave = wave or later[0]
    if wave not in later:
        raise KeyError(f"wave {wave!r} is not a wave after the baseline; waves: {later}")
    scales = [s.id for inst in study.instruments for s in inst.scales]
    check_panel(panel, study, scales)
    flags = _presence(panel, study).set_index("respondent_id")
    baseline = panel[panel["wave"] == study.baseline.id].set_index("respondent_id")
    completed = flags.loc[baseline.index, wave].to_numpy()
    rows = []
    for group in [g.id for g in study.groups] + ["all"]:
        in_group = np.ones(len(baseline), bool) if group == "all" else \
            (baseline["group"] == group).to_numpy()
        for scale in scales:
            values = baseline[scale].to_numpy(dtype=float)
            comp = values[in_group & completed & ~np.isnan(values)]
            drop = values[in_group & ~completed & ~np.isnan(values)]
            rows.append((group, scale, wave, *_compare(comp, drop)))
    return pd.DataFrame(rows, columns=ATTRITION_COLUMNS)


def _compare(comp: np.ndarray, drop: np.ndarray) -> tuple:
    n1, n2 = len(comp), len(drop)
    m1 = comp.mean() if n1 else np.nan
    m2 = drop.mean() if n2 else np.nan
    s1 = comp.std(ddof=1) if n1 > 1 else np.nan
    s2 = drop.std(ddof=1) if n2 > 1 else np.nan
    diff = m2 - m1
    if n1 > 1 and n2 > 1 and (s1 > 0 or s2 > 0):
        pooled = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2))
        test = stats.ttest_ind(drop, comp, equal_var=False)
        se2 = s1**2 / n1 + s2**2 / n2
        df = se2**2 / ((s1**2 / n1) ** 2 / (n1 - 1) + (s2**2 / n2) ** 2 / (n2 - 1))
        return (n1, m1, s1, n2, m2, s2, diff, diff / pooled, float(test.statistic), float(df),
                float(test.pvalue))
    return (n1, m1, s1, n2, m2, s2, diff, np.nan, np.nan, np.nan, np.nan)

"""A study's results as register rows: per site and for the whole study, per scale and wave."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from evaltools.analysis.disclosure import hidden_cells
from evaltools.analysis.effects.common import keep_pairs, later_waves, scale_info
from evaltools.analysis.evidence import study_evidence
from evaltools.analysis.synthesis import site_effects, study_effects
from evaltools.core.version import __version__
from evaltools.data.panel import load_panel
from evaltools.register.columns import COLUMN_NAMES
from evaltools.register.database import result_id
from evaltools.register.fingerprint import inputs_fingerprint

#: inputs_fingerprint lives in :mod:`evaltools.register.fingerprint` (no pandas) and stays
#: importable from here.
__all__ = ["collect", "inputs_fingerprint", "intervention_name"]


def intervention_name(study, intervention: str, comparison: str) -> str:
    """The register's intervention name for one contrast: study.yml's name, followed in a
    study with several intervention arms by the arm's label, and with several comparison arms
    by "vs." the comparison's label (in the study's language), so that no arm is pooled with
    another in the overview."""
    label = {g.id: g.label.get(study.language) for g in study.groups}
    parts = []
    if len(study.arms("intervention")) > 1:
        parts.append(label.get(intervention, intervention))
    if len(study.arms("comparison")) > 1 and comparison:
        parts.append(f"vs. {label.get(comparison, comparison)}")
    return study.intervention + (f" ({' '.join(parts)})" if parts else "")


def collect(study, panel: pd.DataFrame | None = None, *, ci_level: float = 0.95,
            recorded_at: str | None = None) -> pd.DataFrame:
    """Register rows for every later wave with data, every scale, every site and the study.

    Site rows carry the site's own effect (the input of a site synthesis); study rows
    (``site = "all"``) the whole study's effect with the indicative WWC rating and ladder
    rung. A study with several arms gives one row per contrast (every intervention arm
    against every comparison arm: ``arm``, ``comparison_arm``, and the arm in the
    intervention's name, :func:`intervention_name`). Cells below the study's minimum cell
    size are left out, never stored.

    Returns
    -------
    DataFrame
        The register's columns (:data:`evaltools.register.columns.COLUMN_NAMES`).
    """
    # a panel loaded here changes no more: its pairs are computed once for all the analyses
    panel = keep_pairs(load_panel(study)) if panel is None else panel
    fingerprint = inputs_fingerprint(study)
    stamp = recorded_at or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    waves_with_data = set(panel["wave"].unique())
    names = {s.id: s.name for s in study.sites}
    several = len(study.contrasts) > 1
    rows = []
    for post in later_waves(study):
        if post not in waves_with_data:
            continue
        # the cells disclosure control hides (primary and complementary) are never stored
        hidden = hidden_cells(panel, study, post=post)
        hidden = set(zip(hidden.loc[hidden["hidden"], "scale"],
                         hidden.loc[hidden["hidden"], "site"], strict=True))
        per_site = site_effects(panel, study, post=post, ci_level=ci_level)
        whole = study_effects(panel, study, post=post, ci_level=ci_level)
        rating = study_evidence(panel, study, post=post, effects=whole).set_index(
            ["scale", "intervention", "comparison"])
        for frame, is_study in ((per_site, False), (whole, True)):
            for r in frame.itertuples():
                if r.note or not np.isfinite(r.se) or r.se <= 0 or (r.scale, r.site) in hidden:
                    continue
                inst, scale = scale_info(study, r.scale)
                ev = rating.loc[(r.scale, r.intervention, r.comparison)]
                row = dict(
                    organisation=study.evidence.organisation or "", study=study.id,
                    intervention=intervention_name(study, r.intervention, r.comparison),
                    site=r.site,
                    protective_factor=inst.protective_factor,
                    instrument=f"{inst.id} {inst.version}", scale=r.scale,
                    direction=scale.direction, design=study.design, wave_pre=r.wave_pre,
                    wave_post=r.wave_post,
                    follow_up_months=float(ev["follow_up_months"]),
                    method="diff_in_diff" if study.has_comparison else "within_change",
                    n=int(r.n), n_intervention=int(r.n_intervention),
                    n_comparison=None if pd.isna(r.n_comparison) else int(r.n_comparison),
                    min_cell_size=study.min_cell_size, effect_size=float(r.effect_size),
                    effect_size_type=r.effect_size_type, se=float(r.se),
                    ci_low=float(r.ci_low), ci_high=float(r.ci_high), ci_level=ci_level,
                    p_value=float(r.p_value),
                    wwc_rating=ev["wwc_rating"] if is_study else "",
                    evidence_level=ev["level"] if is_study else "",
                    well_described=study.evidence.well_described,
                    well_founded=study.evidence.well_founded,
                    inputs_fingerprint=fingerprint, evaltools_version=__version__,
                    recorded_at=stamp, site_name=names.get(r.site, ""),
                    arm=r.intervention if several else None,
                    comparison_arm=(r.comparison or None) if several else None,
                    scale_label_nl=_label(scale.label.get("nl")),
                    scale_label_en=_label(scale.label.get("en")))
                row["result_id"] = result_id(row)
                rows.append(row)
    return pd.DataFrame(rows, columns=COLUMN_NAMES)


def _label(text) -> str | None:
    """A scale's name as a register text (at most the column's 200 characters)."""
    text = str(text or "").strip()[:200]
    return text or None

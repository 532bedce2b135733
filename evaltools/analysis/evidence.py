"""Indicative evidence classification: the WWC-style rating and the Dutch recognition ladder.

Both are **indicative**. Only the Erkenningscommissie Interventies recognises interventions,
and only a WWC reviewer rates a study; evaltools applies their published rules mechanically
to what it can see in the data, and spells out every reason so that a reader can check it.

Criteria used
-------------
- WWC: What Works Clearinghouse, *Procedures and Standards Handbook, Version 5.0* (2022):
  attrition boundaries (table II.1, :data:`evaltools.analysis.effects.WWC_BOUNDARIES`), baseline
  equivalence (|g| <= 0.05 satisfied; 0.05-0.25 satisfied only with statistical adjustment;
  > 0.25 not satisfied), and the ratings: a randomised study with low attrition can meet
  standards without reservations; a randomised study with high attrition, or a
  quasi-experiment, can at best meet standards with reservations, and only when it shows
  baseline equivalence.
- Recognition ladder: Erkenningscommissie Interventies (NJi, Movisie, RIVM Centrum Gezond
  Leven), *Erkenningscriteria* and the summary "Niveaus en criteria voor beoordeling" of Loket
  Gezond Leven: goed beschreven, goed onderbouwd, and effectief at three levels: eerste
  aanwijzingen (change in line with the goals, e.g. a pre-post study), goede aanwijzingen (better
  than a comparison group: at least one controlled study) and sterke aanwijzingen (at least two
  controlled studies, or one whose effect lasts at least six months after the intervention
  ended). An intervention that turns out to work adversely is not recognised. The counting
  rules are in :data:`LADDER_RULES`; the committee weighs study quality in ways no program
  can, which is why every label says "indicative".
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from evaltools.analysis.effects import baseline_equivalence, wwc_attrition
from evaltools.analysis.effects.common import (
    AnalysisError,
    check_wave,
    later_waves,
    paired,
    scale_info,
)
from evaltools.analysis.synthesis import study_effects
from evaltools.core.i18n import number, t

__all__ = ["wwc_rating", "recognition_level", "study_evidence", "classify_register",
           "LADDER", "WWC_RATINGS", "LADDER_RULES", "EVIDENCE_COLUMNS",
           "CLASSIFICATION_COLUMNS"]

WWC_RATINGS = ("meets_without_reservations", "meets_with_reservations", "does_not_meet",
               "not_applicable")
#: The recognition ladder, lowest first ("not_assessed": the prerequisites were not declared).
LADDER = ("not_assessed", "goed_beschreven", "goed_onderbouwd", "eerste_aanwijzingen",
          "goede_aanwijzingen", "sterke_aanwijzingen")
#: The counting rules for the "effectief" levels (see the module docstring for the source).
LADDER_RULES = {"strong_min_controlled": 2, "strong_follow_up_months": 6.0,
                "good_min_controlled": 1, "alpha": 0.05, "relevant_effect": 0.2}


def _equivalence(baseline_effect: float | None, adjusted: bool, language: str
                 ) -> tuple[bool, str]:
    if baseline_effect is None or not np.isfinite(baseline_effect):
        return False, t("ev.eq_unknown", language)
    g = abs(baseline_effect)
    shown = number(g, language, 3)
    if g <= 0.05:
        return True, t("ev.eq_ok", language, g=shown)
    if g <= 0.25:
        if adjusted:
            return True, t("ev.eq_adjusted", language, g=shown)
        return False, t("ev.eq_needs", language, g=shown)
    return False, t("ev.eq_fail", language, g=shown)


def wwc_rating(design: str, *, attrition: tuple[int, int, int, int] | None = None,
               baseline_effect: float | None = None, adjusted: bool = False,
               boundary: str = "cautious", language: str = "en") -> dict:
    """The WWC-style study rating for one outcome, with its reasons.

    Parameters
    ----------
    design : {"randomised", "controlled", "pre_post"}
        ``controlled`` is a quasi-experiment (comparison group not assigned by lot).
    attrition : (randomised_intervention, analysed_intervention, randomised_comparison,
        analysed_comparison), optional
        Counts for a randomised study; without them attrition is treated as high.
    baseline_effect : float, optional
        Hedges' g (WWC) of the baseline difference in the analytic sample.
    adjusted : bool
        Whether the effect estimate adjusts for the baseline (ANCOVA, difference in
        differences, mixed model).
    boundary : {"cautious", "optimistic"}
        The WWC attrition boundary.
    language : {"en", "nl"}
        Language of the reasons.

    Returns
    -------
    dict
        ``rating`` (one of :data:`WWC_RATINGS`), ``attrition`` (``low``/``high``/NaN),
        ``overall_attrition``, ``differential_attrition`` (percent), ``reasons`` (list of
        sentences).
    """
    if design not in ("randomised", "controlled", "pre_post", "repeated_cross_section"):
        raise AnalysisError(f"design={design!r}: expected randomised, controlled, pre_post or "
                            "repeated_cross_section")
    out = {"rating": "", "attrition": np.nan, "overall_attrition": np.nan,
           "differential_attrition": np.nan, "reasons": []}
    reasons = out["reasons"]
    if design == "repeated_cross_section":  # a quasi-experiment on the baseline samples
        reasons.append(t("ev.cross_section", language))
        design = "controlled"
    if design == "pre_post":
        out["rating"] = "not_applicable"
        reasons.append(t("ev.pre_post", language))
        return out
    if design == "randomised":
        if attrition is None:
            reasons.append(t("ev.counts_unknown", language))
            level = "high"
        else:
            row = wwc_attrition(*attrition, boundary=boundary).iloc[0]
            level = row["attrition"]
            out.update(overall_attrition=row["overall"],
                       differential_attrition=row["differential"])
            reasons.append(t("ev.attrition", language,
                             overall=number(row["overall"], language, 1),
                             differential=number(row["differential"], language, 1),
                             level=t(f"ev.{level}", language),
                             boundary=t(f"ev.{boundary}", language),
                             limit=number(row["boundary"], language, 1)))
        out["attrition"] = level
        if level == "low":
            out["rating"] = "meets_without_reservations"
            reasons.append(t("ev.rct_low", language))
            return out
        reasons.append(t("ev.rct_high", language))
    else:
        reasons.append(t("ev.qed", language))
    equivalent, why = _equivalence(baseline_effect, adjusted, language)
    reasons.append(why)
    out["rating"] = "meets_with_reservations" if equivalent else "does_not_meet"
    return out


def _favourable(effect: float, direction: str) -> bool:
    return (effect > 0) == (direction == "higher_is_better")


def recognition_level(studies: pd.DataFrame, *, well_described: bool, well_founded: bool,
                      relevant_effect: float = LADDER_RULES["relevant_effect"],
                      alpha: float = LADDER_RULES["alpha"], language: str = "en") -> dict:
    """The indicative rung on the Dutch recognition ladder for one intervention and outcome.

    Parameters
    ----------
    studies : DataFrame
        One row per study of the intervention on this outcome, with columns ``study``,
        ``design``, ``wwc_rating``, ``effect_size`` (the comparative effect for controlled
        designs, the standardised change for pre-post), ``p_value``, ``direction``
        (``higher_is_better``/``higher_is_worse``) and ``follow_up_months`` (months after the
        end of the intervention at which the effect was measured; 0 at the post-test).
    well_described, well_founded : bool
        Declared by the user (study.yml ``evidence:``): evaltools cannot judge a description
        or a theory of change.
    relevant_effect : float
        The smallest standardised effect counted as relevant (default 0.2, a small effect).

    Returns
    -------
    dict
        ``level`` (one of :data:`LADDER`), ``indicative`` (always True), ``k_studies``,
        ``k_controlled`` (controlled studies meeting WWC standards with a significant,
        relevant favourable effect), ``reasons``.
    """
    need = {"study", "design", "wwc_rating", "effect_size", "p_value", "direction",
            "follow_up_months"}
    missing = sorted(need - set(studies.columns))
    if missing:
        raise AnalysisError(f"recognition_level: columns {', '.join(missing)} are missing")
    reasons: list[str] = []
    out = {"level": "not_assessed", "indicative": True, "k_studies": int(
        studies["study"].nunique()), "k_controlled": 0, "reasons": reasons}
    if not well_described:
        reasons.append(t("ev.not_described", language))
        return out
    out["level"] = "goed_beschreven"
    if not well_founded:
        reasons.append(t("ev.not_founded", language))
        return out
    out["level"] = "goed_onderbouwd"
    # plain rows: a register holds one or a few studies per intervention and outcome, and
    # pandas' masks on them took 3 ms a call (a report rates every scale)
    named = sorted(need)
    rows = [SimpleNamespace(**dict(zip(named, values, strict=True)))
            for values in zip(*(studies[c].tolist() for c in named), strict=True)]
    rows = [r for r in rows if not (pd.isna(r.effect_size) or pd.isna(r.p_value))]
    adverse = [r.study for r in rows
               if r.p_value < alpha and not _favourable(r.effect_size, r.direction)]
    if adverse:
        reasons.append(t("ev.adverse", language, studies=", ".join(dict.fromkeys(adverse))))
        return out
    good = [r for r in rows if r.p_value < alpha and _favourable(r.effect_size, r.direction)
            and abs(r.effect_size) >= relevant_effect]
    controlled = [r for r in good if r.design in ("controlled", "randomised",
                                                  "repeated_cross_section")
                  and r.wwc_rating in WWC_RATINGS[:2]]
    k = len({r.study for r in controlled if not pd.isna(r.study)})
    out["k_controlled"] = k
    lasting = [r.follow_up_months for r in controlled
               if not pd.isna(r.follow_up_months)
               and r.follow_up_months >= LADDER_RULES["strong_follow_up_months"]]
    if k >= LADDER_RULES["strong_min_controlled"]:
        out["level"] = "sterke_aanwijzingen"
        reasons.append(t("ev.strong_two", language, k=k, alpha=number(alpha, language, 2),
                         relevant=number(relevant_effect, language, 2)))
    elif k >= LADDER_RULES["good_min_controlled"] and len(lasting):
        out["level"] = "sterke_aanwijzingen"
        reasons.append(t("ev.strong_lasting", language,
                         months=number(max(lasting), language, 1)))
    elif k >= LADDER_RULES["good_min_controlled"]:
        out["level"] = "goede_aanwijzingen"
        reasons.append(t("ev.good_one", language, months=number(
            LADDER_RULES["strong_follow_up_months"], language, 0)))
    elif len(good):
        out["level"] = "eerste_aanwijzingen"
        kinds = [t(f"design.{design}", language) for design in sorted({r.design for r in good})]
        reasons.append(t("ev.first", language, kinds="; ".join(kinds)))
    else:
        reasons.append(t("ev.none", language, alpha=number(alpha, language, 2),
                         relevant=number(relevant_effect, language, 2)))
    return out


EVIDENCE_COLUMNS = ["scale", "wave", "intervention", "comparison", "design", "effect_size",
                    "effect_size_type", "p_value", "direction", "follow_up_months",
                    "baseline_effect", "wwc_rating", "attrition", "overall_attrition",
                    "differential_attrition", "level", "reasons", "note"]


def _follow_up_months(study, wave: str) -> float:
    """Months between the post-test and ``wave`` (the post-test marks the intervention's end).

    Calendar months between the starts of the two waves' windows (whole months plus the
    remaining days over 30.44); 0 for the post-test itself or without windows.
    """
    post = next((w for w in study.waves if w.role == "post"), None)
    this = study.wave(wave)
    if post is None or post.start is None or this.start is None or this.role != "follow_up":
        return 0.0
    a, b = post.start, this.start
    months = 12 * (b.year - a.year) + (b.month - a.month) + (b.day - a.day) / 30.4375
    return round(months, 1)


def _attrition_counts(panel: pd.DataFrame, study, scale: str, post: str,
                      arms: tuple[str, str] | None = None
                      ) -> tuple[int, int, int, int] | None:
    """(randomised T, analysed T, randomised C, analysed C) for a randomised study.

    Randomised: study.yml ``evidence: randomised_counts`` when declared (only used with a
    single contrast: the counts are per role), else everyone with a baseline score; analysed:
    everyone with a score at baseline and at ``post``. ``arms``: the (intervention,
    comparison) pair; default all arms of each role.
    """
    if study.design != "randomised":
        return None

    pairs = paired(panel, scale, study.baseline.id, post)
    counts = []
    declared = (study.evidence.randomised_counts or {}) if len(study.contrasts) <= 1 else {}
    for index, role in enumerate(("intervention", "comparison")):
        ids = ({g.id for g in study.groups if g.role == role} if arms is None
               else {arms[index]})
        base = panel[(panel["wave"] == study.baseline.id) & panel["group"].isin(ids)
                     & panel[scale].notna()]
        randomised = declared.get(role, base["respondent_id"].nunique())
        analysed = int(pairs["group"].isin(ids).sum())
        counts += [int(randomised), min(analysed, int(randomised))]
    return tuple(counts)


def study_evidence(panel: pd.DataFrame, study, *, post: str | None = None,
                   language: str = "en", effects: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """Per scale and contrast: this study's WWC-style rating and its indicative ladder rung.

    The comparative effect is Morris's d_ppc2 from the difference in differences (adjusted
    for the baseline); a pre-post study uses g_av of the intervention group's change. For a
    randomised design, attrition counts come from :func:`_attrition_counts`. ``effects``:
    the study-level :func:`evaltools.analysis.synthesis.site_effects` rows when already computed.

    Returns
    -------
    DataFrame
        Columns :data:`EVIDENCE_COLUMNS`, one row per scale and contrast (every intervention
        arm against every comparison arm; ``comparison`` empty for a pre-post design);
        ``reasons`` joins the rating's and the ladder's reasons with "; ".
    """
    post = check_wave(study, post or later_waves(study)[0], role="post")
    if effects is None:  # every contrast; a cross-section's clusters stay apart (CR2)
        effects = study_effects(panel, study, post=post)
    keys = ["scale", "intervention", "comparison"]
    equivalence = (baseline_equivalence(panel, study, post=post).set_index(keys)
                   if study.has_comparison else None)
    months = _follow_up_months(study, post)
    rows = []
    for r in effects.itertuples():
        direction = scale_info(study, r.scale)[1].direction
        comparison = getattr(r, "comparison", "") or ""
        key = (r.scale, r.intervention, comparison)
        base = (equivalence["effect_size"].get(key, np.nan) if equivalence is not None
                else np.nan)
        arms = (r.intervention, comparison) if comparison else None
        rating = wwc_rating(study.design, baseline_effect=base,
                            attrition=_attrition_counts(panel, study, r.scale, post, arms),
                            adjusted=True, boundary=study.evidence.attrition_boundary,
                            language=language)
        facts = pd.DataFrame([{"study": study.id, "design": study.design,
                               "wwc_rating": rating["rating"], "effect_size": r.effect_size,
                               "p_value": r.p_value, "direction": direction,
                               "follow_up_months": months}])
        ladder = recognition_level(facts, well_described=study.evidence.well_described,
                                   well_founded=study.evidence.well_founded,
                                   relevant_effect=study.evidence.relevant_effect,
                                   language=language)
        rows.append(dict(scale=r.scale, wave=post, intervention=r.intervention,
                         comparison=comparison, design=study.design,
                         effect_size=r.effect_size, effect_size_type=r.effect_size_type,
                         p_value=r.p_value, direction=direction,
                         follow_up_months=months,
                         baseline_effect=base, wwc_rating=rating["rating"],
                         attrition=rating["attrition"],
                         overall_attrition=rating["overall_attrition"],
                         differential_attrition=rating["differential_attrition"],
                         level=ladder["level"],
                         reasons="; ".join(rating["reasons"] + ladder["reasons"]),
                         note=r.note))
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


CLASSIFICATION_COLUMNS = ["intervention", "protective_factor", "scale", "k_studies",
                          "k_controlled", "level", "indicative", "reasons"]


def classify_register(results: pd.DataFrame, *, declarations: dict | None = None,
                      relevant_effect: float = LADDER_RULES["relevant_effect"],
                      language: str = "en") -> pd.DataFrame:
    """The indicative ladder rung per intervention and outcome, across register studies.

    Parameters
    ----------
    results : DataFrame
        Study-level register rows (``site == "all"``): ``study, intervention,
        protective_factor, scale, design, wwc_rating, effect_size, p_value, direction,
        follow_up_months, well_described, well_founded``.
    declarations : dict, optional
        ``{intervention: (well_described, well_founded)}`` overriding what the studies
        declared; by default an intervention counts as declared when any of its studies
        declared it.

    Returns
    -------
    DataFrame
        Columns :data:`CLASSIFICATION_COLUMNS`.
    """
    rows = []
    for (intervention, factor, scale), part in results.groupby(
            ["intervention", "protective_factor", "scale"], sort=True):
        described, founded = (declarations or {}).get(intervention, (
            bool(part["well_described"].any()), bool(part["well_founded"].any())))
        level = recognition_level(part, well_described=described, well_founded=founded,
                                  relevant_effect=relevant_effect, language=language)
        rows.append([intervention, factor, scale, level["k_studies"], level["k_controlled"],
                     level["level"], True, "; ".join(level["reasons"])])
    return pd.DataFrame(rows, columns=CLASSIFICATION_COLUMNS)

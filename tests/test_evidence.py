"""Indicative evidence classification on constructed cases: every WWC branch, every rung."""

import numpy as np
import pandas as pd
import pytest

from evaltools.analysis.effects import AnalysisError
from evaltools.analysis.evidence import (
    LADDER,
    classify_register,
    recognition_level,
    study_evidence,
    wwc_rating,
)

# ---------------------------------------------------------------- WWC rating, branch by branch
# Counts (randomised T, analysed T, randomised C, analysed C):
LOW = (100, 80, 100, 75)     # overall 22.5 % -> boundary 5.1 (cautious); differential 5.0: low
HIGH = (100, 90, 100, 70)    # overall 20 % -> boundary 5.4; differential 20: high


def test_randomised_low_attrition_meets_without_reservations():
    out = wwc_rating("randomised", attrition=LOW)
    assert out["rating"] == "meets_without_reservations"
    assert out["attrition"] == "low" and out["overall_attrition"] == 22.5
    assert "low against the cautious boundary (5.1 points)" in out["reasons"][0]


def test_optimistic_boundary_can_turn_high_into_low():
    counts = (100, 90, 100, 82)  # overall 14 %, differential 8 points
    assert wwc_rating("randomised", attrition=counts)["attrition"] == "high"
    assert wwc_rating("randomised", attrition=counts, boundary="optimistic")[
        "rating"] == "meets_without_reservations"


@pytest.mark.parametrize(("g", "adjusted", "rating", "phrase"), [
    (0.03, False, "meets_with_reservations", "satisfied (|g| = 0.030 <= 0.05)"),
    (-0.05, False, "meets_with_reservations", "satisfied (|g| = 0.050 <= 0.05)"),
    (0.15, True, "meets_with_reservations", "satisfied with adjustment"),
    (0.15, False, "does_not_meet", "requires an analysis that adjusts"),
    (-0.25, True, "meets_with_reservations", "satisfied with adjustment"),
    (0.30, True, "does_not_meet", "not satisfied (|g| = 0.300 > 0.25)"),
    (np.nan, True, "does_not_meet", "could not be shown"),
])
@pytest.mark.parametrize("design", ["randomised_high", "controlled"])
def test_equivalence_branches(design, g, adjusted, rating, phrase):
    if design == "randomised_high":
        out = wwc_rating("randomised", attrition=HIGH, baseline_effect=g, adjusted=adjusted)
        assert out["attrition"] == "high"
    else:
        out = wwc_rating("controlled", baseline_effect=g, adjusted=adjusted)
        assert "quasi-experiment" in out["reasons"][0]
    assert out["rating"] == rating
    assert phrase in out["reasons"][-1]


def test_randomised_without_counts_is_treated_as_high_attrition():
    out = wwc_rating("randomised", baseline_effect=0.01)
    assert out["attrition"] == "high" and out["rating"] == "meets_with_reservations"
    assert "treated as high" in out["reasons"][0]


def test_attrition_beyond_the_table_is_high():
    out = wwc_rating("randomised", attrition=(100, 40, 100, 40), baseline_effect=0.5)
    assert out["attrition"] == "high" and out["rating"] == "does_not_meet"


def test_pre_post_is_not_rated_and_bad_design_is_named():
    assert wwc_rating("pre_post")["rating"] == "not_applicable"
    with pytest.raises(AnalysisError, match="design='rct'"):
        wwc_rating("rct")


# ---------------------------------------------------------------- the recognition ladder

def _studies(*rows):
    columns = ["study", "design", "wwc_rating", "effect_size", "p_value", "direction",
               "follow_up_months"]
    return pd.DataFrame(rows, columns=columns)


GOOD_QED = ("s1", "controlled", "meets_with_reservations", 0.35, 0.01, "higher_is_better", 0)
GOOD_RCT = ("s2", "randomised", "meets_without_reservations", 0.3, 0.02, "higher_is_better", 0)
PRE_POST = ("s3", "pre_post", "not_applicable", 0.4, 0.001, "higher_is_better", 0)
WEAK_QED = ("s4", "controlled", "does_not_meet", 0.5, 0.001, "higher_is_better", 0)


@pytest.mark.parametrize(("rows", "described", "founded", "level", "phrase"), [
    ([GOOD_QED, GOOD_RCT], False, True, "not_assessed", "not declared 'goed beschreven'"),
    ([GOOD_QED, GOOD_RCT], True, False, "goed_beschreven", "no theory of change"),
    ([("s1", "pre_post", "not_applicable", 0.1, 0.3, "higher_is_better", 0)], True, True,
     "goed_onderbouwd", "no significant"),
    # significant but below the relevance threshold
    ([("s1", "pre_post", "not_applicable", 0.1, 0.001, "higher_is_better", 0)], True, True,
     "goed_onderbouwd", "no significant"),
    ([PRE_POST], True, True, "eerste_aanwijzingen", "change (before and after)"),
    ([WEAK_QED], True, True, "eerste_aanwijzingen", "no controlled study meeting"),
    ([GOOD_QED], True, True, "goede_aanwijzingen", "one controlled study"),
    ([GOOD_QED, PRE_POST], True, True, "goede_aanwijzingen", "one controlled study"),
    ([GOOD_QED, GOOD_RCT], True, True, "sterke_aanwijzingen", "2 controlled studies"),
    ([GOOD_QED[:-1] + (6.2,)], True, True, "sterke_aanwijzingen", "lasts 6.2 months"),
    ([GOOD_QED[:-1] + (5.9,)], True, True, "goede_aanwijzingen", "one controlled study"),
    # lower is better: a negative effect is favourable
    ([("s1", "controlled", "meets_with_reservations", -0.4, 0.01, "higher_is_worse", 0)],
     True, True, "goede_aanwijzingen", "one controlled study"),
    # an adverse significant effect blocks every effectiveness level
    ([GOOD_QED, GOOD_RCT, ("s5", "controlled", "meets_with_reservations", -0.3, 0.01,
                           "higher_is_better", 0)], True, True, "goed_onderbouwd",
     "works adversely"),
])
def test_every_rung(rows, described, founded, level, phrase):
    out = recognition_level(_studies(*rows), well_described=described, well_founded=founded)
    assert out["level"] == level
    assert out["indicative"] is True
    assert phrase in " ".join(out["reasons"])


def test_reasons_name_designs_in_words():
    """The reasons name a design in the report's language, never by its id ('controlled'
    was read out in Dutch reports)."""
    for language, words in (("nl", "quasi-experimenteel: niet geloot"),
                            ("en", "quasi-experimental: not randomised")):
        out = recognition_level(_studies(WEAK_QED), well_described=True, well_founded=True,
                                language=language)
        text = " ".join(out["reasons"])
        assert f"({words})" in text and "(controlled)" not in text
    rows = _studies(PRE_POST, ("s6", "repeated_cross_section", "not_applicable", 0.4, 0.001,
                               "higher_is_better", 0))
    text = " ".join(recognition_level(rows, well_described=True, well_founded=True,
                                      language="nl")["reasons"])
    assert "(voor- en nameting; herhaalde dwarsdoorsnede: steeds andere deelnemers)" in text


def test_the_same_study_twice_counts_once():
    twice = _studies(GOOD_QED, GOOD_QED[:3] + (0.4, 0.001) + GOOD_QED[5:])
    out = recognition_level(twice, well_described=True, well_founded=True)
    assert out["level"] == "goede_aanwijzingen" and out["k_controlled"] == 1


def test_ladder_levels_are_ordered_and_columns_checked():
    assert LADDER.index("eerste_aanwijzingen") < LADDER.index("goede_aanwijzingen") \
        < LADDER.index("sterke_aanwijzingen")
    with pytest.raises(AnalysisError, match="follow_up_months"):
        recognition_level(_studies(GOOD_QED).drop(columns="follow_up_months"),
                          well_described=True, well_founded=True)


def test_classify_register_groups_by_intervention_and_outcome():
    rows = _studies(GOOD_QED, GOOD_RCT, PRE_POST)
    rows["intervention"] = ["A", "A", "B"]
    rows["protective_factor"] = "resilience"
    rows["scale"] = "brs"
    rows["well_described"] = True
    rows["well_founded"] = [True, False, True]
    out = classify_register(rows).set_index("intervention")
    assert out.loc["A", "level"] == "sterke_aanwijzingen"
    assert out.loc["B", "level"] == "eerste_aanwijzingen"
    assert out["indicative"].all()
    declared = classify_register(rows, declarations={"A": (True, False)}).set_index(
        "intervention")
    assert declared.loc["A", "level"] == "goed_beschreven"


# ---------------------------------------------------------------- on a study

def test_study_evidence_on_the_demo(ingested_demo, tmp_path):
    study, panel = ingested_demo
    table = study_evidence(panel, study, post="t1")
    assert set(table["scale"]) == {s.id for i in study.instruments for s in i.scales}
    assert (table["design"] == "controlled").all()
    assert set(table["wwc_rating"]) <= {"meets_with_reservations", "does_not_meet"}
    assert (table["effect_size_type"] == "morris_dppc2").all()
    # the demo declares its description and theory of change; one study, no follow-up yet
    assert set(table["level"]) <= {"goed_onderbouwd", "eerste_aanwijzingen",
                                   "goede_aanwijzingen"}
    digres = table.set_index("scale").loc["digres"]
    assert digres["level"] == "goede_aanwijzingen", digres["reasons"]
    nulls = table.set_index("scale").loc["democit"]  # the simulated null effect
    assert nulls["level"] == "goed_onderbouwd", nulls["reasons"]
    assert table["reasons"].str.contains("quasi-experiment").all()
    follow = study_evidence(panel, study, post="t2")
    assert (follow["follow_up_months"] == 6.0).all()  # 13 January -> 14 July


def test_reasons_in_dutch():
    out = wwc_rating("controlled", baseline_effect=0.15, adjusted=True, language="nl")
    assert out["reasons"][0].startswith("quasi-experiment (vergelijkingsgroep niet door loting)")
    assert "|g| = 0,150" in out["reasons"][1]
    ladder = recognition_level(_studies(GOOD_QED), well_described=True, well_founded=True,
                               language="nl")
    assert ladder["reasons"][0].startswith("één gecontroleerde studie")


def _recognition_level_by_pandas(studies, *, well_described, well_founded,
                                 relevant_effect=0.2, alpha=0.05, language="en") -> dict:
    """``recognition_level`` as it was written with pandas masks (the reference for the
    version on plain rows), from the point where the effects are read."""
    from evaltools.analysis.evidence import LADDER_RULES, WWC_RATINGS, _favourable
    from evaltools.core.i18n import number, t

    reasons: list[str] = []
    out = {"level": "goed_onderbouwd", "indicative": True,
           "k_studies": int(studies["study"].nunique()), "k_controlled": 0, "reasons": reasons}
    rows = studies.dropna(subset=["effect_size", "p_value"])
    significant = rows["p_value"] < alpha
    favourable = np.array([_favourable(e, d) for e, d in
                           zip(rows["effect_size"], rows["direction"], strict=True)], bool)
    relevant = rows["effect_size"].abs() >= relevant_effect
    adverse = rows[significant & ~favourable]
    if len(adverse):
        reasons.append(t("ev.adverse", language, studies=", ".join(adverse["study"].unique())))
        return out
    good = rows[significant & favourable & relevant]
    controlled = good[good["design"].isin(["controlled", "randomised", "repeated_cross_section"])
                      & good["wwc_rating"].isin(WWC_RATINGS[:2])]
    k = int(controlled["study"].nunique())
    out["k_controlled"] = k
    lasting = controlled[controlled["follow_up_months"] >= LADDER_RULES[
        "strong_follow_up_months"]]
    if k >= LADDER_RULES["strong_min_controlled"]:
        out["level"] = "sterke_aanwijzingen"
        reasons.append(t("ev.strong_two", language, k=k, alpha=number(alpha, language, 2),
                         relevant=number(relevant_effect, language, 2)))
    elif k >= LADDER_RULES["good_min_controlled"] and len(lasting):
        out["level"] = "sterke_aanwijzingen"
        reasons.append(t("ev.strong_lasting", language,
                         months=number(lasting["follow_up_months"].max(), language, 1)))
    elif k >= LADDER_RULES["good_min_controlled"]:
        out["level"] = "goede_aanwijzingen"
        reasons.append(t("ev.good_one", language, months=number(
            LADDER_RULES["strong_follow_up_months"], language, 0)))
    elif len(good):
        out["level"] = "eerste_aanwijzingen"
        kinds = [t(f"design.{design}", language) for design in sorted(set(good["design"]))]
        reasons.append(t("ev.first", language, kinds="; ".join(kinds)))
    else:
        reasons.append(t("ev.none", language, alpha=number(alpha, language, 2),
                         relevant=number(relevant_effect, language, 2)))
    return out


@pytest.mark.parametrize("seed", range(150))
def test_the_ladder_on_plain_rows_agrees_with_the_pandas_rules(seed):
    """``recognition_level`` reads the studies as plain rows; on random registers (missing
    effects and follow-ups, ties, repeated studies, every design and rating, both
    directions) it gives what the pandas version gave, in both languages."""
    from evaltools.analysis.evidence import WWC_RATINGS

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    studies = pd.DataFrame({
        "study": rng.choice(["a", "b", "c"], size=n),
        "design": rng.choice(["controlled", "randomised", "repeated_cross_section", "prepost"],
                             size=n),
        "wwc_rating": rng.choice([*WWC_RATINGS, None], size=n),
        "effect_size": rng.choice([0.5, -0.4, 0.1, 0.25, np.nan], size=n),
        "p_value": rng.choice([0.001, 0.03, 0.2, np.nan], size=n),
        "direction": rng.choice(["higher_is_better", "higher_is_worse"], size=n),
        "follow_up_months": rng.choice([0.0, 6.0, 12.0, np.nan], size=n)})
    language = str(rng.choice(["en", "nl"]))
    relevant = float(rng.choice([0.2, 0.3]))
    assert recognition_level(studies, well_described=True, well_founded=True,
                             relevant_effect=relevant, language=language) == \
        _recognition_level_by_pandas(studies, well_described=True, well_founded=True,
                                     relevant_effect=relevant, language=language)

"""Scoring: hand-worked cases for every rule, errors with locations, and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.instruments.library import get_instrument
from evaltools.instruments.scoring import (
    INCONSISTENCY_COLUMNS,
    SCORE_COLUMNS,
    ScoringError,
    flag_inconsistent,
    score_scales,
    score_table,
    scored_items,
)

NAN = np.nan
# Scores are simple means and sums of small integers: exact up to rounding.
ATOL = 1e-12


def _frame(instrument_id: str, rows: list[list[float]]) -> pd.DataFrame:
    inst = get_instrument(instrument_id)
    frame = pd.DataFrame(rows, columns=list(inst.item_ids), dtype=float)
    frame.insert(0, "respondent_id", [f"r{i}" for i in range(len(rows))])
    return frame


def _scores(instrument_id: str, rows: list[list[float]], scale: str | None = None):
    result = score_scales(_frame(instrument_id, rows), get_instrument(instrument_id))
    return result[result["scale"] == (scale or instrument_id)].reset_index(drop=True)


def test_mean_with_reverse_keying_and_cutoffs() -> None:
    s = _scores("brs", [
        [5, 1, 5, 1, 5, 1],        # all scored 5 -> high
        [4, 9, 4, 2, 4, 2],        # 9 = weet niet: 5 valid, all scored 4 -> 4.0 normal
        [3, 3, 3, 3, 3, 3],        # 3.0 is the lower edge of normal
        [3, 4, 3, 3, 3, 3],        # (3+2+3+3+3+3)/6 = 2.8333 -> low
        [4, 2, 4, 1, 5, 1],        # (4+4+4+5+5+5)/6 = 4.5 -> high
        [4, 2, 4, 2, 4, 1],        # (4+4+4+4+4+5)/6 = 4.1667 -> normal (below 4.31)
        [5, NAN, 5, NAN, 5, 1],    # 4 valid < min_valid 5 -> no score
        [NAN] * 6,                 # nothing answered
    ])
    np.testing.assert_allclose(s["score"], [5, 4, 3, 17 / 6, 4.5, 25 / 6, NAN, NAN], atol=ATOL)
    assert s["n_valid"].tolist() == [6, 5, 6, 6, 6, 6, 4, 0]
    assert s["category"].tolist()[:6] == ["high", "normal", "normal", "low", "high", "normal"]
    assert s["category"].isna().tolist()[6:] == [True, True]
    assert (s["n_items"] == 6).all()
    assert list(s.columns) == ["respondent_id", *SCORE_COLUMNS]


def test_prorated_sum() -> None:
    # RSES: item 1 blank; 4 positive items at 3, 5 reversed items at 3 -> scored 2.
    s = _scores("rses", [[NAN] + [3] * 9, [3] * 10, [NAN, NAN, NAN] + [3] * 7])
    np.testing.assert_allclose(s["raw_score"], [22 / 9 * 10, 25, NAN], atol=ATOL)
    assert s["n_valid"].tolist() == [9, 10, 7]   # 7 < min_valid 8


def test_dichotomised_items_summed_without_proration() -> None:
    # De Jong Gierveld: answers 1 = no, 2 = more or less, 3 = yes (items 1, 4, 6 emotional).
    rows = [[3, 1, 3, 2, NAN, 1],   # 1 + 1 + 0 + 1 + . + 0 = 3 of 5 valid -> moderate
            [1, 3, 3, 1, 3, 1],     # 0 -> not lonely
            [3, 2, 1, 3, 2, 3],     # 6 -> severe
            [NAN, NAN, 1, 1, 1, 1]]  # 4 valid < 5 -> missing
    total = _scores("djg6", rows, "djg_total")
    np.testing.assert_allclose(total["score"], [3, 0, 6, NAN])
    assert total["category"].tolist()[:3] == ["moderate", "not_lonely", "severe"]
    emotional = _scores("djg6", rows, "djg_emotional")
    np.testing.assert_allclose(emotional["score"], [2, 0, 3, NAN])
    social = _scores("djg6", rows, "djg_social")
    np.testing.assert_allclose(social["score"], [NAN, 0, 3, NAN])


def test_conversion_table() -> None:
    s = _scores("swemwbs", [[3] * 7, [1] * 7, [5] * 7, [3] * 6 + [NAN], [4, 4, 4, 4, 4, 4, 5]])
    np.testing.assert_allclose(s["raw_score"], [21, 7, 35, NAN, 29])
    np.testing.assert_allclose(s["score"], [19.25, 7.00, 35.00, NAN, 26.02])


def test_linear_conversion_and_cutoffs_on_the_raw_score() -> None:
    s = _scores("who5", [[3, 3, 3, 3, 0], [3, 3, 3, 3, 1], [5] * 5, [0] * 5])
    np.testing.assert_allclose(s["raw_score"], [12, 13, 25, 0])
    np.testing.assert_allclose(s["score"], [48, 52, 100, 0])
    assert s["category"].tolist() == ["poor", "adequate", "adequate", "poor"]


@pytest.mark.parametrize(("total", "category"), [(0, "severe"), (3, "severe"), (4, "moderate"),
                                                  (6, "moderate"), (7, "functional"),
                                                  (10, "functional")])
def test_apgar_cutoff_edges(total: int, category: str) -> None:
    answers = [2] * (total // 2) + [1] * (total % 2)
    answers += [0] * (5 - len(answers))
    s = _scores("apgar", [answers])
    assert s.loc[0, "score"] == total and s.loc[0, "category"] == category


def test_subscales_and_two_response_scales() -> None:
    # collective efficacy: control items 1-5 (likely5), cohesion 6-10 (agree5, 9 and 10 reversed)
    frame = _frame("cohesion", [[5, 4, 3, 2, 1, 5, 5, 5, 1, 1]])
    s = score_table(frame, get_instrument("cohesion"))
    assert s.loc[0, "informal_control"] == 15
    assert s.loc[0, "social_cohesion"] == 25
    assert s.loc[0, "collective_efficacy"] == 40


def test_wide_table_has_one_column_per_scale() -> None:
    table = score_table(_frame("mspss", [[7] * 12, [1] * 12]), get_instrument("mspss"))
    assert list(table.columns) == ["respondent_id", "mspss", "mspss_significant_other",
                                   "mspss_family", "mspss_friends"]
    assert table["mspss"].tolist() == [7.0, 1.0]


def test_several_instruments_and_a_study(demo_dir) -> None:
    from evaltools import load_study

    study = load_study(demo_dir)
    inst = study.instruments
    data = pd.DataFrame({i: [inst_values(i, study)] for i in study.item_ids})
    result = score_scales(data, study)
    assert set(result["instrument"]) == {i.id for i in inst}
    assert len(result) == sum(len(i.scales) for i in inst)


def inst_values(item_id: str, study) -> int:
    for inst in study.instruments:
        if item_id in inst.item_ids:
            return inst.response_scales[inst.item(item_id).response_scale].low
    raise KeyError(item_id)


def test_input_is_never_changed() -> None:
    frame = _frame("brs", [[5, 9, 5, 1, NAN, 1], [1, 2, 3, 4, 5, 1]])
    before = frame.copy(deep=True)
    score_scales(frame, get_instrument("brs"))
    score_table(frame, get_instrument("brs"))
    flag_inconsistent(frame, get_instrument("brs"))
    scored_items(frame, get_instrument("brs"))
    pd.testing.assert_frame_equal(frame, before)


def test_scored_items_applies_every_rule() -> None:
    out = scored_items(_frame("djg6", [[3, 3, 9, 1, 2, NAN]]), get_instrument("djg6"))
    assert out.iloc[0].tolist()[:2] == [1.0, 0.0]
    assert np.isnan(out.iloc[0, 2]) and np.isnan(out.iloc[0, 5])
    assert out.iloc[0, 3:5].tolist() == [0.0, 1.0]


def test_values_off_the_scale_are_errors_with_their_rows() -> None:
    frame = _frame("brs", [[5, 1, 5, 1, 5, 1], [6, 1, 5, 0, 5, 1]])
    with pytest.raises(ScoringError) as info:
        score_scales(frame, get_instrument("brs"))
    located = {(p.location, p.found) for p in info.value.problems}
    assert located == {("row 1, column brs_1", 6.0), ("row 1, column brs_4", 0.0)}
    assert "one of [1, 2, 3, 4, 5] or missing code [9]" in info.value.problems[0].expected


def test_text_in_an_item_column_is_an_error() -> None:
    frame = _frame("brs", [[5, 1, 5, 1, 5, 1]]).astype({"brs_3": object})
    frame.loc[0, "brs_3"] = "vaak"
    with pytest.raises(ScoringError, match=r"row 0, column brs_3: not a number; found 'vaak'"):
        score_scales(frame, get_instrument("brs"))


def test_absent_item_columns_are_named() -> None:
    frame = _frame("brs", [[5, 1, 5, 1, 5, 1]]).drop(columns=["brs_2", "brs_5"])
    with pytest.raises(ScoringError, match=r"brs_2, brs_5: item columns of instrument 'brs'"):
        score_scales(frame, get_instrument("brs"))


def test_unknown_key_column() -> None:
    with pytest.raises(KeyError, match="key columns not in the data"):
        score_scales(_frame("brs", [[1] * 6]), get_instrument("brs"), keys=["wave"])


def test_many_bad_rows_are_summarised() -> None:
    frame = _frame("brs", [[7, 1, 5, 1, 5, 1]] * 30)
    with pytest.raises(ScoringError) as info:
        score_scales(frame, get_instrument("brs"))
    assert len(info.value.problems) == 21
    assert "10 more rows" in info.value.problems[-1].message


def test_inconsistent_answering_is_flagged() -> None:
    frame = _frame("brs", [[5] * 6,             # agrees with everything: contradiction
                           [5, 1, 5, 1, 5, 1],  # consistent
                           [3] * 6,             # straight-lining at the midpoint
                           [4, 4, 4, 3, 4, NAN],
                           [NAN, 1, NAN, 1, NAN, 1]])
    flags = flag_inconsistent(frame, get_instrument("brs"))
    assert list(flags.columns) == ["respondent_id", *INCONSISTENCY_COLUMNS]
    np.testing.assert_allclose(flags["difference"], [4, 0, 0, 4 - 2.5, NAN])
    assert flags["straight_lining"].tolist() == [True, False, True, False, False]
    assert flags["inconsistent"].tolist()[:4] == [True, False, False, False]
    assert flags["inconsistent"].isna().tolist()[4]
    assert flags[["n_positive", "n_reversed"]].iloc[3].tolist() == [3, 2]
    strict = flag_inconsistent(frame, get_instrument("brs"), threshold=0.25)
    assert strict["inconsistent"].tolist()[3]


def test_consistency_check_skips_scales_without_reversed_items() -> None:
    assert flag_inconsistent(_frame("mspss", [[7] * 12]), get_instrument("mspss")).empty
    with pytest.raises(ValueError, match="threshold=0"):
        flag_inconsistent(_frame("brs", [[1] * 6]), get_instrument("brs"), threshold=0)


answers = st.lists(st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, 9.0, NAN]), min_size=6,
                   max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(answers, min_size=1, max_size=20))
def test_mirroring_every_answer_mirrors_the_score(rows: list[list[float]]) -> None:
    """BRS: answering 6 - x everywhere turns a score s into 6 - s (and keeps n_valid)."""
    brs = get_instrument("brs")
    mirrored = [[v if v in (9.0,) or np.isnan(v) else 6 - v for v in row] for row in rows]
    a = score_scales(_frame("brs", rows), brs)
    b = score_scales(_frame("brs", mirrored), brs)
    np.testing.assert_allclose(b["score"], 6 - a["score"], atol=ATOL)
    assert a["n_valid"].tolist() == b["n_valid"].tolist()
    valid = a["score"].dropna()
    assert ((valid >= 1) & (valid <= 5)).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from([1.0, 2.0, 3.0, 9.0, NAN]), min_size=6, max_size=6),
                min_size=1, max_size=20))
def test_loneliness_total_stays_in_range(rows: list[list[float]]) -> None:
    result = score_scales(_frame("djg6", rows), get_instrument("djg6"))
    total = result[result["scale"] == "djg_total"]
    assert total["score"].dropna().between(0, 6).all()
    assert (total["score"].isna() == (total["n_valid"] < 5)).all()

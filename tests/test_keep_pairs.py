"""``keep_pairs``: a report's panel gives the same pairs, computed once."""

from __future__ import annotations

import gc

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from evaltools.analysis.effects import common
from evaltools.analysis.effects.common import keep_pairs, paired


def test_kept_pairs_equal_fresh_ones_and_are_copies(ingested_demo, monkeypatch) -> None:
    study, panel = ingested_demo
    scale = common.scales_of(study)[0]
    fresh = paired(panel, scale, "t0", "t1")
    fresh_t2 = paired(panel, scale, "t0", "t2")
    kept = keep_pairs(panel.copy())
    calls = []
    real = common._compute_paired
    monkeypatch.setattr(common, "_compute_paired", lambda *a: calls.append(a) or real(*a))
    first = paired(kept, scale, "t0", "t1")
    first["pre"] = 0.0  # a caller changing its copy changes nothing kept
    second = paired(kept, scale, "t0", "t1", extra=())
    assert len(calls) == 1
    assert_frame_equal(second, fresh)
    assert_frame_equal(paired(kept, scale, "t0", "t2"), fresh_t2)
    assert len(calls) == 2


def test_pairs_of_a_panel_that_is_gone_are_dropped(ingested_demo) -> None:
    study, panel = ingested_demo
    scale = common.scales_of(study)[0]
    before = len(common._KEPT)
    copy = keep_pairs(panel.copy())
    paired(copy, scale, "t0", "t1")
    assert len(common._KEPT) == before + 1
    del copy
    gc.collect()
    assert len(common._KEPT) == before


def test_an_unkept_panel_is_computed_each_time(ingested_demo) -> None:
    study, panel = ingested_demo
    scale = common.scales_of(study)[0]
    changed = panel.copy()
    a = paired(changed, scale, "t0", "t1")
    changed.loc[changed["wave"] == "t1", scale] = changed[scale] + 1
    b = paired(changed, scale, "t0", "t1")
    assert isinstance(b, pd.DataFrame) and not a["post"].equals(b["post"])


def _by_label(panel, scale, pre, post, extra=()):
    """Pairs aligned by respondent id (what the integer codes must reproduce)."""
    keys = ["respondent_id", "site", "group", *extra]
    a = panel.loc[panel["wave"] == pre, keys + [scale]].rename(columns={scale: "pre"})
    later = panel.loc[panel["wave"] == post].set_index("respondent_id")[scale]
    both = a.assign(post=later.reindex(a["respondent_id"].to_numpy()).to_numpy())
    return both.dropna(subset=["pre", "post"]).reset_index(drop=True)


def test_pairs_by_integer_codes_equal_pairs_by_label(ingested_demo) -> None:
    study, panel = ingested_demo
    scale = common.scales_of(study)[0]
    # rows shuffled, some respondents gone at t1, some scores missing at t0
    shuffled = panel.sample(frac=1, random_state=3)
    gone = shuffled["respondent_id"].drop_duplicates().iloc[::7]
    shuffled = shuffled[~((shuffled["wave"] == "t1") & shuffled["respondent_id"].isin(gone))]
    shuffled.loc[shuffled.index[::11], scale] = float("nan")
    expected = _by_label(shuffled, scale, "t0", "t1", ["geslacht"])
    assert 0 < len(expected) < (panel["wave"] == "t0").sum()
    assert_frame_equal(paired(shuffled, scale, "t0", "t1", extra=["geslacht"]), expected)
    assert_frame_equal(paired(keep_pairs(shuffled.copy()), scale, "t0", "t1",
                              extra=["geslacht"]), expected)
    # the same columns and dtypes however they are built (arrays, or a column named twice)
    for extra in ([], ["geslacht", "leeftijdsgroep"], ["site"]):
        assert_frame_equal(paired(shuffled, scale, "t0", "t1", extra=extra),
                           _by_label(shuffled, scale, "t0", "t1", extra))
    # a hand-built panel with a nullable (not float64) scale column is aligned by label
    nullable = shuffled.astype({scale: "Float64"})
    got = paired(nullable, scale, "t0", "t1")
    assert_frame_equal(got.astype({"pre": float, "post": float}),
                       _by_label(shuffled, scale, "t0", "t1"))


def test_a_kept_panel_is_checked_once(ingested_demo, monkeypatch) -> None:
    study, panel = ingested_demo
    scales = common.scales_of(study)
    calls = []
    real = common.check_panel_contract
    monkeypatch.setattr(common, "check_panel_contract",
                        lambda *a, **k: calls.append((a[2], k["keys"])) or real(*a, **k))
    kept = keep_pairs(panel.copy())
    for _ in range(3):
        common.check_panel(kept, [scales[0]], study)
    assert calls == [([scales[0]], True)]  # keys, groups, waves and rows once
    common.check_panel(kept, [scales[0], scales[1], "wave"], study)
    assert calls[1:] == [([scales[1]], False)]  # then only the new column
    unkept = panel.copy()
    for _ in range(2):
        common.check_panel(unkept, [scales[0]], study)
    assert calls[2:] == [([scales[0]], True)] * 2
    # a new column that breaks the contract is still refused on a kept panel
    broken = keep_pairs(panel.assign(extra=["x"] * len(panel)).astype({"extra": object}))
    common.check_panel(broken, [scales[0]], study)
    with pytest.raises(common.AnalysisError, match="column 'extra' holds non-numeric"):
        common.check_panel(broken, ["extra"], study)
    with pytest.raises(common.AnalysisError, match=r"lacks the column\(s\) \['nope'\]"):
        common.check_panel(broken, ["nope"], study)


def test_an_analysis_of_a_kept_panel_runs_once_per_study_and_options(ingested_demo) -> None:
    """``kept_analysis``: the primary estimate, the comparison section and the evidence of a
    report share one difference in differences; another study object, other options or an
    unkept panel compute again, and every caller gets its own copy."""
    from evaltools.analysis.effects import diff_in_diff

    study, panel = ingested_demo
    calls = []

    @common.kept_analysis
    def counted(panel, study, *, post=None, scales=None, ci_level=0.95):
        calls.append(post)
        return diff_in_diff(panel, study, post=post, scales=scales, ci_level=ci_level)

    fresh = diff_in_diff(panel, study, post="t1")
    kept = keep_pairs(panel.copy())
    first = counted(kept, study, post="t1")
    first.loc[:, "estimate"] = 99.0  # a caller changing its copy changes nothing kept
    assert_frame_equal(counted(kept, study, post="t1", ci_level=0.95), fresh)
    assert len(calls) == 1  # a default given or not: one computation
    counted(kept, study, post="t2")
    counted(kept, study, post="t1", scales=[common.scales_of(study)[0]])
    assert len(calls) == 3
    from dataclasses import replace
    counted(kept, replace(study), post="t1")  # an equal but other study object
    counted(panel, study, post="t1")  # not kept
    assert len(calls) == 5
    assert_frame_equal(counted(kept, study, post="t1"), fresh)
    assert len(calls) == 5

    @common.kept_analysis
    def loose(panel, study, **options):  # options without a signature are keys as well
        calls.append(options)
        return len(options)

    assert loose(kept, study, post="t1") == loose(kept, study, post="t1") == 1
    assert loose(kept, study, post="t2") == 1 and len(calls) == 7

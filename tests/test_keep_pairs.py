"""``keep_pairs``: a report's panel gives the same pairs, computed once."""

from __future__ import annotations

import gc

import pandas as pd
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

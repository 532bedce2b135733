"""Disclosure control: nothing published describes fewer than the minimum cell size, directly
or by subtraction, in the HTML or in the tables beside it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from evaltools.analysis.disclosure import (
    complementary,
    flow_hidden,
    hidden_cells,
    suppress_frame,
)
from evaltools.data.panel import participant_flow
from evaltools.reports import notebook
from evaltools.reports.html import Shown, write_tables
from evaltools.reports.notebook import Report

K = 10


def test_suppress_frame_blanks_small_rows_and_keeps_zero_and_descriptors():
    frame = pd.DataFrame({"scale": ["a", "b", "c"], "n_completers": [40, 40, 40],
                          "n_dropouts": [3, 0, 25], "mean_dropouts": [2.5, np.nan, 3.1],
                          "p_value": [0.2, np.nan, 0.5], "ci_level": [0.95] * 3})
    out = suppress_frame(frame, K)
    assert list(out["suppressed"]) == [True, False, False]
    assert out.loc[0, ["n_completers", "n_dropouts", "mean_dropouts", "p_value"]].isna().all()
    assert out.loc[0, "ci_level"] == 0.95 and out.loc[0, "scale"] == "a"
    assert out.loc[1, "n_dropouts"] == 0 and out.loc[2, "mean_dropouts"] == 3.1
    assert frame.loc[0, "n_dropouts"] == 3  # the caller's frame is untouched


@pytest.mark.parametrize(("counts", "hidden"), [
    ({"a": 3, "b": 40, "c": 25}, {"a", "c"}),
    ({"a": 3, "b": 4, "c": 25}, {"a", "b", "c"}),  # 3 + 4 < 10: the next site goes too
    ({"a": 3, "b": 9, "c": 25}, {"a", "b"}),
    ({"a": 0, "b": 40}, set()),
    ({"a": 2, "b": 3}, {"a", "b", "all"}),
])
def test_complementary_suppression_leaves_no_cell_recoverable(counts, hidden):
    got = complementary(pd.Series(counts), K)
    assert got == hidden
    sites = got - {"all"}
    # what subtraction from the total recovers is the hidden sites together: >= K people
    assert not sites or sum(counts[s] for s in sites) >= K or "all" in got


@pytest.fixture(scope="module")
def small_site(ingested_demo):
    """The demo with one site's comparison group cut to 3 respondents."""
    study, panel = ingested_demo
    site = study.sites[0].id
    mine = panel[(panel["site"] == site) & (panel["group"] == "controle")]
    # three respondents scored on every scale at both waves: each scale's cell then counts 3
    # (pseudonyms differ per key; a respondent with a missing score left a cell at 0 now and
    # then, and nothing to hide)
    scales = [s.id for i in study.instruments for s in i.scales]
    both = mine[mine["wave"].isin(["t0", "t1"])]
    complete = both[both[scales].notna().all(axis=1)].groupby("respondent_id")["wave"].nunique()
    keep = set(sorted(complete[complete == 2].index)[:3])
    assert len(keep) == 3
    drop = set(mine["respondent_id"]) - keep
    return study, panel[~panel["respondent_id"].isin(drop)].reset_index(drop=True), site


def _report(study, panel, site, template="controlled"):
    part = panel if site == "all" else panel[panel["site"] == site]
    return Report(study, template, site, "t1", "nl", _panel=part, _study_panel=panel)


def test_hidden_cells_hide_the_small_site_and_a_complement(small_site):
    study, panel, site = small_site
    cells = hidden_cells(panel, study, post="t1")
    comp = cells[(cells["group"] == "controle") & (cells["site"] != "all")]
    for _scale, part in comp.groupby("scale"):
        hidden = part[part["hidden"]]
        assert site in set(hidden["site"])
        assert len(hidden) >= 2 and hidden["n"].sum() >= study.min_cell_size


def test_subtraction_recovers_no_suppressed_mean(small_site, monkeypatch, tmp_path):
    """Publish the results tables of the all-sites report and of every site report, then try
    the attack: all-sites total minus the published sites' totals. What remains is always the
    sum over at least the minimum cell size."""
    study, panel, small = small_site
    monkeypatch.setattr(notebook, "display", lambda obj: None)
    published = {}
    for site in ["all", *(s.id for s in study.sites)]:
        report = _report(study, panel, site, template="prepost")
        report.results()
        folder = tmp_path / site
        report.save_tables(str(folder))
        published[site] = pd.read_csv(folder / "results.csv")
    whole = published["all"]
    for r in whole[whole["group"] == "controle"].itertuples():
        visible = [published[s.id] for s in study.sites]
        rows = [t[(t["scale"] == r.scale) & (t["group"] == "controle")].iloc[0]
                for t in visible]
        shown_n = sum(row["n"] for row in rows if not np.isnan(row["n"]))
        assert r.n - shown_n >= study.min_cell_size, (r.scale, r.n, shown_n)
    small_rows = published[small]
    assert small_rows.loc[small_rows["group"] == "controle", "mean_pre"].isna().all()
    assert small_rows.loc[small_rows["group"] == "controle", "suppressed"].all()


def test_flow_of_a_site_with_few_dropouts_hides_the_whole_wave(ingested_demo):
    study, panel = ingested_demo
    site = study.sites[0].id
    base = set(panel.loc[(panel["site"] == site) & (panel["wave"] == "t0"), "respondent_id"])
    later = panel[(panel["wave"] == "t1") & (panel["site"] == site)]
    dropouts = set(base) - set(later["respondent_id"])
    # bring this site's t1 dropouts down to 2 by copying their baseline rows to t1
    keep = sorted(dropouts)[:2]
    back = panel[panel["respondent_id"].isin(dropouts - set(keep))
                 & (panel["wave"] == "t0")].assign(wave="t1", wave_order=1)
    changed = pd.concat([panel, back], ignore_index=True)
    flow = participant_flow(changed, study)
    hidden = flow_hidden(flow, study.min_cell_size)
    small = flow[(flow["site"] == site) & (flow["stage"] == "dropout") & (flow["wave"] == "t1")
                 & flow["n"].between(1, study.min_cell_size - 1)]
    assert len(small)
    for r in small.itertuples():
        assert (site, r.group, "t1") in hidden
        # a second site is hidden with it, so the all-sites count does not give it away
        others = {s for s, g, w in hidden if g == r.group and w == "t1" and s not in (site,)}
        assert others


def test_every_published_table_passes_the_gate(tmp_path):
    table = pd.DataFrame({"site": ["a", "b"], "n": [4, 30], "mean": [2.0, 3.0]})
    write_tables([Shown("cells", table)], tmp_path, {"study": "x"}, min_cell_size=K)
    written = pd.read_csv(tmp_path / "cells.csv")
    assert np.isnan(written.loc[0, "mean"]) and np.isnan(written.loc[0, "n"])
    assert written.loc[1, "mean"] == 3.0
    as_json = json.loads((tmp_path / "tables.json").read_text())["cells"]
    assert as_json[0]["mean"] is None and as_json[0]["suppressed"] is True


def test_cluster_and_item_counts_are_no_respondent_counts() -> None:
    """4 intervention neighbourhoods or 5 items disclose nobody: such a row stays (it once
    blanked every subgroup row of a repeated cross-section); 5 respondents still blank it."""
    from evaltools.analysis.disclosure import count_columns, suppress_frame

    frame = pd.DataFrame({"n": [337, 5], "n_clusters_intervention": [4, 4], "n_items": [5, 5],
                          "estimate": [0.2, 0.3]})
    assert count_columns(frame) == ["n"]
    out = suppress_frame(frame, 10)
    assert out["suppressed"].tolist() == [False, True]
    assert out.loc[0, "estimate"] == 0.2 and np.isnan(out.loc[1, "estimate"])


def test_cells_of_a_repeated_cross_section_count_each_wave() -> None:
    """Nobody is paired in a repeated cross-section: a cell counts the respondents scored at
    the baseline or the post wave, whichever is fewer, so a site with 3 respondents at the
    post wave is hidden (with a complement), where a count of pairs would hide nothing."""
    from types import SimpleNamespace

    from evaltools.analysis.disclosure import hidden_cells

    scale = SimpleNamespace(id="y")
    study = SimpleNamespace(
        min_cell_size=10, design="repeated_cross_section",
        sites=[SimpleNamespace(id=s) for s in ("a", "b", "c")],
        groups=[SimpleNamespace(id="i"), SimpleNamespace(id="c")],
        instruments=[SimpleNamespace(scales=[scale])],
        baseline=SimpleNamespace(id="t0"))
    rows = []
    for site, n_post in (("a", 3), ("b", 30), ("c", 40)):
        for wave, n in (("t0", 30), ("t1", n_post)):
            rows += [dict(respondent_id=f"{site}{wave}{k}", group="i", site=site, wave=wave,
                          y=1.0) for k in range(n)]
    cells = hidden_cells(pd.DataFrame(rows), study, post="t1").set_index(["group", "site"])
    assert cells.loc[("i", "a"), "n"] == 3 and cells.loc[("i", "a"), "primary"]
    assert cells.loc[("i", "b"), "hidden"] and not cells.loc[("i", "c"), "hidden"]
    assert cells.loc[("i", "all"), "n"] == 73


def _suppress_by_pandas(table: pd.DataFrame, keys: list[str], k: int) -> pd.DataFrame:
    """The subgroup section's suppression as it was written with pandas filtering per block
    (the reference for the array version in ``reports/subgroup_sections.py``)."""
    from evaltools.analysis.disclosure import complement_values
    from evaltools.reports.subgroup_sections import SUPPRESSED

    out = table.copy()
    values = out[out["subgroup_value"] != "interaction"]
    marked = values["note"].astype(bool)
    for _, block in values.groupby(keys, sort=False) if marked.any() else ():
        small = set(block.loc[marked[block.index], "subgroup_value"])
        if not small:
            continue
        counts = block.set_index("subgroup_value")["n"].astype(float).fillna(0)
        hide = complement_values(counts, small, k)
        out.loc[block.index[block["subgroup_value"].isin(hide)], "note"] = SUPPRESSED
    stats = [c for c in ("n", "estimate", "ci_low", "ci_high", "p_value") if c in out.columns]
    out.loc[out["note"] == SUPPRESSED, stats] = np.nan
    return out


@pytest.mark.parametrize("seed", range(40))
def test_subgroup_suppression_hides_a_small_value_with_its_complements(seed) -> None:
    """Per scale and contrast, a subgroup value too small to estimate is hidden together
    with the smallest further values until the hidden ones count at least k (so that the
    whole group minus the shown values recovers nothing), as the per-block pandas version
    did; interaction rows and blocks without a small value are left alone."""
    from evaltools.reports.subgroup_sections import SUPPRESSED, _suppress

    rng = np.random.default_rng(seed)
    rows = []
    for scale in ("brs", "who5", "mspss"):
        for contrast in ("a", "b"):
            values = [str(v) for v in rng.choice(["m", "v", "x", "0-12", "13+"],
                                                 size=rng.integers(2, 5), replace=False)]
            for value in values:
                n = int(rng.choice([0, 2, 5, 9, 10, 14, 30, 60]))
                note = ("not estimated: fewer than 10" if n < K
                        else "not estimated: constant" if rng.random() < 0.05 else "")
                est = np.nan if note else float(rng.normal())
                rows.append((scale, contrast, "c", value, n, note, est, est - 1, est + 1,
                             0.5))
            rows.append((scale, contrast, "c", "interaction", np.nan, "", np.nan, np.nan,
                         np.nan, float(rng.random())))
    table = pd.DataFrame(rows, columns=["scale", "intervention", "comparison",
                                        "subgroup_value", "n", "note", "estimate", "ci_low",
                                        "ci_high", "p_value"])
    keys = ["scale", "intervention", "comparison"]
    got = _suppress(table, keys, K)
    pd.testing.assert_frame_equal(got, _suppress_by_pandas(table, keys, K))
    for _, block in table[table["subgroup_value"] != "interaction"].groupby(keys):
        after = got.loc[block.index, "note"]
        small = block["note"] != ""
        assert (after[small] == SUPPRESSED).all()
        hidden = block[after == SUPPRESSED]
        if small.any():  # the hidden values together count k, or all that count are hidden
            assert hidden["n"].sum() >= K or set(block.index[block["n"] > 0]) <= set(
                hidden.index)
        else:
            assert hidden.empty
    assert (got.loc[got["subgroup_value"] == "interaction", "note"] == "").all()


def _suppress_frame_by_pandas(frame: pd.DataFrame, min_cell_size: int) -> pd.DataFrame:
    """``suppress_frame`` as it was written with pandas masks and ``.loc`` (the reference for
    the array version), but for ``.copy()``: without it an Arrow-backed float column became a
    read-only array and the assignment failed (found by this test)."""
    from evaltools.analysis.disclosure import KEEP_COLUMNS, count_columns

    out = frame.copy()
    counts = count_columns(out)
    small = pd.Series(False, index=out.index)
    for c in counts:
        values = pd.to_numeric(out[c], errors="coerce")
        small |= (values >= 1) & (values < min_cell_size)
    if "suppressed" in out.columns:
        small |= out["suppressed"].fillna(False).astype(bool)
    if not counts and "suppressed" not in out.columns:
        return out
    stats = [c for c in out.columns if pd.api.types.is_numeric_dtype(out[c])
             and not pd.api.types.is_bool_dtype(out[c]) and c not in KEEP_COLUMNS]
    if small.any():
        for c in stats:
            out[c] = out[c].astype(float).copy()
        out.loc[small, stats] = np.nan
    out["suppressed"] = small.to_numpy()
    return out


def _complement_values_by_pandas(counts: pd.Series, small: set, k: int) -> set:
    """``complement_values`` as it was written with pandas (the reference)."""
    hidden = set(small)
    if not hidden:
        return hidden
    total = float(counts[list(hidden)].sum())
    for value in counts[(counts > 0) & ~counts.index.isin(list(hidden))].sort_values().index:
        if total >= k:
            break
        hidden.add(value)
        total += float(counts[value])
    return hidden


@pytest.mark.parametrize("seed", range(30))
def test_suppress_frame_and_complements_agree_with_the_pandas_rules(seed) -> None:
    """The array versions of the primary rule (``suppress_frame``) and of the complementary
    choice (``complement_values``) give what the pandas versions gave, on random tables with
    float, integer, nullable, Arrow, text and boolean columns, a ``suppressed`` column with
    gaps, and counts with ties, zeros and gaps (a missing count marks a row not suppressed,
    where the pandas version left it <NA>)."""
    from evaltools.analysis.disclosure import complement_values, suppress_frame

    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 30))
    counts = rng.choice([0, 1, 3, 9, 10, 11, 25, 60], size=rows).astype(float)
    counts[rng.random(rows) < 0.1] = np.nan
    frame = pd.DataFrame({
        "scale": [f"s{i}" for i in range(rows)],
        "n": counts if rng.random() < 0.5 else pd.array(
            [None if np.isnan(c) else int(c) for c in counts], dtype="Int64"),
        "n_intervention": rng.integers(0, 40, rows),
        "n_items": rng.integers(1, 9, rows),  # counts no respondents
        "estimate": rng.normal(size=rows),
        "ci_low": pd.array(rng.normal(size=rows), dtype="double[pyarrow]"),
        "p_value": pd.array(rng.random(rows), dtype="Float64"),
        "ci_level": 0.95,
        "flag": rng.random(rows) < 0.5,
        "note": pd.array(rng.choice(["", "x"], size=rows), dtype="string"),
    })
    if rng.random() < 0.5:
        frame["suppressed"] = pd.array(rng.choice([True, False, None], size=rows),
                                       dtype="object")
    if rng.random() < 0.3:
        frame = frame.drop(columns=["n", "n_intervention"])
    k = int(rng.choice([5, 10]))
    ours, theirs = suppress_frame(frame, k), _suppress_frame_by_pandas(frame, k)
    # the pandas version kept an object column's dtype, and marked a row whose nullable count
    # is missing <NA> instead of not suppressed (a missing count is no small count)
    if "suppressed" in theirs.columns:
        assert ours["suppressed"].dtype == bool
        theirs["suppressed"] = theirs["suppressed"].fillna(False).astype(bool)
    pd.testing.assert_frame_equal(ours, theirs)
    labels = [f"v{i}" for i in range(int(rng.integers(2, 25)))]
    series = pd.Series(rng.choice([0, 2, 4, 4, 7, 12, 30], size=len(labels)).astype(float),
                       index=labels)
    small = set(rng.choice(labels, size=int(rng.integers(0, 3)), replace=False))
    assert complement_values(series, small, k) == _complement_values_by_pandas(series, small, k)

"""Analyses on a hand-built panel: the panel contract, reliability as an argument, site rows,
and the README's analysis examples run as written (nothing ingested)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from evaltools.analysis.effects import (
    AnalysisError,
    ancova,
    baseline_equivalence,
    cluster_robust,
    diff_in_diff,
    mixed_model,
    reliable_change,
    reliable_change_summary,
    within_change,
)
from evaltools.data.panel import PANEL_KEYS, PanelError, attrition, check_panel, participant_flow
from evaltools.study.load import load_study

README = Path(__file__).parents[1] / "README.md"
SITES = ("noord", "zuid")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hand") / "study"
    (folder / "raw").mkdir(parents=True)
    data = {
        "schema_version": 1, "id": "hand", "title": "Hand-built",
        "intervention": {"name": "hand", "protective_factors": ["resilience"]},
        "design": "controlled",
        "groups": [{"id": "interventie", "role": "intervention"},
                   {"id": "controle", "role": "comparison"}],
        "waves": [{"id": "t0", "order": 0, "role": "baseline"},
                  {"id": "t1", "order": 1, "role": "post"},
                  {"id": "t2", "order": 2, "role": "follow_up"}],
        "sites": [{"id": s} for s in SITES], "instruments": ["brs", "digres_example"],
        "data": {"raw_dir": "raw", "files": [{"pattern": "*", "wave": "t0"}],
                 "columns": {"respondent_id": "id", "site": "site", "group": "group"}},
        "disclosure": {"min_cell_size": 5},
    }
    (folder / "study.yml").write_text(yaml.safe_dump(data), "utf-8")
    return load_study(folder)


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    """Scores without wave_order, as a user would have them: 2 sites x 2 groups x 20."""
    rng = np.random.default_rng(18)
    rows = []
    for i in range(80):
        site, group = SITES[i % 2], ("interventie", "controle")[(i // 2) % 2]
        person = rng.normal(0, 0.5)
        for w, wave in enumerate(("t0", "t1", "t2")):
            if wave != "t0" and rng.random() < 0.15:
                continue
            gain = 0.3 * w if group == "interventie" else 0.05 * w
            rows.append({"respondent_id": f"r{i:03d}", "site": site, "group": group,
                         "wave": wave,
                         "brs": float(np.clip(3 + person + gain + rng.normal(0, 0.4), 1, 5)),
                         "digres": float(np.clip(3.2 + person + rng.normal(0, 0.5), 1, 5))})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def panel(scores, study) -> pd.DataFrame:
    return scores.assign(wave_order=scores["wave"].map({w.id: w.order for w in study.waves}))


def test_missing_wave_order_is_named_by_every_analysis(scores, study) -> None:
    calls = [
        lambda: within_change(scores, study),
        lambda: diff_in_diff(scores, study),
        lambda: ancova(scores, study),
        lambda: baseline_equivalence(scores, study),
        lambda: mixed_model(scores, study, scales="brs"),
        lambda: cluster_robust(scores, study, scales="brs"),
        lambda: reliable_change(scores, study, scale="brs", reliability=0.8),
        lambda: reliable_change_summary(scores, study, scale="brs", reliability=0.8),
    ]
    for call in calls:
        with pytest.raises(AnalysisError, match=r"lacks the column\(s\) \['wave_order'\].*"
                                                r"panel\['wave_order'\] = "):
            call()
    for call in (lambda: participant_flow(scores, study), lambda: attrition(scores, study)):
        with pytest.raises(PanelError, match=r"lacks the column\(s\) \['wave_order'\]"):
            call()


def test_contract_lists_every_problem_at_once(panel, study) -> None:
    check_panel(panel, study, ["brs"])
    bad = panel.copy()
    bad.loc[0, "wave_order"] = 5
    bad = pd.concat([bad, bad.iloc[[3]]], ignore_index=True)
    bad["brs"] = bad["brs"].astype(object)
    bad.loc[1, "brs"] = "hoog"
    with pytest.raises(PanelError) as caught:
        check_panel(bad.drop(columns="site"), study, ["brs", "who5"])
    text = str(caught.value)
    assert "lacks the column(s) ['site', 'who5']" in text
    assert "wave_order 5 for wave 't0' (row 0" in text and "order in study.yml (0)" in text
    assert f"respondent {panel.iloc[3]['respondent_id']!r} has 2 rows for wave" in text
    assert "column 'brs' holds non-numeric values such as 'hoog' (row 1)" in text
    with pytest.raises(PanelError, match="must be a pandas DataFrame; got list"):
        check_panel([1, 2], study)
    assert PANEL_KEYS == ["respondent_id", "site", "group", "wave", "wave_order"]


def test_reliability_is_an_argument_not_an_ingest(panel, study) -> None:
    with pytest.raises(AnalysisError, match=r"no ingested answers .* pass reliability="):
        reliable_change(panel, study, scale="brs")
    people = reliable_change(panel, study, scale="brs", reliability=0.85)
    change = people["score_post"] - people["score_pre"]
    sd = panel.loc[panel["wave"] == "t0"].set_index("respondent_id").loc[
        people["respondent_id"], "brs"].std(ddof=1)
    np.testing.assert_allclose(people["rci"], change / (np.sqrt(2) * sd * np.sqrt(0.15)),
                               rtol=1e-12)
    summary = reliable_change_summary(panel, study, scale="brs", reliability=0.85)
    assert (summary["reliability"] == 0.85).all()


def test_within_change_repeats_site_rows_only_when_asked(panel, study) -> None:
    default = within_change(panel, study, scales="brs", post="t1")
    assert set(default["site"]) == {"all", *SITES}          # two sites: both shown
    one = panel[panel["site"] == "noord"]
    alone = within_change(one, study, scales="brs", post="t1")
    assert alone["site"].tolist() == ["all", "all"]           # one row per group, no repeat
    asked = within_change(one, study, scales="brs", post="t1", by_site=True)
    assert sorted(asked["site"]) == ["all", "all", "noord", "noord"]
    numbers = ["n", "mean_change", "g_av"]
    np.testing.assert_allclose(asked.loc[asked.site == "noord", numbers].to_numpy(float),
                               alone[numbers].to_numpy(float))
    assert set(within_change(panel, study, scales="brs", by_site=False)["site"]) == {"all"}


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_analysis_examples_run_on_a_hand_built_panel(scores, study) -> None:
    blocks = _python_blocks(README.read_text("utf-8"))
    hand = next(b for b in blocks if "check_panel(panel, study)" in b)
    effects = next(b for b in blocks
                   if b.startswith("from evaltools.analysis.effects import within_change"))
    namespace = {"scores": scores, "study": study}
    exec(hand, namespace)  # noqa: S102 - the README's own example
    exec(effects, namespace)  # noqa: S102
    assert {"change", "did", "lmm", "side_by_side", "rc"} <= set(namespace)
    for name in ("change", "did", "lmm", "side_by_side", "rc"):
        assert isinstance(namespace[name], pd.DataFrame) and len(namespace[name]) > 0, name
    assert namespace["did"]["note"].eq("").all()

"""Attrition analysis against R t.test (Welch) and effectsize::cohens_d."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltools import load_study
from evaltools.data.panel import ATTRITION_COLUMNS, attrition

REF = Path(__file__).parent / "reference"
TOL = 1e-9  # closed forms: agreement to rounding


@pytest.fixture(scope="module")
def reference() -> dict:
    """Produced by tests/reference/attrition_r.R (R and effectsize versions inside)."""
    return json.loads((REF / "attrition_r.json").read_text("utf-8"))


def _panel(study) -> pd.DataFrame:
    data = pd.read_csv(REF / "attrition_data.csv")
    scales = [s.id for inst in study.instruments for s in inst.scales]
    base = pd.DataFrame({"respondent_id": data["respondent"], "site": study.sites[0].id,
                         "group": data["group"], "wave": "t0", "wave_order": 0})
    for scale in scales:
        base[scale] = np.nan
    base["brs"] = data["brs"]
    post = base[data["completer"].to_numpy()].assign(wave="t1", wave_order=1)
    return pd.concat([base, post], ignore_index=True)


def test_attrition_matches_r(demo_dir: Path, reference: dict) -> None:
    study = load_study(demo_dir)
    table = attrition(_panel(study), study)
    assert list(table.columns) == ATTRITION_COLUMNS
    for group in ("all", "interventie"):
        row = table[(table.group == group) & (table.scale == "brs")].iloc[0]
        ref = reference[group]
        assert row["n_completers"] == ref["n_completers"]
        assert row["n_dropouts"] == ref["n_dropouts"]
        for ours, theirs in (("mean_completers", "mean_completers"),
                             ("mean_dropouts", "mean_dropouts"),
                             ("sd_completers", "sd_completers"), ("sd_dropouts", "sd_dropouts"),
                             ("statistic", "statistic"), ("df", "df"), ("p_value", "p_value"),
                             ("std_difference", "std_difference")):
            np.testing.assert_allclose(row[ours], ref[theirs], rtol=TOL, atol=TOL, err_msg=ours)
        assert row["difference"] == pytest.approx(ref["mean_dropouts"] - ref["mean_completers"])


def test_empty_scale_gives_missing_statistics(demo_dir: Path) -> None:
    study = load_study(demo_dir)
    table = attrition(_panel(study), study)
    who5 = table[(table.group == "all") & (table.scale == "who5")].iloc[0]
    assert who5["n_completers"] == 0 and np.isnan(who5["p_value"])

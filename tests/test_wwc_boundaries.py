"""WWC attrition boundaries (table II.1) row by row against the baselinr transcription.

Reference: tests/reference/wwc_attrition_boundaries.csv (provenance in the .md beside it:
baselinr 0.6.0, ``R/attrition_boundary.R``); an empty cautious cell means every differential is
high attrition at that overall rate.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from evaltools.analysis.effects import wwc_attrition
from evaltools.analysis.effects.controlled import WWC_BOUNDARIES

REF = Path(__file__).parent / "reference" / "wwc_attrition_boundaries.csv"
# The table holds one-decimal figures: equal to the transcription exactly.
TOL_TABLE = 0.0
#: Randomised per arm: with 2000, any whole overall rate and any one-decimal differential
#: are whole numbers of respondents.
N_ARM = 2000


def _rows() -> list[tuple[int, float, float | None]]:
    with REF.open(encoding="utf-8") as handle:
        return [(int(r["overall_attrition_pct"]), float(r["optimistic_max_differential_pct"]),
                 float(r["cautious_max_differential_pct"])
                 if r["cautious_max_differential_pct"] else None)
                for r in csv.DictReader(handle)]


ROWS = _rows()


def _counts(overall: float, differential: float) -> tuple[int, int, int, int]:
    """Counts with exactly this overall rate and differential (intervention loses more)."""
    lost_t = round(N_ARM * (overall + differential / 2) / 100)
    lost_c = round(N_ARM * (overall - differential / 2) / 100)
    return N_ARM, N_ARM - lost_t, N_ARM, N_ARM - lost_c


def test_table_has_every_row_of_the_reference() -> None:
    assert [r[0] for r in ROWS] == list(range(66))
    assert len(WWC_BOUNDARIES["optimistic"]) == len(WWC_BOUNDARIES["cautious"]) == len(ROWS)
    np.testing.assert_allclose(WWC_BOUNDARIES["optimistic"], [r[1] for r in ROWS],
                               atol=TOL_TABLE)
    assert WWC_BOUNDARIES["cautious"] == [r[2] for r in ROWS]


def test_corrected_optimistic_row_has_five_entries_of_10_9() -> None:
    optimistic = WWC_BOUNDARIES["optimistic"]
    assert [i for i, v in enumerate(optimistic) if v == 10.9] == [8, 9, 10, 11, 12]
    assert (optimistic[13], optimistic[30], optimistic[57]) == (10.8, 8.2, 2.1)


@pytest.mark.parametrize(("overall", "optimistic", "cautious"), ROWS)
def test_every_row_classifies_at_and_above_its_boundary(overall, optimistic, cautious) -> None:
    for boundary, limit in (("optimistic", optimistic), ("cautious", cautious)):
        if limit is None:
            row = wwc_attrition(*_counts(overall, 0.0), boundary=boundary).iloc[0]
            assert row["attrition"] == "high" and np.isnan(row["boundary"])
            assert "beyond the WWC cautious boundary (last row: 57 %)" in row["note"]
            continue
        # with equal arms a differential above twice the overall rate cannot happen
        reachable = min(limit, np.floor(20 * overall) / 10)
        at = wwc_attrition(*_counts(overall, reachable), boundary=boundary).iloc[0]
        np.testing.assert_allclose([at["overall"], at["differential"], at["boundary"]],
                                   [overall, reachable, limit], atol=1e-9)
        assert at["attrition"] == "low" and at["note"] == ""
        if limit + 0.1 <= 2 * overall:
            above = wwc_attrition(*_counts(overall, limit + 0.1), boundary=boundary).iloc[0]
            assert above["attrition"] == "high"


def test_beyond_65_percent_is_high_under_both_boundaries() -> None:
    for boundary in ("optimistic", "cautious"):
        row = wwc_attrition(*_counts(66, 0.0), boundary=boundary).iloc[0]
        assert row["attrition"] == "high" and np.isnan(row["boundary"])
        assert "beyond the WWC" in row["note"]

"""p-value adjustment against R ``p.adjust`` (every method, three vectors incl. NA and ties).

Reference: tests/reference/adjust_icc_r.json, written by adjust_icc_r.R (R 4.2.2).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaltools.analysis.effects import AnalysisError, adjust_pvalues
from evaltools.analysis.effects.multiplicity import P_ADJUST_METHODS

REF = Path(__file__).parent / "reference" / "adjust_icc_r.json"
# Closed forms: R writes 15 significant digits (jsonlite digits = NA).
TOL_PADJUST = 1e-12

DATA = json.loads(REF.read_text("utf-8"))["p_adjust"]


def _float(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


@pytest.mark.parametrize("vector", sorted(DATA["vectors"]))
@pytest.mark.parametrize("method", DATA["methods"])
def test_every_method_matches_r(vector: str, method: str) -> None:
    case = DATA["vectors"][vector]
    got = adjust_pvalues(_float(case["p"]), method)
    expected = _float(case["adjusted"][method])
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=TOL_PADJUST, atol=1e-15)


def test_the_r_method_list_is_covered() -> None:
    assert set(DATA["methods"]) == set(P_ADJUST_METHODS)


def test_lower_case_spellings_and_fdr_alias() -> None:
    p = _float(DATA["vectors"]["ties_na"]["p"])
    bh = adjust_pvalues(p, "BH")
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), bh, equal_nan=True)
    np.testing.assert_allclose(adjust_pvalues(p, "fdr"), bh, equal_nan=True)
    np.testing.assert_allclose(adjust_pvalues(p, "by"), adjust_pvalues(p, "BY"), equal_nan=True)


def test_bad_input_is_refused() -> None:
    with pytest.raises(AnalysisError, match="method='sidak'.*holm, hochberg, hommel"):
        adjust_pvalues([0.1, 0.2], "sidak")
    with pytest.raises(AnalysisError, match="p-value 1.5 is not between 0 and 1"):
        adjust_pvalues([0.1, 1.5], "holm")
    with pytest.raises(AnalysisError, match="n=1 is smaller than the 2"):
        adjust_pvalues([0.1, 0.2], "holm", n=1)


def test_edge_cases() -> None:
    assert np.isnan(adjust_pvalues([np.nan, np.nan], "hommel")).all()
    for method in P_ADJUST_METHODS:
        np.testing.assert_allclose(adjust_pvalues([0.03], method), [0.03])
    # a larger n counts hypotheses that were not tested (R: p.adjust(c(0.01, 0.02), "holm", n = 4))
    np.testing.assert_allclose(adjust_pvalues([0.01, 0.02], "holm", n=4), [0.04, 0.06])
    np.testing.assert_allclose(adjust_pvalues([0.01, 0.02], "bonferroni", n=4), [0.04, 0.08])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_invariants(p: list[float]) -> None:
    """Adjusted >= raw; FWER methods order Bonferroni >= Holm >= Hochberg >= Hommel;
    BY >= BH; permuting the input permutes the output."""
    p = np.array(p)
    adj = {m: adjust_pvalues(p, m) for m in P_ADJUST_METHODS}
    for values in adj.values():
        assert np.all(values >= p - 1e-12) and np.all(values <= 1)
    assert np.all(adj["bonferroni"] >= adj["holm"] - 1e-12)
    assert np.all(adj["holm"] >= adj["hochberg"] - 1e-12)
    assert np.all(adj["hochberg"] >= adj["hommel"] - 1e-12)
    assert np.all(adj["BY"] >= adj["BH"] - 1e-12)
    perm = np.random.default_rng(len(p)).permutation(len(p))
    for method in P_ADJUST_METHODS:
        np.testing.assert_allclose(adjust_pvalues(p[perm], method), adj[method][perm])

"""Reliability and item analysis against R psych (values in tests/reference/)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaltools.instruments.library import load_instrument
from evaltools.instruments.reliability import (
    ITEM_COLUMNS,
    RELIABILITY_COLUMNS,
    cronbach_alpha,
    item_analysis,
    omega_total,
    reliability,
)

REF = Path(__file__).parent / "reference"
# Tolerances per quantity: closed forms agree to rounding; omega comes from an iterative
# minimum-residual fit (psych: optim L-BFGS-B), so it agrees to the optimiser's precision.
TOL_CLOSED_FORM = 1e-10
TOL_OMEGA = 1e-6


@pytest.fixture(scope="module")
def psych_ref() -> dict:
    """Produced by tests/reference/reliability_psych.R (R and psych versions inside)."""
    return json.loads((REF / "reliability_psych.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(REF / "bfi_ac.csv").rename(columns=str.lower)


@pytest.fixture(scope="module")
def instrument():
    return load_instrument(REF / "bfi_instrument.yml")


def test_alpha_and_omega_match_psych(bfi, instrument, psych_ref) -> None:
    plain = reliability(bfi, instrument)
    assert list(plain.columns) == RELIABILITY_COLUMNS
    result = plain.set_index("scale")
    assert psych_ref["n"] == len(bfi)
    for scale, ref in psych_ref["scales"].items():
        row = result.loc[scale]
        assert row["n"] == ref_n(psych_ref) and row["n_items"] == 5
        np.testing.assert_allclose(row["alpha"], ref["raw_alpha"], atol=TOL_CLOSED_FORM)
        np.testing.assert_allclose(row["ci_low"], ref["feldt_lower"], atol=TOL_CLOSED_FORM)
        np.testing.assert_allclose(row["ci_high"], ref["feldt_upper"], atol=TOL_CLOSED_FORM)
        np.testing.assert_allclose(row["omega_total"], ref["omega_total"], atol=TOL_OMEGA)
        assert row["ci_level"] == 0.95 and row["note"] == ""


def ref_n(ref: dict) -> int:
    return ref["n"]


def test_item_statistics_match_psych(bfi, instrument, psych_ref) -> None:
    items = item_analysis(bfi, instrument)
    assert list(items.columns) == ITEM_COLUMNS
    for scale, ref in psych_ref["scales"].items():
        block = items[items["scale"] == scale]
        assert block["item"].tolist() == [i.lower() for i in ref["items"]]
        np.testing.assert_allclose(block["r_drop"], ref["r_drop"], atol=TOL_CLOSED_FORM)
        np.testing.assert_allclose(block["alpha_if_deleted"], ref["alpha_if_deleted"],
                                   atol=TOL_CLOSED_FORM)
        np.testing.assert_allclose(block["mean"], ref["item_mean"], atol=TOL_CLOSED_FORM)
        np.testing.assert_allclose(block["sd"], ref["item_sd"], atol=TOL_CLOSED_FORM)


def test_edge_cases_are_explained_not_crashed(bfi, instrument) -> None:
    result = reliability(bfi, instrument).set_index("scale")
    assert np.isnan(result.loc["single", "alpha"])
    assert result.loc["single", "note"] == "one item: no internal consistency"
    assert np.isfinite(result.loc["pair", "alpha"]) and np.isnan(result.loc["pair", "omega_total"])
    assert result.loc["pair", "note"] == "two items: omega not identified"
    tiny = reliability(bfi.head(2), instrument).set_index("scale")
    assert tiny.loc["agreeableness", "note"] == "fewer than 3 responses to some pair of items"
    tiny = reliability(bfi.head(2), instrument, use="complete").set_index("scale")
    assert tiny.loc["agreeableness", "note"] == "fewer than 3 complete responses"
    constant = bfi.head(50).assign(a2=3)
    flat = reliability(constant, instrument).set_index("scale")
    assert flat.loc["agreeableness", "note"] == "an item without variance"
    assert np.isnan(flat.loc["agreeableness", "alpha"])


def test_listwise_deletion_and_missing_codes(bfi, instrument) -> None:
    holes = bfi.copy()
    holes.loc[:9, "a3"] = np.nan
    holes.loc[10:14, "a1"] = np.nan
    holes.loc[20:24, "a5"] = np.nan
    # pairwise: the smallest pair (a1, a3) lacks 15; complete cases lack 20
    for use, n in (("pairwise", len(bfi) - 15), ("complete", len(bfi) - 20)):
        result = reliability(holes, instrument, use=use).set_index("scale")
        assert result.loc["agreeableness", "n"] == n
        assert result.loc["agreeableness", "n_complete"] == len(bfi) - 20
        assert result.loc["conscientiousness", "n"] == len(bfi)
        assert (result["alpha_use"] == use).all()
    with pytest.raises(ValueError, match="use='listwise': expected 'pairwise'"):
        reliability(holes, instrument, use="listwise")


@pytest.fixture(scope="module")
def alpha_missing() -> dict:
    """psych::alpha on 40 x 5 items with 12 missing answers (tests/reference/adjust_icc_r.R,
    R 4.2.2, psych 2.2.9)."""
    return json.loads((REF / "adjust_icc_r.json").read_text("utf-8"))["alpha"]


def test_alpha_pairwise_and_complete_match_psych(alpha_missing) -> None:
    items = np.array([[np.nan if v is None else v for v in row] for row in alpha_missing["data"]],
                     dtype=float)
    assert np.isnan(items).sum() == len(alpha_missing["na_cells_colmajor_1based"])
    results = alpha_missing["results"]
    np.testing.assert_allclose(cronbach_alpha(items), results["pairwise_default"]["raw_alpha"],
                               rtol=TOL_CLOSED_FORM)
    np.testing.assert_allclose(cronbach_alpha(items, use="complete"),
                               results["complete_obs"]["raw_alpha"], rtol=TOL_CLOSED_FORM)
    complete = items[~np.isnan(items).any(axis=1)]
    assert len(complete) == alpha_missing["n_complete_rows"]
    np.testing.assert_allclose(cronbach_alpha(complete), results["na_omit"]["raw_alpha"],
                               rtol=TOL_CLOSED_FORM)
    # the two differ on these data, so the choice matters and is reported
    assert abs(results["pairwise_default"]["raw_alpha"]
               - results["complete_obs"]["raw_alpha"]) > 0.01


def test_by_group_equals_each_subset(bfi, instrument) -> None:
    data = bfi.assign(wave=np.where(np.arange(len(bfi)) % 3 == 0, "t0", "t1"))
    grouped = reliability(data, instrument, by=["wave"])
    assert list(grouped.columns) == ["wave", *RELIABILITY_COLUMNS]
    for wave in ("t0", "t1"):
        alone = reliability(data[data["wave"] == wave], instrument).set_index("scale")
        mine = grouped[grouped["wave"] == wave].set_index("scale")
        np.testing.assert_allclose(mine["alpha"], alone["alpha"], atol=TOL_CLOSED_FORM)
        np.testing.assert_allclose(mine["omega_total"].dropna(), alone["omega_total"].dropna(),
                                   atol=TOL_OMEGA)
    items = item_analysis(data, instrument, by=["wave"])
    assert set(items["wave"]) == {"t0", "t1"}


def test_alpha_invariants() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(200, 1)) + rng.normal(size=(200, 6))
    a = cronbach_alpha(x)
    assert cronbach_alpha(3 * x + 7) == pytest.approx(a, abs=1e-12)  # same linear rescaling
    assert cronbach_alpha(x[:, ::-1]) == pytest.approx(a, abs=1e-12)  # item order
    assert 0 < omega_total(x) < 1
    assert np.isnan(cronbach_alpha(x[:, :1]))


def test_bad_arguments(bfi, instrument) -> None:
    with pytest.raises(ValueError, match="ci_level=95"):
        reliability(bfi, instrument, ci_level=95)
    with pytest.raises(KeyError, match="grouping columns not in the data"):
        reliability(bfi, instrument, by=["site"])

"""The linkage check: pre-post correlations of all scales near zero mean ids linked wrongly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from click.testing import CliRunner
from numpy.testing import assert_allclose

from evaltools.cli.main import cli
from evaltools.data.ingest import check_data
from evaltools.data.linkage import LINKAGE_COLUMNS, linkage_check, prepost_correlations

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
R_TOL = 1e-12


def _plain_study(tmp_path: Path, *, shuffle: bool, n: int = 80) -> Path:
    """A plain two-wave study (WHO-5, BRS) whose t1 ids are correct or shuffled."""
    folder = tmp_path / ("shuffled" if shuffle else "linked")
    folder.mkdir()
    spec = yaml.safe_load((EXAMPLES / "qualtrics" / "study.yml").read_text("utf-8"))
    spec["data"] = {"raw_dir": "data/raw",
                    "files": [{"pattern": f"{w}.csv", "wave": w} for w in ("t0", "t1")],
                    "columns": {"respondent_id": "id"}, "csv": {"decimal": "."}}
    (folder / "study.yml").write_text(yaml.safe_dump(spec), "utf-8")
    rng = np.random.default_rng(7)
    level = rng.normal(0, 1, n)
    (folder / "data" / "raw").mkdir(parents=True)
    for k, wave in enumerate(("t0", "t1")):
        who5 = np.clip(np.rint(2.5 + level[:, None] + rng.normal(0, .7, (n, 5))), 0, 5)
        brs = np.clip(np.rint(3 + .7 * level[:, None] + rng.normal(0, .7, (n, 6))), 1, 5)
        ids = [f"p{i}" for i in range(n)]
        if shuffle and k == 1:
            ids = list(rng.permutation(ids))
        frame = pd.DataFrame(np.hstack([who5, brs]).astype(int),
                             columns=[f"who5_{i}" for i in range(1, 6)]
                             + [f"brs_{i}" for i in range(1, 7)])
        frame.insert(0, "id", ids)
        frame.to_csv(folder / "data" / "raw" / f"{wave}.csv", index=False)
    return folder


def test_wrongly_linked_ids_are_reported_by_validate_data(tmp_path: Path) -> None:
    linked = check_data(_plain_study(tmp_path, shuffle=False))
    assert not [p for p in linked.problems if "linked wrongly" in p.message]
    folder = _plain_study(tmp_path, shuffle=True)
    warning = [p for p in check_data(folder).problems if "linked wrongly" in p.message]
    assert len(warning) == 1 and warning[0].severity == "warning"
    assert "who5 (t1) r = " in warning[0].found and "over 80 pairs" in warning[0].found
    run = CliRunner().invoke(cli, ["validate", str(folder), "--data"])
    assert run.exit_code == 0 and "linked wrongly between waves" in run.output


def test_correlations_of_a_real_panel_and_of_a_shuffled_one(ingested_demo) -> None:
    study, panel = ingested_demo
    table = prepost_correlations(panel, study)
    assert list(table.columns) == LINKAGE_COLUMNS
    brs = table[(table["scale"] == "brs") & (table["wave"] == "t1")].iloc[0]
    both = panel.pivot_table(index="respondent_id", columns="wave", values="brs").dropna(
        subset=["t0", "t1"])
    assert brs["n_pairs"] == len(both)
    assert_allclose(brs["r"], np.corrcoef(both["t0"], both["t1"])[0, 1], atol=R_TOL)
    assert linkage_check(table) == []
    mixed = _mixed(panel, study, seed=3)
    warning = linkage_check(prepost_correlations(mixed, study))
    assert len(warning) == 1 and "near zero" in warning[0].message


def _mixed(panel: pd.DataFrame, study, seed: int) -> pd.DataFrame:
    """The panel with respondent ids shuffled within each wave after the baseline."""
    rng = np.random.default_rng(seed)
    mixed = panel.copy()
    for wave in [w.id for w in study.waves if w.id != study.baseline.id]:
        rows = mixed["wave"] == wave
        mixed.loc[rows, "respondent_id"] = rng.permutation(mixed.loc[rows, "respondent_id"])
    return mixed


def test_too_few_pairs_or_one_low_scale_is_not_judged() -> None:
    table = pd.DataFrame({"scale": ["a", "b"], "wave": ["t1", "t1"], "n_pairs": [12, 300],
                          "r": [0.01, 0.55]})
    assert linkage_check(table) == []
    assert linkage_check(table.assign(n_pairs=[5, 5])) == []
    assert len(linkage_check(table.assign(r=[0.01, 0.1], n_pairs=[30, 300]))) == 1


def test_data_quality_report_shows_the_linkage_check(ingested_demo, monkeypatch) -> None:
    from evaltools.reports import notebook

    study, panel = ingested_demo
    mixed = _mixed(panel, study, seed=5)
    pages = {}
    for name, frame in (("linked", panel), ("mixed", mixed)):
        shown: list = []
        monkeypatch.setattr(notebook, "display", shown.append)
        report = notebook.Report(study, "data_quality", "all", "t1", "en", _panel=frame)
        report.data_quality()
        pages[name] = "\n".join(getattr(o, "data", "") or "" for o in shown)
        table = next(s.frame for s in report.tables if s.name == "prepost_correlations")
        assert set(LINKAGE_COLUMNS) <= set(table.columns)
    assert "Linkage of respondents between waves" in pages["linked"]
    assert "nothing suggests respondents were linked wrongly" in pages["linked"]
    assert "Respondents may have been linked wrongly" in pages["mixed"]


def test_one_chance_correlation_above_the_threshold_does_not_hide_wrong_links() -> None:
    """Ids linked at random: 30 correlations around zero, one of which reaches 0.25 by chance
    (as happens with n = 250 pairs), still give the warning; a real panel with one low scale
    does not."""
    rng = np.random.default_rng(1)
    r = rng.normal(0, 0.06, 30)
    r[7] = 0.25
    table = pd.DataFrame({"scale": [f"s{i}" for i in range(30)], "wave": "t1",
                          "n_pairs": 250, "r": r})
    warning = linkage_check(table)
    assert len(warning) == 1 and "median r = " in warning[0].message
    real = table.assign(r=rng.uniform(0.4, 0.7, 30))
    real.loc[3, "r"] = 0.02
    assert linkage_check(real) == []

"""The synthetic demo study: determinism, the truth it records, and the mess it contains."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from evaltools import OutputLocationError, generate_demo_study, load_study, simulate_study
from evaltools.demo.files import is_demo_study
from evaltools.demo.layout import FILE_COLUMNS
from evaltools.demo.simulate import DEMO_EFFECTS, SimulationSettings
from evaltools.instruments.scoring import score_scales

from .conftest import SMALL

# Tolerances, named once. The simulated sample means scatter around the population values:
# with 20,000 respondents per cell the SE of a mean is 0.007 SD; allow about 6 SE.
MEAN_ATOL_SD = 0.04
ATT_RTOL = 0.05


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_files(tmp_path: Path, demo_dir: Path) -> None:
    again = generate_demo_study(tmp_path / "again", **SMALL)
    assert _digest(again.folder) == _digest(demo_dir)
    kinds = {p.suffix for p in again.wave_files}
    assert kinds == {".csv", ".xlsx"}  # 3 sites: CSV (UTF-8 and Windows-1252) and Excel


def test_all_formats_are_byte_identical_across_runs(tmp_path: Path) -> None:
    """Six sites cover CSV, Windows-1252 CSV, Excel and SPSS."""
    a = generate_demo_study(tmp_path / "a", seed=5, n_sites=6, size=(10, 12))
    b = generate_demo_study(tmp_path / "b", seed=5, n_sites=6, size=(10, 12))
    assert {p.suffix for p in a.wave_files} == {".csv", ".xlsx", ".sav"}
    assert _digest(a.folder) == _digest(b.folder)


def test_another_seed_gives_other_data(tmp_path: Path, demo_dir: Path) -> None:
    other = generate_demo_study(tmp_path / "other", **{**SMALL, "seed": 12})
    a, b = _digest(other.folder), _digest(demo_dir)
    assert a["data/raw/t0/rotterdam-zuid_t0.csv"] != b["data/raw/t0/rotterdam-zuid_t0.csv"]


def test_generated_study_validates(demo_dir: Path) -> None:
    study = load_study(demo_dir)
    assert len(study.sites) == SMALL["n_sites"]
    assert study.warnings == ()


def test_true_effects_are_readable_from_the_study(demo_dir: Path) -> None:
    truth = pd.read_csv(demo_dir / "truth" / "true_effects.csv")
    assert list(truth.columns) == ["site", "protective_factor", "instrument", "scale", "wave",
                                   "effect_latent", "att_score", "sd_baseline", "d_score",
                                   "n_treated"]
    sites = ["rotterdam-zuid", "den-haag-zuidwest", "amsterdam-nieuw-west"]
    assert set(truth["site"]) == {*sites, "all"}
    assert set(truth["wave"]) == {"t1", "t2"}
    overall = truth[truth["site"] == "all"].set_index(["scale", "wave"])
    # null effect stays null; reconsideration (higher is worse) moves the other way
    assert overall.loc[("democit", "t1"), "att_score"] == 0.0
    assert overall.loc[("umics_reconsideration", "t1"), "att_score"] < 0
    # follow-up keeps 60 % of the post effect on the latent scale
    np.testing.assert_allclose(overall.loc[("brs", "t2"), "effect_latent"],
                               0.6 * overall.loc[("brs", "t1"), "effect_latent"], rtol=1e-9)
    # site effects scatter around the planned effect (SD 0.06)
    site_rows = truth[(truth["scale"] == "digres") & (truth["wave"] == "t1")
                      & (truth["site"] != "all")]
    assert np.all(np.abs(site_rows["effect_latent"] - DEMO_EFFECTS["digital_resilience"]) < 0.3)
    meta = json.loads((demo_dir / "truth" / "simulation.json").read_text("utf-8"))
    assert meta["settings"]["seed"] == SMALL["seed"]
    assert is_demo_study(demo_dir)


def _scored(frame: pd.DataFrame, sim) -> dict[str, pd.Series]:
    """Raw scale scores by evaltools' own scoring (missing codes, keying, recodes, proration)."""
    long = score_scales(frame, sim.instruments)
    return {scale: block["raw_score"].reset_index(drop=True)
            for scale, block in long.groupby("scale", sort=False)}


@pytest.fixture(scope="module")
def big():
    """A large simulation in which sample means approach the population values."""
    settings = SimulationSettings(seed=3, n_sites=1, size=(20000, 20000), retention_post=0.999,
                                  retention_follow_up=0.999, dropout_slope=0.0,
                                  non_starter_share=0.0, duplicate_share=0.0, item_missing=0.0,
                                  dont_know=0.0)
    return settings, simulate_study(settings)


def test_expected_means_match_large_sample_means(big) -> None:
    _, sim = big
    expected = sim.expected_means.set_index(["group", "wave", "scale"])["expected_mean"]
    sd = sim.true_effects.drop_duplicates("scale").set_index("scale")["sd_baseline"]
    checked = 0
    for (group, wave), block in sim.responses.groupby(["group", "wave"]):
        for scale, values in _scored(block, sim).items():
            target = expected[(group, wave, scale)]
            assert abs(values.mean() - target) < MEAN_ATOL_SD * sd[scale], (group, wave, scale)
            checked += 1
    n_scales = sum(len(i.scales) for i in sim.instruments)
    assert n_scales == 18
    assert checked == 2 * 3 * n_scales


def test_att_matches_the_difference_the_effect_makes(big) -> None:
    """Same seed, effects switched off: the treated group's change is the recorded ATT."""
    settings, sim = big
    null = simulate_study(settings, effects={k: 0.0 for k in DEMO_EFFECTS})
    truth = sim.true_effects[sim.true_effects["site"] != "all"].set_index(["scale", "wave"])
    for wave in ("t1", "t2"):
        treated = (sim.responses["group"] == "interventie") & (sim.responses["wave"] == wave)
        with_effect = _scored(sim.responses[treated], sim)
        without = _scored(null.responses[treated], null)
        for scale in ("brs", "who5", "digres", "umics_reconsideration", "djg_total",
                      "collective_efficacy"):
            observed = with_effect[scale].mean() - without[scale].mean()
            np.testing.assert_allclose(observed, truth.loc[(scale, wave), "att_score"],
                                       rtol=ATT_RTOL)


def test_flow_truth_matches_the_wave_files(demo_dir: Path) -> None:
    flow = pd.read_csv(demo_dir / "truth" / "flow.csv").set_index(["site", "group"])
    for wave in ("t0", "t1", "t2"):
        for path in sorted((demo_dir / "data" / "raw" / wave).iterdir()):
            frame = _read(path)
            counts = frame.groupby("groep")["resp_nr"].nunique()
            site = frame["locatie"].iloc[0]
            for group, n in counts.items():
                assert flow.loc[(site, group), f"measured_{wave}"] == n
    assert (flow["completers"] + flow["dropouts"] == flow["measured_t0"]).all()
    assert (flow["enrolled"] == flow["measured_t0"] + flow["non_starters"]).all()


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        encoding = "utf-8-sig" if path.read_bytes()[:3] == b"\xef\xbb\xbf" else "cp1252"
        return pd.read_csv(path, sep=";", decimal=",", encoding=encoding, dtype={"resp_nr": str})
    if path.suffix == ".xlsx":
        return pd.read_excel(path, dtype={"resp_nr": str})
    frame, _ = pyreadstat.read_sav(str(path), user_missing=True)
    return frame


def test_files_contain_the_planned_mess(demo_dir: Path) -> None:
    truth = demo_dir / "truth"
    dups = pd.read_csv(truth / "duplicates.csv", dtype={"respondent_id": str})
    assert len(dups) >= 1
    people = pd.read_csv(truth / "participants.csv")
    frames = {p: _read(p) for p in sorted((demo_dir / "data" / "raw").rglob("*.*"))}
    everything = pd.concat(frames.values(), ignore_index=True)
    items = [c for c in everything.columns if c not in FILE_COLUMNS.values()]
    answers = everything[items].to_numpy(dtype=float)
    assert np.isnan(answers).mean() > 0.01          # blanks
    assert (answers == 9).mean() > 0.005            # "weet niet"
    for row in dups.itertuples():
        wave_files = [f for p, f in frames.items() if p.parent.name == row.wave]
        hits = sum((f["resp_nr"] == row.respondent_id).sum() for f in wave_files)
        assert hits == 2, row
    # dropout depends on the baseline: those who stay had higher baseline scores
    started = people[people["in_t0"]]
    assert started.loc[started["in_t1"], "z_baseline"].mean() > \
        started.loc[~started["in_t1"], "z_baseline"].mean() + 0.1
    assert (~people["in_t0"] & people["in_t1"]).sum() > 0   # non-starters
    # at follow-up the BRS items arrive under other names
    t2 = [f for p, f in frames.items() if p.parent.name == "t2"]
    assert all("veerkracht_1" in f.columns and "brs_1" not in f.columns for f in t2)
    # direct identifiers are present, as in real deliveries
    assert {"naam", "email", "telefoon", "postcode", "geboortedatum"} <= set(everything.columns)


def test_csv_is_as_dutch_tools_write_it(demo_dir: Path) -> None:
    raw = (demo_dir / "data" / "raw" / "t0" / "rotterdam-zuid_t0.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    header, first = raw[3:].decode("utf-8").split("\r\n")[:2]
    assert header.startswith("resp_nr;locatie;groep;ingevuld_op;invulduur_min")
    assert "," in first.split(";")[4]                       # decimal comma
    cp = (demo_dir / "data" / "raw" / "t0" / "amsterdam-nieuw-west_t0.csv").read_bytes()
    assert not cp.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        cp.decode("utf-8")  # names with accents, in Windows-1252
    cp.decode("cp1252")


def test_spss_file_keeps_value_labels_and_missing_codes(tmp_path: Path) -> None:
    result = generate_demo_study(tmp_path / "six", seed=2, n_sites=6, size=(10, 12))
    sav = next(p for p in result.wave_files if p.suffix == ".sav")
    frame, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    assert meta.variable_value_labels["brs_1"][9.0] == "weet niet"
    assert meta.variable_value_labels["brs_1"][1.0] == "helemaal mee oneens"
    assert meta.missing_ranges["brs_1"] == [{"lo": 9.0, "hi": 9.0}]
    assert frame["resp_nr"].str.isdigit().all()


def test_randomised_design_has_no_baseline_gap() -> None:
    sim = simulate_study(seed=4, n_sites=1, size=(50, 50), design="randomised")
    means = sim.expected_means.set_index(["group", "wave", "scale"])["expected_mean"]
    assert means[("interventie", "t0", "brs")] == pytest.approx(means[("controle", "t0", "brs")])
    quasi = simulate_study(seed=4, n_sites=1, size=(50, 50))
    qm = quasi.expected_means.set_index(["group", "wave", "scale"])["expected_mean"]
    assert qm[("interventie", "t0", "brs")] < qm[("controle", "t0", "brs")]


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("n_sites", 0, "n_sites=0: expected 1 to 100"),
    ("size", (5, 2), "size=.*low <= high"),
    ("design", "pre_post", "design='pre_post'"),
    ("retention_post", 1.5, "retention_post=1.5: expected a share"),
    ("item_missing", 0.49, "item_missing"),
])
def test_bad_settings_are_refused(setting: str, value, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_study(**{setting: value})


def test_never_overwrites_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    precious = tmp_path / "real-study"
    precious.mkdir()
    (precious / "wave1.csv").write_text("resp_nr;x\n1;2\n", "utf-8")
    with pytest.raises(OutputLocationError, match="not a generated demo study"):
        generate_demo_study(precious, seed=1, n_sites=1, size=(5, 5), force=True)
    assert (precious / "wave1.csv").read_text("utf-8") == "resp_nr;x\n1;2\n"
    assert [p.name for p in precious.iterdir()] == ["wave1.csv"]


def test_replacing_a_demo_needs_force_and_leaves_no_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    generate_demo_study(target, seed=1, n_sites=1, size=(5, 5))
    with pytest.raises(OutputLocationError, match="--force"):
        generate_demo_study(target, seed=2, n_sites=1, size=(5, 5))
    generate_demo_study(target, seed=2, n_sites=1, size=(5, 5), force=True)
    meta = json.loads((target / "truth" / "simulation.json").read_text("utf-8"))
    assert meta["settings"]["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no staging folders left


def test_simulation_does_not_depend_on_global_random_state() -> None:
    np.random.seed(1)  # noqa: NPY002 - the point is to disturb the legacy global state
    a = simulate_study(seed=9, n_sites=1, size=(20, 20)).responses
    np.random.seed(2)  # noqa: NPY002
    b = simulate_study(seed=9, n_sites=1, size=(20, 20)).responses
    pd.testing.assert_frame_equal(a, b)


def test_demo_workbooks_declare_their_size_and_read_in_one_pass(demo_dir, monkeypatch) -> None:
    """Excel writes a sheet's <dimension>; without it openpyxl parses a sheet once more just to
    size it. The reader converts each cell once (pandas) and notes error cells on the way."""
    import zipfile

    from evaltools.data import readers

    books = sorted((demo_dir / "data" / "raw").rglob("*.xlsx"))
    assert books
    for book in books:
        with zipfile.ZipFile(book) as z:
            assert b"<dimension ref=\"A1:" in z.read("xl/worksheets/sheet1.xml"), book
    converted = []
    real = readers.OpenpyxlReader._convert_cell
    monkeypatch.setattr(readers.OpenpyxlReader, "_convert_cell",
                        lambda self, cell: converted.append(1) or real(self, cell))
    table, problems = readers._read_xlsx(books[0], books[0].name, None)
    assert table is not None and not problems
    cells = (len(table.frame) + 1) * table.frame.shape[1]
    assert 0.9 * cells <= len(converted) < 1.5 * cells  # once per cell, not twice

"""Ingesting the demo study: raw data untouched, pseudonyms only, idempotent, flow = truth."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from evaltools.cli.main import cli
from evaltools.data.ingest import check_data, ingest
from evaltools.data.panel import (
    FLOW_COLUMNS,
    NothingIngestedError,
    attrition,
    load_panel,
    load_responses,
    participant_flow,
)
from evaltools.data.pseudonym import (
    StudyKeyError,
    create_key,
    default_key_file,
    key_env_name,
    load_key,
)
from evaltools.data.store import StoreError
from evaltools.study.load import load_study


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                         p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def ingested(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """A private copy of the demo study, with its own key, ingested once."""
    folder = tmp_path_factory.mktemp("ingested") / "study"
    shutil.copytree(demo_dir, folder)
    study = load_study(folder)
    key_path = default_key_file(study.id)
    if key_path.exists():
        key_path.unlink()
    create_key(study)
    raw_before = _snapshot(folder / "data" / "raw")
    result = ingest(study)
    return folder, study, result, raw_before


def test_demo_ingests_cleanly_with_its_mess_as_warnings(ingested) -> None:
    folder, study, result, _ = ingested
    summary = result.summary()
    assert (summary["status"] == "accepted").all() and len(summary) == 9
    assert (summary["errors"] == 0).all()
    assert result.ok
    warnings = [p for o in result.outcomes for p in o.problems]
    dups = pd.read_csv(folder / "truth" / "duplicates.csv")
    duplicate_notes = [p for p in warnings if "same respondent more than once" in p.message]
    assert len(duplicate_notes) == len(dups)
    assert all(p.location.startswith("rows ") and p.file.startswith("data/raw/")
               for p in duplicate_notes)
    for note in duplicate_notes:  # a located warning with its table on disk
        outcome = next(o for o in result.outcomes if o.file == note.file)
        assert (folder / outcome.report).is_file()
        assert (folder / (outcome.report.removesuffix(".csv") + ".html")).is_file()


def test_raw_files_are_byte_identical_after_ingest(ingested) -> None:
    folder, study, _, before = ingested
    ingest(study)  # and again
    assert _snapshot(folder / "data" / "raw") == before


def test_store_holds_no_original_identifier_and_no_key(ingested) -> None:
    folder, study, _, _ = ingested
    people = pd.read_csv(folder / "truth" / "participants.csv", dtype={"respondent_id": str})
    secret = default_key_file(study.id).read_text("ascii").strip()
    blobs = [p.read_bytes() for p in (folder / "store").rglob("*") if p.is_file()]
    for blob in blobs:
        assert secret.encode() not in blob and bytes.fromhex(secret) not in blob
    responses = load_responses(study, sources=True)
    assert responses["respondent_id"].str.fullmatch(r"p[0-9a-f]{20}").all()
    originals = set(people["respondent_id"])
    for column in responses.columns:
        values = set(responses[column].astype(str))
        assert not (values & originals), column
    text = " ".join(responses.astype("string").fillna("").to_numpy().ravel()[:200000])
    for identifier in ("@example.org", "06-"):
        assert identifier not in text
    assert not {"naam", "email", "telefoon", "postcode", "geboortedatum"} & set(
        responses.columns)
    store_text = b"".join(blobs)
    for original in list(originals)[:300]:
        assert f'"{original}"'.encode() not in store_text


def test_second_ingest_changes_nothing(ingested) -> None:
    folder, study, _, _ = ingested
    before = _snapshot(folder / "store")
    again = ingest(study)
    assert set(again.summary()["status"]) == {"unchanged"}
    assert _snapshot(folder / "store") == before


def test_flow_matches_the_simulators_ground_truth(ingested) -> None:
    folder, study, _, _ = ingested
    panel = load_panel(study)
    flow = participant_flow(panel, study)
    assert list(flow.columns) == FLOW_COLUMNS
    truth = pd.read_csv(folder / "truth" / "flow.csv")
    per_site = flow[flow["site"] != "all"]

    def n(site, group, stage, wave=None):
        rows = per_site[(per_site.site == site) & (per_site.group == group)
                        & (per_site.stage == stage)]
        rows = rows[rows.wave.isna()] if wave is None else rows[rows.wave == wave]
        return int(rows["n"].iloc[0])

    for row in truth.itertuples():
        assert n(row.site, row.group, "enrolled") == row.enrolled
        for wave in ("t0", "t1", "t2"):
            assert n(row.site, row.group, "measured", wave) == getattr(row, f"measured_{wave}")
        assert n(row.site, row.group, "completer", "t1") == row.completers
        assert n(row.site, row.group, "dropout", "t1") == row.dropouts
        assert n(row.site, row.group, "non_starter", "t1") == row.non_starters
        assert n(row.site, row.group, "completer", "t2") == row.follow_up_completers
    totals = flow[(flow.site == "all") & (flow.stage == "enrolled")]["n"].sum()
    assert totals == truth["enrolled"].sum()


def test_panel_scores_and_linking(ingested) -> None:
    folder, study, _, _ = ingested
    panel = load_panel(study)
    scales = [s.id for i in study.instruments for s in i.scales]
    assert list(panel.columns[:6]) == ["respondent_id", "site", "group", "wave", "wave_order",
                                       "submitted_at"]
    assert set(scales) <= set(panel.columns)
    assert not panel.duplicated(["respondent_id", "wave"]).any()
    # the same person keeps one pseudonym across waves and across file formats
    people = pd.read_csv(folder / "truth" / "participants.csv")
    both = people["in_t0"] & people["in_t1"] & people["in_t2"]
    waves_per_person = panel.groupby("respondent_id")["wave"].nunique()
    assert (waves_per_person == 3).sum() == both.sum()
    assert panel["brs"].between(1, 5).all() or panel["brs"].isna().any()


def test_attrition_dropouts_score_lower_at_baseline(ingested) -> None:
    _, study, _, _ = ingested
    table = attrition(load_panel(study), study)
    brs = table[(table.group == "all") & (table.scale == "brs")].iloc[0]
    assert brs["difference"] < 0 and brs["p_value"] < 0.05  # dropout depends on baseline
    with pytest.raises(KeyError, match="not a wave after the baseline"):
        attrition(load_panel(study), study, wave="t0")


def test_changed_removed_and_copied_files(ingested, tmp_path: Path) -> None:
    source, _, _, _ = ingested
    folder = tmp_path / "study"
    shutil.copytree(source, folder)
    study = load_study(folder)
    raw = folder / "data" / "raw"
    target = sorted((raw / "t1").glob("*.csv"))[0]
    text = target.read_bytes()
    target.write_bytes(text.replace(b";4;", b";3;", 1))            # a corrected delivery
    removed = sorted((raw / "t2").glob("*.csv"))[0]
    removed.unlink()
    copy = raw / "t0" / "copy-of-a-file.csv"
    shutil.copy(sorted((raw / "t0").glob("*.csv"))[0], copy)
    result = ingest(study).summary().set_index("file")
    rel = lambda p: p.relative_to(folder).as_posix()  # noqa: E731
    assert result.loc[rel(target), "status"] == "accepted"
    assert result.loc[rel(removed), "status"] == "removed"
    assert result.loc[rel(copy), "status"] == "duplicate"
    assert (result["status"] == "unchanged").sum() == 9 - 2
    parts = list((folder / "store" / "responses").rglob("*.parquet"))
    assert len(parts) == 8  # one per accepted file, stale parts removed


def test_a_broken_file_is_quarantined_and_the_rest_go_through(ingested, tmp_path: Path) -> None:
    source, _, _, _ = ingested
    folder = tmp_path / "study"
    shutil.copytree(source, folder)
    bad = folder / "data" / "raw" / "t1" / "rotterdam-zuid_t1.csv"
    lines = bad.read_text("utf-8-sig").splitlines()
    cells = lines[5].split(";")
    cells[-1] = "12"
    lines[5] = ";".join(cells)
    bad.write_text("\n".join(lines) + "\n", "utf-8-sig")
    run = CliRunner().invoke(cli, ["ingest", str(folder)])
    assert run.exit_code == 1, run.output
    assert "quarantined" in run.output and "row 6, column democit_8" in run.output
    summary = ingest(load_study(folder)).summary().set_index("file")
    rel = bad.relative_to(folder).as_posix()
    assert summary.loc[rel, "status"] == "unchanged"  # still quarantined, not re-checked
    manifest = (folder / "store" / "manifest.json").read_text("utf-8")
    assert '"status": "quarantined"' in manifest
    # the previous accepted version of that file is gone from the panel, the rest remain
    panel = load_panel(load_study(folder))
    assert len(panel) > 0


def test_key_checks(ingested, tmp_path: Path, monkeypatch) -> None:
    source, _, _, _ = ingested
    folder = tmp_path / "study"
    shutil.copytree(source, folder)
    study = load_study(folder)
    with pytest.raises(StudyKeyError, match="already exists"):
        create_key(study)
    other = "ab" * 32
    monkeypatch.setenv(key_env_name(study.id), other)
    assert load_key(study).source == f"environment variable {key_env_name(study.id)}"
    assert other not in repr(load_key(study))
    with pytest.raises(StoreError, match="built with another key"):
        ingest(study)
    rebuilt = ingest(study, rebuild=True)
    assert set(rebuilt.summary()["status"]) == {"accepted"}
    monkeypatch.setenv(key_env_name(study.id), "not-hex")
    with pytest.raises(StudyKeyError, match="does not hold a hexadecimal key"):
        load_key(study)


def test_key_file_mode_and_study_setting(tmp_path: Path, edit_study) -> None:
    folder = edit_study(lambda d: d.update(pseudonymisation={"key_file": "../keys/s.key"}))
    study = load_study(folder)
    path = create_key(study)
    assert path == (folder / "../keys/s.key")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    inside = edit_study(lambda d: d.update(pseudonymisation={"key_file": "store/s.key"}))
    with pytest.raises(Exception, match="outside the study"):
        load_study(inside)


def test_pseudonyms_are_keyed_and_stable() -> None:
    from evaltools.data.pseudonym import StudyKey, pseudonymise

    a, b = StudyKey(b"a" * 32, "test"), StudyKey(b"b" * 32, "test")
    ids = pd.Series(["100234", "100235", "100234"], dtype="string")
    pa = pseudonymise(ids, a)
    assert pa[0] == pa[2] != pa[1]
    assert (pseudonymise(ids, b) != pa).all()
    assert pa[0] == a.digest("100234") and len(pa[0]) == 21


@pytest.mark.parametrize("dtype", ["string", "object", "str"])
def test_pseudonyms_of_distinct_ids_are_those_of_every_id(dtype) -> None:
    """Hashing each distinct id once gives the pseudonyms of hashing every row, missing ids
    missing, on the caller's index."""
    from evaltools.data.pseudonym import StudyKey, pseudonymise

    key = StudyKey(bytes(range(32)), "test")
    ids = pd.Series(["7", None, "0007", "7", "é-1", "", "7"], index=[9, 3, 5, 1, 0, 2, 4],
                    dtype=dtype)
    want = pd.Series([None if v is None or v is pd.NA or v != v else key.digest(v)
                      for v in ids.to_numpy(dtype=object)], index=ids.index, dtype="string")
    pd.testing.assert_series_equal(pseudonymise(ids, key), want)
    assert key.digests(["7", "0007"]) == [key.digest("7"), key.digest("0007")]
    assert pseudonymise(pd.Series([], dtype="string"), key).dtype == "string"


@pytest.mark.parametrize("length", [16, 32, 63, 64, 65, 200])
def test_digests_are_hmac_sha256_for_keys_of_any_length(length: int) -> None:
    """StudyKey.digests computes HMAC with its padded key blocks hashed once: the pseudonyms
    must be those of hmac.digest (RFC 2104), also for keys longer than a SHA-256 block."""
    import hmac

    from evaltools.data.pseudonym import StudyKey

    secret = bytes((7 * k + 3) % 256 for k in range(length))
    ids = ["100234", "", "0007", "é-ü 17", "x" * 300]
    want = ["p" + hmac.digest(secret, i.encode("utf-8"), "sha256").hex()[:20] for i in ids]
    assert StudyKey(secret, "test").digests(ids) == want


def test_check_data_writes_nothing(ingested, tmp_path: Path) -> None:
    source, _, _, _ = ingested
    folder = tmp_path / "study"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("store"))
    result = check_data(folder)
    assert result.ok and {o.status for o in result.outcomes} == {"checked"}
    assert not (folder / "store").exists()
    run = CliRunner().invoke(cli, ["validate", str(folder), "--data"])
    assert run.exit_code == 0 and "9 files checked" in run.output


def test_panel_before_ingest_says_what_to_do(study_copy: Path) -> None:
    with pytest.raises(NothingIngestedError, match="evaltools ingest"):
        load_panel(load_study(study_copy))


def test_unmatched_and_ambiguous_files(edit_study) -> None:
    folder = edit_study(lambda d: d["data"]["files"].append({"pattern": "t0/*.csv",
                                                             "wave": "t1"}))
    (folder / "data" / "raw" / "notes.txt").write_text("readme", "utf-8")
    result = check_data(folder)
    messages = [p.message for p in result.problems]
    assert any("more than one data.files rule" in m for m in messages)
    assert any("no data.files rule matches" in m for m in messages)
    assert not result.ok


def test_stored_rows_trace_back_to_their_source(ingested) -> None:
    folder, study, _, _ = ingested
    responses = load_responses(study, sources=True)
    row = responses.iloc[0]
    assert (folder / row["source_file"]).is_file()
    assert isinstance(row["source_row"], int | np.integer) and row["source_row"] >= 1

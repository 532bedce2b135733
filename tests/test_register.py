"""The evidence register on SQLite and PostgreSQL: rules, migrations, exchange, privacy."""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from evaltools.register import (
    CELL_FLOOR,
    Register,
    RegisterError,
    check_rows,
    register_url,
    result_id,
)
from evaltools.register.collect import collect
from evaltools.register.columns import COLUMN_NAMES
from evaltools.register.exchange import (
    committed_schema,
    export_register,
    import_register,
    json_schema,
    schema_path,
)


@pytest.fixture(scope="module")
def demo_rows(ingested_demo):
    study, panel = ingested_demo
    return collect(study, panel, recorded_at="2026-01-01T00:00:00Z")


def test_collect_holds_aggregates_of_every_site_and_the_study(ingested_demo, demo_rows):
    study, panel = ingested_demo
    assert list(demo_rows.columns) == COLUMN_NAMES
    scales = {s.id for i in study.instruments for s in i.scales}
    assert set(demo_rows["site"]) == {s.id for s in study.sites} | {"all"}
    assert set(demo_rows["scale"]) == scales and set(demo_rows["wave_post"]) == {"t1", "t2"}
    assert (demo_rows[["n", "n_intervention", "n_comparison"]] >= study.min_cell_size).all().all()
    whole = demo_rows[demo_rows.site == "all"]
    assert whole["wwc_rating"].isin(["meets_with_reservations", "does_not_meet"]).all()
    assert (demo_rows.loc[demo_rows.site != "all", "wwc_rating"] == "").all()
    # nothing respondent-level: no pseudonym of the panel appears anywhere in the rows
    text = demo_rows.to_csv()
    assert not any(pid in text for pid in panel["respondent_id"].unique()[:200])
    assert demo_rows["result_id"].is_unique
    assert demo_rows.loc[0, "result_id"] == result_id(demo_rows.iloc[0].to_dict())


def test_small_sites_are_left_out(ingested_demo):
    from dataclasses import replace

    study, panel = ingested_demo
    strict = replace(study, min_cell_size=130)
    rows = collect(strict, panel)
    assert len(rows) and (rows[["n_intervention", "n_comparison"]] >= 130).all().all()
    assert len(rows) < len(collect(study, panel))


def test_add_is_idempotent_and_reads_back(register_url, demo_rows):
    with Register(register_url) as register:
        assert register.revision == "0005"
        assert register.add(demo_rows) == (len(demo_rows), 0)
        assert register.add(demo_rows) == (0, len(demo_rows))
        back = register.read()
    assert len(back) == len(demo_rows)
    merged = back.set_index("result_id").loc[demo_rows["result_id"]]
    np.testing.assert_allclose(merged["effect_size"], demo_rows["effect_size"], rtol=1e-12)
    assert (merged["well_founded"] == demo_rows["well_founded"].to_numpy()).all()
    # opening again runs no migration twice
    with Register(register_url) as again:
        assert again.revision == "0005" and len(again.read()) == len(demo_rows)


def test_new_data_version_is_kept_and_current_rows_pick_the_newest(register_url, demo_rows):
    newer = demo_rows.assign(inputs_fingerprint="f" * 64, recorded_at="2026-02-01T00:00:00Z",
                             effect_size=demo_rows["effect_size"])
    newer["result_id"] = [result_id(r) for r in newer.to_dict("records")]
    with Register(register_url) as register:
        register.add(demo_rows)
        assert register.add(newer) == (len(newer), 0)
        assert len(register.read(current=False)) == 2 * len(demo_rows)
        current = register.read()
    assert len(current) == len(demo_rows)
    assert (current["inputs_fingerprint"] == "f" * 64).all()


def test_export_import_round_trip_csv_and_parquet(register_url, demo_rows, tmp_path):
    source = Register(f"sqlite:///{tmp_path / 'source.sqlite'}")
    source.add(demo_rows)
    for name in ("results.csv", "results.parquet"):
        path, count = export_register(source, tmp_path / name)
        assert count == len(demo_rows)
        schema = json.loads(schema_path(path).read_text())
        assert schema["x-evaltools-schema-version"] == 4
        with Register(register_url) as target:
            before = target.read(current=False)
            added, present = import_register(target, path)
            assert (added, present) == ((len(demo_rows), 0) if before.empty
                                        else (0, len(demo_rows)))
            assert import_register(target, path) == (0, len(demo_rows))  # twice: no change
            back = target.read(current=False)
        expected = source.read(current=False)
        pd.testing.assert_frame_equal(back.reset_index(drop=True),
                                      expected.reset_index(drop=True), check_exact=True)
    source.close()


def test_exported_rows_satisfy_the_json_schema(demo_rows, tmp_path):
    with Register(f"sqlite:///{tmp_path / 'r.sqlite'}") as register:
        register.add(demo_rows)
        path, _ = export_register(register, tmp_path / "out.parquet")
    validator = jsonschema.Draft202012Validator(json_schema())
    frame = pd.read_parquet(path)
    for record in json.loads(frame.to_json(orient="records")):
        validator.validate(record)
    bad = json.loads(frame.head(1).to_json(orient="records"))[0] | {"n_intervention": 3}
    assert not validator.is_valid(bad)
    assert not validator.is_valid(bad | {"respondent_id": "p123"})


def test_committed_schema_is_current():
    assert json.loads(committed_schema().read_text()) == json_schema()


def test_rules_name_row_column_value_and_rule(demo_rows, tmp_path):
    rows = demo_rows.head(3).copy()
    rows.loc[1, "n_comparison"] = 4
    rows.loc[2, "p_value"] = 1.5
    rows.loc[0, "effect_size"] = 9.0
    with pytest.raises(RegisterError) as info:
        check_rows(rows, source="upload.csv")
    text = str(info.value)
    assert "upload.csv: row 3, column 'n_comparison', value 4: below the minimum cell" in text
    assert "row 4, column 'p_value', value 1.5: must be between 0 and 1" in text
    assert "row 2, column 'effect_size', value 9.0: outside its interval" in text
    with pytest.raises(RegisterError, match="columns not in the register schema: "
                                            "respondent_id"):
        check_rows(rows.assign(respondent_id="p1"))
    with pytest.raises(RegisterError, match=f"must be at least {CELL_FLOOR}"):
        check_rows(demo_rows.head(1).assign(min_cell_size=1))
    edited = demo_rows.head(1).assign(study="someone-else")
    with pytest.raises(RegisterError, match="edited after it was exported"):
        check_rows(edited)


def test_import_of_a_broken_file_adds_nothing(register_url, demo_rows, tmp_path):
    path = tmp_path / "broken.csv"
    frame = demo_rows.copy()
    frame.loc[5, "design"] = "cohort"
    frame.to_csv(path, index=False)
    with Register(register_url) as register:
        with pytest.raises(RegisterError, match=r"broken.csv: row 7, column 'design', "
                                                r"value 'cohort': expected one of"):
            import_register(register, path)
        assert register.read().empty
        with pytest.raises(RegisterError, match="unknown exchange format 'xlsx'"):
            import_register(register, tmp_path / "x.xlsx")
        with pytest.raises(RegisterError, match="no such file"):
            import_register(register, tmp_path / "missing.csv")


def test_the_database_itself_refuses_small_cells(register_url, demo_rows):
    row = {k: (v.item() if hasattr(v, "item") else v)
           for k, v in demo_rows.iloc[0].to_dict().items()}
    row["n_comparison"] = 2
    with Register(register_url) as register:
        from evaltools.register.columns import results

        with pytest.raises(sa.exc.IntegrityError), register.engine.begin() as connection:
            connection.execute(sa.insert(results), [row])


def test_bad_urls_are_named(tmp_path):
    with pytest.raises(RegisterError, match="not an SQLAlchemy URL"):
        Register("not a url")
    with pytest.raises(RegisterError, match=r"cannot open the register at "
                                            r"postgresql\+psycopg://u:\*\*\*@127.0.0.1:1/x"):
        Register("postgresql+psycopg://u:secret@127.0.0.1:1/x")


def test_register_url_order(ingested_demo, tmp_path, monkeypatch):
    study, _ = ingested_demo
    monkeypatch.delenv("EVALTOOLS_REGISTER", raising=False)
    assert register_url(study, reports_dir=tmp_path) == \
        f"sqlite:///{tmp_path.resolve() / 'register.sqlite'}"
    monkeypatch.setenv("EVALTOOLS_REGISTER", "sqlite:///from-env.sqlite")
    assert register_url(study) == "sqlite:///from-env.sqlite"
    assert register_url(study, url="postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    from dataclasses import replace

    own = replace(study, evidence=replace(study.evidence, register="shared/evidence.sqlite"))
    assert register_url(own) == "sqlite:///from-env.sqlite"  # the environment wins
    monkeypatch.delenv("EVALTOOLS_REGISTER")
    assert register_url(own) == \
        f"sqlite:///{(study.folder / 'shared' / 'evidence.sqlite').resolve()}"
    monkeypatch.setenv("EVALTOOLS_REGISTER", "here.sqlite")  # a path: relative to the cwd
    assert register_url(own) == f"sqlite:///{(Path.cwd() / 'here.sqlite').resolve()}"


def test_exported_files_hold_no_private_path(demo_rows, tmp_path):
    with Register(f"sqlite:///{tmp_path / 'r.sqlite'}") as register:
        register.add(demo_rows)
        path, _ = export_register(register, tmp_path / "out.csv")
    text = path.read_text() + schema_path(path).read_text()
    assert str(tmp_path) not in text and str(Path.home()) not in text


def test_migrated_schema_matches_the_column_list(register_url):
    with Register(register_url) as register:
        found = sa.inspect(register.engine).get_columns("results")
    assert [c["name"] for c in found] == COLUMN_NAMES
    from evaltools.register.columns import COLUMNS

    required = {c.name for c in COLUMNS if c.required}
    assert {c["name"] for c in found if not c["nullable"]} == required


def test_a_changed_declaration_is_a_new_version_of_the_results(ingested_demo, demo_rows,
                                                                tmp_path):
    import shutil

    from evaltools.register.collect import inputs_fingerprint
    from evaltools.study.load import load_study

    study, panel = ingested_demo
    copy = tmp_path / "study"
    shutil.copytree(study.folder, copy)
    yml = copy / "study.yml"
    yml.write_text(yml.read_text("utf-8").replace("well_founded: true", "well_founded: false"),
                   "utf-8")
    changed = load_study(copy)
    assert inputs_fingerprint(changed) != inputs_fingerprint(study)
    rows = collect(changed, panel, recorded_at="2026-03-01T00:00:00Z")
    assert not set(rows["result_id"]) & set(demo_rows["result_id"])
    whole = rows[rows["site"] == "all"]
    assert set(whole["evidence_level"]) == {"goed_beschreven"}
    with Register(f"sqlite:///{tmp_path / 'r.sqlite'}") as register:
        register.add(demo_rows)
        assert register.holds("", study.id, inputs_fingerprint(study)) == len(demo_rows)
        assert register.holds("", study.id, inputs_fingerprint(changed)) == 0
        register.add(rows)
        current = register.read()
    assert set(current.loc[current["site"] == "all", "evidence_level"]) == {"goed_beschreven"}


def test_import_reads_a_csv_resaved_with_dutch_settings(demo_rows, tmp_path):
    with Register(f"sqlite:///{tmp_path / 'a.sqlite'}") as source:
        source.add(demo_rows)
        path, _ = export_register(source, tmp_path / "out.csv")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    dutch = tmp_path / "opgeslagen.csv"
    frame.apply(lambda col: col.str.replace(".", ",", regex=False)
                if col.name in ("effect_size", "se", "ci_low", "ci_high", "p_value",
                                "ci_level", "follow_up_months") else col).to_csv(
        dutch, sep=";", index=False)
    with Register(f"sqlite:///{tmp_path / 'b.sqlite'}") as target:
        assert import_register(target, dutch) == (len(demo_rows), 0)
        back = target.read()
    np.testing.assert_allclose(back.set_index("result_id").loc[demo_rows["result_id"],
                                                               "effect_size"],
                               demo_rows["effect_size"], rtol=1e-15)


def test_a_register_at_schema_1_is_upgraded_and_keeps_its_rows(register_url, demo_rows):
    """Migrations: a register made by an older evaltools (schema 0001, no site names) is
    upgraded when opened; its rows stay, and a version-1 export still imports."""
    from alembic import command
    from alembic.config import Config

    from evaltools.register.database import _MIGRATIONS

    engine = sa.create_engine(register_url)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    old = demo_rows.drop(columns="site_name").head(20)
    records = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
               for r in old.to_dict("records")]
    table = sa.Table("results", sa.MetaData(), autoload_with=engine)
    assert "site_name" not in table.c
    with engine.begin() as connection:
        connection.execute(sa.insert(table), records)
    engine.dispose()
    with Register(register_url) as register:
        assert register.revision == "0005"
        back = register.read()
        assert len(back) == 20 and set(back["site_name"].fillna("")) == {""}
        assert set(back["scale_label_nl"].fillna("")) == {""}  # schema 4: no names yet
        assert register.add(demo_rows) == (len(demo_rows) - 20, 20)  # same ids: kept once
        named = register.read()
    assert len(named) == len(demo_rows)
    assert (named.loc[named["site"] != "all", "site_name"].fillna("") != "").sum() >= \
        len(demo_rows) - 20 - (demo_rows["site"] == "all").sum()


def test_every_effect_size_type_has_its_label_in_both_languages() -> None:
    """The overview and the evidence section label an effect by ``es.<type>`` (a register
    row of a repeated cross-section once broke the overview with KeyError 'es.hedges_g_did')."""
    from evaltools.core.i18n import t
    from evaltools.register.columns import COLUMNS

    types = next(c.enum for c in COLUMNS if c.name == "effect_size_type")
    for kind in types:
        for lang in ("nl", "en"):
            assert t(f"es.{kind}", lang) and t(f"es.short.{kind}", lang)

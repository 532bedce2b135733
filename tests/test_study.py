"""The study definition: a valid one loads, and every kind of mistake is reported precisely."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evaltools import StudyDefinitionError, check_study, load_study
from evaltools.study.model import TEMPLATES


def test_demo_study_loads_with_its_parts(demo_dir: Path) -> None:
    study = load_study(demo_dir)
    assert study.id == "veerkracht-demo"
    assert study.design == "controlled"
    assert [w.id for w in study.waves] == ["t0", "t1", "t2"]
    assert [w.role for w in study.waves] == ["baseline", "post", "follow_up"]
    assert study.baseline.id == "t0"
    assert study.wave("t1").start == dt.date(2025, 1, 13)
    assert [s.id for s in study.sites] == ["rotterdam-zuid", "den-haag-zuidwest",
                                          "amsterdam-nieuw-west"]
    assert {g.role for g in study.groups} == {"intervention", "comparison"}
    assert study.has_comparison
    assert [i.id for i in study.instruments] == ["brs", "who5", "mspss", "apgar", "umics",
                                                 "djg6", "cohesion", "digres_example",
                                                 "democit_example"]
    assert len(study.item_ids) == 73
    assert study.data.respondent_id == "resp_nr"
    assert study.data.renames["t2"]["veerkracht_1"] == "brs_1"
    assert "naam" in study.data.identifiers
    assert study.min_cell_size == 10
    assert study.language == "nl"
    assert [r.template for r in study.reports] == list(TEMPLATES)
    assert study.reports[1].waves == ("t1", "t2")  # default: every wave after baseline
    assert study.warnings == ()
    assert study.title.get("en").startswith("Strong in the Neighbourhood")


def test_a_study_file_path_works_as_well_as_its_folder(demo_dir: Path) -> None:
    assert load_study(demo_dir / "study.yml").id == load_study(demo_dir).id


def test_wave_lookup_names_the_known_waves(demo_dir: Path) -> None:
    with pytest.raises(KeyError, match="t0, t1, t2"):
        load_study(demo_dir).wave("t9")


def _set(path: tuple, value):
    def change(d: dict) -> None:
        node = d
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def _delete(path: tuple):
    def change(d: dict) -> None:
        node = d
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return change


def _append(path: tuple, value):
    def change(d: dict) -> None:
        node = d
        for key in path:
            node = node[key]
        node.append(value)
    return change


# (case id, change, location the problem must name, pattern its message must match)
INVALID = [
    ("unknown design", _set(("design",), "prepost"), "design", r"did you mean 'pre_post'"),
    ("unknown top key", _set(("langauge",), "nl"), "langauge", r"unknown key"),
    ("missing id", _delete(("id",)), "(top level)", r"required key 'id'"),
    ("bad id form", _set(("id",), "Mijn Studie"), "id", r"wrong form"),
    ("wave role", _set(("waves", 1, "role"), "pre"), "waves[1].role", r"value not allowed"),
    ("wave order type", _set(("waves", 1, "order"), "one"), "waves[1].order",
     r"wrong kind of value"),
    ("duplicate wave id", _set(("waves", 2, "id"), "t1"), "waves[2].id", r"more than once"),
    ("duplicate wave order", _set(("waves", 2, "order"), 1), "waves[2].order",
     r"more than once"),
    ("two baselines", _set(("waves", 1, "role"), "baseline"), "waves", r"exactly one baseline"),
    ("baseline not first", _set(("waves", 0, "order"), 5), "waves[0].order",
     r"before every other"),
    ("follow-up before post", _set(("waves", 2, "order"), 0), "waves[2].order",
     r"follow-up comes after"),
    ("impossible date", _set(("waves", 1, "window", "end"), "2025-02-30"),
     "waves[1].window.end", r"not a calendar date"),
    ("window reversed", _set(("waves", 1, "window"), {"start": "2025-03-01", "end": "2025-02-01"}),
     "waves[1].window", r"ends before it starts"),
    ("windows overlap", _set(("waves", 1, "window"), {"start": "2024-10-01", "end": "2025-02-01"}),
     "waves[1].window", r"overlaps"),
    ("date form", _set(("waves", 0, "window", "start"), "1-9-2024"), "waves[0].window.start",
     r"wrong form"),
    ("one wave only", lambda d: d.__setitem__("waves", d["waves"][:1]), "waves",
     r"at least 2"),
    ("duplicate site", _append(("sites",), {"id": "rotterdam-zuid"}), "sites[3].id",
     r"more than once"),
    ("no sites", _set(("sites",), []), "sites", r"at least 1"),
    ("controlled without comparison", _set(("groups", 1, "role"), "intervention"), "groups",
     r"needs an intervention group and a comparison group"),
    ("pre_post with comparison", _set(("design",), "pre_post"), "design",
     r"comparison group is declared"),
    ("unknown instrument", _append(("instruments",), "rses_x"), "instruments[9]",
     r"unknown instrument"),
    ("instrument twice", _append(("instruments",), "brs"), "instruments[9]",
     r"more than once"),
    ("unknown instrument version", _set(("instruments", 0), {"id": "brs", "version": "9.9"}),
     "instruments[0].version", r"no such version"),
    ("absolute raw dir", _set(("data", "raw_dir"), "/home/someone/data"), "data.raw_dir",
     r"relative to the study folder"),
    ("raw dir escapes", _set(("data", "raw_dir"), "../elsewhere"), "data.raw_dir",
     r"relative to the study folder"),
    ("file rule unknown wave", _set(("data", "files", 0, "wave"), "t7"), "data.files[0].wave",
     r"unknown wave"),
    ("file rule without wave", _delete(("data", "files", 0, "wave")), "data.files[0]",
     r"no wave for these files"),
    ("file rule unknown site", _set(("data", "files", 0, "site"), "utrecht"),
     "data.files[0].site", r"unknown site"),
    ("missing respondent id", _delete(("data", "columns", "respondent_id")), "data.columns",
     r"required key 'respondent_id'"),
    ("no group column", _delete(("data", "columns", "group")), "data.columns",
     r"no group column"),
    ("no site column", _delete(("data", "columns", "site")), "data.columns",
     r"no site column"),
    ("rename for unknown wave", _set(("data", "renames", "t5"), {"a": "brs_1"}),
     "data.renames.t5", r"unknown wave"),
    ("rename to unknown item", _set(("data", "renames", "t2", "veerkracht_1"), "brs_11"),
     "data.renames.t2.veerkracht_1", r"did you mean 'brs_1'"),
    ("two renames to one name", _set(("data", "renames", "t2", "veerkracht_2"), "brs_1"),
     "data.renames.t2.veerkracht_2", r"same name"),
    ("identifier is the respondent id", _append(("data", "identifiers"), "resp_nr"),
     "data.identifiers[5]", r"also data.columns.respondent_id"),
    ("identifier is an item", _append(("data", "identifiers"), "brs_1"),
     "data.identifiers[5]", r"also an item"),
    ("item column to unknown item", _set(("data", "item_columns"), {"V1": "brs_99"}),
     "data.item_columns.V1", r"unknown item"),
    ("bad csv delimiter", _set(("data", "csv", "delimiter"), ":"), "data.csv.delimiter",
     r"value not allowed"),
    ("bad duplicates policy", _set(("data", "duplicates"), "keep_all"), "data.duplicates",
     r"value not allowed"),
    ("subgroup is the site column", _append(("subgroups",), {"column": "locatie"}),
     "subgroups[2].column", r"already mapped as data.columns.site"),
    ("min cell size zero", _set(("disclosure", "min_cell_size"), 0),
     "disclosure.min_cell_size", r"at least 1"),
    ("language", _set(("reports", "language"), "de"), "reports.language", r"'nl', 'en'"),
    ("unknown template", _append(("reports", "produce"), {"template": "prepots"}),
     "reports.produce[5].template", r"did you mean 'prepost'"),
    ("report on baseline", _append(("reports", "produce"), {"template": "prepost",
                                                              "waves": ["t0"]}),
     "reports.produce[5].waves[0]", r"not the baseline"),
    ("report unknown site", _append(("reports", "produce"), {"template": "prepost",
                                                               "sites": ["nergens"]}),
     "reports.produce[5].sites[0]", r"unknown site"),
    ("title with unknown language", _set(("title",), {"nl": "x", "de": "y"}), "title.de",
     r"unknown key"),
    ("title empty", _set(("title",), ""), "title", r"must not be empty"),
    ("protective factors empty", _set(("intervention", "protective_factors"), []),
     "intervention.protective_factors", r"at least 1"),
]


@pytest.mark.parametrize(("change", "location", "pattern"),
                         [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_invalid_definition_is_reported_at_its_place(edit_study, change, location, pattern):
    folder = edit_study(change)
    study, problems = check_study(folder)
    assert study is None
    hits = [p for p in problems if p.location == location and p.severity == "error"]
    assert hits, f"no error at {location}; got: " + "; ".join(p.describe() for p in problems)
    assert any(__import__("re").search(pattern, p.describe()) for p in hits), \
        [p.describe() for p in hits]
    assert all(p.line for p in hits), "every problem in a parsed file names its line"
    with pytest.raises(StudyDefinitionError, match=r"error"):
        load_study(folder)


def test_pre_post_without_groups_gets_one_group(edit_study) -> None:
    def change(d: dict) -> None:
        d["design"] = "pre_post"
        del d["groups"]
        del d["data"]["columns"]["group"]
        d["reports"]["produce"] = [{"template": "prepost"}]
    study = load_study(edit_study(change))
    assert [(g.id, g.role) for g in study.groups] == [("intervention", "intervention")]
    assert not study.has_comparison


def test_controlled_template_needs_a_comparison_group(edit_study) -> None:
    def change(d: dict) -> None:
        d["design"] = "pre_post"
        d["groups"] = d["groups"][:1]
    study, problems = check_study(edit_study(change))
    assert study is None
    assert any(p.location == "reports.produce[2].template" and "no comparison group"
               in p.message for p in problems)


def test_every_mistake_is_reported_at_once(edit_study) -> None:
    def change(d: dict) -> None:
        d["design"] = "prepost"                      # schema: enum
        d["waves"][0]["role"] = "baselin"            # schema: enum
        d["waves"][1]["window"]["end"] = "2025-02-31"  # semantics: date
        d["instruments"].append("rses_x")            # semantics: reference
        d["data"]["renames"]["t2"]["veerkracht_1"] = "brs_11"  # semantics: reference
        d["data"]["duplicate"] = "keep_last"         # schema: unknown key
        d["reports"]["language"] = "de"              # schema: enum
        d["disclosure"]["min_cell_size"] = 3         # warning
    _, problems = check_study(edit_study(change))
    errors = {p.location for p in problems if p.severity == "error"}
    assert errors == {"design", "waves[0].role", "waves[1].window.end", "instruments[9]",
                      "data.renames.t2.veerkracht_1", "data.duplicate", "reports.language"}
    assert [p.location for p in problems if p.severity == "warning"] == \
        ["disclosure.min_cell_size"]


def test_a_reported_schema_error_is_not_repeated_by_the_cross_checks(edit_study) -> None:
    _, problems = check_study(edit_study(_set(("waves", 0, "role"), "baselin")))
    # the missing baseline follows from the misspelt role: one message, not two
    assert [p.location for p in problems] == ["waves[0].role"]


def test_warnings_alone_still_load(edit_study) -> None:
    study = load_study(edit_study(_set(("disclosure", "min_cell_size"), 3)))
    assert study.min_cell_size == 3
    assert [w.location for w in study.warnings] == ["disclosure.min_cell_size"]


def test_missing_raw_folder_is_a_warning(edit_study, study_copy: Path) -> None:
    study = load_study(edit_study(_set(("data", "raw_dir"), "data/nog-niet")))
    assert [w.location for w in study.warnings] == ["data.raw_dir"]


def test_yaml_syntax_error_names_the_line(study_copy: Path) -> None:
    path = study_copy / "study.yml"
    lines = path.read_text("utf-8").splitlines()
    lines[20] = "design: [controlled"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    study, problems = check_study(study_copy)
    assert study is None
    assert len(problems) == 1 and "not valid YAML" in problems[0].message
    assert problems[0].line is not None and problems[0].line >= 21


def test_key_given_twice_is_reported(study_copy: Path) -> None:
    path = study_copy / "study.yml"
    path.write_text(path.read_text("utf-8") + "design: randomised\n", "utf-8")
    _, problems = check_study(study_copy)
    assert any("given twice" in p.message and p.location == "design" for p in problems)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "file is empty"),
    (b"- just\n- a list\n", "expected a mapping"),
    (b"id: caf\xe9\n", "not UTF-8"),
])
def test_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "study.yml").write_bytes(content)
    study, problems = check_study(tmp_path)
    assert study is None
    assert message in problems[0].message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StudyDefinitionError, match="file not found"):
        load_study(tmp_path / "nowhere")


def test_yaml_words_stay_text(edit_study, study_copy: Path) -> None:
    """A site called 'no' or 'on' stays a string, and dates are not parsed by YAML."""
    path = study_copy / "study.yml"
    text = path.read_text("utf-8").replace("  - id: rotterdam-zuid", "  - id: no", 1)
    path.write_text(text, "utf-8")
    study = load_study(study_copy)
    assert study.sites[0].id == "no"


def test_errors_table_has_fixed_columns(edit_study) -> None:
    with pytest.raises(StudyDefinitionError) as info:
        load_study(edit_study(_set(("design",), "prepost")))
    frame = info.value.to_frame()
    assert list(frame.columns) == ["severity", "file", "line", "location", "found", "expected",
                                   "message"]
    assert frame.loc[0, "found"] == "'prepost'"

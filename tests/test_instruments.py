"""The instrument library: every file loads, facts match their sources, mistakes are caught."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from evaltools import InstrumentDefinitionError, find_instruments, load_instrument
from evaltools.instruments.library import get_instrument, library_dir

LIBRARY = sorted(library_dir().glob("*.yml"))
#: The agenda's protective factors, and the instruments that must cover them (issue 3).
REQUIRED = {"brs", "rses", "gse", "mspss", "who5", "swemwbs", "umics", "apgar", "djg6",
            "cohesion", "digres_example", "democit_example"}


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.name)
def test_every_library_file_loads(path: Path) -> None:
    inst = load_instrument(path)
    assert path.stem == inst.id
    assert inst.title.nl and inst.title.en and inst.construct.nl and inst.construct.en
    for rs in inst.response_scales.values():
        assert set(rs.labels) == set(rs.values)
        assert all(label.nl and label.en for label in rs.labels.values())
    for scale in inst.scales:
        assert scale.label.nl and scale.label.en
        assert scale.range is not None, f"{inst.id}.{scale.id}: state the range"
    if not inst.items_shippable:
        assert all(item.text is None for item in inst.items)
    if not inst.validated:
        assert "not validated" in inst.title.en and "niet gevalideerd" in inst.title.nl


def test_library_covers_the_agenda() -> None:
    library = find_instruments()
    assert REQUIRED <= set(library)
    levels = {v[-1].level for v in library.values()}
    assert levels == {"individual", "community", "society"}
    factors = {v[-1].protective_factor for v in library.values()}
    assert {"resilience", "positive_identity", "digital_resilience", "supportive_family",
            "democratic_citizenship"} <= factors


@pytest.mark.parametrize(("instrument", "reversed_items"), [
    ("brs", ["brs_2", "brs_4", "brs_6"]),                          # Smith et al. 2008
    ("rses", ["rses_2", "rses_5", "rses_6", "rses_8", "rses_9"]),  # Rosenberg 1965, original order
    ("cohesion", ["ce_9", "ce_10"]),                               # CDC compendium
    ("gse", []), ("mspss", []), ("who5", []), ("apgar", []), ("umics", []),
])
def test_reverse_keys_follow_the_sources(instrument: str, reversed_items: list[str]) -> None:
    inst = get_instrument(instrument)
    assert [i.id for i in inst.items if i.reverse] == reversed_items


def test_subscales_follow_the_sources() -> None:
    mspss = get_instrument("mspss")  # Zimet et al. 1988
    assert mspss.scale("mspss_significant_other").items == ("mspss_1", "mspss_2", "mspss_5",
                                                            "mspss_10")
    assert mspss.scale("mspss_family").items == ("mspss_3", "mspss_4", "mspss_8", "mspss_11")
    assert mspss.scale("mspss_friends").items == ("mspss_6", "mspss_7", "mspss_9", "mspss_12")
    umics = get_instrument("umics")  # Crocetti et al. 2008
    assert [len(s.items) for s in umics.scales] == [5, 5, 3]
    djg = get_instrument("djg6")     # De Jong Gierveld & Van Tilburg 2006, CBS order
    assert djg.scale("djg_emotional").items == ("djg_1", "djg_4", "djg_6")
    assert djg.item("djg_1").recode == {1: 0.0, 2: 1.0, 3: 1.0}
    assert djg.item("djg_2").recode == {1: 1.0, 2: 1.0, 3: 0.0}


def test_swemwbs_conversion_table_and_ranges() -> None:
    scale = get_instrument("swemwbs").scale("swemwbs")
    table = scale.conversion.table
    assert sorted(table) == list(range(7, 36))
    assert (table[7], table[8], table[21], table[34], table[35]) == (7.0, 9.51, 19.25, 32.55,
                                                                     35.0)
    assert all(table[a] < table[a + 1] for a in range(7, 35))
    assert get_instrument("who5").scale("who5").conversion.multiply == 4


def test_licensed_instruments_ship_no_text_and_examples_do() -> None:
    library = find_instruments()
    for inst_id in ("swemwbs", "brs", "rses", "djg6"):
        assert not library[inst_id][-1].items_shippable
    for inst_id in ("digres_example", "democit_example"):
        inst = library[inst_id][-1]
        assert inst.items_shippable and not inst.validated
        assert all(item.text is not None for item in inst.items)


GOOD = """
format: 1
id: test
version: "1"
title: {nl: Test, en: Test}
construct: {nl: test, en: test}
protective_factor: resilience
level: individual
citation: A citation for the test instrument.
licence: {name: test, items_shippable: false}
response_scales:
  r: {values: [1, 2, 3], labels: {1: {nl: a, en: a}, 2: {nl: b, en: b}, 3: {nl: c, en: c}},
      missing: {9: {nl: weet niet, en: don't know}}}
items:
  - {id: x_1, response_scale: r}
  - {id: x_2, response_scale: r, reverse: true}
  - {id: x_3, response_scale: r}
scales:
  - {id: x, label: {nl: X, en: X}, items: [x_1, x_2, x_3], method: sum, min_valid: 2,
     range: [3, 9], direction: higher_is_better}
"""


def _write(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(GOOD)
    change(data)
    path = tmp_path / "test.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return path


def test_good_test_instrument_loads(tmp_path: Path) -> None:
    inst = load_instrument(_write(tmp_path, lambda d: None))
    assert inst.scale("x").range == (3, 9)


def _item(i, **kw):
    def change(d):
        d["items"][i].update(kw)
    return change


def _scale(**kw):
    def change(d):
        d["scales"][0].update(kw)
    return change


BROKEN = [
    ("missing licence", lambda d: d.pop("licence"), "(top level)", r"required key 'licence'"),
    ("unknown key", lambda d: d.update(licens={}), "licens", r"unknown key"),
    ("level", lambda d: d.update(level="city"), "level", r"'individual', 'community'"),
    ("title without english", lambda d: d.update(title={"nl": "T"}), "title",
     r"required key 'en'"),
    ("duplicate item", _item(1, id="x_1"), "items[1].id", r"item id given twice"),
    ("unknown response scale", _item(0, response_scale="q"), "items[0].response_scale",
     r"unknown response scale"),
    ("unknown item in scale", _scale(items=["x_1", "x_9"]), "scales[0].items",
     r"scale names an unknown item"),
    ("reverse on asymmetric scale",
     lambda d: d["response_scales"]["r"].update(values=[1, 2, 5], labels={
         1: {"nl": "a", "en": "a"}, 2: {"nl": "b", "en": "b"}, 5: {"nl": "c", "en": "c"}}),
     "items[1].reverse", r"symmetric"),
    ("recode off the scale", _item(0, recode={1: 0, 2: 1, 4: 1}), "items[0].recode",
     r"every answer value"),
    ("reverse and recode", _item(1, recode={1: 0, 2: 1, 3: 1}), "items[1].recode",
     r"either reverse or recode"),
    ("text not shippable", _item(0, text={"nl": "Vraag", "en": "Question"}), "items[0].text",
     r"licence does not allow"),
    ("missing code on the scale",
     lambda d: d["response_scales"]["r"].update(missing={2: {"nl": "x", "en": "x"}}),
     "response_scales.r.missing.2", r"outside the answer values"),
    ("label for unknown value",
     lambda d: d["response_scales"]["r"]["labels"].update({7: {"nl": "z", "en": "z"}}),
     "response_scales.r.labels.7", r"does not have"),
    ("wrong range", _scale(range=[0, 9]), "scales[0].range", r"expected \[3, 9\]"),
    ("min_valid too high", _scale(min_valid=4), "scales[0].min_valid", r"more valid answers"),
    ("method", _scale(method="median"), "scales[0].method", r"'mean', 'sum'"),
    ("prorate with mean", _scale(method="mean", prorate=False, range=[1, 3]),
     "scales[0].prorate", r"method 'sum' only"),
    ("table misses a score", _scale(min_valid=3, conversion={
        "label": {"nl": "m", "en": "m"}, "source": "s", "table": {3: 1, 4: 2}}),
     "scales[0].conversion.table", r"misses raw scores"),
    ("table with proration", _scale(conversion={
        "label": {"nl": "m", "en": "m"}, "source": "s",
        "table": {k: k for k in range(3, 10)}}),
     "scales[0].conversion.table", r"whole raw scores"),
    ("cut-offs out of order", _scale(cutoffs={"on": "raw", "source": "s", "categories": [
        {"id": "a", "label": {"nl": "a", "en": "a"}, "from": 3},
        {"id": "b", "label": {"nl": "b", "en": "b"}, "from": 3}]}),
     "scales[0].cutoffs.categories", r"must rise"),
    ("cut-offs leave a gap at the bottom", _scale(cutoffs={"on": "raw", "source": "s",
                                                           "categories": [
        {"id": "a", "label": {"nl": "a", "en": "a"}, "from": 4},
        {"id": "b", "label": {"nl": "b", "en": "b"}, "from": 6}]}),
     "scales[0].cutoffs.categories[0].from", r"lowest possible score"),
    ("cut-offs on a missing conversion", _scale(cutoffs={"on": "converted", "source": "s",
                                                         "categories": [
        {"id": "a", "label": {"nl": "a", "en": "a"}, "from": 3},
        {"id": "b", "label": {"nl": "b", "en": "b"}, "from": 6}]}),
     "scales[0].cutoffs.on", r"no conversion"),
    ("duplicate scale", lambda d: d["scales"].append(dict(d["scales"][0])), "scales[1].id",
     r"scale id given twice"),
    ("reliability out of range", _scale(reliable_change={"sd": 1, "reliability": 1.2,
                                                         "source": "s"}),
     "scales[0].reliable_change.reliability", r"value"),
]


@pytest.mark.parametrize(("change", "location", "pattern"), [b[1:] for b in BROKEN],
                         ids=[b[0] for b in BROKEN])
def test_broken_definitions_are_located(tmp_path: Path, change, location: str,
                                        pattern: str) -> None:
    with pytest.raises(InstrumentDefinitionError) as info:
        load_instrument(_write(tmp_path, change))
    hits = [p for p in info.value.problems if p.location == location]
    assert hits, [p.describe() for p in info.value.problems]
    assert any(re.search(pattern, p.describe()) for p in hits), [p.describe() for p in hits]
    assert all(p.file == "test.yml" and p.line for p in hits)


def test_all_problems_in_one_file_are_reported_together(tmp_path: Path) -> None:
    def change(d):
        d["items"][1]["id"] = "x_1"
        d["items"][2]["response_scale"] = "q"
        d["level"] = "city"
    with pytest.raises(InstrumentDefinitionError) as info:
        load_instrument(_write(tmp_path, change))
    assert {p.location for p in info.value.problems} >= {"items[1].id", "level"}


def test_same_id_and_version_twice_is_an_error(tmp_path: Path) -> None:
    extra = tmp_path / "surveys"
    extra.mkdir()
    (extra / "brs_copy.yml").write_text((library_dir() / "brs.yml").read_text("utf-8"), "utf-8")
    with pytest.raises(InstrumentDefinitionError, match="also defined in"):
        find_instruments([extra])


def test_a_study_folder_can_add_instruments_and_versions(tmp_path: Path) -> None:
    extra = tmp_path / "surveys"
    extra.mkdir()
    text = (library_dir() / "brs.yml").read_text("utf-8").replace('version: "1.0"',
                                                                    'version: "1.1"')
    (extra / "brs_v11.yml").write_text(text, "utf-8")
    versions = find_instruments([extra])["brs"]
    assert [v.version for v in versions] == ["1.0", "1.1"]
    assert get_instrument("brs", extra_dirs=[extra]).version == "1.1"
    assert get_instrument("brs", "1.0", extra_dirs=[extra]).version == "1.0"
    with pytest.raises(KeyError, match="versions: 1.0, 1.1"):
        get_instrument("brs", "2.0", extra_dirs=[extra])
    with pytest.raises(KeyError, match="no instrument 'brz'"):
        get_instrument("brz")


def test_numeric_mapping_keys_are_located_by_line(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda d: d["response_scales"]["r"]["labels"].update(
        {2: {"nl": "b"}}))
    with pytest.raises(InstrumentDefinitionError) as info:
        load_instrument(path)
    problem = info.value.problems[0]
    assert problem.location == "response_scales.r.labels.2"
    assert "required key 'en'" in problem.message and problem.line is not None

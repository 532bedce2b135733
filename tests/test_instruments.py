"""The instrument library (placeholder format until the full library lands)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaltools import InstrumentDefinitionError, find_instruments, load_instrument
from evaltools.instruments import library_dir


def test_library_loads_and_is_consistent() -> None:
    library = find_instruments()
    assert {"brs", "who5", "mspss", "apgar", "umics", "digres_example",
            "democit_example"} <= set(library)
    for versions in library.values():
        for inst in versions:
            ids = inst.item_ids
            assert len(ids) == len(set(ids))
            for scale in inst.scales:
                assert set(scale.items) <= set(ids)
                assert 1 <= scale.min_valid <= len(scale.items)
            for item in inst.items:
                assert item.response_scale in inst.response_scales
            if not inst.items_shippable:
                assert all(item.text is None for item in inst.items), inst.id


def test_brs_scoring_facts() -> None:
    brs = find_instruments()["brs"][-1]
    assert [i.id for i in brs.items if i.reverse] == ["brs_2", "brs_4", "brs_6"]
    assert brs.response_scales["agree5"].values == (1, 2, 3, 4, 5)
    assert brs.response_scales["agree5"].missing[9].get("nl") == "weet niet"
    mspss = find_instruments()["mspss"][-1]
    family = next(s for s in mspss.scales if s.id == "mspss_family")
    assert family.items == ("mspss_3", "mspss_4", "mspss_8", "mspss_11")


BROKEN = """
id: broken
version: "1"
title: Broken
protective_factor: resilience
level: individual
citation: none
licence: {name: test, items_shippable: false}
response_scales:
  r: {values: [1, 2, 3]}
items:
  - {id: x_1, response_scale: r}
  - {id: x_1, response_scale: r}
  - {id: x_2, response_scale: q}
scales:
  - {id: x, items: [x_1, x_3], method: mean}
"""


def test_broken_instrument_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(BROKEN, "utf-8")
    with pytest.raises(InstrumentDefinitionError) as info:
        load_instrument(path)
    found = {(p.location, p.message) for p in info.value.problems}
    assert ("items[1].id", "item id given twice") in found
    assert ("items[2].response_scale", "unknown response scale") in found
    assert ("scales[0].items", "scale names an unknown item") in found


def test_missing_required_key(tmp_path: Path) -> None:
    path = tmp_path / "nolicence.yml"
    path.write_text(BROKEN.replace("licence: {name: test, items_shippable: false}\n", ""), "utf-8")
    with pytest.raises(InstrumentDefinitionError, match="required key 'licence'"):
        load_instrument(path)


def test_a_study_folder_can_add_instruments(tmp_path: Path) -> None:
    extra = tmp_path / "surveys"
    extra.mkdir()
    text = (library_dir() / "brs.yml").read_text("utf-8").replace("id: brs\n", "id: brs_local\n")
    (extra / "brs_local.yml").write_text(text, "utf-8")
    assert "brs_local" in find_instruments([extra])

"""Codebooks and the instruments commands."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from evaltools.cli.main import cli
from evaltools.instruments.codebook import render_codebook, write_codebook
from evaltools.instruments.library import find_instruments, get_instrument, library_dir


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("inst_id", sorted(find_instruments()))
def test_every_codebook_renders_in_both_languages(inst_id: str, language: str) -> None:
    inst = get_instrument(inst_id)
    md = render_codebook(inst, language, "md")
    assert md.startswith("# " + ("Codebook" if language == "en" else "Codeboek"))
    for item in inst.items:
        assert f"| {item.id} |" in md
    for scale in inst.scales:
        assert f"({scale.id})" in md and scale.label.get(language) in md
    page = _Collect()
    page.feed(render_codebook(inst, language, "html"))
    assert "script" not in page.tags and "img" not in page.tags  # self-contained, static
    assert inst.title.get(language) in "".join(page.text)


def test_item_text_appears_only_where_the_licence_allows() -> None:
    example = render_codebook(get_instrument("digres_example"), "nl")
    assert "Ik herken nepnieuws meestal wel." in example
    assert "niet gevalideerd" in example
    licensed = render_codebook(get_instrument("swemwbs"), "en")
    assert licensed.count("(wording not shipped: licence)") == 7
    assert "7 -> 7, 8 -> 9.51" in licensed  # the conversion table is part of the scoring key


def test_dutch_codebook_is_dutch() -> None:
    text = render_codebook(get_instrument("brs"), "nl")
    for word in ("Antwoordschalen", "omgescoord", "gemiddelde van de beantwoorde items",
                 "Afkappunten", "lage veerkracht"):
        assert word in text
    assert "Response scales" not in text


def test_write_codebook_names_the_file(tmp_path: Path) -> None:
    path = write_codebook(get_instrument("who5"), tmp_path, "en", "html")
    assert path.name == "codebook_who5_1.0_en.html"
    assert path.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary files left


def test_bad_codebook_arguments() -> None:
    with pytest.raises(ValueError, match="language='de'"):
        render_codebook(get_instrument("who5"), "de")
    with pytest.raises(ValueError, match="format='pdf'"):
        render_codebook(get_instrument("who5"), "nl", "pdf")


def test_instruments_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["instruments", "list", "--json"])
    assert listed.exit_code == 0
    rows = json.loads(listed.output)
    assert {r["id"] for r in rows} == set(find_instruments())
    assert any(not r["validated"] for r in rows)
    text = runner.invoke(cli, ["instruments", "list", "-l", "en"])
    assert "Brief Resilience Scale" in text.output and "[example, not validated]" in text.output
    shown = runner.invoke(cli, ["instruments", "show", "mspss", "-l", "en"])
    assert shown.exit_code == 0 and "Support from family (mspss_family)" in shown.output
    wrong = runner.invoke(cli, ["instruments", "show", "brz"])
    assert wrong.exit_code == 2 and "did you mean 'brs'" in wrong.output
    version = runner.invoke(cli, ["instruments", "show", "brs", "--version", "9"])
    assert version.exit_code == 2 and "versions: 1.0" in version.output
    out = tmp_path / "books"
    written = runner.invoke(cli, ["instruments", "codebook", "brs", "djg6", "-o", str(out),
                                  "--format", "md"])
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in out.iterdir()) == ["codebook_brs_1.0_nl.md",
                                                     "codebook_djg6_1.0_nl.md"]
    neither = runner.invoke(cli, ["instruments", "codebook"])
    assert neither.exit_code == 2
    everything = runner.invoke(cli, ["instruments", "codebook", "--all", "-o", str(out)])
    assert everything.exit_code == 0
    assert len(list(out.glob("*.html"))) == len(find_instruments())


def test_instruments_list_includes_a_studys_own(tmp_path: Path) -> None:
    study = tmp_path / "study"
    (study / "surveys").mkdir(parents=True)
    text = (library_dir() / "brs.yml").read_text("utf-8")
    (study / "surveys" / "local.yml").write_text(text.replace("id: brs\n", "id: local\n"),
                                                 "utf-8")
    result = CliRunner().invoke(cli, ["instruments", "list", "--study", str(study), "--json"])
    assert "local" in {r["id"] for r in json.loads(result.output)}

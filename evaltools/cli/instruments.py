"""``evaltools instruments``: browse the instrument library and write codebooks."""

from __future__ import annotations

import json
from pathlib import Path

import click

from evaltools.cli.common import EPILOG, friendly
from evaltools.instruments.codebook import render_codebook, write_codebook
from evaltools.instruments.library import choose, find_instruments


@click.group(epilog=EPILOG)
def instruments() -> None:
    """Browse the instrument library: list, show and write codebooks."""


def _library(study: Path | None):
    extra = [] if study is None else [(study if study.is_dir() else study.parent) / "surveys"]
    return find_instruments(extra)


def _pick(library: dict, instrument_id: str, version: str | None):
    try:
        return choose(library, instrument_id, version)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0],
                                 param_hint="--version" if version else "ID") from None


_STUDY_OPTION = click.option(
    "--study", type=click.Path(exists=True, path_type=Path),
    help="Also list the instruments in this study's own surveys/ folder.")
_LANG_OPTION = click.option("--language", "-l", type=click.Choice(["nl", "en"]), default="nl",
                            show_default=True, help="Language of labels and texts.")


@instruments.command("list", epilog=EPILOG)
@_STUDY_OPTION
@_LANG_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@friendly
def instruments_list(study: Path | None, language: str, as_json: bool) -> None:
    """List the instruments: id, version, title, protective factor, level, items, licence."""
    rows = []
    for versions in sorted(_library(study).values(), key=lambda v: v[-1].id):
        for inst in versions:
            rows.append({"id": inst.id, "version": inst.version,
                         "title": inst.title.get(language),
                         "protective_factor": inst.protective_factor, "level": inst.level,
                         "items": len(inst.items), "scales": [s.id for s in inst.scales],
                         "licence": inst.licence, "items_shippable": inst.items_shippable,
                         "validated": inst.validated})
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        flag = "" if r["validated"] else "  [example, not validated]"
        click.echo(f"{r['id']:<{width}}  {r['version']:<5} {r['items']:>3} items  "
                   f"{r['level']:<10}  {r['protective_factor']:<24} {r['title']}{flag}")


@instruments.command("show", epilog=EPILOG)
@click.argument("instrument_id", metavar="ID")
@click.option("--version", "version", help="A specific version (default: the newest).")
@_STUDY_OPTION
@_LANG_OPTION
@friendly
def instruments_show(instrument_id: str, version: str | None, study: Path | None,
                     language: str) -> None:
    """Show one instrument: items, scales, scoring, cut-offs and licence (as Markdown)."""
    inst = _pick(_library(study), instrument_id, version)
    click.echo(render_codebook(inst, language, "md"))


@instruments.command("codebook", epilog=EPILOG)
@click.argument("instrument_ids", metavar="[ID]...", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every instrument in the library.")
@_STUDY_OPTION
@_LANG_OPTION
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="html",
              show_default=True, help="Markdown or a self-contained HTML page.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path("codebooks"), show_default=True, help="Folder to write to.")
@friendly
def instruments_codebook(instrument_ids: tuple[str, ...], everything: bool, study: Path | None,
                         language: str, fmt: str, output: Path) -> None:
    """Write codebooks that a fieldwork team can build a questionnaire from."""
    library = _library(study)
    if everything == bool(instrument_ids):
        raise click.UsageError("name one or more instrument ids, or pass --all")
    chosen = ([v[-1] for v in library.values()] if everything
              else [_pick(library, i, None) for i in instrument_ids])
    for inst in chosen:
        path = write_codebook(inst, output, language, fmt)
        click.echo(f"wrote {path}")

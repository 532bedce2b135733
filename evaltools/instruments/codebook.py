"""Readable codebooks of instruments, in Dutch or English, as Markdown or self-contained HTML.

A codebook gives a fieldwork team what it needs to build a questionnaire and a data file that
evaltools can score: the response scales with their codes, the items in order (with wording
only where the licence allows shipping it), the scales with their scoring rules, cut-offs,
conversions and norms, and the citation and licence.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from evaltools.core.i18n import t
from evaltools.core.io import atomic_write_text
from evaltools.core.text import Language
from evaltools.instruments.model import Instrument

__all__ = ["render_codebook", "write_codebook"]

Format = Literal["md", "html"]



def _t(key: str, lang: Language) -> str:
    return t(f"cb.{key}", lang)


@dataclass
class _Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    header: list[str] | None = None
    rows: list[list[str]] = field(default_factory=list)


def _sections(inst: Instrument, lang: Language) -> list[_Section]:
    t = lambda key: _t(key, lang)  # noqa: E731 - local shorthand
    about = _Section(t("about"), header=["", ""], rows=[
        [t("construct"), inst.construct.get(lang)],
        [t("factor"), inst.protective_factor],
        [t("level"), t(inst.level)],
        [t("version"), inst.version],
        [t("citation"), inst.citation],
        [t("licence"), inst.licence + (f" ({inst.licence_url})" if inst.licence_url else "")],
        [t("validated"), t("yes") if inst.validated else t("no")],
    ])
    if not inst.validated:
        about.paragraphs.append(t("not_validated"))
    if inst.notes is not None:
        about.paragraphs.append(inst.notes.get(lang))
    out = [about]
    for rs in inst.response_scales.values():
        section = _Section(f"{t('response_scales')}: {rs.id}", header=[t("code"), t("label")])
        section.rows = [[str(v), rs.labels[v].get(lang)] for v in rs.values]
        if rs.is_numeric:
            key = "numeric_answer" if rs.kind == "numeric" and rs.decimals else "count_answer"
            step = f"{10.0 ** -rs.decimals:.{rs.decimals}f}"
            text = t(key).format(low=f"{rs.low:g}", high=f"{rs.high:g}",
                                 step=step.replace(".", ",") if lang == "nl" else step)
            if rs.unit is not None:
                text += f" ({t('unit')}: {rs.unit.get(lang)})"
            section.rows = [[f"{rs.low:g}-{rs.high:g}", text]]
        section.rows += [[str(v), f"{label.get(lang)} ({t('missing_code')})"]
                         for v, label in rs.missing.items()]
        out.append(section)
    codes = sorted({c for rs in inst.response_scales.values() for c in rs.missing})
    items = _Section(t("items"), header=["#", t("column"), t("text"), t("answers"), t("scoring")])
    if codes:
        items.paragraphs.append(t("missing_rule").format(codes=", ".join(map(str, codes))))
    for number, item in enumerate(inst.items, start=1):
        if item.recode is not None:
            how = t("recoded") + ": " + ", ".join(f"{k} -> {v:g}" for k, v in item.recode.items())
        else:
            how = t("reversed") if item.reverse else t("as_given")
        text = item.text.get(lang) if item.text is not None else t("no_text")
        items.rows.append([str(number), item.id, text, item.response_scale, how])
    out.append(items)
    for scale in inst.scales:
        method = t("mean") if scale.method == "mean" else (
            t("sum_prorated") if scale.prorate else t("sum_plain"))
        section = _Section(f"{t('scale')}: {scale.label.get(lang)} ({scale.id})", header=["", ""])
        section.rows = [
            [t("items"), ", ".join(scale.items)],
            [t("method"), method],
            [t("min_valid"), f"{scale.min_valid} / {len(scale.items)}"],
            [t("range"), f"{scale.range[0]:g}-{scale.range[1]:g}" if scale.range else ""],
            [t("direction"), t(scale.direction)],
        ]
        conv = scale.conversion
        if conv is not None:
            desc = (t("multiply").format(m=conv.multiply, a=conv.add) if conv.table is None
                    else ", ".join(f"{k:g} -> {v:g}" for k, v in conv.table.items()))
            section.rows.append([t("conversion"), f"{conv.label.get(lang)}: {desc}. "
                                 f"{t('source')}: {conv.source}"])
        if scale.cutoffs is not None:
            cut = scale.cutoffs
            where = t("on_raw") if cut.on == "raw" else t("on_converted")
            cats = "; ".join(f"{c.label.get(lang)}: {t('from').lower()} {c.lower:g}"
                             for c in cut.categories)
            section.rows.append([t("cutoffs"), f"{cats} ({where}). {t('source')}: {cut.source}"])
        for norm in scale.norms:
            section.rows.append([t("norms"), f"{norm.population}: M = {norm.mean:g}, "
                                 f"SD = {norm.sd:g}" + (f", n = {norm.n}" if norm.n else "")
                                 + f" ({norm.source})"])
        if scale.reliable_change is not None:
            rc = scale.reliable_change
            section.rows.append([t("reliable_change"), t("rc_text").format(
                sd=rc.sd, r=rc.reliability, source=rc.source)])
        out.append(section)
    return out


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _to_markdown(title: str, sections: list[_Section]) -> str:
    lines = [f"# {title}", ""]
    for s in sections:
        lines += [f"## {s.heading}", ""]
        for p in s.paragraphs:
            lines += [p, ""]
        if s.header is not None:
            lines.append("| " + " | ".join(_md_cell(h) for h in s.header) + " |")
            lines.append("|" + "---|" * len(s.header))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in s.rows]
            lines.append("")
    return "\n".join(lines)


_CSS = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
        "color:#1a1a1a}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}"
        "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
        "th{background:#f0f0f0}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}")


def _to_html(title: str, sections: list[_Section], lang: Language) -> str:
    e = html.escape
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
             f"<title>{e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
             f"<h1>{e(title)}</h1>\n"]
    for s in sections:
        parts.append(f"<h2>{e(s.heading)}</h2>\n")
        parts += [f"<p>{e(p)}</p>\n" for p in s.paragraphs]
        if s.header is not None:
            head = "".join(f"<th>{e(h)}</th>" for h in s.header) if any(s.header) else ""
            parts.append("<table>\n" + (f"<tr>{head}</tr>\n" if head else ""))
            parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>\n"
                      for row in s.rows]
            parts.append("</table>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def render_codebook(instrument: Instrument, language: Language = "nl",
                    format: Format = "md") -> str:
    """The codebook of one instrument as text.

    Parameters
    ----------
    instrument : Instrument
    language : {"nl", "en"}
    format : {"md", "html"}
        Markdown, or a self-contained HTML page (no scripts, no external files).

    Returns
    -------
    str

    Examples
    --------
    >>> from evaltools.instruments import get_instrument
    >>> text = render_codebook(get_instrument("brs"), "en")
    >>> text.splitlines()[0]
    '# Codebook: Brief Resilience Scale'
    >>> "(wording not shipped: licence)" in text
    True
    """
    if language not in ("nl", "en"):
        raise ValueError(f"language={language!r}: expected 'nl' or 'en'")
    if format not in ("md", "html"):
        raise ValueError(f"format={format!r}: expected 'md' or 'html'")
    title = f"{_t('codebook', language)}: {instrument.title.get(language)}"
    sections = _sections(instrument, language)
    if format == "md":
        return _to_markdown(title, sections)
    return _to_html(title, sections, language)


def write_codebook(instrument: Instrument, folder: str | Path, language: Language = "nl",
                   format: Format = "md") -> Path:
    """Write a codebook to ``folder/codebook_<id>_<version>_<language>.<format>`` atomically.

    Returns
    -------
    Path
        The file written.
    """
    text = render_codebook(instrument, language, format)
    target = Path(folder) / f"codebook_{instrument.id}_{instrument.version}_{language}.{format}"
    return atomic_write_text(target, text)

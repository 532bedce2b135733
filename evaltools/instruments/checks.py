"""The rules that tie an instrument definition's parts together, and building the Instrument."""

from __future__ import annotations

import math
from typing import Any

from evaltools.core.errors import Problem
from evaltools.core.schema import allowed, suggest
from evaltools.core.text import LocalText
from evaltools.core.yamlio import PathKey, YamlDocument, format_path
from evaltools.instruments.model import (
    Category,
    Conversion,
    Cutoffs,
    Instrument,
    Item,
    Norm,
    ReliableChange,
    ResponseScale,
    Scale,
)


class _Checker:
    def __init__(self, doc: YamlDocument):
        self.doc = doc
        self.problems: list[Problem] = []

    def add(self, at: PathKey, message: str, found: Any = None, expected: str = "") -> None:
        self.problems.append(Problem(self.doc.file, format_path(at), message, found=found,
                                     expected=expected, line=self.doc.line_of(at)))


def check_instrument(doc: YamlDocument, schema_problems: list[Problem]):
    """Check a parsed instrument document; build the Instrument when there is no error."""
    c = _Checker(doc)
    d = doc.data
    try:
        _check(c, d)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError):
        if not schema_problems:
            raise  # a schema-valid file must never break a check: that is a bug
    reported = [p.location for p in schema_problems]
    problems = [p for p in c.problems if not any(_related(p.location, r) for r in reported)]
    if schema_problems or problems:
        return None, problems
    return _build(d, doc.file), problems


def _related(a: str, b: str) -> bool:
    def within(x: str, y: str) -> bool:
        return x == y or x.startswith(y + ".") or x.startswith(y + "[")
    return within(a, b) or within(b, a)


def _check(c: _Checker, d: dict) -> None:
    scales_rs = d["response_scales"]
    for sid, rs in scales_rs.items():
        if _is_numeric(rs):
            _check_numeric_scale(c, sid, rs)
            continue
        absent = [key for key in ("values", "labels") if key not in rs]
        stray = [key for key in ("min", "max", "decimals", "unit") if key in rs]
        if absent or stray:
            c.add(("response_scales", sid), "a categorical response scale has 'values' and "
                  "'labels' (a number in a range is 'type: numeric' or 'type: count' with "
                  "'min' and 'max')", found=", ".join(stray) or None,
                  expected="missing: " + ", ".join(absent) if absent else "no " + ", ".join(stray))
            continue
        values = rs["values"]
        if values != sorted(values):
            c.add(("response_scales", sid, "values"), "values must be in ascending order",
                  found=values)
        for key in rs["labels"]:
            if key not in values:
                c.add(("response_scales", sid, "labels", str(key)), "label for a value the scale "
                      "does not have", found=key, expected=allowed(values))
        unlabelled = [v for v in values if v not in rs["labels"]]
        if unlabelled:
            c.add(("response_scales", sid, "labels"), "every value needs a label",
                  found=unlabelled)
        for code in rs.get("missing", {}):
            if not isinstance(code, int) or code in values:
                c.add(("response_scales", sid, "missing", str(code)), "a missing code must be a "
                      "whole number outside the answer values", found=code)
    shippable = d["licence"]["items_shippable"]
    seen: dict[str, int] = {}
    for index, item in enumerate(d["items"]):
        at = ("items", index)
        if item["id"] in seen:
            c.add(at + ("id",), f"item id given twice (first at items[{seen[item['id']]}])",
                  found=item["id"])
        seen.setdefault(item["id"], index)
        rs = scales_rs.get(item["response_scale"])
        if rs is None:
            c.add(at + ("response_scale",), "unknown response scale"
                  + suggest(item["response_scale"], list(scales_rs)),
                  found=item["response_scale"], expected=allowed(list(scales_rs)))
            continue
        if _is_numeric(rs):
            if "recode" in item:
                c.add(at + ("recode",), f"a recode needs a categorical response scale; "
                      f"{item['response_scale']!r} is {rs['type']}")
            if "text" in item and not shippable:
                c.add(at + ("text",), "the licence does not allow shipping item text "
                      "(licence.items_shippable is false)")
            continue
        if "values" not in rs:
            continue  # reported with the response scale
        values = rs["values"]
        if item.get("reverse") and sorted(min(values) + max(values) - v for v in values) \
                != sorted(values):
            c.add(at + ("reverse",), "reverse keying needs a response scale whose values are "
                  "symmetric around its midpoint", found=values)
        if "recode" in item:
            if item.get("reverse"):
                c.add(at + ("recode",), "give either reverse or recode, not both")
            if sorted(item["recode"]) != sorted(values):
                c.add(at + ("recode",), "a recode must give a scored value for every answer "
                      "value, and only for those", found=sorted(item["recode"]),
                      expected=str(values))
        if "text" in item and not shippable:
            c.add(at + ("text",), "the licence does not allow shipping item text "
                  "(licence.items_shippable is false)")
    scale_seen: dict[str, int] = {}
    for index, scale in enumerate(d["scales"]):
        _check_scale(c, d, index, scale, seen, scale_seen)


def _check_scale(c: _Checker, d: dict, index: int, scale: dict, items: dict,
                 scale_seen: dict) -> None:
    at = ("scales", index)
    if scale["id"] in scale_seen:
        c.add(at + ("id",), f"scale id given twice (first at scales[{scale_seen[scale['id']]}])",
              found=scale["id"])
    scale_seen.setdefault(scale["id"], index)
    unknown = [i for i in scale["items"] if i not in items]
    for item_id in unknown:
        c.add(at + ("items",), "scale names an unknown item" + suggest(item_id, list(items)),
              found=item_id)
    if unknown:
        return
    n = len(scale["items"])
    if scale["min_valid"] > n:
        c.add(at + ("min_valid",), f"more valid answers required than the scale has items "
              f"({n})", found=scale["min_valid"], expected=f"1 to {n}")
    if "prorate" in scale and scale["method"] != "sum":
        c.add(at + ("prorate",), "prorate applies to method 'sum' only", found=scale["prorate"])
    lows, highs = [], []
    fractional = False
    for item_id in scale["items"]:
        item = d["items"][items[item_id]]
        rs = d["response_scales"].get(item["response_scale"])
        if rs is None or not _is_numeric(rs) and "values" not in rs \
                or _is_numeric(rs) and not {"min", "max"} <= set(rs):
            return
        if _is_numeric(rs):
            scored = [rs["min"], rs["max"]]
            fractional = fractional or rs.get("decimals", 0) > 0
        else:
            scored = list(item["recode"].values()) if "recode" in item else rs["values"]
        lows.append(min(scored))
        highs.append(max(scored))
    if scale["method"] == "mean":
        lo, hi = sum(lows) / n, sum(highs) / n
    else:
        lo, hi = sum(lows), sum(highs)
    if "range" in scale and not (math.isclose(scale["range"][0], lo)
                                 and math.isclose(scale["range"][1], hi)):
        c.add(at + ("range",), "stated range differs from the range the items give",
              found=scale["range"], expected=f"[{lo:g}, {hi:g}]")
    conv = scale.get("conversion")
    converted_range = (lo, hi)
    if conv is not None:
        has_table = "table" in conv
        if has_table == ("multiply" in conv or "add" in conv):
            c.add(at + ("conversion",), "give either a table or multiply/add",
                  expected="'table', or 'multiply' and/or 'add'")
        elif has_table:
            integral = scale["method"] == "sum" and not fractional and (
                not scale.get("prorate", True) or scale["min_valid"] == n)
            if not integral:
                c.add(at + ("conversion", "table"), "a conversion table needs whole raw scores: "
                      "method 'sum' with prorate false or min_valid equal to the item count, "
                      "and no item answered with decimals")
            needed = list(range(int(lo), int(hi) + 1))
            missing = [r for r in needed if r not in conv["table"]]
            if missing:
                c.add(at + ("conversion", "table"), "conversion table misses raw scores",
                      found=missing, expected=f"every raw score from {lo:g} to {hi:g}")
            else:
                converted_range = (min(conv["table"].values()), max(conv["table"].values()))
        else:
            m, a = conv.get("multiply", 1.0), conv.get("add", 0.0)
            converted_range = tuple(sorted((lo * m + a, hi * m + a)))
    cut = scale.get("cutoffs")
    if cut is not None:
        if cut["on"] == "converted" and conv is None:
            c.add(at + ("cutoffs", "on"), "cut-offs on the converted score, but the scale has "
                  "no conversion", found="converted", expected="'raw'")
        bounds = [cat["from"] for cat in cut["categories"]]
        if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
            c.add(at + ("cutoffs", "categories"), "categories must rise: each 'from' above "
                  "the previous one", found=bounds)
        rng = (lo, hi) if cut["on"] == "raw" else converted_range
        if bounds and bounds[0] > rng[0]:
            c.add(at + ("cutoffs", "categories", 0, "from"), "the first category must start at "
                  "or below the lowest possible score, so every score has a category",
                  found=bounds[0], expected=f"at most {rng[0]:g}")
        ids = [cat["id"] for cat in cut["categories"]]
        if len(set(ids)) != len(ids):
            c.add(at + ("cutoffs", "categories"), "category ids must be unique", found=ids)


def _is_numeric(rs: dict) -> bool:
    return rs.get("type", "categorical") != "categorical"


def _check_numeric_scale(c: _Checker, sid: str, rs: dict) -> None:
    """A numeric or count response scale: a range, no labelled values."""
    at = ("response_scales", sid)
    kind = rs["type"]
    stray = [key for key in ("values", "labels") if key in rs]
    if stray:
        c.add(at, f"a {kind} response scale has a range (min, max), not labelled values",
              found=", ".join(stray), expected="min and max")
    absent = [key for key in ("min", "max") if key not in rs]
    if absent:
        c.add(at, f"a {kind} response scale needs 'min' and 'max'",
              expected="missing: " + ", ".join(absent))
        return
    low, high = rs["min"], rs["max"]
    if not low < high:
        c.add(at + ("max",), "max must be above min", found=high, expected=f"above {low:g}")
    if kind == "count":
        if rs.get("decimals", 0):
            c.add(at + ("decimals",), "a count has no decimals (use type: numeric)",
                  found=rs["decimals"], expected="0 or no 'decimals'")
        for key in ("min", "max"):
            if rs[key] != int(rs[key]):
                c.add(at + (key,), "a count runs between whole numbers", found=rs[key])
    for code in rs.get("missing", {}):
        if not isinstance(code, int) or low <= code <= high:
            c.add(at + ("missing", str(code)), "a missing code must be a whole number outside "
                  "the range of answers", found=code, expected=f"below {low:g} or above "
                  f"{high:g}, e.g. -9 or 999")


def _bi(value: dict | None) -> LocalText | None:
    return None if value is None else LocalText(value["nl"], value["en"])


def _build(d: dict, source: str):
    response_scales = {
        sid: ResponseScale(sid, tuple(rs.get("values", ())),
                           {int(k): _bi(v) for k, v in rs.get("labels", {}).items()},
                           {int(k): _bi(v) for k, v in rs.get("missing", {}).items()},
                           kind=rs.get("type", "categorical"),
                           minimum=float(rs["min"]) if "min" in rs else None,
                           maximum=float(rs["max"]) if "max" in rs else None,
                           decimals=int(rs.get("decimals", 0)), unit=_bi(rs.get("unit")))
        for sid, rs in d["response_scales"].items()
    }
    items = tuple(
        Item(i["id"], i["response_scale"], bool(i.get("reverse", False)),
             {int(k): float(v) for k, v in i["recode"].items()} if "recode" in i else None,
             _bi(i.get("text")))
        for i in d["items"]
    )
    scales = []
    for s in d["scales"]:
        conv = s.get("conversion")
        cut = s.get("cutoffs")
        scales.append(Scale(
            id=s["id"], label=_bi(s["label"]), items=tuple(s["items"]), method=s["method"],
            min_valid=s["min_valid"], direction=s["direction"], prorate=s.get("prorate", True),
            range=tuple(s["range"]) if "range" in s else None,
            conversion=None if conv is None else Conversion(
                _bi(conv["label"]), conv["source"],
                {float(k): float(v) for k, v in conv["table"].items()} if "table" in conv
                else None, float(conv.get("multiply", 1.0)), float(conv.get("add", 0.0))),
            cutoffs=None if cut is None else Cutoffs(cut["on"], cut["source"], tuple(
                Category(k["id"], _bi(k["label"]), float(k["from"]))
                for k in cut["categories"])),
            norms=tuple(Norm(n["population"], float(n["mean"]), float(n["sd"]), n["source"],
                             n.get("n")) for n in s.get("norms", [])),
            reliable_change=None if "reliable_change" not in s else ReliableChange(
                float(s["reliable_change"]["sd"]), float(s["reliable_change"]["reliability"]),
                s["reliable_change"]["source"]),
        ))
    licence = d["licence"]
    return Instrument(
        id=d["id"], version=str(d["version"]), title=_bi(d["title"]),
        construct=_bi(d["construct"]), protective_factor=d["protective_factor"],
        level=d["level"], citation=" ".join(str(d["citation"]).split()),
        licence=licence["name"], items_shippable=licence["items_shippable"],
        validated=d.get("validated", True), response_scales=response_scales, items=items,
        scales=tuple(scales), source=source, licence_url=licence.get("url"),
        source_url=d.get("source_url"), notes=_bi(d.get("notes")),
    )

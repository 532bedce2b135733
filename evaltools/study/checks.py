"""The rules that tie a study definition's sections together.

Runs after the JSON Schema has accepted the shape of ``study.yml``; collects every problem and
builds the :class:`~evaltools.study.Study` when there is no error.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections import Counter
from pathlib import Path
from typing import Any

from evaltools.core.errors import InstrumentDefinitionError, Problem
from evaltools.core.schema import allowed, suggest
from evaltools.core.text import LocalText
from evaltools.core.yamlio import PathKey, YamlDocument, format_path
from evaltools.instruments.library import find_instruments
from evaltools.instruments.model import Instrument
from evaltools.study.defaults import default_report_specs
from evaltools.study.model import (
    DEFAULT_MIN_CELL_SIZE,
    REPORT_FORMAT_PACKAGES,
    REPORT_FORMATS,
    TEMPLATES,
    UNPAIRED_DESIGNS,
    UNPAIRED_TEMPLATES,
    AnalysisSpec,
    DataSpec,
    EvidenceSpec,
    FileRule,
    Group,
    ItemValues,
    ReportSpec,
    Site,
    Study,
    Subgroup,
    Wave,
)

WAVE_ROLE_LABELS = {
    "baseline": LocalText("Voormeting", "Baseline"),
    "post": LocalText("Nameting", "Post-test"),
    "follow_up": LocalText("Follow-up", "Follow-up"),
}
GROUP_ROLE_LABELS = {
    "intervention": LocalText("Interventiegroep", "Intervention group"),
    "comparison": LocalText("Vergelijkingsgroep", "Comparison group"),
}


class _Checker:
    def __init__(self, doc: YamlDocument):
        self.doc = doc
        self.problems: list[Problem] = []

    def add(self, at: PathKey, message: str, found: Any = None, expected: str = "",
            severity: str = "error") -> None:
        self.problems.append(Problem(self.doc.file, format_path(at), message, found=found,
                                     expected=expected, line=self.doc.line_of(at),
                                     severity=severity))

    def unique(self, section: str, entries: list[dict], key: str = "id") -> None:
        """Report every repeat of a value (at the repeat, naming the first place)."""
        first: dict[Any, int] = {}
        for index, entry in enumerate(entries):
            value = entry[key]
            if value in first:
                self.add((section, index, key), f"{key} used more than once in {section} (first "
                         f"at {section}[{first[value]}])", found=value, expected="unique values")
            else:
                first[value] = index

    def ref(self, at: PathKey, value: Any, known: list[str] | None, what: str) -> bool:
        """Check a reference; ``known=None`` means the referenced section is unreadable."""
        if known is None or value in known:
            return True
        known = list(dict.fromkeys(known))
        self.add(at, f"unknown {what}{suggest(value, known)}", found=value,
                 expected=allowed(known))
        return False


def check_semantics(doc: YamlDocument, folder: Path, schema_problems: list[Problem] = ()):
    """Check cross-references in a study document; build the Study if there is no error.

    Runs even when the schema found errors, so that a user sees every problem at once: each
    check works on its own section and is skipped where that section is too broken to read,
    and a problem at or around a place the schema already reported is not repeated.
    """
    c = _Checker(doc)
    ctx: dict[str, Any] = {"folder": folder}
    checks = (_waves_section, _sites_section, _groups_section, _instruments_section,
              _data_section, _disclosure_section, _analysis_section, _reports_section,
              _pseudonym_section)
    for check in checks:
        try:
            check(c, doc.data, ctx)
        except (KeyError, TypeError, AttributeError, ValueError, IndexError):
            if not schema_problems:
                raise  # a schema-valid file must never break a check: that is a bug
    reported = [p.location for p in schema_problems if p.severity == "error"]
    problems = [p for p in c.problems if not any(_related(p.location, r) for r in reported)]
    if schema_problems or any(p.severity == "error" for p in problems):
        return None, problems
    return _build(doc.data, ctx, problems), problems


def _related(a: str, b: str) -> bool:
    """Whether one key path lies within the other (``waves`` and ``waves[0].role`` do)."""
    def within(x: str, y: str) -> bool:
        return x == y or x.startswith(y + ".") or x.startswith(y + "[")
    return within(a, b) or within(b, a)


def _waves_section(c: _Checker, d: dict, ctx: dict) -> None:
    ctx["waves"] = _check_waves(c, d["waves"])
    ctx["wave_ids"] = [w["id"] for w in d["waves"]]
    ctx["baseline"] = _baseline_id(d["waves"])


def _sites_section(c: _Checker, d: dict, ctx: dict) -> None:
    c.unique("sites", d["sites"])
    ctx["site_ids"] = [s["id"] for s in d["sites"]]


def _groups_section(c: _Checker, d: dict, ctx: dict) -> None:
    groups_in = d.get("groups") or []
    if groups_in:
        c.unique("groups", groups_in)
    roles = Counter(g["role"] for g in groups_in)
    if d["design"] == "pre_post":
        if roles["comparison"]:
            c.add(("design",), "design 'pre_post' has one group, but a comparison group is "
                  "declared; use design 'controlled' or 'randomised'", found=d["design"])
        if len(groups_in) > 1:
            c.add(("groups",), "design 'pre_post' takes a single group", found=len(groups_in),
                  expected="at most 1 group")
        if not groups_in:
            groups_in = [{"id": "intervention", "role": "intervention"}]
    elif not roles["intervention"] or not roles["comparison"]:
        c.add(("groups",) if "groups" in d else ("design",),
              f"design {d['design']!r} needs an intervention group and a comparison group",
              found=sorted(roles) or None,
              expected="groups with role 'intervention' and role 'comparison'")
    ctx["groups"] = groups_in
    ctx["has_comparison"] = roles["comparison"] > 0


def _instruments_section(c: _Checker, d: dict, ctx: dict) -> None:
    ctx["instruments"] = _check_instruments(c, d["instruments"], ctx["folder"])
    ctx["item_ids"] = [i for inst in ctx["instruments"] for i in inst.item_ids]


def _data_section(c: _Checker, d: dict, ctx: dict) -> None:
    data = d["data"]
    cols = data["columns"]
    wave_ids, site_ids = ctx.get("wave_ids"), ctx.get("site_ids")
    if site_ids and len(site_ids) > 1 and "site" not in cols and not all(
            "site" in f for f in data["files"]):
        c.add(("data", "columns"), "several sites, but no site column and not every file rule "
              "names a site", expected="data.columns.site, or a site on every data.files entry")
    if len(ctx.get("groups", [])) > 1 and "group" not in cols:
        c.add(("data", "columns"), "several groups, but no group column",
              expected="data.columns.group")
    for index, rule in enumerate(data["files"]):
        if "wave" in rule:
            c.ref(("data", "files", index, "wave"), rule["wave"], wave_ids, "wave")
        elif "wave" not in cols:
            c.add(("data", "files", index), "no wave for these files: name one here or map a "
                  "wave column", expected="a 'wave' key, or data.columns.wave")
        if "site" in rule:
            c.ref(("data", "files", index, "site"), rule["site"], site_ids, "site")
    item_ids = ctx.get("item_ids")
    mapped = {v: k for k, v in cols.items()}
    subgroups_in = d.get("subgroups") or []
    c.unique("subgroups", subgroups_in, key="column")
    sub_cols = [s["column"] for s in subgroups_in]
    for index, col in enumerate(sub_cols):
        if col in mapped:
            c.add(("subgroups", index, "column"), f"column is already mapped as "
                  f"data.columns.{mapped[col]}", found=col)
    for column, item in (data.get("item_columns") or {}).items():
        c.ref(("data", "item_columns", column), item, item_ids, "item")
    identifiers = list(data.get("identifiers", []))
    targets = None if item_ids is None else item_ids + list(cols.values()) + sub_cols + identifiers
    for wave, renames in (data.get("renames") or {}).items():
        if c.ref(("data", "renames", wave), wave, wave_ids, "wave"):
            seen: dict[str, str] = {}
            for source, target in renames.items():
                at = ("data", "renames", wave, source)
                if targets is not None and target not in targets:
                    c.add(at, f"rename target is not an item, mapped column or subgroup"
                          f"{suggest(target, targets)}", found=target,
                          expected="an item id of the study's instruments or a column named in "
                          "data.columns, subgroups or data.identifiers")
                if target in seen:
                    c.add(at, f"two columns renamed to the same name (also {seen[target]!r})",
                          found=target)
                seen[target] = source
    protected = {**{v: f"data.columns.{k}" for k, v in cols.items()},
                 **{s: "a subgroup" for s in sub_cols},
                 **{i: "an item" for i in item_ids or []}}
    for index, column in enumerate(identifiers):
        if column in protected:
            c.add(("data", "identifiers", index), f"this column is also {protected[column]}; "
                  "identifier columns are dropped on ingest", found=column)
    _check_values(c, data.get("values") or {}, ctx.get("instruments"))
    formats = {rule.get("format") for rule in data["files"]}
    per_response = {"qualtrics": "ResponseId", "limesurvey": "id"}
    for fmt, column in per_response.items():
        if fmt in formats and cols["respondent_id"] == column and len(ctx.get("waves") or []) > 1 \
                and d.get("design") not in UNPAIRED_DESIGNS:  # a cross-section links no one
            c.add(("data", "columns", "respondent_id"), f"{fmt} numbers each response anew in "
                  "every survey, so this id cannot link a respondent's waves",
                  found=column, expected="ExternalReference or an embedded-data field "
                  "(Qualtrics), token (LimeSurvey)", severity="warning")
    _check_recode(c, data.get("recode") or {}, ctx)
    overlap = _raw_dir_overlap(ctx["folder"], data["raw_dir"])
    if overlap:
        c.add(("data", "raw_dir"), f"the raw data folder overlaps {overlap}; evaltools writes "
              "and removes files there, and raw files must never be changed or deleted",
              found=data["raw_dir"], expected="a folder of its own, e.g. data/raw")
    elif not (ctx["folder"] / data["raw_dir"]).is_dir():
        c.add(("data", "raw_dir"), "folder does not exist (yet); no wave files can be read",
              found=data["raw_dir"], severity="warning")


def _check_values(c: _Checker, values: dict, instruments: list[Instrument] | None) -> None:
    """``data.values``: keys are instrument or item ids; coded values lie on the item's scale."""
    if instruments is None:
        return
    by_key = {inst.id: list(inst.items) for inst in instruments}
    by_key.update({item.id: [item] for inst in instruments for item in inst.items})
    scale_of = {item.id: inst.response_scales[item.response_scale]
                for inst in instruments for item in inst.items}
    for key, spec in values.items():
        if not c.ref(("data", "values", key), key, list(by_key), "instrument or item"):
            continue
        for code, value in (spec.get("codes") or {}).items():
            bad = [item.id for item in by_key[key] if value not in
                   (*scale_of[item.id].values, *scale_of[item.id].missing)]
            if bad:
                rs = scale_of[bad[0]]
                c.add(("data", "values", key, "codes", code), f"value is not an answer of item "
                      f"{bad[0]!r}", found=value, expected=f"one of {list(rs.values)}" + (
                          f" or missing code {list(rs.missing)}" if rs.missing else ""))


def _item_values(values: dict, instruments: list[Instrument]) -> dict[str, ItemValues]:
    """``data.values`` per item id: an item's own entry replaces its instrument's."""
    out: dict[str, ItemValues] = {}
    for level in ("instrument", "item"):
        for inst in instruments:
            for item in inst.items:
                key = inst.id if level == "instrument" else item.id
                if key in values and (level == "item" or item.id not in values):
                    spec = values[key]
                    out[item.id] = ItemValues(
                        shift=spec.get("shift", 0), labels=bool(spec.get("labels", False)),
                        codes={str(k).strip(): float(v)
                               for k, v in (spec.get("codes") or {}).items()}, entry=key)
    return out
def _recode_key(code) -> str:
    """A file's code as validation compares it: ``1``, ``1.0`` and ``"1"`` are one code."""
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    return str(code).strip()


def _check_recode(c: _Checker, recode: dict, ctx: dict) -> None:
    """``data.recode``: every target a known id of its role, no code given twice."""
    known = {"site": ctx.get("site_ids"), "wave": ctx.get("wave_ids"),
             "group": [g["id"] for g in ctx.get("groups", [])] or None}
    for role, mapping in recode.items():
        seen: dict[str, object] = {}
        for code, target in mapping.items():
            at = ("data", "recode", role, str(code))
            c.ref(at, target, known[role], role)
            key = _recode_key(code)
            if key in seen:
                c.add(at, f"the same code given twice (also as {seen[key]!r})", found=code)
            seen[key] = code


def _analysis_section(c: _Checker, d: dict, ctx: dict) -> None:
    primary = (d.get("analysis") or {}).get("primary")
    if primary is not None and not ctx.get("has_comparison", True):
        c.add(("analysis", "primary"), "a between-group estimator needs a comparison group; "
              "this design reports within-group change", found=primary,
              expected="no analysis.primary, or a comparison group in groups")
    entries = (d.get("analysis") or {}).get("covariates") or []
    names = [e if isinstance(e, str) else e["column"] for e in entries]
    first: dict[str, int] = {}
    cols = d["data"]["columns"]
    taken = {**{v: f"data.columns.{k}" for k, v in cols.items()},
             **{i: "an identifier (dropped on ingest)" for i in d["data"].get("identifiers", [])},
             **{i: "an item" for i in ctx.get("item_ids") or []},
             **{i: "ignored (data.ignore)" for i in d["data"].get("ignore", [])}}
    for index, name in enumerate(names):
        at = ("analysis", "covariates", index)
        if name in first:
            c.add(at, f"covariate listed more than once (first at analysis.covariates"
                  f"[{first[name]}])", found=name)
        first.setdefault(name, index)
        if name in taken:
            c.add(at, f"this column is {taken[name]}, not a baseline covariate", found=name,
                  expected="a further column of the wave files, e.g. age or neighbourhood")
    if names and not ctx.get("has_comparison", True):
        c.add(("analysis", "covariates"), "covariates adjust between-group comparisons, but "
              "this design has no comparison group; they are not used", found=names,
              severity="warning")

    _cross_section_analysis(c, d)


def _cross_section_analysis(c: _Checker, d: dict) -> None:
    """``analysis.cluster`` names a panel column; a repeated cross-section has no ANCOVA."""
    analysis = d.get("analysis") or {}
    if d.get("design") == "repeated_cross_section" and analysis.get("primary") == "ancova":
        c.add(("analysis", "primary"), "ANCOVA adjusts each respondent's post score for their "
              "own baseline score, but a repeated cross-section surveys different respondents "
              "at every wave", found="ancova", expected="'diff_in_diff' (or no analysis.primary)")
    cluster = analysis.get("cluster")
    if cluster is not None:
        known = ["site", *[s["column"] for s in d.get("subgroups") or []]]
        c.ref(("analysis", "cluster"), cluster, known, "cluster column (site or a subgroup "
              "column)")


def analysis_spec(section: dict, subgroups=()) -> AnalysisSpec:
    """The :class:`AnalysisSpec` of a checked ``analysis:`` section: a covariate is
    categorical when declared so or when it is a subgroup column (codes), else numeric."""
    entries = section.get("covariates") or []
    kinds = {e if isinstance(e, str) else e["column"]:
             None if isinstance(e, str) else e.get("type") for e in entries}
    names = tuple(kinds)
    factors = tuple(n for n, k in kinds.items()
                    if k == "categorical" or (k is None and n in subgroups))
    numeric = tuple(n for n in names if n not in factors)
    return AnalysisSpec(primary=section.get("primary"), cluster=section.get("cluster"),
                        covariates=names, factor_covariates=factors, numeric_covariates=numeric)


#: Folders inside a study folder that evaltools writes to (and removes files from).
OUTPUT_FOLDERS = ("store", "reports")


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


def _raw_dir_overlap(folder: Path, raw_dir: str) -> str | None:
    """What the raw folder overlaps (the study folder itself, the store, the reports), if any.

    Paths are compared resolved, so a symbolic link to the store counts as the store.
    """
    root = folder.resolve()
    raw = (folder / raw_dir).resolve()
    if raw == root or raw in root.parents:
        return "the study folder itself (study.yml, the store and the reports live there)"
    for name in OUTPUT_FOLDERS:
        if _overlaps(raw, (folder / name).resolve()):
            return f"the study's {name} folder"
    return None


def _disclosure_section(c: _Checker, d: dict, ctx: dict) -> None:
    min_cell = (d.get("disclosure") or {}).get("min_cell_size", DEFAULT_MIN_CELL_SIZE)
    if isinstance(min_cell, int) and min_cell < 5:
        c.add(("disclosure", "min_cell_size"), "cells this small can disclose individual "
              "answers", found=min_cell, expected="at least 5 (default 10)", severity="warning")


def _reports_section(c: _Checker, d: dict, ctx: dict) -> None:
    wave_ids, site_ids = ctx.get("wave_ids"), ctx.get("site_ids")
    follow = None if wave_ids is None else [w for w in wave_ids if w != ctx.get("baseline")]
    for index, spec in enumerate((d.get("reports") or {}).get("produce", [])):
        at = ("reports", "produce", index)
        if c.ref(at + ("template",), spec["template"], list(TEMPLATES), "report template"):
            if TEMPLATES[spec["template"]] and not ctx.get("has_comparison", True):
                c.add(at + ("template",), "this template compares groups, but the study has no "
                      "comparison group", found=spec["template"])
            if d.get("design") in UNPAIRED_DESIGNS and spec["template"] not in UNPAIRED_TEMPLATES:
                c.add(at + ("template",), "this template follows respondents across waves, but "
                      "a repeated cross-section surveys different respondents at every wave",
                      found=spec["template"], expected=allowed(list(UNPAIRED_TEMPLATES)))
        for j, w in enumerate(spec.get("waves", [])):
            c.ref(at + ("waves", j), w, follow, "wave to report on (not the baseline)")
        for j, s in enumerate(spec.get("sites", [])):
            c.ref(at + ("sites", j), s, site_ids, "site")
    for j, fmt in enumerate((d.get("reports") or {}).get("formats", [])):
        module, package = REPORT_FORMAT_PACKAGES.get(fmt, (None, None))
        if module and importlib.util.find_spec(module) is None:
            c.add(("reports", "formats", j), f"reports in this format need the Python package "
                  f"{package!r}, which is not installed here", found=fmt,
                  expected="pip install 'evaltools[export]'", severity="warning")


def _pseudonym_section(c: _Checker, d: dict, ctx: dict) -> None:
    spec = d.get("pseudonymisation") or {}
    if "key_file" not in spec:
        return
    folder = ctx["folder"].resolve()
    key = (folder / Path(spec["key_file"]).expanduser()).resolve()
    if folder in key.parents:
        c.add(("pseudonymisation", "key_file"), "the key file must live outside the study "
              "folder, wherever in it, so that it is never shared or archived with the study",
              found=spec["key_file"], expected="a path outside the study folder, e.g. "
              "~/.config/evaltools/keys/<study id>.key")


def _build(d: dict, ctx: dict, warnings: list[Problem]):
    data, cols = d["data"], d["data"]["columns"]
    csv = data.get("csv") or {}
    follow = [w for w in ctx["wave_ids"] if w != ctx["baseline"]]
    reports = []
    for spec in (d.get("reports") or {}).get("produce", []):
        per = spec.get("per", "study" if spec["template"] in ("site_overview", "site_synthesis")
                       else "site")
        reports.append(ReportSpec(spec["template"], per, tuple(spec.get("waves", follow)),
                                  tuple(spec.get("sites", ctx["site_ids"]))))
    reports_default = "produce" not in (d.get("reports") or {})
    if reports_default:
        reports = list(default_report_specs(d["design"], ctx["has_comparison"],
                                            ctx["site_ids"], follow))
    return Study(
        folder=ctx["folder"],
        id=d["id"],
        title=LocalText.parse(d["title"]),
        intervention=d["intervention"]["name"],
        protective_factors=tuple(d["intervention"]["protective_factors"]),
        design=d["design"],
        groups=tuple(Group(g["id"], g["role"], LocalText.parse(g.get("label")) or
                           GROUP_ROLE_LABELS[g["role"]]) for g in ctx["groups"]),
        waves=tuple(Wave(**w) for w in ctx["waves"]),
        sites=tuple(Site(s["id"], s.get("name", s["id"]), s.get("municipality"))
                    for s in d["sites"]),
        instruments=tuple(ctx["instruments"]),
        data=DataSpec(
            raw_dir=ctx["folder"] / data["raw_dir"],
            files=tuple(FileRule(**rule) for rule in data["files"]),
            respondent_id=cols["respondent_id"],
            site_column=cols.get("site"),
            group_column=cols.get("group"),
            wave_column=cols.get("wave"),
            submitted_at=cols.get("submitted_at"),
            item_columns=dict(data.get("item_columns") or {}),
            renames={k: dict(v) for k, v in (data.get("renames") or {}).items()},
            identifiers=tuple(data.get("identifiers", [])),
            ignore=tuple(data.get("ignore", [])),
            csv_delimiter=csv.get("delimiter", "auto"),
            csv_decimal=csv.get("decimal", ","),
            csv_encoding=csv.get("encoding", "auto"),
            duplicates=data.get("duplicates", "keep_last"),
            values=_item_values(data.get("values") or {}, ctx["instruments"]),
            recode={role: {_recode_key(k): v for k, v in mapping.items()}
                    for role, mapping in (data.get("recode") or {}).items()},
        ),
        subgroups=tuple(Subgroup(s["column"], LocalText.parse(s.get("label"), s["column"]),
                                 tuple(s["values"]) if "values" in s else None)
                        for s in d.get("subgroups") or []),
        min_cell_size=(d.get("disclosure") or {}).get("min_cell_size", DEFAULT_MIN_CELL_SIZE),
        key_env=(d.get("pseudonymisation") or {}).get("key_env"),
        key_file=(ctx["folder"] / Path((d.get("pseudonymisation") or {})["key_file"])
                  .expanduser()) if "key_file" in (d.get("pseudonymisation") or {}) else None,
        language=(d.get("reports") or {}).get("language", "nl"),
        reports=tuple(reports),
        reports_default=reports_default,
        report_formats=tuple(f for f in REPORT_FORMATS
                             if f == "html" or f in (d.get("reports") or {}).get("formats", [])),
        evidence=EvidenceSpec(**(d.get("evidence") or {})),
        analysis=analysis_spec(d.get("analysis") or {},
                               [s["column"] for s in d.get("subgroups") or []]),
        planning=dict(d["planning"]) if d.get("planning") else None,
        warnings=tuple(warnings),
    )


def _baseline_id(waves: list[dict]) -> str | None:
    return next((w["id"] for w in waves if w["role"] == "baseline"), None)


def _check_waves(c: _Checker, waves: list[dict]) -> list[dict]:
    c.unique("waves", waves)
    c.unique("waves", waves, key="order")
    baselines = [i for i, w in enumerate(waves) if w["role"] == "baseline"]
    if len(baselines) != 1:
        c.add(("waves",), "a study needs exactly one baseline wave", found=len(baselines),
              expected="1 wave with role 'baseline'")
    elif any(w["order"] <= waves[baselines[0]]["order"] for i, w in enumerate(waves)
             if i != baselines[0]):
        c.add(("waves", baselines[0], "order"), "the baseline must come before every other "
              "wave (lowest order)", found=waves[baselines[0]]["order"])
    if not any(w["role"] in ("post", "follow_up") for w in waves):
        c.add(("waves",), "no wave after the baseline", expected="a wave with role 'post'")
    posts = [w["order"] for w in waves if w["role"] == "post"]
    for index, w in enumerate(waves):
        if w["role"] == "follow_up" and posts and w["order"] < min(posts):
            c.add(("waves", index, "order"), "a follow-up comes after the post wave",
                  found=w["order"], expected=f"an order above {min(posts)}")
    out, windows = [], []
    for index, w in enumerate(waves):
        start = end = None
        if "window" in w:
            start = _date(c, ("waves", index, "window", "start"), w["window"]["start"])
            end = _date(c, ("waves", index, "window", "end"), w["window"]["end"])
            if start and end and end < start:
                c.add(("waves", index, "window"), "window ends before it starts",
                      found=f"{start} to {end}")
            elif start and end:
                windows.append((w["order"], start, end, index))
        out.append(dict(id=w["id"], order=w["order"], role=w["role"],
                        label=LocalText.parse(w.get("label")) or WAVE_ROLE_LABELS[w["role"]],
                        start=start, end=end))
    windows.sort()
    for (_, _, end_a, ia), (_, start_b, _, ib) in zip(windows, windows[1:], strict=False):
        if start_b <= end_a:
            c.add(("waves", ib, "window"), f"window overlaps or precedes the window of wave "
                  f"{waves[ia]['id']!r}, which comes earlier in order",
                  found=f"starts {start_b}", expected=f"a start after {end_a}")
    return sorted(out, key=lambda w: w["order"])


def _date(c: _Checker, at: PathKey, text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        c.add(at, "not a calendar date", found=text, expected="a real date as YYYY-MM-DD")
        return None


def _check_instruments(c: _Checker, refs: list, folder: Path) -> list[Instrument]:
    try:
        library = find_instruments([folder / "surveys"])
    except InstrumentDefinitionError as exc:
        c.problems.extend(exc.problems)
        return []
    out: list[Instrument] = []
    ids = [r if isinstance(r, str) else r["id"] for r in refs]
    first: dict[str, int] = {}
    for index, ref in enumerate(refs):
        inst_id = ids[index]
        version = None if isinstance(ref, str) else ref.get("version")
        at = ("instruments", index)
        if inst_id in first:
            c.add(at, f"instrument listed more than once (first at instruments[{first[inst_id]}])",
                  found=inst_id)
            continue
        first[inst_id] = index
        if not c.ref(at, inst_id, sorted(library), "instrument"):
            continue
        versions = library[inst_id]
        chosen = [v for v in versions if version is None or v.version == version]
        if not chosen:
            c.add(at + ("version",), f"instrument {inst_id!r} has no such version", found=version,
                  expected=allowed([v.version for v in versions]))
            continue
        out.append(max(chosen, key=lambda v: _version_key(v.version)))
    seen: dict[str, str] = {}
    for inst in out:
        for item in inst.item_ids:
            if item in seen:
                c.add(("instruments",), f"item id {item!r} occurs in both {seen[item]!r} and "
                      f"{inst.id!r}", found=item, expected="item ids unique across instruments")
            seen[item] = inst.id
    return out


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in version.replace("-", ".").split("."))

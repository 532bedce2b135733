"""JSON Schema checks that speak the user's language.

:func:`schema_problems` runs a Draft 2020-12 validator over a parsed YAML document and turns each
failure into a :class:`~evaltools.core.errors.Problem` that names the key path, the line, the value
found and what is allowed, with a "did you mean" for misspelt keys and values.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

from evaltools.core.errors import Problem
from evaltools.core.yamlio import PathKey, YamlDocument, format_path

# What the named patterns in our schemas mean, for people.
_PATTERN_MEANING = {
    "^[a-z][a-z0-9_-]{0,63}$":
        "a lowercase identifier (a-z, digits, '_' or '-', starting with a letter)",
    "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$": "a code of letters, digits, '_', '.' or '-'",
    "^\\d{4}-\\d{2}-\\d{2}$": "a date written as YYYY-MM-DD",
}
_RELPATH_MEANING = "a path relative to the study folder (not absolute, no '..')"

_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "object": "a mapping (key: value)",
    "array": "a list",
    "boolean": "true or false",
    "null": "nothing",
}


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``evaltools/schemas/<name>.schema.json`` as a dict.

    The shipped schemas are checked against the draft 2020-12 metaschema by the test suite
    (``tests/test_startup.py``), not on every load: that check was half the time of reading a
    study definition.
    """
    text = resources.files("evaltools.schemas").joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def suggest(value: Any, options: list[Any]) -> str:
    """A ``did you mean`` hint for a misspelt value, or an empty string.

    Examples
    --------
    >>> suggest("baseline ", ["baseline", "post", "follow_up"])
    " (did you mean 'baseline'?)"
    >>> suggest("xyz", ["baseline", "post"])
    ''
    """
    if not isinstance(value, str):
        return ""
    folded = {str(o).strip().casefold(): str(o) for o in options}
    if value.strip().casefold() in folded and folded[value.strip().casefold()] != value:
        return f" (did you mean {folded[value.strip().casefold()]!r}?)"
    close = difflib.get_close_matches(value, [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def allowed(options: list[Any]) -> str:
    """Render a list of allowed values.

    Examples
    --------
    >>> allowed(["nl", "en"])
    "one of 'nl', 'en'"
    """
    return "one of " + ", ".join(repr(o) for o in options)


def _type_name(value: Any) -> str:
    for name, pytype in (("boolean", bool), ("integer", int), ("number", float), ("string", str),
                         ("array", list), ("object", dict)):
        if isinstance(value, pytype):
            return _TYPE_NAMES[name]
    return _TYPE_NAMES["null"] if value is None else type(value).__name__


def schema_problems(doc: YamlDocument, schema_name: str) -> list[Problem]:
    """Check ``doc.data`` against a named schema; one problem per failure.

    Parameters
    ----------
    doc : YamlDocument
        A document read by :func:`evaltools._yamlio.read_yaml`.
    schema_name : str
        Base name of a file in ``evaltools/schemas``.

    Returns
    -------
    list of Problem
        Empty when the document conforms.
    """
    validator = jsonschema.Draft202012Validator(load_schema(schema_name))
    problems: list[Problem] = []
    for error in validator.iter_errors(doc.data):
        problems.extend(_describe(error, doc))
    # one failure can surface twice (e.g. through oneOf branches); keep the first of each
    unique: dict[tuple, Problem] = {}
    for p in problems:
        unique.setdefault((p.location, p.message, repr(p.found)), p)
    return list(unique.values())


def _key_path(data: Any, path) -> PathKey:
    """Mapping keys as text (``labels.1``), list positions as numbers (``items[1]``)."""
    out: list[str | int] = []
    node = data
    for part in path:
        if isinstance(node, dict):
            out.append(str(part))
        else:
            out.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def _describe(error: jsonschema.ValidationError, doc: YamlDocument) -> list[Problem]:
    path: PathKey = _key_path(doc.data, error.absolute_path)
    value, kind, spec = error.instance, error.validator, error.validator_value

    def problem(message: str, found: Any = None, expected: str = "", at: PathKey = path) -> Problem:
        return Problem(doc.file, format_path(at), message, found=found, expected=expected,
                       line=doc.line_of(at))

    if kind == "additionalProperties" and isinstance(value, dict):
        known = sorted(error.schema.get("properties", {}))
        extra = [k for k in value if k not in known]
        if not known:  # a free mapping whose values failed: let the value errors speak
            return [problem(error.message)]
        return [
            problem(f"unknown key{suggest(key, known)}", found=key, expected=allowed(known),
                    at=path + (key,))
            for key in extra
        ]
    if kind == "required":
        missing = [k for k in spec if isinstance(value, dict) and k not in value]
        return [problem(f"required key {k!r} is missing", expected=f"a value for {k!r}")
                for k in missing]
    if kind == "enum":
        return [problem(f"value not allowed{suggest(value, spec)}", found=value,
                        expected=allowed(spec))]
    if kind == "const":
        return [problem("value not allowed", found=value, expected=repr(spec))]
    if kind == "type":
        wanted = spec if isinstance(spec, list) else [spec]
        return [problem(f"wrong kind of value: {_type_name(value)}", found=value,
                        expected=" or ".join(_TYPE_NAMES.get(t, t) for t in wanted))]
    if kind == "pattern":
        meaning = _PATTERN_MEANING.get(spec, _RELPATH_MEANING if "\\.\\." in spec else spec)
        return [problem("value has the wrong form", found=value, expected=meaning)]
    if kind in ("minItems", "minProperties"):
        return [problem(f"needs at least {spec} entr{'y' if spec == 1 else 'ies'}",
                        found=value, expected=f"at least {spec}")]
    if kind == "minLength":
        return [problem("must not be empty", found=value, expected="non-empty text")]
    if kind == "maxLength":
        return [problem(f"longer than {spec} characters", found=value)]
    if kind in ("maximum", "exclusiveMaximum", "exclusiveMinimum"):
        word = {"maximum": "at most", "exclusiveMaximum": "below",
                "exclusiveMinimum": "above"}[kind]
        return [problem(f"value must be {word} {spec}", found=value, expected=f"{word} {spec}")]
    if kind == "minimum":
        return [problem(f"must be at least {spec}", found=value, expected=f">= {spec}")]
    if kind == "oneOf":
        return _describe_one_of(error, doc) or [
            problem("value has the wrong form", found=value, expected=_one_of_expected(spec))
        ]
    return [problem(error.message, found=value)]


def _one_of_expected(branches: list[dict[str, Any]]) -> str:
    names = []
    for branch in branches:
        t = branch.get("type") or ("text" if "$ref" in branch else "")
        names.append(_TYPE_NAMES.get(t, t) if t else "a value")
    return " or ".join(dict.fromkeys(names))


def _describe_one_of(error: jsonschema.ValidationError, doc: YamlDocument) -> list[Problem]:
    """Explain a failed ``oneOf`` through the branch that has the value's own type."""
    value = error.instance
    wanted = "object" if isinstance(value, dict) else "string" if isinstance(value, str) else None
    if wanted is None:
        return []
    same_type = [
        sub for sub in error.context or []
        if sub.validator != "type" and _branch_type(sub) == wanted
    ]
    out: list[Problem] = []
    for sub in same_type:
        out.extend(_describe(sub, doc))
    return out


def _branch_type(sub: jsonschema.ValidationError) -> str | None:
    schema_path = list(sub.relative_schema_path)
    # the branch schema of a oneOf error is reachable from its parent's schema via index 0
    branch = sub.parent.validator_value[schema_path[0]] if sub.parent is not None else {}
    resolved = branch
    if "$ref" in branch:
        return "string"  # our referenced branches (slug, text) are strings
    return resolved.get("type")

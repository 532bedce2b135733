"""Reading YAML definitions with line numbers, strictly.

Definitions (``study.yml``, instruments) are read with three departures from PyYAML's defaults,
each one to avoid a silent surprise:

* dates stay strings (``2024-09-01`` is validated and parsed by evaltools, not by the YAML parser);
* only ``true`` and ``false`` are booleans (YAML 1.2), so a site called ``no`` or ``on`` stays text;
* a key given twice in one mapping is reported instead of the last one silently winning.

Hostile files are refused before anything is built from them: explicit tags other than the
plain YAML types (``!!python/object``, ``!custom``), aliases that expand to more than
:data:`MAX_NODES` values (a "billion laughs" alias bomb takes a few hundred bytes), recursive
aliases, and nesting deeper than :data:`MAX_DEPTH`.

Alongside the data, :func:`read_yaml` returns a map from key paths to line numbers so that
every problem can say where in the file it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evaltools.core.errors import Problem

PathKey = tuple[str | int, ...]

#: The most values a definition may hold once its aliases are expanded.
MAX_NODES = 50_000
#: The deepest nesting of mappings and lists a definition may have.
MAX_DEPTH = 50
_PLAIN_TAGS = {"tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null",
                                                  "seq", "map", "merge")}


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without timestamp resolution and with YAML 1.2 booleans."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class _FastStrictLoader(getattr(yaml, "CSafeLoader", _StrictLoader)):
    """The same rules on libyaml's parser, where PyYAML has it (about 10x faster: reading the
    instrument library was most of ``evaltools status``); the resolvers are shared."""

    yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers


def _compose(text: str, loader_class: type):
    """Parse to the node tree only (for line numbers, duplicate keys and the checks against
    hostile documents, before anything is built); returns (loader, node)."""
    loader = loader_class(text)
    try:
        return loader, loader.get_single_node()
    except BaseException:
        loader.dispose()
        raise


def _construct(loader, node) -> Any:
    """The data built from a checked node tree, by the loader that composed it."""
    try:
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


@dataclass
class YamlDocument:
    """A parsed YAML file: its data, where each key stands, and problems met while reading."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: PathKey) -> int | None:
        """1-based line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def format_path(path: PathKey) -> str:
    """Render a key path for people.

    Examples
    --------
    >>> format_path(("waves", 1, "role"))
    'waves[1].role'
    >>> format_path(())
    '(top level)'
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def read_yaml(path: Path, display: str | None = None) -> YamlDocument:
    """Read a YAML file strictly, with line numbers.

    Parameters
    ----------
    path : Path
        The file to read.
    display : str, optional
        How to name the file in problems (defaults to ``str(path)``).

    Returns
    -------
    YamlDocument
        ``data`` is ``None`` when the file could not be read or parsed; ``problems`` then says why.
    """
    name = display or str(path)
    doc = YamlDocument(file=name, data=None)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        doc.problems.append(Problem(name, "", "file not found"))
        return doc
    except OSError as exc:
        doc.problems.append(Problem(name, "", f"file cannot be read ({exc.strerror})"))
        return doc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        doc.problems.append(
            Problem(name, "", "file is not UTF-8 text", found=f"byte {raw[exc.start]:#04x} at "
                    f"offset {exc.start}", expected="a UTF-8 encoded YAML file")
        )
        return doc
    try:
        try:
            loader, node = _compose(text, _FastStrictLoader)
        except yaml.YAMLError:  # the pure-Python parser words the problem as before
            loader, node = _compose(text, _StrictLoader)
    except RecursionError:
        doc.problems.append(Problem(name, "", "nested too deeply to read",
                                    expected=f"at most {MAX_DEPTH} levels of nesting"))
        return doc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        doc.problems.append(
            Problem(name, f"column {mark.column + 1}" if mark else "",
                    f"not valid YAML: {reason}", line=mark.line + 1 if mark else None)
        )
        return doc
    if node is None:
        loader.dispose()
        doc.problems.append(Problem(name, "", "file is empty", expected="a YAML mapping"))
        return doc
    refusal = _hostile(node, name)
    if refusal is not None:
        loader.dispose()
        doc.problems.append(refusal)
        return doc
    _walk(node, (), doc)
    try:
        doc.data = _construct(loader, node)
    except (yaml.YAMLError, ValueError) as exc:  # a value its tag does not allow: !!int abc
        mark = getattr(exc, "problem_mark", None)
        doc.problems.append(Problem(name, f"column {mark.column + 1}" if mark else "",
                                    f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                    line=mark.line + 1 if mark else None))
    return doc


def _hostile(root: yaml.Node, name: str) -> Problem | None:
    """Why a composed document must not be built (tags, alias bombs, recursion, depth).

    Counts the values the document would hold once aliases are expanded without expanding
    them: each node's size is computed once (a shared, aliased node is counted once per use).
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        if done:
            on_path.discard(id(node))
            children = _children(node)
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_NODES:
                return Problem(name, "", "aliases expand to too many values (an alias bomb?)",
                               found=f"more than {MAX_NODES} values",
                               line=node.start_mark.line + 1,
                               expected="a definition without nested aliases")
            continue
        if id(node) in sizes:
            continue
        if id(node) in on_path:
            return Problem(name, "", "recursive alias (a value that contains itself)",
                           line=node.start_mark.line + 1)
        if depth > MAX_DEPTH:
            return Problem(name, "", "nested too deeply", line=node.start_mark.line + 1,
                           expected=f"at most {MAX_DEPTH} levels of nesting")
        if node.tag not in _PLAIN_TAGS:
            return Problem(name, f"column {node.start_mark.column + 1}", "YAML tag not allowed",
                           found=node.tag.replace("tag:yaml.org,2002:", "!!"),
                           line=node.start_mark.line + 1,
                           expected="plain values, lists and mappings (no tags)")
        on_path.add(id(node))
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node))
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _walk(node: yaml.Node, path: PathKey, doc: YamlDocument) -> None:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                doc.problems.append(
                    Problem(doc.file, format_path(path + (key,)),
                            f"key given twice (first on line {seen[key]})", line=line)
                )
                continue
            seen[key] = line
            doc.lines[path + (key,)] = line
            _walk(value_node, path + (key,), doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            doc.lines[path + (index,)] = item.start_mark.line + 1
            _walk(item, path + (index,), doc)

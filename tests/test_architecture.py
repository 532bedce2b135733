"""The package layout is the architecture: layers along the data flow, no circles.

Walks every module of ``evaltools`` with :mod:`ast` (nothing is imported) and fails on
  * a layer importing from a layer above it (or from a sibling it does not build on),
  * an import circle between modules, also through imports inside functions,
  * an import inside a function, except the optional dependencies and the few imports deferred
    for a measured start-up cost (see ``LAZY_OK``),
  * a private name (``_x``) imported from another module,
  * code importing the package facade ``evaltools`` itself (the facade imports everything).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "evaltools"

#: Layers from the bottom up; a module may import from its own layer and those before it.
#: demo and data are siblings: both build on study, neither on the other.
LAYERS = {
    "core": 0,
    "instruments": 1,
    "study": 2,
    "data": 3,
    "demo": 3,
    "analysis": 4,
    "register": 5,
    "reports": 6,
    "pipeline": 7,
    "cli": 8,
}
#: Modules outside the layers: the facade (re-exports the public API) and the compatibility
#: shim it uses.
FACADE = {"evaltools", "evaltools._compat"}
#: Imports allowed inside functions: optional dependencies, loaded only when asked for.
OPTIONAL = {"distributed", "dask", "psycopg",
            # the accessibility check and the PDF / Word export (extras "accessibility", "export")
            "playwright", "axe_playwright_python", "weasyprint", "pypandoc"}
#: Imports deferred into a function because every command would otherwise pay for them at
#: start-up: (module, imported module) -> the measured reason. Nothing else may defer an import.
LAZY_OK = {
    ("evaltools.core.errors", "pandas"):
        "every command imports the errors for its exit codes; pandas is needed only for a "
        "problem table and was 1.3 of the 1.4 s of `evaltools --version` (python -X importtime)",
    ("evaltools.instruments.model", "numpy"):
        "every command that reads study.yml loads the instrument model; numpy is needed only "
        "to score, and took more than half of `evaltools status` (0.3 s budget)",
    ("evaltools.pipeline.run", "evaltools.pipeline.jobs"):
        "rendering, the register and its analyses took 10 of the 11 s of a no-op "
        "`evaltools run` of a 100-site study; loaded only when a run renders or registers",
    ("evaltools.pipeline.run", "evaltools.data.ingest"):
        "reading wave files needs pandas, pyarrow, pyreadstat and openpyxl: 0.8 of the 1.5 s "
        "of a no-op `evaltools run` of a 100-site study; loaded only when a file changed",
    ("evaltools.pipeline.run", "pandas"):
        "only report_status returns tables; a no-op `evaltools run` needs no pandas (0.7 s of "
        "its 1.5 s on a 100-site study, python -X importtime)",
    ("evaltools.data.scan", "pandas"):
        "an unchanged ingest's result is built without pandas for a no-op `evaltools run`; "
        "only IngestResult.summary makes a table (pandas: 0.7 s, python -X importtime)",
    **{("evaltools.pipeline.jobs", name):
       "a report worker renders notebooks (the analyses run in its kernel): the register, its "
       "analyses and the overview's plotting took 1.7 of the 2.7 s of each worker's start; "
       "imported by the register step and the overview job that use them"
       for name in ("evaltools.register", "evaltools.register.collect",
                    "evaltools.reports.overview", "evaltools.data.panel")},
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, tuple[str, ...], int, bool]]:
    """(module imported, names taken from it, line, inside a function) for each import."""
    tree = ast.parse(path.read_text("utf-8"))
    out = []

    def visit(node, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                out.extend((a.name, (), child.lineno, nested) for a in child.names)
            elif (isinstance(child, ast.Assign) and not nested and path.name == "__init__.py"
                  and [getattr(t, "id", None) for t in child.targets] == ["_EXPORTS"]):
                # a package's lazy re-exports (evaltools.core.lazy) count as imports
                exports = ast.literal_eval(child.value)
                out.extend((m, tuple(n), child.lineno, False) for m, n in exports.items())
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    base = base[: len(base) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                out.append((target, tuple(a.name for a in child.names), child.lineno, nested))
            else:
                visit(child, nested or isinstance(child, (ast.FunctionDef,
                                                          ast.AsyncFunctionDef)))

    visit(tree, False)
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _internal(target: str) -> str | None:
    """The evaltools module an import refers to (longest known prefix), or None."""
    while target:
        if target in MODULES:
            return target
        target = target.rpartition(".")[0]
    return None


EDGES = {name: [(t, names, line, nested) for t, names, line, nested in _imports(name, path)]
         for name, path in MODULES.items()}


def test_every_module_belongs_to_a_layer():
    loose = [m for m in MODULES if m not in FACADE and _layer(m) is None]
    assert not loose, f"modules outside the layers {list(LAYERS)}: {loose}"


def test_no_layer_imports_from_a_layer_above_it():
    wrong = []
    for module, edges in EDGES.items():
        if module in FACADE:
            continue
        own = _layer(module)
        for target, _, line, _ in edges:
            if not target.startswith("evaltools"):
                continue
            if target in FACADE:
                wrong.append(f"{module}:{line} imports the facade {target!r}")
                continue
            other = _layer(target)
            if other is None or other == own:
                continue
            if LAYERS[other] >= LAYERS[own]:
                wrong.append(f"{module}:{line} ({own}) imports {target} ({other})")
    assert not wrong, "\n".join(wrong)


def test_no_import_circles():
    graph = {m: {_internal(t) for t, *_ in edges if t.startswith("evaltools")} - {None, m}
             for m, edges in EDGES.items()}
    # a package's __init__ re-exporting its own submodules is not a circle
    for m in graph:
        graph[m] = {t for t in graph[m] if not (m.startswith(t + ".")
                                                and MODULES[t].name == "__init__.py")}
    state: dict[str, int] = {}
    cycles = []

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node, [])
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_imports_sit_at_the_top_of_each_module():
    inside = [f"{m}:{line} imports {t}" for m, edges in EDGES.items()
              for t, _, line, nested in edges
              if nested and t.split(".")[0] not in OPTIONAL and (m, t) not in LAZY_OK]
    assert not inside, ("imports inside functions (allowed only for optional dependencies "
                        f"{sorted(OPTIONAL)} and LAZY_OK):\n" + "\n".join(inside))


def test_every_deferred_import_is_still_deferred():
    """A LAZY_OK entry names an import that exists, inside a function, with its reason."""
    for (module, target), reason in LAZY_OK.items():
        assert len(reason.split()) >= 10, (module, target)
        assert any(t == target and nested for t, _, _, nested in EDGES[module]), (module, target)


def test_lazy_re_exports_are_seen_as_imports():
    """The layer rules apply to ``_EXPORTS`` too: a planted upward re-export is found."""
    assert ("evaltools.data.ingest", ("ingest", "check_data", "discover_files", "FileOutcome",
                                      "IngestResult")) in [e[:2] for e in EDGES["evaltools.data"]]


def test_no_private_name_is_imported_from_another_module():
    private = [f"{m}:{line} takes {n} from {t}" for m, edges in EDGES.items()
               for t, names, line, _ in edges if t.startswith("evaltools")
               for n in names if n.startswith("_") and n != "__version__"]
    assert not private, "\n".join(private)


@pytest.mark.parametrize("package", sorted(m for m, p in MODULES.items()
                                           if p.name == "__init__.py" and m not in FACADE))
def test_each_subpackage_says_what_lives_there_and_what_it_may_import(package):
    doc = ast.get_docstring(ast.parse(MODULES[package].read_text("utf-8"))) or ""
    assert len(doc.split()) >= 15, f"{package}: the docstring should say what lives there"
    assert "import" in doc, f"{package}: the docstring should say what it may import"


def test_the_checker_sees_a_planted_violation(tmp_path):
    """The walkers above find what they look for (so that a passing run means something)."""
    bad = tmp_path / "evaltools" / "core"
    bad.mkdir(parents=True)
    (bad / "x.py").write_text("def f():\n    from evaltools.reports import Report\n"
                              "from evaltools.cli.main import _private\n")
    edges = _imports("evaltools.core.x", bad / "x.py")
    assert ("evaltools.reports", ("Report",), 2, True) in edges
    assert ("evaltools.cli.main", ("_private",), 3, False) in edges
    assert LAYERS[_layer("evaltools.cli.main")] > LAYERS[_layer("evaltools.core.x")]


def test_a_command_loads_the_study_once(ingested_demo, tmp_path, monkeypatch):
    """``evaltools report --all`` reads study.yml once and passes the Study on (notebook
    execution itself, which runs in its own kernel, is replaced by a stub here)."""
    import evaltools.reports.render as render
    import evaltools.study.load as load
    from evaltools.cli.main import cli

    study_dir = ingested_demo[0].folder
    reads = []
    real = load.check_study
    monkeypatch.setattr(load, "check_study", lambda path: reads.append(path) or real(path))

    def fake_execute(template, parameters, final, work, **kwargs):
        final.mkdir(parents=True, exist_ok=True)
        (final / "report.html").write_text("<html></html>")
        return {"headline": "stub"}

    monkeypatch.setattr(render, "execute_and_place", fake_execute)
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["report", str(study_dir), "--all",
                                      "--reports-dir", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output
    assert "  failed:" not in result.output and " 0 failed" in result.output
    assert len(reads) == 1, f"study.yml read {len(reads)} times: {reads}"

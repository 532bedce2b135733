"""Loading the public API on demand, and the module paths of evaltools 0.1 that have moved.

Until the 0.2 re-layout every module sat side by side in ``evaltools/``; scripts and notebooks
that import the old paths (``evaltools.reporting``, ``evaltools.effects``, ...) keep working for
one release, with a :class:`DeprecationWarning` that names the new path.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
import warnings

__all__ = ["MOVED", "ALIASES", "lazy_api", "install_moved_modules"]

#: Old module path -> where it lives now.
MOVED = {
    "evaltools.errors": "evaltools.core.errors",
    "evaltools.text": "evaltools.core.text",
    "evaltools.i18n": "evaltools.core.i18n",
    "evaltools.scoring": "evaltools.instruments.scoring",
    "evaltools.reliability": "evaltools.instruments.reliability",
    "evaltools.codebook": "evaltools.instruments.codebook",
    "evaltools.readers": "evaltools.data.readers",
    "evaltools.validation": "evaltools.data.validation",
    "evaltools.ingest": "evaltools.data.ingest",
    "evaltools.store": "evaltools.data.store",
    "evaltools.pseudonym": "evaltools.data.pseudonym",
    "evaltools.panel": "evaltools.data.panel",
    "evaltools.effects": "evaltools.analysis.effects",
    **{f"evaltools.effects.{m}": f"evaltools.analysis.effects.{m}"
       for m in ("change", "controlled", "missing", "mixed", "multiplicity", "subgroups")},
    "evaltools.synthesis": "evaltools.analysis.synthesis",
    "evaltools.evidence": "evaltools.analysis.evidence",
    "evaltools.reporting": "evaltools.reports.notebook",
    "evaltools.report": "evaltools.reports.render",
    "evaltools.overview": "evaltools.reports.overview",
    "evaltools.plots": "evaltools.reports.plots",
    "evaltools.ledger": "evaltools.pipeline.ledger",
    "evaltools.kernels": "evaltools.pipeline.kernels",
    "evaltools.simulate": "evaltools.demo",
}

#: Short public module paths -> the module they name (no warning: these paths are meant to stay).
ALIASES = {
    "evaltools.planning": "evaltools.analysis.planning",
}

_ALIAS_SPECS: dict[str, importlib.machinery.ModuleSpec] = {}


def lazy_api(package: str, api: dict[str, str], namespace: dict):
    """Module ``__getattr__`` and ``__dir__`` that import a public name's module on first use."""

    def __getattr__(name: str):
        module = api.get(name)
        if module is None and (f"{package}.{name}" in MOVED  # evaltools.effects and the like
                               or f"{package}.{name}" in ALIASES):
            return importlib.import_module(f"{package}.{name}")
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(api))

    return __getattr__, __dir__


class _MovedModules:
    """Answers an import of an old path with the module at its new path.

    A meta path finder and loader by protocol (``find_spec``, ``create_module``,
    ``exec_module``) rather than by subclassing :mod:`importlib.abc`, whose import pulls in
    ``importlib.resources``: a quarter of ``evaltools --version``'s own import time.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED or fullname in ALIASES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        if spec.name in ALIASES:
            module = importlib.import_module(ALIASES[spec.name])
            _ALIAS_SPECS[spec.name] = module.__spec__  # given back in exec_module
            return module
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} has moved to {new}; import it from there (the old path "
                      "goes away in evaltools 0.3)", DeprecationWarning,
                      # warnings skips importlib's own frames: 2 is the importing line
                      stacklevel=2)
        return importlib.import_module(new)

    def exec_module(self, module) -> None:
        """Nothing to run: the module at the new path is already loaded. An alias gives the
        module back its own spec, which the import system replaced by the alias's."""
        if module.__spec__.name in _ALIAS_SPECS:
            module.__spec__ = _ALIAS_SPECS[module.__spec__.name]


class _Package(types.ModuleType):
    """The ``evaltools`` module: an old module path whose last part is also a public function
    (``evaltools.ingest``, ``evaltools.reliability``) never replaces the function."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and name in getattr(self, "__all__", ()):
            return
        super().__setattr__(name, value)


def install_moved_modules() -> None:
    """Make the old module paths importable (once per process)."""
    if not any(isinstance(f, _MovedModules) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedModules())
    sys.modules["evaltools"].__class__ = _Package

"""Re-exporting a subpackage's public names without importing them until they are used.

A subpackage's ``__init__`` lists its public names per submodule; :func:`lazy_exports` turns that
list into a module ``__getattr__`` (PEP 562) that imports the submodule on first use. Importing
one light module of a subpackage (``evaltools.study.load``, ``evaltools.data.store``) then no
longer imports its heavy siblings (scipy in ``instruments.reliability``, matplotlib in
``reports.plots``), which is what keeps ``evaltools --version`` and ``evaltools status`` fast
(see ``benchmarks/RESULTS.md``). ``tests/test_architecture.py`` reads the same lists, so the
layer rules hold for lazy re-exports as for ordinary imports.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable

__all__ = ["lazy_exports"]


class _LazyPackage(types.ModuleType):
    """A package whose public function of the same name as a submodule (``evaltools.data.ingest``,
    ``evaltools.register.collect``) stays the function when that submodule is imported, as it
    did when ``__init__`` imported the function eagerly."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and name in getattr(self, "__all__", ()):
            return
        super().__setattr__(name, value)


def lazy_exports(package: str, exports: dict[str, list[str]]
                 ) -> tuple[list[str], Callable[[str], object], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__`` and ``__dir__`` for a package that re-exports lazily.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict of str to list of str
        Submodule (absolute name) -> the public names taken from it, in the order of ``__all__``.

    Returns
    -------
    tuple
        ``(__all__, __getattr__, __dir__)`` to assign at the package's top level.

    Examples
    --------
    >>> import sys, types
    >>> sys.modules["example_pkg"] = types.ModuleType("example_pkg")
    >>> names, getattr_, dir_ = lazy_exports("example_pkg", {"evaltools.core.text": ["LocalText"]})
    >>> names
    ['LocalText']
    >>> getattr_("LocalText").__module__
    'evaltools.core.text'
    """
    where = {name: module for module, names in exports.items() for name in names}
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str):
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    sys.modules[package].__class__ = _LazyPackage
    return list(where), __getattr__, __dir__

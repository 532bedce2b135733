"""Shared basics, the bottom layer: errors, atomic file writing, bilingual text and the
translation table, YAML and JSON Schema reading, the version.

Imports nothing else from evaltools; every other layer may import from here.
"""

from evaltools.core.errors import (
    EvaltoolsError,
    InstrumentDefinitionError,
    OutputLocationError,
    Problem,
    ProblemsError,
    StudyDefinitionError,
    format_value,
)
from evaltools.core.i18n import TEXTS, interval, number, percent, t
from evaltools.core.version import __version__

__all__ = [
    "__version__",
    "EvaltoolsError",
    "Problem",
    "ProblemsError",
    "StudyDefinitionError",
    "InstrumentDefinitionError",
    "OutputLocationError",
    "format_value",
    "t",
    "number",
    "percent",
    "interval",
    "TEXTS",
]

"""evaltools: evaluate social interventions with pre- and post-intervention survey waves.

The public API is re-exported here; each concept lives in its own module.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evaltools")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

from evaltools.errors import (  # noqa: E402
    EvaltoolsError,
    InstrumentDefinitionError,
    OutputLocationError,
    Problem,
    ProblemsError,
    StudyDefinitionError,
)
from evaltools.instruments import Instrument, find_instruments, load_instrument  # noqa: E402
from evaltools.simulate import (  # noqa: E402
    SimulatedStudy,
    SimulationSettings,
    generate_demo_study,
    simulate_study,
)
from evaltools.study import Study, check_study, load_study  # noqa: E402

__all__ = [
    "__version__",
    "EvaltoolsError",
    "InstrumentDefinitionError",
    "OutputLocationError",
    "Problem",
    "ProblemsError",
    "StudyDefinitionError",
    "Instrument",
    "find_instruments",
    "load_instrument",
    "SimulatedStudy",
    "SimulationSettings",
    "generate_demo_study",
    "simulate_study",
    "Study",
    "check_study",
    "load_study",
]

"""What the forkserver of ``evaltools run``'s workers imports once, on Linux.

Each worker (and the kernel it forks, :mod:`evaltools.reports.kernel_fork`) then starts with
these modules in memory instead of importing them itself: the workers' rendering machinery
and the report kernels' libraries (:data:`evaltools.pipeline.kernels.KERNEL_MODULES`) and
ipykernel. A module that fails to import is left to the process that needs it, which reports
the error where it is met; :data:`READY` says whether all of them were imported.

The server runs as long as the process that started it (a long Jupyter session keeps the
libraries, evaltools included, as they were at its first run; ``evaltools run`` from the
command line starts a new one each time).
"""

from __future__ import annotations

import gc
import importlib
import os

#: The server's environment before these imports (what they add, a worker keeps).
START_ENVIRON = dict(os.environ)
#: Whether every module below was imported (a worker forks its kernel only then).
READY = False

try:
    from evaltools.pipeline.kernels import KERNEL_MODULES

    for _name in ("evaltools.pipeline.run", "evaltools.pipeline.jobs", "ipykernel.kernelapp",
                  "ipykernel.ipkernel", *KERNEL_MODULES):
        importlib.import_module(_name)
    READY = True
except Exception:  # noqa: BLE001 - imported (and reported) again where it is used
    pass
# shared by every process forked from here, never collected: not walked, not copied
gc.freeze()

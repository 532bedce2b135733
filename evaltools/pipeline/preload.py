"""What the forkserver of ``evaltools run``'s workers imports once, on Linux.

Each worker (and the kernel it forks, :mod:`evaltools.reports.kernel_fork`) then starts with
these modules in memory instead of importing them itself: the workers' rendering machinery
and the report kernels' libraries (:data:`evaltools.pipeline.kernels.KERNEL_MODULES`) and
ipykernel. A module that fails to import is left to the process that needs it, which reports
the error where it is met.
"""

from __future__ import annotations

import gc
import importlib

for _name in ("evaltools.pipeline.run", "evaltools.pipeline.jobs", "ipykernel.kernelapp",
              "ipykernel.ipkernel"):
    try:
        importlib.import_module(_name)
    except Exception:  # noqa: BLE001 - imported (and reported) again where it is used
        pass
try:
    from evaltools.pipeline.kernels import KERNEL_MODULES
except Exception:  # noqa: BLE001 - as above
    KERNEL_MODULES = ()
for _name in KERNEL_MODULES:
    try:
        importlib.import_module(_name)
    except Exception:  # noqa: BLE001 - as above
        pass
# shared by every process forked from here, never collected: not walked, not copied
gc.freeze()

"""Warm kernels: one pre-imported Jupyter kernel reused for many reports.

Starting a kernel and importing pandas, statsmodels, matplotlib and evaltools costs seconds per
notebook while a report's own analysis takes a fraction of that. A :class:`WarmKernel` starts
once, imports those libraries, and runs report after report through one kernel client; before
each one the previous report's names are removed from the namespace (imported modules stay),
figures are closed and the working folder is set; after ``recycle_after`` reports it is
replaced by a fresh kernel. ``evaltools run --fresh-kernels``
(a new kernel per report, through papermill) is the audit-grade alternative; both give the same
tables.
"""

from __future__ import annotations

import atexit
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient import NotebookClient

from evaltools.reports.kernel import LocalKernelManager
from evaltools.reports.layout import CONNECTION_PREFIX

__all__ = ["WarmKernel", "PREIMPORT", "KERNEL_MODULES", "CONNECTION_PREFIX"]

#: Kernel connection files in the temporary folder: ``evaltools-kernel-<pid>-<id>.json``.

#: What every report uses: each warm kernel imports it before its first report (and on Linux
#: the forkserver of ``evaltools run``'s workers imports it once for all its kernels,
#: :mod:`evaltools.pipeline.preload`).
KERNEL_MODULES = ("matplotlib", "matplotlib.pyplot", "pandas", "numpy", "scipy.stats",
                  "statsmodels.formula.api", "evaltools.reports", "evaltools.analysis.effects",
                  "evaltools.reports.plots", "evaltools.data.panel")

PREIMPORT = ("".join(f"import {module}\n" for module in KERNEL_MODULES)
             # what is alive now (modules, functions, classes) lives as long as the kernel:
             # the garbage collector stops walking it (its time in 21 reports: 0.8 -> 0.4 s)
             + "import gc as _gc\n_gc.freeze()\ndel _gc\n")


#: The kernel client class of a warm kernel (see :meth:`WarmKernel._start`).
ASYNC_CLIENT = "jupyter_client.asynchronous.AsyncKernelClient"


class WarmKernel:
    """A reusable kernel; :meth:`execute` runs one notebook in it.

    With ``fork=True`` its first kernel is forked from this process where that is safe
    (:mod:`evaltools.reports.kernel_fork`; for a process that has imported the kernel's
    libraries, a pool worker of ``evaltools run``); later ones start as new processes.
    """

    def __init__(self, kernel_name: str = "python3", recycle_after: int = 25,
                 fork: bool = False):
        self.kernel_name = kernel_name
        self.recycle_after = recycle_after
        self.fork = fork
        self.km = None
        self.kc = None
        self.used = 0
        atexit.register(self.shutdown)

    def execute_interactive(self, code: str, timeout: float = 120, output_hook=None) -> dict:
        """Run ``code`` in the kernel outside any report (``output_hook`` gets its iopub
        messages); returns the execute reply."""
        return run_sync(self.kc.execute_interactive)(
            code, timeout=timeout, store_history=False,
            output_hook=output_hook or (lambda msg: None))

    def _run(self, code: str, timeout: float = 120) -> None:
        reply = self.execute_interactive(code, timeout=timeout)
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise RuntimeError(f"kernel setup failed: {content.get('ename')}: "
                               f"{content.get('evalue')}")

    def _start(self) -> None:
        self.shutdown()
        # IPC sockets and a private stderr log; the files name this process (kernel.py)
        # an asynchronous client: nbclient then watches the kernel while it waits for a cell's
        # output (a blocking one waited for the next message for ever when the kernel died)
        self.km = LocalKernelManager(kernel_name=self.kernel_name, fork=self.fork,
                                     client_class=ASYNC_CLIENT)
        # once: a restart comes after reports ran in this process, whose state a fork copies
        self.fork = False
        self.km.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR"])
        self.kc = self.km.client()  # one client for the kernel's whole life
        self.kc.start_channels()
        try:
            run_sync(self.kc.wait_for_ready)(timeout=120)
            self._run(PREIMPORT)
        except RuntimeError as exc:
            tail = self.km.stderr_tail()
            raise RuntimeError(f"{exc}\nthe kernel wrote:\n{tail}" if tail else str(exc)) \
                from exc
        self.used = 0

    def start(self) -> None:
        """Start the kernel and import the libraries now, unless it is running already."""
        if self.km is None or not self.km.is_alive():
            self._start()

    def execute(self, notebook, cwd: Path, timeout: int = 900):
        """Run every cell of ``notebook`` (in place) with ``cwd`` as the working folder."""
        if self.km is None or not self.km.is_alive() or self.used >= self.recycle_after:
            self._start()
        # a light reset: the previous report's names go, imported modules stay
        self._run(f"import os as _os\n_os.chdir({str(Path(cwd))!r})\n"
                  "_ip = get_ipython()\n"
                  "[_ip.user_ns.pop(_k) for _k in list(_ip.user_ns) if not _k.startswith('_')"
                  " and _k not in _ip.user_ns_hidden]\n"
                  "import matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt, _os, _ip\n")
        self.used += 1
        client = NotebookClient(notebook, km=self.km, timeout=timeout,
                                kernel_name=self.kernel_name)
        client.kc = self.kc
        client.reset_execution_trackers()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        return notebook

    def kill(self) -> None:
        """Kill the kernel at once and remove its files, waiting on nothing (a signal handler's
        way out; :meth:`shutdown` is the orderly one)."""
        if self.km is not None:
            self.km.kill_now()
            self.km = None

    def shutdown(self) -> None:
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
            self.kc = None
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
            try:
                self.km.cleanup_resources()
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
            self.km = None

"""Warm kernels: one pre-imported Jupyter kernel reused for many reports.

Starting a kernel and importing pandas, statsmodels, matplotlib and evaltools costs seconds per
notebook while a report's own analysis takes a fraction of that. A :class:`WarmKernel` starts
once, imports those libraries, and runs report after report; before each one its namespace is
reset (``%reset -f``), figures are closed and the working folder is set; after
``recycle_after`` reports it is replaced by a fresh kernel. ``evaltools run --fresh-kernels``
(a new kernel per report, through papermill) is the audit-grade alternative; both give the same
tables.
"""

from __future__ import annotations

import atexit
from pathlib import Path

__all__ = ["WarmKernel", "PREIMPORT"]

PREIMPORT = ("import matplotlib\nimport matplotlib.pyplot\nimport pandas\nimport numpy\n"
             "import scipy.stats\nimport statsmodels.formula.api\nimport seaborn\n"
             "import evaltools.reporting\nimport evaltools.effects\nimport evaltools.plots\n"
             "import evaltools.panel\n")


class WarmKernel:
    """A reusable kernel; :meth:`execute` runs one notebook in it."""

    def __init__(self, kernel_name: str = "python3", recycle_after: int = 25):
        self.kernel_name = kernel_name
        self.recycle_after = recycle_after
        self.km = None
        self.used = 0
        atexit.register(self.shutdown)

    def _run(self, code: str, timeout: float = 120) -> None:
        client = self.km.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=timeout)
            reply = client.execute_interactive(code, timeout=timeout, store_history=False,
                                               output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                content = reply["content"]
                raise RuntimeError(f"kernel setup failed: {content.get('ename')}: "
                                   f"{content.get('evalue')}")
        finally:
            client.stop_channels()

    def _start(self) -> None:
        from jupyter_client import KernelManager

        self.shutdown()
        self.km = KernelManager(kernel_name=self.kernel_name)
        self.km.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR"])
        self._run(PREIMPORT)
        self.used = 0

    def execute(self, notebook, cwd: Path, timeout: int = 900):
        """Run every cell of ``notebook`` (in place) with ``cwd`` as the working folder."""
        from nbclient import NotebookClient

        if self.km is None or not self.km.is_alive() or self.used >= self.recycle_after:
            self._start()
        self._run(f"import os as _os\n_os.chdir({str(Path(cwd))!r})\n%reset -f\n"
                  "import matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt\n")
        self.used += 1
        client = NotebookClient(notebook, km=self.km, timeout=timeout,
                                kernel_name=self.kernel_name)
        return client.execute()

    def shutdown(self) -> None:
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
            self.km = None

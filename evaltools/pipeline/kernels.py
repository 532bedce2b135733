"""Warm kernels: one pre-imported Jupyter kernel reused for many reports.

Starting a kernel and importing pandas, statsmodels, matplotlib and evaltools costs seconds per
notebook while a report's own analysis takes a fraction of that. A :class:`WarmKernel` starts
once, imports those libraries, and runs report after report through one kernel client, each
report's cells in one request (:mod:`evaltools.pipeline.cells`); before each one the previous
report's names are removed from the namespace (imported modules stay), figures are closed and
the working folder is set; after ``recycle_after`` reports it is replaced by a fresh kernel.
``evaltools run --fresh-kernels`` (a new kernel per report, through papermill) is the
audit-grade alternative; both give the same tables.
"""

from __future__ import annotations

import atexit
import time
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.client import timestamp
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

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


class ReportKernelClient(AsyncKernelClient):
    """jupyter_client's asynchronous client, ready as soon as the kernel has answered.

    jupyter_client's ``wait_for_ready`` ends by reading the kernel's output channel until it
    has been silent for 0.2 s: a fifth of a second of nothing at each warm kernel's start,
    the start of every worker of a run. Here it ends once the kernel has answered its
    ``kernel_info`` request and a message on the output channel shows that channel to be
    connected, as jupyter_client checks too. What is left on the channel belongs to that
    request, and whoever reads it next (nbclient, ``execute_interactive``) skips messages
    of other requests.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:  # the request's status message: the output channel is connected
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:  # not yet: ask again
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


#: The module whose :func:`~evaltools.pipeline.cells.run_cells` runs a report's cells in the
#: kernel, and the type of its display message that announces each cell.
CELLS_MODULE = "evaltools.pipeline.cells"
CELL_MARK = "application/x-evaltools-cell+json"


#: The kernel client class of a warm kernel (see :meth:`WarmKernel._start`).
ASYNC_CLIENT = f"{__name__}.ReportKernelClient"


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
        self.kc.allow_stdin = False  # input() in a report fails at once, as with nbclient
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
        """Run every cell of ``notebook`` (in place) with ``cwd`` as the working folder.

        The cells go to the kernel in one request (:mod:`evaltools.pipeline.cells`) and their
        outputs come back as nbclient's per-cell execution gives them (nbclient handles each
        message); ``timeout`` is per cell (None: no limit). Like nbclient it skips cells
        tagged ``skip-execution``, goes on after a failed cell only when it is tagged
        ``raises-exception``, decides that a cell failed as the kernel's reply would (a
        traceback shown and handled in the cell is no failure; an error while showing its
        result is), and raises :class:`~nbclient.exceptions.CellExecutionError` for a failed
        cell (its position in the notebook as ``cell_index``),
        :class:`~nbclient.exceptions.CellTimeoutError` for one that ran out of time and
        :class:`~nbclient.exceptions.DeadKernelError` when the kernel died. ``input()`` fails
        at once.
        """
        if self.km is None or not self.km.is_alive() or self.used >= self.recycle_after:
            self._start()
        self.used += 1
        client = NotebookClient(notebook, km=self.km, timeout=timeout,
                                kernel_name=self.kernel_name)
        client.kc = self.kc
        client.reset_execution_trackers()
        todo = [(index, cell) for index, cell in enumerate(notebook.cells)
                if cell.cell_type == "code" and cell.source.strip()
                and client.skip_cells_with_tag not in cell.metadata.get("tags", [])]
        handed_back = run_sync(self._execute_cells)(client, todo, Path(cwd), timeout)
        for index, cell in todo[handed_back:]:  # top-level await: one request each
            client.execute_cell(cell, index)
        return notebook

    def _allows_errors(self, client, cell) -> bool:
        return (not client.force_raise_errors) and (
            client.allow_errors or "raises-exception" in cell.metadata.get("tags", []))

    async def _execute_cells(self, client, todo: list, cwd: Path, timeout) -> int:
        """Run ``todo``'s cells in one request; returns how many ran (the rest is handed back
        to nbclient, from a cell with top-level ``await``)."""
        cells = [(cell.source, self._allows_errors(client, cell)) for _, cell in todo]
        msg_id = self.kc.execute(f"__import__({CELLS_MODULE!r}, fromlist=['run_cells'])"
                                 f".run_cells({str(cwd)!r}, {cells!r}, {CELL_MARK!r})",
                                 store_history=False, stop_on_error=True, allow_stdin=False)
        limit = float("inf") if timeout is None else float(timeout)
        current = None  # (index, cell) whose outputs are coming
        outcomes: dict[int, dict] = {}  # cell number -> its status, as the kernel replied it
        handed_back = len(todo)
        deadline = time.monotonic() + limit
        while True:
            if time.monotonic() >= deadline:  # checked with every message: a cell that
                # floods its output runs out of time too
                if current is None:  # before the first cell: the report's setup
                    raise CellTimeoutError(f"the report did not start in {timeout} s")
                raise CellTimeoutError.error_from_timeout_and_cell(
                    "Cell execution timed out", timeout, current[1])
            try:
                msg = await self.kc.iopub_channel.get_msg(
                    timeout=max(0.0, min(1.0, deadline - time.monotonic())))
            except Empty:
                if not await self.kc.is_alive():
                    raise DeadKernelError("Kernel died") from None
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            mark = content.get("data", {}).get(CELL_MARK) if kind == "display_data" else None
            if mark is None and kind == "status":
                if content["execution_state"] == "idle":
                    break
            elif mark is None:
                if current is not None and kind != "execute_input":
                    client.process_message(msg, current[1], current[0])
            elif "done" in mark:
                outcomes[mark["done"]] = mark
                if current is not None and client.record_timing:
                    current[1].metadata["execution"]["shell.execute_reply"] = timestamp(msg)
                    current[1].metadata["execution"]["iopub.status.idle"] = timestamp(msg)
            elif "hand_back" in mark:  # nbclient runs this cell (anew) and the rest
                handed_back, current = mark["hand_back"], None
            else:
                current = todo[mark["cell"]]
                cell = current[1]
                cell.outputs = []
                cell.execution_count = mark["execution_count"]
                client.clear_before_next_output = False
                if client.record_timing:
                    cell.metadata["execution"] = {"iopub.execute_input": timestamp(msg),
                                                  "iopub.status.busy": timestamp(msg)}
                deadline = time.monotonic() + limit
        reply = await self._reply(msg_id)
        for number, (index, cell) in enumerate(todo[:handed_back]):
            outcome = outcomes.get(number, {"status": "ok"})
            if outcome["status"] != "ok" and not cells[number][1]:  # errors not allowed
                error = CellExecutionError.from_cell_and_msg(cell, outcome)
                error.cell_index = index
                raise error
        if reply["content"]["status"] != "ok":  # the request itself, not a cell of it
            content = reply["content"]
            raise RuntimeError(f"the report's cells could not be run in the kernel: "
                               f"{content.get('ename')}: {content.get('evalue')}")
        return handed_back

    async def _reply(self, msg_id: str) -> dict:
        """The shell channel's reply to ``msg_id`` (sent before the kernel went idle)."""
        while True:
            try:
                reply = await self.kc.shell_channel.get_msg(timeout=1)
            except Empty:
                if not await self.kc.is_alive():
                    raise DeadKernelError("Kernel died") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

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

"""Runs in a warm report kernel: a report's cells one after another, in one request.

:meth:`evaltools.pipeline.kernels.WarmKernel.execute` sends one execute request per report,
a call of :func:`run_cells`, instead of one per cell: each request costs the kernel and the
worker about 7 ms of CPU of their own (the kernel's status and input messages, its replies
and stream flushes across threads; ``benchmarks/RESULTS.md``), a thirteen-cell report a
tenth of a second. Each cell runs as the kernel runs a cell it is sent (IPython's
``run_cell``, with the execution count, the output hooks such as matplotlib's, the
traceback on an error); before its outputs comes a marker, a display message of a type of
its own holding the cell's number and execution count, by which the worker gives every
output to its cell. Only this module's function is imported into a kernel, by that request.
"""

from __future__ import annotations

import os
import sys

import matplotlib.pyplot as plt
from IPython import get_ipython

__all__ = ["run_cells"]


def run_cells(cwd: str, cells: list[tuple[str, bool]], mark: str) -> None:
    """Start a report in this kernel and run its ``cells`` (source, errors allowed) in order.

    The previous report's names go from the namespace (imported modules stay), its figures
    are closed and ``cwd`` becomes the working folder. Each cell is announced with a display
    message ``{mark: {"cell": number, "execution_count": n}}`` before it runs and closed with
    ``{mark: {"done": number, "status": ...}}`` after it, whose status (with ``ename``,
    ``evalue`` and ``traceback`` for an error) is the one ipykernel would reply for the cell.
    The run stops after a cell that failed unless that cell allows errors. A cell with
    top-level ``await``, which IPython cannot run inside this request, is followed by
    ``{mark: {"hand_back": number}}`` instead, and the run stops, for the worker to run that
    cell and the rest one request each.
    """
    shell = get_ipython()
    os.chdir(cwd)
    for name in [name for name in shell.user_ns
                 if not name.startswith("_") and name not in shell.user_ns_hidden]:
        del shell.user_ns[name]
    plt.close("all")
    for number, (source, errors_allowed) in enumerate(cells):
        # (the display publisher sends the streams' pending text first: it stays with the
        # cell before)
        shell.display_pub.publish({mark: {"cell": number,
                                          "execution_count": shell.execution_count}},
                                  metadata={})
        if "await" in source and _needs_event_loop(shell, source):
            shell.display_pub.publish({mark: {"hand_back": number}}, metadata={})
            return
        outcome = _outcome(shell, shell.run_cell(source, store_history=True))
        shell.display_pub.publish({mark: {"done": number, **outcome}}, metadata={})
        if outcome["status"] != "ok" and not errors_allowed:
            return


def _outcome(shell, result) -> dict:
    """A cell's status as ipykernel replies it (``ipykernel.ipkernel.IPythonKernel.
    do_execute``): an error also when the cell's result failed to display, or a custom
    exception handler took the error and showed no traceback."""
    shown_badly = getattr(shell, "_last_traceback_during_displayhook", False)
    if shown_badly:  # the cell's failure, not that of the request running the cells
        shell._last_traceback_during_displayhook = False
    if result.success and not shown_badly:
        return {"status": "ok"}
    error = (result.error_before_exec if result.error_before_exec is not None
             else result.error_in_exec)
    if error is None:  # raised while its result was displayed: the error IPython showed
        error = getattr(sys, "last_value", None)
    return {"status": "error", "ename": type(error).__name__, "evalue": str(error),
            "traceback": list(getattr(shell, "_last_traceback", None) or [])}


def _needs_event_loop(shell, source: str) -> bool:
    """Whether IPython would run ``source`` as a coroutine (top-level ``await``)."""
    try:
        transformed = shell.transform_cell(source)
    except Exception:  # noqa: BLE001 - run_cell reports the cell's error itself
        return False
    return bool(shell.should_run_async(source, transformed_cell=transformed,
                                       preprocessing_exc_tuple=None))

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

import matplotlib.pyplot as plt
from IPython import get_ipython

__all__ = ["run_cells"]


def run_cells(cwd: str, cells: list[tuple[str, bool]], mark: str) -> None:
    """Start a report in this kernel and run its ``cells`` (source, errors allowed) in order.

    The previous report's names go from the namespace (imported modules stay), its figures
    are closed and ``cwd`` becomes the working folder. Each cell is announced with a display
    message ``{mark: {"cell": number, "execution_count": n}}`` before it runs. The run stops
    after a cell that failed unless that cell allows errors; before a cell with top-level
    ``await``, which IPython cannot run inside this request, it stops with
    ``{mark: {"hand_back": number}}``, for the worker to run that cell and the rest one
    request each.
    """
    shell = get_ipython()
    os.chdir(cwd)
    for name in [name for name in shell.user_ns
                 if not name.startswith("_") and name not in shell.user_ns_hidden]:
        del shell.user_ns[name]
    plt.close("all")
    for number, (source, errors_allowed) in enumerate(cells):
        if _needs_event_loop(shell, source):
            shell.display_pub.publish({mark: {"hand_back": number}}, metadata={})
            return
        # (the display publisher sends the streams' pending text first: it stays with the
        # cell before)
        shell.display_pub.publish({mark: {"cell": number,
                                          "execution_count": shell.execution_count}},
                                  metadata={})
        result = shell.run_cell(source, store_history=True)
        if not result.success and not errors_allowed:
            return


def _needs_event_loop(shell, source: str) -> bool:
    """Whether IPython would run ``source`` as a coroutine (top-level ``await``)."""
    try:
        transformed = shell.transform_cell(source)
    except Exception:  # noqa: BLE001 - run_cell reports the cell's error itself
        return False
    return bool(shell.should_run_async(source, transformed_cell=transformed,
                                       preprocessing_exc_tuple=None))

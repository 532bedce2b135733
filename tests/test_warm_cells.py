"""A warm kernel runs a report's cells in one request (evaltools.pipeline.cells): the executed
notebook must be the one nbclient's cell-by-cell execution gives, failures and time-outs
must be told as nbclient tells them, and each report must start from a clean namespace."""

from __future__ import annotations

import copy
import os

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from evaltools.pipeline.kernels import CELL_MARK, WarmKernel

pytestmark = pytest.mark.skipif(os.name != "posix", reason="warm kernels use IPC sockets")


@pytest.fixture(scope="module")
def kernel():
    warm = WarmKernel()
    warm.start()
    yield warm
    warm.shutdown()


def _notebook(*cells) -> nbformat.NotebookNode:
    """Code cells from sources, or (source, tags) pairs."""
    notebook = nbformat.v4.new_notebook()
    for cell in cells:
        source, tags = cell if isinstance(cell, tuple) else (cell, [])
        notebook.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags}))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def _outputs(notebook) -> list[list[dict]]:
    """Each cell's outputs, without execution counts (a warm kernel's go on counting)."""
    found = []
    for cell in notebook.cells:
        outs = []
        for out in cell.get("outputs", []):
            out = dict(out)
            out.pop("execution_count", None)
            outs.append(out)
        found.append(outs)
    return found


CELLS = [
    "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)",
    "from IPython.display import HTML, display\ndisplay(HTML('<b>shown</b>'))\n1 + 1",
    "handle = display(HTML('first'), display_id=True)\nhandle.update(HTML('second'))",
    "from IPython.display import clear_output\nprint('gone')\nclear_output(wait=True)\n"
    "print('kept')",
    # text still buffered when the cell ends (ipykernel flushes streams on a timer)
    "import time\nprint('late', end='')\ntime.sleep(0.3)",
    "print('next')",
    "",
    ("raise ValueError('never run')", ["skip-execution"]),
    "value = 41\nvalue + 1",
    "import asyncio\nawait asyncio.sleep(0)\nprint('awaited', value)",
    "print('after the await')\nvalue",
]


def test_one_request_gives_the_outputs_of_cell_by_cell_execution(kernel, tmp_path) -> None:
    """Streams, displays, results, a display update, clear_output, a cell left to finish
    its output after it ends, an empty and a skipped cell, shared names, and a cell with
    top-level await (handed back to nbclient, with the cells after it)."""
    warm = _notebook(*CELLS)
    reference = copy.deepcopy(warm)
    NotebookClient(reference, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    kernel.execute(warm, tmp_path, timeout=120)
    assert _outputs(warm) == _outputs(reference)
    texts = ["".join(o.get("text", "") for o in outs) for outs in _outputs(warm)]
    assert texts[4] == "late" and texts[5] == "next\n"  # each cell keeps its own text
    assert "awaited 41" in texts[9] and "after the await" in texts[10]
    assert not any(CELL_MARK in str(outs) for outs in _outputs(warm))
    counts = [cell.execution_count for cell in warm.cells]
    executed = [c for c in counts if c is not None]
    assert executed == sorted(executed) and len(set(executed)) == len(executed) == 9
    assert counts[6] is None and counts[7] is None  # the empty and the skipped cell
    timing = warm.cells[0].metadata["execution"]
    assert timing["iopub.execute_input"] <= timing["shell.execute_reply"]


def test_a_failed_cell_stops_the_report_as_with_nbclient(kernel, tmp_path) -> None:
    notebook = _notebook("a = 1", "print('before')\n1 / 0", "print('never')")
    with pytest.raises(CellExecutionError) as failure:
        kernel.execute(notebook, tmp_path, timeout=60)
    assert failure.value.ename == "ZeroDivisionError"
    assert "before" in str(failure.value)  # the cell's own output, as nbclient tells it
    second, third = notebook.cells[1], notebook.cells[2]
    assert [o.output_type for o in second.outputs] == ["stream", "error"]
    assert second.execution_count is not None
    assert third.outputs == [] and third.execution_count is None


def test_a_cell_tagged_raises_exception_lets_the_report_go_on(kernel, tmp_path) -> None:
    notebook = _notebook(("1 / 0", ["raises-exception"]), "print('went on')")
    kernel.execute(notebook, tmp_path, timeout=60)
    assert notebook.cells[0].outputs[0].ename == "ZeroDivisionError"
    assert notebook.cells[1].outputs[0].text == "went on\n"


def test_each_report_starts_clean_in_its_own_folder(kernel, tmp_path) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    kernel.execute(_notebook("left_over = 'from the first report'"), tmp_path / "first", 60)
    notebook = _notebook("print('left_over' in dir())\nimport os\nprint(os.getcwd())\n"
                         "import matplotlib.pyplot as plt\nprint(plt.get_fignums())")
    kernel.execute(notebook, tmp_path / "second", timeout=60)
    assert notebook.cells[0].outputs[0].text.split() == [
        "False", str(tmp_path / "second"), "[]"]


def test_a_cell_that_runs_too_long_times_out_and_the_next_report_runs(tmp_path) -> None:
    """The timeout is per cell: two cells of 0.6 s each pass a 1 s limit, one of 3 s not."""
    warm = WarmKernel()
    try:
        fine = _notebook("import time\ntime.sleep(0.6)", "time.sleep(0.6)\nprint('done')")
        warm.execute(fine, tmp_path, timeout=1)
        assert fine.cells[1].outputs[0].text == "done\n"
        with pytest.raises(CellTimeoutError):
            warm.execute(_notebook("print('started')", "import time\ntime.sleep(3)"),
                         tmp_path, timeout=1)
        warm.shutdown()  # as a worker does after a failed report
        after = _notebook("print('next report')")
        warm.execute(after, tmp_path, timeout=60)
        assert after.cells[0].outputs[0].text == "next report\n"
    finally:
        warm.shutdown()


def test_a_traceback_shown_and_handled_in_a_cell_is_no_failure(kernel, tmp_path) -> None:
    """As the kernel's reply says (and nbclient goes by): the cell succeeded."""
    notebook = _notebook("try:\n    1 / 0\nexcept ZeroDivisionError:\n"
                         "    get_ipython().showtraceback()\nprint('handled')",
                         "print('next')")
    kernel.execute(notebook, tmp_path, timeout=60)
    assert [o.output_type for o in notebook.cells[0].outputs] == ["error", "stream"]
    assert notebook.cells[1].outputs[0].text == "next\n"


def test_an_error_while_showing_a_result_stops_the_report(kernel, tmp_path) -> None:
    notebook = _notebook("class Shown:\n    def _repr_html_(self):\n        1 / 0\nShown()",
                         "print('never')")
    with pytest.raises(CellExecutionError) as failure:
        kernel.execute(notebook, tmp_path, timeout=60)
    assert failure.value.ename == "ZeroDivisionError" and failure.value.cell_index == 0
    assert notebook.cells[1].outputs == []


def test_an_error_taken_by_a_custom_handler_still_stops_the_report(kernel, tmp_path) -> None:
    """No error output in the cell, but the kernel replies with an error."""
    notebook = _notebook("def handler(shell, etype, value, tb, tb_offset=None):\n"
                         "    print('handled by', etype.__name__)\n"
                         "get_ipython().set_custom_exc((ValueError,), handler)",
                         "raise ValueError('bad')", "print('never')")
    try:
        with pytest.raises(CellExecutionError) as failure:
            kernel.execute(notebook, tmp_path, timeout=60)
    finally:
        kernel.execute_interactive("get_ipython().set_custom_exc((), None)")
    assert (failure.value.ename, failure.value.evalue, failure.value.cell_index) == (
        "ValueError", "bad", 1)
    assert notebook.cells[2].outputs == []


def test_input_fails_at_once(kernel, tmp_path) -> None:
    notebook = _notebook("input('never answered')")
    with pytest.raises(CellExecutionError) as failure:
        kernel.execute(notebook, tmp_path, timeout=60)
    assert failure.value.ename == "StdinNotImplementedError"


def test_a_cell_that_floods_its_output_times_out(tmp_path) -> None:
    """The time limit holds while messages keep coming."""
    import time

    warm = WarmKernel()
    try:
        warm.start()
        started = time.monotonic()
        with pytest.raises(CellTimeoutError):
            warm.execute(_notebook("from IPython.display import display\nimport time\n"
                                   "start = time.time()\nwhile time.time() - start < 30:\n"
                                   "    display({'text/plain': 'x' * 100}, raw=True)"),
                         tmp_path, timeout=2)
        assert time.monotonic() - started < 15
    finally:
        warm.shutdown()

"""Warm kernels forked from a process that imported their libraries (reports/kernel_fork.py)
and the run's workers started from a preloaded forkserver (pipeline/preload.py).

A forked kernel must be what ``python -m ipykernel_launcher`` would be: its own session and
process, its parent watched, the inline matplotlib backend, the report setting of pandas, no
descriptor of its parent, and nothing left when it stops or its parent dies. Each case runs
in a fresh Python process, as a pool worker is (a fork needs a process with one thread).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="kernels are forked on Linux only")

ROOT = Path(__file__).resolve().parents[1]

_KERNEL = textwrap.dedent('''
    import json, os, sys
    import ipykernel.kernelapp, pandas, matplotlib.pyplot  # as the forkserver's preload
    from evaltools.pipeline.kernels import WarmKernel

    marker = open(sys.argv[1], "w")  # a descriptor the kernel must not hold
    kernel = WarmKernel(fork=True)
    kernel.start()
    process = kernel.km.provisioner.process
    out = []
    kernel.execute_interactive(
        "import json, os, sys, matplotlib, pandas, multiprocessing as mp\\n"
        "print(json.dumps({'backend': matplotlib.get_backend(),"
        " 'start_method': mp.get_start_method(), 'no_parent': mp.parent_process() is None,"
        " 'stdin': sys.stdin.fileno(), 'main': mp.current_process().name,"
        " 'storage': pandas.get_option('mode.string_storage'),"
        " 'parent': os.environ.get('JPY_PARENT_PID'), 'path0': sys.path[0],"
        " 'fds': [os.readlink(f'/proc/self/fd/{f}') for f in os.listdir('/proc/self/fd')"
        " if os.path.exists(f'/proc/self/fd/{f}')]}))",
        timeout=60, output_hook=lambda m: out.append(m["content"].get("text", "")))
    print(json.dumps({"forked": type(process).__name__ == "ForkedProcess", "pid": process.pid,
                      "connection": kernel.km.connection_file,
                      "inside": json.loads("".join(out))}), flush=True)
    if sys.argv[2] == "stop":
        kernel.shutdown()
        print(json.dumps({"alive": process.poll() is None}), flush=True)
    else:
        sys.stdin.read()  # killed by the test
''')


def _run_kernel(tmp_path: Path, how: str) -> subprocess.Popen:
    script = tmp_path / "kernel.py"
    script.write_text(_KERNEL, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "marker"), how],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)


def _gone(pid: int, limit: float = 10) -> bool:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_a_forked_kernel_is_a_kernel_of_its_own_and_leaves_nothing(tmp_path) -> None:
    process = _run_kernel(tmp_path, "stop")
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    first, last = (json.loads(line) for line in out.strip().splitlines()[-2:])
    assert first["forked"]
    inside = first["inside"]
    # what ipykernel_launcher gives a kernel it starts
    assert inside["backend"] == "module://matplotlib_inline.backend_inline"
    assert inside["storage"] == "python"  # KERNEL_SETUP ran
    # multiprocessing as in a new process (not the parent's forkserver, tracker or identity)
    assert inside["start_method"] == "fork" and inside["no_parent"]
    assert inside["main"] == "MainProcess"
    assert inside["stdin"] == 0
    assert inside["parent"] == str(process.pid)
    assert inside["path0"] not in ("", str(tmp_path))
    assert not any("marker" in fd for fd in inside["fds"]), inside["fds"]
    assert "Ctrl-C will not work" not in out  # the kernel knows its parent
    assert last == {"alive": False}
    assert _gone(first["pid"])
    assert list(tmp_path.glob(f"{Path(first['connection']).stem}*")) == []


def test_a_forked_kernel_dies_with_its_parent(tmp_path) -> None:
    process = _run_kernel(tmp_path, "wait")
    try:
        line = process.stdout.readline()
        info = json.loads(line)
        assert info["forked"], process.stderr.read() if not line else line
        kernel = psutil.Process(info["pid"])
        assert kernel.name() == "ipykernel"
        assert kernel.ppid() == process.pid
        assert os.getpgid(kernel.pid) == kernel.pid  # a session of its own, as jupyter's
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert _gone(info["pid"])


_POOL = textwrap.dedent('''
    import json, os, sys
    from concurrent.futures import ProcessPoolExecutor
    from evaltools.pipeline import jobs
    from evaltools.pipeline.run import pool_context


    def facts():
        kernel = jobs._kernel(False)
        kernel.start()
        pid = kernel.km.provisioner.process.pid
        with open(f"/proc/{pid}/comm") as comm:
            name = comm.read().strip()
        out = []
        kernel.execute_interactive(
            "import json, multiprocessing as mp\\n"
            "print(json.dumps([mp.get_start_method(), mp.parent_process() is None,"
            " mp.current_process().name]))", timeout=60,
            output_hook=lambda m: out.append(m["content"].get("text", "")))
        return {"method": jobs.multiprocessing.get_start_method(),
                "shadowed": hasattr(sys.modules["ipykernel"], "SHADOWED"),
                "mark": os.environ.get("EVALTOOLS_TEST_MARK"), "tmpdir": jobs.tempfile.gettempdir(),
                "forked": type(kernel.km.provisioner.process).__name__ == "ForkedProcess",
                "name": name, "kernel": pid, "worker": os.getpid(),
                "kernel_multiprocessing": json.loads("".join(out)),
                "connection": kernel.km.connection_file}


    if __name__ == "__main__":
        context = pool_context()
        context.Process(target=print).start()  # the forkserver runs before the variable is set
        os.environ["EVALTOOLS_TEST_MARK"] = "set after the forkserver started"
        os.environ["TMPDIR"] = sys.argv[1]
        with ProcessPoolExecutor(1, mp_context=context, initializer=jobs.worker_start,
                                 initargs=(os.getpid(), dict(os.environ))) as pool:
            print(json.dumps(pool.submit(facts).result(timeout=120)), flush=True)
''')


def test_the_run_s_workers_start_from_a_preloaded_forkserver_and_fork_their_kernels(
        tmp_path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(_POOL, encoding="utf-8")
    temp = tmp_path / "tmp"
    temp.mkdir()
    # a module in the folder the run starts in, named as one the forkserver imports: CPython
    # 3.11's forkserver would import it first (it puts its own folder ahead of the path)
    here = tmp_path / "here"
    here.mkdir()
    (here / "ipykernel.py").write_text("SHADOWED = True\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script), str(temp)], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          cwd=here)
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["method"] == "forkserver"
    assert not facts["shadowed"]
    # the run's environment, not the one the forkserver started with
    assert facts["mark"] == "set after the forkserver started"
    assert facts["tmpdir"] == str(temp)
    assert facts["forked"] and facts["name"] == "ipykernel"
    # the kernel forked from a worker is no worker: multiprocessing as in a new process (the
    # start method of its own, no parent process, not the worker's identity)
    assert facts["kernel_multiprocessing"] == ["fork", True, "MainProcess"]
    assert _gone(facts["kernel"]) and _gone(facts["worker"])
    # the worker killed its kernel and removed its files as the pool closed
    assert list(temp.glob(f"{Path(facts['connection']).stem}*")) == []


def test_a_temporary_folder_too_deep_for_the_forkserver_s_socket_spawns_the_workers(
        tmp_path, monkeypatch) -> None:
    """The forkserver listens on a Unix socket in the temporary folder: where its path would
    not fit a socket address the workers spawn (a CI run under pytest-xdist once failed with
    'AF_UNIX path too long')."""
    from multiprocessing import current_process

    from evaltools.pipeline.run import SPAWN, _forkserver_fits, pool_context

    monkeypatch.delitem(current_process()._config, "tempdir", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    assert _forkserver_fits()
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    assert not _forkserver_fits()
    assert pool_context() is SPAWN


_RESTART = textwrap.dedent('''
    import json, sys
    import nbformat
    import ipykernel.kernelapp, pandas, matplotlib.pyplot  # as the forkserver's preload
    from evaltools.pipeline.kernels import WarmKernel

    kernel = WarmKernel(fork=True)
    kernel.start()
    first = type(kernel.km.provisioner.process).__name__
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os; os._exit(3)")])
    try:
        kernel.execute(notebook, cwd=sys.argv[1], timeout=60)
        died = False
    except Exception as exc:  # nbclient's DeadKernelError
        died = type(exc).__name__
    kernel.shutdown()  # what render_job does after a failed report
    kernel.start()
    second = type(kernel.km.provisioner.process).__name__
    out = []
    kernel.execute_interactive("print(6 * 7)", timeout=60,
                                  output_hook=lambda m: out.append(m["content"].get("text", "")))
    kernel.shutdown()
    print(json.dumps({"first": first, "died": died, "second": second, "out": "".join(out)}))
''')


def test_after_a_forked_kernel_died_the_next_one_starts_as_a_new_process(tmp_path) -> None:
    """A report that kills its kernel fails alone: the worker's next kernel is started the
    ordinary way (a fork then would copy the worker's client threads and sockets)."""
    script = tmp_path / "restart.py"
    script.write_text(_RESTART, encoding="utf-8")
    # (with a blocking client nbclient waited for the dead kernel's next message for ever)
    done = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True,
                          text=True, timeout=150, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert facts["first"] == "ForkedProcess"
    assert facts["died"] == "DeadKernelError"
    assert facts["second"] == "Popen"
    assert facts["out"].strip() == "42"

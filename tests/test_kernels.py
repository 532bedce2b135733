"""The kernels reports run under: IPC sockets (no port another process can take) and the
kernel's stderr in a private log, not in the terminal of whoever runs ``evaltools run``.

A CI run once printed a kernel's heartbeat traceback (``ZMQError: Address already in use``):
over TCP a kernel binds ports its client picked a moment earlier, and a kernel of a parallel
test took one of them in between.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from evaltools.data.pseudonym import create_key
from evaltools.demo.files import generate_demo_study
from evaltools.pipeline.run import remove_dead_runs_leftovers
from evaltools.reports.kernel import LocalKernelManager
from evaltools.reports.layout import CONNECTION_PREFIX
from evaltools.study.load import load_study

pytestmark = pytest.mark.skipif(os.name != "posix", reason="IPC sockets are POSIX only")

ROOT = Path(__file__).resolve().parents[1]


def _files_of(km: LocalKernelManager) -> list[Path]:
    stem = Path(km.connection_file).stem
    return sorted(Path(tempfile.gettempdir()).glob(f"{stem}*"))


def _started() -> tuple[LocalKernelManager, object]:
    """A report kernel and a client with its channels started (not yet waited for)."""
    km = LocalKernelManager()
    km.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR"])
    kc = km.client()
    kc.start_channels()
    return km, kc


def test_kernel_uses_ipc_sockets_and_a_private_log_and_removes_both() -> None:
    km, kc = _started()
    try:
        kc.wait_for_ready(timeout=60)
        info = km.get_connection_info()
        assert info["transport"] == "ipc"
        assert Path(info["ip"]).is_absolute()  # not ./kernel-ipc-* in the user's folder
        assert Path(km.connection_file).name.startswith(f"{CONNECTION_PREFIX}{os.getpid()}-")
        reply = kc.execute_interactive(
            "import os; os.write(2, b'written-to-fd-2\\n')", timeout=60,
            output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok"
        names = {p.name for p in _files_of(km)}
        assert any(n.endswith(".log") for n in names), names
        assert any("-ipc-" in n for n in names), names  # the sockets are files
        assert "written-to-fd-2" in km.stderr_tail()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert _files_of(km) == []


def test_a_report_kernel_keeps_pandas_text_in_python_objects() -> None:
    """KERNEL_SETUP runs in every report kernel (warm and papermill's)."""
    km, kc = _started()
    try:
        kc.wait_for_ready(timeout=60)
        out = []
        reply = kc.execute_interactive(
            "import pandas\nprint(pandas.get_option('mode.string_storage'), '_pd' in dir())",
            timeout=60, output_hook=lambda m: out.append(m["content"].get("text", "")))
        assert reply["content"]["status"] == "ok"
        assert "".join(out).split() == ["python", "False"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_report_kernel_writes_no_ipython_history(tmp_path, monkeypatch) -> None:
    """KERNEL_OPTIONS: a report's cells are not the user's session; nothing goes into the
    IPython history file (its folder here a fresh one, IPYTHONDIR)."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    km, kc = _started()
    try:
        kc.wait_for_ready(timeout=60)
        out = []
        for code in ("x = 'a cell of a report'",
                     "print(get_ipython().history_manager.enabled)"):
            reply = kc.execute_interactive(code, timeout=60, output_hook=lambda m: out.append(
                m["content"].get("text", "")))
            assert reply["content"]["status"] == "ok"
        assert "".join(out).split() == ["False"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert not list((tmp_path / "ipython").rglob("history.sqlite"))


def test_a_report_kernel_replies_without_ipykernel_s_pause() -> None:
    """KERNEL_OPTIONS: no half-millisecond sleep before each reply (nbclient reads a cell's
    outputs until the kernel is idle, which comes after them)."""
    km, kc = _started()
    try:
        kc.wait_for_ready(timeout=60)
        out = []
        reply = kc.execute_interactive("print(get_ipython().kernel._execute_sleep)", timeout=60,
                                       output_hook=lambda m: out.append(
                                           m["content"].get("text", "")))
        assert reply["content"]["status"] == "ok"
        assert float("".join(out)) == 0.0
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_kill_now_stops_the_kernel_and_removes_its_files_without_an_event_loop() -> None:
    """A worker's SIGTERM handler kills its kernel this way (pipeline/jobs.py)."""
    import asyncio

    km, kc = _started()
    kc.wait_for_ready(timeout=60)
    process = km.provisioner.process
    files = _files_of(km)
    names = {p.name for p in files}
    stem = Path(km.connection_file).stem
    assert {f"{stem}.json", f"{stem}.log"} <= names, names
    assert len([n for n in names if n.startswith(f"{stem}-ipc-")]) == 5, names  # sockets

    async def inside_a_running_loop():  # where a signal may find the worker
        km.kill_now()

    asyncio.run(inside_a_running_loop())
    process.wait(timeout=10)
    assert process.returncode == -9
    assert _files_of(km) == []
    kc.stop_channels()


@pytest.mark.parametrize("kernels", ["warm", "fresh"])
def test_a_run_prints_nothing_its_kernels_write_to_stderr(tmp_path, monkeypatch, kernels) -> None:
    """Fault injection: every kernel process writes to its stderr (fd 2) as it starts, as a
    heartbeat thread that lost its port did. ``evaltools run`` prints none of it, with warm
    kernels and with papermill's fresh ones, and leaves no socket file in its working folder."""
    monkeypatch.setenv("EVALTOOLS_HOME", str(tmp_path / "home"))
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(
        "import os, sys\n"
        "if any('kernel' in a and a.endswith('.json') for a in sys.argv):\n"
        "    os.write(2, b'KERNEL-NOISE Traceback (most recent call last)\\n')\n")
    folder, reports = tmp_path / "study", tmp_path / "reports"
    generate_demo_study(folder, seed=3, n_sites=1, size=(30, 30))
    create_key(load_study(folder))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(inject), str(ROOT)])}
    extra = ["--fresh-kernels"] if kernels == "fresh" else []
    done = subprocess.run([sys.executable, "-c", "from evaltools.cli.main import main; main()",
                           "run", str(folder), "--reports-dir", str(reports), "--jobs", "1",
                           "--only", "*/t1/prepost", "--no-register", *extra],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rendered, 0 failed" in done.stdout, done.stdout
    assert "KERNEL-NOISE" not in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not list(tmp_path.glob("kernel-ipc*"))


def test_leftovers_of_a_dead_run_include_sockets_and_logs(demo_dir, tmp_path) -> None:
    """A killed run's connection file, IPC sockets and log go; a living process's stay."""
    temp = Path(tempfile.gettempdir())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    stems = {dead_pid: f"{CONNECTION_PREFIX}{dead_pid}-deadbeef0000",
             os.getpid(): f"{CONNECTION_PREFIX}{os.getpid()}-alive0000000"}
    made = {pid: [temp / f"{stem}{tail}" for tail in (".json", ".log", "-ipc-1", "-ipc-2")]
            for pid, stem in stems.items()}
    for paths in made.values():
        for p in paths:
            p.write_text("x")
    try:
        removed = remove_dead_runs_leftovers(load_study(demo_dir), tmp_path / "reports")
        assert set(made[dead_pid]) <= set(removed)
        assert not any(p.exists() for p in made[dead_pid])
        assert all(p.exists() for p in made[os.getpid()])
    finally:
        for paths in made.values():
            for p in paths:
                p.unlink(missing_ok=True)


def test_a_temporary_folder_too_long_for_a_socket_keeps_tcp(tmp_path, monkeypatch) -> None:
    """Unix socket paths hold about 100 bytes: with a deep TMPDIR the kernel falls back to TCP
    (and still starts) instead of failing with 'File name too long'."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    km = LocalKernelManager()
    assert Path(km.connection_file).parent == deep
    assert km.transport == "tcp"
    km.start_kernel(extra_arguments=["--IPKernelApp.log_level=ERROR"])
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive("1 + 1", timeout=60, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert _files_of(km) == []


def test_a_finished_run_leaves_no_kernel_process_or_file(tmp_path, monkeypatch) -> None:
    """The pool's workers kill their kernels and leave at the end of a run (jobs.py
    ``_worker_exit``): no kernel process, zombie or connection, socket or log file remains."""
    psutil = pytest.importorskip("psutil")
    monkeypatch.setenv("EVALTOOLS_HOME", str(tmp_path / "home"))
    temp = tmp_path / "tmp"
    temp.mkdir()
    folder, reports = tmp_path / "study", tmp_path / "reports"
    generate_demo_study(folder, seed=3, n_sites=1, size=(30, 30))
    create_key(load_study(folder))
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", "from evaltools.cli.main import main; main()",
                           "run", str(folder), "--reports-dir", str(reports), "--jobs", "2",
                           "--only", "*/t1/*", "--no-register"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 failed" in done.stdout, done.stdout
    assert list(temp.glob(f"{CONNECTION_PREFIX}*")) == []

    def of_the_run() -> list:
        # a kernel's connection file is on its command line; a forked kernel (and the
        # forkserver, which leaves as the run has left) has the run's environment
        found = []
        for p in psutil.process_iter(["cmdline"]):
            try:
                if str(temp) in " ".join(p.info["cmdline"] or []) \
                        or p.environ().get("TMPDIR") == str(temp):
                    found.append(p)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                pass
        return found

    end = time.monotonic() + 10
    while of_the_run() and time.monotonic() < end:
        time.sleep(0.1)
    assert of_the_run() == []


def test_a_warm_kernel_freezes_what_it_imported() -> None:
    """The collector leaves the pre-imported libraries alone (PREIMPORT ends in gc.freeze)."""
    from evaltools.pipeline.kernels import WarmKernel

    kernel = WarmKernel()
    try:
        kernel.start()
        out = []
        kernel.execute_interactive("import gc\nprint(gc.get_freeze_count())", timeout=60,
                                      output_hook=lambda m: out.append(
                                          m["content"].get("text", "")))
        assert int("".join(out)) > 100_000  # pandas, matplotlib, statsmodels, evaltools
    finally:
        kernel.shutdown()
